package scenario

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, that its errors are *Error with
// a position inside the file, and that whatever it accepts survives
// Format and Parse again unchanged. Seeds are in testdata/fuzz/FuzzParse
// (files only, no f.Add: libFuzzer, through go-118-fuzz-build, reads the
// same files). This file uses nothing from the package's other _test.go
// files, which go-118-fuzz-build does not compile.
func FuzzParse(f *testing.F) {
	errVeto := errors.New("vetoed")
	opts := []*ParseOptions{nil, {Check: func(field, value string) error {
		if strings.HasPrefix(value, "x") {
			return errVeto
		}
		return nil
	}}}
	f.Fuzz(func(t *testing.T, src []byte) {
		lines := 1 + strings.Count(string(src), "\n")
		for _, opt := range opts {
			s, err := Parse("f.scn", src, opt)
			if err != nil {
				e, ok := err.(*Error)
				if !ok {
					t.Fatalf("error %T %v is not *Error", err, err)
				}
				if e.File != "f.scn" || e.Line < 1 || e.Col < 1 || e.Line > lines {
					t.Fatalf("bad position in %v (file has %d lines)", err, lines)
				}
				if s != nil {
					t.Fatalf("Parse returned a scenario and an error")
				}
				continue
			}
			if err := checkWritable(s); err != nil {
				t.Fatalf("Parse accepted an unwritable scenario: %v", err)
			}
			text := Format(s)
			s2, err := Parse("f2.scn", text, opt)
			if err != nil {
				t.Fatalf("Parse(Format(s)): %v\n%s", err, text)
			}
			if !equalPlans(s, s2) {
				t.Fatalf("Parse(Format(s)) differs:\n got %#v\nwant %#v", s2, s)
			}
			if text2 := Format(s2); string(text2) != string(text) {
				t.Fatalf("Format not stable")
			}
		}
	})
}

// TestFuzzSeeds checks that the seed corpus says what its file names say:
// valid-* seeds parse, bad-* seeds do not.
func TestFuzzSeeds(t *testing.T) {
	files, err := filepath.Glob("testdata/fuzz/FuzzParse/*")
	if err != nil || len(files) < 8 {
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
		src, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
		if err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		_, err = Parse(file, []byte(src), nil)
		switch base := filepath.Base(file); {
		case strings.HasPrefix(base, "valid-") && err != nil:
			t.Errorf("%s: %v", file, err)
		case strings.HasPrefix(base, "bad-") && err == nil:
			t.Errorf("%s: parsed without error", file)
		}
	}
}

// equalPlans compares two scenarios, ignoring where sketch steps were
// written.
func equalPlans(a, b *Scenario) bool {
	strip := func(s *Scenario) *Scenario {
		c := *s
		c.Sketch = nil
		for _, st := range s.Sketch {
			st.Line, st.Col = 0, 0
			c.Sketch = append(c.Sketch, st)
		}
		return &c
	}
	return reflect.DeepEqual(strip(a), strip(b))
}
