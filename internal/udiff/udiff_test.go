package udiff

import (
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/patchcheck/patchcheck/lang"
)

func TestDiff(t *testing.T) {
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"same", "a\nb\n", "a\nb\n", ""},
		{"change", "a\nb\nc\n", "a\nB\nc\n", "--- a/f.c\n+++ b/f.c\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"},
		{"add at end", "a\n", "a\nb\n", "--- a/f.c\n+++ b/f.c\n@@ -1 +1,2 @@\n a\n+b\n"},
		{"new file", "", "x\n", "--- /dev/null\n+++ b/f.c\n@@ -0,0 +1 @@\n+x\n"},
		{"two hunks", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n", "one\n2\n3\n4\n5\n6\n7\n8\n9\nten\n",
			"--- a/f.c\n+++ b/f.c\n@@ -1,4 +1,4 @@\n-1\n+one\n 2\n 3\n 4\n@@ -7,4 +7,4 @@\n 7\n 8\n 9\n-10\n+ten\n"},
	} {
		if got := Diff("f.c", tc.old, tc.new); got != tc.want {
			t.Errorf("%s: got\n%s\nwant\n%s", tc.name, got, tc.want)
		}
	}
}

// TestDiffApplies: the diff of any two texts applies to the first and
// gives the second (lang.ApplyDiff, which allows no fuzz and no offset).
func TestDiffApplies(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		line := rapid.SampledFrom([]string{"a", "b", "c", "{", "}", "", "x = 1;"})
		text := func(label string) string {
			ls := rapid.SliceOfN(line, 0, 30).Draw(t, label)
			if len(ls) == 0 {
				return ""
			}
			return strings.Join(ls, "\n") + "\n"
		}
		old, new := text("old"), text("new")
		if old == "" || new == "" {
			return // creating or deleting a file is not what Diff shows
		}
		d := Diff("f.c", old, new)
		if d == "" {
			if old != new {
				t.Fatal("no diff between different texts")
			}
			return
		}
		got, err := lang.ApplyDiff(map[string][]byte{"f.c": []byte(old)}, "d.diff", []byte(d))
		if err != nil {
			t.Fatalf("%v\n%s", err, d)
		}
		if string(got["f.c"]) != new {
			t.Fatalf("applied, gives %q, want %q\n%s", got["f.c"], new, d)
		}
	})
}
