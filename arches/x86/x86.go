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

// VariantKernel is the kernel's own code, x86's one variant that is no
// diff: the others are diffs to the model files (kernel/variants).
const VariantKernel = "text_poke_bp"

// Registers of the model's x86 CPU.
const (
	RAX = 0 // result register (model.Regs[0] on every architecture)
)

// Arch is the x86-64 machine architecture.
type Arch struct {
	granule int
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
	case b[0] == Nop1, b[0] == 0x66: // nop, xchg %ax,%ax (NOP2)
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

// Handler implements model.Arch: it runs smp_text_poke_int3_handler as
// the model files write it (x.P.Handler, arch/x86/kernel/alternative.c),
// from the op the CPU's Sub names. try_get_text_poke_array() ends the
// CPU's step when it takes a reference; the rest, the search of
// text_poke_array, the emulation, put_text_poke_array() and IRET, is the
// next step.
func (a *Arch) Handler(x *model.Exec) {
	cs := x.CPU()
	ops := x.P.Handler
	arr := &x.S.K.Poke
	ip := cs.PC - 1 // regs->ip - INT3_INSN_SIZE
	refs := &arr.Refs[x.C]
	tpl, why := -1, ""
	entry := func() (code []byte, n uint64) {
		if tpl < 0 {
			panic("patchcheck: the INT3 handler reads tpl before it is set (the compiler checks)")
		}
		return arr.Vec[tpl].Emul[:arr.Len[tpl]], uint64(arr.Len[tpl])
	}
	for pc := int(cs.Sub); ; {
		if pc < 0 || pc >= len(ops) {
			panic(fmt.Sprintf("patchcheck: the INT3 handler's op %d of %d", pc, len(ops)))
		}
		op := ops[pc]
		pc++
		switch op.Code {
		case model.OpJump:
			pc = op.Label
		case model.OpHTryGet:
			// smp_rmb(); if (!raw_atomic_inc_not_zero(this_cpu_ptr(&text_poke_array_refs))) ...
			if *refs == 0 {
				why = "no text_poke_array in flight on this CPU"
				pc = op.Label
				continue
			}
			*refs++
			cs.Sub = uint8(pc)
			x.NoteAt(op.Src, "smp_text_poke_int3_handler: try_get_text_poke_array: this CPU's refs = %d", *refs)
			x.Tag("handler")
			return
		case model.OpHNr:
			if int(arr.Nr) > op.B {
				pc = op.Label
			}
		case model.OpHBsearch:
			tpl = arr.Bsearch(ip)
			if tpl < 0 {
				why = fmt.Sprintf("bsearch of the %d entries of text_poke_array finds none", arr.Nr)
			}
		case model.OpHFirst:
			tpl = 0
		case model.OpHTplNull:
			if tpl < 0 {
				pc = op.Label
			}
		case model.OpHAddrNe:
			if arr.Vec[tpl].Addr != ip {
				why = "text_poke_array.vec[0] is " + x.P.Sym(arr.Vec[tpl].Addr)
				pc = op.Label
			}
		case model.OpHOpcode:
			if o := int(tplOpcode(entry())); op.A <= o && o <= op.B {
				if o == Int3Opcode {
					why = "the entry's new instruction is int3"
				}
				pc = op.Label
			}
		case model.OpHEmulate:
			code, n := entry()
			x.Tag("handler")
			if x.Tracing() {
				x.NoteAt(op.Src, "smp_text_poke_int3_handler: emulates %s", Disasm(code, ip, x.P.Sym))
			}
			int3Emulate(x, op.A, code, ip, n)
		case model.OpHSetIP:
			to := ip
			if op.A == 1 {
				_, n := entry()
				to += n
			}
			x.Tag("handler")
			cs.Mode, cs.Sub, cs.PC = model.ModeRun, 0, to
			if x.Tracing() {
				x.NoteAt(op.Src, "smp_text_poke_int3_handler: skips %s without emulating it", x.P.Sym(ip))
			}
		case model.OpHPut:
			if *refs == 0 {
				x.Bug("smp_text_poke_int3_handler: put_text_poke_array() of a reference it does not hold")
				return
			}
			*refs--
		case model.OpHReturn:
			if op.A == 0 {
				a.otherInt3(x, ip, why, op.Src)
				return
			}
			// IRET is a serialising instruction (SDM Vol. 3A, 9.3). The
			// CPU resumes at regs->ip: where an emulation left it, else
			// after the INT3.
			if cs.Mode == model.ModeHandler {
				cs.Mode = model.ModeRun
			}
			cs.Sub = 0
			x.Sync()
			return
		case model.OpHBug:
			x.Bug("BUG() in smp_text_poke_int3_handler at " + x.P.Sym(ip))
			return
		default:
			panic(fmt.Sprintf("patchcheck: op %d in the INT3 handler", op.Code))
		}
	}
}

// tplOpcode is the tpl->opcode __smp_text_poke_batch_add sets for the
// instruction an entry emulates: its first opcode byte; a Jcc.d32 mapped
// onto its Jcc.d8 (0f 8x: 0x7x); a 5-byte NOP as JMP32 +0 and a 2-byte
// NOP as JMP8 +0.
func tplOpcode(code []byte, n uint64) byte {
	switch {
	case len(code) >= 2 && code[0] == 0x0f && code[1]&0xf0 == 0x80:
		return code[1] - 0x10
	case n == 5 && string(code) == string(Nop5):
		return Jmp32Opcode
	case n == 2 && code[0] == 0x66 && code[1] == 0x90:
		return Jmp8Opcode
	}
	return code[0]
}

// int3Emulate is int3_emulate_ret, _call, _jmp or _jcc
// (arch/x86/include/asm/text-patching.h) of the instruction code of n
// bytes that the INT3 at ip stands for: the CPU resumes as if it had
// executed it.
func int3Emulate(x *model.Exec, kind int, code []byte, ip, n uint64) {
	cs := x.CPU()
	cs.Mode, cs.Sub = model.ModeRun, 0
	next := ip + n
	target := func() uint64 {
		if tplOpcode(code, n) == Jmp32Opcode && code[0] != Jmp32Opcode {
			return next // a NOP: JMP32 +0
		}
		if tplOpcode(code, n) == Jmp8Opcode && code[0] != Jmp8Opcode {
			return next
		}
		return Target(code, ip)
	}
	switch kind {
	case model.HEmulRet:
		x.Return()
	case model.HEmulCall:
		x.Push(next)
		x.Jump(target())
	case model.HEmulJmp:
		x.Jump(target())
	case model.HEmulJcc:
		if len(code) < 2 || code[0] != 0x0f {
			x.Bug("int3_emulate_jcc of " + Disasm(code, ip, x.P.Sym))
			return
		}
		if cond(code[1]&15, cs.Flags) {
			x.Jump(target())
		} else {
			cs.PC = next
		}
	default:
		panic(fmt.Sprintf("patchcheck: INT3 emulation %d", kind))
	}
}

// otherInt3 is exc_int3 after smp_text_poke_int3_handler returned 0 (at
// src): a kprobe at ip single-steps (here: emulates) the instruction it
// saved when it was armed; any other INT3 in kernel text is fatal.
func (a *Arch) otherInt3(x *model.Exec, ip uint64, why, src string) {
	kp := &x.S.K.KP
	if kp.Refs == 0 || kp.Addr != ip {
		x.NoteAt(src, "exc_int3: no handler claims the int3 at %s: die()", x.P.Sym(ip))
		x.Bug(fmt.Sprintf("int3 at %s not handled: %s (die)", x.P.Sym(ip), why))
		return
	}
	code := kp.Code[:kp.Len]
	if x.Tracing() {
		x.NoteAt(src, "kprobe_int3_handler: runs the saved %s", Disasm(code, ip, x.P.Sym))
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
	CheckJump // a jump label site: the JMP or the NOP of its size
)

// Check implements model.Arch: __static_call_validate.
func (a *Arch) Check(check int, t []byte) string {
	if check == CheckJump {
		switch {
		case len(t) == 2 && (t[0] == Jmp8Opcode || string(t) == string(Nop2)),
			len(t) == 5 && (t[0] == Jmp32Opcode || string(t) == string(Nop5)):
			return ""
		}
		return fmt.Sprintf("arch_jump_entry_size: unexpected instruction % x at a jump label site: BUG", t)
	}
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
