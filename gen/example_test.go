package gen_test

import (
	"fmt"
	"testing"

	"pgregory.net/rapid"

	"github.com/patchcheck/patchcheck/check"
	"github.com/patchcheck/patchcheck/gen"
	"github.com/patchcheck/patchcheck/scenario"
)

// TestExampleProperty is how a user's test draws scenarios: the kernel's
// protocol violates no property on any of them ("safe (bounded)" is
// fine: generated scenarios carry a states bound).
func TestExampleProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sc := gen.Scenario("x86-64").Draw(t, "scenario")
		r, err := check.Run(sc, check.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if r.Violation != nil {
			t.Fatalf("%s\n%s", scenario.Format(sc), r.Cex.Text(""))
		}
	})
}

// ExampleScenario draws one scenario deterministically (rapid's Example
// with a seed; tests use Draw inside rapid.Check instead) and checks it.
func ExampleScenario() {
	g := gen.Scenario("x86-64", gen.Variant("no-sync2"), gen.Lifecycle(gen.LifecycleNever))
	sc := g.Example(3)
	fmt.Print(string(scenario.Format(sc)))
	r, err := check.Run(sc, check.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("\n#", r.Verdict())
	// Output:
	// # patchcheck scenario
	//
	// scenario generated
	// arch x86-64
	// variant no-sync2
	//
	// target f1 f2
	// key k1 init=f2
	// key k2 init=NULL
	// site s1 key=k2 kind=jcc
	//
	// cpu tramp(k1)
	// thread t0: update k1 f1
	//
	// bound states=300000
	//
	// # violation no-torn-insn
}

// ExampleSeeded derives the scenarios of a campaign: scenario i of seed s
// is the same on every machine.
func ExampleSeeded() {
	a, _ := gen.Seeded("x86-64", 42, 7)
	b, _ := gen.Seeded("x86-64", 42, 7)
	fmt.Println(string(scenario.Format(a)) == string(scenario.Format(b)))
	_, err := gen.Seeded("mips", 42, 7)
	fmt.Println(err)
	// Output:
	// true
	// gen: architecture "mips" is not supported (have arm64, x86-64)
}
