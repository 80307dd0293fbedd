package ppc

import (
	"encoding/binary"
	"fmt"

	"github.com/patchcheck/patchcheck/lang"
)

// asmISA is the powerpc part of the model's assembler: the instructions
// of PPC32's trampoline (arch/powerpc/include/asm/static_call.h: b, blr,
// bctr, mtctr, lis, lwz, li; addi for the lis-addi diff's), in GNU as's
// encodings, with registers
// written as numbers as the kernel writes them, and the @ha, @h and @l
// operators.
type asmISA struct{}

// asmForms gives each instruction its operands: 'r' a register, 'i' a
// 16-bit immediate, 't' a branch target, 'd' D(RA).
var asmForms = map[string]string{
	"b": "t", "blr": "", "bctr": "", "mtctr": "r", "lis": "ri", "li": "ri", "lwz": "rd", "addi": "rri",
}

// Size implements lang.ISA.
func (asmISA) Size(st *lang.AsmStmt) (int, error) {
	form, ok := asmForms[st.Op]
	if !ok {
		return 0, &lang.Error{Pos: st.Pos, Msg: fmt.Sprintf("instruction %s is not modelled on powerpc (the model's assembler knows b, blr, bctr, mtctr, lis, li, addi and lwz; write others with .long)", st.Op)}
	}
	if len(st.Args) != len(form) {
		return 0, &lang.Error{Pos: st.Pos, Msg: fmt.Sprintf("%s takes %d operands, given %d", st.Op, len(form), len(st.Args))}
	}
	for i, a := range st.Args {
		if a.X == nil || (a.Base != nil) != (form[i] == 'd') {
			return 0, &lang.Error{Pos: a.Pos, Msg: fmt.Sprintf("%s: operand %d (%s) is not a%s", st.Op, i+1, a.Text,
				map[byte]string{'r': " register number", 'i': "n immediate", 't': " branch target", 'd': " displacement and base register, D(RA)"}[form[i]])}
		}
	}
	return 4, nil
}

// Encode implements lang.ISA.
func (asmISA) Encode(st *lang.AsmStmt, pc uint64, eval func(*lang.AsmExpr) (int64, error)) ([]byte, error) {
	form := asmForms[st.Op]
	vals := make([]int64, len(st.Args))
	base := 0
	for i, a := range st.Args {
		v, err := eval(a.X)
		if err != nil {
			return nil, err
		}
		vals[i] = v
		switch form[i] {
		case 'r':
			if v < 0 || v > 31 {
				return nil, &lang.Error{Pos: a.Pos, Msg: fmt.Sprintf("%s: register %d: 0 to 31", st.Op, v)}
			}
		case 'i', 'd':
			if v < -0x8000 || v > 0xffff {
				return nil, &lang.Error{Pos: a.Pos, Msg: fmt.Sprintf("%s: %s is %d, more than 16 bits", st.Op, a.Text, v)}
			}
			vals[i] = int64(int16(v))
		}
		if form[i] == 'd' {
			b, err := eval(a.Base)
			if err != nil {
				return nil, err
			}
			if b < 0 || b > 31 {
				return nil, &lang.Error{Pos: a.Pos, Msg: fmt.Sprintf("%s: base register %d: 0 to 31", st.Op, b)}
			}
			base = int(b)
		}
	}
	var w uint32
	switch st.Op {
	case "b":
		var ok bool
		if w, ok = B(pc, uint64(vals[0]), false); !ok {
			return nil, &lang.Error{Pos: st.Args[0].Pos, Msg: fmt.Sprintf("b %s: out of a branch's reach (32 MiB) from %#x", st.Args[0].Text, pc)}
		}
	case "blr":
		w = InsnBlr
	case "bctr":
		w = InsnBctr
	case "mtctr":
		w = Mtctr(int(vals[0]))
	case "lis":
		w = Lis(int(vals[0]), vals[1])
	case "li":
		w = Li(int(vals[0]), vals[1])
	case "lwz":
		w = Lwz(int(vals[0]), base, vals[1])
	case "addi":
		w = Addi(int(vals[0]), int(vals[1]), vals[2])
	}
	return Word(w), nil
}

// Reloc implements lang.ISA: @ha, @h and @l of the PowerPC ELF ABI.
func (asmISA) Reloc(name string, v int64) (int64, bool) {
	switch name {
	case "ha":
		return Ha(v) & 0xffff, true
	case "h":
		return v >> 16 & 0xffff, true
	case "l":
		return v & 0xffff, true
	}
	return 0, false
}

// Order implements lang.ISA.
func (asmISA) Order() binary.AppendByteOrder { return binary.BigEndian }

// AlignPow2 implements lang.ISA: on powerpc, .align N is 2^N bytes.
func (asmISA) AlignPow2() bool { return true }

// Fill implements lang.ISA: GNU as pads powerpc code with nops.
func (asmISA) Fill(n int) []byte { return lang.FillWords(n, Word(InsnNop)) }
