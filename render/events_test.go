package render

import (
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/patchcheck/patchcheck/cex"
	"github.com/patchcheck/patchcheck/check"
	"github.com/patchcheck/patchcheck/scenario"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/golden")

// cexFrom returns the counterexample of a built-in scenario, or of a
// scenario file when name ends in .scn.
func cexFrom(t *testing.T, name string) *cex.Counterexample {
	t.Helper()
	if !strings.HasSuffix(name, ".scn") {
		return cexOf(t, name)
	}
	src, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scenario.Parse(name, src, check.ParseOptions())
	if err != nil {
		t.Fatal(err)
	}
	r, err := check.Run(sc, check.Options{})
	if err != nil || r.Cex == nil {
		t.Fatalf("%s: no counterexample (%v)", name, err)
	}
	return r.Cex
}

func flat(s string) string { return strings.Join(strings.Fields(s), " ") }

// TestExplainAgreesWithTrace: explain tells why a CPU still fetches old
// bytes as the trace's events show it. A context synchronisation before
// the write is made coherent with instruction fetch drops nothing; the
// prose used to say the CPU "fetches only current text" after such an
// IPI (arm64-bad-branch-no-maintenance), and that a CPU "had not taken a
// context synchronisation since" the write when it had, before the cache
// maintenance (testdata/arm64-sync-before-maint.scn).
func TestExplainAgreesWithTrace(t *testing.T) {
	for _, c := range []struct {
		name      string
		want, not []string
	}{
		{"arm64-bad-branch-no-maintenance",
			[]string{
				"(8) cpu0 takes the IPI: exception entry and return are context synchronising; but the write at step 6 to s1 is not yet coherent with instruction fetch",
				"it context-synchronised (kernel entry: context synchronising) at step 14, but the write at step 6",
				"The call went wrong at step 16",
			},
			[]string{"so from now on it fetches only current text", "stale fetches dropped"}},
		{"testdata/arm64-sync-before-maint.scn",
			[]string{
				"cpu0 still had the old bytes of s1: it took the IPI at step 16, but the write at step 14",
				"The cache maintenance came only after it, at step 19",
				"cpu0 and cpu1 may still fetch the old bytes of s1 until they context-synchronise",
				"The call went wrong at step 25",
			},
			[]string{"had not taken a context synchronisation (an IPI, an isb, an exception return) since step 14", "had not reached it yet"}},
		{"x86-bad-no-sync1",
			[]string{"cpu1 still had the old bytes of __SCT__foo because it had not taken a sync IPI since step 12", "no sync IPI was sent after that"},
			nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := flat(Explain(cexFrom(t, c.name)))
			for _, w := range c.want {
				if !strings.Contains(e, w) {
					t.Errorf("explanation lacks %q:\n%s", w, e)
				}
			}
			for _, w := range c.not {
				if strings.Contains(e, w) {
					t.Errorf("explanation says %q, which the trace contradicts", w)
				}
			}
		})
	}
}

// svgWidth returns the width attribute of the first <svg element in doc.
func svgWidth(t *testing.T, doc string) int {
	t.Helper()
	i := strings.Index(doc, "<svg ")
	if i < 0 {
		t.Fatal("no <svg element")
	}
	rest := doc[i:]
	j := strings.Index(rest, ` width="`)
	k := strings.Index(rest[j+8:], `"`)
	w, err := strconv.Atoi(rest[j+8 : j+8+k])
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// TestSVGWidthBounded: a long trace wraps into rows instead of growing
// sideways (a 33-step picture was 4,060 px wide, a 109-step one 13,028).
func TestSVGWidthBounded(t *testing.T) {
	for _, name := range []string{"arm64-bad-v6-completion", "x86-init-free-initmem", "x86-bad-no-live-notifier"} {
		t.Run(name, func(t *testing.T) {
			c := cexFrom(t, name)
			s := string(SVG(c))
			if w := svgWidth(t, s); w > 1400 {
				t.Errorf("%d steps: %d px wide, want at most 1,400", len(c.Trace), w)
			}
			if n := strings.Count(s, "<title>step "); n != len(c.Trace) {
				t.Errorf("%d boxes for %d steps", n, len(c.Trace))
			}
			if !strings.Contains(s, "steps "+strconv.Itoa((len(c.Trace)-1)/10*10+1)+"-") {
				t.Errorf("no label of the last row")
			}
		})
	}
}

// TestHTMLViolationFirst: a page's first screen shows the violation: what
// went wrong, at which step and why, comes before the picture, which is
// no wider than a screen and marks the violating step for the link.
func TestHTMLViolationFirst(t *testing.T) {
	for _, name := range []string{"x86-bad-no-live-notifier", "arm64-bad-v6-completion"} {
		t.Run(name, func(t *testing.T) {
			c := cexFrom(t, name)
			h := string(HTML(c, "patchcheck replay x.json"))
			svg := strings.Index(h, "<svg ")
			sec := strings.Index(h, "<h2>What went wrong</h2>")
			if sec < 0 || sec > svg {
				t.Fatalf("no 'What went wrong' before the picture")
			}
			first := h[sec:svg]
			for _, want := range []string{"Step " + strconv.Itoa(len(c.Trace)) + ", ", esc("This breaks " + c.Property), `href="#pc-violation"`} {
				if !strings.Contains(first, want) {
					t.Errorf("the part before the picture lacks %q", want)
				}
			}
			if !strings.Contains(h[svg:], `id="pc-violation"`) {
				t.Error("the picture does not mark the violating step")
			}
			if w := svgWidth(t, h); w > 1400 {
				t.Errorf("the picture is %d px wide", w)
			}
		})
	}
}

// TestLegend: the legend lists what the picture uses, in the
// architecture's words: no INT3 on arm64, "sync IPI" only on x86.
func TestLegend(t *testing.T) {
	for _, c := range []struct {
		name      string
		want, not []string
	}{
		{"arm64-bad-branch-no-maintenance", []string{">IPI sent<", ">IPI taken (sync)<", ">context synchronisation<", ">CPU may fetch old bytes<"},
			[]string{">INT3 trap<", ">INT3 handler<", ">sync IPI sent<", ">cache maintenance<"}},
		{"testdata/arm64-sync-before-maint.scn", []string{">cache maintenance<", ">stale fetch<"}, []string{">INT3 trap<"}},
		{"x86-bad-no-sync3", []string{">INT3 trap<", ">sync IPI sent<"}, []string{">cache maintenance<", ">context synchronisation<"}},
		{"ppc32-bad-tramp-only", nil, []string{">INT3 trap<", ">INT3 handler<", ">sync IPI sent<"}},
	} {
		t.Run(filepath.Base(c.name), func(t *testing.T) {
			s := string(SVG(cexFrom(t, c.name)))
			legend := s[:strings.Index(s, `class="pc-t pc-num"`)]
			for _, w := range c.want {
				if !strings.Contains(legend, w) {
					t.Errorf("legend lacks %s", w)
				}
			}
			for _, w := range c.not {
				if strings.Contains(legend, w) {
					t.Errorf("legend lists %s, which the picture does not use", w)
				}
			}
		})
	}
}

// TestGolden renders one counterexample per architecture as mail text,
// prose, SVG and HTML and compares each with testdata/golden (go test
// ./render -run Golden -update rewrites them). Each also goes through
// its JSON file: read back, its typed trace is the same, and replaying it
// gives the same renderings.
func TestGolden(t *testing.T) {
	for _, name := range []string{
		"x86-bad-no-sync3", "arm64-bad-branch-no-maintenance", "testdata/arm64-sync-before-maint.scn",
		"ppc32-bad-tramp-only", "ppc64-bad-no-shares-toc",
	} {
		base := strings.TrimSuffix(filepath.Base(name), ".scn")
		t.Run(base, func(t *testing.T) {
			c := cexFrom(t, name)
			replay := "patchcheck replay " + base + ".json"
			out := map[string][]byte{
				".txt":         []byte(c.Text(replay)),
				".explain.txt": []byte(Explain(c)),
				".svg":         SVG(c),
				".html":        HTML(c, replay),
			}
			for ext, got := range out {
				file := filepath.Join("testdata", "golden", base+ext)
				if *update {
					if err := os.WriteFile(file, got, 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(file)
				if err != nil {
					t.Fatalf("%v (go test ./render -run Golden -update writes it)", err)
				}
				if string(got) != string(want) {
					t.Errorf("%s differs from the rendering (go test ./render -run Golden -update, and review the diff)", file)
				}
			}
			// Through the JSON file.
			file := filepath.Join(t.TempDir(), base+".json")
			if err := c.WriteFile(file); err != nil {
				t.Fatal(err)
			}
			back, err := cex.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back.Trace, c.Trace) {
				t.Error("the trace read back from JSON differs")
			}
			r, same, err := check.Replay(back)
			if err != nil || !same {
				t.Fatalf("replay from JSON: same %v, %v", same, err)
			}
			if Explain(r) != Explain(c) || string(SVG(r)) != string(SVG(c)) || r.Text(replay) != c.Text(replay) {
				t.Error("renderings of the replayed counterexample differ")
			}
		})
	}
}
