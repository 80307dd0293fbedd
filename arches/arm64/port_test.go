package arm64_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/patchcheck/patchcheck/catalog"
	"github.com/patchcheck/patchcheck/check"
	"github.com/patchcheck/patchcheck/model"
	"github.com/patchcheck/patchcheck/scenario"
)

func builtin(t *testing.T, name string) *scenario.Scenario {
	t.Helper()
	e, ok, err := catalog.Lookup(name, check.ParseOptions())
	if err != nil || !ok {
		t.Fatalf("built-in scenario %s: %v", name, err)
	}
	return e.Scenario
}

// TestStaleSurvivesSync: without cache maintenance (CTR_EL0.DIC = 0) a
// CPU still fetches the old instruction after the IPI's context
// synchronisation; with DIC = 1 the same sequence is safe.
func TestStaleSurvivesSync(t *testing.T) {
	sc := builtin(t, "arm64-bad-branch-no-maintenance")
	r, err := check.Run(sc, check.Options{})
	if err != nil || r.Cex == nil {
		t.Fatalf("no counterexample: %v", err)
	}
	synced, stale := -1, -1
	for i, st := range r.Cex.Trace {
		if st.Actor != "cpu0" {
			continue
		}
		if slices.Contains(st.Tags, "ipi") && synced < 0 {
			synced = i
		}
		if slices.Contains(st.Tags, "stale") {
			stale = i
		}
	}
	if synced < 0 || stale < synced {
		t.Fatalf("want a stale fetch after the IPI: IPI at step %d, stale fetch at step %d", synced+1, stale+1)
	}
	dic := *sc
	dic.Fetch = "dic"
	if r, err := check.Run(&dic, check.Options{}); err != nil || r.Verdict() != "safe" {
		t.Fatalf("with fetch dic: %v, %v", r.Verdict(), err)
	}
}

// TestStoreHalvesInEitherOrder: v5's counterexample needs the
// instruction half of the 16-byte write to become visible first.
func TestStoreHalvesInEitherOrder(t *testing.T) {
	r, err := check.Run(builtin(t, "arm64-bad-v5-far-near-far"), check.Options{})
	if err != nil || r.Cex == nil {
		t.Fatalf("no counterexample: %v", err)
	}
	var order string
	for _, st := range r.Cex.Trace {
		for _, n := range st.Notes {
			if strings.Contains(n, "order)") {
				order = n
			}
		}
	}
	if !strings.Contains(order, "the other order") {
		t.Fatalf("the counterexample takes %q, want the instruction half first", order)
	}
}

// TestErrors: what the arm64 port does not model is refused with the
// reason.
func TestErrors(t *testing.T) {
	base := "scenario e\narch arm64\ntarget f1 f2\nkey k init=f1\n"
	for _, c := range []struct{ src, want string }{
		{"site s1 key=k kind=call\ncpu s1\nthread t: update k f2\n", "arm64 static calls are out-of-line"},
		{"variant branch-kick\nsite s1 key=k kind=jcc\ncpu s1\nthread t: update k f2\n", "no conditional tail-call sites"},
		{"cpu tramp(k)\nthread t: update k f2\nthread u: update k f1\n", "both update k"},
		{"module m1\ncpu tramp(k)\nthread t: load m1\n", "module loading is not modelled on arm64"},
		{"fetch aligned4\ncpu tramp(k)\nthread t: update k f2\n", "unknown arm64 fetch assumption"},
		{"variant v2-adrp-add\nsketch write lit new_lit\ncpu tramp(k)\nthread t: update k f2\n", "has no literal"},
		{"sketch write loc+4 new\ncpu tramp(k)\nthread t: update k f2\n", "loc+4 is patchable only"},
		{"sketch write_pair new_lit old\ncpu tramp(k)\nthread t: update k f2\n", "old before save"},
	} {
		sc, err := scenario.Parse("e.scn", []byte(base+c.src), check.ParseOptions())
		if err == nil {
			_, err = check.Compile(sc, nil)
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.src, err, c.want)
		}
	}
}

// TestViewsInRange: in every reachable state of a few arm64 scenarios,
// each CPU's view of a window names one of the window's contents, and a
// data window (a literal) keeps its current contents only.
func TestViewsInRange(t *testing.T) {
	for _, name := range []string{"arm64-mainline", "arm64-bad-branch-no-maintenance", "arm64-v6-far-near-far"} {
		m, err := check.Compile(builtin(t, name), nil)
		if err != nil {
			t.Fatal(err)
		}
		s0 := m.P.Initial()
		seen := map[model.State]bool{s0: true}
		queue := []model.State{s0}
		for len(queue) > 0 && len(seen) < 20000 {
			s := queue[0]
			queue = queue[1:]
			for w, def := range m.P.Windows {
				win := &s.Win[w]
				if def.Data && (win.N != 1 || win.Stale != 0) {
					t.Fatalf("%s: data window %s keeps %d contents", name, def.Name, win.N)
				}
				for c := range m.P.CPUs {
					if v := s.CPU[c].View[w]; v >= win.N || def.Data && v != 0 {
						t.Fatalf("%s: cpu%d's view %d of %s, which has %d contents", name, c, v, def.Name, win.N)
					}
				}
			}
			m.Successors(&s, func(_ model.Step, n *model.State, _ *model.Violation) bool {
				if !seen[*n] {
					seen[*n] = true
					queue = append(queue, *n)
				}
				return true
			})
		}
	}
}
