package litmus

import (
	"strings"

	"github.com/patchcheck/patchcheck/arches/arm64"
)

// step returns the successors of s when thread ti fetches and executes one
// instruction: one successor per write the fetch may return.
func (pg *prog) step(s *state, ti int) ([]*state, error) {
	t := &s.th[ti]
	b := &pg.blocks[t.blk]
	if t.pc < 0 || t.pc >= len(b.code) {
		n := s.clone()
		n.th[ti].done = true
		return []*state{n}, nil
	}
	loc := pg.key(codeKey(t.blk, t.pc))
	ws, wt := s.mem[loc], s.wtime[loc]
	// The fetch may be taken at any time tau in [t.flow, now]. It may return
	// write i if i was performed by tau and no IC completed by tau excludes
	// it. The earliest such tau is best for later fetches.
	type cand struct{ i, tau int }
	var cands []cand
	for i := range ws {
		tau := max(t.flow, wt[i])
		if floorAt(s.icdone[loc], tau) > i {
			continue
		}
		cands = append(cands, cand{i, tau})
	}
	cmodx := false
	if len(cands) > 1 {
		for _, c := range cands {
			if !pg.cmodxSafe(ws[c.i]) {
				cmodx = true
			}
		}
	}
	var out []*state
	for _, c := range cands {
		n := s.clone()
		if cmodx {
			n.cmodx = true
		}
		n.th[ti].flow = c.tau
		if err := pg.exec(n, ti, ws[c.i]); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// floorAt returns the lowest write index a fetch taken at time tau may
// return, given the IC completions h.
func floorAt(h []icev, tau int) int {
	f := 0
	for _, e := range h {
		if e.t <= tau && e.idx > f {
			f = e.idx
		}
	}
	return f
}

func (pg *prog) contextSync(t *thread, s *state) {
	t.flow = s.now
}

func (pg *prog) fault(s *state, ti int) {
	t := &s.th[ti]
	t.faults = append(t.faults, t.blk<<16|t.pc)
	proc := pg.procs[ti]
	h, ok := pg.handler[proc]
	if !ok {
		t.done, t.faulted = true, true
		return
	}
	t.elr = val{k: vCode, b: t.blk, i: t.pc}
	t.blk, t.pc = h, 0
	pg.contextSync(t, s)
}

func (pg *prog) read(t *thread, reg string) (val, error) {
	r, ok := regIndex(canonRegOr(reg))
	if !ok {
		return val{}, errUnsupported{"register " + reg}
	}
	if r == 31 {
		return val{k: vInt}, nil
	}
	return t.regs[r], nil
}

func canonRegOr(r string) string {
	c, ok := canonReg(r)
	if !ok {
		return r
	}
	return c
}

func (pg *prog) write(t *thread, reg string, v val) error {
	r, ok := regIndex(canonRegOr(reg))
	if !ok {
		return errUnsupported{"register " + reg}
	}
	if r != 31 {
		if v.k == vInt && strings.HasPrefix(strings.ToUpper(reg), "W") {
			v.n = int64(uint32(v.n))
		}
		t.regs[r] = v
	}
	return nil
}

// depOf returns the newest dependency time of the registers named (0 for
// XZR, an immediate or an unknown name: no dependency).
func (t *thread) depOf(regs ...string) int {
	d := 0
	for _, reg := range regs {
		if r, ok := regIndex(canonRegOr(reg)); ok && r != 31 {
			d = max(d, t.dep[r])
		}
	}
	return d
}

// setDep records the dependency time of a register just written.
func (t *thread) setDep(reg string, d int) {
	if r, ok := regIndex(canonRegOr(reg)); ok && r != 31 {
		t.dep[r] = d
	}
}

// operand2 reads a register or immediate operand.
func (pg *prog) operand2(t *thread, o Operand) (val, error) {
	if o.Kind == OpImm {
		return val{k: vInt, n: o.Imm}, nil
	}
	return pg.read(t, o.Reg)
}

// addr computes the memory key of a memory operand.
func (pg *prog) addr(t *thread, in *Instr, o Operand) (string, error) {
	base, err := pg.read(t, o.Base)
	if err != nil {
		return "", err
	}
	off := o.Imm
	if o.Index != "" {
		ix, err := pg.read(t, o.Index)
		if err != nil {
			return "", err
		}
		if ix.k != vInt {
			return "", unsupported(in.Pos, "%s: non-integer index", in)
		}
		off += ix.n
	}
	if off != 0 {
		return "", unsupported(in.Pos, "%s: non-zero offset %d", in, off)
	}
	return pg.locOf(in, base)
}

func (pg *prog) locOf(in *Instr, v val) (string, error) {
	switch v.k {
	case vInt:
		if base, _, _ := strings.Cut(in.Op, "."); base == "DC" || base == "IC" {
			// Maintenance by an address that is no location of the test
			// (a null pointer): it affects nothing the test observes.
			return "int:" + v.String(), nil
		}
	case vVar:
		return pg.key(v.s), nil
	case vCode:
		return pg.key(codeKey(v.b, v.i)), nil
	}
	return "", unsupported(in.Pos, "%s: address %v is not a variable or a label", in, v)
}

// target resolves a branch target operand of an instruction fetched from
// block blk at index pc.
func (pg *prog) target(in *Instr, o Operand, owner, blk, pc int) (int, int, error) {
	if o.Kind == OpRel {
		if o.Imm%4 != 0 {
			return 0, 0, unsupported(in.Pos, "%s: unaligned offset", in)
		}
		return blk, pc + int(o.Imm/4), nil
	}
	// Labels resolve in the block that wrote the instruction, else the
	// executing block, else the thread's main block (for handlers).
	for _, b := range []int{owner, blk, pg.main[pg.blocks[blk].proc]} {
		if b < 0 {
			continue
		}
		if i, ok := pg.blocks[b].labels[o.Sym]; ok {
			return b, i, nil
		}
	}
	return 0, 0, unsupported(in.Pos, "%s: no label %s", in, o.Sym)
}

func condHolds(c string, nzcv uint8) bool {
	n, z, cf, v := nzcv&8 != 0, nzcv&4 != 0, nzcv&2 != 0, nzcv&1 != 0
	switch c {
	case "EQ":
		return z
	case "NE":
		return !z
	case "CS", "HS":
		return cf
	case "CC", "LO":
		return !cf
	case "MI":
		return n
	case "PL":
		return !n
	case "VS":
		return v
	case "VC":
		return !v
	case "HI":
		return cf && !z
	case "LS":
		return !cf || z
	case "GE":
		return n == v
	case "LT":
		return n != v
	case "GT":
		return !z && n == v
	case "LE":
		return z || n != v
	}
	return true
}

// exec executes the fetched value c as thread ti's instruction.
func (pg *prog) exec(s *state, ti int, c val) error {
	t := &s.th[ti]
	if c.k != vIns {
		pg.fault(s, ti)
		return nil
	}
	in := pg.ins[c.i]
	ai, err := pg.supported(in)
	if err != nil {
		return err
	}
	blk, pc := t.blk, t.pc
	t.pc++
	a := in.Args
	_, cond, _ := strings.Cut(in.Op, ".")
	switch ai.Op {
	case arm64.OpNop, arm64.OpBTI:
	case arm64.OpUDF, arm64.OpBRK, arm64.OpSVC, arm64.OpHVC, arm64.OpSMC:
		// An exception: the thread's handler, as for a fetch fault.
		t.pc--
		pg.fault(s, ti)
	case arm64.OpDMB:
		// A full DMB orders earlier DC CVAUs before later accesses.
		if arm64.PerformsClean(ai) {
			for k := 0; k < len(t.ops); {
				if t.ops[k].ic {
					k++
					continue
				}
				s.perform(ti, k)
			}
		}
		if arm64.OrdersDC(ai) {
			t.bar = s.now
		}
	case arm64.OpB, arm64.OpBL, arm64.OpBCond:
		if cond != "" {
			// A conditional branch: what follows has a control
			// dependency on the loads the flags derive from.
			t.cdep = max(t.cdep, t.fdep)
			if !condHolds(cond, t.nzcv) {
				break
			}
		}
		if ai.Op == arm64.OpBL {
			t.regs[30] = val{k: vCode, b: blk, i: pc + 1}
			t.dep[30] = 0
		}
		nb, np, err := pg.target(in, a[0], c.b, blk, pc)
		if err != nil {
			return err
		}
		t.blk, t.pc = nb, np
	case arm64.OpBR, arm64.OpBLR, arm64.OpRet:
		reg := "X30"
		if len(a) > 0 {
			reg = a[0].Reg
		}
		v, err := pg.read(t, reg)
		if err != nil {
			return err
		}
		t.cdep = max(t.cdep, t.depOf(reg))
		if ai.Op == arm64.OpBLR {
			t.regs[30] = val{k: vCode, b: blk, i: pc + 1}
			t.dep[30] = 0
		}
		if v.k != vCode {
			if ai.Op == arm64.OpRet && v == (val{}) {
				t.done = true // return from the test's top level
				break
			}
			return unsupported(in.Pos, "%s: target %v is not a code address", in, v)
		}
		t.blk, t.pc = v.b, v.i
	case arm64.OpCBZ, arm64.OpCBNZ, arm64.OpTBZ, arm64.OpTBNZ:
		v, err := pg.read(t, a[0].Reg)
		if err != nil {
			return err
		}
		t.cdep = max(t.cdep, t.depOf(a[0].Reg))
		zero := v.k == vInt && v.n == 0
		if ai.Op == arm64.OpTBZ || ai.Op == arm64.OpTBNZ {
			if v.k != vInt || a[1].Imm < 0 || a[1].Imm > 63 {
				return unsupported(in.Pos, "%s: bit test of %v", in, v)
			}
			zero = v.n>>a[1].Imm&1 == 0
		}
		if zero == (ai.Op == arm64.OpCBZ || ai.Op == arm64.OpTBZ) {
			nb, np, err := pg.target(in, a[len(a)-1], c.b, blk, pc)
			if err != nil {
				return err
			}
			t.blk, t.pc = nb, np
		}
	case arm64.OpMovz, arm64.OpOrrReg:
		if in.Op == "ORR" {
			return pg.alu(t, in, "ORR")
		}
		v, err := pg.operand2(t, a[1])
		if err != nil {
			return err
		}
		t.setDep(a[0].Reg, t.depOf(a[1].Reg))
		return pg.write(t, a[0].Reg, v)
	case arm64.OpADR:
		nb, np, err := pg.target(in, a[1], c.b, blk, pc)
		if err != nil {
			return err
		}
		t.setDep(a[0].Reg, 0)
		return pg.write(t, a[0].Reg, val{k: vCode, b: nb, i: np})
	case arm64.OpEorReg, arm64.OpAndReg:
		return pg.alu(t, in, in.Op)
	case arm64.OpAddImm, arm64.OpSubImm:
		return pg.alu(t, in, in.Op)
	case arm64.OpSubsImm:
		if in.Op == "SUBS" {
			return pg.alu(t, in, "SUB")
		}
		x, err := pg.read(t, a[0].Reg)
		if err != nil {
			return err
		}
		y, err := pg.operand2(t, a[1])
		if err != nil {
			return err
		}
		t.fdep = t.depOf(a[0].Reg, a[1].Reg)
		if x.k == vInt && y.k == vInt {
			d := x.n - y.n
			var f uint8
			if d < 0 {
				f |= 8
			}
			if d == 0 {
				f |= 4
			}
			if uint64(x.n) >= uint64(y.n) {
				f |= 2
			}
			t.nzcv = f
		} else if x.eq(y) {
			t.nzcv = 4 | 2
		} else {
			t.nzcv = 0
		}
	case arm64.OpCsinc:
		if in.Op == "CSINC" {
			return unsupported(in.Pos, "%s: CSINC other than CSET is not modelled", in)
		}
		n := int64(0)
		if condHolds(strings.ToUpper(a[1].Sym), t.nzcv) {
			n = 1
		}
		t.setDep(a[0].Reg, t.fdep)
		return pg.write(t, a[0].Reg, val{k: vInt, n: n})
	case arm64.OpCsel:
		r := a[2].Reg
		if condHolds(strings.ToUpper(a[3].Sym), t.nzcv) {
			r = a[1].Reg
		}
		v, err := pg.read(t, r)
		if err != nil {
			return err
		}
		// herd7's pick dependencies: the result depends on the loads
		// the flags derive from, as well as on the register picked.
		t.setDep(a[0].Reg, max(t.fdep, t.depOf(r)))
		return pg.write(t, a[0].Reg, v)
	case arm64.OpStrImm, arm64.OpStlr:
		v, err := pg.read(t, a[0].Reg)
		if err != nil {
			return err
		}
		l, err := pg.addr(t, in, a[1])
		if err != nil {
			return err
		}
		s.now++
		t.touch(l, s.now)
		s.mem[l] = append(s.mem[l], v)
		s.wtime[l] = append(s.wtime[l], s.now)
		s.wthr[l] = append(s.wthr[l], ti)
		// CTR_EL0 (arches/arm64.CacheType): with IDC a completed write is
		// clean; with DIC too it is coherent with instruction fetch, so
		// later fetches cannot return older writes (a CPU that fetched
		// before it still may: fetch time, not program order).
		if pg.cache.CleanAtWrite() {
			s.cleaned[l] = len(s.mem[l]) - 1
		}
		if pg.cache.CoherentAtWrite() {
			s.icdone[l] = append(s.icdone[l], icev{s.now, len(s.mem[l]) - 1})
		}
	case arm64.OpLdrImm, arm64.OpLdar:
		l, err := pg.addr(t, in, a[1])
		if err != nil {
			return err
		}
		t.touch(l, s.now)
		ws := s.mem[l]
		v := val{k: vInt}
		d := t.depOf(a[1].Base, a[1].Index)
		if len(ws) > 0 {
			v = ws[len(ws)-1]
			d = max(d, s.wtime[l][len(ws)-1])
		}
		t.setDep(a[0].Reg, d)
		return pg.write(t, a[0].Reg, v)
	case arm64.OpDCCVAU:
		v, err := pg.read(t, a[1].Reg)
		if err != nil {
			return err
		}
		l, err := pg.locOf(in, v)
		if err != nil {
			return err
		}
		// The DC is ordered after the thread's earlier accesses to the same
		// location, and after everything before its last DSB, full DMB
		// or ISB;
		// it may clean any later write too, but cleaning less only admits
		// more fetches, so it cleans the least it must.
		idx := -1
		// It is also ordered after the thread's earlier instruction
		// fetches (herd's f-ob), the latest of which was taken at t.flow.
		// And it is ordered after the loads its address depends on, and
		// those a branch before it depends on (herd7 aarch64.cat: dob's
		// addr and ctrl; [DC.CVAU | IC], pob's pick-addr-dep and
		// pick-ctrl-dep; [DC.CVAU | IC]): after the writes they read.
		lo := max(t.bar, t.acc[l], t.flow, t.depOf(a[1].Reg), t.cdep)
		for i, w := range s.wtime[l] {
			if w <= lo || s.wthr[l][i] == ti {
				idx = i
			}
		}
		t.ops = append(t.ops, pend{loc: l, idx: idx})
	case arm64.OpICIVAU:
		v, err := pg.read(t, a[1].Reg)
		if err != nil {
			return err
		}
		l, err := pg.locOf(in, v)
		if err != nil {
			return err
		}
		t.ops = append(t.ops, pend{ic: true, loc: l})
	case arm64.OpICIALLU:
		t.ops = append(t.ops, pend{ic: true, all: true})
	case arm64.OpDSB:
		if arm64.CompletesMaintenance(ai) {
			for len(t.ops) > 0 {
				s.perform(ti, 0)
			}
		}
		t.bar = s.now // arm64.OrdersDC: every DSB orders the DCs after it
	case arm64.OpISB:
		pg.contextSync(t, s) // arm64.ContextSynchronising
		t.bar = s.now
	case arm64.OpMSRELR:
		v, err := pg.read(t, a[1].Reg)
		if err != nil {
			return err
		}
		t.elr = v
	case arm64.OpERET:
		if t.elr.k != vCode {
			return unsupported(in.Pos, "ERET to %v", t.elr)
		}
		t.blk, t.pc = t.elr.b, t.elr.i
		pg.contextSync(t, s)
	default:
		return unsupported(in.Pos, "instruction %s is not modelled", in.Op)
	}
	return nil
}

// alu executes EOR, AND, ORR (registers) and ADD, SUB (immediate or
// register) on integers; EOR of two equal values is 0 whatever they are
// (the catalogue's fake dependency).
func (pg *prog) alu(t *thread, in *Instr, op string) error {
	a := in.Args
	x, err := pg.read(t, a[1].Reg)
	if err != nil {
		return err
	}
	y, err := pg.operand2(t, a[2])
	if err != nil {
		return err
	}
	t.setDep(a[0].Reg, t.depOf(a[1].Reg, a[2].Reg))
	var r val
	switch {
	case op == "EOR" && x.eq(y):
		r = val{k: vInt}
	case x.k != vInt || y.k != vInt:
		return unsupported(in.Pos, "%s on non-integer values %v, %v", in, x, y)
	case op == "EOR":
		r = val{k: vInt, n: x.n ^ y.n}
	case op == "AND":
		r = val{k: vInt, n: x.n & y.n}
	case op == "ORR":
		r = val{k: vInt, n: x.n | y.n}
	case op == "ADD":
		r = val{k: vInt, n: x.n + y.n}
	default:
		r = val{k: vInt, n: x.n - y.n}
	}
	return pg.write(t, a[0].Reg, r)
}

// perform performs thread ti's pending maintenance operation k: a DC
// marks its location cleaned up to its write; an IC takes effect at this
// moment, excluding from later fetches the writes before the newest
// cleaned one.
func (s *state) perform(ti, k int) {
	t := &s.th[ti]
	d := t.ops[k]
	t.ops = append(t.ops[:k:k], t.ops[k+1:]...)
	if !d.ic {
		if c, ok := s.cleaned[d.loc]; !ok || d.idx > c {
			s.cleaned[d.loc] = d.idx
		}
		return
	}
	s.now++
	if d.all {
		for _, l := range sortedKeys(s.cleaned) {
			s.icdone[l] = append(s.icdone[l], icev{s.now, s.cleaned[l]})
		}
		return
	}
	if c, ok := s.cleaned[d.loc]; ok {
		s.icdone[d.loc] = append(s.icdone[d.loc], icev{s.now, c})
	}
}

func (t *thread) touch(l string, now int) {
	if !strings.HasPrefix(l, "@") && !strings.HasPrefix(l, "phys:") {
		return // only code locations are cleaned by the catalogue's DCs
	}
	if t.acc == nil {
		t.acc = map[string]int{}
	}
	t.acc[l] = now
}
