package cex_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/patchcheck/patchcheck/catalog"
	"github.com/patchcheck/patchcheck/cex"
	"github.com/patchcheck/patchcheck/check"
)

// TestITF: a counterexample in the Informal Trace Format has the ITF's
// shape (ADR-015: "#meta" with format ITF, "vars", "states" each with a
// "#meta" index and every variable), one state a step, integers as
// #bigint and sets as #set, and the violation in the last state only.
func TestITF(t *testing.T) {
	e, ok, err := catalog.Lookup("x86-bad-no-sync2", check.ParseOptions())
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	r, err := check.Run(e.Scenario, check.Options{})
	if err != nil || r.Cex == nil {
		t.Fatalf("no counterexample: %v", err)
	}
	b, err := r.Cex.ITF()
	if err != nil {
		t.Fatal(err)
	}
	var tr struct {
		Meta   map[string]any   `json:"#meta"`
		Vars   []string         `json:"vars"`
		States []map[string]any `json:"states"`
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&tr); err != nil {
		t.Fatal(err)
	}
	if tr.Meta["format"] != "ITF" || tr.Meta["format-description"] != cex.ITFFormat || tr.Meta["id"] != r.Cex.ID || tr.Meta["source"] != "x86-bad-no-sync2" {
		t.Errorf("#meta: %v", tr.Meta)
	}
	if len(tr.States) != len(r.Cex.Trace) || len(tr.States) == 0 {
		t.Fatalf("%d states for %d steps", len(tr.States), len(r.Cex.Trace))
	}
	for i, s := range tr.States {
		var keys []string
		for k := range s {
			if k != "#meta" {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		want := slices.Sorted(slices.Values(tr.Vars))
		if !slices.Equal(keys, want) {
			t.Fatalf("state %d has %v, want every var %v", i, keys, want)
		}
		if m := s["#meta"].(map[string]any); m["index"] != float64(i) {
			t.Errorf("state %d: #meta %v", i, m)
		}
		if st := s["step"].(map[string]any); st["#bigint"] != itoa(i+1) {
			t.Errorf("state %d: step %v", i, st)
		}
		for w, set := range s["stale"].(map[string]any) {
			if _, ok := set.(map[string]any)["#set"]; !ok {
				t.Errorf("state %d: stale[%s] = %v, not a #set", i, w, set)
			}
		}
		if v := s["violated"]; (i == len(tr.States)-1) != (v == r.Cex.Property) || v != "" && v != r.Cex.Property {
			t.Errorf("state %d: violated %q", i, v)
		}
		if s["actor"] != r.Cex.Trace[i].Actor {
			t.Errorf("state %d: actor %v, want %s", i, s["actor"], r.Cex.Trace[i].Actor)
		}
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }
