package x86

// InsnClass reports what instruction insn is to the cost count (package
// cost): whether it is an indirect branch (its target comes from a
// register or memory) and whether it reads data memory. Of the modelled
// subset, RET (c3) is both: it pops its target from the stack (SDM Vol.
// 2B, RET). CALL rel32, JMP rel32/rel8 and Jcc rel32 are direct and load
// nothing; the INT3 trap is counted by the machine, not here.
func (a *Arch) InsnClass(insn []byte) (indirect, load bool) {
	if len(insn) > 0 && insn[0] == RetOpcode {
		return true, true
	}
	return false, false
}
