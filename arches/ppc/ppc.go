package ppc

import (
	"encoding/binary"
	"fmt"

	"github.com/patchcheck/patchcheck/model"
	"github.com/patchcheck/patchcheck/props"
)

// Fetch assumptions (docs/semantics.md, powerpc).
const (
	// FetchWord: an aligned 4-byte instruction word is fetched whole
	// (single-copy atomic), from any contents it has had since the
	// fetching CPU's last context synchronisation; any word may replace
	// any other. This is what Linux relies on (patch_instruction is one
	// aligned 32-bit store).
	FetchWord = "word"
	// FetchStrict: as FetchWord, but the Power ISA's rule for
	// concurrently modified instructions: unless both the old and the new
	// word are in the patch class (b[l][a], ori 0,0,0), a fetch that may
	// see either is undefined.
	FetchStrict = "word-strict"
)

// ABI is the port's ABI.
type ABI uint8

// ABIs.
const (
	ABI32 ABI = iota // PPC32 (SysV): 32-bit addresses, no TOC
	ABI64            // powerpc64 ELFv2, big-endian: TOC in r2, global and local entries
)

// Register indices in model.CPUState.Regs. Regs[0] is the result
// register on every architecture.
const (
	rR3  = 0
	rR0  = 1
	rR1  = 2
	rR2  = 3
	rR11 = 4
	rR12 = 5
	rLR  = 6
	rCTR = 7
)

var gprIndex = map[int]int{GPR3: rR3, GPR0: rR0, GPR1: rR1, GPR2: rR2, GPR11: rR11, GPR12: rR12}

// Checks run by OpCheck.
const (
	// CheckRange: patch_branch() found the destination out of reach
	// (-ERANGE) and arch_static_call_transform panics.
	CheckRange = iota
)

// Arch is the powerpc machine architecture of one ABI.
type Arch struct {
	abi    ABI
	strict bool
}

// Name implements model.Arch.
func (a *Arch) Name() string {
	if a.abi == ABI32 {
		return "ppc32"
	}
	return "ppc64"
}

// Granule implements model.Arch: an aligned word.
func (a *Arch) Granule() int { return 4 }

// InsnLen implements model.Arch.
func (a *Arch) InsnLen(b []byte) int { return InsnLen(b) }

// Disasm implements model.Arch.
func (a *Arch) Disasm(b []byte, addr uint64, p *model.Program) string { return Disasm(b, addr, p.Sym) }

// Check implements model.Arch.
func (a *Arch) Check(check int, text []byte) string {
	if check == CheckRange {
		return "arch_static_call_transform: patch_branch returns -ERANGE (branch out of range): panic(\"patching failed\")"
	}
	return ""
}

// Handler implements model.Arch: the model enters no exception handler on
// powerpc (patch_instruction needs none).
func (a *Arch) Handler(x *model.Exec) { x.Bug("powerpc: no exception handler is modelled") }

// Image is what the port's Layout records about the image for Exec
// (model.Program.ArchData).
type Image struct {
	ABI        ABI
	StackTop   uint64   // r1 when a call starts
	PACA       uint64   // r13 (powerpc64)
	LPSave     uint64   // a CPU-private save area of 2 doublewords (the livepatch stack of option 2)
	HarnessTOC uint64   // r2 when a call starts (the kernel's TOC on powerpc64)
	TOC        []uint64 // per region: the TOC of the region's domain, 0 for none
	Domain     []string // per region: "vmlinux" or the module's name
	// GlobalEntry marks global entry points: entered with r12 = address.
	GlobalEntry map[uint64]bool
	// TOCSetup marks instructions that compute r2 (addi r2,r2,lo of a
	// global entry): their use of r2 is no TOC-relative access.
	TOCSetup map[uint64]bool
	// ReturnPoint marks, per call in TOC-using code, the instruction
	// after which the caller's r2 must be its TOC again (the nop or
	// ld r2,24(r1) after a bl).
	ReturnPoint map[uint64]bool
	// Tramps is the trampoline of each key, for the transform.
	Tramps []Tramp
	// Ret0 is __static_call_return0.
	Ret0 uint64
	// layout is the powerpc64 layout, for its transform.
	layout *layout64
	// forms32 is what PPC32's model transform writes to each key's
	// trampoline, for its sketches.
	forms32 []*trampForms
}

// tocOf returns the TOC of the domain that holds addr, and its name.
func (img *Image) tocOf(p *model.Program, addr uint64) (uint64, string) {
	r := p.RegionOf(addr)
	if r < 0 || r >= len(img.TOC) {
		return 0, ""
	}
	return img.TOC[r], img.Domain[r]
}

// Exec implements model.Arch: one instruction of the subset.
func (a *Arch) Exec(x *model.Exec) {
	cs := x.CPU()
	img := x.P.ArchData.(*Image)
	if cs.SP == 1 && cs.Stack[0] == x.P.Return {
		a.enter(x, img)
	}
	w := binary.BigEndian.Uint32(x.Insn)
	in, _ := Decode(w)
	if a.strict {
		outside := false
		versions := x.EachFetchable(x.Addr, 4, func(v []byte) bool {
			outside = outside || !PatchClass(binary.BigEndian.Uint32(v))
			return true
		})
		if versions > 1 && outside {
			x.Undefined(fmt.Sprintf("%s is being modified (may still fetch %s): outside the patch class (b[l][a], nop) the Power ISA leaves the result undefined",
				x.P.Sym(x.Addr), wordsNote(x, x.Fetchable(x.Addr, 4))))
			return
		}
	}
	if img.GlobalEntry[x.Addr] && cs.Regs[rR12] != x.Addr {
		x.Report(props.GlobalEntryR12, fmt.Sprintf("cpu%d enters %s at its global entry with r12 = %#x",
			x.C, x.P.Sym(x.Addr), cs.Regs[rR12]))
	}
	if in.RA == GPR2 && tocRelative(in.Op) && !img.TOCSetup[x.Addr] {
		if toc, dom := img.tocOf(x.P, x.Addr); toc != 0 && cs.Regs[rR2] != toc {
			x.Report(props.TOCAccess, fmt.Sprintf("cpu%d at %s (%s): TOC-relative access with r2 = %s, not %s's TOC %#x",
				x.C, x.P.Sym(x.Addr), Disasm(x.Insn, x.Addr, x.P.Sym), a.tocName(x, cs.Regs[rR2]), dom, toc))
		}
	}
	a.execute(x, img, in)
	if img.ReturnPoint[x.Addr] {
		if toc, dom := img.tocOf(x.P, x.Addr); toc != 0 && cs.Regs[rR2] != toc {
			x.Report(props.TOCAfterCall, fmt.Sprintf("cpu%d: after the call returns to %s (%s), r2 = %s, not %s's TOC %#x",
				x.C, x.P.Sym(x.Addr), dom, a.tocName(x, cs.Regs[rR2]), dom, toc))
		}
	}
}

// tocName names a value of r2: "the TOC of DOMAIN" when it is one.
func (a *Arch) tocName(x *model.Exec, v uint64) string {
	img := x.P.ArchData.(*Image)
	for r, t := range img.TOC {
		if t == v && t != 0 {
			return fmt.Sprintf("%#x (%s's TOC)", v, img.Domain[r])
		}
	}
	return fmt.Sprintf("%#x", v)
}

func wordsNote(x *model.Exec, vals [][]byte) string {
	s := ""
	for i, v := range vals {
		if i > 0 {
			s += " or "
		}
		s += Disasm(v, x.Addr, x.P.Sym)
	}
	return s
}

// noteBranch describes an indirect branch to addr in a trace.
func (a *Arch) noteBranch(x *model.Exec, addr uint64) {
	for _, s := range x.P.Symbols {
		if s.Addr == addr {
			x.Note("  to %s", s.Name)
			return
		}
	}
	x.Note("  to %#x: no function there, and never a target", addr)
}

// value renders a loaded value: a symbol's name when it is one's start.
func (a *Arch) value(x *model.Exec, v uint64) string {
	for _, s := range x.P.Symbols {
		if s.Addr == v {
			return fmt.Sprintf("%#x (%s)", v, s.Name)
		}
	}
	return fmt.Sprintf("%#x", v)
}

// tocRelative reports whether op with rA = r2 addresses relative to r2.
func tocRelative(op Op) bool {
	switch op {
	case OpAddis, OpAddi, OpLd, OpLwz, OpStd, OpStw:
		return true
	}
	return false
}

// enter starts a call in the model's harness: the machine pushed the
// harness return address (model.Machine.startCall); on powerpc it goes in
// LR, r1 points at the harness's frame, r2 holds the harness's TOC (the
// kernel's) and r12 the entry address (a call through a function
// pointer). A CPU's first call starts on a kernel entry, which is context
// synchronising; later calls run on the same entry unless the CPU took
// an interrupt between them (the pending "IPI" of the machine, armed when
// a call returns). A call that may still fetch text older than the
// current text of its key's trampoline and sites is not held to
// completion: powerpc guarantees the new instructions only after the
// fetching CPU's next context synchronisation.
func (a *Arch) enter(x *model.Exec, img *Image) {
	cs := x.CPU()
	cs.SP, cs.Stack = 0, [model.MaxStack]uint64{}
	cs.Regs[rR1] = img.StackTop
	cs.Regs[rLR] = x.P.Return
	cs.Regs[rR2] = img.HarnessTOC
	cs.Regs[rR12] = x.Addr
	cs.IPI = 0
	if cs.Call == 0 {
		x.Sync()
		x.Note("kernel entry: context synchronising")
	}
	call := &x.P.CPUs[x.C].Calls[cs.Call]
	for w, def := range x.P.Windows {
		if def.Key == call.Key && x.S.CPU[x.C].View[w] < x.S.Win[w].N-1 {
			cs.Allow |= x.S.K.Ever[call.Key]
			x.Note("no context synchronisation since %s was written: completion not required of this call", def.Name)
			break
		}
	}
	x.Shared()
}

func (a *Arch) mask(v uint64) uint64 {
	if a.abi == ABI32 {
		return v & 0xffffffff
	}
	return v
}

// gpr reads GPR r (r13: the PACA).
func (a *Arch) gpr(x *model.Exec, img *Image, r int) uint64 {
	if r == GPR13 {
		return img.PACA
	}
	return x.CPU().Regs[gprIndex[r]]
}

func (a *Arch) setGPR(x *model.Exec, r int, v uint64) {
	x.CPU().Regs[gprIndex[r]] = a.mask(v)
}

// base returns (RA|0).
func (a *Arch) base(x *model.Exec, img *Image, ra int) uint64 {
	if ra == 0 {
		return 0
	}
	return a.gpr(x, img, ra)
}

func (a *Arch) execute(x *model.Exec, img *Image, in Insn) {
	cs := x.CPU()
	next := x.Addr + 4
	switch in.Op {
	case OpB:
		if in.LK {
			cs.Regs[rLR] = next
		}
		x.Jump(a.mask(BranchTarget(in, x.Addr)))
		return
	case OpBcl:
		cs.Regs[rLR] = next
	case OpBlr:
		if cs.Regs[rLR] == x.P.Return {
			// Between this call and the next, the CPU may take an
			// interrupt (context synchronising).
			cs.IPI = 1
		}
		x.Jump(cs.Regs[rLR])
		return
	case OpBctr, OpBctrl:
		if x.Tracing() {
			a.noteBranch(x, cs.Regs[rCTR])
		}
		if in.Op == OpBctrl {
			cs.Regs[rLR] = next
		}
		x.Jump(cs.Regs[rCTR])
		return
	case OpMtlr:
		cs.Regs[rLR] = a.gpr(x, img, in.RT)
	case OpMtctr:
		cs.Regs[rCTR] = a.gpr(x, img, in.RT)
	case OpMflr:
		a.setGPR(x, in.RT, cs.Regs[rLR])
	case OpMfctr:
		a.setGPR(x, in.RT, cs.Regs[rCTR])
	case OpAddis:
		a.setGPR(x, in.RT, a.base(x, img, in.RA)+uint64(in.Imm<<16))
	case OpAddi:
		a.setGPR(x, in.RT, a.base(x, img, in.RA)+uint64(in.Imm))
	case OpLd, OpLwz:
		n := 8
		if in.Op == OpLwz {
			n = 4
		}
		ea := a.mask(a.base(x, img, in.RA) + uint64(in.Imm))
		v, ok := a.load(x, img, ea, n)
		if !ok {
			return
		}
		a.setGPR(x, in.RT, v)
		if x.Tracing() && a.cell(img, ea, n) < 0 {
			x.Note("  %s = %s (from %s)", reg(in.RT), a.value(x, v), x.P.Sym(ea))
		}
	case OpStd, OpStdu, OpStw, OpStwu:
		n := 8
		if in.Op == OpStw || in.Op == OpStwu {
			n = 4
		}
		ea := a.mask(a.base(x, img, in.RA) + uint64(in.Imm))
		update := in.Op == OpStdu || in.Op == OpStwu
		if !a.store(x, img, ea, n, a.gpr(x, img, in.RT), update) {
			return
		}
		if update {
			a.setGPR(x, in.RA, ea)
		}
	case OpNop:
	case OpIsync:
		x.Sync()
	default:
		panic(fmt.Sprintf("patchcheck: ppc Exec of %v, which InsnLen accepted", in))
	}
	cs.PC = next
}

// Each CPU keeps a little memory of its own in model.CPUState.Stack:
// doublewords 0-3 are the stack at [StackTop-8, StackTop+24) (the LR save
// doubleword of the harness's frame and the TOC save doubleword of the
// caller's frame), 4-5 the save area at LPSave. The back chain a
// stdu/stwu stores below that is never read by the model's code and is
// not kept.
const (
	stackLo    = 8  // bytes below StackTop
	stackBytes = 32 // bytes kept from StackTop-stackLo
	lpBytes    = 16
)

// cell locates [ea, ea+n) in the CPU's private memory: the byte offset in
// the 48 bytes of Stack, or -1 outside it.
func (a *Arch) cell(img *Image, ea uint64, n int) int {
	if lo := img.StackTop - stackLo; ea >= lo && ea+uint64(n) <= lo+stackBytes {
		return int(ea - lo)
	}
	if img.LPSave != 0 && ea >= img.LPSave && ea+uint64(n) <= img.LPSave+lpBytes {
		return stackBytes + int(ea-img.LPSave)
	}
	return -1
}

func (a *Arch) load(x *model.Exec, img *Image, ea uint64, n int) (uint64, bool) {
	var b []byte
	if off := a.cell(img, ea, n); off >= 0 {
		var mem [model.MaxStack * 8]byte
		for i, d := range x.CPU().Stack {
			binary.BigEndian.PutUint64(mem[8*i:], d)
		}
		b = mem[off : off+n]
	} else if ea >= img.StackTop-0x1000 && ea < img.StackTop+0x1000 {
		x.Fail(fmt.Errorf("cpu%d at %s: load from the stack at %#x, outside the part the powerpc model keeps", x.C, x.P.Sym(x.Addr), ea))
		return 0, false
	} else {
		var ok bool
		if b, ok = x.Load(ea, n); !ok {
			x.Bug(fmt.Sprintf("Oops: kernel access of bad area at %#x by %s", ea, Disasm(x.Insn, x.Addr, x.P.Sym)))
			return 0, false
		}
	}
	if n == 4 {
		return uint64(binary.BigEndian.Uint32(b)), true
	}
	return binary.BigEndian.Uint64(b), true
}

func (a *Arch) store(x *model.Exec, img *Image, ea uint64, n int, v uint64, backChain bool) bool {
	off := a.cell(img, ea, n)
	if off < 0 {
		if backChain && ea < img.StackTop && ea >= img.StackTop-0x1000 {
			return true // the back chain: never read, not kept
		}
		x.Bug(fmt.Sprintf("store to %#x by %s: outside the stack the powerpc model keeps", ea, Disasm(x.Insn, x.Addr, x.P.Sym)))
		return false
	}
	var mem [model.MaxStack * 8]byte
	cs := x.CPU()
	for i, d := range cs.Stack {
		binary.BigEndian.PutUint64(mem[8*i:], d)
	}
	if n == 4 {
		binary.BigEndian.PutUint32(mem[off:], uint32(v))
	} else {
		binary.BigEndian.PutUint64(mem[off:], v)
	}
	for i := range cs.Stack {
		cs.Stack[i] = binary.BigEndian.Uint64(mem[8*i:])
	}
	return true
}
