package scenario_test

import (
	"fmt"
	"os"

	"github.com/patchcheck/patchcheck/scenario"
)

func ExampleParse() {
	src := `# One CPU calls through an inline site while a thread retargets the key.
scenario simple-update
arch x86-64
target f1 f2
key k init=f1
site s key=k kind=call
cpu s tramp(k)
thread t: update k f2; update k NULL
expect safe
`
	s, err := scenario.Parse("simple.scn", []byte(src), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.Name, s.Arch, len(s.Keys), "key,", len(s.Sites), "site,", len(s.CPUs), "CPU:", s.CPUs[0].Calls)
	for _, op := range s.Threads[0].Ops {
		fmt.Println(s.Threads[0].Name, op.Kind, op.Key, op.Target)
	}
	fmt.Println("expect", s.Expect.Verdict)

	_, err = scenario.Parse("broken.scn", []byte("scenario b\narch x86-64\ncpu s\n"), nil)
	fmt.Println(err)
	// Output:
	// simple-update x86-64 1 key, 1 site, 1 CPU: [s tramp(k)]
	// t update k f2
	// t update k NULL
	// expect safe
	// broken.scn:3:5: cpu: unknown site "s" (declare it first with site)
}

func ExampleNew() {
	s := scenario.New("jcc-race").
		Doc("a conditional tail call races an update").
		Arch("x86-64").
		Target("f1", "f2").
		Key("k", "f1").
		Site("s", "k", scenario.KindJcc).
		CPU("s").
		CPU().
		Thread("t", scenario.Update("k", "f2"), scenario.Update("k", scenario.Return0)).
		Bounds(50, 0).
		ExpectViolation("no-torn-fetch").
		MustBuild()
	os.Stdout.Write(scenario.Format(s))
	// Output:
	// # patchcheck scenario
	//
	// scenario jcc-race
	// doc a conditional tail call races an update
	// arch x86-64
	//
	// target f1 f2
	// key k init=f1
	// site s key=k kind=jcc
	//
	// cpu s
	// cpu
	// thread t: update k f2; update k return0
	//
	// bound depth=50
	// expect violation no-torn-fetch
}
