package arm64_test

import (
	"fmt"

	"github.com/patchcheck/patchcheck/arches/arm64"
)

// ExampleCMODXSafe shows which rewrites of a patched instruction the Arm
// ARM lets other CPUs execute concurrently (B2.2.5): both the old and the
// new instruction must be in the CMODX set.
func ExampleCMODXSafe() {
	const site = 0xffff800080030008
	const f1, f2 = 0xffff800080001040, 0xffff800080002080
	sym := func(a uint64) string {
		return map[uint64]string{f1: "f1", f2: "f2"}[a]
	}
	bl := func(to uint64) uint32 { return arm64.MustB(site, to, true) }
	for _, pair := range [][2]uint32{
		{bl(f1), bl(f2)},                              // retarget a call site
		{bl(f1), arm64.InsnNop},                       // a call site going NULL
		{arm64.MustB(site, f1, false), arm64.InsnRet}, // a tail site going NULL
		{arm64.ADRP(arm64.X16, site, f1), arm64.ADRP(arm64.X16, site, f2)},
	} {
		ok := arm64.CMODXSafe(pair[0]) && arm64.CMODXSafe(pair[1])
		fmt.Printf("%-26s -> %-26s %v\n", arm64.Disasm(pair[0], site, sym), arm64.Disasm(pair[1], site, sym), ok)
	}
	// Output:
	// bl 0xffff800080001040 <f1> -> bl 0xffff800080002080 <f2> true
	// bl 0xffff800080001040 <f1> -> nop                        true
	// b 0xffff800080001040 <f1>  -> ret                        false
	// adrp x16, 0xffff800080001000 -> adrp x16, 0xffff800080002000 false
}
