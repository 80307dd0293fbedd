package x86

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/patchcheck/patchcheck/arches/internal/image"
	"github.com/patchcheck/patchcheck/kernel"
	"github.com/patchcheck/patchcheck/model"
	"github.com/patchcheck/patchcheck/scenario"
)

// Port is the x86-64 static call port (arch/x86/kernel/static_call.c with
// HAVE_STATIC_CALL_INLINE, text_poke_bp from arch/x86/kernel/alternative.c).
type Port struct{}

// Addresses of the model's kernel image.
const (
	textBase    uint64 = 0xffffffff81000000
	harnessRet         = textBase            // calls made by the harness return here
	ret0Addr           = textBase + 0x80     // __static_call_return0
	retAddr            = textBase + 0x90     // __static_call_return
	targetsBase        = textBase + 0x100    // target functions, 16 bytes apart
	trampBase          = textBase + 0x1000   // .static_call.text: the model files' trampolines (layoutTramps)
	callerBase         = textBase + 0x2000   // a caller function per site, 64 bytes apart
	viaBase            = textBase + 0x3000   // a caller through each trampoline
	jumpBase           = textBase + 0x3400   // a function per jump label site, 64 bytes apart
	initBase           = textBase + 0x100000 // .init.text: callers of init sites
	moduleBase  uint64 = 0xffffffffc0000000  // module text; each module 64 KiB, init text at +32 KiB
	sentinel           = uint64(0xdeadbeef)  // %eax before each call
	valueBase          = 0x1000              // target i returns valueBase+i
	// trampWindow is the patchable window of a trampoline: the 5-byte
	// instruction arch_static_call_transform writes and the 3 bytes
	// after it that __static_call_validate compares with tramp_ud.
	trampWindow = 8
)

// layoutTramps assembles each key's trampoline from the model files
// (arch/x86/include/asm/static_call.h: __ARCH_DEFINE_STATIC_CALL_TRAMP
// under ".align 4" in .static_call.text, 8 bytes each as the kernel
// writes them, so trampoline k is at trampBase + 8k) into the image, and
// returns their addresses (the __SCT__ labels).
func layoutTramps(sc *scenario.Scenario, lay *kernel.Layout, at func(uint64) []byte) ([]uint64, error) {
	if len(sc.Keys) == 0 {
		return nil, nil
	}
	p := lay.Prog
	ts, err := kernel.TrampolineSource(sc, Port{})
	if err != nil {
		return nil, err
	}
	lay.Source = ts
	var out []uint64
	pc := trampBase
	for _, key := range sc.Keys {
		a, _, addr, err := ts.AssembleTramp(p, key.Name, key.Init, asmISA{}, pc, nil)
		if err != nil {
			return nil, err
		}
		end := a.Origin + uint64(len(a.Bytes))
		if end+trampWindow > callerBase {
			return nil, fmt.Errorf("key %s: the trampolines outgrow .static_call.text (%d bytes, model limit)", key.Name, callerBase-trampBase)
		}
		copy(at(a.Origin), a.Bytes)
		out = append(out, addr)
		pc = end
	}
	return out, nil
}

// Arch implements kernel.Port.
func (Port) Arch(fetch, variant string) (model.Arch, error) {
	switch fetch {
	case "", FetchByte:
		return &Arch{granule: 1}, nil
	case FetchAligned4:
		return &Arch{granule: 4}, nil
	}
	return nil, fmt.Errorf("unknown x86-64 fetch assumption %q (want byte or aligned4)", fetch)
}

// Fetches implements kernel.Port.
func (Port) Fetches() []string { return []string{FetchByte, FetchAligned4} }

// Variants implements kernel.Port.
func (Port) Variants() []kernel.Variant {
	return []kernel.Variant{
		{Name: VariantKernel, Doc: "the kernel: smp_text_poke_single, text_poke_bp before v6.16 (INT3, sync, tail bytes, sync, first byte, sync) with an emulating INT3 handler"},
	}
}

// Layout implements kernel.Port.
func (Port) Layout(sc *scenario.Scenario, arch model.Arch) (*kernel.Layout, error) {
	p := &model.Program{Arch: arch, Return: harnessRet, Sentinel: sentinel}
	region := func(name string, base uint64, n int, init bool) model.Region {
		b := make([]byte, n)
		for i := range b {
			b[i] = Int3Opcode // padding between functions
		}
		return model.Region{Name: name, Base: base, Bytes: b, Init: init}
	}
	p.Regions = []model.Region{region(".text", textBase, 0x3400+0x40*len(sc.Jumps), false)}
	lay := &kernel.Layout{Prog: p, InitText: -1}
	hasInit := false
	for _, st := range sc.Sites {
		hasInit = hasInit || st.Section == scenario.SectionInit && st.Module == ""
	}
	for _, j := range sc.Jumps {
		hasInit = hasInit || j.Section == scenario.SectionInit && j.Module == ""
	}
	if hasInit {
		lay.InitText = len(p.Regions)
		p.Regions = append(p.Regions, region(".init.text", initBase, 0x40*(len(sc.Sites)+len(sc.Jumps)), true))
	}
	modIdx := map[string]int{}
	for m, name := range sc.Modules {
		modIdx[name] = m
		base := moduleBase + 0x10000*uint64(m)
		p.Modules = append(p.Modules, [2]int{len(p.Regions), len(p.Regions) + 1})
		p.Regions = append(p.Regions, region(name+".text", base, 0x40*(len(sc.Sites)+len(sc.Jumps)), false),
			region(name+".init.text", base+0x8000, 0x40*(len(sc.Sites)+len(sc.Jumps)), false))
	}
	at := func(addr uint64) []byte {
		r := p.RegionOf(addr)
		return p.Regions[r].Bytes[addr-p.Regions[r].Base:]
	}
	sym := func(name string, addr, size uint64) {
		p.Symbols = append(p.Symbols, model.Symbol{Name: name, Addr: addr, Size: size})
	}
	sym("harness_return", harnessRet, 1)

	// Targets: 0 NULL, 1 __static_call_return0, then the scenario's.
	p.Targets = []model.TargetDef{{Name: scenario.Null}, {Name: scenario.Return0, Value: 0, Addr: ret0Addr}}
	copy(at(ret0Addr), []byte{0x31, 0xc0, RetOpcode})
	sym("__static_call_return0", ret0Addr, 3)
	at(retAddr)[0] = RetOpcode
	sym("__static_call_return", retAddr, 2)
	tgtIdx := map[string]int{scenario.Null: 0, scenario.Return0: 1}
	for i, name := range sc.Targets {
		addr := targetsBase + 16*uint64(i)
		v := uint64(valueBase + len(p.Targets))
		b := at(addr)
		b[0] = MovEAX
		binary.LittleEndian.PutUint32(b[1:], uint32(v))
		b[5] = RetOpcode
		tgtIdx[name] = len(p.Targets)
		p.Targets = append(p.Targets, model.TargetDef{Name: name, Value: v, Addr: addr})
		sym(name, addr, 6)
	}
	if targetsBase+16*uint64(len(sc.Targets)) > trampBase {
		return nil, fmt.Errorf("too many targets")
	}
	window := func(loc *kernel.Loc, n int) {
		w := model.WindowDef{Name: loc.Name, Base: loc.Addr, Size: n, Key: loc.Key}
		copy(w.Init[:], at(loc.Addr)[:n])
		for t := range p.Targets {
			code, _ := insnFor(p, *loc, t)
			form := append([]byte(nil), code...)
			if loc.Tramp {
				// The transform writes the instruction; the bytes
				// after it (the ud1 signature) stay as laid out.
				form = append(form, w.Init[len(code):n]...)
				if t == p.Keys[loc.Key].Init && !bytes.Equal(form, w.Init[:n]) {
					// The trampoline as DEFINE_STATIC_CALL_NULL
					// leaves it (ret; int3; nop; nop; nop), which
					// __static_call_transform's retinsn (ret and
					// four int3) replaces.
					w.AtRest[t] = [][]byte{append([]byte(nil), w.Init[:n]...)}
				}
			}
			w.AtRest[t] = append(w.AtRest[t], form)
			if loc.Unpatched != nil {
				w.AtRest[t] = append(w.AtRest[t], loc.Unpatched)
			}
		}
		loc.Window = len(p.Windows)
		p.Windows = append(p.Windows, w)
	}

	// Trampolines: __SCT__key in .static_call.text, as the model files'
	// ARCH_DEFINE_STATIC_CALL_*TRAMP macros write it for the key's
	// initial target, assembled one after the other (layoutTramps); then
	// a caller that calls through it (an out-of-line static_call()).
	tramps, err := layoutTramps(sc, lay, at)
	if err != nil {
		return nil, err
	}
	for k, key := range sc.Keys {
		init := tgtIdx[key.Init]
		p.Keys = append(p.Keys, model.KeyDef{Name: key.Name, Init: init})
		addr := tramps[k]
		loc := kernel.Loc{Name: "__SCT__" + key.Name, Addr: addr, Tramp: true, Key: k}
		sym(loc.Name, addr, trampWindow)
		window(&loc, trampWindow)
		lay.Tramps = append(lay.Tramps, loc)

		via := viaBase + 0x40*uint64(k)
		copy(at(via), GenInsn([]byte{CallOpcode}, via, addr))
		at(via)[5] = RetOpcode
		sym("call_"+loc.Name, via, 6)
	}

	// Sites: each in a caller function of its own, so that no two share a
	// fetch granule.
	siteEntry := map[string]uint64{}
	for i, st := range sc.Sites {
		fn := callerBase + 0x40*uint64(i)
		switch {
		case st.Module != "":
			fn = moduleBase + 0x10000*uint64(modIdx[st.Module]) + 0x40*uint64(i)
			if st.Section == scenario.SectionInit {
				fn += 0x8000
			}
		case st.Section == scenario.SectionInit:
			fn = initBase + 0x40*uint64(i)
		}
		addr := fn
		if st.Kind == scenario.KindJcc {
			copy(at(fn), []byte{0x31, 0xc9}) // xor %ecx,%ecx: ZF=1, so je is taken
			addr = fn + 2
		}
		k := 0
		for j, key := range sc.Keys {
			if key.Name == st.Key {
				k = j
			}
		}
		loc := kernel.Loc{Name: st.Name, Addr: addr, Kind: st.Kind, Key: k, Init: st.Section == scenario.SectionInit,
			TrampRef: st.KeyRef == scenario.KeyRefTramp}
		if st.Module != "" {
			loc.Module = modIdx[st.Module] + 1
		}
		tramp := tramps[k]
		switch st.Kind {
		case scenario.KindCall:
			loc.Unpatched = GenInsn([]byte{CallOpcode}, addr, tramp)
		case scenario.KindTail:
			loc.Unpatched = GenInsn([]byte{Jmp32Opcode}, addr, tramp)
		default:
			loc.Unpatched = GenInsn([]byte{0x0f, 0x84}, addr, tramp)
		}
		code, _ := insnFor(p, loc, p.Keys[k].Init)
		copy(at(addr), code)
		if st.Kind != scenario.KindTail {
			at(addr)[len(code)] = RetOpcode
		}
		sym("caller_"+st.Name, fn, uint64(addr-fn)+uint64(len(code))+1)
		sym(st.Name, addr, uint64(len(code)))
		window(&loc, len(code))
		lay.Sites = append(lay.Sites, loc)
		siteEntry[st.Name] = fn
	}

	layoutJumps(sc, p, lay, modIdx)

	for _, c := range sc.CPUs {
		var prog model.CPUProg
		for _, call := range c.Calls {
			if key, ok := scenario.TrampCallKey(call); ok {
				for k, kd := range p.Keys {
					if kd.Name == key {
						prog.Calls = append(prog.Calls, model.CallDef{Name: call, Entry: viaBase + 0x40*uint64(k), Key: k})
					}
				}
				continue
			}
			for i, st := range sc.Sites {
				if st.Name == call {
					s := lay.Sites[i]
					prog.Calls = append(prog.Calls, model.CallDef{Name: call, Entry: siteEntry[call], Key: s.Key,
						Module: s.Module, ModInit: s.Module != 0 && s.Init})
				}
			}
			for _, j := range lay.Jumps {
				if j.Name == call {
					prog.Calls = append(prog.Calls, model.CallDef{Name: call, Entry: j.Addr, Key: j.Key,
						Module: j.Module, ModInit: j.Module != 0 && j.Init})
				}
			}
		}
		p.CPUs = append(p.CPUs, prog)
	}
	return lay, nil
}

// layoutJumps lays out the scenario's static keys, after the static call
// keys, and their jump label sites (image.Builder.Jump): each site is a
// function of its own, as arch_static_branch() (or
// arch_static_branch_jump()) leaves it in the caller
// (arch/x86/include/asm/jump_label.h):
//
//	site:   jmp l_yes / NOP        (2 or 5 bytes: the patchable window)
//	        mov $V, %eax; ret      (the way the branch falls through to)
//	l_yes:  mov $V', %eax; ret     (the way the jump takes)
//
// jump_label_init() has run: each site holds the instruction of its
// key's initial value (JMP when enabled ^ branch, else the NOP of its
// size). A module's site (module=) is in that module's text or init
// text, after its static call sites' callers, as the compiler emitted it
// for the key's initial type (jump_label_init_type()): what
// jump_label_add_module() finds when the module loads.
func layoutJumps(sc *scenario.Scenario, p *model.Program, lay *kernel.Layout, modIdx map[string]int) {
	b := &image.Builder{P: p, Lay: lay, Order: binary.LittleEndian}
	keys := image.StaticKeys(sc, p, valueBase)
	initFn := initBase + 0x40*uint64(len(sc.Sites))
	for i, j := range sc.Jumps {
		fn := jumpBase + 0x40*uint64(i)
		switch {
		case j.Module != "":
			fn = moduleBase + 0x10000*uint64(modIdx[j.Module]) + 0x40*uint64(len(sc.Sites)+i)
			if j.Section == scenario.SectionInit {
				fn += 0x8000
			}
		case j.Section == scenario.SectionInit:
			fn = initFn + 0x40*uint64(i)
		}
		n := j.Size
		if n == 0 {
			n = scenario.JumpSize32
		}
		op, nop := byte(Jmp32Opcode), Nop5
		if n == scenario.JumpSize8 {
			op, nop = Jmp8Opcode, Nop2
		}
		b.Jump(j, keys[j.Key], image.JumpSite{Addr: fn, Size: n, Nop: nop, Module: modIdx[j.Module] + 1,
			Jump: func(addr, dest uint64) []byte {
				jmp, _ := genInsn(op, addr, dest, n)
				return jmp
			},
			Way: func(v uint64) []byte {
				w := []byte{MovEAX, 0, 0, 0, 0, RetOpcode}
				binary.LittleEndian.PutUint32(w[1:], uint32(v))
				return w
			}})
	}
}

// insnFor is __static_call_transform's choice of instruction for loc and
// target, with the instruction the INT3 handler emulates. A Jcc tail site
// stays a Jcc: the kernel checks the current text for 0f 8x; the model
// knows the site's kind.
func insnFor(p *model.Program, loc kernel.Loc, target int) (code, emulate []byte) {
	if loc.Kind == kernel.KindJump {
		// A jump label site: the JMP to l_yes when the way is
		// enabled ^ branch (JUMP_LABEL_JMP), else the NOP of its size.
		kd := p.Keys[loc.Key]
		if (target == kd.True) != loc.Likely {
			op := byte(Jmp32Opcode)
			if loc.Size == scenario.JumpSize8 {
				op = Jmp8Opcode
			}
			code, _ = genInsn(op, loc.Addr, loc.Dest, loc.Size)
		} else if loc.Size == scenario.JumpSize8 {
			code = Nop2
		} else {
			code = Nop5
		}
		return code, code
	}
	dest := p.Targets[target].Addr
	null := target == model.TargetNull
	switch {
	case loc.Kind == scenario.KindJcc && !loc.Tramp:
		// A tail site that is a Jcc.d32 stays one; NULL goes to
		// __static_call_return.
		if null {
			dest = retAddr
		}
		code = GenInsn([]byte{0x0f, 0x84}, loc.Addr, dest)
	case loc.Tail():
		if null {
			code = RetInsn
		} else {
			code = GenInsn([]byte{Jmp32Opcode}, loc.Addr, dest)
		}
	default:
		switch {
		case null:
			code = Nop5
		case target == model.TargetReturn0:
			// xor5rax; the INT3 handler emulates the CALL.
			return Xor5rax, GenInsn([]byte{CallOpcode}, loc.Addr, dest)
		default:
			code = GenInsn([]byte{CallOpcode}, loc.Addr, dest)
		}
	}
	return code, code
}

// Transform implements kernel.Port. x86's arch_static_call_transform is
// model source (arch/x86/kernel/static_call.c and alternative.c), which
// the compiler always has: the built-in it stands for is never reached.
func (Port) Transform(e *kernel.Emitter, lay *kernel.Layout, loc kernel.Loc, target int, variant string) {
	panic("patchcheck: x86's arch_static_call_transform is model source")
}

// ModelArch implements kernel.ModelTransformPort: x86's
// arch_static_call_transform, __static_call_transform and the
// smp_text_poke_* family are the model files under arch/x86/.
func (Port) ModelArch() string { return "x86" }

// Bytes implements kernel.ModelTransformPort: x86_nops[5] and
// x86_nops[2], the 5- and 2-byte NOPs of arch/x86/kernel/alternative.c (an array of arrays, which the
// model language does not have).
func (Port) Bytes(name string) ([]byte, bool) {
	switch name {
	case "x86_nops[5]":
		return Nop5, true
	case "x86_nops[2]":
		return Nop2, true
	}
	return nil, false
}

// Gen implements kernel.ModelTransformPort: text_gen_insn(opcode, addr,
// dest) and __text_gen_insn(opcode, addr, dest, size) of
// arch/x86/include/asm/text-patching.h (v6.16): the opcode, then, when
// size > 1, dest - (addr + size) in the size-1 bytes after it.
func (Port) Gen(name string, args []uint64) ([]byte, error) {
	switch {
	case name == "text_gen_insn" && len(args) == 3:
		size := textOpcodeSize(byte(args[0]))
		if size == 0 || args[0] > 0xff {
			return nil, fmt.Errorf("text_gen_insn of opcode %#x: text_opcode_size() knows INT3, RET, CALL, JMP32 and JMP8", args[0])
		}
		return genInsn(byte(args[0]), args[1], args[2], size)
	case name == "__text_gen_insn" && len(args) == 4:
		if args[0] > 0xff || args[3] < 1 || args[3] > 5 || int(args[3]) < textOpcodeSize(byte(args[0])) {
			return nil, fmt.Errorf("size %d for opcode %#x: BUG_ON(size < text_opcode_size(opcode))", args[3], args[0])
		}
		return genInsn(byte(args[0]), args[1], args[2], int(args[3]))
	}
	return nil, fmt.Errorf("x86 has no instruction generator %s of %d arguments", name, len(args))
}

// Value implements kernel.ModelTransformPort: x86's model files call no
// value functions of the ISA.
func (Port) Value(name string, args []uint64) (uint64, bool, error) { return 0, false, nil }

// textOpcodeSize is text_opcode_size() (0 for other opcodes).
func textOpcodeSize(op byte) int {
	switch op {
	case Int3Opcode, RetOpcode:
		return 1
	case CallOpcode, Jmp32Opcode:
		return 5
	case 0xeb: // JMP8
		return 2
	}
	return 0
}

// genInsn is __text_gen_insn's encoding.
func genInsn(op byte, addr, dest uint64, size int) ([]byte, error) {
	out := []byte{op}
	if size > 1 {
		disp := int64(dest - (addr + uint64(size)))
		if size == 2 && disp>>31 != disp>>7 {
			return nil, fmt.Errorf("BUG_ON: JMP8 displacement %d does not fit a signed byte", disp)
		}
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], uint32(int32(disp)))
		out = append(out, b[:size-1]...)
	}
	return out, nil
}

// textPokeEarly emits text_poke_early() for sketches: a plain memcpy and
// a sync_core() on the patching CPU only. Its precondition is that no
// other CPU can run the code (SYSTEM_BOOTING: the other CPUs are not up
// yet).
func textPokeEarly(e *kernel.Emitter, addr uint64, code []byte) {
	e.Fn = "text_poke_early"
	b, l := kernel.Bytes(code)
	e.Emit(model.Op{Code: model.OpPoke, Addr: addr, Bytes: b, Len: l})
}

// textPokeSync emits smp_text_poke_sync_each_cpu() (text_poke_sync
// before v6.16): on_each_cpu(do_sync_core, NULL, 1).
func textPokeSync(e *kernel.Emitter) {
	fn := e.Fn
	e.Fn = "smp_text_poke_sync_each_cpu"
	e.Emit(model.Op{Code: model.OpSync})
	e.Emit(model.Op{Code: model.OpSyncWait})
	e.Fn = fn
}

// TextPokeBP emits smp_text_poke_single(addr, code, len, emulate) for a
// sketch's text_poke_bp step, as the model files compile it
// (arch/x86/kernel/alternative.c at v6.16): the ordering test of
// smp_text_poke_batch_add(), the entry added with the refs set in the
// same step, then smp_text_poke_batch_finish()'s rounds.
func TextPokeBP(e *kernel.Emitter, addr uint64, code, emulate []byte) {
	flush(e, addr)
	e.Fn = "smp_text_poke_single"
	b, l := kernel.Bytes(code)
	eb, _ := kernel.Bytes(emulate)
	e.Emit(model.Op{Code: model.OpPokeAdd, Addr: addr, Bytes: b, Len: l, Emul: eb, B: model.PokeAddArm})
	batchProcess(e)
}

// flush emits the ordering test of smp_text_poke_batch_add(addr): when
// addr is below the last queued entry (text_poke_addr_ordered), the
// queued entries are processed first, so that the array stays sorted. A
// local test: with nothing queued it costs no step.
func flush(e *kernel.Emitter, addr uint64) {
	e.Fn = "smp_text_poke_batch_add"
	ordered := e.Emit(model.Op{Code: model.OpJumpIfPokeOrdered, Addr: addr})
	e.Emit(model.Op{Code: model.OpPokeArm})
	batchProcess(e)
	e.Land(ordered)
}

// batchProcess emits the rounds of smp_text_poke_batch_finish() after
// its refs are set: INT3 into every entry, sync; every entry's tail
// bytes, sync if any; every first byte that is not INT3, sync if any;
// then drop every CPU's text_poke_array_refs and wait for in-flight INT3
// handlers, and nr_entries = 0.
func batchProcess(e *kernel.Emitter) {
	e.Fn = "smp_text_poke_batch_finish"
	e.Emit(model.Op{Code: model.OpPokeRound, A: model.PokeInt3})
	textPokeSync(e)
	for _, round := range []int{model.PokeTail, model.PokeFirst} {
		e.Fn = "smp_text_poke_batch_finish"
		skip := e.Emit(model.Op{Code: model.OpJumpIfNoPoke, A: round})
		e.Emit(model.Op{Code: model.OpPokeRound, A: round})
		textPokeSync(e)
		e.Land(skip)
	}
	e.Fn = "smp_text_poke_batch_finish"
	e.Emit(model.Op{Code: model.OpPokePut})
	e.Emit(model.Op{Code: model.OpPokeWait})
}

// validation returns the __static_call_validate check a sketch's
// validate step makes for loc, and how many bytes of text it reads.
func validation(loc kernel.Loc) (check, n int) {
	switch {
	case loc.Kind == kernel.KindJump:
		return CheckJump, loc.Size
	case loc.Tramp:
		return CheckTramp, 8
	case loc.Kind == scenario.KindJcc:
		return CheckTail, 6
	case loc.Kind == scenario.KindTail:
		return CheckTail, 5
	}
	return CheckCall, 5
}
