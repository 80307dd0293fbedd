package ppc

import (
	"fmt"
	"strings"

	"github.com/patchcheck/patchcheck/arches/internal/image"
	"github.com/patchcheck/patchcheck/kernel"
	"github.com/patchcheck/patchcheck/lang"
	"github.com/patchcheck/patchcheck/model"
	"github.com/patchcheck/patchcheck/scenario"
)

// Port32 is the PPC32 static call port: the out-of-line trampoline of
// v5.16 ("powerpc/32: Add support for out-of-line static calls") and the
// inline call sites of 2025 ("powerpc/32: Implement static_call_inline"),
// arch/powerpc/kernel/static_call.c.
type Port32 struct{}

// Variant32Mainline is PPC32's one variant of its own, the kernel's code;
// the others (data-after-nop, lis-addi) are diffs to the model files.
const Variant32Mainline = "mainline"

// PPC32 trampoline offsets (arch/powerpc/include/asm/static_call.h).
const (
	sct32Ret0 = 20 // PPC_SCT_RET0
	sct32Data = 28 // PPC_SCT_DATA
)

// Addresses of the PPC32 image.
const (
	k32Base     uint64 = 0xc0000000
	k32Ret0            = k32Base + 0x80     // __static_call_return0
	k32Targets         = k32Base + 0x100    // near targets, 16 bytes apart
	k32Tramps          = k32Base + 0x1000   // trampolines, 32 bytes apart (.align 5)
	k32Sites           = k32Base + 0x2000   // a caller function per site
	k32Via             = k32Base + 0x3000   // a caller through each trampoline
	k32Callers         = k32Base + 0x3800   // named callers
	k32Jumps           = k32Base + 0x4000   // a function per jump label site, 32 bytes apart
	k32InitText        = k32Base + 0x100000 // .init.text: jump label sites in init text
	k32Modules         = 0xb0000000         // module m's text at k32Modules + 0x10000*m (book3s/32's MODULES_VADDR, below PAGE_OFFSET), init text 0x8000 on
	k32Far             = 0xc4000000         // far targets: one region each (see far32)
	k32Stack           = 0xc0f00000         // r1 when a call starts
	sentinel32  uint64 = 0xdeadbeef         // r3 before each call
	valueBase          = 0x1000             // target i returns valueBase+i
)

// far32 is the address of the j-th far target: more than 32 MiB from the
// trampolines and sites, with distinct high and low halves, so that the
// high half of one and the low half of another is no function.
func far32(j int) uint64 { return k32Far + 0x01010000*uint64(j) + 0x40*uint64(j+1) }

// Arch implements kernel.Port.
func (Port32) Arch(fetch, variant string) (model.Arch, error) { return newArch(ABI32, fetch) }

func newArch(abi ABI, fetch string) (model.Arch, error) {
	switch fetch {
	case "", FetchWord:
		return &Arch{abi: abi}, nil
	case FetchStrict:
		return &Arch{abi: abi, strict: true}, nil
	}
	return nil, fmt.Errorf("unknown powerpc fetch assumption %q (want %s or %s)", fetch, FetchWord, FetchStrict)
}

// Fetches implements kernel.Port.
func (Port32) Fetches() []string { return []string{FetchWord, FetchStrict} }

// Features implements kernel.FeaturePort.
func (Port32) Features() []string { return []string{kernel.FeatureFar, kernel.FeatureCaller} }

// Variants implements kernel.Port.
func (Port32) Variants() []kernel.Variant {
	return []kernel.Variant{
		{Name: Variant32Mainline, Doc: "the kernel (v6.15+): trampoline b func / nop + data word / blr / b ret0, data word patched before the nop that exposes it; inline sites bl func, bl tramp, nop, li r3,0 and the tail forms; each word by patch_instruction/patch_ulong"},
	}
}

// Layout implements kernel.Port.
func (Port32) Layout(sc *scenario.Scenario, arch model.Arch) (*kernel.Layout, error) {
	if err := unsupported(sc, ABI32); err != nil {
		return nil, err
	}
	img := &Image{ABI: ABI32, StackTop: k32Stack, Ret0: k32Ret0}
	b := newBuilder(sc, arch, img, k32Base, sentinel32)
	p := b.p
	b.region(".text", k32Base, 0x4000+0x20*len(sc.Jumps), 0, "vmlinux")
	b.Sym("harness_return", k32Base, 4)

	// Targets: 0 NULL, 1 __static_call_return0, then the scenario's.
	p.Targets = []model.TargetDef{{Name: scenario.Null}, {Name: scenario.Return0, Addr: k32Ret0}}
	b.Put(k32Ret0, Li(GPR3, 0), InsnBlr)
	b.Sym("__static_call_return0", k32Ret0, 8)
	nFar, nNear := 0, 0
	for _, name := range sc.Targets {
		v := uint64(valueBase + len(p.Targets))
		addr := k32Targets + 0x10*uint64(nNear)
		if place(sc, name).Range == scenario.RangeFar {
			addr = far32(nFar)
			b.region(".text.far."+name, addr, 0x10, 0, "vmlinux")
			nFar++
		} else {
			nNear++
		}
		b.Put(addr, Li(GPR3, int64(v)), InsnBlr)
		b.Sym(name, addr, 8)
		p.Targets = append(p.Targets, model.TargetDef{Name: name, Value: v, Addr: addr})
	}
	if k32Targets+0x10*uint64(nNear) > k32Tramps {
		return nil, fmt.Errorf("too many targets")
	}

	// Trampolines, each with a caller through it (an out-of-line
	// static_call() in vmlinux), assembled from the model files
	// (layoutTramps32), then set for each key's initial target and
	// given their forms at rest from the model's transform
	// (trampForms32).
	src := sc
	if sketchUsesLisAddi(sc.Sketch) {
		// A sketch that writes the lis/addi forms patches the
		// trampoline of the lis-addi diff (docs/sketches.md).
		cp := *sc
		cp.Variant = sketchLisAddiDiff
		src = &cp
	}
	ts, err := trampSource32(src)
	if err != nil {
		return nil, err
	}
	tramps, err := layoutTramps32(b, sc, ts)
	if err != nil {
		return nil, err
	}
	b.lay.Source = ts // Build takes it over only if src is sc
	for k, key := range sc.Keys {
		p.Keys = append(p.Keys, model.KeyDef{Name: key.Name, Init: targetIndex(p, key.Init)})
		tr := tramps[k]
		b.img.Tramps = append(b.img.Tramps, tr)
		b.Sym(tr.Name, tr.Addr, 32)
		via := k32Via + 0x40*uint64(k)
		caller32(b, via, MustB(via+12, tr.Addr, true))
		b.Sym("call_"+tr.Name, via, 32)
		b.lay.Tramps = append(b.lay.Tramps, kernel.Loc{Name: tr.Name, Addr: tr.Addr, Tramp: true, Key: k})
	}
	for k := range sc.Keys {
		tr := &b.img.Tramps[k]
		forms, err := trampForms32(b, ts, *tr)
		if err != nil {
			return nil, err
		}
		// The kernel's trampoline is as the model files' macro leaves
		// it for the key's initial target (b func, blr or b .+20). A
		// far target, which b cannot reach (the linker's long-branch
		// stub is not modelled), is laid out as the NULL trampoline
		// (layoutTramps32), which the transform's stores for the
		// target then make what the transform leaves.
		if place(sc, sc.Keys[k].Init).Range == scenario.RangeFar {
			for _, st := range forms.stores[p.Keys[k].Init] {
				copy(b.At(st.Addr), st.Bytes)
			}
		}
		b.img.forms32 = append(b.img.forms32, forms)
		tr.Data = forms.dataAt
		tr.InstWin = b.Window(tr.Name, tr.Inst, 4, k)
		tr.DataWin = b.Window(tr.Name+".data", tr.Data, forms.dataLen, k)
		b.lay.Tramps[k].Window = tr.InstWin
		forms.atRest(b, *tr)
	}

	// Sites, each in a caller function of its own.
	siteEntry := map[string]uint64{}
	for i, st := range sc.Sites {
		k := keyIndex(sc, st.Key)
		tr := b.img.Tramps[k]
		fn := k32Sites + 0x40*uint64(i)
		loc := kernel.Loc{Name: st.Name, Kind: st.Kind, Key: k}
		if st.Kind == scenario.KindTail {
			// A function whose last act is the static call: the site is
			// its tail call, after one instruction of its own (so that
			// the call's entry is not patchable text).
			loc.Addr = fn + 4
			b.Put(fn, InsnNop)
			loc.Unpatched = be32(MustB(loc.Addr, tr.Addr, false))
			b.Sym("caller_"+st.Name, fn, 8)
		} else {
			loc.Addr = fn + 12
			caller32(b, fn, 0)
			loc.Unpatched = be32(MustB(loc.Addr, tr.Addr, true))
			b.Sym("caller_"+st.Name, fn, 32)
		}
		ins, _ := site32(p, tr, loc, p.Keys[k].Init)
		b.Put(loc.Addr, ins)
		b.Sym(st.Name, loc.Addr, 4)
		loc.Window = b.Window(st.Name, loc.Addr, 4, k)
		b.AtRest(loc.Window, func(t int) [][]byte {
			w, _ := site32(p, tr, loc, t)
			return [][]byte{be32(w), loc.Unpatched}
		})
		b.lay.Sites = append(b.lay.Sites, loc)
		siteEntry[st.Name] = fn
	}
	for i, c := range sc.Callers {
		k := keyIndex(sc, c.Key)
		fn := k32Callers + 0x40*uint64(i)
		caller32(b, fn, MustB(fn+12, b.img.Tramps[k].Addr, true))
		b.Sym(c.Name, fn, 32)
		siteEntry[c.Name] = fn
	}
	layoutJumps(b, b.jumpRegions(jumpPlaces{
		Core:     func(i int) uint64 { return k32Jumps + jumpFnSize*uint64(i) },
		InitText: k32InitText,
		Module:   func(m int) uint64 { return k32Modules + 0x10000*uint64(m) },
		TOC:      func(string) uint64 { return 0 },
	}))
	b.calls(func(call string) (uint64, int, bool) {
		if key, ok := scenario.TrampCallKey(call); ok {
			k := keyIndex(sc, key)
			return k32Via + 0x40*uint64(k), k, true
		}
		if e, k, ok := b.jumpCall(call); ok {
			return e, k, true
		}
		for _, st := range sc.Sites {
			if st.Name == call {
				return siteEntry[call], keyIndex(sc, st.Key), true
			}
		}
		for _, c := range sc.Callers {
			if c.Name == call {
				return siteEntry[call], keyIndex(sc, c.Key), true
			}
		}
		return 0, 0, false
	})
	return b.lay, b.Err
}

// sketchLisAddiDiff is the built-in diff whose trampoline a sketch that
// writes hi(new_data) and lo(new_data) patches: the sketch names the
// design by its forms, and the layout is the diff's.
const sketchLisAddiDiff = "lis-addi"

// trampSource32 reads the model files sc compiles with.
func trampSource32(sc *scenario.Scenario) (*kernel.TrampSource, error) {
	if len(sc.Keys) == 0 {
		return nil, nil
	}
	return kernel.TrampolineSource(sc, Port32{})
}

// layoutTramps32 assembles each key's trampoline from the model files
// (arch/powerpc/include/asm/static_call.h: __PPC_SCT under ".align 5" in
// .text, 32 bytes each as the kernel writes it, so trampoline k is at
// k32Tramps + 32k) into the image. The instruction the transform patches
// is at the __SCT__ label; the return-0 label and the data word are where
// the transform looks for them, PPC_SCT_RET0 and PPC_SCT_DATA of the same
// header. A far initial target is laid out as
// ARCH_DEFINE_STATIC_CALL_NULL_TRAMP (Layout then applies the
// transform's stores for the target).
func layoutTramps32(b *builder, sc *scenario.Scenario, ts *kernel.TrampSource) ([]Tramp, error) {
	if len(sc.Keys) == 0 {
		return nil, nil
	}
	data, ok1 := ts.Const("PPC_SCT_DATA")
	ret0, ok2 := ts.Const("PPC_SCT_RET0")
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("the model files do not #define PPC_SCT_DATA and PPC_SCT_RET0 (arch/powerpc/include/asm/static_call.h)")
	}
	var out []Tramp
	pc := k32Tramps
	for k, key := range sc.Keys {
		init := key.Init
		if pl := place(sc, init); pl.Range == scenario.RangeFar {
			init = scenario.Null
		}
		a, _, t, err := ts.AssembleTramp(b.p, key.Name, init, asmISA{}, pc, nil)
		if err != nil {
			return nil, err
		}
		name := lang.StaticCallTrampPrefix + key.Name
		end := a.Origin + uint64(len(a.Bytes))
		if end > k32Sites || t+uint64(max(data, ret0))+4 > k32Sites {
			return nil, fmt.Errorf("key %s: the trampolines outgrow their %d bytes of .text (model limit)", key.Name, k32Sites-k32Tramps)
		}
		copy(b.At(a.Origin), a.Bytes)
		out = append(out, Tramp{Key: k, Name: name, Addr: t, Inst: t, Data: t + uint64(data), Ret0: t + uint64(ret0)})
		pc = end
	}
	return out, nil
}

// caller32 writes a PPC32 function at fn that saves LR in its caller's
// frame, makes a frame, runs the word at fn+12 (a call), and returns:
//
//	mflr r0; stw r0,4(r1); stwu r1,-16(r1); CALL; lwz r0,20(r1);
//	addi r1,r1,16; mtlr r0; blr
func caller32(b *builder, fn uint64, call uint32) {
	b.Put(fn, Mflr(GPR0), Stw(GPR0, GPR1, 4), Stwu(GPR1, GPR1, -16), call, Lwz(GPR0, GPR1, 20),
		Addi(GPR1, GPR1, 16), Mtlr(GPR0), InsnBlr)
}

func targetIndex(p *model.Program, name string) int { return image.TargetIndex(p, name) }

// off32 is (long)to - (long)from with 32-bit longs.
func off32(to, from uint64) int64 { return int64(int32(uint32(to) - uint32(from))) }

// What arch_static_call_transform does to a PPC32 site.
const (
	siteWrite = iota // patch_instruction or patch_branch of the word
	siteKeep         // err = 0 with nothing written (no trampoline to go through)
	sitePanic        // patch_branch returns -ERANGE: panic("patching failed")
)

// site32 is arch_static_call_transform(site, tramp, func, tail) on PPC32
// (arch/powerpc/kernel/static_call.c, f50b45626e05): the word for the
// site and what the transform does with it. With loc.NoTramp (tramp ==
// NULL, from __static_call_init) _tramp is 0 and _ret0 is
// PPC_SCT_RET0 (0x14): a far target's "else if (tramp)" leg is not
// taken and the site keeps the compiler's branch to the trampoline, and a
// tail site's "b _ret0" is out of range and panics.
func site32(p *model.Program, tr Tramp, loc kernel.Loc, target int) (uint32, int) {
	fn := p.Targets[target].Addr
	short := BranchInRange(off32(fn, loc.Addr))
	if loc.NoTramp {
		tr.Addr, tr.Ret0 = 0, sct32Ret0
	}
	branch := func(to uint64, link bool) (uint32, int) {
		if !BranchInRange(off32(to, loc.Addr)) {
			return InsnNop, sitePanic
		}
		return MustB(loc.Addr, to, link), siteWrite
	}
	tail := loc.Kind == scenario.KindTail
	switch {
	case target == model.TargetNull && tail:
		return InsnBlr, siteWrite
	case target == model.TargetNull:
		return InsnNop, siteWrite
	case target == model.TargetReturn0 && tail:
		return branch(tr.Ret0, false)
	case target == model.TargetReturn0:
		return Li(GPR3, 0), siteWrite
	case short:
		return branch(fn, !tail)
	case tr.Addr == 0:
		return InsnNop, siteKeep
	}
	return branch(tr.Addr, !tail)
}

// trampForms is what the model's arch_static_call_transform(NULL, tramp,
// func, false) writes to one trampoline for each target of the scenario
// (kernel.TrampSource.TransformStores): its stores, the word at the
// __SCT__ label, and the extent of the rest, the data the instruction
// exposes (the kernel's data word at PPC_SCT_DATA; a diff's may differ).
type trampForms struct {
	stores  [][]kernel.Store // per target
	inst    [][]byte         // per target: the word written at tr.Inst, or nil
	dataAt  uint64
	dataLen int
}

// trampForms32 compiles the transform of tr for every target.
func trampForms32(b *builder, ts *kernel.TrampSource, tr Tramp) (*trampForms, error) {
	return trampFormsOf(b, ts, Port32{}, tr, k32Sites, 4)
}

// trampFormsOf compiles port's transform of tr for every target; its
// stores besides the instruction are in the trampolines' text, before
// end; without any, the data window is the word of size word at tr.Data.
func trampFormsOf(b *builder, ts *kernel.TrampSource, port kernel.Port, tr Tramp, end uint64, word int) (*trampForms, error) {
	f := &trampForms{}
	lo, hi := uint64(0), uint64(0)
	for t := range b.p.Targets {
		sts, err := ts.TransformStores(port, b.lay, tr.Key, t)
		if err != nil {
			return nil, err
		}
		var inst []byte
		for _, st := range sts {
			end := st.Addr + uint64(len(st.Bytes))
			switch {
			case st.Addr == tr.Inst && len(st.Bytes) == 4:
				inst = st.Bytes
			case end <= tr.Inst || st.Addr >= tr.Inst+4:
				if lo == hi {
					lo, hi = st.Addr, end
				}
				lo, hi = min(lo, st.Addr), max(hi, end)
			default:
				return nil, fmt.Errorf("%s: key %s: %s stores %d bytes at %s%+d, across the instruction at the trampoline's label",
					st.Src, b.p.Keys[tr.Key].Name, st.Fn, len(st.Bytes), tr.Name, int64(st.Addr-tr.Addr))
			}
		}
		f.stores = append(f.stores, sts)
		f.inst = append(f.inst, inst)
	}
	if lo == hi {
		// No target writes data: the data word the header names.
		lo, hi = tr.Data, tr.Data+uint64(word)
	}
	if hi-lo > model.WinSize || lo < tr.Addr || hi > end {
		return nil, fmt.Errorf("key %s: arch_static_call_transform writes %s%+d to %+d besides the instruction: the model's data window is at most %d bytes, after the trampoline's label, in the trampolines' text",
			b.p.Keys[tr.Key].Name, tr.Name, int64(lo-tr.Addr), int64(hi-tr.Addr), model.WinSize)
	}
	f.dataAt, f.dataLen = lo, int(hi-lo)
	return f, nil
}

// data is the data window as the transform leaves it for target t from
// init (the window's bytes as laid out), or nil when t writes none.
func (f *trampForms) data(t int, init []byte) []byte {
	var out []byte
	for _, st := range f.stores[t] {
		if st.Addr >= f.dataAt && st.Addr < f.dataAt+uint64(f.dataLen) {
			if out == nil {
				out = append([]byte(nil), init...)
			}
			copy(out[st.Addr-f.dataAt:], st.Bytes)
		}
	}
	return out
}

// atRest sets the forms at rest of tr's windows: the instruction reaches
// a target alone; the data matters only behind the instruction that
// exposes it (the kernel's nop), and may hold any value it was ever
// given otherwise.
func (f *trampForms) atRest(b *builder, tr Tramp) {
	p := b.p
	init := append([]byte(nil), p.Windows[tr.DataWin].Init[:f.dataLen]...)
	anyInst := [][]byte{append([]byte(nil), p.Windows[tr.InstWin].Init[:4]...)}
	for _, w := range f.inst {
		if w != nil {
			anyInst = append(anyInst, w)
		}
	}
	b.AtRest(tr.InstWin, func(t int) [][]byte {
		if f.inst[t] != nil {
			return [][]byte{f.inst[t]}
		}
		return anyInst
	})
	any := [][]byte{init}
	for t := range p.Targets {
		if d := f.data(t, init); d != nil {
			any = append(any, d)
		}
	}
	b.AtRest(tr.DataWin, func(t int) [][]byte {
		if d := f.data(t, init); d != nil {
			return [][]byte{d}
		}
		return any
	})
}

// Transform implements kernel.Port. PPC32's arch_static_call_transform
// is the model file arch/powerpc/kernel/static_call.c for every variant
// (the port has no variant of its own besides the kernel's), so the core
// never asks the port for it.
func (Port32) Transform(*kernel.Emitter, *kernel.Layout, kernel.Loc, int, string) {
	panic("patchcheck: PPC32's arch_static_call_transform is model source")
}

// TakesDiff implements kernel.DiffPort: the diffs of arch/powerpc/ but
// powerpc64's (whose description begins "powerpc64").
func (Port32) TakesDiff(v kernel.Variant) bool { return !strings.HasPrefix(v.Doc, "powerpc64") }

// ModelArch implements kernel.ModelTransformPort: PPC32's
// arch_static_call_transform is the model file
// arch/powerpc/kernel/static_call.c; the port's other variants are its
// Go (Transform).
func (Port32) ModelArch() string { return "powerpc" }

// Bytes implements kernel.ModelTransformPort: none.
func (Port32) Bytes(string) ([]byte, bool) { return nil, false }

// Gen implements kernel.ModelTransformPort: the words patch_instruction
// and patch_ulong store (big-endian, 4 bytes on PPC32), and patch_branch's
// create_branch(addr, target, flags): no word (nil, -ERANGE) when target
// is out of reach.
func (Port32) Gen(name string, args []uint64) ([]byte, error) {
	switch {
	case (name == "patch_instruction" || name == "patch_ulong") && len(args) == 1:
		return be32(uint32(args[0])), nil
	case name == "patch_branch" && len(args) == 3:
		if args[2]&^1 != 0 {
			return nil, fmt.Errorf("flags %#x: the model's create_branch knows BRANCH_SET_LINK", args[2])
		}
		w, ok := B(args[0], args[1], args[2]&1 != 0)
		if !ok {
			return nil, nil
		}
		return be32(w), nil
	}
	return nil, fmt.Errorf("powerpc has no instruction generator %s of %d arguments", name, len(args))
}

// Value implements kernel.ModelTransformPort: PPC_RAW_BLR(), PPC_RAW_NOP(),
// PPC_RAW_LI(r, si), PPC_RAW_LIS(r, si), PPC_RAW_ADDI(d, a, si), PPC_HA(v),
// PPC_LO(v) (asm/ppc-opcode.h) and is_offset_in_branch_range()
// (asm/code-patching.h).
func (Port32) Value(name string, args []uint64) (uint64, bool, error) {
	n, ok := map[string]int{"PPC_RAW_BLR": 0, "PPC_RAW_NOP": 0, "PPC_RAW_LI": 2, "PPC_RAW_LIS": 2, "PPC_RAW_ADDI": 3,
		"PPC_HA": 1, "PPC_LO": 1, "is_offset_in_branch_range": 1}[name]
	if !ok {
		return 0, false, nil
	}
	if args == nil {
		return 0, true, nil
	}
	if len(args) != n {
		return 0, true, fmt.Errorf("%s takes %d arguments", name, n)
	}
	reg := func(i int) (int, error) {
		if args[i] > 31 {
			return 0, fmt.Errorf("%s: register %d: 0 to 31", name, args[i])
		}
		return int(args[i]), nil
	}
	switch name {
	case "PPC_RAW_BLR":
		return uint64(InsnBlr), true, nil
	case "PPC_RAW_NOP":
		return uint64(InsnNop), true, nil
	case "PPC_RAW_LI", "PPC_RAW_LIS":
		r, err := reg(0)
		if err != nil {
			return 0, true, err
		}
		if name == "PPC_RAW_LI" {
			return uint64(Li(r, int64(args[1]))), true, nil
		}
		return uint64(Lis(r, int64(args[1]))), true, nil
	case "PPC_RAW_ADDI":
		d, err := reg(0)
		if err != nil {
			return 0, true, err
		}
		a, err := reg(1)
		if err != nil {
			return 0, true, err
		}
		return uint64(Addi(d, a, int64(args[2]))), true, nil
	case "PPC_HA":
		// PPC_HI((v) + 0x8000): the high half, adjusted for the sign
		// of the low half that addi adds.
		return (args[0] + 0x8000) >> 16 & 0xffff, true, nil
	case "PPC_LO":
		return args[0] & 0xffff, true, nil
	}
	// is_offset_in_branch_range
	if BranchInRange(int64(int32(uint32(args[0])))) {
		return 1, true, nil
	}
	return 0, true, nil
}

// patchFn names the kernel function that writes w: patch_branch for a
// branch, else patch_instruction.
func patchFn(w uint32) string {
	if w>>26 == 18 {
		return "patch_branch"
	}
	return "patch_instruction"
}
