package model_test

import (
	"testing"

	"github.com/patchcheck/patchcheck/catalog"
	"github.com/patchcheck/patchcheck/check"
	"github.com/patchcheck/patchcheck/model"
)

// TestConfinedSteps explores every built-in scenario (its first states)
// with the machine checking each step it takes as confined to one CPU
// (confine.go) against the whole state: that the step changed nothing
// but the CPU's state, that canon would change nothing, and that the
// fingerprint made from the state's is the successor's own. With and
// without reductions, on one worker and two, breadth- and depth-first,
// with and without AVX-512.
func TestConfinedSteps(t *testing.T) {
	entries, err := catalog.All(check.ParseOptions())
	if err != nil {
		t.Fatal(err)
	}
	states := 20000
	if testing.Short() {
		states = 3000
	}
	for _, e := range entries {
		for _, opt := range []model.Options{
			{Reduce: true, MaxStates: states},
			{MaxStates: states},
			{MaxStates: states, Workers: 2},
			{MaxStates: states, Exact: true},
			{MaxStates: states / 2, Exact: true, Collapse: true},
			{MaxStates: states / 4, Exact: true, Collapse: true, Workers: 2},
			{MaxStates: states / 2},
			{MaxStates: states / 4, Search: model.DFS},
		} {
			m, err := check.Compile(e.Scenario, nil)
			if err != nil {
				t.Fatal(err)
			}
			m.VerifyConfinedForTest()
			if opt.MaxStates == states/2 {
				m.SetAVX512ForTest(false) // the Go fingerprint's way
			}
			func() {
				defer func() {
					if v := recover(); v != nil {
						t.Errorf("%s %+v: %v", e.Scenario.Name, opt, v)
					}
				}()
				r := model.Explore(m, opt)
				if r.Err != nil {
					t.Errorf("%s %+v: %v", e.Scenario.Name, opt, r.Err)
				}
			}()
		}
	}
}
