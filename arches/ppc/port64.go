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

// powerpc64 protocol variants in Go. The first is the design the series
// ended with (v3/v4), model source; mainline has no powerpc64 static
// calls. v4-ppc32-transform and v4-no-shares-toc are diffs to the model
// files (kernel/variants).
const (
	Variant64V4   = "gray-v4"
	Variant64RFC  = "rfc"
	Variant64Opt1 = "rfc-opt1"
	Variant64Opt2 = "rfc-opt2"
	Variant64Opt3 = "rfc-opt3"
	Variant64PACA = "rfc-paca"
)

// design is a trampoline design.
type design uint8

const (
	designV4   design = iota // .localentry NAME,1; kernel: ld r2,16(r13); module: computes its TOC
	designRFC                // global entry computes r2 from r12, local entry at +8
	designOpt2               // RFC + a livepatch-stack slow path that restores r2 and LR
	designOpt3               // no local entry, no TOC use (.localentry 0)
)

func designOf(variant string) design {
	switch variant {
	case Variant64RFC, Variant64Opt1, Variant64PACA:
		return designRFC
	case Variant64Opt2:
		return designOpt2
	case Variant64Opt3:
		return designOpt3
	}
	return designV4
}

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
		{Name: Variant64RFC, Doc: "the RFC (Sep 2022) trampoline without the stack frame it admits it cannot have: a global and a local entry, so callers treat it as a local function that preserves r2; a target in another TOC domain returns with its own TOC in r2"},
		{Name: Variant64Opt1, Doc: "RFC option 1: every static call site saves r2 in its TOC save doubleword before the call and restores it after (the nop made ld r2,24(r1) at build time)"},
		{Name: Variant64Opt2, Doc: "RFC option 2: the trampoline's slow path keeps the caller's r2 and LR on a livepatch-style stack of its own, calls the target, restores both and returns"},
		{Name: Variant64Opt3, Doc: "RFC option 3: a trampoline without a local entry (and no TOC use); the toolchain still treats it as preserving r2, so no caller restores its TOC"},
		{Name: Variant64PACA, Doc: "the RFC trampoline, and every vmlinux static call site reloads r2 from the PACA (ld r2,PACATOC(r13)) after the call; a module's own call sites cannot"},
	}
}

// layout64 is the powerpc64 image being laid out.
type layout64 struct {
	*builder
	variant string
	design  design
	mods    map[string]int
	stubs   map[[2]uint64]uint64 // (caller's module text, destination) -> stub
	nStubs  map[string]int
	// forms: per key, what the model files' transform writes to its
	// trampoline (the gray-v4 design, model source), nil for a design
	// in Go.
	forms []*trampForms
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
	variant := sc.Variant
	if variant == "" || variant == "kernel" {
		variant = Variant64V4
	}
	img := &Image{ABI: ABI64, StackTop: k64Stack, PACA: k64PACA, LPSave: k64PACA + pacaLP, HarnessTOC: k64TOC, Ret0: k64Ret0}
	l := &layout64{builder: newBuilder(sc, arch, img, k64Base, sentinel64), variant: variant, design: designOf(variant),
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
	// its domain's. gray-v4's are the model files' (tramp64), the other
	// designs the port's Go (tramp).
	var ts, tsMod *kernel.TrampSource
	if !(Port64{}).GoTransform(variant) && len(sc.Keys) > 0 {
		var err error
		if ts, err = kernel.TrampolineSource(sc, Port64{}); err != nil {
			return nil, err
		}
		if tsMod, err = kernel.TrampolineSource(sc, Port64{}, "MODULE"); err != nil {
			return nil, err
		}
	}
	for k, key := range sc.Keys {
		p.Keys = append(p.Keys, model.KeyDef{Name: key.Name, Init: targetIndex(p, key.Init)})
		t := l.domainBase(key.Module) + mTramps + 0x80*uint64(k)
		if key.Module == "" {
			t = k64Tramps + 0x80*uint64(k)
		}
		if ts != nil {
			src := ts
			if key.Module != "" {
				src = tsMod
			}
			tr, err := l.tramp64(k, key, t, src, ts)
			if err != nil {
				return nil, err
			}
			l.img.Tramps = append(l.img.Tramps, tr)
			continue
		}
		tr := l.tramp(k, key, t)
		pl := l.plan(tr, p.Keys[k].Init)
		l.Put(tr.Inst, pl.inst)
		if pl.writeData {
			l.put64(tr.Data, pl.data)
		}
		tr.InstWin = l.Window(tr.Name, tr.Inst, 4, k)
		tr.DataWin = l.Window(tr.Name+".data", tr.Data, 8, k)
		l.img.Tramps = append(l.img.Tramps, tr)
		l.lay.Tramps = append(l.lay.Tramps, kernel.Loc{Name: tr.Name, Addr: tr.Addr, Tramp: true, Key: k, Window: tr.InstWin})
	}
	if ts != nil {
		for k, tr := range l.img.Tramps {
			l.forms[k].atRest(l.builder, tr)
		}
	} else {
		l.trampAtRest()
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
// arch/powerpc/kernel/static_call.c) and arch/powerpc/kernel/jump_label.c.
// The other 2022 designs' transforms are still the port's Go
// (GoTransform).
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

// GoTransform reports whether powerpc64's arch_static_call_transform is
// the port's Go for variant: for the RFC's designs, not for gray-v4 and
// the diffs to it, whose trampolines and transform are the model files'.
func (Port64) GoTransform(variant string) bool { return designOf(variant) != designV4 }

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
	a, _, addr, err := src.AssembleTramp(l.p, key.Name, scenario.Null, asmISA{toc: l.tocOf(key.Module)}, t, nil)
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

// tramp lays out the trampoline of key at t for the variant's design.
func (l *layout64) tramp(k int, key scenario.Key, t uint64) Tramp {
	tr := Tramp{Key: k, Name: "__SCT__" + key.Name, Addr: t, Module: key.Module}
	toc := l.tocOf(key.Module)
	tocRel := func(at, data uint64) (uint32, uint32) {
		d := int64(data - toc)
		return Addis(GPR12, GPR2, Ha(d)), Ld(GPR12, GPR12, Lo(d))
	}
	switch {
	case l.design == designV4 && key.Module == "":
		// ld 2,16(13); inst; addis 12,2,2f@toc@ha; ld 12,2f@toc@l(12);
		// mtctr 12; bctr; 1: li 3,0; blr; .balign 8; 2: .8byte 0
		tr.Inst, tr.Ret0, tr.Data = t+4, t+24, t+32
		hi, lo := tocRel(t+8, tr.Data)
		l.Put(t, Ld(GPR2, GPR13, pacaTOC), 0, hi, lo, Mtctr(GPR12), InsnBctr, Li(GPR3, 0), InsnBlr)
		l.Sym(tr.Name, t, 40)
	case l.design == designV4:
		// mflr 11; bcl 20,31,$+4; 0: mflr 12; mtlr 11; addi 12,12,(tramp-0b);
		// addis 2,12,(.TOC.-tramp)@ha; addi 2,2,(.TOC.-tramp)@l; inst;
		// ld 12,(2f-tramp)(12); mtctr 12; bctr; 1: li 3,0; blr; 2: .8byte 0
		tr.Inst, tr.Ret0, tr.Data = t+28, t+44, t+56
		d := int64(toc - t)
		l.Put(t, Mflr(GPR11), InsnBcl, Mflr(GPR12), Mtlr(GPR11), Addi(GPR12, GPR12, -8),
			Addis(GPR2, GPR12, Ha(d)), Addi(GPR2, GPR2, Lo(d)), 0, Ld(GPR12, GPR12, 56), Mtctr(GPR12), InsnBctr,
			Li(GPR3, 0), InsnBlr)
		l.img.TOCSetup[t+24] = true
		l.Sym(tr.Name, t, 64)
	case l.design == designRFC:
		// addis 2,12,(.TOC.-tramp)@ha; addi 2,2,(.TOC.-tramp)@l;
		// .localentry; inst; addis 12,2,2f@toc@ha; ld 12,2f@toc@l(12);
		// mtctr 12; bctr; 1: li 3,0; blr; 2: .8byte 0
		tr.Inst, tr.Ret0, tr.Data = t+8, t+28, t+40
		hi, lo := tocRel(t+12, tr.Data)
		l.function(t, toc, 0, hi, lo, Mtctr(GPR12), InsnBctr, Li(GPR3, 0), InsnBlr)
		l.Sym(tr.Name, t, 48)
	case l.design == designOpt2:
		// As the RFC, with a slow path that keeps the caller's r2 and
		// LR on a stack of its own (the livepatch stack of
		// ftrace_64_mprofile.S, one frame deep here), calls the target
		// and restores both.
		tr.Inst, tr.Ret0, tr.Data = t+8, t+56, t+64
		hi, lo := tocRel(t+24, tr.Data)
		l.function(t, toc, 0, Std(GPR2, GPR13, pacaLP), Mflr(GPR0), Std(GPR0, GPR13, pacaLP+8), hi, lo,
			Mtctr(GPR12), InsnBctrl, Ld(GPR0, GPR13, pacaLP+8), Mtlr(GPR0), Ld(GPR2, GPR13, pacaLP), InsnBlr,
			Li(GPR3, 0), InsnBlr)
		l.img.ReturnPoint[t+48] = true
		l.Sym(tr.Name, t, 72)
	default: // designOpt3
		// mflr 11; bcl 20,31,$+4; 0: mflr 12; mtlr 11; inst;
		// ld 12,(2f-0b)(12); mtctr 12; bctr; 1: li 3,0; blr; 2: .8byte 0
		tr.Inst, tr.Ret0, tr.Data = t+16, t+32, t+40
		l.Put(t, Mflr(GPR11), InsnBcl, Mflr(GPR12), Mtlr(GPR11), 0, Ld(GPR12, GPR12, 32), Mtctr(GPR12), InsnBctr,
			Li(GPR3, 0), InsnBlr)
		l.Sym(tr.Name, t, 48)
	}
	return tr
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
	case l.design == designV4 && module == "":
		// .localentry NAME,1: r2 is caller-saved; the linker's stub
		// (std r2,24(r1); b tramp) saves it and the nop becomes the
		// restore.
		dest, slot = l.linkerStub(tr.Addr), Ld(GPR2, GPR1, r2Save)
	case l.design == designV4:
		// need_r2save_stub(): the module loader does the same.
		dest, slot = l.moduleStub(module, tr.Addr), Ld(GPR2, GPR1, r2Save)
	case l.design == designOpt3:
		// .localentry NAME,0: the toolchain takes r2 as preserved.
		dest = tr.Addr
	default:
		// A local function with a local entry: r2 is preserved.
		dest = tr.Addr + 8
		switch {
		case l.variant == Variant64Opt1:
			slot = Ld(GPR2, GPR1, r2Save)
		case l.variant == Variant64PACA && module == "":
			slot = Ld(GPR2, GPR13, pacaTOC)
		}
	}
	save := l.variant == Variant64Opt1
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
	if w, ok := B(s+16, dest, false); ok && l.design == designV4 {
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

// functionTOC is ppc_function_toc(): the TOC that func's global entry
// computes (addis r2,r12,SI or lis r2,SI, then addi r2,r2,SI), or 0.
func (l *layout64) functionTOC(fn uint64) uint64 {
	i1, ok1 := Decode(l.word(fn))
	i2, ok2 := Decode(l.word(fn + 4))
	if !ok1 || !ok2 || i1.Op != OpAddis || i1.RT != GPR2 || i2.Op != OpAddi || i2.RT != GPR2 || i2.RA != GPR2 {
		return 0
	}
	var v uint64
	switch i1.RA {
	case GPR12:
		v = fn + uint64(i1.Imm<<16)
	case 0:
		v = uint64(i1.Imm << 16)
	default:
		return 0
	}
	return v + uint64(i2.Imm)
}

// functionEntry is ppc_function_entry(): the local entry (func + 8) when
// func starts with a global entry sequence, else func.
func (l *layout64) functionEntry(fn uint64) uint64 {
	if l.functionTOC(fn) != 0 {
		return fn + 8
	}
	return fn
}

// sharesTOC is shares_toc() of the v1-v4 series.
func (l *layout64) sharesTOC(f1, f2 uint64) bool {
	if f1 == 0 || f2 == 0 {
		return false
	}
	if l.coreKernelText(f1) && l.coreKernelText(f2) {
		return true
	}
	t1, t2 := l.functionTOC(f1), l.functionTOC(f2)
	return t1 != 0 && t1 == t2
}

// planOf is plan for the design of the layout: the model files'
// transform's stores (forms) for gray-v4, the port's Go otherwise.
func (l *layout64) planOf(tr Tramp, t int) plan {
	if l.forms == nil {
		return l.plan(tr, t)
	}
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

// plan is what arch_static_call_transform does to a trampoline: the
// instruction it writes, and the data doubleword it writes first.
type plan struct {
	inst      uint32
	data      uint64
	writeData bool
}

// plan is arch_static_call_transform(NULL, tramp, func, false) of the
// variant's design:
//
//	v4:  is_ret0 ? short : shares_toc(tramp, target) ?
//	     in_range(ppc_function_entry(target) - tramp_inst) : false
//	RFC: shares_toc(tramp, target) ? in_range(ppc_function_entry(target)
//	     - ppc_function_entry(tramp)) : false
//	if (func && !is_short) patch_ulong(data, target);
//	!func ? blr : is_short ? b ppc_function_entry(target) : nop
//
// where target is the trampoline's return-0 label for return0.
func (l *layout64) plan(tr Tramp, t int) plan {
	fn := l.p.Targets[t].Addr
	ret0 := t == model.TargetReturn0
	target := fn
	if ret0 {
		target = tr.Ret0
	}
	dest := l.functionEntry(target)
	var short bool
	switch {
	case l.design == designOpt3:
		// No TOC in the trampoline: it cannot assume r2 is the target's,
		// so only its own return-0 label is branched to.
		short = ret0
	case l.design == designV4 && ret0:
		short = true
	case l.sharesTOC(tr.Addr, target):
		short = BranchInRange(int64(dest - tr.Inst))
	}
	var pl plan
	if t != model.TargetNull && !short {
		pl.writeData, pl.data = true, target
	}
	switch {
	case t == model.TargetNull:
		pl.inst = InsnBlr
	case short:
		pl.inst = MustB(tr.Inst, dest, false)
	default:
		pl.inst = InsnNop
	}
	return pl
}

// trampAtRest: as for PPC32, the data word only matters behind a nop.
func (l *layout64) trampAtRest() {
	p := l.p
	for k := range l.img.Tramps {
		tr := l.img.Tramps[k]
		l.AtRest(tr.InstWin, func(t int) [][]byte { return [][]byte{be32(l.plan(tr, t).inst)} })
		any := [][]byte{append([]byte(nil), p.Windows[tr.DataWin].Init[:8]...)}
		for t := range p.Targets {
			if pl := l.plan(tr, t); pl.writeData {
				any = append(any, be64(pl.data))
			}
		}
		l.AtRest(tr.DataWin, func(t int) [][]byte {
			if pl := l.plan(tr, t); pl.writeData {
				return [][]byte{be64(pl.data)}
			}
			return any
		})
	}
}

// Transform implements kernel.Port: the trampoline's data word by
// patch_ulong (one 8-byte store), then its instruction by
// patch_instruction or patch_branch, under text_mutex.
func (Port64) Transform(e *kernel.Emitter, lay *kernel.Layout, loc kernel.Loc, target int, variant string) {
	l := lay.Prog.ArchData.(*Image).layout
	tr := l.img.Tramps[loc.Key]
	pl := l.plan(tr, target)
	e.Fn = "arch_static_call_transform"
	e.Emit(model.Op{Code: model.OpLock, A: kernel.TextMutex})
	if pl.writeData {
		pokeOp(e, "patch_ulong", tr.Data, be64(pl.data))
	}
	pokeOp(e, patchFn(pl.inst), tr.Inst, be32(pl.inst))
	e.Fn = "arch_static_call_transform"
	e.Emit(model.Op{Code: model.OpUnlock, A: kernel.TextMutex})
}
