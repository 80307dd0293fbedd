package kernel

import "github.com/patchcheck/patchcheck/model"

// labelled reports whether op's Label is a jump destination.
func labelled(op *model.Op) bool {
	switch op.Code {
	case model.OpJump, model.OpTest, model.OpJumpIfText, model.OpEither, model.OpJumpIfBooting,
		model.OpJumpIfNoPoke, model.OpJumpIfPokeOrdered:
		return true
	}
	return false
}

// threadJumps retargets every jump whose destination is an OpJump to
// that jump's final destination, then drops the OpJumps that go to the op
// after them. The compiler joins paths with such jumps; a thread runs the
// same visible ops afterwards, through fewer local ones, so its states
// (whose program counters rest at visible ops) are the same states.
//
// Routines the thread runs (OpRoutine) that name op indices follow the
// same map (remapper); with one that cannot, no jump is dropped.
func threadJumps(ops []model.Op, routines []model.Routine) []model.Op {
	final := func(l int) int {
		for n := 0; l < len(ops) && ops[l].Code == model.OpJump && n < len(ops); n++ {
			l = ops[l].Label
		}
		return l
	}
	for i := range ops {
		op := &ops[i]
		if labelled(op) {
			op.Label = final(op.Label)
		}
		for j, l := range op.Table {
			if l > i { // entries at or before the switch are unset
				op.Table[j] = final(l)
			}
		}
	}
	var mine []remapper // each once: ops (and routine entries) may share one
	seen := map[remapper]bool{}
	for _, op := range ops {
		if op.Code != model.OpRoutine {
			continue
		}
		r, ok := routines[op.A].(remapper)
		if !ok {
			return ops
		}
		if !seen[r] {
			seen[r] = true
			mine = append(mine, r)
		}
	}
	// Drop the jumps to the next op; remap the rest.
	newIdx := make([]int, len(ops)+1)
	var out []model.Op
	for i := range ops {
		newIdx[i] = len(out)
		if ops[i].Code == model.OpJump && ops[i].Label == i+1 {
			continue
		}
		out = append(out, ops[i])
	}
	newIdx[len(ops)] = len(out)
	for i := range out {
		op := &out[i]
		if labelled(op) {
			op.Label = newIdx[op.Label]
		}
		if op.Table != nil {
			t := make([]int, len(op.Table))
			for j, l := range op.Table {
				if l > 0 {
					t[j] = newIdx[l]
				}
			}
			op.Table = t
		}
	}
	for _, r := range mine {
		r.remap(func(i int) int { return newIdx[final(i)] })
	}
	return out
}

// remapper is a routine whose op indices can follow threadJumps.
type remapper interface{ remap(func(int) int) }
