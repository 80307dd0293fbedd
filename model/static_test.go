package model_test

import (
	"fmt"
	"testing"

	"github.com/patchcheck/patchcheck/model"
)

// TestStaticFetch steps the reachable states of catalogue scenarios of
// every architecture (up to a bound) on two machines, one that takes the
// fetches of static text from staticFetch and one that reads every
// granule (fetchFrom), with and without the partial-order reduction and
// with traces: the successors, their violations and the traces must be
// equal.
func TestStaticFetch(t *testing.T) {
	limit := 5000
	if testing.Short() {
		limit = 1000
	}
	names := append([]string{"x86-jcc", "x86-aligned4-kernel", "x86-bad-aligned4-plain-write", "arm64-jl-enable", "arm64-branch-kick",
		"arm64-dic-branch-no-maintenance", "arm64-bad-v2-adrp-add-word", "ppc32-strict-near-far", "ppc64-v4-module-to-kernel"}, packScenarios...)
	for _, name := range names {
		_, m := machine(t, name)
		_, slow := machine(t, name)
		slow.NoStaticFetchForTest()
		for _, mode := range []string{"plain", "reduce", "trace"} {
			for _, x := range []*model.Machine{m, slow} {
				x.Reduce, x.Trace = mode == "reduce", mode == "trace"
			}
			type step struct {
				st   model.Step
				s    model.State
				viol string
				tr   string
			}
			successors := func(x *model.Machine, s *model.State) []step {
				var out []step
				x.Successors(s, func(st model.Step, n *model.State, v *model.Violation) bool {
					o := step{st: st, s: *n}
					if v != nil {
						o.viol = fmt.Sprintf("%+v", *v)
					}
					if x.Trace {
						o.tr = fmt.Sprintf("%+v", x.TraceEvents())
					}
					out = append(out, o)
					return true
				})
				return out
			}
			init := m.P.Initial()
			// CPU 0 at bytes of the text, mid-instruction too
			// (undefined instructions, fetches running out of a
			// region): the first 2,048 of each region and some of the
			// rest, fewer with -short and in the slower modes.
			sample := 1
			if testing.Short() {
				sample = 5
			}
			if mode != "plain" {
				sample *= 7
			}
			for _, r := range m.P.Regions {
				for o := range r.Bytes {
					if o%sample != 0 || o >= 2048 && o%(97*sample) != 0 {
						continue
					}
					s := init
					s.CPU[0].Mode, s.CPU[0].PC = model.ModeRun, r.Base+uint64(o)
					got, want := successors(m, &s), successors(slow, &s)
					if len(got) != len(want) {
						t.Fatalf("%s %s: %d successors at %s+%d, %d without static fetches", name, mode, len(got), r.Name, o, len(want))
					}
					for i := range got {
						if got[i] != want[i] {
							t.Fatalf("%s %s: successor %d at %s+%d differs from the one without static fetches", name, mode, i, r.Name, o)
						}
					}
				}
			}
			seen := map[model.State]bool{init: true}
			queue := []model.State{init}
			bound := limit
			if mode == "trace" {
				bound /= 10 // formatting the traces is slow
			}
			for len(queue) > 0 && len(seen) < bound {
				s := queue[0]
				queue = queue[1:]
				got, want := successors(m, &s), successors(slow, &s)
				if len(got) != len(want) {
					t.Fatalf("%s %s: %d successors, %d without static fetches", name, mode, len(got), len(want))
				}
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("%s %s: successor %d differs from the one without static fetches", name, mode, i)
					}
					if !seen[got[i].s] {
						seen[got[i].s] = true
						queue = append(queue, got[i].s)
					}
				}
			}
			if len(seen) < 20 {
				t.Fatalf("%s: only %d states", name, len(seen))
			}
		}
	}
}
