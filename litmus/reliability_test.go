package litmus

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDuplicateInit checks that a location given a value twice is an
// error (the second silently overrode the first).
func TestDuplicateInit(t *testing.T) {
	src := strings.Replace(sample, "[x]=1;", "[x]=1; [x]=2;", 1)
	_, err := Parse("d.litmus", []byte(src))
	if err == nil || !strings.Contains(err.Error(), "init: [x] given a value twice (first at 6:16)") {
		t.Errorf("got %v", err)
	}
}

// TestReadKindsErrors checks duplicate rows (the second overrode the
// first) and a line longer than bufio's default (no file or line before).
func TestReadKindsErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ text, want string }{
		{"A Allowed\nB Forbidden\nA Forbidden\n", "k.txt:3:1: A given twice (first at line 1)"},
		{"A Allowed\nB Maybe\n", "k.txt:2:3: want 'NAME Allowed|Forbidden|Required', got kind \"Maybe\""},
		{"A\n", "k.txt:1:2: want 'NAME Allowed|Forbidden|Required'"},
		{"A \"Allowed\n", "k.txt:1:3: unterminated quoted kind"},
		{"A Allowed B\n", "k.txt:1:11: unexpected \"B\" after the kind"},
		{"A Allowed\n" + strings.Repeat("x", 2<<20) + "\n", "k.txt:2: bufio.Scanner: token too long"},
		{"A Allowed\n" + strings.Repeat("x", 100000) + " Allowed\n", ""},
	} {
		f := filepath.Join(dir, "k.txt")
		if err := os.WriteFile(f, []byte(tc.text), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := ReadKinds(f)
		if tc.want == "" {
			if err != nil {
				t.Errorf("a 100k line: %v", err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want %s", err, tc.want)
		}
	}
}

// TestReadKindsHerd reads a kinds file as herdtools7 writes and reads
// them: aligned columns, tabs, comments alone and after the kind ('#' and
// '%'), quoted kinds, Required rows, blank lines.
func TestReadKindsHerd(t *testing.T) {
	text := "# Added as a part of the hw reqs revision\n\n" +
		"MP+rel+blr                                      Allowed\n" +
		"IDC1.MP.FF+dsb.ish-ic.ivau-dsb.ish+po\tForbidden # comment\n" +
		"% another comment\n" +
		"CoWW.forall  \"Required\"%c\n   \n"
	f := filepath.Join(t.TempDir(), "kinds.txt")
	if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	k, err := ReadKinds(f)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"MP+rel+blr": "Allowed", "IDC1.MP.FF+dsb.ish-ic.ivau-dsb.ish+po": "Forbidden", "CoWW.forall": "Required"}
	if len(k) != len(want) {
		t.Fatalf("got %v, want %v", k, want)
	}
	for n, v := range want {
		if k[n] != v {
			t.Errorf("%s: %q, want %q", n, k[n], v)
		}
	}
}

// TestExploreNoCondition checks that a test without a final condition
// has no verdict (it was reported Forbidden).
func TestExploreNoCondition(t *testing.T) {
	tt, err := Parse("s.litmus", []byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	tt.Cond = nil
	if _, err := Explore(tt, Options{}); err == nil || !strings.Contains(err.Error(), "no final condition") {
		t.Errorf("got %v", err)
	}
}

// TestExploreStopped checks that a bound or a stop request ends the
// exploration with its figures and no verdict.
func TestExploreStopped(t *testing.T) {
	tt, err := Parse("s.litmus", []byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	for _, opt := range []Options{{MaxStates: 3}, {Stop: func() string { return "interrupted" }}} {
		_, err := Explore(tt, opt)
		var se *StoppedError
		if !errors.As(err, &se) || se.Explored == 0 || !strings.Contains(err.Error(), "frontier") {
			t.Errorf("%+v: got %v", opt, err)
		}
	}
	if _, err := Explore(tt, Options{MaxStates: -1}); err == nil {
		t.Error("negative MaxStates accepted")
	}
}
