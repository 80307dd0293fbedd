package check

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/patchcheck/patchcheck/arches"
	"github.com/patchcheck/patchcheck/model"
	"github.com/patchcheck/patchcheck/scenario"
)

// TestLimitsMatchModel keeps the scenario's capacities equal to the
// model's fixed sizes.
func TestLimitsMatchModel(t *testing.T) {
	for _, c := range []struct {
		name            string
		scenario, model int
	}{
		{"targets (+ NULL, return0)", scenario.MaxTargets + 2, model.MaxTargets},
		{"keys", scenario.MaxKeys, model.MaxKeys},
		{"windows", scenario.MaxWindows, model.MaxWindows},
		{"modules", scenario.MaxModules, model.MaxModules},
		{"cpus", scenario.MaxCPUs, model.MaxCPUs},
		{"threads", scenario.MaxThreads, model.MaxThreads},
		{"calls", scenario.MaxCalls, 255}, // CPUState.Call is a uint8
	} {
		if c.scenario != c.model {
			t.Errorf("%s: scenario allows %d, the model holds %d", c.name, c.scenario, c.model)
		}
	}
}

// sizes are the counts of a scenario built by limitScenario.
type sizes struct {
	arch                                  int
	targets, keys, sites, modules, cpus   int
	threads, calls, ops, steps, failAlloc int
	sketch                                bool
}

// over reports whether s is past one of the scenario capacities.
func (s sizes) over() bool {
	return s.targets > scenario.MaxTargets || s.keys > scenario.MaxKeys || s.keys+s.sites > scenario.MaxWindows ||
		s.modules > scenario.MaxModules || s.cpus > scenario.MaxCPUs || s.threads > scenario.MaxThreads ||
		s.cpus > 0 && s.calls > scenario.MaxCalls || s.threads > 0 && s.ops > scenario.MaxOps || s.sketch && s.steps+4 > scenario.MaxSketchSteps ||
		s.modules > 0 && s.threads > 0 && s.ops > 0 && s.failAlloc > scenario.MaxFailAlloc
}

// limitScenario builds a scenario of the given sizes: every count is
// used as given, names are generated.
func limitScenario(s sizes) *scenario.Builder {
	names := arches.Names()
	b := scenario.New("limits").Arch(names[s.arch%len(names)])
	for i := range s.targets {
		b.Target(fmt.Sprintf("f%d", i))
	}
	init := scenario.Null
	if s.targets > 0 {
		init = "f0"
	}
	for i := range s.keys {
		b.Key(fmt.Sprintf("k%d", i), init)
	}
	for i := range s.sites {
		b.Site(fmt.Sprintf("s%d", i), fmt.Sprintf("k%d", i%max(s.keys, 1)), scenario.KindCall)
	}
	for i := range s.modules {
		b.Module(fmt.Sprintf("m%d", i))
	}
	call := scenario.TrampCall("k0")
	if s.sites > 0 {
		call = "s0"
	}
	for range s.cpus {
		calls := make([]string, s.calls)
		for i := range calls {
			calls[i] = call
		}
		b.CPU(calls...)
	}
	for i := range s.threads {
		ops := make([]scenario.Op, s.ops)
		for j := range ops {
			ops[j] = scenario.Update("k0", [2]string{init, scenario.Return0}[j%2])
		}
		if s.modules > 0 && s.ops > 0 {
			ops[0] = scenario.Load("m0", s.failAlloc)
		}
		b.Thread(fmt.Sprintf("t%d", i), ops...)
	}
	if s.sketch {
		// A sketch of many sync steps: each update compiles it for the
		// trampoline and every site.
		steps := []scenario.SketchStep{{Op: "lock", Args: []string{"text_mutex"}}}
		for range s.steps {
			steps = append(steps, scenario.SketchStep{Op: "sync"})
		}
		steps = append(steps, scenario.SketchStep{Op: "write", Args: []string{"loc", "new"}}, scenario.SketchStep{Op: "sync"},
			scenario.SketchStep{Op: "unlock", Args: []string{"text_mutex"}})
		b.Sketch(steps...)
	}
	return b
}

// checkLimits builds the scenario of s and checks it: past a capacity,
// Build fails naming the limit; within them, it builds, and compiling and
// exploring it (a few hundred states) never panic and never fail but with
// an error of the scenario (such as a feature its architecture lacks).
func checkLimits(t *testing.T, s sizes) {
	sc, err := limitScenario(s).Build()
	if s.over() {
		if err == nil {
			t.Fatalf("%+v: past a capacity, Build accepted it", s)
		}
		if !strings.Contains(err.Error(), "more than") && !strings.Contains(err.Error(), "fail_alloc") {
			t.Fatalf("%+v: the error does not name the limit: %v", s, err)
		}
		var ie *scenario.ItemError
		if !errors.As(err, &ie) {
			t.Fatalf("%+v: %T is not an *scenario.ItemError: %v", s, err, err)
		}
		return
	}
	if err != nil {
		if s.keys == 0 || s.cpus == 0 {
			return // a scenario needs a key to call and a CPU
		}
		t.Fatalf("%+v: within the capacities, Build failed: %v", s, err)
	}
	if _, err := Compile(sc, nil); err != nil {
		var bug *BugError
		if errors.As(err, &bug) {
			t.Fatalf("%+v: %v\n%s", s, err, bug.Stack)
		}
		return
	}
	_, err = Run(sc, Options{Options: model.Options{MaxStates: 300, MaxDepth: 200}})
	var bug *BugError
	if errors.As(err, &bug) {
		t.Fatalf("%+v: %v\n%s", s, err, bug.Stack)
	}
}

// limitSeeds are sizes at and one past each capacity.
func limitSeeds() []sizes {
	base := sizes{targets: 2, keys: 1, sites: 1, cpus: 1, threads: 1, calls: 1, ops: 1}
	var out []sizes
	for arch := range arches.Names() {
		for _, d := range []int{0, 1} {
			for _, set := range []func(*sizes){
				func(s *sizes) { s.targets = scenario.MaxTargets + d },
				func(s *sizes) { s.keys, s.sites = scenario.MaxKeys+d, 0 },
				func(s *sizes) { s.sites = scenario.MaxWindows - s.keys + d },
				func(s *sizes) { s.modules = scenario.MaxModules + d },
				func(s *sizes) { s.cpus = scenario.MaxCPUs + d },
				func(s *sizes) { s.threads = scenario.MaxThreads + d },
				func(s *sizes) { s.calls = scenario.MaxCalls + d },
				func(s *sizes) { s.ops = scenario.MaxOps + d },
				func(s *sizes) { s.modules, s.failAlloc = 1, scenario.MaxFailAlloc+d },
				func(s *sizes) { s.sketch, s.steps, s.ops = true, scenario.MaxSketchSteps-4+d, 2 },
			} {
				s := base
				s.arch = arch
				set(&s)
				out = append(out, s)
			}
		}
	}
	return out
}

// TestLimits checks a scenario at and one past each capacity, on every
// architecture: the 15-target scenario crashed every port before the
// capacities were checked.
func TestLimits(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles scenarios of the largest sizes")
	}
	for _, s := range limitSeeds() {
		checkLimits(t, s)
	}
}

// TestCompiledOpsLimit checks the model's own limit: a thread whose
// compiled program passes 65535 operations (the width of its program
// counter) is rejected with an error about that thread, which
// scenario.Locate finds on the thread's line. Before, the program
// counter wrapped and gave a false no-deadlock counterexample.
func TestCompiledOpsLimit(t *testing.T) {
	var b strings.Builder
	b.WriteString("scenario big\narch x86-64\ntarget f1 f2\nkey k init=f1\nsite s key=k kind=call\nsketch lock text_mutex")
	for range 900 {
		b.WriteString("; sync")
	}
	b.WriteString("; write loc new; sync; unlock text_mutex\ncpu s\nthread t0:\nthread t:")
	for i := range 40 {
		fmt.Fprintf(&b, " update k f%d;", 1+i%2)
	}
	b.WriteString(" update k f1\n")
	src := []byte(b.String())
	sc, err := scenario.Parse("big.scn", src, ParseOptions())
	if err != nil {
		t.Fatal(err)
	}
	_, err = Compile(sc, nil)
	var ce *model.CapacityError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "at most 65535") {
		t.Fatalf("got %v, want a capacity error naming 65535", err)
	}
	if line, col, ok := scenario.Locate(src, err); !ok || line != 9 || col != 8 {
		t.Errorf("Locate: %d:%d %v, want 9:8 (thread t)", line, col, ok)
	}
}

// FuzzBuildLimits builds scenarios of fuzzed sizes around every capacity
// and checks them as TestLimits does.
func FuzzBuildLimits(f *testing.F) {
	for _, s := range limitSeeds() {
		f.Add(uint8(s.arch), uint8(s.targets), uint8(s.keys), uint8(s.sites), uint8(s.modules), uint8(s.cpus),
			uint8(s.threads), uint16(s.calls), uint16(s.ops), uint8(s.failAlloc), uint16(s.steps), s.sketch)
	}
	f.Fuzz(func(t *testing.T, arch, targets, keys, sites, modules, cpus, threads uint8, calls, ops uint16, failAlloc uint8, steps uint16, sketch bool) {
		s := sizes{arch: int(arch), targets: int(targets % 20), keys: int(keys % 7), sites: int(sites % 11),
			modules: int(modules % 4), cpus: int(cpus % 6), threads: int(threads % 6), calls: int(calls % 300),
			ops: int(ops % 1100), failAlloc: int(failAlloc % 12), steps: int(steps % 1100), sketch: sketch}
		if s.cpus*s.calls > 300 || s.threads*s.ops > 1200 || s.sketch && s.steps*s.ops > 4000 {
			// Keep an execution short: a size past a limit is tried
			// with the others small.
			s.calls, s.ops = min(s.calls, 300/max(s.cpus, 1)), min(s.ops, 1200/max(s.threads, 1))
			if s.sketch {
				s.ops = min(s.ops, 4)
			}
		}
		checkLimits(t, s)
	})
}
