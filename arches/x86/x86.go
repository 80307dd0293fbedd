package x86

import (
	"encoding/binary"
	"fmt"

	"github.com/patchcheck/patchcheck/model"
)

// Fetch assumptions.
const (
	// FetchByte: every byte of an instruction may come from a different
	// write since the CPU last serialised. The SDM grants no wider
	// atomicity for instruction fetch (docs/semantics.md, x86).
	FetchByte = "byte"
	// FetchAligned4: an aligned 4-byte word is fetched as a whole (the
	// HotSpot/HHVM folklore assumption; not in the SDM).
	FetchAligned4 = "aligned4"
)

// Protocol variants of the machine's INT3 handler, still Go. The first is
// the kernel's own code; the patching thread's variants are diffs to the
// model files (kernel/variants).
const (
	VariantKernel    = "text_poke_bp"
	VariantNoEmulate = "int3-no-emulate"
)

// Registers of the model's x86 CPU.
const (
	RAX = 0 // result register (model.Regs[0] on every architecture)
)

// Arch is the x86-64 machine architecture.
type Arch struct {
	granule   int
	noEmulate bool
}

// Name implements model.Arch.
func (a *Arch) Name() string { return "x86-64" }

// Granule implements model.Arch.
func (a *Arch) Granule() int { return a.granule }

// InsnLen implements model.Arch.
func (a *Arch) InsnLen(b []byte) int { return InsnLen(b) }

// Disasm implements model.Arch.
func (a *Arch) Disasm(b []byte, addr uint64, p *model.Program) string {
	return Disasm(b, addr, p.Sym)
}

// Exec implements model.Arch: one instruction of the subset.
func (a *Arch) Exec(x *model.Exec) {
	cs := x.CPU()
	b, addr := x.Insn, x.Addr
	next := addr + uint64(len(b))
	switch {
	case b[0] == Int3Opcode:
		// #BP: regs->ip points after the INT3; poke_int3_handler runs
		// with interrupts off.
		cs.Mode = model.ModeHandler
		cs.Sub = 0
		cs.PC = next
		x.Note("#BP: int3 trap, enters smp_text_poke_int3_handler")
		x.Tag("int3")
	case b[0] == MovEAX:
		cs.Regs[RAX] = uint64(binary.LittleEndian.Uint32(b[1:5]))
		cs.PC = next
	case b[0] == 0x31: // xor %eax,%eax / xor %ecx,%ecx
		if b[1] == 0xc0 {
			cs.Regs[RAX] = 0
		}
		cs.Flags = flagZF | flagPF
		cs.PC = next
	case b[0] == Nop1:
		cs.PC = next
	case b[0] == 0x0f && (b[1] == 0x0b || b[1] == 0xb9): // ud2, ud1
		x.Undefined("#UD: " + Disasm(b, addr, x.P.Sym))
	case !flow(x, b, addr):
		panic(fmt.Sprintf("patchcheck: x86 Exec of %x, which InsnLen accepted", b))
	}
}

// flow executes the instructions that static calls patch in and the INT3
// handlers emulate: CALL, JMP, RET, Jcc, NOP5 and xor5rax, as if b were
// at addr. It reports false for any other instruction.
func flow(x *model.Exec, b []byte, addr uint64) bool {
	cs := x.CPU()
	next := addr + uint64(len(b))
	switch b[0] {
	case CallOpcode:
		x.Push(next)
		x.Jump(Target(b, addr))
	case Jmp32Opcode, Jmp8Opcode:
		x.Jump(Target(b, addr))
	case RetOpcode:
		x.Return()
	case 0x2e: // xor5rax
		cs.Regs[RAX] = 0
		cs.Flags = flagZF | flagPF
		cs.PC = next
	case 0x0f:
		switch {
		case b[1] == 0x1f: // NOP5 (the INT3 handler's JMP +0)
			cs.PC = next
		case b[1] >= 0x80 && b[1] <= 0x8f:
			if cond(b[1]&15, cs.Flags) {
				x.Jump(Target(b, addr))
			} else {
				cs.PC = next
			}
		default:
			return false
		}
	default:
		return false
	}
	return true
}

// Handler implements model.Arch: smp_text_poke_int3_handler
// (poke_int3_handler before v6.16), in two steps: try_get_text_poke_array
// (this CPU's text_poke_array_refs), then the search of text_poke_array,
// the emulation of the new instruction, put_text_poke_array and IRET.
func (a *Arch) Handler(x *model.Exec) {
	cs := x.CPU()
	arr := &x.S.K.Poke
	ip := cs.PC - 1
	refs := &arr.Refs[x.C]
	if cs.Sub == 0 {
		// smp_rmb(); if (!raw_atomic_inc_not_zero(this_cpu_ptr(&text_poke_array_refs))) return 0;
		if *refs == 0 {
			a.otherInt3(x, ip, "no text_poke_array in flight on this CPU")
			return
		}
		*refs++
		cs.Sub = 1
		x.Note("smp_text_poke_int3_handler: try_get_text_poke_array: this CPU's refs = %d", *refs)
		x.Tag("handler")
		return
	}
	i := arr.Lookup(ip)
	if i < 0 {
		*refs-- // put_text_poke_array
		how := "text_poke_array.vec[0] is " + x.P.Sym(arr.Vec[0].Addr)
		if arr.Nr > 1 {
			how = fmt.Sprintf("bsearch of the %d entries of text_poke_array finds none", arr.Nr)
		}
		a.otherInt3(x, ip, how)
		return
	}
	code := arr.Vec[i].Emul[:arr.Len[i]]
	if code[0] == Int3Opcode {
		// if (tp->opcode == INT3_INSN_OPCODE) goto out_put: "Intentionally
		// leave it as is, dont handle".
		*refs--
		a.otherInt3(x, ip, "the entry's new instruction is int3")
		return
	}
	x.Tag("handler")
	if a.noEmulate {
		cs.Mode, cs.Sub = model.ModeRun, 0
		cs.PC = ip + uint64(arr.Len[i])
		if x.Tracing() {
			x.Note("smp_text_poke_int3_handler: skips %s without emulating it", x.P.Sym(ip))
		}
	} else {
		if x.Tracing() {
			x.Note("smp_text_poke_int3_handler: emulates %s", Disasm(code, ip, x.P.Sym))
		}
		emulate(x, code, ip)
	}
	*refs--
	// IRET is a serialising instruction (SDM Vol. 3A, 9.3).
	x.Sync()
}

// otherInt3 is exc_int3 after poke_int3_handler declined: a kprobe at ip
// single-steps (here: emulates) the instruction it saved when it was
// armed; any other INT3 in kernel text is fatal.
func (a *Arch) otherInt3(x *model.Exec, ip uint64, why string) {
	kp := &x.S.K.KP
	if kp.Refs == 0 || kp.Addr != ip {
		x.Note("exc_int3: no handler claims the int3 at %s: die()", x.P.Sym(ip))
		x.Bug(fmt.Sprintf("int3 at %s not handled: %s (die)", x.P.Sym(ip), why))
		return
	}
	code := kp.Code[:kp.Len]
	if x.Tracing() {
		x.Note("kprobe_int3_handler: runs the saved %s", Disasm(code, ip, x.P.Sym))
	}
	emulate(x, code, ip)
	x.Sync()
}

// emulate runs instruction code as if it were at ip and returns to
// running: what the INT3 handlers do with the new (or saved) instruction.
func emulate(x *model.Exec, code []byte, ip uint64) {
	cs := x.CPU()
	cs.Mode, cs.Sub = model.ModeRun, 0
	if !flow(x, code, ip) {
		x.Bug("int3 handler: cannot emulate " + Disasm(code, ip, x.P.Sym))
	}
}

// Checks run by OpCheck: __static_call_validate(insn, tail, tramp).
const (
	CheckTramp = iota
	CheckTail
	CheckCall
)

// Check implements model.Arch: __static_call_validate.
func (a *Arch) Check(check int, t []byte) string {
	if check == CheckTramp {
		if len(t) < 8 || string(t[5:8]) != string(TrampUD) {
			return "__static_call_validate: trampoline signature (ud1) missing: BUG"
		}
		t = t[:5]
	}
	if check == CheckTramp || check == CheckTail {
		if t[0] == Jmp32Opcode || t[0] == RetOpcode || t[0] == 0x0f && t[1]&0xf0 == 0x80 {
			return ""
		}
	} else if t[0] == CallOpcode || string(t[:5]) == string(Nop5) || string(t[:5]) == string(Xor5rax) {
		return ""
	}
	return fmt.Sprintf("__static_call_validate: unexpected instruction % x: BUG", t)
}
