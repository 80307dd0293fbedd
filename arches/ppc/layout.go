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
			prog.Calls = append(prog.Calls, model.CallDef{Name: call, Entry: e, Key: key})
		}
		b.p.CPUs = append(b.p.CPUs, prog)
	}
}

// unsupported rejects what the powerpc ports do not model, with the
// reason.
func unsupported(sc *scenario.Scenario, abi ABI) error {
	if err := kernel.CheckLifecycleOps(sc, "powerpc"); err != nil {
		return err
	}
	for _, st := range sc.Sites {
		switch {
		case abi == ABI64:
			return fmt.Errorf("site %s: powerpc64 static calls are out-of-line (the 2022 series has no inline sites); use caller", st.Name)
		case st.Kind == scenario.KindJcc:
			return fmt.Errorf("site %s: powerpc has no conditional tail-call sites (kind=jcc)", st.Name)
		case st.Section == scenario.SectionInit:
			return fmt.Errorf("site %s: init sites are not modelled on powerpc (patch_instruction's init_mem_is_free check)", st.Name)
		case st.Module != "":
			return fmt.Errorf("site %s: module sites are not modelled on PPC32 (module placement and PLT stubs)", st.Name)
		}
	}
	for _, j := range sc.Jumps {
		switch {
		case j.Size != 0:
			return fmt.Errorf("jump %s: size=%d: a powerpc jump label site is one 4-byte word, nop or b (JUMP_LABEL_NOP_SIZE, arch/powerpc/include/asm/jump_label.h); size= is x86-64's", j.Name, j.Size)
		case j.Section == scenario.SectionInit:
			return fmt.Errorf("jump %s: init sites are not modelled on powerpc (patch_instruction's init_mem_is_free check)", j.Name)
		case j.Module != "":
			return fmt.Errorf("jump %s: module jump label sites are modelled on x86-64 only so far", j.Name)
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

// layoutJumps lays out the scenario's static keys, after its static call
// keys, and their jump label sites, site i in a function at fn(i): as
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
// key->enabled ^ branch, else nop.
func layoutJumps(b *builder, fn func(i int) uint64) {
	keys := image.StaticKeys(b.sc, b.p, valueBase)
	for i, j := range b.sc.Jumps {
		b.Put(fn(i), InsnNop)
		b.Sym("caller_"+j.Name, fn(i), 4+4+8+8)
		b.Jump(j, keys[j.Key], image.JumpSite{Addr: fn(i) + 4, Size: 4, Nop: be32(InsnNop),
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
