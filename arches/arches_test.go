package arches

import (
	"slices"
	"testing"

	"github.com/patchcheck/patchcheck/props"
	"github.com/patchcheck/patchcheck/scenario"
)

// TestDescriptors checks every descriptor: names and aliases name one
// architecture each, the port lists a variant and a fetch assumption,
// its own properties are properties, its explanation words and picture
// geometry are given, and the generator settings draw known site kinds.
func TestDescriptors(t *testing.T) {
	seen := map[string]string{}
	for _, d := range all() {
		for _, n := range append([]string{d.Name}, d.Aliases...) {
			if other, dup := seen[n]; dup {
				t.Errorf("%s: name %q is also %s's", d.Name, n, other)
			}
			seen[n] = d.Name
			got, err := Describe(n)
			if err != nil || got.Name != d.Name {
				t.Errorf("Describe(%q) = %q, %v; want %s", n, got.Name, err, d.Name)
			}
		}
		if d.Port == nil || len(d.Port.Variants()) == 0 || len(d.Port.Fetches()) == 0 {
			t.Errorf("%s: no port, variant or fetch assumption", d.Name)
			continue
		}
		for _, p := range d.Props {
			if props.Doc(p) == "" {
				t.Errorf("%s: property %q is not one of props.Names()", d.Name, p)
			}
		}
		if d.Words.Sync == "" || d.Words.IPI == "" || d.Words.Taken == "" || d.Words.Section == "" {
			t.Errorf("%s: explanation words missing: %+v", d.Name, d.Words)
		}
		if d.InsnBytes < 1 || d.InsnBytes > 6 {
			t.Errorf("%s: InsnBytes %d, want 1..6", d.Name, d.InsnBytes)
		}
		for _, k := range d.Gen.Kinds {
			if !slices.Contains([]string{scenario.KindCall, scenario.KindTail, scenario.KindJcc}, k) {
				t.Errorf("%s: generator kind %q", d.Name, k)
			}
		}
		if d.Generates() != slices.Contains(Generated(), d.Name) {
			t.Errorf("%s: Generates() disagrees with Generated()", d.Name)
		}
	}
	if _, err := Describe("mips"); err == nil {
		t.Error("Describe(mips): no error")
	}
	if p, err := Lookup("mips"); err == nil || p != nil {
		t.Errorf("Lookup(mips) = %v, %v; want nil and an error", p, err)
	}
}

// TestOwnProperties: a property an architecture's port reports is no
// other architecture's.
func TestOwnProperties(t *testing.T) {
	owner := map[string]string{}
	for _, d := range all() {
		for _, p := range d.Props {
			if o, ok := owner[p]; ok {
				t.Errorf("property %s is both %s's and %s's", p, o, d.Name)
			}
			owner[p] = d.Name
		}
	}
	if len(owner) == 0 {
		t.Error("no architecture reports a property of its own")
	}
}
