package ppc

import (
	"encoding/binary"
	"fmt"

	"github.com/patchcheck/patchcheck/lang"
)

// asmISA is the powerpc part of the model's assembler: the instructions
// of the trampolines of arch/powerpc/include/asm/static_call.h (PPC32's
// b, blr, bctr, mtctr, lis, lwz, li; addi for the lis-addi diff's;
// powerpc64's ld, addis, mflr, mtlr, bcl, bctrl and std of the 2022
// series' designs), in
// GNU as's encodings, with registers written as numbers as the kernel
// writes them, the @ha, @h, @l and @toc operators and, on powerpc64, the
// .TOC. symbol of the trampoline's TOC domain (toc; 0 on PPC32, where
// @toc and .TOC. are errors).
type asmISA struct {
	toc uint64
}

// asmForms gives each instruction its operands: 'r' a register, 'i' a
// 16-bit immediate, 'u' a 5-bit field (bcl's BO and BI), 't' a branch
// target, 'd' D(RA), 's' DS(RA) (a displacement that is a multiple of 4).
var asmForms = map[string]string{
	"b": "t", "blr": "", "bctr": "", "bctrl": "", "mtctr": "r", "lis": "ri", "li": "ri", "lwz": "rd", "addi": "rri",
	"addis": "rri", "ld": "rs", "std": "rs", "mflr": "r", "mtlr": "r", "bcl": "uut",
}

// Size implements lang.ISA.
func (asmISA) Size(st *lang.AsmStmt) (int, error) {
	form, ok := asmForms[st.Op]
	if !ok {
		return 0, &lang.Error{Pos: st.Pos, Msg: fmt.Sprintf("instruction %s is not modelled on powerpc (the model's assembler knows b, bcl, blr, bctr, bctrl, mtctr, mtlr, mflr, lis, li, addi, addis, lwz, ld and std; write others with .long)", st.Op)}
	}
	if len(st.Args) != len(form) {
		return 0, &lang.Error{Pos: st.Pos, Msg: fmt.Sprintf("%s takes %d operands, given %d", st.Op, len(form), len(st.Args))}
	}
	for i, a := range st.Args {
		if a.X == nil || (a.Base != nil) != (form[i] == 'd' || form[i] == 's') {
			return 0, &lang.Error{Pos: a.Pos, Msg: fmt.Sprintf("%s: operand %d (%s) is not a%s", st.Op, i+1, a.Text,
				map[byte]string{'r': " register number", 'i': "n immediate", 'u': " 5-bit field", 't': " branch target", 'd': " displacement and base register, D(RA)", 's': " displacement and base register, DS(RA)"}[form[i]])}
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
		case 'u':
			if v < 0 || v > 31 {
				return nil, &lang.Error{Pos: a.Pos, Msg: fmt.Sprintf("%s: %s is %d: 0 to 31", st.Op, a.Text, v)}
			}
		case 'i', 'd', 's':
			if v < -0x8000 || v > 0xffff {
				return nil, &lang.Error{Pos: a.Pos, Msg: fmt.Sprintf("%s: %s is %d, more than 16 bits", st.Op, a.Text, v)}
			}
			vals[i] = int64(int16(v))
			if form[i] == 's' && v&3 != 0 {
				return nil, &lang.Error{Pos: a.Pos, Msg: fmt.Sprintf("%s: %s is %d, not a multiple of 4 (a DS field)", st.Op, a.Text, v)}
			}
		}
		if form[i] == 'd' || form[i] == 's' {
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
	case "bctrl":
		w = InsnBctrl
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
	case "addis":
		w = Addis(int(vals[0]), int(vals[1]), vals[2])
	case "ld":
		w = Ld(int(vals[0]), base, vals[1])
	case "std":
		w = Std(int(vals[0]), base, vals[1])
	case "mflr":
		w = Mflr(int(vals[0]))
	case "mtlr":
		w = Mtlr(int(vals[0]))
	case "bcl":
		// bc BO,BI,target with LK: a 16-bit word displacement.
		d := vals[2] - int64(pc)
		if d < -0x8000 || d > 0x7fff || d&3 != 0 {
			return nil, &lang.Error{Pos: st.Args[2].Pos, Msg: fmt.Sprintf("bcl %s: out of a conditional branch's reach (32 KiB) from %#x", st.Args[2].Text, pc)}
		}
		w = 16<<26 | uint32(vals[0])<<21 | uint32(vals[1])<<16 | uint32(d)&0xfffc | 1
	}
	return Word(w), nil
}

// Reloc implements lang.ISA: @ha, @h and @l of the PowerPC ELF ABI, and
// powerpc64's @toc (the offset from the TOC pointer, .TOC.).
func (a asmISA) Reloc(name string, v int64) (int64, bool) {
	switch name {
	case "toc":
		if a.toc == 0 {
			return 0, false
		}
		return v - int64(a.toc), true
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

// Symbol gives the assembler powerpc64's .TOC., the TOC pointer of the
// trampoline's TOC domain (vmlinux's or its module's).
func (a asmISA) Symbol(name string) (uint64, bool) {
	if name == ".TOC." && a.toc != 0 {
		return a.toc, true
	}
	return 0, false
}
