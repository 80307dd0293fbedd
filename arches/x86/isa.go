// Package x86 is patchcheck's x86-64 port: the instruction subset that
// static calls use, in its real encodings, the CPU's execution of it, the
// INT3 handler of text_poke_bp, and the kernel's arch_static_call_transform
// with its patch primitives (text_poke_bp, text_poke_early).
package x86

import (
	"encoding/binary"
	"fmt"
)

// Opcodes and fixed byte sequences, as the kernel names them
// (arch/x86/include/asm/text-patching.h, arch/x86/kernel/static_call.c).
const (
	CallOpcode  = 0xe8 // CALL_INSN_OPCODE: call rel32
	Jmp32Opcode = 0xe9 // JMP32_INSN_OPCODE: jmp rel32
	Jmp8Opcode  = 0xeb // JMP8_INSN_OPCODE: jmp rel8
	RetOpcode   = 0xc3 // RET_INSN_OPCODE
	Int3Opcode  = 0xcc // INT3_INSN_OPCODE
	MovEAX      = 0xb8 // mov $imm32,%eax
	Nop1        = 0x90
)

var (
	// Nop5 is x86_nops[5]: nopl 0x0(%rax,%rax,1).
	Nop5 = []byte{0x0f, 0x1f, 0x44, 0x00, 0x00}
	// Nop2 is x86_nops[2] (BYTES_NOP2): xchg %ax,%ax, the NOP of a
	// 2-byte jump label site.
	Nop2 = []byte{0x66, 0x90}
	// Xor5rax is the 5-byte "cs cs cs xorl %eax,%eax" that stands for a
	// call to __static_call_return0.
	Xor5rax = []byte{0x2e, 0x2e, 0x2e, 0x31, 0xc0}
	// TrampUD is the trampoline signature: ud1 %esp,%ecx.
	TrampUD = []byte{0x0f, 0xb9, 0xcc}
	// RetInsn is RET padded with INT3 to 5 bytes (retinsn).
	RetInsn = []byte{RetOpcode, 0xcc, 0xcc, 0xcc, 0xcc}
)

// Flags the model keeps (of EFLAGS).
const (
	flagZF = 1 << iota
	flagCF
	flagSF
	flagOF
	flagPF
)

// InsnLen returns the length of the instruction b starts with, 0 when b is
// too short to tell, -1 when it is none of the modelled subset.
func InsnLen(b []byte) int {
	if len(b) == 0 {
		return 0
	}
	switch b[0] {
	case CallOpcode, Jmp32Opcode, MovEAX:
		return 5
	case Jmp8Opcode:
		return 2
	case RetOpcode, Int3Opcode, Nop1:
		return 1
	case 0x31: // xor r32,r/m32: %eax,%eax (c0) and %ecx,%ecx (c9)
		if len(b) < 2 {
			return 0
		}
		if b[1] == 0xc0 || b[1] == 0xc9 {
			return 2
		}
		return -1
	case 0x0f:
		if len(b) < 2 {
			return 0
		}
		switch {
		case b[1] >= 0x80 && b[1] <= 0x8f: // Jcc rel32
			return 6
		case b[1] == 0x0b: // ud2
			return 2
		}
		want := Nop5
		if b[1] == 0xb9 {
			want = TrampUD
		} else if b[1] != 0x1f {
			return -1
		}
		return prefixMatch(b, want)
	case 0x2e:
		return prefixMatch(b, Xor5rax)
	case 0x66:
		return prefixMatch(b, Nop2)
	}
	return -1
}

// prefixMatch says how b relates to the fixed sequence want.
func prefixMatch(b, want []byte) int {
	for i := 0; i < len(want); i++ {
		if i >= len(b) {
			return 0
		}
		if b[i] != want[i] {
			return -1
		}
	}
	return len(want)
}

// rel32 returns the displacement of a 5-byte CALL/JMP or 6-byte Jcc.
func rel32(b []byte) int64 {
	return int64(int32(binary.LittleEndian.Uint32(b[len(b)-4:])))
}

// Target returns where the CALL, JMP or Jcc b at addr goes.
func Target(b []byte, addr uint64) uint64 {
	if b[0] == Jmp8Opcode {
		return addr + 2 + uint64(int64(int8(b[1])))
	}
	return addr + uint64(len(b)) + uint64(rel32(b))
}

// GenInsn encodes opcode (CALL or JMP32) at addr to dest, like the kernel's
// text_gen_insn. A Jcc is encoded from its two opcode bytes 0f 8x.
func GenInsn(op []byte, addr, dest uint64) []byte {
	out := append([]byte(nil), op...)
	rel := int64(dest - (addr + uint64(len(op)) + 4))
	return binary.LittleEndian.AppendUint32(out, uint32(int32(rel)))
}

// cond evaluates condition code cc (the low nibble of Jcc) on flags.
func cond(cc byte, f uint8) bool {
	zf, cf, sf, of, pf := f&flagZF != 0, f&flagCF != 0, f&flagSF != 0, f&flagOF != 0, f&flagPF != 0
	var r bool
	switch cc >> 1 {
	case 0:
		r = of
	case 1:
		r = cf
	case 2:
		r = zf
	case 3:
		r = cf || zf
	case 4:
		r = sf
	case 5:
		r = pf
	case 6:
		r = sf != of
	case 7:
		r = zf || sf != of
	}
	if cc&1 != 0 {
		return !r
	}
	return r
}

var ccNames = [16]string{"o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"}

// Disasm renders b at addr in AT&T syntax; sym names branch targets.
func Disasm(b []byte, addr uint64, sym func(uint64) string) string {
	n := InsnLen(b)
	if n <= 0 || n > len(b) {
		return "(bad)"
	}
	switch b[0] {
	case CallOpcode:
		return "call " + sym(Target(b[:5], addr))
	case Jmp32Opcode, Jmp8Opcode:
		return "jmp " + sym(Target(b[:n], addr))
	case RetOpcode:
		return "ret"
	case Int3Opcode:
		return "int3"
	case Nop1:
		return "nop"
	case MovEAX:
		return fmt.Sprintf("mov $%#x,%%eax", binary.LittleEndian.Uint32(b[1:5]))
	case 0x31:
		if b[1] == 0xc0 {
			return "xor %eax,%eax"
		}
		return "xor %ecx,%ecx"
	case 0x2e:
		return "cs cs cs xor %eax,%eax"
	case 0x66:
		return "xchg %ax,%ax"
	}
	switch {
	case b[1] >= 0x80 && b[1] <= 0x8f:
		return "j" + ccNames[b[1]&15] + " " + sym(Target(b[:6], addr))
	case b[1] == 0x0b:
		return "ud2"
	case b[1] == 0xb9:
		return "ud1 %esp,%ecx"
	}
	return "nopl 0x0(%rax,%rax,1)"
}
