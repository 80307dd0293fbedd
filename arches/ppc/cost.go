package ppc

import "encoding/binary"

// InsnClass reports what instruction insn is to the cost count (package
// cost): whether it is an indirect branch (blr, bctr, bctrl: the target
// is in LR or CTR) and whether it reads data memory (lwz, ld).
func (a *Arch) InsnClass(insn []byte) (indirect, load bool) {
	if len(insn) < 4 {
		return false, false
	}
	in, _ := Decode(binary.BigEndian.Uint32(insn))
	switch in.Op {
	case OpBlr, OpBctr, OpBctrl:
		return true, false
	case OpLwz, OpLd:
		return false, true
	}
	return false, false
}
