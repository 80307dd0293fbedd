package ppc

import (
	"encoding/binary"
	"fmt"
	"sort"

	"github.com/patchcheck/patchcheck/arches/internal/image"
	"github.com/patchcheck/patchcheck/kernel"
	"github.com/patchcheck/patchcheck/model"
	"github.com/patchcheck/patchcheck/scenario"
)

// Tramp is one key's trampoline as the transform sees it.
type Tramp struct {
	Key    int
	Name   string // __SCT__key
	Addr   uint64 // the function (its global entry, if it has one)
	Inst   uint64 // the patched instruction
	Data   uint64 // the data word (lis-addi: the lis/addi pair)
	Ret0   uint64 // the return-0 label (li r3,0; blr) inside the trampoline
	Module string // "" for vmlinux
	// InstWin and DataWin are the windows of Inst and Data.
	InstWin, DataWin int
}

// builder lays out one scenario's image: the shared image builder, with
// powerpc's TOC domains.
type builder struct {
	*image.Builder
	p   *model.Program
	img *Image
	lay *kernel.Layout
	sc  *scenario.Scenario
}

func newBuilder(sc *scenario.Scenario, arch model.Arch, img *Image, ret, sentinel uint64) *builder {
	p := &model.Program{Arch: arch, Return: ret, Sentinel: sentinel, ArchData: img,
		IPINote: "takes an interrupt between calls: a context synchronisation (stale fetches dropped)"}
	img.GlobalEntry = map[uint64]bool{}
	img.TOCSetup = map[uint64]bool{}
	img.ReturnPoint = map[uint64]bool{}
	ib := image.New(p, binary.BigEndian)
	return &builder{Builder: ib, p: p, img: img, lay: ib.Lay, sc: sc}
}

// region maps n bytes at base, filled with zero words (undefined), in the
// domain whose TOC is toc.
func (b *builder) region(name string, base uint64, n int, toc uint64, domain string) int {
	b.img.TOC = append(b.img.TOC, toc)
	b.img.Domain = append(b.img.Domain, domain)
	return b.Region(name, base, n)
}

func (b *builder) put64(addr, v uint64) { binary.BigEndian.PutUint64(b.At(addr), v) }

func (b *builder) put32(addr uint64, v uint32) { binary.BigEndian.PutUint32(b.At(addr), v) }

// keyIndex returns the index of key name.
func keyIndex(sc *scenario.Scenario, name string) int { return image.KeyIndex(sc, name) }

// place returns where target name is.
func place(sc *scenario.Scenario, name string) scenario.Place {
	for _, pl := range sc.Places {
		if pl.Target == name {
			return pl
		}
	}
	return scenario.Place{Target: name}
}

// calls builds the CPUs' programs: entry is where the harness enters the
// caller function of a site, a caller, or a tramp(KEY) call.
func (b *builder) calls(entry func(call string) (uint64, int, bool)) {
	for _, c := range b.sc.CPUs {
		var prog model.CPUProg
		for _, call := range c.Calls {
			e, key, ok := entry(call)
			if !ok {
				b.Fail("cpu: no caller for %s", call)
				continue
			}
			def := model.CallDef{Name: call, Entry: e, Key: key}
			for _, j := range b.lay.Jumps {
				if j.Name == call && j.Module != 0 {
					// A module's jump site: called from the module's
					// init (init text) or until it goes (core text).
					def.Module, def.ModInit = j.Module, j.Init
				}
			}
			prog.Calls = append(prog.Calls, def)
		}
		b.p.CPUs = append(b.p.CPUs, prog)
	}
}

// unsupported rejects what the powerpc ports do not model, with the
// reason.
func unsupported(sc *scenario.Scenario, abi ABI) error {
	if err := kernel.CheckLifecycleOps(sc, "powerpc", scenario.OpLoad, scenario.OpUnload); err != nil {
		return err
	}
	if err := jumpOnlyModules(sc); err != nil {
		return err
	}
	for i, st := range sc.Sites {
		switch {
		case abi == ABI64:
			return itemErr("site", i, "site %s: powerpc64 static calls are out-of-line (the 2022 series has no inline sites); use caller", st.Name)
		case st.Kind == scenario.KindJcc:
			return itemErr("site", i, "site %s: powerpc has no conditional tail-call sites (kind=jcc)", st.Name)
		case st.Section == scenario.SectionInit:
			return itemErr("site", i, "site %s: init static call sites are not modelled on powerpc (init text holds jump label sites only: jump ... section=init)", st.Name)
		case st.Module != "":
			return itemErr("site", i, "site %s: module sites are not modelled on PPC32 (module placement and PLT stubs)", st.Name)
		}
	}
	for i, j := range sc.Jumps {
		switch {
		case j.Size != 0:
			return itemErr("jump", i, "jump %s: size=%d: a powerpc jump label site is one 4-byte word, nop or b (JUMP_LABEL_NOP_SIZE, arch/powerpc/include/asm/jump_label.h); size= is x86-64's", j.Name, j.Size)
		}
	}
	// The out-of-line __static_call_update (include/linux/static_call.h)
	// takes no static_call_mutex; the core the model shares with the
	// inline ports does. Two updaters of one key would be serialised
	// where the kernel does not serialise them.
	if abi == ABI64 {
		return kernel.CheckOneUpdater(sc)
	}
	return nil
}

// itemErr is an error about the index-th item of kind of the scenario,
// which the command reports at that item's line and column.
func itemErr(kind string, index int, format string, args ...any) error {
	return &scenario.ItemError{Kind: kind, Index: index, Msg: fmt.Sprintf(format, args...)}
}

// sortedKeys returns the keys of m in order.
func sortedKeys(m map[uint64]bool) []uint64 {
	var out []uint64
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// pokeOp is one patch_instruction or patch_ulong: one store, which
// synchronises only the patching CPU (dcbst; sync; icbi; sync; isync):
// other CPUs are sent nothing and may fetch the old word until their own
// next context synchronisation.
func pokeOp(e *kernel.Emitter, fn string, addr uint64, b []byte) {
	e.Fn = fn
	bb, l := kernel.Bytes(b)
	e.Emit(model.Op{Code: model.OpPoke, Addr: addr, Bytes: bb, Len: l})
}

// panicOp is arch_static_call_transform's panic on a failed patch.
func panicOp(e *kernel.Emitter, addr uint64) {
	e.Fn = "arch_static_call_transform"
	e.Emit(model.Op{Code: model.OpCheck, Addr: addr, Len: 4, B: CheckRange})
}

func be32(w uint32) []byte { return Word(w) }

func be64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// jumpOnlyModules rejects a scenario whose modules are loaded or unloaded,
// or carry jump label sites, when a module also carries static call
// keys, targets or callers: the powerpc ports place those in modules that
// are there from the start (no MODULE_STATE_UNFORMED, no notifier), and
// model a module's load only for jump label sites.
func jumpOnlyModules(sc *scenario.Scenario) error {
	if !hasModuleJumps(sc) {
		return nil
	}
	for i, k := range sc.Keys {
		if k.Module != "" {
			return itemErr("key", i, "key %s: module %s: on powerpc a module that is loaded or has jump label sites carries only jump label sites (module static calls are modelled for modules present from the start)", k.Name, k.Module)
		}
	}
	for i, pl := range sc.Places {
		if pl.Module != "" {
			return itemErr("place", i, "place %s: module %s: on powerpc a module that is loaded or has jump label sites carries only jump label sites (module static calls are modelled for modules present from the start)", pl.Target, pl.Module)
		}
	}
	for i, c := range sc.Callers {
		if c.Module != "" {
			return itemErr("caller", i, "caller %s: module %s: on powerpc a module that is loaded or has jump label sites carries only jump label sites (module static calls are modelled for modules present from the start)", c.Name, c.Module)
		}
	}
	return nil
}

// hasModuleJumps reports whether sc's modules are the loadable kind: a
// jump label site in a module, or a thread that loads or unloads one.
func hasModuleJumps(sc *scenario.Scenario) bool {
	for _, j := range sc.Jumps {
		if j.Module != "" {
			return true
		}
	}
	return sc.HasOp(scenario.OpLoad) || sc.HasOp(scenario.OpUnload)
}

// Where the powerpc ports put jump label sites outside vmlinux's .text.
const (
	jumpFnSize  = 0x20   // one site's function: nop, the site, two ways of 8 bytes
	modInitText = 0x8000 // a module's .init.text, from its .text
)

// jumpPlaces is where a port puts jump label sites: vmlinux core site i's
// function at Core(i); vmlinux init sites in an .init.text region at
// InitText; module m's (its index in the scenario) in a .text region at
// Module(m) and an .init.text region modInitText after it, in the
// module's TOC domain TOC(m) (the sites use no TOC).
type jumpPlaces struct {
	Core     func(i int) uint64
	InitText uint64
	Module   func(m int) uint64
	TOC      func(module string) uint64
}

// jumpRegions maps the init text and module regions the scenario's jump
// label sites need, and returns each site's function (by the index of
// the jump in the scenario). Init text is vmlinux's (Region.Init, freed
// by free_initmem()); each module gets a .text and an .init.text region
// (Program.Modules), loaded by load_module() and freed by free_module()
// and do_free_init(). Nothing is mapped for a scenario without init or
// module sites, so its regions are as before.
func (b *builder) jumpRegions(pl jumpPlaces) []uint64 {
	sc, p := b.sc, b.p
	fns := make([]uint64, len(sc.Jumps))
	nInit := 0
	for i, j := range sc.Jumps {
		if j.Module == "" && j.Section == scenario.SectionInit {
			fns[i] = pl.InitText + jumpFnSize*uint64(nInit)
			nInit++
		} else if j.Module == "" {
			fns[i] = pl.Core(i)
		}
	}
	if nInit > 0 {
		b.lay.InitText = b.region(".init.text", pl.InitText, jumpFnSize*nInit, pl.TOC(""), "vmlinux")
		p.Regions[b.lay.InitText].Init = true
	}
	if !hasModuleJumps(sc) {
		return fns
	}
	for m, name := range sc.Modules {
		var n [2]int // core, init
		for i, j := range sc.Jumps {
			if j.Module != name {
				continue
			}
			sec := 0
			if j.Section == scenario.SectionInit {
				sec = 1
			}
			fns[i] = pl.Module(m) + modInitText*uint64(sec) + jumpFnSize*uint64(n[sec])
			n[sec]++
		}
		text := b.region(name+".text", pl.Module(m), jumpFnSize*max(n[0], 1), pl.TOC(name), name)
		init := b.region(name+".init.text", pl.Module(m)+modInitText, jumpFnSize*max(n[1], 1), pl.TOC(name), name)
		p.Modules = append(p.Modules, [2]int{text, init})
	}
	return fns
}

// layoutJumps lays out the scenario's static keys, after its static call
// keys, and their jump label sites, site i in a function at fns[i]: as
// arch_static_branch() (nop) or arch_static_branch_jump() (b l_yes)
// leaves the site in its caller (arch/powerpc/include/asm/jump_label.h,
// JUMP_LABEL_NOP_SIZE 4), after one instruction of the caller's own, so
// that the call's entry, where a CPU's kernel entry context-synchronises
// it, is not patchable text (as for a tail site):
//
//	fn:     nop                    (the caller's code before the site)
//	site:   b l_yes / nop          (one word: the patchable window)
//	        li r3,V; blr           (the way the branch falls through to)
//	l_yes:  li r3,V'; blr          (the way the jump takes)
//
// jump_label_init() has run (its arch_jump_label_transform_static() does
// nothing): each site holds what the compiler emitted, b l_yes when
// key->enabled ^ branch, else nop. A module's site (module=M) is in M's
// text or init text, as the compiler emitted it for the key's initial
// type (jump_label_init_type()): what jump_label_add_module() finds when
// M loads.
func layoutJumps(b *builder, fns []uint64) {
	keys := image.StaticKeys(b.sc, b.p, valueBase)
	mod := map[string]int{}
	for m, name := range b.sc.Modules {
		mod[name] = m + 1
	}
	for i, j := range b.sc.Jumps {
		fn := fns[i]
		b.Put(fn, InsnNop)
		b.Sym("caller_"+j.Name, fn, 4+4+8+8)
		b.Jump(j, keys[j.Key], image.JumpSite{Addr: fn + 4, Size: 4, Nop: be32(InsnNop), Module: mod[j.Module],
			Jump: func(addr, dest uint64) []byte { return be32(MustB(addr, dest, false)) },
			Way: func(v uint64) []byte {
				return append(be32(Li(GPR3, int64(v))), be32(InsnBlr)...)
			}})
	}
}

// jumpCall returns the entry and key of the jump label site a CPU calls
// by name: its caller function, one word before the site.
func (b *builder) jumpCall(name string) (entry uint64, key int, ok bool) {
	for _, j := range b.lay.Jumps {
		if j.Name == name {
			return j.Addr - 4, j.Key, true
		}
	}
	return 0, 0, false
}
