package arm64

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/patchcheck/patchcheck/model"
	"github.com/patchcheck/patchcheck/props"
)

// Fetch assumptions (docs/semantics.md §10).
const (
	// FetchCMODX (the default): an aligned instruction word is fetched
	// single-copy atomically, from any contents it has had since the
	// fetching CPU's last context synchronisation (ISB, exception entry
	// or return) that followed the write's cache maintenance; CTR_EL0.IDC
	// and DIC are 0, so a write reaches instruction fetch only through
	// DC CVAU; DSB; IC IVAU; DSB. A fetch that may return contents of which
	// one is outside the CMODX set (Arm ARM B2.2.5) is a cmodx violation.
	FetchCMODX = "cmodx"
	// FetchDIC: as FetchCMODX on a CPU with CTR_EL0.DIC = 1 and IDC = 1:
	// instruction fetch is coherent with data writes once they complete,
	// so no cache maintenance is needed (a context synchronisation still
	// is).
	FetchDIC = "dic"
	// FetchWord: as FetchCMODX without the CMODX rule: any aligned word
	// may replace any other and a fetch returns the old or the new word
	// whole. It is not what the architecture promises; it separates a
	// design's logic from its CMODX obligations.
	FetchWord = "word"
)

// Register indices in model.CPUState.Regs. Regs[0] is the result register
// on every architecture.
const (
	rX0  = 0
	rX16 = 1
	rX17 = 2
	rX29 = 3
	rX30 = 4
	rX1  = 5
	rX2  = 6 // x2, x3: used by litmus tests compiled into model programs
	rX3  = 7
)

var regIndex = map[int]int{X0: rX0, X16: rX16, X17: rX17, X29: rX29, X30: rX30, 1: rX1, 2: rX2, 3: rX3}

// Arch is the arm64 machine architecture under one fetch assumption.
type Arch struct {
	fetch string
	// cache is CTR_EL0 under the fetch assumption: IDC = DIC = 1 for
	// FetchDIC, else 0.
	cache CacheType
}

// newArch returns the architecture of a fetch assumption.
func newArch(fetch string) (*Arch, error) {
	switch fetch {
	case "":
		return &Arch{fetch: FetchCMODX}, nil
	case FetchDIC:
		return &Arch{fetch: fetch, cache: CacheType{IDC: true, DIC: true}}, nil
	case FetchCMODX, FetchWord:
		return &Arch{fetch: fetch}, nil
	}
	return nil, fmt.Errorf("unknown arm64 fetch assumption %q (want %s, %s or %s)", fetch, FetchCMODX, FetchDIC, FetchWord)
}

// CoherentFetch reports whether a completed write is coherent with
// instruction fetch without cache maintenance (CTR_EL0.DIC).
func (a *Arch) CoherentFetch() bool { return a.cache.CoherentAtWrite() }

// OrdersCoherentFetch implements model.CoherentOrderArch: with
// CTR_EL0.DIC a completed write orders instruction fetches in program
// order (CacheType.OrdersFetchAtWrite).
func (a *Arch) OrdersCoherentFetch() bool { return a.cache.OrdersFetchAtWrite() }

// Name implements model.Arch.
func (a *Arch) Name() string { return "arm64" }

// Granule implements model.Arch: an aligned word (instruction fetch is
// single-copy atomic per 32-bit instruction, B2.2.1).
func (a *Arch) Granule() int { return 4 }

// InsnLen implements model.Arch.
func (a *Arch) InsnLen(b []byte) int { return InsnLen(b) }

// Disasm implements model.Arch.
func (a *Arch) Disasm(b []byte, addr uint64, p *model.Program) string {
	return Disasm(binary.LittleEndian.Uint32(b), addr, p.Sym)
}

// Check implements model.Arch.
func (a *Arch) Check(check int, text []byte) string {
	if check == CheckRange {
		return "arch_static_call_transform: aarch64_insn_gen_branch_imm failed (target out of range): BUG"
	}
	return ""
}

// Checks run by OpCheck.
const (
	// CheckRange: a branch the transform needs is out of range.
	CheckRange = iota
)

// Handler implements model.Arch: no exception handler is modelled.
func (a *Arch) Handler(x *model.Exec) { x.Bug("arm64: no exception handler is modelled") }

// Image is what the port's Layout records for Exec (model.Program.ArchData).
type Image struct {
	StackTop uint64 // sp when a call starts
	Tramps   []Tramp
	Ret0     uint64 // __static_call_return0
}

// Exec implements model.Arch: one instruction of the subset.
func (a *Arch) Exec(x *model.Exec) {
	cs := x.CPU()
	if cs.SP == 1 && cs.Stack[0] == x.P.Return {
		a.enter(x)
	}
	w := binary.LittleEndian.Uint32(x.Insn)
	if a.fetch != FetchWord {
		unsafe := false
		versions := x.EachFetchable(x.Addr, 4, func(v []byte) bool {
			unsafe = unsafe || !CMODXArmARM.Safe(Decode(binary.LittleEndian.Uint32(v)).Op)
			return true
		})
		if versions > 1 && unsafe {
			x.Report(props.CMODX, fmt.Sprintf("cpu%d fetches %s while it is being modified (it may fetch %s): not both in the CMODX set, so the architecture allows any behaviour (Arm ARM B2.2.5)",
				x.C, x.P.Sym(x.Addr), wordsNote(x, x.Fetchable(x.Addr, 4))))
		}
	}
	in := Decode(w)
	a.execute(x, in)
}

func wordsNote(x *model.Exec, vals [][]byte) string {
	var parts []string
	for _, v := range vals {
		parts = append(parts, Disasm(binary.LittleEndian.Uint32(v), x.Addr, x.P.Sym))
	}
	return strings.Join(parts, " or ")
}

// enter starts a call in the model's harness: the machine pushed the
// harness return address; on arm64 it goes in x30 (LR). A CPU's first
// call starts on a kernel entry (an exception return: context
// synchronising); later calls run on the same entry unless the CPU took
// an interrupt between them (model.IPIMay, armed when a call returns,
// dropped here). An IPI a thread sent (kick_all_cpus_sync(), IPIPending)
// stays pending until the CPU takes it: the sender waits for it.
func (a *Arch) enter(x *model.Exec) {
	cs := x.CPU()
	cs.SP, cs.Stack = 0, [model.MaxStack]uint64{}
	cs.Regs[rX30] = x.P.Return
	if cs.IPI == model.IPIMay {
		cs.IPI = 0
	}
	if cs.Call == 0 {
		x.Sync()
		x.Note("kernel entry: context synchronising")
	}
}

func (a *Arch) reg(x *model.Exec, r int) (uint64, bool) {
	if r == XZR {
		return 0, true
	}
	i, ok := regIndex[r]
	if !ok {
		x.Fail(fmt.Errorf("cpu%d at %s: register x%d is not modelled", x.C, x.P.Sym(x.Addr), r))
		return 0, false
	}
	return x.CPU().Regs[i], true
}

func (a *Arch) setReg(x *model.Exec, r int, v uint64, w bool) {
	if r == XZR {
		return
	}
	if w {
		v = uint64(uint32(v))
	}
	i, ok := regIndex[r]
	if !ok {
		x.Fail(fmt.Errorf("cpu%d at %s: register x%d is not modelled", x.C, x.P.Sym(x.Addr), r))
		return
	}
	x.CPU().Regs[i] = v
}

// sp is the stack pointer: the model keeps the frames' saved registers in
// CPUState.Stack, and sp follows from their number.
func (a *Arch) sp(x *model.Exec) uint64 {
	img := x.P.ArchData.(*Image)
	return img.StackTop - 8*uint64(x.CPU().SP)
}

func (a *Arch) load(x *model.Exec, ea uint64, n int) (uint64, bool) {
	b, ok := x.Load(ea, n)
	if !ok {
		x.Bug(fmt.Sprintf("Unable to handle kernel paging request at virtual address %#x (%s)", ea, Disasm(binary.LittleEndian.Uint32(x.Insn), x.Addr, x.P.Sym)))
		return 0, false
	}
	if n == 4 {
		return uint64(binary.LittleEndian.Uint32(b)), true
	}
	return binary.LittleEndian.Uint64(b), true
}

// branchNote describes an indirect branch to addr in a trace.
func branchNote(x *model.Exec, addr uint64) {
	if !x.Tracing() {
		return
	}
	for _, s := range x.P.Symbols {
		if s.Addr == addr {
			x.Note("  to %s", s.Name)
			return
		}
	}
	x.Note("  to %#x: no function there, and never a target", addr)
}

func condHolds(c uint8, nzcv uint8) bool {
	n, z, cf, v := nzcv&8 != 0, nzcv&4 != 0, nzcv&2 != 0, nzcv&1 != 0
	var r bool
	switch c >> 1 {
	case 0:
		r = z
	case 1:
		r = cf
	case 2:
		r = n
	case 3:
		r = v
	case 4:
		r = cf && !z
	case 5:
		r = n == v
	case 6:
		r = n == v && !z
	case 7:
		return true
	}
	if c&1 == 1 {
		return !r
	}
	return r
}

func (a *Arch) execute(x *model.Exec, in Insn) {
	cs := x.CPU()
	next := x.Addr + 4
	get := func(r int) uint64 {
		v, _ := a.reg(x, r)
		return v
	}
	switch in.Op {
	case OpNop, OpBTI, OpDSB, OpDMB, OpDCCVAU, OpICIVAU, OpICIALLU:
		// Barriers and cache maintenance by a caller CPU have no effect
		// the patching model observes (the litmus explorer models them).
	case OpISB:
		// ContextSynchronising(in) (rules.go) holds.
		x.Sync()
		x.Note("  isb: context synchronising")
	case OpTBZ, OpTBNZ:
		if (get(in.Rd)>>uint(in.Rm)&1 == 0) == (in.Op == OpTBZ) {
			x.Jump(x.Addr + uint64(in.Imm))
			return
		}
	case OpERET, OpMSRELR:
		x.Fail(fmt.Errorf("cpu%d at %s: exception return is not modelled on caller CPUs", x.C, x.P.Sym(x.Addr)))
		return
	case OpB:
		x.Jump(x.Addr + uint64(in.Imm))
		return
	case OpBL:
		cs.Regs[rX30] = next
		x.Jump(x.Addr + uint64(in.Imm))
		return
	case OpBCond:
		if condHolds(in.Cond, cs.Flags) {
			x.Jump(x.Addr + uint64(in.Imm))
			return
		}
	case OpCBZ, OpCBNZ:
		v := get(in.Rd)
		if in.W {
			v = uint64(uint32(v))
		}
		if (v == 0) == (in.Op == OpCBZ) {
			x.Jump(x.Addr + uint64(in.Imm))
			return
		}
	case OpBR, OpBLR:
		t := get(in.Rn)
		branchNote(x, t)
		if in.Op == OpBLR {
			cs.Regs[rX30] = next
		}
		x.Jump(t)
		return
	case OpRet:
		t := get(in.Rn)
		if t == x.P.Return {
			// Between this call and the next, the CPU may take an
			// interrupt (context synchronising); a sent IPI stays
			// pending.
			if cs.IPI == 0 {
				cs.IPI = model.IPIMay
			}
		}
		x.Jump(t)
		return
	case OpADR:
		a.setReg(x, in.Rd, x.Addr+uint64(in.Imm), false)
	case OpADRP:
		a.setReg(x, in.Rd, Page(x.Addr)+uint64(in.Imm), false)
	case OpAddImm, OpSubImm, OpSubsImm:
		var base uint64
		if in.Rn == SP {
			base = a.sp(x)
		} else {
			base = get(in.Rn)
		}
		v := base + uint64(in.Imm)
		if in.Op != OpAddImm {
			v = base - uint64(in.Imm)
		}
		if in.Op == OpSubsImm {
			cs.Flags = subFlags(base, uint64(in.Imm), in.W)
		}
		if in.Rd == SP && in.Op != OpSubsImm {
			x.Fail(fmt.Errorf("cpu%d at %s: writes to sp are not modelled", x.C, x.P.Sym(x.Addr)))
			return
		}
		a.setReg(x, in.Rd, v, in.W)
	case OpMovz:
		a.setReg(x, in.Rd, uint64(in.Imm), in.W)
	case OpOrrReg, OpAndReg, OpEorReg:
		v, m := get(in.Rn), get(in.Rm)
		switch in.Op {
		case OpOrrReg:
			v |= m
		case OpAndReg:
			v &= m
		default:
			v ^= m
		}
		a.setReg(x, in.Rd, v, in.W)
	case OpCsel, OpCsinc:
		v := get(in.Rn)
		if !condHolds(in.Cond, cs.Flags) {
			v = get(in.Rm)
			if in.Op == OpCsinc {
				v++
			}
		}
		a.setReg(x, in.Rd, v, in.W)
	case OpLdrLit, OpLdrImm:
		ea := x.Addr + uint64(in.Imm)
		if in.Op == OpLdrImm {
			if in.Rn == SP {
				x.Fail(fmt.Errorf("cpu%d at %s: loads from the stack are not modelled", x.C, x.P.Sym(x.Addr)))
				return
			}
			ea = get(in.Rn) + uint64(in.Imm)
		}
		n := 8
		if in.W {
			n = 4
		}
		v, ok := a.load(x, ea, n)
		if !ok {
			return
		}
		a.setReg(x, in.Rd, v, in.W)
		if x.Tracing() {
			x.Note("  x%d = %s (from %s)", in.Rd, value(x, v), x.P.Sym(ea))
		}
	case OpStpPre, OpLdpPost:
		// The frame record of a function: stp x29, x30, [sp, #-16]! and
		// ldp x29, x30, [sp], #16, kept in the CPU's private stack.
		if want := int64(16); in.Rn != SP || in.Op == OpStpPre && in.Imm != -want || in.Op == OpLdpPost && in.Imm != want {
			x.Fail(fmt.Errorf("cpu%d at %s: only frame-record stp/ldp are modelled", x.C, x.P.Sym(x.Addr)))
			return
		}
		if in.Op == OpStpPre {
			x.Push(get(in.Rd))
			x.Push(get(in.Rm))
		} else {
			v2, _ := x.Pop()
			v1, _ := x.Pop()
			a.setReg(x, in.Rm, v2, false)
			a.setReg(x, in.Rd, v1, false)
		}
	case OpUDF:
		x.Undefined(fmt.Sprintf("udf #%d: permanently undefined", in.Imm))
		return
	case OpBRK:
		x.Bug(fmt.Sprintf("brk #%#x: unexpected kernel BRK exception", in.Imm))
		return
	case OpSVC, OpHVC, OpSMC:
		x.Undefined(Disasm(binary.LittleEndian.Uint32(x.Insn), x.Addr, x.P.Sym) + ": not modelled in kernel code")
		return
	case OpStrImm, OpStlr, OpLdar:
		x.Fail(fmt.Errorf("cpu%d at %s: memory accesses other than literal and frame loads are not modelled on caller CPUs", x.C, x.P.Sym(x.Addr)))
		return
	default:
		x.Undefined(fmt.Sprintf("%#08x is no instruction of the modelled A64 subset", binary.LittleEndian.Uint32(x.Insn)))
		return
	}
	cs.PC = next
}

// subFlags is NZCV of a - b.
func subFlags(a, b uint64, w bool) uint8 {
	var n, z, c, v bool
	if w {
		x, y := uint32(a), uint32(b)
		r := x - y
		n, z, c = int32(r) < 0, r == 0, x >= y
		v = (int32(x) < 0) != (int32(y) < 0) && (int32(r) < 0) != (int32(x) < 0)
	} else {
		r := a - b
		n, z, c = int64(r) < 0, r == 0, a >= b
		v = (int64(a) < 0) != (int64(b) < 0) && (int64(r) < 0) != (int64(a) < 0)
	}
	var f uint8
	for i, bit := range []bool{v, c, z, n} {
		if bit {
			f |= 1 << i
		}
	}
	return f
}

// value renders a loaded value: a symbol's name when it is one's start.
func value(x *model.Exec, v uint64) string {
	for _, s := range x.P.Symbols {
		if s.Addr == v {
			return fmt.Sprintf("%#x (%s)", v, s.Name)
		}
	}
	return fmt.Sprintf("%#x", v)
}
