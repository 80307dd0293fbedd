package litmus

import (
	"strings"

	"github.com/patchcheck/patchcheck/arches/arm64"
)

// insn decodes a litmus instruction into arches/arm64's instruction type:
// its Op, and for DSB and DMB the option (CRm, in Cond). The fetch rules
// (CMODX membership, barriers, context synchronisation) are asked of
// arches/arm64 about this Insn, so that the explorer and the patching
// model apply one definition (arches/arm64/rules.go). The explorer keeps
// the operands as written (registers hold the litmus test's symbolic
// values: labels, variables, instructions). ok is false for an
// instruction outside the port's subset.
func insn(in *Instr) (arm64.Insn, bool) {
	base, _, _ := strings.Cut(in.Op, ".")
	arg := func(i int) string {
		if i < len(in.Args) {
			return strings.ToUpper(in.Args[i].Sym)
		}
		return ""
	}
	var op arm64.Op
	switch base {
	case "NOP":
		op = arm64.OpNop
	case "BTI":
		op = arm64.OpBTI
	case "B":
		op = arm64.OpB
		if base != in.Op {
			op = arm64.OpBCond
		}
	case "BL":
		op = arm64.OpBL
	case "BR":
		op = arm64.OpBR
	case "BLR":
		op = arm64.OpBLR
	case "RET":
		op = arm64.OpRet
	case "CBZ":
		op = arm64.OpCBZ
	case "CBNZ":
		op = arm64.OpCBNZ
	case "TBZ":
		op = arm64.OpTBZ
	case "TBNZ":
		op = arm64.OpTBNZ
	case "ADR":
		op = arm64.OpADR
	case "ADRP":
		op = arm64.OpADRP
	case "ADD":
		op = arm64.OpAddImm
	case "SUB":
		op = arm64.OpSubImm
	case "SUBS", "CMP":
		op = arm64.OpSubsImm
	case "MOVZ":
		op = arm64.OpMovz
	case "MOV":
		op = arm64.OpOrrReg
		if len(in.Args) == 2 && in.Args[1].Kind == OpImm {
			op = arm64.OpMovz
		}
	case "ORR":
		op = arm64.OpOrrReg
	case "AND":
		op = arm64.OpAndReg
	case "EOR":
		op = arm64.OpEorReg
	case "CSEL":
		op = arm64.OpCsel
	case "CSINC", "CSET":
		op = arm64.OpCsinc
	case "LDR":
		op = arm64.OpLdrImm
	case "STR":
		op = arm64.OpStrImm
	case "STLR":
		op = arm64.OpStlr
	case "LDAR":
		op = arm64.OpLdar
	case "STP":
		op = arm64.OpStpPre
	case "LDP":
		op = arm64.OpLdpPost
	case "ISB":
		op = arm64.OpISB
	case "DSB", "DMB":
		crm, ok := arm64.BarrierOption(arg(0))
		if !ok {
			return arm64.Insn{}, false
		}
		op = arm64.OpDSB
		if base == "DMB" {
			op = arm64.OpDMB
		}
		return arm64.Insn{Op: op, Cond: crm}, true
	case "DC":
		if arg(0) != "CVAU" || len(in.Args) != 2 {
			return arm64.Insn{}, false
		}
		op = arm64.OpDCCVAU
	case "IC":
		switch {
		case arg(0) == "IVAU" && len(in.Args) == 2:
			op = arm64.OpICIVAU
		case (arg(0) == "IALLU" || arg(0) == "IALLUIS") && len(in.Args) == 1:
			op = arm64.OpICIALLU
		default:
			return arm64.Insn{}, false
		}
	case "MSR":
		if arg(0) != "ELR_EL1" {
			return arm64.Insn{}, false
		}
		op = arm64.OpMSRELR
	case "ERET":
		op = arm64.OpERET
	case "UDF":
		op = arm64.OpUDF
	case "BRK":
		op = arm64.OpBRK
	case "SVC":
		op = arm64.OpSVC
	case "HVC":
		op = arm64.OpHVC
	case "SMC":
		op = arm64.OpSMC
	default:
		return arm64.Insn{}, false
	}
	return arm64.Insn{Op: op}, true
}
