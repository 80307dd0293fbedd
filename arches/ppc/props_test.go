package ppc_test

import (
	"strings"
	"testing"

	"github.com/patchcheck/patchcheck/catalog"
	"github.com/patchcheck/patchcheck/check"
	"github.com/patchcheck/patchcheck/props"
	"github.com/patchcheck/patchcheck/scenario"
)

// run checks the built-in scenario name with only the properties given
// (all when none).
func run(t *testing.T, name string, only ...string) *check.Result {
	t.Helper()
	e, ok, err := catalog.Lookup(name, check.ParseOptions())
	if !ok || err != nil {
		t.Fatalf("no built-in %s: %v", name, err)
	}
	r, err := check.Run(e.Scenario, check.Options{Props: only})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestEachTOCPropertyFails shows each powerpc64 property failing, alone,
// on a known-bad design, with the message the counterexample prints.
func TestEachTOCPropertyFails(t *testing.T) {
	for _, c := range []struct{ prop, scenario, msg string }{
		{props.TOCAccess, "ppc64-bad-no-shares-toc", "TOC-relative access with r2 = 0xc008000000018000 (m1's TOC), not m2's TOC"},
		{props.TOCAfterCall, "ppc64-rfc", "r2 =\n0xc008000000018000 (m1's TOC), not vmlinux's TOC"},
		{props.TOCAfterCall, "ppc64-rfc-opt3", "not vmlinux's TOC"},
		{props.TOCAfterCall, "ppc64-rfc-paca-module", "(m2's TOC), not m1's TOC"},
		{props.GlobalEntryR12, "ppc64-bad-ppc32-transform", "enters f1 at its global entry with r12 = 0xc000000000003008"},
	} {
		t.Run(c.prop+"/"+c.scenario, func(t *testing.T) {
			r := run(t, c.scenario, c.prop)
			v := r.Violation
			msg := ""
			if v != nil {
				msg = strings.ReplaceAll(v.Msg, "\n", " ")
			}
			if v == nil || v.Property != c.prop || !strings.Contains(msg, strings.ReplaceAll(c.msg, "\n", " ")) {
				t.Fatalf("got %v, want %s violated (%q)", v, c.prop, c.msg)
			}
			t.Logf("\n%s", r.Cex.Text(""))
		})
	}
}

// TestV4SatisfiesEach: each property alone holds on the v4 design where
// the RFC fails (so the failures above are the designs' doing).
func TestV4SatisfiesEach(t *testing.T) {
	e, _, _ := catalog.Lookup("ppc64-rfc", check.ParseOptions())
	sc := *e.Scenario
	sc.Variant = "gray-v4"
	for _, n := range props.Names() {
		r, err := check.Run(&sc, check.Options{Props: []string{n}})
		if err != nil || r.Violation != nil || r.Bounded {
			t.Errorf("%s: %v %v", n, r.Violation, err)
		}
	}
}

// TestUndefinedCounterexamples: the PPC32 variants call addresses that
// were never a target, and the strict-ISA option flags transitions
// outside the patch class.
func TestUndefinedCounterexamples(t *testing.T) {
	for _, c := range []struct{ scenario, msg string }{
		{"ppc32-bad-lis-addi", "fetches from unmapped memory at 0xc5010040"},
		{"ppc32-bad-data-after-nop", "fetches from unmapped memory at 0x0"},
		{"ppc32-strict-return0", "may still fetch bl f1 or li r3,0"},
		{"ppc64-strict-null", "or blr): outside the patch class"},
	} {
		r := run(t, c.scenario)
		if r.Violation == nil || r.Violation.Property != props.NoUndefined || !strings.Contains(r.Violation.Msg, c.msg) {
			t.Errorf("%s: got %v, want %s (%q)", c.scenario, r.Violation, props.NoUndefined, c.msg)
		}
	}
	// The lis/addi counterexample shows the branch to the mixed address.
	r := run(t, "ppc32-bad-lis-addi")
	if txt := r.Cex.Text(""); !strings.Contains(txt, "to 0xc5010040: no function there, and never a target") {
		t.Errorf("trace does not show the branch:\n%s", txt)
	}
}

// TestFeaturesRejected: a port that does not model a scenario feature
// refuses the scenario instead of ignoring part of it.
func TestFeaturesRejected(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"arch x86-64\ntarget f\nplace f range=far\nkey k init=f\ncpu tramp(k)\n", "does not model far targets"},
		{"arch x86-64\ntarget f\nkey k init=f\ncaller c key=k\ncpu c\n", "does not model out-of-line call sites"},
		{"arch ppc32\nmodule m\ntarget f\nplace f module=m\nkey k init=f\ncpu tramp(k)\n", "does not model targets in modules"},
		{"arch ppc64\ntarget f\nkey k init=f\nsite s key=k kind=call\ncpu s\n", "out-of-line"},
		{"arch ppc64\nmodule m\ntarget f\nkey k init=f module=m\ncpu tramp(k)\n", "vmlinux cannot call k"},
		{"arch ppc64\ntarget f g\nkey k init=f\ncpu tramp(k)\nthread a: update k g\nthread b: update k f\n", "not serialised"},
		{"arch ppc32\ntarget f\nkey k init=f\nsite s key=k kind=jcc\ncpu s\n", "kind=jcc"},
	} {
		sc, err := scenario.Parse("t.scn", []byte("scenario t\n"+c.src), check.ParseOptions())
		if err != nil {
			t.Fatalf("%q: %v", c.src, err)
		}
		if _, err := check.Run(sc, check.Options{}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want an error with %q", c.src, err, c.want)
		}
	}
}
