package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReplayITF(t *testing.T) {
	dir := t.TempDir()
	if r := cli(t, "check", "x86-bad-no-sync2", "-q", "-o", dir); r.code != 1 {
		t.Fatalf("check: %v", r)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "PC-*.json"))
	if len(files) != 1 {
		t.Fatalf("counterexample files: %v", files)
	}
	out := filepath.Join(dir, "trace.itf.json")
	r := cli(t, "replay", "-itf", out, files[0])
	if r.code != 0 || !strings.Contains(r.stdout, "ITF trace: "+out) {
		t.Fatalf("replay -itf: %v", r)
	}
	b, err := os.ReadFile(out)
	var tr struct {
		Meta   map[string]any   `json:"#meta"`
		Vars   []string         `json:"vars"`
		States []map[string]any `json:"states"`
	}
	if err != nil || json.Unmarshal(b, &tr) != nil || tr.Meta["format"] != "ITF" || len(tr.States) == 0 || len(tr.Vars) == 0 {
		t.Fatalf("ITF file: %v\n%.300s", err, b)
	}
	if fi, _ := os.Stat(out); fi.Mode().Perm()&0o444 != 0o444 {
		t.Errorf("mode %v", fi.Mode())
	}
	// An ITF file that cannot be written: exit 2.
	if r := cli(t, "replay", "-itf", filepath.Join(files[0], "x.json"), files[0]); r.code != 2 || !strings.Contains(r.stderr, "-itf:") {
		t.Errorf("unwritable -itf: %v", r)
	}
}

func TestCheckITF(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "c.itf.json")
	if r := cli(t, "check", "x86-bad-no-sync2", "-q", "-o", dir, "-itf", out); r.code != 1 {
		t.Fatalf("check -itf: %v", r)
	}
	b, err := os.ReadFile(out)
	var tr map[string]any
	if err != nil || json.Unmarshal(b, &tr) != nil || tr["#meta"].(map[string]any)["format"] != "ITF" {
		t.Fatalf("ITF file: %v", err)
	}
	// A safe scenario writes no ITF file; -all with -itf is bad input.
	safe := filepath.Join(dir, "s.itf.json")
	if r := cli(t, "check", "x86-update-old-new", "-q", "-o", dir, "-itf", safe); r.code != 0 {
		t.Fatalf("check -itf on a safe scenario: %v", r)
	}
	if _, err := os.Stat(safe); err == nil {
		t.Errorf("an ITF file for a safe scenario")
	}
	if r := cli(t, "check", "-all", "-itf", safe); r.code != 2 || !strings.Contains(r.stderr, "-itf goes with one scenario") {
		t.Errorf("check -all -itf: %v", r)
	}
	// An unwritable -itf is a warning, as an unwritable counterexample file.
	if r := cli(t, "check", "x86-bad-no-sync2", "-q", "-o", dir, "-itf", filepath.Join(out, "x")); r.code != 1 || !strings.Contains(r.stderr, "-itf") {
		t.Errorf("unwritable -itf: %v", r)
	}
}
