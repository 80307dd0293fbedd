package x86

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/patchcheck/patchcheck/kernel"
	"github.com/patchcheck/patchcheck/model"
	"github.com/patchcheck/patchcheck/scenario"
)

// SketchSteps documents the x86-64 sketch vocabulary: the primitive steps
// a scenario's sketch can use in place of arch_static_call_transform.
var sketchSteps = append(kernel.MutexSteps(), []kernel.StepDoc{
	{Form: "validate", Doc: "__static_call_validate(loc): BUG unless loc holds a CALL/NOP5/xor5rax (call site) or JMP/RET/Jcc (tail site, trampoline); at a jump label site, unless it holds a JMP or NOP of its size (arch_jump_entry_size)"},
	{Form: "skip_if_same", Doc: "if (!memcmp(loc, new, len)) skip to the next unlock step (the return to arch_static_call_transform, which unlocks text_mutex), or to the end"},
	{Form: "write ADDR VALUE", Doc: "text_poke: store VALUE at ADDR (one store, byte-granular for fetch)"},
	{Form: "sync", Doc: "text_poke_sync(): IPI every CPU to run sync_core(), and wait"},
	{Form: "bp_set new|nop", Doc: "smp_text_poke_single's start: add loc to text_poke_array and set every CPU's text_poke_array_refs to 1: the INT3 handler emulates new, or skips loc (nop)"},
	{Form: "bp_put", Doc: "atomic_dec_and_test() of every CPU's text_poke_array_refs"},
	{Form: "bp_wait", Doc: "wait until every CPU's text_poke_array_refs is 0, then text_poke_array.nr_entries = 0"},
	{Form: "bp_clear", Doc: "text_poke_array.nr_entries = 0 without waiting for the refs"},
	{Form: "text_poke_bp", Doc: "the kernel's smp_text_poke_single(loc, new) (text_poke_bp before v6.16): add loc and set the refs; INT3 into every entry of text_poke_array; sync; every entry's tail; sync; every first byte; sync; bp_put; bp_wait"},
	{Form: "booting: STEP, running: STEP", Doc: "STEP runs only while system_state is SYSTEM_BOOTING, or only after: __static_call_transform's choice of text_poke_early or text_poke_bp"},
	{Form: "text_poke_early", Doc: "text_poke_early(loc, new): write loc new and sync_core() on this CPU only"},
}...)

// SketchVocabulary returns the x86-64 sketch steps and what they do.
func SketchVocabulary() [][2]string { return kernel.Vocabulary(sketchSteps) }

// CheckSketch implements kernel.Port: it compiles steps against a dummy
// location to find errors before exploring.
func (p Port) CheckSketch(steps []scenario.SketchStep) error {
	e := &kernel.Emitter{}
	loc := kernel.Loc{Name: "site", Addr: 0x1000, Kind: scenario.KindCall}
	_, err := compileSketch(e, loc, GenInsn([]byte{CallOpcode}, 0x1000, 0x2000), GenInsn([]byte{CallOpcode}, 0x1000, 0x2000), steps, true)
	return err
}

// SketchesJumps implements kernel.JumpSketcher: an x86 sketch also
// patches jump label sites (validate checks the JMP or NOP of the
// site's size; new is the JMP to l_yes or the NOP).
func (Port) SketchesJumps() bool { return true }

// Sketch implements kernel.Port: the scenario's sketch for one location.
func (p Port) Sketch(e *kernel.Emitter, lay *kernel.Layout, loc kernel.Loc, target int) {
	code, emulate := insnFor(lay.Prog, loc, target)
	if _, err := compileSketch(e, loc, code, emulate, lay.Sketch, lay.MayBoot); err != nil {
		panic("patchcheck: a sketch that CheckSketch accepted does not compile: " + err.Error())
	}
}

// Prefixes of x86 sketch steps: "booting: STEP" runs only while
// system_state is SYSTEM_BOOTING, "running: STEP" only after. Together
// they are __static_call_transform's
// if (system_state == SYSTEM_BOOTING) text_poke_early(...) else text_poke_bp(...).
const (
	prefixBooting = "booting:"
	prefixRunning = "running:"
)

// compileSketch emits steps for loc, whose new instruction is code (the
// INT3 handler emulates emulate); mayBoot says whether the scenario can
// patch while SYSTEM_BOOTING (else the booting: steps are left out).
func compileSketch(e *kernel.Emitter, loc kernel.Loc, code, emulate []byte, steps []scenario.SketchStep, mayBoot bool) (int, error) {
	var skips []int
	check, n := validation(loc)
	saved := false
	one := func(i int, st scenario.SketchStep) error {
		e.Fn = "sketch"
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
		switch st.Op {
		case "lock", "unlock":
			if err := want(1); err != nil {
				return err
			}
			a, ok := kernel.MutexByName(st.Args[0])
			if !ok {
				return bad("unknown mutex %q (want text_mutex or static_call_mutex)", st.Args[0])
			}
			c := model.OpLock
			if st.Op == "unlock" {
				c = model.OpUnlock
				// A skip returns from __static_call_transform to
				// arch_static_call_transform, which unlocks.
				for _, s := range skips {
					e.Land(s)
				}
				skips = nil
			}
			e.Emit(model.Op{Code: c, A: a})
		case "validate":
			if err := want(0); err != nil {
				return err
			}
			op := model.Op{Code: model.OpCheck, Addr: loc.Addr, Len: uint8(n), B: check}
			if textMutexHeld(e) {
				// Text is only written under text_mutex: the check
				// folds into the step before, as the model source's
				// __static_call_validate (docs/language.md rule 3).
				op.A = model.CheckLocal
			}
			e.Emit(op)
		case "skip_if_same":
			if err := want(0); err != nil {
				return err
			}
			b, l := kernel.Bytes(code)
			op := model.Op{Code: model.OpJumpIfText, Addr: loc.Addr, Bytes: b, Len: l}
			if textMutexHeld(e) {
				// As the model source's memcmp in
				// __static_call_transform (docs/language.md rule 3).
				op.B = model.TextLocal
			}
			skips = append(skips, e.Emit(op))
		case "write":
			if err := want(2); err != nil {
				return err
			}
			off, err := sketchAddr(st.Args[0])
			if err != nil {
				return bad("%v", err)
			}
			val, old, err := sketchValue(st.Args[1], code)
			if err != nil {
				return bad("%v", err)
			}
			if off+len(val) > n || len(val) == 0 {
				return bad("writes %d byte(s) at loc+%d, past the %d bytes of the location", len(val), off, n)
			}
			if old >= 0 {
				if !saved {
					return bad("old: no saved bytes (a sketch with old begins with save)")
				}
				e.Emit(model.Op{Code: model.OpPokeSaved, Addr: loc.Addr + uint64(off), A: old, Len: uint8(len(val))})
				break
			}
			b, l := kernel.Bytes(val)
			e.Emit(model.Op{Code: model.OpPoke, Addr: loc.Addr + uint64(off), Bytes: b, Len: l})
		case "save":
			if err := want(0); err != nil {
				return err
			}
			e.Emit(model.Op{Code: model.OpSaveText, Addr: loc.Addr, Len: uint8(n)})
			saved = true
		case "sync":
			if err := want(0); err != nil {
				return err
			}
			textPokeSync(e)
		case "bp_set":
			if err := want(1); err != nil {
				return err
			}
			emu := emulate
			switch st.Args[0] {
			case "new":
			case "nop":
				emu = Nop5[:min(5, len(code))]
				if len(code) == 6 {
					emu = append(append([]byte(nil), Nop5...), Nop1)
				}
			default:
				return bad("bp_set takes new or nop, not %q", st.Args[0])
			}
			b, l := kernel.Bytes(code)
			eb, _ := kernel.Bytes(emu)
			e.Emit(model.Op{Code: model.OpPokeAdd, Addr: loc.Addr, Bytes: b, Len: l, Emul: eb, B: model.PokeAddArm})
		case "bp_put", "bp_wait", "bp_clear":
			if err := want(0); err != nil {
				return err
			}
			switch st.Op {
			case "bp_put":
				e.Emit(model.Op{Code: model.OpPokePut})
			case "bp_wait":
				e.Emit(model.Op{Code: model.OpPokeWait})
			default:
				e.Emit(model.Op{Code: model.OpPokeWait, B: model.PokeNoWait})
			}
		case "text_poke_bp":
			if err := want(0); err != nil {
				return err
			}
			TextPokeBP(e, loc.Addr, code, emulate)
		case "text_poke_early":
			if err := want(0); err != nil {
				return err
			}
			textPokeEarly(e, loc.Addr, code)
		default:
			return bad("unknown step %q (x86-64 sketch steps: %s)", st.Op, stepNames())
		}
		return nil
	}
	for i := 0; i < len(steps); i++ {
		if op := steps[i].Op; op != prefixBooting && op != prefixRunning {
			if err := one(i, steps[i]); err != nil {
				return 0, err
			}
			continue
		}
		boot, run, end, err := prefixedBlock(steps, i)
		if err != nil {
			return 0, err
		}
		emit := func(ks []int) error {
			for _, k := range ks {
				st := steps[k]
				st.Op, st.Args = st.Args[0], st.Args[1:]
				if err := one(k, st); err != nil {
					return err
				}
			}
			return nil
		}
		if !mayBoot {
			boot = nil
		}
		var toLive, done int
		if len(boot) > 0 {
			e.Fn = "__static_call_transform"
			booting := e.Emit(model.Op{Code: model.OpJumpIfBooting})
			toLive = e.Emit(model.Op{Code: model.OpJump})
			e.Land(booting)
			if err := emit(boot); err != nil {
				return 0, err
			}
			done = e.Emit(model.Op{Code: model.OpJump})
			e.Land(toLive)
		}
		if err := emit(run); err != nil {
			return 0, err
		}
		if len(boot) > 0 {
			e.Land(done)
		}
		i = end - 1
	}
	for _, s := range skips {
		e.Land(s)
	}
	return len(steps), nil
}

// prefixedBlock reads the run of booting:/running: steps from i: the
// indices of each kind and where the run ends. Each kind must stand
// together, as the two branches of an if.
func prefixedBlock(steps []scenario.SketchStep, i int) (boot, run []int, end int, err error) {
	end = i
	for ; end < len(steps) && (steps[end].Op == prefixBooting || steps[end].Op == prefixRunning); end++ {
		st := steps[end]
		bad := func(msg string) error {
			return &scenario.Error{Line: st.Line, Col: st.Col, Msg: fmt.Sprintf("sketch step %d (%s): %s", end+1, st, msg)}
		}
		if len(st.Args) == 0 {
			return nil, nil, 0, bad("a prefix without a step")
		}
		list := &run
		if st.Op == prefixBooting {
			list = &boot
		}
		if n := len(*list); n > 0 && (*list)[n-1] != end-1 {
			return nil, nil, 0, bad("the booting: steps and the running: steps must each stand together")
		}
		*list = append(*list, end)
	}
	return boot, run, end, nil
}

func stepNames() string {
	var n []string
	for _, s := range sketchSteps {
		n = append(n, strings.Fields(s.Form)[0])
	}
	return strings.Join(n, ", ") + ", save"
}

// sketchAddr parses loc or loc+N.
func sketchAddr(a string) (int, error) {
	if a == "loc" {
		return 0, nil
	}
	if rest, ok := strings.CutPrefix(a, "loc+"); ok {
		if n, err := strconv.Atoi(rest); err == nil && n >= 0 && n < model.WinSize {
			return n, nil
		}
	}
	return 0, fmt.Errorf("address %q: want loc or loc+N", a)
}

// sketchValue parses new, new[i:j], new[i], old, old[i:j], int3, nop5; for
// old it returns the byte offset into the saved bytes and the length via
// the returned slice's length.
func sketchValue(v string, code []byte) ([]byte, int, error) {
	switch v {
	case "int3":
		return []byte{Int3Opcode}, -1, nil
	case "nop5":
		return Nop5, -1, nil
	}
	base, sl, hasSlice := strings.Cut(v, "[")
	var src []byte
	old := false
	switch base {
	case "new":
		src = code
	case "old":
		src = make([]byte, len(code))
		old = true
	default:
		return nil, 0, fmt.Errorf("value %q: want new, new[i:j], old, old[i:j], int3 or nop5", v)
	}
	lo, hi := 0, len(src)
	if hasSlice {
		body, ok := strings.CutSuffix(sl, "]")
		if !ok {
			return nil, 0, fmt.Errorf("value %q: missing ]", v)
		}
		a, b, colon := strings.Cut(body, ":")
		var err error
		num := func(s string, def int) int {
			if s == "" {
				return def
			}
			x, e := strconv.Atoi(s)
			if e != nil && err == nil {
				err = e
			}
			return x
		}
		lo = num(a, 0)
		if colon {
			hi = num(b, len(src))
		} else {
			hi = lo + 1
		}
		if err != nil || lo < 0 || hi > len(src) || lo >= hi {
			return nil, 0, fmt.Errorf("value %q: bad slice of %d bytes", v, len(src))
		}
	}
	if old {
		return src[lo:hi], lo, nil
	}
	return src[lo:hi], -1, nil
}

// textMutexHeld reports whether the ops emitted so far leave text_mutex
// held: the last lock or unlock of it is a lock.
func textMutexHeld(e *kernel.Emitter) bool {
	for i := len(e.Ops) - 1; i >= 0; i-- {
		op := e.Ops[i]
		if (op.Code == model.OpLock || op.Code == model.OpUnlock) && op.A == kernel.TextMutex {
			return op.Code == model.OpLock
		}
	}
	return false
}
