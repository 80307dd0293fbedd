package scenario

import (
	"fmt"
	"strings"
	"testing"
)

func TestParseSketch(t *testing.T) {
	for _, tc := range []struct{ text, want, err string }{
		{"lock text_mutex; write loc new; unlock text_mutex", "lock text_mutex|write loc new|unlock text_mutex", ""},
		{"  sync ;\tsync", "sync|sync", ""},
		{"", "", "s:1:1: sketch: missing STEP"},
		{"sync;", "", "s:1:6: sketch: empty step"},
		{"sync; ;sync", "", "s:1:7: sketch: empty step"},
		{"sync\nsync", "", "s:1:5: a sketch is one line"},
		{"sync # x", "", "s:1:6: a sketch is one line"},
		{"sync\x7f", "", "s:1:5: invalid control character"},
		{"é\xff", "", "s:1:2: invalid UTF-8"},
	} {
		steps, err := ParseSketch("s", tc.text)
		if tc.err != "" {
			if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
				t.Errorf("%q: got %v, want %q", tc.text, err, tc.err)
			}
			if _, ok := err.(*Error); err != nil && !ok {
				t.Errorf("%q: error %T, want *Error", tc.text, err)
			}
			continue
		}
		var got []string
		for _, st := range steps {
			got = append(got, st.String())
		}
		if err != nil || strings.Join(got, "|") != tc.want {
			t.Errorf("%q: got %q, %v; want %q", tc.text, got, err, tc.want)
		}
	}
	// Columns are those of the text.
	steps, _ := ParseSketch("s", "sync; write loc new")
	if steps[1].Line != 1 || steps[1].Col != 7 {
		t.Errorf("step 2 at %d:%d, want 1:7", steps[1].Line, steps[1].Col)
	}
}

// FuzzParseSketch: ParseSketch never panics, its errors are *Error, and a
// sketch it reads reads again from its scenario line. Seeds are in
// testdata/fuzz/FuzzParseSketch (files only: libFuzzer reads them too).
func FuzzParseSketch(f *testing.F) {
	f.Fuzz(func(t *testing.T, text string) {
		steps, err := ParseSketch("s", text)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %T", err)
			}
			return
		}
		// A parsed sketch parses back from its scenario line.
		sc := &Scenario{Name: "x", Arch: "x86-64", Sketch: steps, CPUs: []CPU{{Calls: []string{"tramp(k)"}}}}
		line := string(Format(sc))
		i := strings.Index(line, "sketch ")
		again, err := ParseSketch("s", strings.TrimPrefix(strings.SplitN(line[i:], "\n", 2)[0], "sketch "))
		if err != nil || len(again) != len(steps) {
			t.Fatalf("%q: %v, %d steps then %d", text, err, len(steps), len(again))
		}
	})
}

func TestGoString(t *testing.T) {
	sc := &Scenario{Name: "x", Arch: "x86-64", CPUs: []CPU{{Calls: []string{"tramp(k)"}}}}
	if got := fmt.Sprintf("%#v", sc); got != "\n"+string(Format(sc)) {
		t.Errorf("%%#v gives %q", got)
	}
	if got := fmt.Sprintf("%#v", (*Scenario)(nil)); got != "(*scenario.Scenario)(nil)" {
		t.Errorf("nil: %q", got)
	}
}
