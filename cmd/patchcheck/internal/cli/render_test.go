package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExplainCmd looks a counterexample up by ID and by file, and checks
// the errors of bad arguments.
func TestExplainCmd(t *testing.T) {
	dir := t.TempDir()
	id, file := writeCex(t, "x86-bad-no-sync1", dir)
	for _, args := range [][]string{{"explain", id, "-o", dir}, {"explain", "-o", dir, strings.ToLower(id)}, {"explain", file}} {
		r := runCLI(t, args...)
		if r.code != 0 || !strings.Contains(r.stdout, "cpu1 still had the old bytes of __SCT__foo") || !strings.Contains(r.stdout, id) {
			t.Errorf("%v: %v", args, r)
		}
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte("{\n  \"id\": 7\n}\n"), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"explain", "PC-0123456789ABCDEF", "-o", dir}, "PC-0123456789ABCDEF.json: no counterexample file"},
		{[]string{"explain", filepath.Join(dir, "missing.json")}, "missing.json"},
		{[]string{"explain", bad}, bad + ":2:"},
		{[]string{"explain"}, "explain takes one counterexample"},
		{[]string{"explain", file, file}, "explain takes one counterexample"},
	} {
		r := runCLI(t, tc.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: want exit 2 and %q, got %v", tc.args, tc.want, r)
		}
	}
}

// TestReplayPictures writes the picture and the page of a replayed
// counterexample.
func TestReplayPictures(t *testing.T) {
	dir := t.TempDir()
	id, file := writeCex(t, "x86-bad-plain-write", dir)
	svg, html := filepath.Join(dir, "x.svg"), filepath.Join(dir, "x.html")
	r := runCLI(t, "replay", file, "--svg", svg, "--html", html)
	if r.code != 0 || !strings.Contains(r.stdout, "reproduced") {
		t.Fatalf("replay: %v", r)
	}
	s, err1 := os.ReadFile(svg)
	h, err2 := os.ReadFile(html)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if !strings.Contains(string(s), `xmlns="http://www.w3.org/2000/svg"`) || !strings.Contains(string(s), id) {
		t.Errorf("the SVG lacks its namespace or the ID")
	}
	if !strings.Contains(string(h), "<svg xmlns=") || !strings.Contains(string(h), "patchcheck replay "+file) {
		t.Errorf("the HTML page lacks the picture or the mail text")
	}
	if r := runCLI(t, "replay", file, "--svg", filepath.Join(dir, "no", "such", "dir.svg")); r.code != 2 {
		t.Errorf("an unwritable --svg: %v", r)
	}
}

// TestCheckStatement prints the verified statement after a SAFE result,
// and says why there is none otherwise.
func TestCheckStatement(t *testing.T) {
	r := runCLI(t, "check", "x86-update-old-new", "-q", "--statement")
	flat := strings.Join(strings.Fields(r.stdout), " ")
	if r.code != 0 || !strings.Contains(flat, "Verified by patchcheck PV-") ||
		!strings.Contains(flat, "Reproduce: patchcheck check x86-update-old-new -statement") {
		t.Errorf("safe scenario: %v", r)
	}
	dir := t.TempDir()
	r = runCLI(t, "check", "x86-bad-no-sync1", "-q", "--statement", "-o", dir)
	if r.code != 1 || !strings.Contains(r.stdout, "no verified statement: not verified: the verdict is violation no-torn-insn") {
		t.Errorf("violation: %v", r)
	}
	for _, args := range [][]string{{"check", "--all", "--statement"}, {"check", "x86-jcc", "-json", "--statement"}} {
		if r := runCLI(t, args...); r.code != 2 {
			t.Errorf("%v: want exit 2, got %v", args, r)
		}
	}
}

// TestGalleryCmd writes the gallery, then regenerates it over an old
// one: a file it generated and no longer does goes, others stay.
func TestGalleryCmd(t *testing.T) {
	dir := t.TempDir()
	r := runCLI(t, "gallery", "-o", dir)
	if r.code != 0 {
		t.Fatalf("gallery: %v", r)
	}
	for _, f := range []string{"index.md", "index.html", "x86-bad-no-sync1.svg", "x86-bad-no-sync1.html", "x86-bad-no-sync1.md",
		"x86-bad-no-sync1.json", "x86-bad-no-sync1.kernel.scn", "x86-bad-no-live-notifier.html"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("gallery: %v", err)
		}
	}
	old, _ := os.ReadFile(filepath.Join(dir, "x86-bad-no-sync1.md"))
	os.WriteFile(filepath.Join(dir, "x86-gone.md"), old, 0o644)
	os.WriteFile(filepath.Join(dir, "notes.md"), []byte("mine\n"), 0o644)
	r = runCLI(t, "gallery", "-o", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "0 changed, 1 removed") {
		t.Fatalf("second gallery: %v", r)
	}
	if _, err := os.Stat(filepath.Join(dir, "x86-gone.md")); err == nil {
		t.Error("a stale generated page stayed")
	}
	if _, err := os.Stat(filepath.Join(dir, "notes.md")); err != nil {
		t.Error("a file the gallery did not generate was removed")
	}
	// The gallery's counterexample files replay.
	if r := runCLI(t, "replay", filepath.Join(dir, "x86-bad-no-sync1.json")); r.code != 0 {
		t.Errorf("replay of a gallery file: %v", r)
	}
	if r := runCLI(t, "gallery", "extra"); r.code != 2 {
		t.Errorf("gallery with an argument: %v", r)
	}
}
