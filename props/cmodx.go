package props

// CMODX: the Arm ARM's rule for concurrent modification and execution of
// instructions (B2.2.5; docs/semantics.md §10). The arm64 port reports a
// fetch of an instruction that is being modified, when the contents the
// CPU may fetch are not all B, BL, BRK, HVC, ISB, NOP, SMC or SVC: the
// architecture then allows any behaviour that code at the same exception
// level could have (CONSTRAINED UNPREDICTABLE).
const CMODX = "cmodx"

func cmodxProps() []prop {
	return []prop{
		archProp(CMODX, "arm64: no CPU fetches an instruction that is being concurrently modified unless the old and the new instruction are both B, BL, BRK, HVC, ISB, NOP, SMC or SVC (Arm ARM B2.2.5)"),
	}
}
