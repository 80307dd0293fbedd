package selftest

import (
	"flag"
	"fmt"
	"os"
	"sync/atomic"
	"testing"

	"pgregory.net/rapid"

	"github.com/patchcheck/patchcheck/check"
	"github.com/patchcheck/patchcheck/gen"
	"github.com/patchcheck/patchcheck/model"
	"github.com/patchcheck/patchcheck/scenario"
)

const arch = "x86-64"

// checksDefault is how many scenarios each property draws unless
// -rapid.checks or RAPID_CHECKS says otherwise (rapid takes a fifth of it
// under -short). rapid's own default, 100, would take minutes here.
const checksDefault = 30

// propStates bounds the scenarios of the properties that run several
// searches on each: enough for most generated scenarios to finish.
const propStates = 100000

func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "rapid.checks" })
	if _, env := os.LookupEnv("RAPID_CHECKS"); !set && !env {
		flag.Set("rapid.checks", fmt.Sprint(checksDefault))
	}
	os.Exit(m.Run())
}

// caught are the known-bad variants that generated scenarios (without
// modules or static_call_init) catch.
var caught = []string{"plain-write", "no-sync1", "no-sync2", "no-sync3", "tramp-only", "int3-no-emulate"}

// run checks sc and fails t on an error.
func run(t *rapid.T, sc *scenario.Scenario, opt check.Options) *check.Result {
	t.Helper()
	r, err := check.Run(sc, opt)
	if err != nil {
		t.Fatalf("check.Run: %v\n%s", err, scenario.Format(sc))
	}
	return r
}

// replays checks that r's counterexample replays to the same ID.
func replays(t *rapid.T, what string, r *check.Result) {
	t.Helper()
	re, same, err := check.Replay(r.Cex)
	if err != nil || !same || re.ID != r.Cex.ID {
		t.Fatalf("%s counterexample %s does not replay (same %v, err %v)\n%s", what, r.Cex.ID, same, err, scenario.Format(r.Scenario))
	}
}

func steps(r *check.Result) int { return len(r.Cex.Schedule) }

// TestKernelSafe: the kernel's text_poke_bp, under both fetch assumptions,
// violates no property on any generated scenario whose free_initmem is
// ordered with the updates of init sites (bounded searches count as safe).
func TestKernelSafe(t *testing.T) {
	g := gen.Scenario(arch, gen.Variant("kernel"), gen.AnyFetch(), gen.Lifecycle(gen.LifecycleOrdered))
	rapid.Check(t, func(t *rapid.T) {
		sc := g.Draw(t, "scenario")
		r := run(t, sc, check.Options{})
		if r.Violation != nil {
			t.Fatalf("the kernel violates %s on a generated scenario:\n%s\n%s", r.Violation.Property, scenario.Format(sc), r.Cex.Text(""))
		}
	})
}

// TestArm64KernelSafe: arm64's own protocols violate no property on
// generated arm64 scenarios: the mainline literal trampoline with any fetch
// assumption, and call sites patched like jump labels since v6.11
// (branch-kick; tail sites are left out: their NULL is a ret, outside the
// CMODX set, a documented finding).
func TestArm64KernelSafe(t *testing.T) {
	for _, g := range []*rapid.Generator[*scenario.Scenario]{
		gen.Scenario("arm64", gen.Variant("kernel"), gen.AnyFetch(), gen.MaxStates(propStates)),
		gen.Scenario("arm64", gen.Variant("branch-kick"), gen.Kinds(scenario.KindCall), gen.MaxStates(propStates)),
	} {
		rapid.Check(t, func(t *rapid.T) {
			sc := g.Draw(t, "scenario")
			r := run(t, sc, check.Options{})
			if r.Violation != nil {
				t.Fatalf("arm64's protocol violates %s on a generated scenario:\n%s\n%s", r.Violation.Property, scenario.Format(sc), r.Cex.Text(""))
			}
		})
	}
}

// TestWalkImpliesBFS: when a seeded random walk finds a violation on a bad
// variant, breadth-first search finds one too, no longer than the walk's
// (or, cut short by its states bound, has not reached the walk's length),
// and both counterexamples replay to the IDs they report.
func TestWalkImpliesBFS(t *testing.T) {
	g := gen.Scenario(arch, gen.Variants(caught...), gen.AnyFetch(), gen.Lifecycle(gen.LifecycleConcurrent), gen.MaxStates(propStates))
	var drawn, found, bounded atomic.Int64
	rapid.Check(t, func(t *rapid.T) {
		sc := g.Draw(t, "scenario")
		seed := rapid.Uint64().Draw(t, "seed")
		drawn.Add(1)
		walk := run(t, sc, check.Options{Options: model.Options{Search: model.Random, Seed: seed, Walks: 100}})
		if walk.Violation == nil {
			return
		}
		found.Add(1)
		replays(t, "walk", walk)
		bfs := run(t, sc, check.Options{})
		switch {
		case bfs.Violation != nil:
			if bfs.Bounded {
				bounded.Add(1)
			}
			replays(t, "bfs", bfs)
			if steps(bfs) > steps(walk) {
				t.Fatalf("bfs counterexample %d steps, random walk %d\n%s", steps(bfs), steps(walk), scenario.Format(sc))
			}
		case !bfs.Bounded:
			t.Fatalf("the walk found %s (%s) but exhaustive bfs found nothing\n%s", walk.Violation.Property, walk.Cex.ID, scenario.Format(sc))
		case steps(walk) <= bfs.MaxDepth:
			t.Fatalf("bounded bfs reached depth %d without the walk's %d-step violation\n%s", bfs.MaxDepth, steps(walk), scenario.Format(sc))
		}
	})
	t.Logf("random walks found a violation on %d of %d scenarios (bfs bounded on %d of them)", found.Load(), drawn.Load(), bounded.Load())
	if found.Load() == 0 && drawn.Load() >= 10 {
		t.Errorf("no random walk found a violation on any bad variant: the property was never exercised")
	}
}

// TestBFSNotLongerThanDFS: breadth-first counterexamples are never longer
// than depth-first ones, and two searches that both finish agree on
// whether there is a violation.
func TestBFSNotLongerThanDFS(t *testing.T) {
	g := gen.Scenario(arch, gen.AnyVariant(), gen.AnyFetch(), gen.Lifecycle(gen.LifecycleConcurrent), gen.MaxStates(propStates))
	rapid.Check(t, func(t *rapid.T) {
		sc := g.Draw(t, "scenario")
		bfs := run(t, sc, check.Options{})
		dfs := run(t, sc, check.Options{Options: model.Options{Search: model.DFS}})
		switch {
		case bfs.Violation != nil && dfs.Violation != nil:
			if steps(bfs) > steps(dfs) {
				t.Fatalf("bfs counterexample %d steps, dfs %d\n%s", steps(bfs), steps(dfs), scenario.Format(sc))
			}
			replays(t, "dfs", dfs)
		case dfs.Violation != nil:
			if !bfs.Bounded || steps(dfs) <= bfs.MaxDepth {
				t.Fatalf("dfs found a %d-step violation, bfs nothing (bounded %v, depth %d)\n%s", steps(dfs), bfs.Bounded, bfs.MaxDepth, scenario.Format(sc))
			}
		case bfs.Violation != nil:
			if !dfs.Bounded {
				t.Fatalf("bfs found %s, exhaustive dfs nothing\n%s", bfs.Cex.ID, scenario.Format(sc))
			}
		}
	})
}

// TestRunDeterministic: check.Run gives the same verdict, figures and
// counterexample ID twice, and with two breadth-first workers.
func TestRunDeterministic(t *testing.T) {
	g := gen.Scenario(arch, gen.AnyVariant(), gen.AnyFetch(), gen.Lifecycle(gen.LifecycleConcurrent), gen.MaxStates(propStates))
	rapid.Check(t, func(t *rapid.T) {
		sc := g.Draw(t, "scenario")
		a := run(t, sc, check.Options{})
		for _, opt := range []check.Options{{}, {Options: model.Options{Workers: 2}}} {
			b := run(t, sc, opt)
			if a.Verdict() != b.Verdict() || a.States != b.States || a.Bounded != b.Bounded {
				t.Fatalf("workers %d: %s, %d states, bounded %v; first run %s, %d states, bounded %v\n%s",
					opt.Workers, b.Verdict(), b.States, b.Bounded, a.Verdict(), a.States, a.Bounded, scenario.Format(sc))
			}
			if opt.Workers <= 1 && (a.Transitions != b.Transitions || a.MaxDepth != b.MaxDepth) {
				t.Fatalf("second run: %d transitions, depth %d; first %d, %d", b.Transitions, b.MaxDepth, a.Transitions, a.MaxDepth)
			}
			if a.Cex != nil && a.Cex.ID != b.Cex.ID {
				t.Fatalf("workers %d: ID %s, first run %s\n%s", opt.Workers, b.Cex.ID, a.Cex.ID, scenario.Format(sc))
			}
		}
	})
}

// TestFormatParseSameID: a generated scenario written by scenario.Format
// and read back by scenario.Parse is the same scenario: the same verdict,
// the same states and the same counterexample ID.
func TestFormatParseSameID(t *testing.T) {
	g := gen.Scenario(arch, gen.AnyVariant(), gen.AnyFetch(), gen.Lifecycle(gen.LifecycleConcurrent), gen.MaxStates(propStates))
	rapid.Check(t, func(t *rapid.T) {
		sc := g.Draw(t, "scenario")
		text := scenario.Format(sc)
		sc2, err := scenario.Parse("generated.scn", text, check.ParseOptions())
		if err != nil {
			t.Fatalf("Parse(Format(sc)): %v\n%s", err, text)
		}
		a, b := run(t, sc, check.Options{}), run(t, sc2, check.Options{})
		if a.Verdict() != b.Verdict() || a.States != b.States {
			t.Fatalf("parsed: %s, %d states; built: %s, %d states\n%s", b.Verdict(), b.States, a.Verdict(), a.States, text)
		}
		if a.Cex != nil && a.Cex.ID != b.Cex.ID {
			t.Fatalf("parsed: ID %s; built: %s\n%s", b.Cex.ID, a.Cex.ID, text)
		}
	})
}

// TestBadVariantsCaught: each known-bad variant violates a property on at
// least one of the first scenarios of a fixed seed (a deterministic
// search; the log says which scenario and how many steps).
func TestBadVariantsCaught(t *testing.T) {
	cases := []struct {
		variant   string
		lifecycle gen.LifecycleMode
		arm64     bool
	}{
		{"plain-write", gen.LifecycleNever, false},
		{"no-sync1", gen.LifecycleNever, false},
		{"no-sync2", gen.LifecycleNever, false},
		{"no-sync3", gen.LifecycleNever, false},
		{"tramp-only", gen.LifecycleNever, false},
		{"int3-no-emulate", gen.LifecycleNever, false},
		{"init-until-running", gen.LifecycleConcurrent, false},
		{"v2-adrp-add", "", true},
		{"v6-literal", "", true},
		{"v5-literal-if-nop", "", true},
		{"branch-nosync", "", true},
		{"branch-kick-no-maintenance", "", true},
	}
	const seed, tries = 1, 200
	for _, c := range cases {
		t.Run(c.variant, func(t *testing.T) {
			t.Parallel()
			a, opts := arch, []gen.Option{gen.Variant(c.variant), gen.Lifecycle(c.lifecycle), gen.MaxStates(propStates)}
			if c.arm64 {
				a, opts = "arm64", []gen.Option{gen.Variant(c.variant), gen.MaxStates(propStates)}
			}
			for i := uint64(0); i < tries; i++ {
				sc, err := gen.Seeded(a, seed, i, opts...)
				if err != nil {
					t.Fatal(err)
				}
				r, err := check.Run(sc, check.Options{})
				if err != nil {
					t.Fatal(err)
				}
				if r.Violation != nil {
					t.Logf("caught by scenario %d of seed %d: %s in %d steps, %s", i, seed, r.Violation.Property, len(r.Cex.Schedule), r.Cex.ID)
					return
				}
			}
			t.Errorf("%s not caught by the first %d scenarios of seed %d", c.variant, tries, seed)
		})
	}
}
