package catalog_test

import (
	"strings"
	"testing"

	"patchcheck/catalog"
	"patchcheck/check"
	"patchcheck/scenario"
)

// big scenarios are skipped under -short.
var big = map[string]bool{"x86-3cpu-two-updates": true}

// TestCatalogue checks every built-in scenario against the verdict its
// file expects, and replays every counterexample to the same ID.
func TestCatalogue(t *testing.T) {
	all, err := catalog.All(check.ParseOptions())
	if err != nil {
		t.Fatal(err)
	}
	if len(all) < 10 {
		t.Fatalf("only %d built-in scenarios", len(all))
	}
	for _, e := range all {
		t.Run(e.Scenario.Name, func(t *testing.T) {
			if big[e.Scenario.Name] && testing.Short() {
				t.Skip("big scenario: run without -short")
			}
			if e.Scenario.Expect.Verdict == "" || e.Scenario.Doc == "" {
				t.Fatal("a built-in scenario must say what it shows and what it expects")
			}
			r, err := check.Run(e.Scenario, check.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !r.AsExpected() {
				t.Fatalf("expected %s, found %s", check.Expected(e.Scenario), r.Verdict())
			}
			if r.Cex == nil {
				return
			}
			re, same, err := check.Replay(r.Cex)
			if err != nil || !same {
				t.Fatalf("replay: %v, same %v (%v)", err, same, re)
			}
			for _, l := range strings.Split(r.Cex.Text("patchcheck replay x.json"), "\n") {
				if len(l) > 80 {
					t.Errorf("line over 80 columns: %q", l)
				}
			}
		})
	}
}

// TestIDIgnoresSpelling: the counterexample ID of a scenario does not
// change with its name, comments, attribute order or spelled-out defaults.
func TestIDIgnoresSpelling(t *testing.T) {
	e, _, _ := catalog.Lookup("x86-bad-no-sync1", check.ParseOptions())
	src := string(e.Source)
	respelled := strings.NewReplacer(
		"scenario x86-bad-no-sync1", "scenario another-name\nfetch byte",
		"site s1 key=foo kind=call", "site s1 kind=call key=foo   # attributes in another order",
		"variant no-sync1", "variant no-sync1 # the same variant",
	).Replace(src)
	sc2, err := scenario.Parse("respelled.scn", []byte(respelled), check.ParseOptions())
	if err != nil {
		t.Fatal(err)
	}
	r1, err1 := check.Run(e.Scenario, check.Options{})
	r2, err2 := check.Run(sc2, check.Options{})
	if err1 != nil || err2 != nil || r1.Cex == nil || r2.Cex == nil {
		t.Fatal(err1, err2)
	}
	if r1.Cex.ID != r2.Cex.ID {
		t.Fatalf("IDs differ: %s and %s", r1.Cex.ID, r2.Cex.ID)
	}
	// A different scenario gets a different ID.
	sc3 := *e.Scenario
	sc3.Targets = []string{"f1", "f2", "f3"}
	r3, err := check.Run(&sc3, check.Options{})
	if err != nil || r3.Cex == nil || r3.Cex.ID == r1.Cex.ID {
		t.Fatalf("a changed scenario kept ID %s (%v)", r1.Cex.ID, err)
	}
}
