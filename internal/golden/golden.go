// Package golden reads the golden instruction tables of the architecture
// packages (testdata/insns.txt): one case per line, fields separated by
// "|", blank lines and "#" comment lines skipped.
package golden

import (
	"bufio"
	"os"
	"strings"
)

// TB is what Read needs of a test: testing.TB has it, and so has the
// testing shim of go-118-fuzz-build (OSS-Fuzz), which has no TB, so that
// a fuzz target's file can read a table for its seeds.
type TB interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// Line is one case: its line number and its fields, trimmed.
type Line struct {
	N      int
	Fields []string
}

// Read reads the table at path; a line without exactly fields fields, or
// fewer than min cases, fails the test.
func Read(t TB, path string, fields, min int) []Line {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []Line
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.Split(line, "|")
		if len(parts) != fields {
			t.Fatalf("%s:%d: want %d fields separated by |, have %q", path, n, fields, line)
		}
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
		out = append(out, Line{N: n, Fields: parts})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) < min {
		t.Fatalf("%s has %d cases, want at least %d", path, len(out), min)
	}
	return out
}
