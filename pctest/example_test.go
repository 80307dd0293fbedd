package pctest_test

import (
	"fmt"
	"strings"

	"github.com/patchcheck/patchcheck/gen"
	"github.com/patchcheck/patchcheck/pctest"
	"github.com/patchcheck/patchcheck/scenario"
)

const safeScenario = `scenario update
arch x86-64
target f1 f2
key k init=f1
site s1 key=k kind=call
cpu s1
thread t: update k f2
`

// In a test, t is the *testing.T (or *rapid.T); here a Recorder stands
// in for it.
func ExampleCheck() {
	t := &pctest.Recorder{}
	sc := pctest.MustParse(t, safeScenario)
	r := pctest.Check(t, sc)
	fmt.Println(r.Verdict(), "failed:", t.Failed)
	// Output: safe failed: false
}

// A failing check prints the counterexample with its ID, the scenario in
// the file format and the replay command (here no file is written, so
// there is no replay line).
func ExampleCheck_violation() {
	t := &pctest.Recorder{}
	sc := pctest.MustParse(t, strings.Replace(safeScenario, "arch x86-64", "arch x86-64\nvariant no-sync2", 1))
	pctest.Check(t, sc, pctest.CexDir(""))
	lines := strings.Split(t.Msg, "\n")
	fmt.Println(lines[0])
	fmt.Println(lines[1][:12])
	fmt.Println(strings.Contains(t.Msg, "variant no-sync2\n"))
	// Output:
	// patchcheck: no-torn-insn violated on x86-64
	// ID:       PC
	// true
}

func ExampleCheckViolation() {
	t := &pctest.Recorder{}
	sc := pctest.MustParse(t, strings.Replace(safeScenario, "arch x86-64", "arch x86-64\nvariant no-sync2", 1))
	c := pctest.CheckViolation(t, sc, "no-torn-insn")
	fmt.Println(c.Property, len(c.Schedule) > 0, t.Failed)
	// Output: no-torn-insn true false
}

func ExampleParse() {
	_, err := pctest.Parse("scenario x\narch x86-64\ntarget f1\nkey k init=f9\ncpu tramp(k)\n")
	fmt.Println(err)
	// Output: scenario:4:12: key "k": unknown target "f9" (declare it first with target)
}

func ExampleParseSketch() {
	steps, err := pctest.ParseSketch("x86-64", "lock text_mutex; write loc new; sync; unlock text_mutex")
	fmt.Println(len(steps), steps[1], err)
	_, err = pctest.ParseSketch("x86-64", "lock text_mutex; wirte loc new")
	fmt.Println(err)
	// Output:
	// 4 write loc new <nil>
	// sketch:1:18: sketch step 2 (wirte loc new): unknown step "wirte" (x86-64 sketch steps: lock, unlock, validate, skip_if_same, write, sync, bp_set, bp_put, bp_wait, bp_clear, text_poke_bp, booting:, text_poke_early, save)
}

// Generators are drawn from with Draw(t, label) in a rapid property;
// Example shows one value.
func ExampleX86() {
	sc := pctest.X86(gen.Variant("no-sync2"), gen.Lifecycle(gen.LifecycleNever)).Example(1)
	fmt.Println(sc.Arch, sc.Variant, len(sc.CPUs) > 0)
	// Output: x86-64 no-sync2 true
}

func ExampleArm64() {
	sc := pctest.Arm64().Example(1)
	fmt.Println(sc.Arch, sc.Variant != "")
	// Output: arm64 true
}

// Parts of a scenario drawn one by one and put together with
// scenario.Builder.
func ExampleKeys() {
	targets := pctest.Targets(2)
	keys := pctest.Keys(targets).Example(1)
	sites := pctest.Sites("x86-64", keys).Example(1)
	ops := pctest.Updates(keys, targets).Example(1)
	b := scenario.New("parts").Arch("x86-64").Target(targets...)
	for _, k := range keys {
		b.Key(k.Name, k.Init)
	}
	for _, s := range sites {
		b.Site(s.Name, s.Key, s.Kind)
	}
	sc, err := b.CPU(sites[0].Name).Thread("t", ops...).Build()
	fmt.Println(err, len(sc.Threads[0].Ops) >= 1)
	// Output: <nil> true
}

func ExampleSketchScenario() {
	sc := pctest.SketchScenario("x86-64").Example(1)
	fmt.Println(sc.Arch, len(sc.Sketch) > 0)
	// Output: x86-64 true
}
