package cli

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCostCLI checks patchcheck cost end to end: a built-in scenario's
// design, a file's, and bad input (exit 2, FILE:LINE:COL, no panic).
func TestCostCLI(t *testing.T) {
	r := runCLI(t, "cost", "x86-update-old-new")
	if r.code != 0 {
		t.Fatalf("exit %d\n%v", r.code, r)
	}
	for _, w := range []string{"PER CALL", "PER UPDATE", "x86-64 kernel", "3/2/1/1 +1 trap", "6/9/12", "x86-update-old-new: safe"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("output lacks %q\n%s", w, r.stdout)
		}
	}

	dir := t.TempDir()
	good := filepath.Join(dir, "ppc.scn")
	src := "scenario p\narch ppc32\ntarget f1 f2\nkey k init=f1\ncaller c key=k\ncpu c\nthread t: update k f2\n"
	if err := os.WriteFile(good, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, "cost", "-json", good)
	if r.code != 0 {
		t.Fatalf("exit %d\n%v", r.code, r)
	}
	var out []costJSON
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || len(out) != 1 || out[0].Design != "ppc32 kernel" || len(out[0].Rows) == 0 {
		t.Fatalf("JSON %v: %s", err, r.stdout)
	}

	bad := filepath.Join(dir, "bad.scn")
	if err := os.WriteFile(bad, []byte("scenario b\narch x86-64\nvariant no-sync9\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"cost", "no-such-scenario"}, `no built-in scenario or file "no-such-scenario"`},
		{[]string{"cost", bad}, bad + ":3:9: "},
		{[]string{"cost", filepath.Join(dir, "missing.scn")}, "missing.scn"},
		{[]string{"cost", "-nosuchflag"}, "flag provided but not defined"},
	} {
		r := runCLI(t, c.args...)
		if r.code != 2 || !strings.Contains(r.stderr, c.msg) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, r.code, r.stderr, c.msg)
		}
	}
}

var updateCostDoc = flag.Bool("update-cost-doc", false, "rewrite the generated tables of docs/cost.md")

// TestCostDocUpToDate checks that the tables of docs/cost.md are what
// 'patchcheck cost -md' prints today.
func TestCostDocUpToDate(t *testing.T) {
	const begin, end = "<!-- begin patchcheck cost -md -->\n", "<!-- end patchcheck cost -md -->"
	path := filepath.Join("..", "..", "..", "..", "docs", "cost.md")
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i, j := strings.Index(string(doc), begin), strings.Index(string(doc), end)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the markers %q and %q", path, begin, end)
	}
	r := runCLI(t, "cost", "-md")
	if r.code != 0 {
		t.Fatalf("cost -md: exit %d\n%s", r.code, r.stderr)
	}
	have := string(doc[i+len(begin) : j])
	if have == r.stdout {
		return
	}
	if *updateCostDoc {
		out := string(doc[:i+len(begin)]) + r.stdout + string(doc[j:])
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("the tables of %s are stale: run go test ./cmd/patchcheck/internal/cli -run TestCostDocUpToDate -update-cost-doc", path)
}
