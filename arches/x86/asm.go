package x86

import (
	"encoding/binary"
	"fmt"

	"github.com/patchcheck/patchcheck/lang"
)

// asmISA is the x86-64 part of the model's assembler: the instructions
// the trampolines of arch/x86/include/asm/static_call.h use (ret, int3,
// nop, jmp to a symbol), in GNU as's encodings.
type asmISA struct{}

// Size implements lang.ISA.
func (asmISA) Size(st *lang.AsmStmt) (int, error) {
	switch st.Op {
	case "ret", "int3", "nop":
		if len(st.Args) != 0 {
			return 0, &lang.Error{Pos: st.Pos, Msg: fmt.Sprintf("%s takes no operand", st.Op)}
		}
		return 1, nil
	case "jmp":
		// jmp rel32: GNU as's form for a symbol outside the section
		// (JMP32_INSN_OPCODE, arch/x86/include/asm/text-patching.h).
		if len(st.Args) != 1 || st.Args[0].X == nil || st.Args[0].Base != nil {
			return 0, &lang.Error{Pos: st.Pos, Msg: "jmp takes one target (a symbol or an expression)"}
		}
		return 5, nil
	}
	return 0, &lang.Error{Pos: st.Pos, Msg: fmt.Sprintf("instruction %s is not modelled on x86-64 (the model's assembler knows ret, int3, nop and jmp; write others with .byte)", st.Op)}
}

// Encode implements lang.ISA.
func (asmISA) Encode(st *lang.AsmStmt, pc uint64, eval func(*lang.AsmExpr) (int64, error)) ([]byte, error) {
	switch st.Op {
	case "ret":
		return []byte{RetOpcode}, nil
	case "int3":
		return []byte{Int3Opcode}, nil
	case "nop":
		return []byte{Nop1}, nil
	}
	v, err := eval(st.Args[0].X)
	if err != nil {
		return nil, err
	}
	disp := v - int64(pc+5)
	if disp != int64(int32(disp)) {
		return nil, &lang.Error{Pos: st.Args[0].Pos, Msg: fmt.Sprintf("jmp %s: out of rel32 reach", st.Args[0].Text)}
	}
	return genInsn(Jmp32Opcode, pc, uint64(v), 5)
}

// Reloc implements lang.ISA: x86 has no relocation operators.
func (asmISA) Reloc(string, int64) (int64, bool) { return 0, false }

// Order implements lang.ISA.
func (asmISA) Order() binary.AppendByteOrder { return binary.LittleEndian }

// AlignPow2 implements lang.ISA: on x86 ELF, .align N is N bytes.
func (asmISA) AlignPow2() bool { return false }

// Fill implements lang.ISA: GNU as pads code with its NOPs (the longest
// first; 1 to 5 bytes as x86_nops[]).
func (asmISA) Fill(n int) []byte {
	nops := [][]byte{nil, {Nop1}, Nop2, {0x0f, 0x1f, 0x00}, {0x0f, 0x1f, 0x40, 0x00}, Nop5}
	var out []byte
	for n > 0 {
		k := min(n, 5)
		out = append(out, nops[k]...)
		n -= k
	}
	return out
}
