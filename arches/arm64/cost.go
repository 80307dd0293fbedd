package arm64

import "encoding/binary"

// InsnClass reports what instruction insn is to the cost count (package
// cost): whether it is an indirect branch (BR, BLR, RET: the target is
// in a register) and whether it reads data memory (LDR literal or
// immediate, LDAR, and the LDP of a frame record).
func (a *Arch) InsnClass(insn []byte) (indirect, load bool) {
	if len(insn) < 4 {
		return false, false
	}
	switch Decode(binary.LittleEndian.Uint32(insn)).Op {
	case OpBR, OpBLR, OpRet:
		return true, false
	case OpLdrLit, OpLdrImm, OpLdar, OpLdpPost:
		return false, true
	}
	return false, false
}
