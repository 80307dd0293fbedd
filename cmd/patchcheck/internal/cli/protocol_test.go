package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/patchcheck/patchcheck/catalog"
	"github.com/patchcheck/patchcheck/cex"
	"github.com/patchcheck/patchcheck/check"
	"github.com/patchcheck/patchcheck/scenario"
)

// noTextCheck returns the catalogue's reviewer's diff (scenario
// x86-bad-patch-no-text-check: __static_call_update without its
// kernel_text_address() check), and that scenario, named reviewer, with
// the diff read from the file fix.diff beside it (patch FILE) instead of
// inline.
func noTextCheck(t *testing.T) (diff, scn string) {
	t.Helper()
	e, ok, err := catalog.Lookup("x86-bad-patch-no-text-check", check.ParseOptions())
	if err != nil || !ok || len(e.Scenario.Model) != 1 {
		t.Fatalf("catalogue scenario x86-bad-patch-no-text-check: %v %v", ok, err)
	}
	sc := *e.Scenario
	sc.Name, sc.Doc, sc.Model, sc.Expect = "reviewer", "", nil, scenario.Expect{}
	return e.Scenario.Model[0].Text, string(scenario.Format(&sc)) + "patch fix.diff\n"
}

// TestPatchCitedAsItself: the counterexample of a reviewer's diff, given
// by a scenario's patch directive, names the diff in its header instead
// of "variant kernel", shows it in the mail text, carries it in its JSON
// without a local path, and replays from the JSON alone, copied into an
// empty directory after the scenario and the diff are gone.
func TestPatchCitedAsItself(t *testing.T) {
	src := t.TempDir()
	diff, scn := noTextCheck(t)
	writeFiles(t, src, map[string]string{"reviewer.scn": scn, "fix.diff": diff})
	out := t.TempDir()
	r := runCLI(t, "check", filepath.Join(src, "reviewer.scn"), "-q", "-o", out)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1 (a violation)\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"patchcheck: reviewer (x86-64, patch fix.diff, fetch byte)",
		"scenario: reviewer (patch fix.diff, fetch byte)",
		"The protocol checked, patch fix.diff:\n" + diff,
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "variant kernel") {
		t.Errorf("output says variant kernel:\n%s", r.stdout)
	}
	id := idLine.FindStringSubmatch(r.stdout)
	if id == nil {
		t.Fatalf("no ID in\n%s", r.stdout)
	}
	js, err := os.ReadFile(filepath.Join(out, id[1]+".json"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(js), src) || strings.Contains(string(js), out) {
		t.Errorf("the JSON carries a local path (%s or %s)", src, out)
	}
	c, err := cex.ReadFile(filepath.Join(out, id[1]+".json"))
	if err != nil {
		t.Fatal(err)
	}
	if m := c.Scenario.Model; len(m) != 1 || m[0].Name != "fix.diff" || m[0].Text != diff {
		t.Errorf("the JSON does not carry the diff as given: %+v", m)
	}

	// Replay from the JSON alone.
	if err := os.RemoveAll(src); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	file := filepath.Join(empty, "cex.json")
	if err := os.WriteFile(file, js, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(empty)
	r = runCLI(t, "replay", "cex.json", "--html", "cex.html")
	if r.code != 0 || !strings.Contains(r.stdout, "reproduced: the same violation, the same ID "+id[1]) {
		t.Fatalf("replay from the JSON alone: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	html, err := os.ReadFile(filepath.Join(empty, "cex.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(html), "<h2>The protocol checked: patch fix.diff</h2>") ||
		!strings.Contains(string(html), "-\t\t\tif (!kernel_text_address((unsigned long)site_addr)) {") {
		t.Error("the replayed HTML page does not show the diff")
	}
}

// TestPatchChangesID: the ID of a reviewer's diff changes with the diff,
// even where the violation and its schedule stay the same (here: a
// comment added by the diff), and stays the same for the same diff.
func TestPatchChangesID(t *testing.T) {
	diff, scn := noTextCheck(t)
	more := strings.Replace(diff, "@@ -90,24 +90,6 @@", "@@ -90,24 +90,7 @@", 1)
	more = strings.Replace(more, " \t\t\tarch_static_call_transform(", "+\t\t\t/* no kernel_text_address() check */\n \t\t\tarch_static_call_transform(", 1)
	ids := map[string]string{}
	for _, tc := range []struct{ name, diff string }{{"a", diff}, {"again", diff}, {"comment", more}} {
		dir := t.TempDir()
		writeFiles(t, dir, map[string]string{"reviewer.scn": scn, "fix.diff": tc.diff})
		r := runCLI(t, "check", filepath.Join(dir, "reviewer.scn"), "-q", "-o", dir)
		id := idLine.FindStringSubmatch(r.stdout)
		if r.code != 1 || id == nil {
			t.Fatalf("%s: exit %d, no ID\n%s%s", tc.name, r.code, r.stdout, r.stderr)
		}
		ids[tc.name] = id[1]
	}
	if ids["a"] != ids["again"] {
		t.Errorf("the same diff gets two IDs: %v", ids)
	}
	if ids["a"] == ids["comment"] {
		t.Errorf("two diffs get one ID: %v", ids)
	}
}

// TestPatchFlagStatement: check -patch FILE of a SAFE scenario prints a
// verified statement that names the diff and shows it; its Reproduce
// command checks a scenario file written with the diff inline, which
// gives the same statement after the diff is gone.
func TestPatchFlagStatement(t *testing.T) {
	dir := t.TempDir()
	comment := "--- a/kernel/static_call_inline.c\n+++ b/kernel/static_call_inline.c\n@@ -1,3 +1,3 @@\n // SPDX-License-Identifier: GPL-2.0\n /*\n- * patchcheck model source: the generic static_call core.\n+ * patchcheck model source: the generic static_call core, reviewed.\n"
	writeFiles(t, dir, map[string]string{"comment.diff": comment})
	out := t.TempDir()
	r := runCLI(t, "check", "x86-init-update-then-free", "-patch", filepath.Join(dir, "comment.diff"), "-q", "-o", out, "--statement")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	flat := strings.Join(strings.Fields(r.stdout), " ")
	if !strings.Contains(flat, "scenario x86-init-update-then-free (x86-64, patch comment.diff, fetch byte)") ||
		!strings.Contains(r.stdout, "The protocol checked, patch comment.diff:\n"+comment) || strings.Contains(flat, "variant kernel") {
		t.Errorf("the statement does not cite the diff:\n%s", r.stdout)
	}
	pv := regexp.MustCompile(`PV-[0-9A-F]{16}`).FindString(r.stdout)
	repro := regexp.MustCompile(`(?m)^Reproduce:\s+patchcheck check (\S+) -statement$`).FindStringSubmatch(r.stdout)
	if pv == "" || repro == nil || repro[1] != filepath.Join(out, pv+".scn") {
		t.Fatalf("statement %q, reproduce %q: want the scenario file %s.scn in %s\n%s", pv, repro, pv, out, r.stdout)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	again := runCLI(t, "check", repro[1], "-q", "-o", out, "--statement")
	if again.code != 0 || !strings.Contains(again.stdout, "Verified by patchcheck "+pv) {
		t.Errorf("the Reproduce command gives another result: exit %d\n%s%s", again.code, again.stdout, again.stderr)
	}
	plain := runCLI(t, "check", "x86-init-update-then-free", "-q", "--statement")
	if strings.Contains(plain.stdout, pv) {
		t.Error("the statement's ID does not change with the diff")
	}
}

// writeFiles writes name -> text into dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for n, text := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSketchCitedAsItself: the counterexample of a sketch names the
// sketch in its header instead of "variant kernel" and shows its steps in
// the mail text, the prose, the HTML page and the JSON; it replays from
// the JSON alone in an empty directory.
func TestSketchCitedAsItself(t *testing.T) {
	out := t.TempDir()
	r := runCLI(t, "check", "x86-sketch-no-sync1", "-q", "-o", out)
	id := idLine.FindStringSubmatch(r.stdout)
	if r.code != 1 || id == nil {
		t.Fatalf("exit %d, no ID\n%s%s", r.code, r.stdout, r.stderr)
	}
	const first = "sketch lock text_mutex; validate; skip_if_same; bp_set new; write loc int3;"
	for _, want := range []string{"patchcheck: x86-sketch-no-sync1 (x86-64, sketch, fetch byte)",
		"scenario: x86-sketch-no-sync1 (sketch, fetch byte)", "The protocol checked, sketch:\n" + first} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "variant kernel") {
		t.Errorf("output says variant kernel:\n%s", r.stdout)
	}
	js, err := os.ReadFile(filepath.Join(out, id[1]+".json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(js), `"Op": "bp_set"`) {
		t.Error("the JSON lacks the sketch")
	}
	empty := t.TempDir()
	if err := os.WriteFile(filepath.Join(empty, "cex.json"), js, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(empty)
	r = runCLI(t, "replay", "cex.json", "--html", "cex.html")
	if r.code != 0 || !strings.Contains(r.stdout, "reproduced: the same violation, the same ID "+id[1]) {
		t.Fatalf("replay from the JSON alone: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	html, err := os.ReadFile("cex.html")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(html), "<h2>The protocol checked: sketch</h2>\n<pre>"+first) {
		t.Error("the HTML page does not show the sketch first")
	}
	r = runCLI(t, "explain", "cex.json")
	if r.code != 0 || !strings.Contains(strings.Join(strings.Fields(r.stdout), " "), "(x86-64), sketch: the user's protocol, shown below") || !strings.Contains(r.stdout, first) {
		t.Errorf("explain does not cite the sketch: exit %d\n%s", r.code, r.stdout)
	}
}
