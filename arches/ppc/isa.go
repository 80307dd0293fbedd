// Package ppc is patchcheck's powerpc port, for two ABIs: PPC32 (the
// out-of-line static call trampoline of v5.16 and the inline static calls
// of 2025) and powerpc64 ELFv2 (the out-of-line static call designs of
// Benjamin Gray's 2022 series, with the TOC pointer kept per module). It
// holds the instruction subset these use, in its real big-endian
// encodings, the CPU's execution of it, and the kernel's patching
// (arch_static_call_transform with patch_instruction and patch_ulong).
package ppc

import (
	"encoding/binary"
	"fmt"
)

// Registers of the subset. GPRs other than these decode as undefined:
// the model's code never uses them.
const (
	GPR0  = 0
	GPR1  = 1  // stack pointer
	GPR2  = 2  // TOC pointer (powerpc64 ELFv2)
	GPR3  = 3  // first argument and result
	GPR11 = 11 // scratch of stubs and module trampolines
	GPR12 = 12 // global entry address (ELFv2), scratch
	GPR13 = 13 // the PACA (powerpc64), read only in the model
)

// Op names an instruction form of the subset.
type Op uint8

// Instruction forms.
const (
	OpBad   Op = iota
	OpB        // b, bl, ba, bla: I-form branch
	OpBcl      // bcl 20,31,$+4: the "get the PC" idiom (only this bc form)
	OpBlr      // bclr 20,0: return
	OpBctr     // bcctr 20,0
	OpBctrl    // bcctrl 20,0
	OpMtlr     // mtspr LR,rS
	OpMtctr    // mtspr CTR,rS
	OpMflr     // mfspr rT,LR
	OpMfctr    // mfspr rT,CTR
	OpAddis    // addis rT,rA,SI (lis when rA is 0)
	OpAddi     // addi rT,rA,SI (li when rA is 0)
	OpLd       // ld rT,DS(rA)
	OpStd      // std rS,DS(rA)
	OpStdu     // stdu rS,DS(rA)
	OpLwz      // lwz rT,D(rA)
	OpStw      // stw rS,D(rA)
	OpStwu     // stwu rS,D(rA)
	OpNop      // ori 0,0,0: the preferred no-op
	OpIsync    // isync
)

// Fixed encodings (arch/powerpc/include/asm/ppc-opcode.h).
const (
	InsnNop   uint32 = 0x60000000 // PPC_RAW_NOP(): ori 0,0,0
	InsnBlr   uint32 = 0x4e800020 // PPC_RAW_BLR()
	InsnBctr  uint32 = 0x4e800420 // PPC_RAW_BCTR()
	InsnBctrl uint32 = 0x4e800421 // PPC_RAW_BCTRL()
	InsnBcl   uint32 = 0x429f0005 // bcl 20,31,$+4
	InsnIsync uint32 = 0x4c00012c // PPC_RAW_ISYNC()
)

// Insn is a decoded instruction of the subset.
type Insn struct {
	Op     Op
	RT, RA int   // RT is also RS for stores and mtspr
	Imm    int64 // SI, D or DS, sign-extended; the branch displacement for OpB
	AA, LK bool  // OpB: absolute, link
}

// modelled reports whether GPR r is one the model keeps (r13 only as a
// base register, which the caller checks).
func modelled(r int) bool {
	return r == GPR0 || r == GPR1 || r == GPR2 || r == GPR3 || r == GPR11 || r == GPR12
}

// Decode decodes w. It reports false for any word outside the subset,
// including forms of the subset that name a register the model does not
// keep: those are undefined in the model.
func Decode(w uint32) (Insn, bool) {
	op := w >> 26
	rt, ra := int(w>>21&31), int(w>>16&31)
	si := int64(int16(w & 0xffff))
	switch op {
	case 18:
		li := int64(int32(w&0x03fffffc<<6) >> 6)
		return Insn{Op: OpB, Imm: li, AA: w&2 != 0, LK: w&1 != 0}, true
	case 16:
		if w == InsnBcl {
			return Insn{Op: OpBcl, Imm: 4, LK: true}, true
		}
	case 19:
		switch w {
		case InsnBlr:
			return Insn{Op: OpBlr}, true
		case InsnBctr:
			return Insn{Op: OpBctr}, true
		case InsnBctrl:
			return Insn{Op: OpBctrl}, true
		case InsnIsync:
			return Insn{Op: OpIsync}, true
		}
	case 31:
		if w&1 != 0 || !modelled(rt) {
			return Insn{}, false
		}
		spr := w >> 11 & 0x3ff
		switch xo := w >> 1 & 0x3ff; {
		case xo == 467 && spr == 0x100:
			return Insn{Op: OpMtlr, RT: rt}, true
		case xo == 467 && spr == 0x120:
			return Insn{Op: OpMtctr, RT: rt}, true
		case xo == 339 && spr == 0x100:
			return Insn{Op: OpMflr, RT: rt}, true
		case xo == 339 && spr == 0x120:
			return Insn{Op: OpMfctr, RT: rt}, true
		}
	case 14, 15:
		if !modelled(rt) || ra != 0 && !modelled(ra) {
			return Insn{}, false
		}
		o := OpAddi
		if op == 15 {
			o = OpAddis
		}
		return Insn{Op: o, RT: rt, RA: ra, Imm: si}, true
	case 24:
		if w == InsnNop {
			return Insn{Op: OpNop}, true
		}
	case 32, 36, 37:
		if !modelled(rt) || !baseOK(ra) || op == 37 && ra == 0 {
			return Insn{}, false
		}
		o := map[uint32]Op{32: OpLwz, 36: OpStw, 37: OpStwu}[op]
		return Insn{Op: o, RT: rt, RA: ra, Imm: si}, true
	case 58, 62:
		xo := w & 3
		ds := int64(int16(w & 0xfffc))
		if !modelled(rt) || !baseOK(ra) {
			return Insn{}, false
		}
		switch {
		case op == 58 && xo == 0:
			return Insn{Op: OpLd, RT: rt, RA: ra, Imm: ds}, true
		case op == 62 && xo == 0:
			return Insn{Op: OpStd, RT: rt, RA: ra, Imm: ds}, true
		case op == 62 && xo == 1 && ra != 0:
			return Insn{Op: OpStdu, RT: rt, RA: ra, Imm: ds}, true
		}
	}
	return Insn{}, false
}

// baseOK reports whether r may be the base of a load or store: a kept
// GPR, r13 (the PACA), or 0 (no base).
func baseOK(r int) bool { return r == 0 || r == GPR13 || modelled(r) }

// InsnLen returns 4 for a word of the subset, 0 when b is shorter than a
// word, and -1 otherwise. The model has no prefixed (8-byte) instructions.
func InsnLen(b []byte) int {
	if len(b) < 4 {
		return 0
	}
	if _, ok := Decode(binary.BigEndian.Uint32(b)); !ok {
		return -1
	}
	return 4
}

// Word returns w as its 4 big-endian bytes.
func Word(w uint32) []byte { return binary.BigEndian.AppendUint32(nil, w) }

// BranchInRange is is_offset_in_branch_range(): an I-form branch reaches
// [-0x2000000, 0x1fffffc], word-aligned.
func BranchInRange(off int64) bool {
	return off >= -0x2000000 && off <= 0x1fffffc && off&3 == 0
}

// B encodes a relative I-form branch at from to to (bl with link). It
// reports false when to is out of reach (create_branch's -ERANGE).
func B(from, to uint64, link bool) (uint32, bool) {
	off := int64(to - from)
	if !BranchInRange(off) {
		return 0, false
	}
	w := 0x48000000 | uint32(off)&0x03fffffc
	if link {
		w |= 1
	}
	return w, true
}

// MustB is B for branches the layout places in reach.
func MustB(from, to uint64, link bool) uint32 {
	w, ok := B(from, to, link)
	if !ok {
		panic(fmt.Sprintf("patchcheck: branch %#x -> %#x out of reach", from, to))
	}
	return w
}

func dform(op uint32, rt, ra int, imm int64) uint32 {
	return op<<26 | uint32(rt)<<21 | uint32(ra)<<16 | uint32(imm)&0xffff
}

// Addis encodes addis rT,rA,SI (lis rT,SI when rA is 0).
func Addis(rt, ra int, si int64) uint32 { return dform(15, rt, ra, si) }

// Addi encodes addi rT,rA,SI (li rT,SI when rA is 0).
func Addi(rt, ra int, si int64) uint32 { return dform(14, rt, ra, si) }

// Li encodes li rT,SI.
func Li(rt int, si int64) uint32 { return Addi(rt, 0, si) }

// Lis encodes lis rT,SI.
func Lis(rt int, si int64) uint32 { return Addis(rt, 0, si) }

// Lwz encodes lwz rT,D(rA).
func Lwz(rt, ra int, d int64) uint32 { return dform(32, rt, ra, d) }

// Stw encodes stw rS,D(rA).
func Stw(rs, ra int, d int64) uint32 { return dform(36, rs, ra, d) }

// Stwu encodes stwu rS,D(rA).
func Stwu(rs, ra int, d int64) uint32 { return dform(37, rs, ra, d) }

// Ld encodes ld rT,DS(rA).
func Ld(rt, ra int, ds int64) uint32 { return dform(58, rt, ra, ds) &^ 3 }

// Std encodes std rS,DS(rA).
func Std(rs, ra int, ds int64) uint32 { return dform(62, rs, ra, ds) &^ 3 }

// Stdu encodes stdu rS,DS(rA).
func Stdu(rs, ra int, ds int64) uint32 { return dform(62, rs, ra, ds)&^3 | 1 }

// Mtlr encodes mtlr rS.
func Mtlr(rs int) uint32 { return 0x7c0803a6 | uint32(rs)<<21 }

// Mtctr encodes mtctr rS.
func Mtctr(rs int) uint32 { return 0x7c0903a6 | uint32(rs)<<21 }

// Mflr encodes mflr rT.
func Mflr(rt int) uint32 { return 0x7c0802a6 | uint32(rt)<<21 }

// Mfctr encodes mfctr rT.
func Mfctr(rt int) uint32 { return 0x7c0902a6 | uint32(rt)<<21 }

// Ha and Lo split v as @ha and @l: (Ha << 16) + Lo == v, with Lo taken as
// a signed 16-bit value, as addis/addi pairs and D-form loads use them.
func Ha(v int64) int64 { return int64(int16((v + 0x8000) >> 16)) }

// Lo is the low half of v, sign-extended (see Ha).
func Lo(v int64) int64 { return int64(int16(v)) }

// PatchClass reports whether w is in the Power ISA's patch class: the
// I-form branch (b[l][a]) and the preferred no-op (ori 0,0,0).
func PatchClass(w uint32) bool { return w>>26 == 18 || w == InsnNop }

// BranchTarget returns where the I-form branch in at addr goes.
func BranchTarget(in Insn, addr uint64) uint64 {
	if in.AA {
		return uint64(in.Imm)
	}
	return addr + uint64(in.Imm)
}

func reg(r int) string { return fmt.Sprintf("r%d", r) }

// Disasm renders the word at the start of b, at addr, in objdump's
// syntax; sym names branch targets. It returns "(bad)" for anything
// outside the subset.
func Disasm(b []byte, addr uint64, sym func(uint64) string) string {
	if InsnLen(b) != 4 {
		return "(bad)"
	}
	in, _ := Decode(binary.BigEndian.Uint32(b))
	switch in.Op {
	case OpB:
		m := "b"
		if in.LK {
			m += "l"
		}
		if in.AA {
			m += "a"
		}
		return m + " " + sym(BranchTarget(in, addr))
	case OpBcl:
		return "bcl 20,31," + sym(addr+4)
	case OpBlr:
		return "blr"
	case OpBctr:
		return "bctr"
	case OpBctrl:
		return "bctrl"
	case OpIsync:
		return "isync"
	case OpNop:
		return "nop"
	case OpMtlr:
		return "mtlr " + reg(in.RT)
	case OpMtctr:
		return "mtctr " + reg(in.RT)
	case OpMflr:
		return "mflr " + reg(in.RT)
	case OpMfctr:
		return "mfctr " + reg(in.RT)
	case OpAddis, OpAddi:
		m := map[Op][2]string{OpAddis: {"addis", "lis"}, OpAddi: {"addi", "li"}}[in.Op]
		if in.RA == 0 {
			return fmt.Sprintf("%s %s,%d", m[1], reg(in.RT), in.Imm)
		}
		return fmt.Sprintf("%s %s,%s,%d", m[0], reg(in.RT), reg(in.RA), in.Imm)
	}
	m := map[Op]string{OpLd: "ld", OpStd: "std", OpStdu: "stdu", OpLwz: "lwz", OpStw: "stw", OpStwu: "stwu"}[in.Op]
	base := "0" // (RA|0): no base register
	if in.RA != 0 {
		base = reg(in.RA)
	}
	return fmt.Sprintf("%s %s,%d(%s)", m, reg(in.RT), in.Imm, base)
}
