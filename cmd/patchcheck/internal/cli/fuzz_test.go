package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
)

// errLine matches the command's error line on stderr: "patchcheck: MSG".
var errLine = regexp.MustCompile(`(?m)^patchcheck: (\S.*)$`)

// checkExit2 returns what is wrong with the stderr of an exit 2 on the
// scenario file file of n lines, or "": there must be an error line, and
// when it starts with the file's name it must go on with ":LINE:COL: "
// inside the file.
func checkExit2(stderr, file string, n int) string {
	m := errLine.FindStringSubmatch(stderr)
	if m == nil {
		return "exit 2 without a \"patchcheck: message\" line on stderr"
	}
	msg, ok := strings.CutPrefix(m[1], file)
	if !ok {
		return ""
	}
	pos := regexp.MustCompile(`^:(\d+):(\d+): \S`).FindStringSubmatch(msg)
	if pos == nil {
		return "error names the file without a LINE:COL position: " + m[0]
	}
	line, _ := strconv.Atoi(pos[1])
	col, _ := strconv.Atoi(pos[2])
	if line < 1 || line > n || col < 1 {
		return "position outside the file of " + strconv.Itoa(n) + " lines: " + m[0]
	}
	return ""
}

// FuzzCheckFile runs "check" on arbitrary scenario files, with small
// bounds: it must not panic, must exit 0, 1 or 2, and an exit 2 (bad
// input) must say why, at a position inside the file when it names the
// file. Seeds are in testdata/fuzz/FuzzCheckFile; a seed named crash-*
// is a crasher found in the non-test code, kept until it is fixed. A panic
// fails only its own input, so that the package's other tests still run.
func FuzzCheckFile(f *testing.F) {
	f.Fuzz(func(t *testing.T, src []byte) {
		defer func() {
			if p := recover(); p != nil {
				t.Fatalf("panic: %v\n%s\ninput:\n%s", p, debug.Stack(), src)
			}
		}()
		dir := t.TempDir()
		file := filepath.Join(dir, "f.scn")
		if err := os.WriteFile(file, src, 0o644); err != nil {
			t.Fatal(err)
		}
		// Not runCLI: go-118-fuzz-build compiles this file without the
		// package's other _test.go files.
		var stdout, stderr bytes.Buffer
		code := run([]string{"check", "-q", "-depth", "40", "-states", "2000", "-o", filepath.Join(dir, "cex"), file}, &stdout, &stderr)
		r := struct {
			code           int
			stdout, stderr string
		}{code, stdout.String(), stderr.String()}
		switch r.code {
		case 0:
			if !strings.Contains(r.stdout, "SAFE") && !strings.Contains(r.stdout, "no violation") {
				t.Fatalf("exit 0 without a safe verdict\n%v", r)
			}
		case 1:
			if !strings.Contains(r.stdout, " violated on ") && !errLine.MatchString(r.stderr) {
				t.Fatalf("exit 1 without a violation or an error\n%v", r)
			}
		case 2:
			if msg := checkExit2(r.stderr, file, 1+strings.Count(string(src), "\n")); msg != "" {
				t.Fatalf("%s\n%v", msg, r)
			}
		case 3:
			if !strings.Contains(r.stdout, "BOUNDED") && !strings.Contains(r.stdout, "INCONCLUSIVE") {
				t.Fatalf("exit 3 without an inconclusive verdict\n%v", r)
			}
		case 4:
			if !strings.Contains(r.stdout, "WARNING") {
				t.Fatalf("exit 4 without a WARNING verdict\n%v", r)
			}
		default:
			t.Fatalf("exit %d, want 0 to 4\n%v", r.code, r)
		}
	})
}

// TestFuzzCheckFileSeeds checks that the seed corpus of FuzzCheckFile is
// in the go test fuzz v1 format and has at least five seeds, some valid
// and some broken.
func TestFuzzCheckFileSeeds(t *testing.T) {
	files, err := filepath.Glob("testdata/fuzz/FuzzCheckFile/*")
	if err != nil || len(files) < 5 {
		t.Fatalf("seed corpus: %d files, %v", len(files), err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitN(strings.TrimSpace(string(data)), "\n", 2)
		if len(lines) != 2 || lines[0] != "go test fuzz v1" ||
			!strings.HasPrefix(lines[1], "[]byte(") || !strings.HasSuffix(lines[1], ")") {
			t.Errorf("%s: not a go test fuzz v1 file of one []byte", file)
			continue
		}
		if _, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")")); err != nil {
			t.Errorf("%s: %v", file, err)
		}
	}
}

// TestCheckExit2Messages checks checkExit2, the fuzz target's judge of
// exit-2 error lines.
func TestCheckExit2Messages(t *testing.T) {
	const file = "/tmp/x/f.scn"
	tests := []struct {
		name   string
		stderr string
		lines  int
		ok     bool
	}{
		{"position", "patchcheck: /tmp/x/f.scn:3:7: unknown directive \"x\"\n", 4, true},
		{"other message", "patchcheck: -depth must not be negative\n", 4, true},
		{"nothing", "", 4, false},
		{"empty message", "patchcheck: \n", 4, false},
		{"file without position", "patchcheck: /tmp/x/f.scn: oops\n", 4, false},
		{"line past the end", "patchcheck: /tmp/x/f.scn:9:1: oops\n", 4, false},
		{"column 0", "patchcheck: /tmp/x/f.scn:1:0: oops\n", 4, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if msg := checkExit2(tt.stderr, file, tt.lines); (msg == "") != tt.ok {
				t.Errorf("checkExit2(%q) = %q, want ok %v", tt.stderr, msg, tt.ok)
			}
		})
	}
}
