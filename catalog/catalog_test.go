package catalog_test

import (
	"github.com/patchcheck/patchcheck/model"
	"strings"
	"testing"

	"github.com/patchcheck/patchcheck/arches"
	"github.com/patchcheck/patchcheck/catalog"
	"github.com/patchcheck/patchcheck/check"
	"github.com/patchcheck/patchcheck/kernel"
	"github.com/patchcheck/patchcheck/scenario"
)

// big scenarios are skipped under -short.
var big = map[string]bool{"x86-3cpu-two-updates": true, "x86-4cpu-2site-2upd": true, "ppc32-3cpu": true, "ppc64-v4-3cpu": true}

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

// TestSketchesMatchVariants: each known-bad variant of a patching sequence
// (x86-64, PPC32, arm64) and each architecture's own transform written as a sketch
// of primitive steps gets the built-in variant's verdict, state count and
// counterexample length.
func TestSketchesMatchVariants(t *testing.T) {
	pairs := map[string]string{
		"x86-sketch-kernel":                "x86-update-old-new",
		"x86-sketch-plain-write":           "x86-bad-plain-write",
		"x86-sketch-no-sync1":              "x86-bad-no-sync1",
		"x86-sketch-no-sync2":              "x86-bad-no-sync2",
		"x86-sketch-no-sync3":              "x86-bad-no-sync3",
		"x86-sketch-int3-no-emulate":       "x86-bad-int3-no-emulate",
		"x86-sketch-no-refs-wait":          "x86-no-refs-wait",
		"ppc32-sketch-kernel":              "ppc32-inline-near-far",
		"ppc32-sketch-data-after-nop":      "ppc32-bad-data-after-nop",
		"ppc32-sketch-lis-addi":            "ppc32-bad-lis-addi",
		"ppc64-sketch-kernel":              "ppc64-v4-kernel",
		"x86-sketch-tramp-only":            "x86-bad-tramp-only",
		"x86-sketch-cve-2024-50002":        "x86-bad-cve-2024-50002",
		"x86-sketch-fixup-loses-flags":     "x86-bad-fixup-loses-flags",
		"x86-sketch-init-until-running":    "x86-bad-init-until-running",
		"x86-sketch-kprobe-no-reserved":    "x86-bad-kprobe-no-reserved",
		"x86-sketch-update-no-mutex":       "x86-bad-update-no-mutex",
		"x86-sketch-early-update-no-tramp": "x86-bad-early-update-no-tramp",
		"x86-sketch-boot-init":             "x86-boot-init",
		"ppc32-sketch-tramp-only":          "ppc32-bad-tramp-only",
		"ppc64-sketch-rfc":                 "ppc64-rfc",
		"ppc64-sketch-rfc-opt3":            "ppc64-rfc-opt3",
		"ppc64-sketch-rfc-paca-module":     "ppc64-rfc-paca-module",
		"ppc64-sketch-ppc32-transform":     "ppc64-bad-ppc32-transform",
		"ppc64-sketch-no-shares-toc":       "ppc64-bad-no-shares-toc",
		"arm64-sketch-branch-nosync":       "arm64-bad-branch-nosync",
		"arm64-sketch-branch-kick":         "arm64-branch-kick",
		"arm64-sketch-no-maintenance":      "arm64-bad-branch-no-maintenance",
		"arm64-sketch-stop-machine":        "arm64-branch-stop-machine",
		"arm64-sketch-v2-adrp-add":         "arm64-bad-v2-adrp-add",
		"arm64-sketch-v5":                  "arm64-bad-v5-far-near-far",
		"arm64-sketch-v6":                  "arm64-bad-v6-null-to-far",
	}
	for sk, builtin := range pairs {
		a, _, _ := catalog.Lookup(sk, check.ParseOptions())
		b, _, _ := catalog.Lookup(builtin, check.ParseOptions())
		if a.Scenario == nil || b.Scenario == nil {
			t.Fatalf("missing %s or %s", sk, builtin)
		}
		ra, err1 := check.Run(a.Scenario, check.Options{})
		rb, err2 := check.Run(b.Scenario, check.Options{})
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if ra.Verdict() != rb.Verdict() || ra.States != rb.States || len(ra.Schedule) != len(rb.Schedule) {
			t.Errorf("%s: %s, %d states, %d steps; %s: %s, %d states, %d steps", sk, ra.Verdict(), ra.States,
				len(ra.Schedule), builtin, rb.Verdict(), rb.States, len(rb.Schedule))
		}
	}
}

// TestSketchErrors: a sketch step the architecture cannot compile is
// reported at its line and column.
func TestSketchErrors(t *testing.T) {
	base := "scenario e\narch x86-64\ntarget f1 f2\nkey foo init=f1\nsite s1 key=foo kind=call\ncpu s1\nthread u: update foo f2\n"
	type sketchCase struct{ base, sketch, want string }
	var cases []sketchCase
	for _, c := range []struct{ sketch, want string }{
		{"sketch lock text_mutex; frobnicate\n", "8:25: sketch step 2 (frobnicate): unknown step"},
		{"sketch write loc+9 new\n", "8:8: sketch step 1 (write loc+9 new): address"},
		{"sketch write loc new[3:9]\n", "8:8: sketch step 1 (write loc new[3:9]): value"},
		{"sketch lock foo_mutex\n", "8:8: sketch step 1 (lock foo_mutex): unknown mutex"},
		{"sketch write loc+2 new\n", "8:8: sketch step 1 (write loc+2 new): writes 5 byte(s) at loc+2"},
		{"sketch write loc old\n", "8:8: sketch step 1 (write loc old): old: no saved bytes"},
		{"sketch bp_set maybe\n", "8:8: sketch step 1 (bp_set maybe): bp_set takes new or nop"},
		{"sketch lock text_mutex; tramp:\n", "8:25: sketch step 2 (tramp:): a prefix without a step"},
		{"sketch site: frobnicate\n", "8:8: sketch step 1 (frobnicate): unknown step"},
		{"sketch running: write loc new; booting: write loc new; running: sync\n", "8:56: sketch step 3 (running: sync): the booting: steps and the running: steps must each stand together"},
		{"sketch booting:\n", "8:8: sketch step 1 (booting:): a prefix without a step"},
	} {
		cases = append(cases, sketchCase{base, c.sketch, c.want})
	}
	ppc32 := "scenario e\narch ppc32\ntarget f1 f2\nplace f2 range=far\nkey k init=f1\nsite s1 key=k kind=call\ncpu s1\nthread u: update k f2\n"
	ppc64 := "scenario e\narch ppc64\ntarget f1 f2\nplace f2 range=far\nkey k init=f1\ncpu tramp(k)\nthread u: update k f2\n"
	cases = append(cases, []sketchCase{
		{ppc32, "sketch lock text_mutex; write loc new\n", "9:25: sketch step 2 (write loc new): unknown step"},
		{ppc32, "sketch patch_instruction loc+12 nop\n", "9:8: sketch step 1 (patch_instruction loc+12 nop): address loc+12: not a patchable word"},
		{ppc32, "sketch patch_instruction data+4 nop\n", "9:8: sketch step 1 (patch_instruction data+4 nop): stores 4 byte(s) at data+4, past the data slot of 4 bytes"},
		{ppc32, "sketch patch_instruction loc int3\n", "9:8: sketch step 1 (patch_instruction loc int3): value"},
		{ppc32, "sketch patch_instruction loc old\n", "9:8: sketch step 1 (patch_instruction loc old): old: no saved word"},
		{ppc32, "sketch unlock foo_mutex\n", "9:8: sketch step 1 (unlock foo_mutex): unknown mutex"},
		{ppc32, "sketch patch_ulong data\n", "9:8: sketch step 1 (patch_ulong data): takes 2 argument(s), not 1"},
		{ppc64, "sketch patch_instruction data new_data\n", "8:8: sketch step 1 (patch_instruction data new_data): new_data is 8 bytes; patch_instruction stores 4"},
		{ppc64, "sketch patch_instruction data hi(new_data)\n", "8:8: sketch step 1 (patch_instruction data hi(new_data)): value hi(new_data): the lis/addi trampoline is PPC32's"},
	}...)
	for _, c := range cases {
		sc, err := scenario.Parse("e.scn", []byte(c.base+c.sketch), check.ParseOptions())
		if err != nil {
			t.Fatalf("%q: %v", c.sketch, err)
		}
		_, err = check.Compile(sc, nil)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q...", c.sketch, err, c.want)
		}
	}
}

// TestReductionsKeepVerdicts runs the catalogue with partial-order
// reduction: every scenario keeps its expected verdict.
func TestReductionsKeepVerdicts(t *testing.T) {
	all, err := catalog.All(check.ParseOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range all {
		if big[e.Scenario.Name] && (testing.Short() || e.Scenario.Bounds.Reduce) {
			// The 4-CPU scenario is explored with its reductions by
			// TestCatalogue; without them it is too big for a test.
			continue
		}
		for _, opt := range []model.Options{{Reduce: true}, {Symmetry: true}, {Reduce: true, Symmetry: true}} {
			r, err := check.Run(e.Scenario, check.Options{Options: opt})
			if err != nil {
				t.Fatal(err)
			}
			if !r.AsExpected() {
				t.Errorf("%s with %+v: expected %s, found %s", e.Scenario.Name, opt, check.Expected(e.Scenario), r.Verdict())
			}
		}
	}
}

// TestEveryVariantChecked: every built-in variant of every architecture
// (a port's own, or a diff to the model files) is checked by at least one
// catalogue scenario, so that no diff rots unexercised.
func TestEveryVariantChecked(t *testing.T) {
	all, err := catalog.All(check.ParseOptions())
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{} // arch/variant
	for _, e := range all {
		v := e.Scenario.Variant
		if v == "" || v == "kernel" {
			continue
		}
		used[e.Scenario.Arch+"/"+v] = true
	}
	n := 0
	for _, name := range arches.Names() {
		port, err := arches.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range kernel.AllVariants(port) {
			if i == 0 {
				continue // the kernel's own: every scenario without a variant line
			}
			found := used[name+"/"+v.Name]
			if !found && v.Arch == "" {
				// A variant of the generic core: any architecture's scenario.
				for k := range used {
					if strings.HasSuffix(k, "/"+v.Name) {
						found = true
					}
				}
			}
			if !found {
				t.Errorf("%s: variant %s is checked by no catalogue scenario", name, v.Name)
			}
			n++
		}
	}
	if n < 20 {
		t.Errorf("only %d variants looked at", n)
	}
}

// TestLookup checks that Lookup, which parses one file, finds every
// scenario All finds, and nothing else.
func TestLookup(t *testing.T) {
	opt := check.ParseOptions()
	all, err := catalog.All(opt)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range all {
		got, ok, err := catalog.Lookup(e.Scenario.Name, opt)
		if err != nil || !ok || got.File != e.File || string(got.Source) != string(e.Source) || got.Scenario.Name != e.Scenario.Name {
			t.Errorf("Lookup(%q) = %q, %v, %v; want %q", e.Scenario.Name, got.File, ok, err, e.File)
		}
	}
	for _, name := range []string{"", "no-such-scenario", "scenarios/" + all[0].Scenario.Name, "../catalog/scenarios/" + all[0].Scenario.Name, all[0].Scenario.Name + ".scn", `a\b`} {
		if _, ok, err := catalog.Lookup(name, opt); ok || err != nil {
			t.Errorf("Lookup(%q) = %v, %v; want not found", name, ok, err)
		}
	}
}
