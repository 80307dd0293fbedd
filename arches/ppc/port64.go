package ppc

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/patchcheck/patchcheck/kernel"
	"github.com/patchcheck/patchcheck/lang"
	"github.com/patchcheck/patchcheck/model"
	"github.com/patchcheck/patchcheck/scenario"
)

// Port64 is the powerpc64 ELFv2 (big-endian) static call port: the
// out-of-line designs of Benjamin Gray's 2022 series ("Out-of-line static
// calls for powerpc64 ELF V2", RFC of 2022-09-01, v1-v4 to 2022-10-10,
// not merged), with vmlinux and each module in a TOC domain of its own,
// the linker's and the module loader's call stubs, and the PACA's kernel
// TOC.
type Port64 struct{}

// Variant64V4 is powerpc64's variant of its own: the design the series
// ended with (v3/v4), model source; mainline has no powerpc64 static
// calls. The other designs (the RFC's and two known-bad v4 variants) are
// diffs to the model files (kernel/variants).
const Variant64V4 = "gray-v4"

// Addresses of the powerpc64 image.
const (
	k64Base     uint64 = 0xc000000000000000
	k64Ret0            = k64Base + 0x80      // __static_call_return0
	k64Targets         = k64Base + 0x100     // kernel targets, 32 bytes apart
	k64Tramps          = k64Base + 0x1000    // kernel trampolines, 128 bytes apart
	k64Stubs           = k64Base + 0x2000    // the linker's r2-save stubs, 16 bytes apart
	k64Callers         = k64Base + 0x3000    // kernel callers, 64 bytes apart
	k64Data            = k64Base + 0x10000   // the kernel's TOC-addressed data (.got/.toc)
	k64TOC             = k64Data + 0x8000    // .TOC.
	k64PACA            = k64Base + 0x20000   // a PACA: kernel_toc at PACATOC
	k64Jumps           = k64Base + 0x6000    // a function per jump label site, 32 bytes apart
	k64InitText        = k64Base + 0x100000  // .init.text: jump label sites in init text
	k64Far             = k64Base + 0x4000000 // far kernel text (64 MiB on)
	k64Stack           = k64Base + 0x1000000 // r1 when a call starts
	m64Base     uint64 = 0xc008000000000000  // module m at m64Base + 16 MiB * m
	m64Span            = 0x1000000
	pacaTOC            = 16    // PACATOC: offsetof(struct paca_struct, kernel_toc)
	pacaLP             = 0x100 // the model's livepatch-stack save area (rfc-opt2), from r13
	sentinel64  uint64 = 0xdeadbeefdeadbeef
	r2Save             = 24 // R2_STACK_OFFSET: the TOC save doubleword (ELFv2)
	stubMagic          = 0x73747562
)

// Offsets in the module area.
const (
	mTargets = 0x100  // module targets, 32 bytes apart
	mTramps  = 0x1000 // module trampolines, 128 bytes apart
	mStubs   = 0x2000 // the module loader's stubs, 64 bytes apart
	mCallers = 0x3000 // module callers, 64 bytes apart
	mData    = 0x10000
	mTOC     = mData + 0x8000
)

// Arch implements kernel.Port.
func (Port64) Arch(fetch, variant string) (model.Arch, error) { return newArch(ABI64, fetch) }

// Fetches implements kernel.Port.
func (Port64) Fetches() []string { return []string{FetchWord, FetchStrict} }

// Features implements kernel.FeaturePort.
func (Port64) Features() []string {
	return []string{kernel.FeatureFar, kernel.FeatureModuleTarget, kernel.FeatureModuleKey, kernel.FeatureCaller, kernel.FeatureModuleCaller}
}

// Variants implements kernel.Port.
func (Port64) Variants() []kernel.Variant {
	return []kernel.Variant{
		{Name: Variant64V4, Doc: "the v3/v4 design (Oct 2022): trampolines marked .localentry NAME,1 so that the linker and the module loader save and restore the caller's TOC; the kernel trampoline loads r2 from the PACA, a module trampoline computes its own; b to the local entry when the TOC is shared and in range, else the global entry through the data word"},
	}
}

// layout64 is the powerpc64 image being laid out.
type layout64 struct {
	*builder
	mods   map[string]int
	stubs  map[[2]uint64]uint64 // (caller's module text, destination) -> stub
	nStubs map[string]int
	// forms: per key, what the model files' transform writes to its
	// trampoline.
	forms []*trampForms
	// links: per key, how callers reach its trampoline (linkage).
	links []linkage
	// saveTOC, pacaTOC: the model files' call-site markers
	// (PPC_SCT_CALL_SAVES_TOC, PPC_SCT_CALL_RELOADS_PACA_TOC).
	saveTOC, pacaTOC bool
}

// linkage is how the toolchain calls a trampoline, as its text declares
// it: .localentry NAME, 1 (r2 caller-saved: the linker's and the module
// loader's stubs save and restore it), a global entry that computes r2
// from r12 with the local entry after it (a local function that
// preserves r2: callers branch to the local entry), or neither (a
// function the toolchain takes to preserve r2, entered where it starts).
type linkage struct {
	r2Saved bool
	local   uint64 // the local entry's offset
}

// domainBase returns the base of module name's area, or of vmlinux.
func (l *layout64) domainBase(module string) uint64 {
	if module == "" {
		return k64Base
	}
	return m64Base + m64Span*uint64(l.mods[module])
}

func (l *layout64) tocOf(module string) uint64 {
	if module == "" {
		return k64TOC
	}
	return l.domainBase(module) + mTOC
}

// Layout implements kernel.Port.
func (Port64) Layout(sc *scenario.Scenario, arch model.Arch) (*kernel.Layout, error) {
	if err := unsupported(sc, ABI64); err != nil {
		return nil, err
	}
	img := &Image{ABI: ABI64, StackTop: k64Stack, PACA: k64PACA, LPSave: k64PACA + pacaLP, HarnessTOC: k64TOC, Ret0: k64Ret0}
	l := &layout64{builder: newBuilder(sc, arch, img, k64Base, sentinel64),
		mods: map[string]int{}, stubs: map[[2]uint64]uint64{}, nStubs: map[string]int{}}
	p := l.p
	img.layout = l
	for i, m := range sc.Modules {
		l.mods[m] = i
	}
	l.region(".text", k64Base, 0x4000, k64TOC, "vmlinux")
	l.region(".data", k64Data, 0x1000, k64TOC, "vmlinux")
	l.region("paca", k64PACA, 0x20, k64TOC, "vmlinux")
	l.put64(k64PACA+pacaTOC, k64TOC)
	l.Sym("harness_return", k64Base, 4)
	l.Sym("paca", k64PACA, 0x20)
	for _, m := range sc.Modules {
		if hasModuleJumps(sc) {
			// Modules that carry only jump label sites
			// (jumpOnlyModules): their regions are jumpRegions'.
			break
		}
		base := l.domainBase(m)
		l.region(m+".text", base, 0x4000, l.tocOf(m), m)
		l.region(m+".data", base+mData, 0x1000, l.tocOf(m), m)
	}

	// Targets: 0 NULL, 1 __static_call_return0 (li r3,0; blr: no TOC),
	// then the scenario's: each a TOC-using function that loads its
	// value from its domain's TOC-addressed data.
	p.Targets = []model.TargetDef{{Name: scenario.Null}, {Name: scenario.Return0, Addr: k64Ret0}}
	l.Put(k64Ret0, Li(GPR3, 0), InsnBlr)
	l.Sym("__static_call_return0", k64Ret0, 8)
	count := map[string]int{}
	farRegion := false
	for _, name := range sc.Targets {
		pl := place(sc, name)
		v := uint64(valueBase + len(p.Targets))
		slot := count[pl.Module+"/"+pl.Range]
		count[pl.Module+"/"+pl.Range]++
		base := l.domainBase(pl.Module)
		addr := base + mTargets + 0x20*uint64(slot)
		if pl.Range == scenario.RangeFar {
			if pl.Module != "" {
				return nil, fmt.Errorf("place %s: far targets are modelled in vmlinux only (modules are far from vmlinux anyway)", name)
			}
			if !farRegion {
				l.region(".text.far", k64Far, 0x1000, k64TOC, "vmlinux")
				farRegion = true
			}
			addr = k64Far + 0x20*uint64(slot)
		}
		dataBase := base + mData
		if pl.Module == "" {
			dataBase = k64Data
		}
		val := dataBase + 8*uint64(len(p.Targets))
		l.put64(val, v)
		l.function(addr, l.tocOf(pl.Module), Addis(GPR3, GPR2, Ha(int64(val-l.tocOf(pl.Module)))),
			Ld(GPR3, GPR3, Lo(int64(val-l.tocOf(pl.Module)))), InsnBlr)
		l.Sym(name, addr, 20)
		p.Targets = append(p.Targets, model.TargetDef{Name: name, Value: v, Addr: addr})
	}

	// Trampolines: 128 bytes apart, trampoline k at the k-th place of
	// its domain's, from the model files (tramp64).
	if len(sc.Keys) > 0 {
		ts, err := kernel.TrampolineSource(sc, Port64{})
		if err != nil {
			return nil, err
		}
		tsMod, err := kernel.TrampolineSource(sc, Port64{}, "MODULE")
		if err != nil {
			return nil, err
		}
		l.lay.Source = ts
		for k, key := range sc.Keys {
			p.Keys = append(p.Keys, model.KeyDef{Name: key.Name, Init: targetIndex(p, key.Init)})
			t := l.domainBase(key.Module) + mTramps + 0x80*uint64(k)
			src := tsMod
			if key.Module == "" {
				t, src = k64Tramps+0x80*uint64(k), ts
			}
			tr, err := l.tramp64(k, key, t, src, ts)
			if err != nil {
				return nil, err
			}
			l.img.Tramps = append(l.img.Tramps, tr)
		}
		for k, tr := range l.img.Tramps {
			l.forms[k].atRest(l.builder, tr)
		}
		save, _ := ts.Const("PPC_SCT_CALL_SAVES_TOC")
		paca, _ := ts.Const("PPC_SCT_CALL_RELOADS_PACA_TOC")
		l.saveTOC, l.pacaTOC = save != 0, paca != 0
	}

	// Callers: tramp(KEY) calls come from vmlinux; named callers from
	// where they are placed.
	entries := map[string]uint64{}
	var keyOf = map[string]int{}
	n := map[string]int{}
	addCaller := func(name, key, module string) {
		k := keyIndex(sc, key)
		fn := l.domainBase(module) + mCallers + 0x40*uint64(n[module])
		n[module]++
		if sc.Keys[k].Module != "" && module == "" {
			l.Fail("caller %s: vmlinux cannot call %s, whose trampoline is in module %s", name, key, sc.Keys[k].Module)
			return
		}
		entries[name] = l.caller(fn, module, l.img.Tramps[k])
		keyOf[name] = k
		if key, ok := scenario.TrampCallKey(name); ok {
			name = "call___SCT__" + key
		}
		l.Sym(name, fn, 48)
	}
	for _, c := range sc.CPUs {
		for _, call := range c.Calls {
			if key, ok := scenario.TrampCallKey(call); ok {
				if _, done := entries[call]; !done {
					addCaller(call, key, "")
				}
			}
		}
	}
	for _, c := range sc.Callers {
		addCaller(c.Name, c.Key, c.Module)
	}
	if l.Err != nil {
		return nil, l.Err
	}
	if len(sc.Jumps) > 0 {
		// Jump label sites: functions of their own in vmlinux text
		// that use no TOC (layoutJumps).
		l.region(".text.jumps", k64Jumps, 0x20*len(sc.Jumps), k64TOC, "vmlinux")
	}
	layoutJumps(l.builder, l.jumpRegions(jumpPlaces{
		Core:     func(i int) uint64 { return k64Jumps + jumpFnSize*uint64(i) },
		InitText: k64InitText,
		Module:   func(m int) uint64 { return m64Base + m64Span*uint64(m) },
		TOC:      l.tocOf,
	}))
	l.calls(func(call string) (uint64, int, bool) {
		if e, k, ok := l.jumpCall(call); ok {
			return e, k, true
		}
		e, ok := entries[call]
		return e, keyOf[call], ok
	})
	return l.lay, l.Err
}

// ModelArch implements kernel.ModelTransformPort: powerpc64 scenarios
// compile with the powerpc model files, under CONFIG_PPC64_ELF_ABI_V2
// (Config): the trampolines and arch_static_call_transform of the
// gray-v4 design (arch/powerpc/include/asm/static_call.h,
// arch/powerpc/kernel/static_call.c; the other designs are diffs to them)
// and arch/powerpc/kernel/jump_label.c.
func (Port64) ModelArch() string { return "powerpc" }

// Config implements kernel.ConfigPort: a powerpc64 ELFv2 kernel
// (arch/powerpc/Kconfig: PPC64, PPC64_ELF_ABI_V2).
func (Port64) Config() []string { return []string{"CONFIG_PPC64", "CONFIG_PPC64_ELF_ABI_V2"} }

// TextOrder implements kernel.TextPort: big-endian words.
func (Port64) TextOrder() binary.ByteOrder { return binary.BigEndian }

// LongSize implements kernel.TextPort: sizeof(long) is 8.
func (Port64) LongSize() int { return 8 }

// KernelText implements kernel.TextPort: vmlinux's text is its regions
// but .init.text (jump label sites' init text), which is its init text.
func (Port64) KernelText(lay *kernel.Layout, addr uint64) (text, inittext bool) {
	l := lay.Prog.ArchData.(*Image).layout
	r := l.p.RegionOf(addr)
	if !l.coreKernelText(addr) {
		return false, false
	}
	init := strings.HasPrefix(l.p.Regions[r].Name, ".init")
	return !init, init
}

// TakesDiff implements kernel.DiffPort: the diffs of arch/powerpc/ whose
// description begins "powerpc64" are powerpc64's (PPC32's begin "PPC32").
func (Port64) TakesDiff(v kernel.Variant) bool { return strings.HasPrefix(v.Doc, "powerpc64") }

// Gen implements kernel.ModelTransformPort: as PPC32's (the same words;
// create_branch's reach is the same ±32 MiB), but patch_ulong stores a
// doubleword.
func (Port64) Gen(name string, args []uint64) ([]byte, error) {
	if name == "patch_ulong" && len(args) == 1 {
		return be64(args[0]), nil
	}
	return Port32{}.Gen(name, args)
}

// Bytes implements kernel.ModelTransformPort: none.
func (Port64) Bytes(string) ([]byte, bool) { return nil, false }

// Value implements kernel.ModelTransformPort: as PPC32's, with
// is_offset_in_branch_range() of a 64-bit long.
func (Port64) Value(name string, args []uint64) (uint64, bool, error) {
	if name == "is_offset_in_branch_range" && len(args) == 1 {
		if BranchInRange(int64(args[0])) {
			return 1, true, nil
		}
		return 0, true, nil
	}
	return Port32{}.Value(name, args)
}

// tramp64 lays out key k's trampoline at t from the model files
// (arch/powerpc/include/asm/static_call.h: vmlinux's, or with MODULE
// #defined a module's, src), with its domain's .TOC.: the NULL
// trampoline (ARCH_DEFINE_STATIC_CALL_NULL_TRAMP), then the stores the
// model files' arch_static_call_transform (of vmlinux, ts) makes for the
// key's initial target, as the linker would resolve the macro's
// "b func" (to the local entry when the TOC is shared and in reach; the
// model has no linker and no long-branch stubs; docs/semantics.md §11).
// The instruction, return-0 label and data doubleword are at the
// header's PPC_SCT_INST_*, PPC_SCT_RET0_* and PPC_SCT_DATA_* offsets
// (KERNEL for vmlinux text, MODULE for a module's), where the transform
// looks for them.
func (l *layout64) tramp64(k int, key scenario.Key, t uint64, src, ts *kernel.TrampSource) (Tramp, error) {
	which := "KERNEL"
	if key.Module != "" {
		which = "MODULE"
	}
	var off [3]int
	for i, n := range []string{"PPC_SCT_INST_", "PPC_SCT_RET0_", "PPC_SCT_DATA_"} {
		v, ok := ts.Const(n + which)
		if !ok {
			return Tramp{}, fmt.Errorf("the model files do not #define %s%s (arch/powerpc/include/asm/static_call.h, CONFIG_PPC64_ELF_ABI_V2)", n, which)
		}
		off[i] = v
	}
	a, text, addr, err := src.AssembleTramp(l.p, key.Name, scenario.Null, asmISA{toc: l.tocOf(key.Module)}, t, nil)
	if err != nil {
		return Tramp{}, err
	}
	end := a.Origin + uint64(len(a.Bytes))
	if addr != t || end > t+0x80 || addr+uint64(max(off[0], off[1], off[2]))+8 > end {
		return Tramp{}, fmt.Errorf("key %s: the trampoline's text is %d bytes from %#x, its label at %#x: the model places trampolines 128 bytes apart, each at its label, with the header's offsets in it", key.Name, len(a.Bytes), a.Origin, addr)
	}
	copy(l.At(a.Origin), a.Bytes)
	for w := a.Origin; w+8 <= end; w += 4 {
		// A TOC computed from r12 (the module trampoline's addis
		// r2,r12; addi r2,r2): its use of r2 is no TOC access.
		if functionTOCAt(l.word(w), l.word(w+4)) {
			l.img.TOCSetup[w+4] = true
		}
	}
	link := linkage{r2Saved: localEntry1(text)}
	if functionTOCAt(l.word(t), l.word(t+4)) {
		// A global entry: the local entry follows it.
		l.img.GlobalEntry[t] = true
		link.local = 8
	}
	l.links = append(l.links, link)
	for w, called := a.Origin, false; w < end; w += 4 {
		// After a call the trampoline makes (bctrl), the load that
		// restores r2 is where its caller's TOC must be back.
		in, ok := Decode(l.word(w))
		if called && ok && in.Op == OpLd && in.RT == GPR2 {
			l.img.ReturnPoint[w] = true
			called = false
		}
		called = called || l.word(w) == InsnBctrl
	}
	tr := Tramp{Key: k, Name: lang.StaticCallTrampPrefix + key.Name, Addr: t, Module: key.Module,
		Inst: t + uint64(off[0]), Ret0: t + uint64(off[1]), Data: t + uint64(off[2])}
	l.Sym(tr.Name, t, end-t)
	l.lay.Tramps = append(l.lay.Tramps, kernel.Loc{Name: tr.Name, Addr: tr.Addr, Tramp: true, Key: k})
	forms, err := trampFormsOf(l.builder, ts, Port64{}, tr, t+0x80, 8)
	if err != nil {
		return Tramp{}, err
	}
	for _, st := range forms.stores[l.p.Keys[k].Init] {
		copy(l.At(st.Addr), st.Bytes)
	}
	tr.InstWin = l.Window(tr.Name, tr.Inst, 4, k)
	tr.DataWin = l.Window(tr.Name+".data", forms.dataAt, forms.dataLen, k)
	l.lay.Tramps[k].Window = tr.InstWin
	l.forms = append(l.forms, forms)
	return tr, nil
}

// localEntry1 reports a trampoline text's .localentry NAME, 1.
func localEntry1(text lang.Text) bool {
	stmts, err := lang.ParseAsm(text)
	if err != nil {
		return false // AssembleTramp parsed it
	}
	for _, st := range stmts {
		if st.Op == ".localentry" && len(st.Args) == 1 {
			if _, v, ok := strings.Cut(st.Args[0].Text, ","); ok && strings.TrimSpace(v) == "1" {
				return true
			}
		}
	}
	return false
}

// functionTOCAt reports a global entry's TOC computation: addis
// r2,r12,SI or lis r2,SI, then addi r2,r2,SI.
func functionTOCAt(w1, w2 uint32) bool {
	i1, ok1 := Decode(w1)
	i2, ok2 := Decode(w2)
	return ok1 && ok2 && i1.Op == OpAddis && i1.RT == GPR2 && (i1.RA == GPR12 || i1.RA == 0) &&
		i2.Op == OpAddi && i2.RT == GPR2 && i2.RA == GPR2
}

// function writes a TOC-using function at fn: its global entry (addis
// r2,r12,(.TOC.-fn)@ha; addi r2,r2,(.TOC.-fn)@l), then body from its
// local entry at fn+8.
func (l *layout64) function(fn, toc uint64, body ...uint32) {
	d := int64(toc - fn)
	l.Put(fn, Addis(GPR2, GPR12, Ha(d)), Addi(GPR2, GPR2, Lo(d)))
	l.Put(fn+8, body...)
	l.img.GlobalEntry[fn] = true
	l.img.TOCSetup[fn+4] = true
}

// caller writes an out-of-line static_call() call site at fn, in module
// ("" for vmlinux), calling tr as the compiler, the linker and the module
// loader leave it, and returns where the harness enters it: vmlinux code
// at its local entry (the harness is vmlinux code), module code at its
// global entry with r12 set (a call through a function pointer).
//
//	addis r2,r12,..; addi r2,r2,..; mflr r0; std r0,16(r1); stdu r1,-32(r1);
//	[std r2,24(r1)]; bl X; SLOT; addi r1,r1,32; ld r0,16(r1); mtlr r0; blr
func (l *layout64) caller(fn uint64, module string, tr Tramp) uint64 {
	var dest uint64
	slot := InsnNop
	same := module == tr.Module
	switch {
	case !same:
		// A call into another module or vmlinux: the module loader's
		// stub saves r2, and restore_r2() makes the nop ld r2,24(r1).
		dest, slot = l.moduleStub(module, tr.Addr), Ld(GPR2, GPR1, r2Save)
	case l.links[tr.Key].r2Saved && module == "":
		// .localentry NAME,1: r2 is caller-saved; the linker's stub
		// (std r2,24(r1); b tramp) saves it and the nop becomes the
		// restore.
		dest, slot = l.linkerStub(tr.Addr), Ld(GPR2, GPR1, r2Save)
	case l.links[tr.Key].r2Saved:
		// need_r2save_stub(): the module loader does the same.
		dest, slot = l.moduleStub(module, tr.Addr), Ld(GPR2, GPR1, r2Save)
	default:
		// A function the toolchain takes to preserve r2, called at its
		// local entry (after a global entry), else where it starts
		// (.localentry NAME,0). The model files' call-site markers
		// (RFC option 1; the PACA reload of vmlinux's sites) make the
		// nop a restore.
		dest = tr.Addr + l.links[tr.Key].local
		switch {
		case l.saveTOC:
			slot = Ld(GPR2, GPR1, r2Save)
		case l.pacaTOC && module == "":
			slot = Ld(GPR2, GPR13, pacaTOC)
		}
	}
	save := l.saveTOC
	body := []uint32{Mflr(GPR0), Std(GPR0, GPR1, 16), Stdu(GPR1, GPR1, -32)}
	if save {
		body = append(body, Std(GPR2, GPR1, r2Save))
	}
	at := fn + 8 + 4*uint64(len(body))
	body = append(body, MustB(at, dest, true), slot, Addi(GPR1, GPR1, 32), Ld(GPR0, GPR1, 16), Mtlr(GPR0), InsnBlr)
	l.function(fn, l.tocOf(module), body...)
	l.img.ReturnPoint[at+4] = true
	if module == "" {
		return fn + 8
	}
	return fn
}

// linkerStub is the linker's stub for a call that must save r2 (binutils
// ppc_stub_long_branch_r2off with no TOC change): std r2,24(r1); b dest.
func (l *layout64) linkerStub(dest uint64) uint64 {
	key := [2]uint64{k64Base, dest}
	if s, ok := l.stubs[key]; ok {
		return s
	}
	s := k64Stubs + 0x10*uint64(l.nStubs[""])
	l.nStubs[""]++
	l.Put(s, Std(GPR2, GPR1, r2Save), MustB(s+4, dest, false))
	l.Sym("long_branch_r2off."+l.p.Sym(dest), s, 8)
	l.stubs[key] = s
	return s
}

// moduleStub is module's stub to dest (arch/powerpc/kernel/module_64.c,
// ppc64_stub_insns for ELFv2): addis r11,r2,<hi>; addi r11,r11,<lo>;
// std r2,24(r1); ld r12,32(r11); mtctr r12; bctr; then the magic and the
// funcdata (dest). With the v4 series' "Optimise nearby branches in ELF
// V2 ABI stub", mtctr becomes b dest when dest is in reach.
func (l *layout64) moduleStub(module string, dest uint64) uint64 {
	key := [2]uint64{l.domainBase(module), dest}
	if s, ok := l.stubs[key]; ok {
		return s
	}
	s := l.domainBase(module) + mStubs + 0x40*uint64(l.nStubs[module])
	l.nStubs[module]++
	d := int64(s - l.tocOf(module))
	jump := Mtctr(GPR12)
	if w, ok := B(s+16, dest, false); ok && l.stubBranch() {
		jump = w
	}
	l.Put(s, Addis(GPR11, GPR2, Ha(d)), Addi(GPR11, GPR11, Lo(d)), Std(GPR2, GPR1, r2Save), Ld(GPR12, GPR11, 32),
		jump, InsnBctr)
	l.put32(s+28, stubMagic)
	l.put64(s+32, dest)
	l.Sym(module+".stub."+l.p.Sym(dest), s, 40)
	l.stubs[key] = s
	return s
}

// stubBranch reports the module loader of v4 3/6 ("Optimise nearby
// branches in ELF V2 ABI stub"): the series whose trampolines are
// .localentry NAME,1 (the RFC's loader has no such branch).
func (l *layout64) stubBranch() bool {
	for _, k := range l.links {
		if !k.r2Saved {
			return false
		}
	}
	return len(l.links) > 0
}

// coreKernelText is core_kernel_text().
func (l *layout64) coreKernelText(addr uint64) bool {
	r := l.p.RegionOf(addr)
	return r >= 0 && l.img.Domain[r] == "vmlinux"
}

func (l *layout64) word(addr uint64) uint32 {
	r := l.p.RegionOf(addr)
	if r < 0 {
		return 0
	}
	return binary.BigEndian.Uint32(l.At(addr))
}

// plan is what arch_static_call_transform does to a trampoline: the
// instruction it writes, and the data doubleword it writes first.
type plan struct {
	inst      uint32
	data      uint64
	writeData bool
}

// planOf is what the model files' arch_static_call_transform(NULL, tramp,
// func, false) writes to tr for target t (its stores, compiled at layout:
// trampForms), for the port's sketches.
func (l *layout64) planOf(tr Tramp, t int) plan {
	f := l.forms[tr.Key]
	var pl plan
	if f.inst[t] != nil {
		pl.inst = binary.BigEndian.Uint32(f.inst[t])
	}
	if d := f.data(t, make([]byte, f.dataLen)); d != nil && f.dataLen == 8 {
		pl.writeData, pl.data = true, binary.BigEndian.Uint64(d)
	}
	return pl
}

// Transform implements kernel.Port. powerpc64's arch_static_call_transform
// is the model file arch/powerpc/kernel/static_call.c for every variant
// (gray-v4 and the diffs to it), so the core never asks the port for it.
func (Port64) Transform(*kernel.Emitter, *kernel.Layout, kernel.Loc, int, string) {
	panic("patchcheck: powerpc64's arch_static_call_transform is model source")
}
