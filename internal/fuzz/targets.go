package fuzz

import (
	"fmt"
	"os"
	"runtime/debug"

	"github.com/patchcheck/patchcheck/check"
	"github.com/patchcheck/patchcheck/gen"
	"github.com/patchcheck/patchcheck/model"
	"github.com/patchcheck/patchcheck/scenario"
)

// The bodies of the fuzz targets live here, in a non-test file, with
// everything they use: go-118-fuzz-build (OSS-Fuzz, ClusterFuzzLite)
// compiles the target's own _test.go file as a non-test file and none of
// the package's other _test.go files. Each returns what is wrong, or nil.

// Budget is the states bound of each fuzz input's exploration (on top of
// the scenario's bound, MaxStates for a Spec's): small, so that a target
// runs tens of inputs a second; partial-order and symmetry reduction,
// which never change a verdict, make the most of it.
const Budget = 1000

func options() check.Options {
	return check.Options{Options: model.Options{MaxStates: Budget, Reduce: true, Symmetry: true}}
}

// TuneGC sets the garbage collector's target to 400% unless GOGC is set:
// an input's exploration makes short-lived garbage on a small live heap
// (FuzzKernelSafe under libFuzzer, 15 s runs on a loaded 2-core machine:
// 28-29 execs/s with GOGC=100, 36-38 with GOGC=400). The targets
// call it first (go-118-fuzz-build runs a target's function for each
// input, so it is cheap and idempotent).
func TuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
}

// LogEnv names the environment variable that, when set, names a file to
// which every target appends the scenario ID of each input it checks, one
// a line: .ci/libfuzzer compares the IDs the seed corpus reaches under
// libFuzzer with those under go test.
const LogEnv = "PATCHCHECK_FUZZ_LOG"

func logScenario(sc *scenario.Scenario) error {
	file := os.Getenv(LogEnv)
	if file == "" {
		return nil
	}
	f, err := os.OpenFile(file, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(f, check.ScenarioID(sc))
	if err1 := f.Close(); err == nil {
		err = err1
	}
	return err
}

// KernelSafe: the kernel's protocol (either fetch assumption) violates no
// property on the scenario data maps to (a Spec, NewFromGoFuzz), with
// free_initmem never or ordered with the updates of init sites.
func KernelSafe(data []byte) error {
	sc, err := FromBytes(data).Scenario("kernel", gen.LifecycleNever, gen.LifecycleOrdered)
	if err != nil {
		return fmt.Errorf("the Spec does not map to a valid scenario: %v", err)
	}
	return kernelSafe(sc)
}

func kernelSafe(sc *scenario.Scenario) error {
	if err := logScenario(sc); err != nil {
		return err
	}
	r, err := check.Run(sc, options())
	if err != nil {
		return fmt.Errorf("%v\n%s", err, scenario.Format(sc))
	}
	if r.Violation != nil {
		return fmt.Errorf("the kernel violates %s:\n%s\n%s", r.Violation.Property, scenario.Format(sc), r.Cex.Text(""))
	}
	return nil
}

// GenKernelSafe: the same property on the scenario package gen draws from
// data (gen.FromBytes: the drawing code rapid drives, with the fuzzer's
// bytes as the choices; x86-64, any fetch assumption, free_initmem
// ordered). Any data, of any length, is a scenario.
func GenKernelSafe(data []byte) error {
	sc, err := gen.FromBytes("x86-64", data, gen.AnyFetch(), gen.Lifecycle(gen.LifecycleOrdered), gen.MaxStates(MaxStates))
	if err != nil {
		return fmt.Errorf("gen.FromBytes: %v", err)
	}
	return kernelSafe(sc)
}

// ReplayDeterministic: on a bad variant, checking the scenario data maps
// to twice gives identical results, and a counterexample replays
// (check.Replay) to the same violation and ID.
func ReplayDeterministic(data []byte) error {
	bad, err := gen.BadVariants("x86-64")
	if err != nil {
		return err
	}
	s := FromBytes(data)
	sc, err := s.Scenario(bad[int(s.Variant)%len(bad)], gen.LifecycleNever, gen.LifecycleOrdered, gen.LifecycleConcurrent)
	if err != nil {
		return fmt.Errorf("the Spec does not map to a valid scenario: %v", err)
	}
	if err := logScenario(sc); err != nil {
		return err
	}
	a, err := check.Run(sc, options())
	if err != nil {
		return fmt.Errorf("%v\n%s", err, scenario.Format(sc))
	}
	b, err := check.Run(sc, options())
	if err != nil {
		return err
	}
	if a.Verdict() != b.Verdict() || a.States != b.States || a.Transitions != b.Transitions || a.MaxDepth != b.MaxDepth {
		return fmt.Errorf("two runs differ: %s %d/%d/%d, then %s %d/%d/%d\n%s", a.Verdict(), a.States, a.Transitions, a.MaxDepth,
			b.Verdict(), b.States, b.Transitions, b.MaxDepth, scenario.Format(sc))
	}
	if a.Cex == nil {
		return nil
	}
	if a.Cex.ID != b.Cex.ID {
		return fmt.Errorf("two runs give IDs %s and %s\n%s", a.Cex.ID, b.Cex.ID, scenario.Format(sc))
	}
	re, same, err := check.Replay(a.Cex)
	if err != nil || !same || re.ID != a.Cex.ID {
		return fmt.Errorf("counterexample %s does not replay (same %v, err %v)\n%s", a.Cex.ID, same, err, scenario.Format(sc))
	}
	return nil
}
