package arm64

import (
	"encoding/binary"
	"fmt"

	"github.com/patchcheck/patchcheck/arches/internal/image"
	"github.com/patchcheck/patchcheck/kernel"
	"github.com/patchcheck/patchcheck/lang"
	"github.com/patchcheck/patchcheck/model"
	"github.com/patchcheck/patchcheck/scenario"
)

// Port is the arm64 static call port: the trampoline of the 2026 mainline
// port (arch/arm64/kernel/static_call.c, commit 54ac9ff8f119), and as
// diffs to its model files (kernel/variants) the designs proposed between
// 2020 and 2021 and inline sites patched the way arm64 patches jump
// labels (docs/semantics.md §10).
type Port struct{}

// arm64 protocol variants. The first is the kernel's own code.
const (
	// VariantMainline: the 2026 trampoline (bti c; adrp x16, lit; ldr x16,
	// [x16, :lo12:lit]; br x16) with its literal in .rodata, updated by
	// one 64-bit store (aarch64_insn_write_literal_u64). No instruction is
	// ever patched.
	VariantMainline = "mainline"
	// variantBranchKick is the diff (kernel/variants/branch-kick.diff)
	// that patches inline sites as jump labels do since v6.11
	// (cfb00a357864): the kernel's way for a scenario with inline sites.
	// The other inline-site designs are diffs too (branch-nosync,
	// branch-stop-machine, branch-kick-no-maintenance).
	variantBranchKick = "branch-kick"
)

// Addresses of the image.
const (
	kBase     uint64 = 0xffff800080000000
	kRet0            = kBase + 0x80    // __static_call_return0
	kTargets         = kBase + 0x1000  // near targets, one page each
	kTramps          = kBase + 0x10000 // trampolines, 0x40 apart (.static_call.text)
	kRodata          = kBase + 0x20000 // literals of the mainline trampolines
	kJumps           = kBase + 0x28000 // a function per jump label site, 0x40 apart
	kSites           = kBase + 0x30000 // a caller function per site
	kVia             = kBase + 0x38000 // a caller through each trampoline
	kCallers         = kBase + 0x3c000 // named callers
	kTextEnd         = kBase + 0x40000
	kInitText        = kBase + 0x40000    // .init.text: jump label sites in init text
	kFar             = kBase + 0x10000000 // far targets (256 MiB away: out of reach of b/bl)
	// kModules is module m's text at kModules + 0x10000*m, its init text
	// 0x8000 above: in the modules area below the kernel image
	// (MODULES_VADDR .. MODULES_END = _text), within 128 MiB of it.
	kModules         = kBase - 0x4000000
	kStack           = 0xffff800082000000 // sp when a call starts
	sentinel  uint64 = 0xdeadbeef         // x0 before each call
	valueBase        = 0x1000             // target i returns valueBase+i
)

// Tramp is one key's trampoline as the transform sees it.
type Tramp struct {
	Key  int
	Name string // __SCT__key
	Addr uint64 // the entry point
	Lit  uint64 // the literal (mainline: in .rodata; v5/v6: at Addr-8)
	// Patch is the patched instructions (v2: adrp/add; v5/v6: bti, insn).
	Patch uint64
	// LitWin and PatchWin are the windows of Lit and Patch (-1: none).
	LitWin, PatchWin int
	// Loc is the instruction a sketch's loc names: the first word of
	// the patched window that the transform writes differently for two
	// targets.
	Loc uint64
	// PatchForms and LitForms are, by target, the contents of the
	// patched window and the literal as the model files' transform
	// leaves them (nil: it does not write them).
	PatchForms, LitForms [][]byte
	// LitWritten is, by target, whether the transform writes the literal
	// (v5-literal-if-nop: only with the nop that exposes it).
	LitWritten []bool
}

// Arch implements kernel.Port.
func (Port) Arch(fetch, variant string) (model.Arch, error) { return newArch(fetch) }

// Fetches implements kernel.Port.
func (Port) Fetches() []string { return []string{FetchCMODX, FetchDIC, FetchWord} }

// Features implements kernel.FeaturePort.
func (Port) Features() []string { return []string{kernel.FeatureFar, kernel.FeatureCaller} }

// Variants implements kernel.Port.
func (Port) Variants() []kernel.Variant {
	return []kernel.Variant{
		{Name: VariantMainline, Doc: "the kernel (2026, 54ac9ff8f119): trampoline bti c; adrp x16; ldr x16 from a .rodata literal; br x16; the update is one 64-bit store to the literal; NULL becomes __static_call_return0"},
	}
}

// KernelVariant implements kernel.KernelVariantPort: with inline sites,
// the kernel's way to patch them is that of its jump labels since v6.11.
func (Port) KernelVariant(sc *scenario.Scenario) string {
	if len(sc.Sites) > 0 {
		return variantBranchKick
	}
	return VariantMainline
}

func normVariant(v string) string {
	if v == "" || v == "kernel" {
		return VariantMainline
	}
	return v
}

// inlineSites reports whether the model files a scenario of variant
// compiles with patch inline sites: whether their
// arch_static_call_transform reads its site argument (the branch-*
// diffs), where the mainline transform and the trampoline designs patch
// the trampoline whatever the site (kernel.TransformReadsSite).
func inlineSites(variant string) (bool, error) {
	return kernel.TransformReadsSite("arm64", variant, Port{})
}

// builder lays out one scenario's image.
type builder struct {
	*image.Builder
	p   *model.Program
	img *Image
	lay *kernel.Layout
	sc  *scenario.Scenario
	// entry is the function each jump label site is in, by the site's name.
	entry map[string]uint64
	// ts is the model files' trampoline text and transform, read once.
	ts *kernel.TrampSource
}

func newBuilder(p *model.Program, img *Image, sc *scenario.Scenario) *builder {
	ib := image.New(p, binary.LittleEndian)
	return &builder{Builder: ib, p: p, img: img, lay: ib.Lay, sc: sc, entry: map[string]uint64{}}
}

// window makes [addr, addr+n) a patchable window of key; data marks one
// that is only ever loaded as data.
func (b *builder) window(name string, addr uint64, n, key int, data bool) int {
	w := b.Window(name, addr, n, key)
	b.p.Windows[w].Data = data
	return w
}

func keyIndex(sc *scenario.Scenario, name string) int { return image.KeyIndex(sc, name) }

func far(sc *scenario.Scenario, name string) bool {
	for _, pl := range sc.Places {
		if pl.Target == name {
			return pl.Range == scenario.RangeFar
		}
	}
	return false
}

// unsupported rejects what the arm64 port does not model, with the reason.
func unsupported(sc *scenario.Scenario, variant string) error {
	// A module loads and unloads as on x86-64 (the generic loader and
	// jump_label_module_notify); its sites can only be jump label sites:
	// arm64 static calls are out-of-line, so a module has no static call
	// sites (below).
	if err := kernel.CheckLifecycleOps(sc, "arm64", scenario.OpLoad, scenario.OpUnload); err != nil {
		return err
	}
	for _, j := range sc.Jumps {
		if j.Size != 0 {
			return fmt.Errorf("jump %s: size=%d is x86-64's (a 2- or 5-byte JMP or NOP); an arm64 jump label site is one 4-byte nop or b (arch/arm64/include/asm/jump_label.h): leave size out", j.Name, j.Size)
		}
	}
	if n := int(kSites-kJumps) / 0x40; len(sc.Jumps) > n {
		return fmt.Errorf("%d jump label sites: the arm64 model lays out at most %d", len(sc.Jumps), n)
	}
	inline, err := inlineSites(variant)
	if err != nil {
		return err
	}
	// A sketch of inline sites runs with the kernel's own trampoline:
	// the port's first variant, without a variant diff.
	_, variantDiff := kernel.VariantDiff(variant)
	kernelTramp := !variantDiff && variant == (Port{}).Variants()[0].Name
	for _, st := range sc.Sites {
		switch {
		case !inline && (len(sc.Sketch) == 0 || !kernelTramp):
			return fmt.Errorf("site %s: arm64 static calls are out-of-line (no HAVE_STATIC_CALL_INLINE); use caller, or a branch-* variant (a diff) or a sketch for inline sites patched like jump labels", st.Name)
		case st.Kind == scenario.KindJcc:
			return fmt.Errorf("site %s: arm64 has no conditional tail-call sites (kind=jcc)", st.Name)
		case st.Section == scenario.SectionInit:
			return fmt.Errorf("site %s: init sites are not modelled on arm64", st.Name)
		case st.Module != "":
			return fmt.Errorf("site %s: module sites are not modelled on arm64", st.Name)
		}
	}
	if !inline && len(sc.Sites) == 0 {
		return kernel.CheckOneUpdater(sc)
	}
	return nil
}

// Layout implements kernel.Port.
func (Port) Layout(sc *scenario.Scenario, arch model.Arch) (*kernel.Layout, error) {
	variant := normVariant(sc.Variant)
	if err := unsupported(sc, variant); err != nil {
		return nil, err
	}
	img := &Image{StackTop: kStack, Ret0: kRet0}
	p := &model.Program{Arch: arch, Return: kBase, Sentinel: sentinel, ArchData: img,
		IPINote: "takes an interrupt between calls: exception entry and return are context synchronising (stale fetches dropped)"}
	b := newBuilder(p, img, sc)
	b.lay.Variant = variant
	// The out-of-line trampolines call __static_call_return0 for NULL
	// unless their transform writes something else for NULL than for
	// return0 (v5/v6 return at once instead): decided where each
	// trampoline is laid out (trampWindows).
	p.NullIsReturn0 = true
	b.Region(".text", kBase, int(kTextEnd-kBase))
	b.Sym("harness_return", kBase, 4)

	// Targets: 0 NULL, 1 __static_call_return0, then the scenario's; each
	// returns its value in x0.
	p.Targets = []model.TargetDef{{Name: scenario.Null}, {Name: scenario.Return0, Addr: kRet0}}
	b.Put(kRet0, Movz(X0, 0), InsnRet)
	b.Sym("__static_call_return0", kRet0, 8)
	nNear, nFar := 0, 0
	for _, name := range sc.Targets {
		v := uint64(valueBase + len(p.Targets))
		// Each near target on a page of its own, at a different page
		// offset, so that adrp and add both change between any two.
		addr := kTargets + 0x1000*uint64(nNear) + 0x40*uint64(nNear+1)
		if far(sc, name) {
			addr = kFar + 0x100000*uint64(nFar) + 0x40*uint64(nFar+1)
			b.Region(".text.far."+name, addr, 0x10)
			nFar++
		} else {
			nNear++
		}
		if addr >= kTramps && addr < kTextEnd {
			return nil, fmt.Errorf("too many targets")
		}
		b.Put(addr, Movz(X0, uint16(v)), InsnRet)
		b.Sym(name, addr, 8)
		p.Targets = append(p.Targets, model.TargetDef{Name: name, Value: v, Addr: addr})
	}

	for k, key := range sc.Keys {
		p.Keys = append(p.Keys, model.KeyDef{Name: key.Name, Init: targetIndex(p, key.Init)})
		b.tramp(k, key.Name)
		if b.Err != nil {
			return nil, b.Err
		}
	}
	if len(b.img.Tramps) > 0 {
		for _, tramp := range []bool{true, false} {
			if steps := kernel.SketchFor(sc.Sketch, tramp); len(steps) > 0 {
				if err := checkSketchLayout(steps, b.img.Tramps[0]); err != nil {
					return nil, err
				}
			}
		}
	}
	b.jumps()
	b.sites(variant)
	return b.lay, b.Err
}

func targetIndex(p *model.Program, name string) int { return image.TargetIndex(p, name) }

// funcAddr is what a transform calls for target t: NULL is
// __static_call_return0 in the out-of-line trampolines.
func funcAddr(p *model.Program, t int) uint64 {
	if t == model.TargetNull {
		return kRet0
	}
	return p.Targets[t].Addr
}

// tramp lays out key k's trampoline, its windows and a caller through it.
func (b *builder) tramp(k int, name string) {
	tr := Tramp{Key: k, Name: "__SCT__" + name, LitWin: -1, PatchWin: -1}
	a, err := b.assembleTramp(k)
	if err != nil {
		b.Err = err
		return
	}
	tr.Addr, tr.Lit = a.tramp, a.lit
	b.Sym(tr.Name, tr.Addr, a.size)
	if err := b.trampWindows(&tr, a); err != nil {
		b.Err = err
		return
	}
	b.img.Tramps = append(b.img.Tramps, tr)
	loc := kernel.Loc{Name: tr.Name, Addr: tr.Addr, Tramp: true, Key: k, Window: tr.PatchWin}
	if loc.Window < 0 {
		loc.Window = tr.LitWin
	}
	b.lay.Tramps = append(b.lay.Tramps, loc)
	via := kVia + 0x40*uint64(k)
	b.caller(via, MustB(via+8, tr.Addr, true))
	b.Sym("call_"+tr.Name, via, 20)
}

// assembled is a key's trampoline as the model files' text laid it out.
type assembled struct {
	tramp uint64 // the __SCT__ label
	size  uint64 // the trampoline's bytes in .static_call.text from its label
	lit   uint64 // the literal: the text's one 8-byte data directive (.quad), 0: none
	text  lang.Text
	base  uint64 // its bytes in .static_call.text: [base, end)
	end   uint64
}

// assembleTramp assembles key k's trampoline from the model files
// (arch/arm64/include/asm/static_call.h: the ARCH_DEFINE_STATIC_CALL_*TRAMP
// macro include/linux/static_call.h's DEFINE_STATIC_CALL family expands
// to for the key's initial target) into the image: its first section
// (.static_call.text) at the key's trampoline slot, kTramps + 0x40k, its
// .rodata (the mainline literal) at kRodata + 8k. The slots keep the
// addresses the port's Go layout had, so traces and IDs stay as they
// were; the kernel's linker packs the trampolines closer. A key whose
// initial target is far, which a b of the macro's text cannot reach (the
// kernel could not link it; the model has no linker stubs), is
// assembled as DEFINE_STATIC_CALL_NULL's trampoline, which the
// transform's stores for the target then make what the transform leaves
// (trampWindows), as on PPC32.
func (b *builder) assembleTramp(k int) (assembled, error) {
	key := b.sc.Keys[k]
	if b.ts == nil {
		ts, err := kernel.TrampolineSource(b.sc, Port{})
		if err != nil {
			return assembled{}, err
		}
		b.ts, b.lay.Source = ts, ts
	}
	base := kTramps + 0x40*uint64(k)
	rodata := kRodata + 8*uint64(k)
	others := func(section string) (uint64, bool) {
		if section != ".rodata" {
			return 0, false
		}
		return rodata, true
	}
	init := key.Init
	if far(b.sc, init) {
		init = scenario.Null
	}
	a, text, tramp, err := b.ts.AssembleTramp(b.p, key.Name, init, asmISA{}, base, others)
	if err != nil {
		return assembled{}, err
	}
	at := text.At(0)
	out := assembled{text: text, base: base, end: base + uint64(len(a.Bytes)), tramp: tramp}
	out.size = base + uint64(len(a.Bytes)) - out.tramp
	if len(a.Bytes) > 0x40 {
		return assembled{}, &lang.Error{Pos: at, Msg: fmt.Sprintf("key %s: the trampoline is %d bytes, more than the model's 64-byte slot", key.Name, len(a.Bytes))}
	}
	copy(b.At(base), a.Bytes)
	for name, sec := range a.Others {
		if name != ".rodata" || len(sec.Bytes) == 0 {
			continue
		}
		if len(sec.Bytes) > 8 {
			return assembled{}, &lang.Error{Pos: at, Msg: fmt.Sprintf("key %s: the trampoline's .rodata is %d bytes, more than the model's 8 (one literal)", key.Name, len(sec.Bytes))}
		}
		if b.p.RegionOf(kRodata) < 0 {
			b.Region(".rodata", kRodata, 0x100)
		}
		if rodata+8 > kRodata+0x100 {
			return assembled{}, fmt.Errorf("key %s: the literals outgrow the model's .rodata (32 keys)", key.Name)
		}
		copy(b.At(sec.Origin), sec.Bytes)
	}
	n := 0
	for _, d := range a.Data {
		if d[1]-d[0] == 8 {
			out.lit = d[0]
			n++
		}
	}
	if n > 1 {
		return assembled{}, &lang.Error{Pos: at, Msg: fmt.Sprintf("key %s: the trampoline's text has %d 8-byte literals (.quad), the model knows one at most: the address the trampoline loads", key.Name, n)}
	}
	if out.lit%8 != 0 {
		return assembled{}, &lang.Error{Pos: at, Msg: fmt.Sprintf("key %s: the literal at %#x is not 8-byte aligned (an aligned 64-bit store and load is single-copy atomic; the model knows no other)", key.Name, out.lit)}
	}
	return out, nil
}

// trampWindows makes the patchable windows of trampoline tr (assembled
// as a) from what the model files' arch_static_call_transform stores for
// each target (kernel.TrampSource.TrampStores): the literal, when the transform
// writes it, is a data window; the instructions it writes, one run of
// them, a text window. Their forms at rest are what the transform leaves
// for each target (and the laid-out bytes for the key's initial target).
// NULL calls __static_call_return0 when the transform writes for NULL what
// it writes for return0. A literal the transform does not write for a
// target (v5-literal-if-nop's, unless the instruction becomes the nop
// that exposes it) keeps what it held: at rest, anything the transform
// writes to it for some target, or its initial contents.
func (b *builder) trampWindows(tr *Tramp, a assembled) error {
	p, k := b.p, tr.Key
	at := a.text.At(0)
	b.lay.Tramps = append(b.lay.Tramps, kernel.Loc{Name: tr.Name, Addr: tr.Addr, Tramp: true, Key: k, Window: -1})
	defer func() { b.lay.Tramps = b.lay.Tramps[:k] }()
	stores := make([][]kernel.Store, len(p.Targets))
	lo, hi := uint64(0), uint64(0)
	// The text's literal is a window even where no target of the
	// scenario writes it (v5's without a far target): it is still there.
	lit := a.lit != 0
	for t := range p.Targets {
		st, err := b.ts.TrampStores(Port{}, b.lay, k, t)
		if err != nil {
			return err
		}
		stores[t] = st
		for _, s := range st {
			end := s.Addr + uint64(len(s.Bytes))
			switch {
			case a.lit != 0 && s.Addr == a.lit && len(s.Bytes) == 8:
			case a.lit != 0 && s.Addr < a.lit+8 && a.lit < end:
				return &lang.Error{Pos: at, Msg: fmt.Sprintf("key %s: arch_static_call_transform stores %d bytes at %#x, part of the literal at %#x (the model stores a literal whole)", tr.Name, len(s.Bytes), s.Addr, a.lit)}
			case s.Addr < a.base || end > a.end:
				return &lang.Error{Pos: at, Msg: fmt.Sprintf("key %s: arch_static_call_transform stores at %#x, outside the trampoline's text %#x-%#x and its literal", tr.Name, s.Addr, a.base, a.end)}
			default:
				if hi == 0 {
					lo, hi = s.Addr, end
				}
				lo, hi = min(lo, s.Addr), max(hi, end)
			}
		}
	}
	if hi-lo > model.WinSize {
		return &lang.Error{Pos: at, Msg: fmt.Sprintf("key %s: arch_static_call_transform patches %#x-%#x, more than the model's %d-byte window", tr.Name, lo, hi, model.WinSize)}
	}
	if far(b.sc, b.sc.Keys[k].Init) {
		// Assembled as the NULL trampoline (assembleTramp): the image
		// holds what the transform leaves for the initial target.
		for _, s := range stores[p.Keys[k].Init] {
			copy(b.At(s.Addr), s.Bytes)
		}
	}
	// form is what the window [base, base+n) holds after target t's
	// stores, from what the image holds.
	form := func(t int, base uint64, n int) []byte {
		out := append([]byte(nil), b.At(base)[:n]...)
		for _, s := range stores[t] {
			for i, c := range s.Bytes {
				if a := s.Addr + uint64(i); a >= base && a < base+uint64(n) {
					out[a-base] = c
				}
			}
		}
		return out
	}
	withInit := func(w, t int, f []byte) [][]byte {
		out := [][]byte{f}
		if init := p.Windows[w].Init[:p.Windows[w].Size]; t == p.Keys[k].Init && string(init) != string(f) {
			out = append([][]byte{append([]byte(nil), init...)}, out...)
		}
		return out
	}
	if lit {
		tr.LitWin = b.window(tr.Name+".literal", tr.Lit, 8, k, true)
		b.Sym(tr.Name+".literal", tr.Lit, 8)
		tr.LitForms = make([][]byte, len(p.Targets))
		tr.LitWritten = make([]bool, len(p.Targets))
		var any [][]byte
		for t := range p.Targets {
			tr.LitForms[t] = form(t, tr.Lit, 8)
			for _, s := range stores[t] {
				tr.LitWritten[t] = tr.LitWritten[t] || s.Addr == tr.Lit
			}
			if tr.LitWritten[t] {
				any = append(any, tr.LitForms[t])
			}
		}
		any = append(any, append([]byte(nil), p.Windows[tr.LitWin].Init[:8]...))
		b.AtRest(tr.LitWin, func(t int) [][]byte {
			if !tr.LitWritten[t] {
				return any
			}
			return withInit(tr.LitWin, t, tr.LitForms[t])
		})
	}
	if hi > lo {
		tr.Patch = lo
		tr.PatchWin = b.window(tr.Name, lo, int(hi-lo), k, false)
		tr.PatchForms = make([][]byte, len(p.Targets))
		for t := range p.Targets {
			tr.PatchForms[t] = form(t, lo, int(hi-lo))
		}
		b.AtRest(tr.PatchWin, func(t int) [][]byte { return withInit(tr.PatchWin, t, tr.PatchForms[t]) })
		// loc: the first word two targets' forms differ in.
		tr.Loc = lo
	word:
		for off := 0; off+4 <= int(hi-lo); off += 4 {
			for t := range p.Targets {
				if string(tr.PatchForms[t][off:off+4]) != string(tr.PatchForms[0][off:off+4]) {
					tr.Loc = lo + uint64(off)
					break word
				}
			}
		}
	}
	if string(fmt.Sprint(stores[model.TargetNull])) != string(fmt.Sprint(stores[model.TargetReturn0])) {
		p.NullIsReturn0 = false
	}
	return nil
}

// jumps lays out the scenario's static keys, after the static call keys,
// and their jump label sites, each a function of its own, as
// arch_static_branch() (nop) or arch_static_branch_jump() (b l_yes)
// leaves it in the caller (arch/arm64/include/asm/jump_label.h, v6.16):
//
//	fn:     bti c                  (the function's landing pad)
//	site:   nop / b l_yes          (4 bytes: the patchable window)
//	        movz x0, #V; ret       (the way the branch falls through to)
//	l_yes:  movz x0, #V'; ret      (the way the jump takes)
//
// The site is not the function's first instruction, as in the kernel,
// where code of the function comes before it. It matters to the model: a
// CPU's first call starts on a kernel entry, whose context
// synchronisation (Arch.enter) runs when the call's first instruction
// executes, after that instruction was fetched; the port's tail sites
// follow a nop for the same reason.
//
// Each way is a target of the key ("KEY.false", "KEY.true"), as on x86
// (image.StaticKeys, image.JumpSite). jump_label_init() has run: each site
// holds b l_yes when its key's initial value ^ branch (JUMP_LABEL_JMP),
// else nop; arm64 has no arch_jump_label_transform_static, and the
// assembler already emitted those instructions. Sites in init text
// (section=init) are in an .init.text region after .text.
//
// A module's site (module=M) is the same function in M's text, or M's
// init text with section=init (regions M.text and M.init.text in the
// modules area, as x86's port lays them out), holding what the compiler
// emitted for the key's initial type (jump_label_init_type()), which is
// what jump_label_add_module() finds at MODULE_STATE_COMING. The model's
// module text is there from the start: load_module() has copied it and
// flush_module_icache() has run (cache maintenance and
// kick_all_cpus_sync()) before any CPU can call into it
// (docs/semantics.md §12.6).
func (b *builder) jumps() {
	sc, p := b.sc, b.p
	keys := image.StaticKeys(sc, p, valueBase)
	modIdx := map[string]int{}
	for m, name := range sc.Modules {
		modIdx[name] = m
		base := kModules + 0x10000*uint64(m)
		n := 0x40 * max(1, len(sc.Jumps))
		p.Modules = append(p.Modules, [2]int{b.Region(name+".text", base, n), b.Region(name+".init.text", base+0x8000, n)})
	}
	nInit := 0
	for i, j := range sc.Jumps {
		k := keys[j.Key]
		fn := kJumps + 0x40*uint64(i)
		switch {
		case j.Module != "":
			fn = kModules + 0x10000*uint64(modIdx[j.Module]) + 0x40*uint64(i)
			if j.Section == scenario.SectionInit {
				fn += 0x8000
			}
		case j.Section == scenario.SectionInit:
			if b.lay.InitText < 0 {
				n := 0
				for _, j := range sc.Jumps {
					if j.Section == scenario.SectionInit && j.Module == "" {
						n++
					}
				}
				b.lay.InitText = b.Region(".init.text", kInitText, 0x40*n)
				p.Regions[b.lay.InitText].Init = true
			}
			fn = kInitText + 0x40*uint64(nInit)
			nInit++
		}
		b.Put(fn, InsnBTIC)
		b.Sym("caller_"+j.Name, fn, 24)
		site := fn + 4
		b.Jump(j, k, image.JumpSite{Addr: site, Size: 4, Nop: Word(InsnNop), Module: modIdx[j.Module] + 1,
			Jump: func(addr, dest uint64) []byte { return Word(MustB(addr, dest, false)) },
			Way: func(v uint64) []byte {
				return append(Word(Movz(X0, uint16(v))), Word(InsnRet)...)
			}})
		b.entry[j.Name] = fn
	}
}

// caller writes a function at fn with a frame record around the call
// instruction at fn+8:
//
//	stp x29, x30, [sp, #-16]!; mov x29, sp; CALL; ldp x29, x30, [sp], #16; ret
func (b *builder) caller(fn uint64, call uint32) {
	b.Put(fn, StpPre(X29, X30, SP, -16), MovSP(X29), call, LdpPost(X29, X30, SP, 16), InsnRet)
}

// siteInsn is what arch_static_call_transform would write at an inline
// site, patched like a jump label: bl func, nop for NULL, bl
// __static_call_return0, and bl to the trampoline when func is out of
// reach; b / ret for tail sites.
func siteInsn(p *model.Program, tr Tramp, loc kernel.Loc, t int) uint32 {
	tail := loc.Kind == scenario.KindTail
	if t == model.TargetNull {
		if tail {
			return InsnRet
		}
		return InsnNop
	}
	to := kRet0
	if t != model.TargetReturn0 {
		to = p.Targets[t].Addr
	}
	if w, ok := B(loc.Addr, to, !tail); ok {
		return w
	}
	return MustB(loc.Addr, tr.Addr, !tail)
}

// sites lays out each inline site in a caller function of its own, and
// the named callers.
func (b *builder) sites(variant string) {
	sc, p := b.sc, b.p
	entry := map[string]uint64{}
	for i, st := range sc.Sites {
		k := keyIndex(sc, st.Key)
		tr := b.img.Tramps[k]
		fn := kSites + 0x40*uint64(i)
		loc := kernel.Loc{Name: st.Name, Kind: st.Kind, Key: k}
		if st.Kind == scenario.KindTail {
			loc.Addr = fn + 4
			b.Put(fn, InsnNop)
			loc.Unpatched = Word(MustB(loc.Addr, tr.Addr, false))
			b.Sym("caller_"+st.Name, fn, 8)
		} else {
			loc.Addr = fn + 8
			b.caller(fn, 0)
			loc.Unpatched = Word(MustB(loc.Addr, tr.Addr, true))
			b.Sym("caller_"+st.Name, fn, 20)
		}
		b.Put(loc.Addr, siteInsn(p, tr, loc, p.Keys[k].Init))
		b.Sym(st.Name, loc.Addr, 4)
		loc.Window = b.window(st.Name, loc.Addr, 4, k, false)
		b.AtRest(loc.Window, func(t int) [][]byte {
			return [][]byte{Word(siteInsn(p, tr, loc, t)), loc.Unpatched}
		})
		b.lay.Sites = append(b.lay.Sites, loc)
		entry[st.Name] = fn
	}
	for i, c := range sc.Callers {
		k := keyIndex(sc, c.Key)
		fn := kCallers + 0x40*uint64(i)
		b.caller(fn, MustB(fn+8, b.img.Tramps[k].Addr, true))
		b.Sym(c.Name, fn, 20)
		entry[c.Name] = fn
	}
	jumpKey, jumpLoc := map[string]int{}, map[string]kernel.Loc{}
	for _, j := range b.lay.Jumps {
		entry[j.Name], jumpKey[j.Name], jumpLoc[j.Name] = b.entry[j.Name], j.Key, j
	}
	for _, c := range sc.CPUs {
		var prog model.CPUProg
		for _, call := range c.Calls {
			var e uint64
			key := -1
			if kn, ok := scenario.TrampCallKey(call); ok {
				key = keyIndex(sc, kn)
				e = kVia + 0x40*uint64(key)
			} else if fn, ok := entry[call]; ok {
				e = fn
				for _, st := range sc.Sites {
					if st.Name == call {
						key = keyIndex(sc, st.Key)
					}
				}
				for _, cl := range sc.Callers {
					if cl.Name == call {
						key = keyIndex(sc, cl.Key)
					}
				}
				if k, ok := jumpKey[call]; ok {
					key = k
				}
			}
			if key < 0 {
				b.Fail("cpu: no caller for %s", call)
				continue
			}
			// A call into a module's site waits for the module's init and
			// stops with it (its init text: at LIVE), as on x86-64.
			j := jumpLoc[call]
			prog.Calls = append(prog.Calls, model.CallDef{Name: call, Entry: e, Key: key,
				Module: j.Module, ModInit: j.Module != 0 && j.Init})
		}
		p.CPUs = append(p.CPUs, prog)
	}
}

// Transform implements kernel.Port. arm64's arch_static_call_transform
// is the model files' for every design (arch/arm64/kernel/static_call.c
// and the kernel/variants diffs to it): the port has no Go transform.
func (Port) Transform(e *kernel.Emitter, lay *kernel.Layout, loc kernel.Loc, target int, variant string) {
	panic("patchcheck: arm64's transforms are the model files' (arch/arm64/kernel/static_call.c and its diffs)")
}

// noMaint is the OpPoke flag of a store to text before its cache
// maintenance: none when instruction fetch is coherent (CTR_EL0.DIC).
func noMaint(a *Arch) int {
	if a.CoherentFetch() {
		return 0
	}
	return model.PokeNoMaint
}

func poke(e *kernel.Emitter, fn string, addr uint64, b []byte, flags int) {
	e.Fn = fn
	bb, l := kernel.Bytes(b)
	e.Emit(model.Op{Code: model.OpPoke, Addr: addr, Bytes: bb, Len: l, B: flags})
}

// kick is kick_all_cpus_sync(): smp_call_function(do_nothing, NULL, 1):
// every other CPU takes an IPI (exception entry and return: context
// synchronising) before it returns.
func kick(e *kernel.Emitter) {
	e.Fn = "kick_all_cpus_sync"
	e.Emit(model.Op{Code: model.OpSync, Msg: "smp_call_function(do_nothing): IPI sent"})
	e.Emit(model.Op{Code: model.OpSyncWait, Msg: "every CPU took the IPI"})
}

// enum aarch64_insn_branch_type and AARCH64_BREAK_FAULT
// (arch/arm64/include/asm/insn.h, debug-monitors.h), as the model files
// define them.
const (
	adrTypeADR   = 1 // AARCH64_INSN_ADR_TYPE_ADR (ADRP is 0)
	variant64    = 1 // AARCH64_INSN_VARIANT_64BIT
	adsbAdd      = 0 // AARCH64_INSN_ADSB_ADD
	branchLink   = 1 // AARCH64_INSN_BRANCH_LINK (NOLINK is 0)
	branchReturn = 2 // AARCH64_INSN_BRANCH_RETURN
	breakFault   = 0xd4202000
	hintNop      = 0x0 << 5  // AARCH64_INSN_HINT_NOP
	hintBTIC     = 0x22 << 5 // AARCH64_INSN_HINT_BTIC
)

// ModelArch implements kernel.ModelTransformPort: the kernel's
// arch_static_call_transform (mainline: the trampoline's literal) is the
// model file arch/arm64/kernel/static_call.c; the port's other variants
// are its Go (Transform).
func (Port) ModelArch() string { return "arm64" }

// Bytes implements kernel.ModelTransformPort: arm64's model files name
// no byte strings of the port.
func (Port) Bytes(string) ([]byte, bool) { return nil, false }

// Gen implements kernel.ModelTransformPort: the bytes aarch64_insn_write
// stores for an instruction (little-endian).
func (Port) Gen(name string, args []uint64) ([]byte, error) {
	if name == "aarch64_insn_write" && len(args) == 1 {
		return Word(uint32(args[0])), nil
	}
	return nil, fmt.Errorf("arm64 has no instruction generator %s of %d arguments", name, len(args))
}

// Value implements kernel.ModelTransformPort: the decoders of
// arch/arm64/lib/insn.c the transform uses, aarch64_insn_adrp_get_offset
// and aarch64_insn_decode_immediate of AARCH64_INSN_IMM_12.
func (Port) Value(name string, args []uint64) (uint64, bool, error) {
	switch name {
	case "aarch64_insn_gen_nop":
		if args == nil || len(args) == 0 {
			return uint64(InsnNop), true, nil
		}
		return 0, true, fmt.Errorf("takes no argument")
	case "aarch64_insn_gen_hint":
		// (AARCH64_INSN_HINT_NOP or AARCH64_INSN_HINT_BTIC): the HINT
		// encoding with its CRm:op2 (arch/arm64/lib/insn.c:
		// aarch64_insn_get_hint_value() | op).
		if args == nil {
			return 0, true, nil
		}
		if len(args) != 1 || (args[0] != hintNop && args[0] != hintBTIC) {
			return 0, true, fmt.Errorf("the model generates nop and bti c only (AARCH64_INSN_HINT_NOP, AARCH64_INSN_HINT_BTIC)")
		}
		return uint64(InsnNop) | args[0], true, nil
	case "aarch64_insn_gen_branch_reg":
		// (AARCH64_INSN_REG_LR, AARCH64_INSN_BRANCH_RETURN): ret
		if args == nil {
			return 0, true, nil
		}
		if len(args) != 2 || args[1] != branchReturn {
			return 0, true, fmt.Errorf("the model generates ret only (AARCH64_INSN_BRANCH_RETURN)")
		}
		return uint64(Ret(int(args[0]))), true, nil
	case "aarch64_insn_gen_branch_imm":
		// (pc, addr, AARCH64_INSN_BRANCH_NOLINK or _LINK): b or bl, or
		// AARCH64_BREAK_FAULT when addr is out of reach.
		if args == nil {
			return 0, true, nil
		}
		if len(args) != 3 || args[2] > branchLink {
			return 0, true, fmt.Errorf("takes (pc, addr, AARCH64_INSN_BRANCH_NOLINK or AARCH64_INSN_BRANCH_LINK)")
		}
		w, ok := B(args[0], args[1], args[2] == branchLink)
		if !ok {
			return breakFault, true, nil
		}
		return uint64(w), true, nil
	case "aarch64_insn_gen_adr":
		// (pc, addr, reg, AARCH64_INSN_ADR_TYPE_ADRP or _ADR), or
		// AARCH64_BREAK_FAULT when addr is out of reach.
		if args == nil {
			return 0, true, nil
		}
		if len(args) != 4 || args[2] > 30 || args[3] > adrTypeADR {
			return 0, true, fmt.Errorf("takes (pc, addr, register, AARCH64_INSN_ADR_TYPE_ADRP or AARCH64_INSN_ADR_TYPE_ADR)")
		}
		pc, to, rd := args[0], args[1], int(args[2])
		if args[3] == adrTypeADR {
			if w, ok := ADR(rd, pc, to); ok {
				return uint64(w), true, nil
			}
			return breakFault, true, nil
		}
		if pages := int64(Page(to)-Page(pc)) >> 12; pages < -(1<<20) || pages >= 1<<20 {
			return breakFault, true, nil
		}
		return uint64(ADRP(rd, pc, to)), true, nil
	case "aarch64_insn_gen_add_sub_imm":
		// (dst, src, imm, AARCH64_INSN_VARIANT_64BIT, AARCH64_INSN_ADSB_ADD):
		// add Xd, Xn, #imm12, or AARCH64_BREAK_FAULT when imm does not fit.
		if args == nil {
			return 0, true, nil
		}
		if len(args) != 5 || args[0] > 31 || args[1] > 31 || args[3] != variant64 || args[4] != adsbAdd {
			return 0, true, fmt.Errorf("the model generates 64-bit add (AARCH64_INSN_VARIANT_64BIT, AARCH64_INSN_ADSB_ADD) only")
		}
		if args[2] > 0xfff {
			return breakFault, true, nil
		}
		return uint64(AddImm(int(args[0]), int(args[1]), uint32(args[2]))), true, nil
	case "offset_in_page":
		// include/linux/mm.h: the offset of an address in its 4 KiB page.
		if args == nil {
			return 0, true, nil
		}
		if len(args) != 1 {
			return 0, true, fmt.Errorf("takes one address")
		}
		return args[0] & 0xfff, true, nil
	case "aarch64_insn_adrp_get_offset":
		if args == nil {
			return 0, true, nil
		}
		if len(args) != 1 {
			return 0, true, fmt.Errorf("takes one instruction")
		}
		in := Decode(uint32(args[0]))
		if in.Op != OpADRP {
			return 0, true, fmt.Errorf("%#08x is no adrp (BUG_ON(!aarch64_insn_is_adrp(insn)))", args[0])
		}
		return uint64(in.Imm), true, nil
	case "aarch64_insn_decode_immediate":
		if args == nil {
			return 0, true, nil
		}
		const imm12 = 5 // AARCH64_INSN_IMM_12 of enum aarch64_insn_imm_type
		if len(args) != 2 || args[0] != imm12 {
			return 0, true, fmt.Errorf("the model decodes AARCH64_INSN_IMM_12 only")
		}
		return args[1] >> 10 & 0xfff, true, nil
	}
	return 0, false, nil
}
