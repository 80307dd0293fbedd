package check_test

import (
	"fmt"

	"github.com/patchcheck/patchcheck/check"
	"github.com/patchcheck/patchcheck/scenario"
)

// ExampleRun checks the kernel's text_poke_bp against one without its
// second sync, on a scenario built in Go.
func ExampleRun() {
	for _, variant := range []string{"kernel", "no-sync2"} {
		sc := scenario.New("example").
			Arch("x86-64").
			Variant(variant).
			Target("f1", "f2").
			Key("foo", "f1").
			Site("s1", "foo", scenario.KindCall).
			CPU("s1", "s1").
			CPU("tramp(foo)").
			Thread("updater", scenario.Update("foo", "f2")).
			MustBuild()
		r, err := check.Run(sc, check.Options{})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s: %s", variant, r.Verdict())
		if r.Cex != nil {
			fmt.Printf(" in %d steps: %s", len(r.Cex.Schedule), r.Cex.Message)
		}
		fmt.Println()
	}
	// Output:
	// kernel: safe
	// no-sync2: violation no-torn-insn in 15 steps: cpu1 executes e9 fb f0 ff ff at __SCT__foo: never the instruction there (torn)
}
