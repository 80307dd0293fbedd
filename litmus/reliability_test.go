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
		{"A Allowed\nB Forbidden\nA Forbidden\n", "k.txt:3: A given twice (first at line 1)"},
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
