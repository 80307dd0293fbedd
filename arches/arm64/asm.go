package arm64

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"github.com/patchcheck/patchcheck/lang"
)

// asmISA is the arm64 part of the model's assembler: the instructions
// of the static call trampolines arm64 had or was offered
// (arch/arm64/include/asm/static_call.h: the 2026 mainline one, the 2020
// v2 and the 2021 v3-v6 designs), in GNU as's encodings and syntax:
// registers x0-x30 (and xzr, sp where A64 allows them), '#' before an
// immediate, "//" for a comment, [Xn, OFFSET] for a memory operand and
// :lo12: for the low 12 bits of an address.
type asmISA struct{}

// asmMnemonics lists the instructions asmISA knows, for its error.
const asmMnemonics = "hint, bti c, nop, ret, br, blr, b, bl, cbz, cbnz, adrp, adr, add, ldr (literal and [Xn, #imm]), mov/movz"

// Comment implements kernel.AssembleSections's comment syntax: "//"
// starts a comment on arm64 ('#' marks an immediate).
func (asmISA) Comment() string { return "//" }

// Size implements lang.ISA: every A64 instruction is 4 bytes.
func (asmISA) Size(st *lang.AsmStmt) (int, error) {
	want := func(forms ...int) error {
		for _, n := range forms {
			if len(st.Args) == n {
				return nil
			}
		}
		return &lang.Error{Pos: st.Pos, Msg: fmt.Sprintf("%s takes %d operand(s), given %d", st.Op, forms[0], len(st.Args))}
	}
	var err error
	switch st.Op {
	case "nop":
		err = want(0)
	case "ret":
		err = want(0, 1)
	case "hint", "bti", "br", "blr", "b", "bl":
		err = want(1)
	case "cbz", "cbnz", "adrp", "adr", "ldr", "mov", "movz":
		err = want(2)
	case "add":
		err = want(3)
	default:
		return 0, &lang.Error{Pos: st.Pos, Msg: fmt.Sprintf("instruction %s is not modelled on arm64 (the model's assembler knows %s; write others with .long)", st.Op, asmMnemonics)}
	}
	return 4, err
}

// xreg reads operand a as a 64-bit register: x0-x30, or xzr / sp
// where the instruction allows (sp for 31 when sp is true).
func xregOperand(st *lang.AsmStmt, a lang.AsmOperand, sp bool) (int, error) {
	bad := &lang.Error{Pos: a.Pos, Msg: fmt.Sprintf("%s: %s is not a 64-bit register (x0-x30%s)", st.Op, a.Text, map[bool]string{true: ", sp", false: ", xzr"}[sp])}
	if a.X == nil || a.X.Op != "sym" || a.X.Local {
		return 0, bad
	}
	name := strings.ToLower(a.X.Name)
	switch {
	case name == "sp" && sp, name == "xzr" && !sp:
		return 31, nil
	case name == "lr":
		return X30, nil
	case strings.HasPrefix(name, "x"):
		n, err := strconv.Atoi(name[1:])
		if err == nil && n >= 0 && n <= 30 && name[1:] == strconv.Itoa(n) {
			return n, nil
		}
	}
	return 0, bad
}

// Encode implements lang.ISA.
func (asmISA) Encode(st *lang.AsmStmt, pc uint64, eval func(*lang.AsmExpr) (int64, error)) ([]byte, error) {
	w, err := encode(st, pc, eval)
	if err != nil {
		return nil, err
	}
	return Word(w), nil
}

func encode(st *lang.AsmStmt, pc uint64, eval func(*lang.AsmExpr) (int64, error)) (uint32, error) {
	errAt := func(a lang.AsmOperand, format string, args ...any) error {
		return &lang.Error{Pos: a.Pos, Msg: fmt.Sprintf(st.Op+" "+a.Text+": "+format, args...)}
	}
	reg := func(i int, sp bool) (int, error) { return xregOperand(st, st.Args[i], sp) }
	value := func(i int) (int64, error) {
		a := st.Args[i]
		if a.X == nil {
			return 0, errAt(a, "expected an expression")
		}
		return eval(a.X)
	}
	target := func(i int) (uint64, error) {
		v, err := value(i)
		return uint64(v), err
	}
	switch st.Op {
	case "nop":
		return InsnNop, nil
	case "hint":
		// hint #34 is bti c (the kernel writes "hint 34 /* BTI C */" for
		// assemblers without BTI).
		v, err := value(0)
		if err != nil {
			return 0, err
		}
		if v < 0 || v > 127 {
			return 0, errAt(st.Args[0], "a hint is 0 to 127")
		}
		return InsnNop | uint32(v)<<5, nil
	case "bti":
		if a := st.Args[0]; a.X == nil || a.X.Op != "sym" || strings.ToLower(a.X.Name) != "c" {
			return 0, errAt(a, "the model knows bti c only")
		}
		return InsnBTIC, nil
	case "ret":
		if len(st.Args) == 0 {
			return InsnRet, nil
		}
		r, err := reg(0, false)
		return Ret(r), err
	case "br", "blr":
		r, err := reg(0, false)
		if st.Op == "blr" {
			return BLR(r), err
		}
		return BR(r), err
	case "b", "bl":
		to, err := target(0)
		if err != nil {
			return 0, err
		}
		w, ok := B(pc, to, st.Op == "bl")
		if !ok {
			return 0, errAt(st.Args[0], "%#x is out of a branch's reach (128 MiB) from %#x", to, pc)
		}
		return w, nil
	case "cbz", "cbnz":
		r, err := reg(0, false)
		if err != nil {
			return 0, err
		}
		to, err := target(1)
		if err != nil {
			return 0, err
		}
		if off := int64(to - pc); !inRange(off, 19) {
			return 0, errAt(st.Args[1], "%#x is out of reach (1 MiB) from %#x", to, pc)
		}
		return CBZ(r, pc, to, st.Op == "cbnz"), nil
	case "adrp", "adr":
		r, err := reg(0, false)
		if err != nil {
			return 0, err
		}
		to, err := target(1)
		if err != nil {
			return 0, err
		}
		if st.Op == "adr" {
			w, ok := ADR(r, pc, to)
			if !ok {
				return 0, errAt(st.Args[1], "%#x is out of adr's reach (1 MiB) from %#x", to, pc)
			}
			return w, nil
		}
		if pages := int64(Page(to)-Page(pc)) >> 12; pages < -(1<<20) || pages >= 1<<20 {
			return 0, errAt(st.Args[1], "%#x is out of adrp's reach (4 GiB) from %#x", to, pc)
		}
		return ADRP(r, pc, to), nil
	case "add":
		rd, err := reg(0, true)
		if err != nil {
			return 0, err
		}
		rn, err := reg(1, true)
		if err != nil {
			return 0, err
		}
		v, err := value(2)
		if err != nil {
			return 0, err
		}
		if v < 0 || v > 0xfff {
			return 0, errAt(st.Args[2], "%d does not fit add's 12-bit immediate", v)
		}
		return AddImm(rd, rn, uint32(v)), nil
	case "mov", "movz":
		rd, err := reg(0, false)
		if err != nil {
			return 0, err
		}
		v, err := value(1)
		if err != nil {
			return 0, err
		}
		if v < 0 || v > 0xffff {
			return 0, errAt(st.Args[1], "the model moves a 16-bit immediate (movz), not %d", v)
		}
		return Movz(rd, uint16(v)), nil
	case "ldr":
		rt, err := reg(0, false)
		if err != nil {
			return 0, err
		}
		a := st.Args[1]
		if a.Mem == nil {
			// ldr Xt, label: the 64-bit literal load.
			to, err := target(1)
			if err != nil {
				return 0, err
			}
			if off := int64(to - pc); !inRange(off, 19) || to%4 != 0 {
				return 0, errAt(a, "%#x is out of a literal load's reach (1 MiB) from %#x, or unaligned", to, pc)
			}
			return LdrLit(rt, pc, to), nil
		}
		// ldr Xt, [Xn] or [Xn, OFFSET]: unsigned offset, scaled by 8.
		if len(a.Mem) > 2 {
			return 0, errAt(a, "the model knows [Xn] and [Xn, OFFSET]")
		}
		rn, err := xregOperand(st, a.Mem[0], true)
		if err != nil {
			return 0, err
		}
		var off int64
		if len(a.Mem) == 2 {
			if a.Mem[1].X == nil {
				return 0, errAt(a, "expected an offset")
			}
			if off, err = eval(a.Mem[1].X); err != nil {
				return 0, err
			}
		}
		if off < 0 || off%8 != 0 || off/8 > 0xfff {
			return 0, errAt(a, "offset %d is no multiple of 8 from 0 to 32760", off)
		}
		return LdrImm(rt, rn, uint32(off)), nil
	}
	panic("patchcheck: arm64 asm: " + st.Op + " sized but not encoded")
}

// Reloc implements lang.ISA: :lo12: of the AArch64 ELF ABI (the low 12
// bits of an address: R_AARCH64_ADD_ABS_LO12_NC, LDST64_ABS_LO12_NC).
func (asmISA) Reloc(name string, v int64) (int64, bool) {
	if name == "lo12" {
		return v & 0xfff, true
	}
	return 0, false
}

// Order implements lang.ISA.
func (asmISA) Order() binary.AppendByteOrder { return binary.LittleEndian }

// AlignPow2 implements lang.ISA: on arm64, .align N is 2^N bytes.
func (asmISA) AlignPow2() bool { return true }

// Fill implements lang.ISA: GNU as pads arm64 code with nops.
func (asmISA) Fill(n int) []byte { return lang.FillWords(n, Word(InsnNop)) }
