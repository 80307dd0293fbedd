package arm64

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"github.com/patchcheck/patchcheck/kernel"
	"github.com/patchcheck/patchcheck/model"
	"github.com/patchcheck/patchcheck/scenario"
)

// sketchSteps documents the arm64 sketch vocabulary: the primitive steps
// of arch/arm64/kernel/patching.c and the cache maintenance a scenario's
// sketch can use in place of arch_static_call_transform. The scenario's
// variant chooses the layout (docs/sketches.md).
var sketchSteps = append(kernel.MutexSteps(), []kernel.StepDoc{
	{Form: "write ADDR VALUE", Doc: "a plain store of VALUE at ADDR through the fixmap alias (aarch64_insn_write): not yet coherent with instruction fetch"},
	{Form: "write_pair LITVALUE VALUE", Doc: "__aarch64_insn_write(tramp - 8, insns, 16) of the v5/v6 trampolines: the literal and bti c; VALUE as two 64-bit stores that become visible in either order"},
	{Form: "write_pair_if_nop LITVALUE VALUE", Doc: "the v3-v5 write: write_pair when VALUE is the nop that exposes the literal, else a write of bti c; VALUE alone"},
	{Form: "cache_maint ADDR", Doc: "caches_clean_inval_pou over ADDR's window: dc cvau; dsb ish; ic ivau; dsb ish; isb on this CPU"},
	{Form: "patch_text_nosync ADDR VALUE", Doc: "aarch64_insn_patch_text_nosync: write, then cache_maint; no IPI"},
	{Form: "patch_text ADDR VALUE", Doc: "aarch64_insn_patch_text: under stop_machine, every other CPU held, then each runs isb"},
	{Form: "write_literal LITVALUE", Doc: "aarch64_insn_write_literal_u64: one 64-bit store to the trampoline's literal"},
	{Form: "kick_all_cpus_sync", Doc: "an IPI to every other CPU, waited for (exception entry and return are context synchronising)"},
	{Form: "save", Doc: "remember the instruction at loc now, for old"},
}...)

// SketchVocabulary returns the arm64 sketch steps and what they do.
func SketchVocabulary() [][2]string { return kernel.Vocabulary(sketchSteps) }

// Sketch addresses: loc (the patched instruction: an inline site, the
// v5/v6 instruction after bti c, the v2 adrp), loc+4 (the v2 add), lit
// (the trampoline's literal).
const (
	addrLoc = iota
	addrLit
)

// Sketch values.
const (
	valNew    = iota // the instruction the kernel's transform writes at loc
	valNewAdd        // v2: the add of the new target
	valNewLit        // the new target's address (NULL: 0 in v5/v6, __static_call_return0 otherwise)
	valNop
	valRet
	valOld // the instruction at loc when save ran
)

type sketchStep struct {
	op   string
	addr int
	off  int
	val  int
	val2 int
	arg  int // mutex
}

func parseAddr(s string) (int, int, bool) {
	base, off, _ := strings.Cut(s, "+")
	n := 0
	if off != "" {
		var err error
		if n, err = strconv.Atoi(off); err != nil || n%4 != 0 || n < 0 || n > 4 {
			return 0, 0, false
		}
	}
	switch base {
	case "loc":
		return addrLoc, n, true
	case "lit":
		return addrLit, n, n == 0
	}
	return 0, 0, false
}

func parseVal(s string) (int, bool) {
	v, ok := map[string]int{"new": valNew, "new_add": valNewAdd, "new_lit": valNewLit, "nop": valNop, "ret": valRet, "old": valOld}[s]
	return v, ok
}

func parseSketch(steps []scenario.SketchStep) ([]sketchStep, error) {
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
		addr := func(s string) (int, int, error) {
			a, off, ok := parseAddr(s)
			if !ok {
				return 0, 0, bad("unknown address %q (want loc, loc+4 or lit)", s)
			}
			return a, off, nil
		}
		val := func(s string, lit bool) (int, error) {
			v, ok := parseVal(s)
			if !ok {
				return 0, bad("unknown value %q (want new, new_add, new_lit, nop, ret or old)", s)
			}
			if v == valOld && !saved {
				return 0, bad("old before save")
			}
			if lit != (v == valNewLit) {
				if lit {
					return 0, bad("the literal takes new_lit, not %s", s)
				}
				return 0, bad("an instruction takes new, new_add, nop, ret or old, not %s", s)
			}
			return v, nil
		}
		s := sketchStep{op: st.Op}
		var err error
		switch st.Op {
		case "lock", "unlock":
			if err := want(1); err != nil {
				return nil, err
			}
			a, ok := kernel.MutexByName(st.Args[0])
			if !ok {
				return nil, bad("unknown mutex %q (want text_mutex or static_call_mutex)", st.Args[0])
			}
			s.arg = a
		case "save", "kick_all_cpus_sync":
			if err := want(0); err != nil {
				return nil, err
			}
			saved = saved || st.Op == "save"
		case "write", "patch_text_nosync", "patch_text":
			if err := want(2); err != nil {
				return nil, err
			}
			if s.addr, s.off, err = addr(st.Args[0]); err != nil {
				return nil, err
			}
			if s.val, err = val(st.Args[1], s.addr == addrLit); err != nil {
				return nil, err
			}
		case "cache_maint":
			if err := want(1); err != nil {
				return nil, err
			}
			if s.addr, s.off, err = addr(st.Args[0]); err != nil {
				return nil, err
			}
		case "write_pair", "write_pair_if_nop":
			if err := want(2); err != nil {
				return nil, err
			}
			if s.val2, err = val(st.Args[0], true); err != nil {
				return nil, err
			}
			if s.val, err = val(st.Args[1], false); err != nil {
				return nil, err
			}
			if s.val == valOld {
				return nil, bad("old cannot be written by write_pair")
			}
		case "write_literal":
			if err := want(1); err != nil {
				return nil, err
			}
			s.addr = addrLit
			if s.val, err = val(st.Args[0], true); err != nil {
				return nil, err
			}
		default:
			var forms []string
			for _, f := range sketchSteps {
				forms = append(forms, f.Form)
			}
			return nil, bad("unknown arm64 step %q (have: %s)", st.Op, strings.Join(forms, "; "))
		}
		out = append(out, s)
	}
	return out, nil
}

// writesLiteral reports whether a sketch stores to the literal.
func writesLiteral(steps []sketchStep) bool {
	for _, s := range steps {
		if s.addr == addrLit && s.op != "cache_maint" {
			return true
		}
	}
	return false
}

// checkSketchLayout reports a step whose address the trampoline tr, as
// the scenario's design lays it out, does not have: write_pair needs a
// literal just before the patched instructions (the v5/v6 trampolines),
// loc+4 a second patched instruction after loc (v2-adrp-add's add), and
// lit a literal.
func checkSketchLayout(steps []scenario.SketchStep, tr Tramp) error {
	parsed, err := parseSketch(steps)
	if err != nil {
		return err
	}
	var end uint64
	if tr.PatchWin >= 0 {
		end = tr.Patch + 8
		if tr.PatchForms != nil {
			end = tr.Patch + uint64(len(tr.PatchForms[0]))
		}
	}
	for i, s := range parsed {
		st := steps[i]
		var why string
		switch {
		case strings.HasPrefix(s.op, "write_pair") && !pairLayout(tr):
			why = s.op + " writes a trampoline whose literal is just before its patched instructions (the v5/v6 design): use variant v6-literal or v5-literal-if-nop"
		case s.addr == addrLoc && s.off == 4 && (tr.PatchWin < 0 || tr.Loc+8 > end):
			why = "loc+4 is patchable only in a trampoline whose transform patches a second instruction after loc (v2-adrp-add's add)"
		case s.addr == addrLit && tr.LitWin < 0 && s.op != "kick_all_cpus_sync":
			why = "the scenario's trampoline has no literal (v2-adrp-add)"
		}
		if why != "" {
			return &scenario.Error{Line: st.Line, Col: st.Col, Msg: fmt.Sprintf("sketch step %d (%s): %s", i+1, st, why)}
		}
	}
	return nil
}

// pairLayout reports whether trampoline tr has its literal just before
// its patched instructions, the 16 bytes one write_pair stores (the
// v5/v6 design).
func pairLayout(tr Tramp) bool {
	return tr.LitWin >= 0 && tr.PatchWin >= 0 && tr.Lit+8 == tr.Patch
}

// CheckSketch implements kernel.Port.
func (Port) CheckSketch(steps []scenario.SketchStep) error {
	_, err := parseSketch(steps)
	return err
}

// Sketch implements kernel.Port: the scenario's sketch in place of the
// transform of loc.
func (Port) Sketch(e *kernel.Emitter, lay *kernel.Layout, loc kernel.Loc, target int) {
	steps, err := parseSketch(lay.Sketch)
	if err != nil {
		panic("patchcheck: arm64 sketch was not checked: " + err.Error())
	}
	p := lay.Prog
	img := p.ArchData.(*Image)
	arch := p.Arch.(*Arch)
	tr := img.Tramps[loc.Key]
	if loc.Tramp && tr.PatchWin < 0 && tr.LitForms != nil && !writesLiteral(steps) {
		// A trampoline whose transform writes its literal only, which
		// the sketch does not write, keeps the kernel's store to it
		// (aarch64_insn_write_literal_u64 of the model files'
		// transform): the sketch is the sites'.
		poke(e, "aarch64_insn_write_literal_u64", tr.Lit, tr.LitForms[target], 0)
		return
	}
	// The kernel's transform of this loc, for new, new_add and new_lit:
	// the model files' (TrampSource.TrampStores, at layout). new_lit of a
	// target whose literal the transform does not write (v5's, but with
	// the nop) is the target's address, 0 for NULL where NULL is not
	// __static_call_return0.
	var newInsn, newAdd uint32
	newLit := funcAddr(p, target)
	if target == model.TargetNull && !p.NullIsReturn0 {
		newLit = 0
	}
	at := loc.Addr
	switch {
	case !loc.Tramp:
		newInsn = siteInsn(p, tr, loc, target)
	default:
		at = 0 // a trampoline with no patched instruction (mainline)
		if tr.PatchForms != nil {
			f := tr.PatchForms[target]
			off := tr.Loc - tr.Patch
			at, newInsn = tr.Loc, binary.LittleEndian.Uint32(f[off:])
			if int(off)+8 <= len(f) {
				newAdd = binary.LittleEndian.Uint32(f[off+4:])
			}
		}
		if tr.LitForms != nil && tr.LitWritten[target] {
			newLit = binary.LittleEndian.Uint64(tr.LitForms[target])
		}
	}
	word := func(v int) []byte {
		switch v {
		case valNew:
			return Word(newInsn)
		case valNewAdd:
			return Word(newAdd)
		case valNop:
			return Word(InsnNop)
		case valRet:
			return Word(InsnRet)
		}
		return binary.LittleEndian.AppendUint64(nil, newLit)
	}
	where := func(s sketchStep) (uint64, bool) {
		if s.addr == addrLit {
			return tr.Lit, tr.LitWin >= 0 && loc.Tramp
		}
		return at + uint64(s.off), at != 0
	}
	store := func(fn string, s sketchStep, flags int) {
		a, ok := where(s)
		if !ok {
			return // the sketch's step does not apply to this loc
		}
		if s.val == valOld {
			e.Fn = fn
			e.Emit(model.Op{Code: model.OpPokeSaved, Addr: a, Len: 4})
			return
		}
		poke(e, fn, a, word(s.val), flags)
	}
	for _, s := range steps {
		e.Fn = "sketch"
		switch s.op {
		case "lock":
			e.Emit(model.Op{Code: model.OpLock, A: s.arg})
		case "unlock":
			e.Emit(model.Op{Code: model.OpUnlock, A: s.arg})
		case "save":
			if at != 0 {
				e.Emit(model.Op{Code: model.OpSaveText, Addr: at, Len: 4})
			}
		case "kick_all_cpus_sync":
			kick(e)
		case "write":
			store("aarch64_insn_write", s, noMaint(arch))
		case "write_literal":
			store("aarch64_insn_write_literal_u64", s, 0)
		case "patch_text":
			store("aarch64_insn_patch_text", s, model.PokeStopMachine)
		case "patch_text_nosync":
			if a, ok := where(s); ok {
				store("aarch64_insn_patch_text_nosync", s, noMaint(arch))
				e.Fn = "caches_clean_inval_pou"
				e.Emit(model.Op{Code: model.OpCacheMaint, Addr: a, Len: 4})
			}
		case "cache_maint":
			if a, ok := where(s); ok {
				e.Fn = "caches_clean_inval_pou"
				e.Emit(model.Op{Code: model.OpCacheMaint, Addr: a, Len: 4})
			}
		case "write_pair", "write_pair_if_nop":
			if !loc.Tramp || !pairLayout(tr) {
				continue
			}
			insn := append(Word(InsnBTIC), word(s.val)...)
			if s.op == "write_pair_if_nop" && string(word(s.val)) != string(Word(InsnNop)) {
				poke(e, "__aarch64_insn_write", tr.Patch, insn, noMaint(arch))
				continue
			}
			lit := word(valNewLit)
			e.Fn = "__aarch64_insn_write"
			either := e.Emit(model.Op{Code: model.OpEither, Msg: "the two 64-bit halves of the 16-byte write become visible in either order"})
			poke(e, "__aarch64_insn_write", tr.Lit, lit, 0)
			poke(e, "__aarch64_insn_write", tr.Patch, insn, noMaint(arch))
			jump := e.Emit(model.Op{Code: model.OpJump})
			e.Land(either)
			poke(e, "__aarch64_insn_write", tr.Patch, insn, noMaint(arch))
			poke(e, "__aarch64_insn_write", tr.Lit, lit, 0)
			e.Land(jump)
		}
	}
}
