package lang

import (
	"bytes"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// loadDir reads the files under dir, keyed by their paths relative to it.
func loadDir(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		files[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// with returns a copy of files with the changes given as path, content
// pairs; a nil content removes the file.
func with(files map[string][]byte, changes ...any) map[string][]byte {
	out := maps.Clone(files)
	for i := 0; i+1 < len(changes); i += 2 {
		name := changes[i].(string)
		switch c := changes[i+1].(type) {
		case nil:
			delete(out, name)
		case string:
			out[name] = []byte(c)
		}
	}
	return out
}

// replace returns src with old replaced by new once; it panics if old is
// not there, which is a mistake in the test.
func replace(src []byte, old, new string) string {
	s := string(src)
	if !strings.Contains(s, old) {
		panic("test input lacks " + old)
	}
	return strings.Replace(s, old, new, 1)
}

func TestApplyDiff(t *testing.T) {
	before := loadDir(t, "testdata/diff/before")
	after := loadDir(t, "testdata/diff/after")
	multi := string(mustRead(t, "testdata/diff/multi.diff"))
	one := string(mustRead(t, "testdata/diff/one.diff"))
	plain := string(mustRead(t, "testdata/diff/plain.diff"))
	const sci = "kernel/static_call_inline.c"
	onePatched := with(before, sci, string(after[sci]))
	for _, c := range []struct {
		name  string
		files map[string][]byte
		diff  string
		want  map[string][]byte // the result, if no error
		err   string            // the error, as "line:col: msg"
	}{
		{name: "multi", files: before, diff: multi, want: after},
		{name: "git one file", files: before, diff: one, want: onePatched},
		{name: "plain diff -u with a/ b/", files: before, diff: plain, want: onePatched},
		{
			name:  "plain diff -u without prefixes",
			files: before,
			diff:  strings.NewReplacer("--- a/", "--- ", "+++ b/", "+++ ").Replace(plain),
			want:  onePatched,
		},
		{
			name:  "no newline at end of file",
			files: map[string][]byte{"k.c": []byte("a\nb")},
			diff:  "--- a/k.c\n+++ b/k.c\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n",
			want:  map[string][]byte{"k.c": []byte("a\nc\n")},
		},
		{
			name:  "two hunks",
			files: map[string][]byte{"k.c": []byte("1\n2\n3\n4\n5\n6\n7\n8\n")},
			diff:  "--- k.c\n+++ k.c\n@@ -1,2 +1,2 @@\n-1\n+one\n 2\n@@ -7,2 +7,2 @@\n 7\n-8\n+eight\n",
			want:  map[string][]byte{"k.c": []byte("one\n2\n3\n4\n5\n6\n7\neight\n")},
		},
		{
			name:  "rename",
			files: map[string][]byte{"k.c": []byte("a\n")},
			diff:  "diff --git a/k.c b/l.c\nsimilarity index 100%\nrename from k.c\nrename to l.c\n",
			want:  map[string][]byte{"l.c": []byte("a\n")},
		},
		{
			name:  "plain creation and deletion",
			files: map[string][]byte{"kernel/old.c": []byte("a\nb\n")},
			diff:  "--- /dev/null\n+++ b/kernel/new.c\n@@ -0,0 +1 @@\n+n\n--- a/kernel/old.c\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-a\n-b\n",
			want:  map[string][]byte{"kernel/new.c": []byte("n\n")},
		},
		{
			name:  "context line differs",
			files: with(before, sci, replace(before[sci], "func, false);", "func, true);")),
			diff:  one,
			err:   `one.diff:5:1: kernel/static_call_inline.c: hunk @@ -26,13 +26,6 @@ does not apply: line 27 is "\tarch_static_call_transform(NULL, tramp, func, true);", the diff expects "\tarch_static_call_transform(NULL, tramp, func, false);"`,
		},
		{
			name:  "deleted line differs, hunk after a preamble",
			files: with(before, "kernel/extable.c", replace(before["kernel/extable.c"], "return 1;", "return 0;")),
			diff:  multi,
			err:   `multi.diff:11:1: kernel/extable.c: hunk @@ -2,7 +2,7 @@ does not apply: line 5 is "\t\treturn 0;", the diff expects "\t\treturn 1;"`,
		},
		{
			name:  "file too short",
			files: with(before, sci, "/* mirrors: x */\n"),
			diff:  one,
			err:   `one.diff:5:1: kernel/static_call_inline.c: hunk @@ -26,13 +26,6 @@ does not apply: line 26 is past the end of the file (it has 1 lines), the diff expects ""`,
		},
		{
			name:  "second hunk does not apply",
			files: map[string][]byte{"k.c": []byte("1\n2\n3\n4\n5\n6\n7\nVIII\n")},
			diff:  "--- k.c\n+++ k.c\n@@ -1,2 +1,2 @@\n-1\n+one\n 2\n@@ -7,2 +7,2 @@ ctx\n 7\n-8\n+eight\n",
			err:   `d:7:1: k.c: hunk @@ -7,2 +7,2 @@ does not apply: line 8 is "VIII", the diff expects "8"`,
		},
		{
			name:  "overlapping hunks",
			files: map[string][]byte{"k.c": []byte("1\n2\n3\n")},
			diff:  "--- k.c\n+++ k.c\n@@ -2,1 +2,1 @@\n-2\n+two\n@@ -1,2 +1,2 @@\n-1\n+one\n 2\n",
			err:   `d:6:1: k.c: hunk @@ -1,2 +1,2 @@ does not apply: it overlaps the hunk before it (hunks must be in order and must not overlap)`,
		},
		{
			name:  "final newline",
			files: map[string][]byte{"k.c": []byte("a\nb")},
			diff:  "--- k.c\n+++ k.c\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n",
			err:   `d:3:1: k.c: hunk @@ -1,2 +1,2 @@ does not apply: line 2 is the last and has no newline, the diff expects one`,
		},
		{
			name:  "unknown file",
			files: with(before, "kernel/extable.c", nil),
			diff:  multi,
			err:   `multi.diff:7:1: kernel/extable.c: the diff changes a file that is not among the model files`,
		},
		{
			name:  "unknown file, plain diff",
			files: before,
			diff:  "--- a/kernel/nosuch.c\n+++ b/kernel/nosuch.c\n@@ -1 +1 @@\n-a\n+b\n",
			err:   `d:1:1: kernel/nosuch.c: the diff changes a file that is not among the model files`,
		},
		{
			name:  "created file exists",
			files: with(before, "kernel/new.c", "x\n"),
			diff:  multi,
			err:   `multi.diff:20:1: kernel/new.c: the diff creates it, but it already exists`,
		},
		{
			name:  "deleted file goes on",
			files: with(before, "kernel/old.c", string(before["kernel/old.c"])+"int more;\n"),
			diff:  multi,
			err:   `multi.diff:36:1: kernel/old.c: hunk @@ -1,4 +0,0 @@ does not apply: it deletes the whole file, but the file goes on: line 5 is "int more;"`,
		},
		{
			name:  "hunk miscounts lines",
			files: before,
			diff:  strings.Replace(one, "@@ -26,13 +26,6 @@", "@@ -26,14 +26,6 @@", 1),
			err:   `d:5:1: malformed diff: fragment header miscounts lines: -1 old, +0 new`,
		},
		{
			name:  "bad hunk header",
			files: before,
			diff:  strings.Replace(one, "@@ -26,13 +26,6 @@", "@@ -26,x +26,6 @@", 1),
			err:   `d:5:1: malformed diff: invalid fragment header: bad end of range: x: invalid syntax`,
		},
		{
			name:  "hunk without file header",
			files: before,
			diff:  "some text\n@@ -1 +1 @@\n-a\n+b\n",
			err:   `d:2:1: malformed diff: patch fragment without file header: @@ -1,1 +1,1 @@`,
		},
		{
			name:  "binary",
			files: before,
			diff:  "diff --git a/kernel/extable.c b/kernel/extable.c\nindex 6a8ce3e..20b6d0b 100644\nBinary files a/kernel/extable.c and b/kernel/extable.c differ\n",
			err:   `d:1:1: kernel/extable.c: binary patches are not part of model diffs`,
		},
		{name: "empty diff", files: before, diff: "", err: `d:1:1: the diff changes no file: expected "diff --git" or "---" and "+++" file headers followed by hunks`},
		{name: "no file changes", files: before, diff: "Subject: nothing\n\njust words\n", err: `d:1:1: the diff changes no file: expected "diff --git" or "---" and "+++" file headers followed by hunks`},
	} {
		t.Run(c.name, func(t *testing.T) {
			diffName := "d"
			switch c.diff {
			case one:
				diffName = "one.diff"
			case multi:
				diffName = "multi.diff"
			}
			in := maps.Clone(c.files)
			for k, v := range in {
				in[k] = bytes.Clone(v)
			}
			got, err := ApplyDiff(c.files, diffName, []byte(c.diff))
			if !maps.EqualFunc(in, c.files, bytes.Equal) {
				t.Errorf("ApplyDiff changed its input")
			}
			if c.err != "" {
				var le *Error
				if !errors.As(err, &le) {
					t.Fatalf("error %v (%T), want *Error %s", err, err, c.err)
				}
				if le.Error() != c.err {
					t.Errorf("error\n got %s\nwant %s", le.Error(), c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !maps.EqualFunc(got, c.want, bytes.Equal) {
				keys := slices.Sorted(maps.Keys(got))
				t.Errorf("files %v, want %v", keys, slices.Sorted(maps.Keys(c.want)))
				for k, v := range c.want {
					if !bytes.Equal(got[k], v) {
						t.Errorf("%s:\n%s\nwant:\n%s", k, got[k], v)
					}
				}
			}
		})
	}
}

// The patched model files still parse.
func TestApplyDiffThenParse(t *testing.T) {
	out, err := ApplyDiff(loadDir(t, "testdata/diff/before"), "multi.diff", mustRead(t, "testdata/diff/multi.diff"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range slices.Sorted(maps.Keys(out)) {
		if _, err := Parse(name, out[name]); err != nil {
			t.Error(err)
		}
	}
}
