package ppc

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"github.com/patchcheck/patchcheck/kernel"
	"github.com/patchcheck/patchcheck/model"
	"github.com/patchcheck/patchcheck/scenario"
)

// sketchSteps documents the powerpc sketch vocabulary: the primitive
// steps of arch_static_call_transform (arch/powerpc/kernel/static_call.c)
// a scenario's sketch can use in its place.
var sketchSteps = append(kernel.MutexSteps(), []kernel.StepDoc{
	{Form: "patch_instruction ADDR VALUE", Doc: "patch_instruction/patch_branch: one aligned 4-byte store of VALUE at ADDR, then dcbst; sync; icbi; sync; isync, which synchronise the patching CPU only"},
	{Form: "patch_ulong ADDR VALUE", Doc: "patch_ulong: one store of an unsigned long (4 bytes on PPC32, 8 on powerpc64), synchronising the patching CPU only"},
	{Form: "save", Doc: "remember the word at loc now, for old"},
}...)

// SketchVocabulary returns the powerpc sketch steps and what they do.
func SketchVocabulary() [][2]string { return kernel.Vocabulary(sketchSteps) }

// Sketch address kinds.
const (
	addrLoc  = iota // the patched instruction word
	addrData        // the trampoline's data word (lis-addi: the lis/addi pair)
)

// Sketch value kinds.
const (
	valNew     = iota // the instruction the kernel's transform writes at loc
	valNewData        // the target address the kernel writes to the data word
	valHi             // lis r12,new_data@ha
	valLo             // addi r12,r12,new_data@l
	valNop
	valBlr
	valOld // the word at loc when save ran
)

// sketchStep is one step, parsed.
type sketchStep struct {
	op    string
	addr  int // addrLoc or addrData
	off   int // byte offset from the address
	val   int
	width int // bytes the step stores
	mutex int
}

// sketchUsesLisAddi reports whether a sketch writes the lis/addi forms
// hi(new_data) or lo(new_data): its PPC32 trampolines are then laid out
// with the lis/addi pair in place of the load of the data word.
func sketchUsesLisAddi(steps []scenario.SketchStep) bool {
	for _, st := range steps {
		for _, a := range st.Args {
			if a == "hi(new_data)" || a == "lo(new_data)" {
				return true
			}
		}
	}
	return false
}

// parseSketch checks a sketch for abi and returns its steps.
func parseSketch(abi ABI, steps []scenario.SketchStep) ([]sketchStep, error) {
	lisAddi := abi == ABI32 && sketchUsesLisAddi(steps)
	// The size of the data slot: PPC32's data word, the lis/addi pair,
	// powerpc64's doubleword.
	dataSize := 4
	if abi == ABI64 || lisAddi {
		dataSize = 8
	}
	ulong := 4
	if abi == ABI64 {
		ulong = 8
	}
	saved := false
	var out []sketchStep
	for i, st := range steps {
		bad := func(format string, args ...any) error {
			return &scenario.Error{Line: st.Line, Col: st.Col,
				Msg: fmt.Sprintf("sketch step %d (%s): %s", i+1, st, fmt.Sprintf(format, args...))}
		}
		want := func(k int) error {
			if len(st.Args) != k {
				return bad("takes %d argument(s), not %d", k, len(st.Args))
			}
			return nil
		}
		s := sketchStep{op: st.Op}
		switch st.Op {
		case "lock", "unlock":
			if err := want(1); err != nil {
				return nil, err
			}
			a, ok := kernel.MutexByName(st.Args[0])
			if !ok {
				return nil, bad("unknown mutex %q (want text_mutex or static_call_mutex)", st.Args[0])
			}
			s.mutex = a
		case "save":
			if err := want(0); err != nil {
				return nil, err
			}
			saved = true
		case "patch_instruction", "patch_ulong":
			if err := want(2); err != nil {
				return nil, err
			}
			s.width = 4
			if st.Op == "patch_ulong" {
				s.width = ulong
			}
			var err error
			if s.addr, s.off, err = sketchAddr(abi, lisAddi, st.Args[0]); err != nil {
				return nil, bad("%v", err)
			}
			var n int
			if s.val, n, err = sketchValue(abi, st.Args[1]); err != nil {
				return nil, bad("%v", err)
			}
			if n != s.width {
				return nil, bad("%s is %d bytes; %s stores %d", st.Args[1], n, st.Op, s.width)
			}
			size := 4
			if s.addr == addrData {
				size = dataSize
			}
			if s.off+s.width > size {
				what := "loc, one instruction word"
				if s.addr == addrData {
					what = fmt.Sprintf("the data slot of %d bytes", size)
				}
				return nil, bad("stores %d byte(s) at %s, past %s", s.width, st.Args[0], what)
			}
			if s.off%4 != 0 {
				return nil, bad("%s is not word aligned", st.Args[0])
			}
			if s.val == valOld && !saved {
				return nil, bad("old: no saved word (a sketch with old saves first)")
			}
		default:
			return nil, bad("unknown step %q (powerpc sketch steps: %s)", st.Op, stepNames())
		}
		out = append(out, s)
	}
	return out, nil
}

func stepNames() string {
	var n []string
	for _, s := range sketchSteps {
		n = append(n, strings.Fields(s.Form)[0])
	}
	return strings.Join(n, ", ")
}

// sketchAddr parses loc, data, data+N and, on PPC32, loc+N where it
// names a word of the trampoline's data slot (loc+28, or loc+4 and loc+8
// with lis/addi).
func sketchAddr(abi ABI, lisAddi bool, a string) (kind, off int, err error) {
	switch a {
	case "loc":
		return addrLoc, 0, nil
	case "data":
		return addrData, 0, nil
	}
	num := func(s string) (int, bool) {
		n, err := strconv.Atoi(s)
		return n, err == nil && n >= 0 && n < 256
	}
	if rest, ok := strings.CutPrefix(a, "data+"); ok {
		if n, ok := num(rest); ok {
			return addrData, n, nil
		}
	}
	if rest, ok := strings.CutPrefix(a, "loc+"); ok {
		if n, ok := num(rest); ok && abi == ABI32 {
			data := sct32Data
			if lisAddi {
				data = 4
			}
			if n == 0 {
				return addrLoc, 0, nil
			}
			if n >= data {
				return addrData, n - data, nil
			}
			return 0, 0, fmt.Errorf("address %s: not a patchable word of the PPC32 trampoline (loc, and the data slot at loc+%d)", a, data)
		}
		if abi == ABI64 {
			return 0, 0, fmt.Errorf("address %s: the powerpc64 trampoline designs place the data word differently; write data", a)
		}
	}
	return 0, 0, fmt.Errorf("address %q: want loc, data, data+N or loc+N", a)
}

// sketchValue parses a value and returns its kind and size in bytes.
func sketchValue(abi ABI, v string) (int, int, error) {
	switch v {
	case "new":
		return valNew, 4, nil
	case "new_data":
		if abi == ABI64 {
			return valNewData, 8, nil
		}
		return valNewData, 4, nil
	case "hi(new_data)", "lo(new_data)":
		if abi == ABI64 {
			return 0, 0, fmt.Errorf("value %s: the lis/addi trampoline is PPC32's", v)
		}
		if v == "hi(new_data)" {
			return valHi, 4, nil
		}
		return valLo, 4, nil
	case "nop":
		return valNop, 4, nil
	case "blr":
		return valBlr, 4, nil
	case "old":
		return valOld, 4, nil
	}
	return 0, 0, fmt.Errorf("value %q: want new, new_data, hi(new_data), lo(new_data), nop, blr or old", v)
}

// sketchLoc is what a sketch needs of one location and update: where its
// words are, and what the kernel's transform would write there.
type sketchLoc struct {
	tramp     bool
	inst      uint64 // the patched instruction word
	data      uint64 // the trampoline's data slot
	new       uint32 // the instruction the kernel writes at inst
	newOK     bool   // false: patch_branch cannot encode it (the kernel panics)
	writeData bool   // the kernel writes the data word (func && !is_short)
	newData   []byte // what it writes there
	hi, lo    uint32 // lis/addi of the target
}

// emitSketch emits the sketch's steps for one location.
func emitSketch(e *kernel.Emitter, steps []sketchStep, l sketchLoc) {
	for _, s := range steps {
		e.Fn = "sketch"
		switch s.op {
		case "lock":
			e.Emit(model.Op{Code: model.OpLock, A: s.mutex})
		case "unlock":
			e.Emit(model.Op{Code: model.OpUnlock, A: s.mutex})
		case "save":
			e.Emit(model.Op{Code: model.OpSaveText, Addr: l.inst, Len: 4})
		default:
			addr := l.inst
			if s.addr == addrData {
				if !l.tramp {
					continue // a site has no data word
				}
				addr = l.data
			}
			addr += uint64(s.off)
			var w []byte
			switch s.val {
			case valNew:
				if !l.newOK {
					panicOp(e, addr)
					continue
				}
				w = be32(l.new)
			case valNewData, valHi, valLo:
				if !l.writeData {
					continue // the kernel writes no data word here
				}
				w = l.newData
				if s.val == valHi {
					w = be32(l.hi)
				} else if s.val == valLo {
					w = be32(l.lo)
				}
			case valNop:
				w = be32(InsnNop)
			case valBlr:
				w = be32(InsnBlr)
			case valOld:
				e.Fn = s.op
				e.Emit(model.Op{Code: model.OpPokeSaved, Addr: addr, A: 0, Len: 4})
				continue
			}
			pokeOp(e, s.op, addr, w)
		}
	}
}

// CheckSketch implements kernel.Port: the PPC32 sketch vocabulary.
func (Port32) CheckSketch(steps []scenario.SketchStep) error {
	_, err := parseSketch(ABI32, steps)
	return err
}

// Sketch implements kernel.Port: the scenario's sketch for one PPC32
// trampoline or site.
func (Port32) Sketch(e *kernel.Emitter, lay *kernel.Layout, loc kernel.Loc, target int) {
	steps, err := parseSketch(ABI32, lay.Sketch)
	if err != nil {
		panic("patchcheck: a sketch that CheckSketch accepted does not compile: " + err.Error())
	}
	img := lay.Prog.ArchData.(*Image)
	tr := img.Tramps[loc.Key]
	l := sketchLoc{tramp: loc.Tramp, inst: loc.Addr, data: tr.Data}
	if loc.Tramp {
		// What the model's transform writes for the target: the
		// instruction, and whether it writes data; new_data is the
		// target's address, hi() and lo() the lis/addi pair for it.
		f := img.forms32[loc.Key]
		fn := lay.Prog.Targets[target].Addr
		l.new, l.newOK = binary.BigEndian.Uint32(f.inst[target]), true
		l.writeData = f.data(target, make([]byte, f.dataLen)) != nil
		l.newData = be32(uint32(fn))
		l.hi, l.lo = Lis(GPR12, Ha(int64(int32(fn)))), Addi(GPR12, GPR12, Lo(int64(fn)))
	} else {
		var act int
		l.new, act = site32(lay.Prog, tr, loc, target)
		if act == siteKeep {
			return // the transform writes nothing: neither does its sketch
		}
		l.newOK = act == siteWrite
	}
	emitSketch(e, steps, l)
}

// CheckSketch implements kernel.Port: the powerpc64 sketch vocabulary
// (PPC32's, with 8-byte patch_ulong and data word, and no lis/addi).
func (Port64) CheckSketch(steps []scenario.SketchStep) error {
	_, err := parseSketch(ABI64, steps)
	return err
}

// Sketch implements kernel.Port: the scenario's sketch for one powerpc64
// trampoline (the only locations the out-of-line port patches).
func (Port64) Sketch(e *kernel.Emitter, lay *kernel.Layout, loc kernel.Loc, target int) {
	steps, err := parseSketch(ABI64, lay.Sketch)
	if err != nil {
		panic("patchcheck: a sketch that CheckSketch accepted does not compile: " + err.Error())
	}
	l := lay.Prog.ArchData.(*Image).layout
	tr := l.img.Tramps[loc.Key]
	pl := l.planOf(tr, target)
	emitSketch(e, steps, sketchLoc{tramp: true, inst: tr.Inst, data: tr.Data, new: pl.inst, newOK: true,
		writeData: pl.writeData, newData: be64(pl.data)})
}
