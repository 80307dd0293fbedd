// Package arm64 models the arm64 (AArch64) static call designs and their
// branch patching: A64 encodings, the instruction-fetch rules of the Arm
// ARM (stale fetch until a context synchronisation, cache maintenance,
// the CMODX rule for concurrent modification), and the trampolines and
// transforms of the 2026 mainline port and of the designs proposed between
// 2020 and 2021 (docs/semantics.md §10).
package arm64

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// Op is an A64 instruction of the modelled subset.
type Op uint8

// The modelled subset (Arm ARM C6, "A64 Base Instruction Descriptions").
// Anything else decodes as OpUndef.
const (
	OpUndef   Op = iota
	OpNop        // NOP (HINT #0)
	OpBTI        // BTI {c, j, jc} (HINT #32..#38, even)
	OpB          // B label
	OpBL         // BL label
	OpBCond      // B.cond label
	OpCBZ        // CBZ Xt/Wt, label
	OpCBNZ       // CBNZ Xt/Wt, label
	OpBR         // BR Xn
	OpBLR        // BLR Xn
	OpRet        // RET {Xn}
	OpADR        // ADR Xd, label
	OpADRP       // ADRP Xd, label
	OpAddImm     // ADD Xd|SP, Xn|SP, #imm{, LSL #12}
	OpSubImm     // SUB Xd|SP, Xn|SP, #imm{, LSL #12}
	OpSubsImm    // SUBS Xd, Xn|SP, #imm (CMP when Rd is XZR)
	OpMovz       // MOVZ Xd/Wd, #imm16{, LSL #s}
	OpOrrReg     // ORR Xd, Xn, Xm (MOV Xd, Xm when Rn is XZR)
	OpAndReg     // AND Xd, Xn, Xm
	OpEorReg     // EOR Xd, Xn, Xm
	OpCsel       // CSEL Xd, Xn, Xm, cond
	OpCsinc      // CSINC Xd, Xn, Xm, cond (CSET when Rn and Rm are XZR)
	OpLdrLit     // LDR Xt/Wt, label
	OpLdrImm     // LDR Xt/Wt, [Xn|SP, #imm] (unsigned offset)
	OpStrImm     // STR Xt/Wt, [Xn|SP, #imm] (unsigned offset)
	OpStlr       // STLR Xt/Wt, [Xn|SP] (store-release)
	OpLdar       // LDAR Xt/Wt, [Xn|SP] (load-acquire)
	OpStpPre     // STP Xt1, Xt2, [Xn|SP, #imm]!
	OpLdpPost    // LDP Xt1, Xt2, [Xn|SP], #imm
	OpISB        // ISB
	OpDSB        // DSB <option>
	OpDMB        // DMB <option>
	OpDCCVAU     // DC CVAU, Xt
	OpICIVAU     // IC IVAU, Xt
	OpUDF        // UDF #imm16 (permanently undefined)
	OpBRK        // BRK #imm16
	OpSVC        // SVC #imm16
	OpHVC        // HVC #imm16
	OpSMC        // SMC #imm16
	OpTBZ        // TBZ Xt/Wt, #bit, label (the bit number in Rm)
	OpTBNZ       // TBNZ Xt/Wt, #bit, label
	OpERET       // ERET (exception return: context synchronising)
	OpMSRELR     // MSR ELR_EL1, Xt
	OpICIALLU    // IC IALLU, IC IALLUIS (Cond 1 for IS): every location
)

// Insn is a decoded instruction.
type Insn struct {
	Op     Op
	Rd, Rn int   // Rd is Rt for loads, stores and CBZ; 31 is SP or XZR by context
	Rm     int   // Rt2 for STP/LDP
	Imm    int64 // immediate; for branches, ADR and literal loads the byte offset from the instruction
	Cond   uint8 // B.cond, CSEL, CSINC; BTI: 1 c, 2 j, 3 jc; DSB/DMB: CRm
	W      bool  // 32-bit (W registers)
}

// Fixed encodings.
const (
	InsnNop  uint32 = 0xd503201f // nop
	InsnBTIC uint32 = 0xd503245f // bti c (hint #34)
	InsnRet  uint32 = 0xd65f03c0 // ret
	InsnISB  uint32 = 0xd5033fdf // isb
	InsnERET uint32 = 0xd69f03e0 // eret
	// InsnBreakFault is AARCH64_BREAK_FAULT, brk #0x100: what
	// aarch64_insn_gen_branch_imm returns for an out-of-range branch.
	InsnBreakFault uint32 = 0xd4202000
)

// Registers.
const (
	X0  = 0
	X16 = 16
	X17 = 17
	X29 = 29
	X30 = 30
	SP  = 31 // as a base or ADD operand
	XZR = 31 // as a data operand
)

// BranchRange is the reach of B and BL: ±128 MiB.
const BranchRange = 128 << 20

func sext(v uint32, bits uint) int64 { return int64(int32(v<<(32-bits)) >> (32 - bits)) }

// Decode decodes w; anything outside the subset is OpUndef.
func Decode(w uint32) Insn {
	rd, rn, rm := int(w&31), int(w>>5&31), int(w>>16&31)
	switch {
	case w == InsnNop:
		return Insn{Op: OpNop}
	case w&0xffffff3f == 0xd503241f && w>>6&3 != 0: // HINT #32+2n: BTI {c, j, jc}
		return Insn{Op: OpBTI, Cond: uint8(w >> 6 & 3)}
	case w == InsnISB:
		return Insn{Op: OpISB}
	case w&0xfffff0ff == 0xd503309f && w>>8&0xb != 0: // CRm 0b0x00 is SSBB, PSSBB
		return Insn{Op: OpDSB, Cond: uint8(w >> 8 & 15)}
	case w&0xfffff0ff == 0xd50330bf:
		return Insn{Op: OpDMB, Cond: uint8(w >> 8 & 15)}
	case w&0xffffffe0 == 0xd50b7b20:
		return Insn{Op: OpDCCVAU, Rd: rd}
	case w&0xffffffe0 == 0xd50b7520:
		return Insn{Op: OpICIVAU, Rd: rd}
	case w == 0xd508751f, w == 0xd508711f:
		return Insn{Op: OpICIALLU, Cond: uint8(b2i(w == 0xd508711f))}
	case w == InsnERET:
		return Insn{Op: OpERET}
	case w&0xffffffe0 == 0xd5184020:
		return Insn{Op: OpMSRELR, Rd: rd}
	case w&0x7e000000 == 0x36000000: // TBZ, TBNZ
		op := OpTBZ
		if w>>24&1 == 1 {
			op = OpTBNZ
		}
		return Insn{Op: op, Rd: rd, Rm: int(w>>31<<5 | w>>19&31), W: w>>31 == 0, Imm: sext(w>>5&0x3fff, 14) * 4}
	case w&0x7c000000 == 0x14000000: // B, BL
		op := OpB
		if w>>31 == 1 {
			op = OpBL
		}
		return Insn{Op: op, Imm: sext(w&0x3ffffff, 26) * 4}
	case w&0xff000010 == 0x54000000:
		return Insn{Op: OpBCond, Cond: uint8(w & 15), Imm: sext(w>>5&0x7ffff, 19) * 4}
	case w&0x7e000000 == 0x34000000: // CBZ, CBNZ
		op := OpCBZ
		if w>>24&1 == 1 {
			op = OpCBNZ
		}
		return Insn{Op: op, Rd: rd, W: w>>31 == 0, Imm: sext(w>>5&0x7ffff, 19) * 4}
	case w&0xfffffc1f == 0xd61f0000:
		return Insn{Op: OpBR, Rn: rn}
	case w&0xfffffc1f == 0xd63f0000:
		return Insn{Op: OpBLR, Rn: rn}
	case w&0xfffffc1f == 0xd65f0000:
		return Insn{Op: OpRet, Rn: rn}
	case w&0x1f000000 == 0x10000000: // ADR, ADRP
		imm := sext(w>>5&0x7ffff<<2|w>>29&3, 21)
		if w>>31 == 1 {
			return Insn{Op: OpADRP, Rd: rd, Imm: imm << 12}
		}
		return Insn{Op: OpADR, Rd: rd, Imm: imm}
	case w&0x7f800000 == 0x11000000, w&0x7f800000 == 0x51000000, w&0x7f800000 == 0x71000000: // ADD, SUB, SUBS (immediate)
		imm := int64(w >> 10 & 0xfff)
		if w>>22&1 == 1 {
			imm <<= 12
		}
		op := OpAddImm
		switch w >> 29 & 3 {
		case 2:
			op = OpSubImm
		case 3:
			op = OpSubsImm
		case 1:
			return Insn{} // ADDS: outside the subset
		}
		return Insn{Op: op, Rd: rd, Rn: rn, Imm: imm, W: w>>31 == 0}
	case w&0x7f800000 == 0x52800000 && (w>>31 == 1 || w>>22&1 == 0): // MOVZ (hw 2, 3 unallocated for Wd)
		return Insn{Op: OpMovz, Rd: rd, Imm: int64(w>>5&0xffff) << (16 * (w >> 21 & 3)), W: w>>31 == 0}
	case w&0x7f200000 == 0x2a000000 && w>>10&0x3f == 0 && w>>22&3 == 0, // ORR, AND, EOR (shifted register, no shift)
		w&0x7f200000 == 0x0a000000 && w>>10&0x3f == 0 && w>>22&3 == 0,
		w&0x7f200000 == 0x4a000000 && w>>10&0x3f == 0 && w>>22&3 == 0:
		op := map[uint32]Op{0: OpAndReg, 1: OpOrrReg, 2: OpEorReg}[w>>29&3]
		return Insn{Op: op, Rd: rd, Rn: rn, Rm: rm, W: w>>31 == 0}
	case w&0x7fe00c00 == 0x1a800000, w&0x7fe00c00 == 0x1a800400: // CSEL, CSINC
		op := OpCsel
		if w>>10&1 == 1 {
			op = OpCsinc
		}
		return Insn{Op: op, Rd: rd, Rn: rn, Rm: rm, Cond: uint8(w >> 12 & 15), W: w>>31 == 0}
	case w&0xbf000000 == 0x18000000: // LDR (literal), 32 and 64
		return Insn{Op: OpLdrLit, Rd: rd, W: w>>30 == 0, Imm: sext(w>>5&0x7ffff, 19) * 4}
	case w&0xbfc00000 == 0xb9400000, w&0xbfc00000 == 0xb9000000: // LDR, STR (unsigned offset)
		op, scale := OpStrImm, int64(4)
		if w>>22&1 == 1 {
			op = OpLdrImm
		}
		if w>>30 == 3 {
			scale = 8
		}
		return Insn{Op: op, Rd: rd, Rn: rn, W: scale == 4, Imm: int64(w>>10&0xfff) * scale}
	case w&0xbffffc00 == 0x889ffc00, w&0xbffffc00 == 0x88dffc00: // STLR, LDAR
		op := OpStlr
		if w>>22&1 == 1 {
			op = OpLdar
		}
		return Insn{Op: op, Rd: rd, Rn: rn, W: w>>30&1 == 0}
	case w&0xffc00000 == 0xa9800000: // STP (64-bit, pre-index)
		return Insn{Op: OpStpPre, Rd: rd, Rn: rn, Rm: int(w >> 10 & 31), Imm: sext(w>>15&0x7f, 7) * 8}
	case w&0xffc00000 == 0xa8c00000: // LDP (64-bit, post-index)
		return Insn{Op: OpLdpPost, Rd: rd, Rn: rn, Rm: int(w >> 10 & 31), Imm: sext(w>>15&0x7f, 7) * 8}
	case w&0xffff0000 == 0:
		return Insn{Op: OpUDF, Imm: int64(w & 0xffff)}
	case w&0xffe0001f == 0xd4200000:
		return Insn{Op: OpBRK, Imm: int64(w >> 5 & 0xffff)}
	case w&0xffe0001c == 0xd4000000 && w&3 != 0:
		return Insn{Op: [...]Op{0, OpSVC, OpHVC, OpSMC}[w&3], Imm: int64(w >> 5 & 0xffff)}
	}
	return Insn{}
}

// CMODXSafe reports whether w is one of the instructions that the Arm ARM
// (B2.2.5, "Concurrent modification and execution of instructions") lets
// software modify while another PE executes it, when the instruction
// before and the one after the modification both are: B, BL, BRK, HVC,
// ISB, NOP, SMC or SVC. Linux's old __aarch64_insn_hotpatch_safe had the
// same list without ISB.
func CMODXSafe(w uint32) bool { return CMODXArmARM.Safe(Decode(w).Op) }

// Word returns w's bytes in memory (instructions are little-endian).
func Word(w uint32) []byte { return binary.LittleEndian.AppendUint32(nil, w) }

// InsnLen is 4 for a full word and 0 before.
func InsnLen(b []byte) int {
	if len(b) < 4 {
		return 0
	}
	return 4
}

func inRange(off int64, bits uint) bool {
	return off%4 == 0 && off >= -(1<<(bits+1)) && off < 1<<(bits+1)
}

// B returns B (or BL with link) from pc to to, and false when to is out of
// reach (aarch64_insn_gen_branch_imm's AARCH64_BREAK_FAULT).
func B(pc, to uint64, link bool) (uint32, bool) {
	off := int64(to - pc)
	if !inRange(off, 26) {
		return InsnBreakFault, false
	}
	w := uint32(0x14000000) | uint32(off/4)&0x3ffffff
	if link {
		w |= 1 << 31
	}
	return w, true
}

// MustB is B for a destination the layout placed in reach.
func MustB(pc, to uint64, link bool) uint32 {
	w, ok := B(pc, to, link)
	if !ok {
		panic(fmt.Sprintf("patchcheck: arm64 layout: branch from %#x to %#x out of range", pc, to))
	}
	return w
}

// CBZ returns CBZ (or CBNZ) Xt from pc to to.
func CBZ(rt int, pc, to uint64, nonzero bool) uint32 {
	off := int64(to - pc)
	if !inRange(off, 19) {
		panic(fmt.Sprintf("patchcheck: arm64 layout: cbz from %#x to %#x out of range", pc, to))
	}
	w := uint32(0xb4000000) | uint32(off/4)&0x7ffff<<5 | uint32(rt)
	if nonzero {
		w |= 1 << 24
	}
	return w
}

// BR, BLR and RET of Xn.
func BR(rn int) uint32  { return 0xd61f0000 | uint32(rn)<<5 }
func BLR(rn int) uint32 { return 0xd63f0000 | uint32(rn)<<5 }
func Ret(rn int) uint32 { return 0xd65f0000 | uint32(rn)<<5 }

// ADRP returns ADRP Xd of the 4 KiB page of to, from pc (±4 GiB).
func ADRP(rd int, pc, to uint64) uint32 {
	pages := int64(Page(to)-Page(pc)) >> 12 // modulo 2^64, as the CPU adds
	if pages < -(1<<20) || pages >= 1<<20 {
		panic(fmt.Sprintf("patchcheck: arm64 layout: adrp from %#x to %#x out of range", pc, to))
	}
	imm := uint32(pages) & 0x1fffff
	return 0x90000000 | (imm&3)<<29 | (imm>>2)<<5 | uint32(rd)
}

// AddImm returns ADD Xd, Xn, #imm12.
func AddImm(rd, rn int, imm uint32) uint32 {
	if imm > 0xfff {
		panic(fmt.Sprintf("patchcheck: arm64 layout: add #%#x does not fit imm12", imm))
	}
	return 0x91000000 | (imm&0xfff)<<10 | uint32(rn)<<5 | uint32(rd)
}

// LdrLit returns LDR Xt, label (64-bit literal load) from pc.
func LdrLit(rt int, pc, to uint64) uint32 {
	off := int64(to - pc)
	if !inRange(off, 19) {
		panic(fmt.Sprintf("patchcheck: arm64 layout: ldr literal from %#x to %#x out of range", pc, to))
	}
	return 0x58000000 | uint32(off/4)&0x7ffff<<5 | uint32(rt)
}

// LdrImm returns LDR Xt, [Xn, #off] (64-bit, unsigned scaled offset).
func LdrImm(rt, rn int, off uint32) uint32 {
	if off%8 != 0 || off/8 > 0xfff {
		panic(fmt.Sprintf("patchcheck: arm64 layout: ldr offset %#x is no multiple of 8 up to 32760", off))
	}
	return 0xf9400000 | (off/8&0xfff)<<10 | uint32(rn)<<5 | uint32(rt)
}

// Movz returns MOVZ Xd, #imm16 (MOV Xd, #imm16).
func Movz(rd int, imm uint16) uint32 { return 0xd2800000 | uint32(imm)<<5 | uint32(rd) }

// Stlr returns STLR Xt, [Xn] (64-bit store-release).
func Stlr(rt, rn int) uint32 { return 0xc89ffc00 | uint32(rn)<<5 | uint32(rt) }

// MovSP returns MOV Xd, SP (ADD Xd, SP, #0).
func MovSP(rd int) uint32 { return AddImm(rd, SP, 0) }

// pairOff checks an STP/LDP offset: a multiple of 8 in [-512, 504].
func pairOff(off int) {
	if off%8 != 0 || off < -512 || off > 504 {
		panic(fmt.Sprintf("patchcheck: arm64 layout: stp/ldp offset %d is no multiple of 8 in [-512, 504]", off))
	}
}

// StpPre returns STP Xt1, Xt2, [Xn, #off]!.
func StpPre(rt, rt2, rn int, off int) uint32 {
	pairOff(off)
	return 0xa9800000 | uint32(off/8)&0x7f<<15 | uint32(rt2)<<10 | uint32(rn)<<5 | uint32(rt)
}

// LdpPost returns LDP Xt1, Xt2, [Xn], #off.
func LdpPost(rt, rt2, rn int, off int) uint32 {
	pairOff(off)
	return 0xa8c00000 | uint32(off/8)&0x7f<<15 | uint32(rt2)<<10 | uint32(rn)<<5 | uint32(rt)
}

// Page is ADRP's page of a.
func Page(a uint64) uint64 { return a &^ 0xfff }

var condNames = [16]string{"eq", "ne", "cs", "cc", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le", "al", "nv"}

var barrierNames = map[uint8]string{15: "sy", 14: "st", 13: "ld", 11: "ish", 10: "ishst", 9: "ishld", 7: "nsh", 6: "nshst", 5: "nshld", 3: "osh", 2: "oshst", 1: "oshld"}

func xreg(r int, w, sp bool) string {
	switch {
	case r == 31 && sp && w:
		return "wsp"
	case r == 31 && sp:
		return "sp"
	case r == 31 && w:
		return "wzr"
	case r == 31:
		return "xzr"
	case w:
		return fmt.Sprintf("w%d", r)
	}
	return fmt.Sprintf("x%d", r)
}

// Disasm renders w at pc in the GNU assembler's syntax; sym names an
// address (it may return "").
func Disasm(w uint32, pc uint64, sym func(uint64) string) string {
	in := Decode(w)
	label := func(a uint64) string {
		if s := sym(a); s != "" && !strings.HasPrefix(s, "0x") {
			return fmt.Sprintf("%#x <%s>", a, s)
		}
		return fmt.Sprintf("%#x", a)
	}
	to := pc + uint64(in.Imm)
	r := func(n int) string { return xreg(n, in.W, false) }
	rsp := func(n int) string { return xreg(n, in.W, true) }
	switch in.Op {
	case OpNop:
		return "nop"
	case OpBTI:
		return "bti " + [...]string{"", "c", "j", "jc"}[in.Cond]
	case OpB:
		return "b " + label(to)
	case OpBL:
		return "bl " + label(to)
	case OpBCond:
		return "b." + condNames[in.Cond] + " " + label(to)
	case OpCBZ:
		return "cbz " + r(in.Rd) + ", " + label(to)
	case OpCBNZ:
		return "cbnz " + r(in.Rd) + ", " + label(to)
	case OpBR:
		return "br " + xreg(in.Rn, false, false)
	case OpBLR:
		return "blr " + xreg(in.Rn, false, false)
	case OpRet:
		if in.Rn == X30 {
			return "ret"
		}
		return "ret " + xreg(in.Rn, false, false)
	case OpADR:
		return "adr " + r(in.Rd) + ", " + label(to)
	case OpADRP:
		return "adrp " + r(in.Rd) + ", " + label(Page(pc)+uint64(in.Imm))
	case OpAddImm, OpSubImm, OpSubsImm:
		// The immediate as encoded: imm12, then ", lsl #12" when shifted.
		imm := fmt.Sprintf("#%#x", w>>10&0xfff)
		if w>>22&1 == 1 {
			imm += ", lsl #12"
		}
		switch {
		case in.Op == OpAddImm && w>>10&0x1fff == 0 && (in.Rd == SP || in.Rn == SP):
			return "mov " + rsp(in.Rd) + ", " + rsp(in.Rn)
		case in.Op == OpAddImm:
			return "add " + rsp(in.Rd) + ", " + rsp(in.Rn) + ", " + imm
		case in.Op == OpSubImm:
			return "sub " + rsp(in.Rd) + ", " + rsp(in.Rn) + ", " + imm
		case in.Rd == XZR:
			return "cmp " + rsp(in.Rn) + ", " + imm
		}
		return "subs " + r(in.Rd) + ", " + rsp(in.Rn) + ", " + imm
	case OpMovz:
		// MOV (wide immediate) unless a zero imm16 is shifted.
		if hw := w >> 21 & 3; w>>5&0xffff == 0 && hw != 0 {
			return fmt.Sprintf("movz %s, #0x0, lsl #%d", r(in.Rd), 16*hw)
		}
		return fmt.Sprintf("mov %s, #%#x", r(in.Rd), uint64(in.Imm))
	case OpOrrReg:
		if in.Rn == XZR {
			return "mov " + r(in.Rd) + ", " + r(in.Rm)
		}
		return "orr " + r(in.Rd) + ", " + r(in.Rn) + ", " + r(in.Rm)
	case OpAndReg:
		return "and " + r(in.Rd) + ", " + r(in.Rn) + ", " + r(in.Rm)
	case OpEorReg:
		return "eor " + r(in.Rd) + ", " + r(in.Rn) + ", " + r(in.Rm)
	case OpCsel:
		return "csel " + r(in.Rd) + ", " + r(in.Rn) + ", " + r(in.Rm) + ", " + condNames[in.Cond]
	case OpCsinc:
		if in.Rn == XZR && in.Rm == XZR && in.Cond < 14 {
			return "cset " + r(in.Rd) + ", " + condNames[in.Cond^1]
		}
		if in.Rn == in.Rm && in.Rn != XZR && in.Cond < 14 {
			return "cinc " + r(in.Rd) + ", " + r(in.Rn) + ", " + condNames[in.Cond^1]
		}
		return "csinc " + r(in.Rd) + ", " + r(in.Rn) + ", " + r(in.Rm) + ", " + condNames[in.Cond]
	case OpLdrLit:
		return "ldr " + r(in.Rd) + ", " + label(to)
	case OpLdrImm, OpStrImm:
		m := "ldr "
		if in.Op == OpStrImm {
			m = "str "
		}
		if in.Imm == 0 {
			return m + r(in.Rd) + ", [" + xreg(in.Rn, false, true) + "]"
		}
		return fmt.Sprintf("%s%s, [%s, #%d]", m, r(in.Rd), xreg(in.Rn, false, true), in.Imm)
	case OpStlr, OpLdar:
		m := "stlr "
		if in.Op == OpLdar {
			m = "ldar "
		}
		return m + r(in.Rd) + ", [" + xreg(in.Rn, false, true) + "]"
	case OpStpPre:
		return fmt.Sprintf("stp %s, %s, [%s, #%d]!", xreg(in.Rd, false, false), xreg(in.Rm, false, false), xreg(in.Rn, false, true), in.Imm)
	case OpLdpPost:
		return fmt.Sprintf("ldp %s, %s, [%s], #%d", xreg(in.Rd, false, false), xreg(in.Rm, false, false), xreg(in.Rn, false, true), in.Imm)
	case OpISB:
		return "isb"
	case OpDSB, OpDMB:
		m := "dsb "
		if in.Op == OpDMB {
			m = "dmb "
		}
		if n, ok := barrierNames[in.Cond]; ok {
			return m + n
		}
		return fmt.Sprintf("%s#0x%02x", m, in.Cond)
	case OpDCCVAU:
		return "dc cvau, " + xreg(in.Rd, false, false)
	case OpICIVAU:
		return "ic ivau, " + xreg(in.Rd, false, false)
	case OpTBZ, OpTBNZ:
		return fmt.Sprintf("%s %s, #%d, %s", map[Op]string{OpTBZ: "tbz", OpTBNZ: "tbnz"}[in.Op], r(in.Rd), in.Rm, label(to))
	case OpERET:
		return "eret"
	case OpMSRELR:
		return "msr elr_el1, " + xreg(in.Rd, false, false)
	case OpICIALLU:
		return [...]string{"ic iallu", "ic ialluis"}[in.Cond]
	case OpUDF:
		return fmt.Sprintf("udf #%d", in.Imm)
	case OpBRK:
		return fmt.Sprintf("brk #%#x", in.Imm)
	case OpSVC, OpHVC, OpSMC:
		return fmt.Sprintf("%s #%#x", map[Op]string{OpSVC: "svc", OpHVC: "hvc", OpSMC: "smc"}[in.Op], in.Imm)
	}
	return fmt.Sprintf(".inst %#08x (undefined)", w)
}

// BCond returns B.cond from pc to to (cond as in Insn.Cond), false when
// out of reach (±1 MiB).
func BCond(cond uint8, pc, to uint64) (uint32, bool) {
	off := int64(to - pc)
	if !inRange(off, 19) {
		return 0, false
	}
	return 0x54000000 | uint32(off/4)&0x7ffff<<5 | uint32(cond&15), true
}

// ADR returns ADR rd from pc to to, false when out of reach (±1 MiB).
func ADR(rd int, pc, to uint64) (uint32, bool) {
	off := int64(to - pc)
	if off < -(1<<20) || off >= 1<<20 {
		return 0, false
	}
	u := uint32(off) & 0x1fffff
	return 0x10000000 | (u&3)<<29 | (u>>2)<<5 | uint32(rd), true
}

// SubsImm returns SUBS rd, rn, #imm (CMP rn, #imm when rd is XZR); imm < 4096.
func SubsImm(rd, rn int, imm uint32) uint32 {
	return 0xf1000000 | (imm&0xfff)<<10 | uint32(rn)<<5 | uint32(rd)
}

// Csinc returns CSINC rd, rn, rm, cond (CSET rd, !cond with XZR, XZR).
func Csinc(rd, rn, rm int, cond uint8) uint32 {
	return 0x9a800400 | uint32(rm)<<16 | uint32(cond&15)<<12 | uint32(rn)<<5 | uint32(rd)
}

// Logic returns AND, ORR or EOR (op OpAndReg, OpOrrReg, OpEorReg) rd, rn,
// rm, 64-bit, without shift.
func Logic(op Op, rd, rn, rm int) uint32 {
	opc := map[Op]uint32{OpAndReg: 0, OpOrrReg: 1, OpEorReg: 2}[op]
	return 0x8a000000 | opc<<29 | uint32(rm)<<16 | uint32(rn)<<5 | uint32(rd)
}
