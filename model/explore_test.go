package model_test

import (
	"reflect"
	"runtime"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/patchcheck/patchcheck/catalog"
	"github.com/patchcheck/patchcheck/check"
	"github.com/patchcheck/patchcheck/model"
	"github.com/patchcheck/patchcheck/scenario"
)

// machine compiles the built-in scenario name.
func machine(t testing.TB, name string) (*scenario.Scenario, *model.Machine) {
	t.Helper()
	e, ok, err := catalog.Lookup(name, check.ParseOptions())
	if err != nil || !ok {
		t.Fatalf("built-in scenario %s: %v", name, err)
	}
	m, err := check.Compile(e.Scenario, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e.Scenario, m
}

// smallScenarios are cheap enough to explore many times.
var smallScenarios = []string{
	"x86-update-old-new", "x86-update-new-null", "x86-jcc", "x86-bad-plain-write",
	"x86-bad-no-sync1", "x86-bad-no-sync2", "x86-bad-no-sync3", "x86-bad-tramp-only",
	"x86-bad-int3-no-emulate", "x86-aligned4-kernel",
}

// TestDeterministic: the same scenario explores to the same figures and
// the same counterexample schedule every time.
func TestDeterministic(t *testing.T) {
	for _, name := range smallScenarios {
		_, m1 := machine(t, name)
		_, m2 := machine(t, name)
		a, b := model.Explore(m1, model.Options{}), model.Explore(m2, model.Options{})
		if a.States != b.States || a.Transitions != b.Transitions || len(a.Schedule) != len(b.Schedule) {
			t.Errorf("%s: %d/%d states, %d/%d transitions, %d/%d steps", name, a.States, b.States,
				a.Transitions, b.Transitions, len(a.Schedule), len(b.Schedule))
		}
		for i := range a.Schedule {
			if i < len(b.Schedule) && a.Schedule[i] != b.Schedule[i] {
				t.Errorf("%s: schedules differ at step %d", name, i+1)
				break
			}
		}
	}
}

// TestExactAgreesWithFingerprints: hash compaction lost no state on the
// small catalogue (the exact visited set keeps whole states).
func TestExactAgreesWithFingerprints(t *testing.T) {
	for _, name := range smallScenarios {
		_, m := machine(t, name)
		a := model.Explore(m, model.Options{})
		b := model.Explore(m, model.Options{Exact: true})
		if a.States != b.States || (a.Violation == nil) != (b.Violation == nil) || len(a.Schedule) != len(b.Schedule) {
			t.Errorf("%s: fingerprints %d states (%v), exact %d states (%v)", name, a.States, a.Violation, b.States, b.Violation)
		}
	}
}

// TestBFSIsShortest: breadth-first counterexamples are never longer than
// depth-first ones, and both search strategies agree on the verdict.
func TestBFSIsShortest(t *testing.T) {
	for _, name := range smallScenarios {
		_, m := machine(t, name)
		b := model.Explore(m, model.Options{Search: model.BFS})
		d := model.Explore(m, model.Options{Search: model.DFS})
		if (b.Violation == nil) != (d.Violation == nil) {
			t.Errorf("%s: bfs %v, dfs %v", name, b.Violation, d.Violation)
			continue
		}
		if b.Violation == nil {
			if b.States != d.States {
				t.Errorf("%s: safe, but bfs saw %d states and dfs %d", name, b.States, d.States)
			}
			continue
		}
		if len(b.Schedule) > len(d.Schedule) {
			t.Errorf("%s: bfs counterexample %d steps, dfs %d", name, len(b.Schedule), len(d.Schedule))
		}
	}
}

// TestReplayReproduces: every counterexample schedule, replayed from the
// initial state, ends in the same violation.
func TestReplayReproduces(t *testing.T) {
	for _, name := range smallScenarios {
		_, m := machine(t, name)
		for _, search := range []string{model.BFS, model.DFS} {
			r := model.Explore(m, model.Options{Search: search})
			if r.Violation == nil {
				continue
			}
			_, v, err := model.Replay(m, r.Schedule)
			if err != nil || v == nil || v.Property != r.Violation.Property || v.Msg != r.Violation.Msg {
				t.Errorf("%s %s: replay gave %v, %v; want %v", name, search, v, err, r.Violation)
			}
		}
	}
}

// TestRandomWalksFindOnlyWhatExhaustiveFinds: on every small scenario,
// a violation found by random walks is found by exhaustive search too, and
// a walk's schedule replays to it.
func TestRandomWalksFindOnlyWhatExhaustiveFinds(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		name := rapid.SampledFrom(smallScenarios).Draw(rt, "scenario")
		seed := rapid.Uint64().Draw(rt, "seed")
		_, m := machine(t, name)
		w := model.Explore(m, model.Options{Search: model.Random, Seed: seed, Walks: 20})
		if w.Violation == nil {
			return
		}
		e := model.Explore(m, model.Options{})
		if e.Violation == nil {
			rt.Fatalf("%s: random walk found %s, exhaustive search found nothing", name, w.Violation.Msg)
		}
		if _, v, err := model.Replay(m, w.Schedule); err != nil || v == nil || v.Property != w.Violation.Property {
			rt.Fatalf("%s: walk schedule replays to %v, %v", name, v, err)
		}
	})
}

// TestCloneAndFingerprint: along random schedules, a copied state has the
// fingerprint of its original, a changed copy leaves the original alone,
// and states reached twice by different paths hash equal.
func TestCloneAndFingerprint(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		name := rapid.SampledFrom(smallScenarios).Draw(rt, "scenario")
		_, m := machine(t, name)
		s := m.P.Initial()
		for i := 0; i < 60; i++ {
			var ok bool
			if s, ok = randomStep(rt, m, s); !ok {
				return
			}
			c := s
			if model.Fingerprint(&c) != model.Fingerprint(&s) || c != s {
				rt.Fatal("a copy differs from its original")
			}
			fp := model.Fingerprint(&s)
			c.CPU[0].PC++
			if model.Fingerprint(&s) != fp {
				rt.Fatal("changing a copy changed the original")
			}
			if model.Fingerprint(&c) == fp {
				rt.Fatal("a changed state kept its fingerprint")
			}
		}
	})
}

// TestDepthBoundIsReported: a depth bound that cuts the search marks the
// result bounded.
func TestDepthBoundIsReported(t *testing.T) {
	_, m := machine(t, "x86-update-old-new")
	r := model.Explore(m, model.Options{MaxDepth: 10})
	if !r.Bounded || r.MaxDepth > 10 {
		t.Fatalf("bounded %v, depth %d", r.Bounded, r.MaxDepth)
	}
	r = model.Explore(m, model.Options{MaxStates: 100})
	if !r.Bounded || r.States > 100 {
		t.Fatalf("bounded %v, %d states", r.Bounded, r.States)
	}
	r = model.Explore(m, model.Options{})
	if r.Bounded {
		t.Fatal("an unbounded search says it was bounded")
	}
}

// TestWorkersAgree: the parallel breadth-first search finds the same
// states, verdicts and counterexamples as the sequential one.
func TestWorkersAgree(t *testing.T) {
	for _, name := range smallScenarios {
		_, m := machine(t, name)
		a := model.Explore(m, model.Options{})
		b := model.Explore(m, model.HelpEveryLevelForTest(model.Options{Workers: 3}))
		if (a.Violation == nil) != (b.Violation == nil) || len(a.Schedule) != len(b.Schedule) {
			t.Errorf("%s: sequential %v (%d steps), parallel %v (%d steps)", name, a.Violation, len(a.Schedule), b.Violation, len(b.Schedule))
			continue
		}
		for i := range a.Schedule {
			if a.Schedule[i] != b.Schedule[i] {
				t.Errorf("%s: schedules differ at step %d", name, i+1)
				break
			}
		}
		if a.Violation == nil && a.States != b.States {
			t.Errorf("%s: sequential %d states, parallel %d", name, a.States, b.States)
		}
	}
}

// TestReductionKeepsVerdicts: partial-order reduction finds the same
// verdict and property on every small scenario, with no more states.
func TestReductionKeepsVerdicts(t *testing.T) {
	for _, name := range smallScenarios {
		_, m := machine(t, name)
		a := model.Explore(m, model.Options{})
		b := model.Explore(m, model.Options{Reduce: true, Symmetry: true})
		if (a.Violation == nil) != (b.Violation == nil) || a.Violation != nil && a.Violation.Property != b.Violation.Property {
			t.Errorf("%s: plain %v, reduced %v", name, a.Violation, b.Violation)
		}
		if b.States > a.States {
			t.Errorf("%s: reduced search saw more states (%d > %d)", name, b.States, a.States)
		}
		if b.Violation != nil {
			if _, v, err := model.Replay(m, b.Schedule); err != nil || v == nil || v.Property != b.Violation.Property {
				t.Errorf("%s: reduced schedule replays to %v, %v", name, v, err)
			}
		}
	}
}

// TestPreemptionBound: a bounded search finds only violations the full
// search finds, says when it cut something, and a tight bound does cut.
func TestPreemptionBound(t *testing.T) {
	for _, name := range smallScenarios {
		_, m := machine(t, name)
		full := model.Explore(m, model.Options{})
		b := model.Explore(m, model.Options{MaxPreemptions: 3})
		switch {
		case b.Violation != nil && (full.Violation == nil || full.Violation.Property != b.Violation.Property):
			t.Errorf("%s: bounded search found %v, full search %v", name, b.Violation, full.Violation)
		case b.Violation == nil && full.Violation != nil && !b.Bounded:
			t.Errorf("%s: bounded search missed %v without saying it was bounded", name, full.Violation)
		}
		tight := model.Explore(m, model.Options{MaxPreemptions: 1})
		if tight.Violation == nil && !tight.Bounded {
			t.Errorf("%s: a bound of 1 preemption cut nothing", name)
		}
		if tight.Err != nil {
			t.Errorf("%s: %v", name, tight.Err)
		}
	}
}

// TestCanonicalIsAFunctionOfTheOrbit: swapping two CPUs that make the
// same calls (with their text_poke_array_refs) does not change the
// canonical state, and canonicalising is idempotent.
func TestCanonicalIsAFunctionOfTheOrbit(t *testing.T) {
	_, m := machine(t, "x86-4cpu-2site-2upd") // cpu0 ~ cpu1, cpu2 ~ cpu3
	orbit := func(s model.State) bool {
		a := s
		m.Canonical(&a)
		// The same state with the CPUs of each class swapped, and their
		// per-CPU text_poke_array_refs with them.
		b := s
		r := &b.K.Poke.Refs
		b.CPU[0], b.CPU[1], r[0], r[1] = b.CPU[1], b.CPU[0], r[1], r[0]
		b.CPU[2], b.CPU[3], r[2], r[3] = b.CPU[3], b.CPU[2], r[3], r[2]
		m.Canonical(&b)
		c := a
		m.Canonical(&c)
		return a == b && a == c
	}
	// The state rapid once drew (seed 6006712071938115430): cpu2 in the
	// INT3 handler with a reference to text_poke_array, the others done.
	s := m.P.Initial()
	for c := range s.CPU {
		s.CPU[c] = model.CPUState{Mode: model.ModeDone, Call: 2}
	}
	s.CPU[2] = model.CPUState{PC: 1, Mode: model.ModeHandler, Sub: 1, Call: 1, SP: 1}
	s.K.Poke.Refs = [model.MaxCPUs]uint8{1, 1, 1, 2}
	if !orbit(s) {
		t.Fatal("canonical form of a CPU in the INT3 handler depends on the order of symmetric CPUs")
	}
	rapid.Check(t, func(rt *rapid.T) {
		s := m.P.Initial()
		for i := rapid.IntRange(0, 80).Draw(rt, "steps"); i > 0; i-- {
			var ok bool
			if s, ok = randomStep(rt, m, s); !ok {
				break
			}
		}
		if !orbit(s) {
			rt.Fatal("canonical form depends on the order of symmetric CPUs, or is not idempotent")
		}
	})
}

// randomStep takes a successor of s that violates nothing, drawn by rt;
// false when there is none.
func randomStep(rt *rapid.T, m *model.Machine, s model.State) (model.State, bool) {
	var next []model.State
	m.Successors(&s, func(_ model.Step, n *model.State, v *model.Violation) bool {
		if v == nil {
			next = append(next, *n)
		}
		return true
	})
	if len(next) == 0 {
		return s, false
	}
	return next[rapid.IntRange(0, len(next)-1).Draw(rt, "choice")], true
}

// TestStopHook checks that Options.Stop ends every search, bounded, with
// the reason and the figures so far, and that it is asked with the bytes
// of the visited set's next table before the set grows.
func TestStopHook(t *testing.T) {
	for _, opt := range []model.Options{{Search: model.BFS}, {Search: model.DFS}, {Search: model.Random, Walks: 100000}, {Search: model.BFS, Workers: 2}} {
		calls := 0
		opt.Stop = func(grow uint64) string {
			if calls++; calls >= 3 {
				return "timeout"
			}
			return ""
		}
		r := model.Explore(spinMachine(t, 3), opt)
		if r.Stopped != "timeout" || !r.Bounded || r.States == 0 || r.Violation != nil {
			t.Errorf("%s/%d: stopped %q bounded %v states %d", opt.Search, opt.Workers, r.Stopped, r.Bounded, r.States)
		}
		if opt.Search == model.Random {
			continue
		}
		// Stopped before the visited set grows past its first table.
		opt.Stop = func(grow uint64) string {
			if grow > 0 {
				return "memory"
			}
			return ""
		}
		r = model.Explore(spinMachine(t, 4), opt)
		if r.Stopped != "memory" || r.States > int64(max(opt.Workers, 1))*3<<14 || r.Queue == 0 {
			t.Errorf("%s/%d: stopped %q, %d states, frontier %d", opt.Search, opt.Workers, r.Stopped, r.States, r.Queue)
		}
	}
}

// TestSpilledFrontierAgrees: a breadth-first search whose frontier goes
// to disk whenever it can (LowMemory always true) finds the same states,
// transitions, violation and schedule as one that keeps it in memory, on
// one worker and two.
func TestSpilledFrontierAgrees(t *testing.T) {
	for _, name := range append(smallScenarios, "x86-3cpu-two-updates") {
		if testing.Short() && name == "x86-3cpu-two-updates" {
			continue
		}
		_, m := machine(t, name)
		a := model.Explore(m, model.Options{})
		b := model.Explore(m, model.Options{LowMemory: func() bool { return true }})
		if a.States != b.States || a.Transitions != b.Transitions || a.Err != nil || b.Err != nil ||
			(a.Violation == nil) != (b.Violation == nil) || !slices.Equal(a.Schedule, b.Schedule) {
			t.Errorf("%s: in memory %d states %d transitions (%v, %v), spilled %d %d (%v, %v)", name,
				a.States, a.Transitions, a.Violation, a.Err, b.States, b.Transitions, b.Violation, b.Err)
		}
	}
}

// TestCollapseAgreesWithExact: the collapsed visited set is lossless: on
// the small catalogue it stores the states that the exact set stores,
// with the same transitions and schedules, on one worker and two, and
// depth-first too.
func TestCollapseAgreesWithExact(t *testing.T) {
	for _, name := range smallScenarios {
		_, m := machine(t, name)
		for _, o := range []model.Options{{}, {Workers: 2}, {Search: model.DFS}} {
			o.Exact = true
			a := model.Explore(m, o)
			o.Collapse = true
			b := model.Explore(m, o)
			if a.States != b.States || a.Transitions != b.Transitions || (a.Violation == nil) != (b.Violation == nil) ||
				!reflect.DeepEqual(a.Schedule, b.Schedule) || a.MaxDepth != b.MaxDepth {
				t.Errorf("%s %+v: exact %d states %d transitions (%v %v), collapsed %d states %d transitions (%v %v)",
					name, o, a.States, a.Transitions, a.Violation, a.Schedule, b.States, b.Transitions, b.Violation, b.Schedule)
			}
		}
	}
}

// TestParallelLevelsAgree: the parallel search's coded levels (spans cut
// at restart points, over chunk boundaries, the dropped candidates
// passed over) give the sequential search's states, transitions, depth
// and schedule, on two and three workers, with fingerprints and exact
// storage; and bounded by states or depth, the same states and bound.
func TestParallelLevelsAgree(t *testing.T) {
	for _, name := range append([]string{"x86-jcc"}, packScenarios...) {
		_, m := machine(t, name)
		for _, exact := range []bool{false, true} {
			ref := model.Explore(m, model.Options{Exact: exact})
			for _, w := range []int{2, 3} {
				r := model.Explore(m, model.HelpEveryLevelForTest(model.Options{Exact: exact, Workers: w}))
				if r.States != ref.States || r.Transitions != ref.Transitions || r.MaxDepth != ref.MaxDepth ||
					(r.Violation == nil) != (ref.Violation == nil) || r.Err != nil || !slices.Equal(r.Schedule, ref.Schedule) {
					t.Errorf("%s exact=%v workers=%d: %d states %d transitions depth %d (%v %v), one worker %d %d %d (%v)",
						name, exact, w, r.States, r.Transitions, r.MaxDepth, r.Violation, r.Err, ref.States, ref.Transitions, ref.MaxDepth, ref.Violation)
				}
				if ref.Violation != nil {
					continue
				}
				for _, o := range []model.Options{{MaxStates: int(ref.States / 2)}, {MaxDepth: ref.MaxDepth / 2}} {
					o.Exact = exact
					a := model.Explore(m, o)
					o.Workers = w
					b := model.Explore(m, model.HelpEveryLevelForTest(o))
					if a.States != b.States || a.Bounded != b.Bounded || !b.Bounded {
						t.Errorf("%s %+v: %d states (bounded %v), one worker %d (bounded %v)", name, o, b.States, b.Bounded, a.States, a.Bounded)
					}
				}
			}
		}
	}
}

// TestHelpersSitOut: a parallel search whose helpers sit some levels out
// (helpShare, on a busy machine) finds one worker's states, transitions,
// depth and schedule, whichever levels they join, with fingerprints,
// exact storage and -collapse: the main worker's levels and the helpers'
// hand over to each other in every order, and with fingerprints the
// TestHelpersLeave: the helpers of a parallel search, which wait between
// levels, are gone soon after the search returns (at its end, at a bound
// or at a violation), so that many searches in one process (a fuzz
// campaign, a test suite) do not pile them up.
func TestHelpersLeave(t *testing.T) {
	m := spinMachine(t, 3)
	_, bad := machine(t, "x86-bad-no-sync2")
	before := runtime.NumGoroutine()
	for _, opt := range []model.Options{{Workers: 2}, {Workers: 3, Exact: true}, {Workers: 2, MaxStates: 20000}} {
		if r := model.Explore(m, model.HelpEveryLevelForTest(opt)); r.Err != nil || r.Violation != nil {
			t.Fatalf("%+v: %v %v", opt, r.Err, r.Violation)
		}
	}
	if r := model.Explore(bad, model.HelpEveryLevelForTest(model.Options{Workers: 2})); r.Violation == nil {
		t.Fatal("x86-bad-no-sync2: no violation")
	}
	for deadline := time.Now().Add(5 * time.Second); runtime.NumGoroutine() > before; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines 5 s after the searches, %d before", runtime.NumGoroutine(), before)
		}
	}
}

// levels switch between coded and packed.
func TestHelpersSitOut(t *testing.T) {
	patterns := []struct {
		name string
		join func(d int) bool
	}{
		{"odd levels", func(d int) bool { return d%2 == 1 }},
		{"every third", func(d int) bool { return d%3 == 0 }},
		{"two of three", func(d int) bool { return d%3 != 0 }},
		{"first five", func(d int) bool { return d < 5 }},
		{"none", func(int) bool { return false }},
	}
	type named struct {
		name string
		m    *model.Machine
	}
	cases := []named{{"spin-3cpu", spinMachine(t, 3)}}
	for _, name := range []string{"x86-bad-no-sync2", "x86-two-keys", "ppc64-rfc-paca-module"} {
		_, m := machine(t, name)
		cases = append(cases, named{name, m})
	}
	satOut := make([]int, len(patterns))
	for _, c := range cases {
		for _, mode := range []model.Options{{}, {Exact: true}, {Exact: true, Collapse: true}} {
			ref := model.Explore(c.m, mode)
			for i, p := range patterns {
				opt := mode
				opt.Workers = 2
				r := model.Explore(c.m, model.WithHelpLevelsForTest(opt, p.join))
				if r.States != ref.States || r.Transitions != ref.Transitions || r.MaxDepth != ref.MaxDepth ||
					(r.Violation == nil) != (ref.Violation == nil) || r.Err != nil || !slices.Equal(r.Schedule, ref.Schedule) {
					t.Errorf("%s exact=%v collapse=%v %s: %d states %d transitions depth %d (%v %v), one worker %d %d %d (%v)",
						c.name, mode.Exact, mode.Collapse, p.name, r.States, r.Transitions, r.MaxDepth, r.Violation, r.Err, ref.States, ref.Transitions, ref.MaxDepth, ref.Violation)
				}
				satOut[i] += model.SatOutForTest(r)
			}
		}
	}
	for i, p := range patterns {
		if satOut[i] == 0 {
			t.Errorf("%s: the helpers sat no level out", p.name)
		}
	}
}

// TestTakeOver: the main worker of a parallel search takes over the
// chunks of helpers slowed down (a sleep before each state), and the
// search finds the states, transitions, depth, verdict and schedule of
// one worker, with fingerprints and exact storage.
func TestTakeOver(t *testing.T) {
	type named struct {
		name string
		m    *model.Machine
	}
	cases := []named{{"spin-3cpu", spinMachine(t, 3)}}
	for _, name := range []string{"x86-bad-no-sync2", "x86-two-keys"} {
		_, m := machine(t, name)
		cases = append(cases, named{name, m})
	}
	taken, lagged := 0, 0
	for _, c := range cases {
		for _, exact := range []bool{false, true} {
			ref := model.Explore(c.m, model.Options{Exact: exact})
			r := model.Explore(c.m, model.WithHelperDelayForTest(model.HelpEveryLevelForTest(model.Options{Exact: exact, Workers: 2}), 200*time.Microsecond))
			if r.States != ref.States || r.Transitions != ref.Transitions || r.MaxDepth != ref.MaxDepth ||
				(r.Violation == nil) != (ref.Violation == nil) || r.Err != nil || !slices.Equal(r.Schedule, ref.Schedule) {
				t.Errorf("%s exact=%v: %d states %d transitions depth %d (%v %v), one worker %d %d %d (%v)",
					c.name, exact, r.States, r.Transitions, r.MaxDepth, r.Violation, r.Err, ref.States, ref.Transitions, ref.MaxDepth, ref.Violation)
			}
			taken += model.TakenOverForTest(r)
			if exact && model.LaggedForTest(r) > 0 {
				t.Errorf("%s exact: %d levels left with a helper in them", c.name, model.LaggedForTest(r))
			}
			lagged += model.LaggedForTest(r)
		}
	}
	if taken == 0 {
		t.Error("the main worker took no chunk over from a slowed-down helper")
	}
	if lagged == 0 {
		t.Error("the main worker left no level with a slowed-down helper still in it")
	}
}

// TestLag: with fingerprints, the main worker of a parallel search
// leaves a level whose helper is still in a chunk it took over, and goes
// on while the helper's thread does not run (here it sleeps 10 ms, longer
// than most levels take, as it claims a chunk, and 2 ms before each
// state; or as it claims a chunk before its level starts, either 10 ms
// or until that level has ended and 10 ms more): the search
// finds one worker's states, transitions, depth and schedule. The search
// overwrites the segment blocks and spans it reuses, so under -race
// (.ci/run) it checks that the straggler reads and writes only what the
// main worker keeps for it, from its level's end to two levels on.
func TestLag(t *testing.T) {
	m := spinMachine(t, 3)
	ref := model.Explore(m, model.Options{})
	const ms = time.Millisecond
	for _, tt := range []struct {
		name                string
		state, claim, early time.Duration
		stall               bool // the early sleep starts as its level ends
		timed               bool // whether it lags is up to the scheduler
	}{
		{"chunks", 2 * ms, 10 * ms, 0, false, false},
		{"early chunks", 0, 0, 10 * ms, true, false},
		// The straggler wakes at a time of the scheduler's choosing,
		// where -race may see it read what the main worker reused.
		{"early chunks, timed", 0, 0, 10 * ms, false, true},
	} {
		lagged, held := 0, 0
		for try := 0; try < 5 && (held == 0 || tt.timed); try++ {
			opt := model.WithHelperDelayForTest(model.HelpEveryLevelForTest(model.Options{Workers: 2}), tt.state)
			if tt.stall {
				opt = model.WithHelperEarlyStallForTest(opt)
			}
			r := model.Explore(m, model.WithPoisonForTest(model.WithHelperClaimDelayForTest(opt, tt.claim, tt.early)))
			if r.States != ref.States || r.Transitions != ref.Transitions || r.MaxDepth != ref.MaxDepth || r.Err != nil || !slices.Equal(r.Schedule, ref.Schedule) {
				t.Fatalf("%s: %d states %d transitions depth %d (%v), one worker %d %d %d", tt.name, r.States, r.Transitions, r.MaxDepth, r.Err, ref.States, ref.Transitions, ref.MaxDepth)
			}
			lagged += model.LaggedForTest(r)
			held += model.LagHeldForTest(r)
		}
		if !tt.timed && (lagged == 0 || held == 0) {
			t.Errorf("%s: %d levels left with a sleeping helper in them, %d of them still as the next started; want some of each", tt.name, lagged, held)
		}
	}
}

// TestParallelSpin: a parallel search of bench/spin's 3-CPU scenario, with
// fingerprints and exact storage, finds one worker's states, transitions,
// depth and schedule. Small enough for .ci/run to run it under -race,
// where it caught the main worker reading a helper's arena as the helper
// filled it.
func TestParallelSpin(t *testing.T) {
	m := spinMachine(t, 3)
	for _, exact := range []bool{false, true} {
		ref := model.Explore(m, model.Options{Exact: exact})
		// The helpers expand chunks of the next level before it starts
		// (early) when the threads run side by side: in nearly every run,
		// but not in one whose helper thread did not get a CPU.
		early := 0
		for try := 0; try < 10 && early == 0; try++ {
			r := model.Explore(m, model.HelpEveryLevelForTest(model.Options{Exact: exact, Workers: 2}))
			if r.States != ref.States || r.Transitions != ref.Transitions || r.MaxDepth != ref.MaxDepth ||
				(r.Violation == nil) != (ref.Violation == nil) || r.Err != nil || !slices.Equal(r.Schedule, ref.Schedule) {
				t.Fatalf("exact=%v: %d states %d transitions depth %d (%v %v), one worker %d %d %d (%v)",
					exact, r.States, r.Transitions, r.MaxDepth, r.Violation, r.Err, ref.States, ref.Transitions, ref.MaxDepth, ref.Violation)
			}
			early = model.EarlyForTest(r)
		}
		if early == 0 {
			t.Errorf("exact=%v: no chunk expanded before its level started, in 10 runs", exact)
		}
	}
}
