package render

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/patchcheck/patchcheck/catalog"
	"github.com/patchcheck/patchcheck/cex"
	"github.com/patchcheck/patchcheck/check"
	"github.com/patchcheck/patchcheck/model"
	"github.com/patchcheck/patchcheck/scenario"
)

// cexOf checks a built-in scenario that must fail and returns its
// counterexample.
func cexOf(t *testing.T, name string) *cex.Counterexample {
	t.Helper()
	e, ok, err := catalog.Lookup(name, check.ParseOptions())
	if err != nil || !ok {
		t.Fatalf("catalogue scenario %s: %v", name, err)
	}
	r, err := check.Run(e.Scenario, check.Options{})
	if err != nil || r.Cex == nil {
		t.Fatalf("%s: no counterexample (%v)", name, err)
	}
	return r.Cex
}

// wellFormed parses doc as XML and returns its root element's name and
// attributes.
func wellFormed(t *testing.T, doc []byte) xml.StartElement {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	d.Strict = true
	var root xml.StartElement
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && root.Name.Local == "" {
			root = se.Copy()
		}
	}
	return root
}

func attr(se xml.StartElement, name string) string {
	for _, a := range se.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// TestSVG checks that pictures are standalone, well-formed, deterministic
// SVG with one box per step and the violation on the last one.
func TestSVG(t *testing.T) {
	for _, name := range []string{"x86-bad-no-sync1", "x86-bad-no-sync3", "x86-bad-cve-2024-50002", "x86-init-free-initmem"} {
		t.Run(name, func(t *testing.T) {
			c := cexOf(t, name)
			a, b := SVG(c), SVG(c)
			if !bytes.Equal(a, b) {
				t.Fatal("two renderings differ")
			}
			root := wellFormed(t, a)
			if root.Name.Local != "svg" || root.Name.Space != "http://www.w3.org/2000/svg" {
				t.Fatalf("root element %v, want svg in the SVG namespace", root.Name)
			}
			if w, _ := strconv.Atoi(attr(root, "width")); w < 1200 {
				t.Errorf("width %d: want at least 1200", w)
			}
			s := string(a)
			if n := strings.Count(s, "<title>step "); n != len(c.Trace) {
				t.Errorf("%d boxes for %d steps", n, len(c.Trace))
			}
			if strings.Count(s, "pc-last") != 2 { // the class in the style sheet and the last box
				t.Errorf("the last step is not highlighted exactly once")
			}
			if !strings.Contains(s, esc(c.Message)) {
				t.Errorf("the violation message is missing")
			}
		})
	}
}

// TestSVGStaleFetch checks the picture of a stale fetch: the box is
// highlighted and the window shows the CPUs that may fetch old bytes.
func TestSVGStaleFetch(t *testing.T) {
	s := string(SVG(cexOf(t, "x86-bad-no-sync1")))
	for _, want := range []string{`class="pc-box pc-stale pc-last"`, "stale: cpu0,1", `<tspan class="pc-new">cc</tspan>`, "__SCT__foo"} {
		if !strings.Contains(s, want) {
			t.Errorf("picture lacks %q", want)
		}
	}
}

// TestEscaping renders a hand-made counterexample whose names and notes
// hold XML's special characters and control characters.
func TestEscaping(t *testing.T) {
	sc := &scenario.Scenario{Name: `a<b>&"c'`, Arch: "x86-64"}
	c := &cex.Counterexample{ID: "PC-0000000000000000", Model: cex.ModelVersion, Scenario: sc, Property: "no-torn-insn",
		Message: "bad <insn> & \x01 \xff done", Trace: []model.TraceStep{
			{Actor: "t<1>", Events: []model.TraceEvent{{Kind: model.TrKernel, Fn: "f", Text: `x < y && "z" > 'w'`}},
				Windows: []model.WindowTrace{{Name: "w&1", Bytes: model.Hex{1, 2}}}},
			{Actor: "cpu0", Events: []model.TraceEvent{{Kind: model.TrFetch, Sym: "w&1", Bytes: model.Hex{1, 2}, Stale: []int{1}, Disasm: "]]> <!--"}},
				Windows: []model.WindowTrace{{Name: "w&1", Bytes: model.Hex{1, 3}, Stale: []int{0}}}},
		}}
	svg := SVG(c)
	wellFormed(t, svg)
	for _, doc := range [][]byte{svg, HTML(c, "replay <x>")} {
		if bytes.Contains(doc, []byte("t<1>")) || !bytes.Contains(doc, []byte("t&lt;1&gt;")) || bytes.Contains(doc, []byte("<insn>")) {
			t.Error("text is not escaped")
		}
	}
	_ = Explain(c)
}

// TestDegenerate draws counterexamples with little in them.
func TestDegenerate(t *testing.T) {
	sc := &scenario.Scenario{Name: "x", Arch: "x86-64"}
	for _, tr := range [][]model.TraceStep{
		nil,
		{{Actor: "cpu0"}},
		{{Actor: "cpu3", Events: []model.TraceEvent{{Kind: model.TrIPISend}, {Kind: model.TrWrite}, {Kind: model.TrFetch}}}, {Actor: "t"}},
		{{Actor: "cpu0", Events: []model.TraceEvent{{Kind: model.TrSync}, {Kind: model.TrTrap}, {Kind: model.TrHandler}}}},
	} {
		c := &cex.Counterexample{ID: "PC-0000000000000001", Model: cex.ModelVersion, Scenario: sc, Property: "completion", Message: "m", Trace: tr}
		wellFormed(t, SVG(c))
		if e := Explain(c); !strings.Contains(e, "m") {
			t.Errorf("explanation without the message:\n%s", e)
		}
	}
}

// TestLanes checks the lanes' order: CPUs by number, then threads in
// order of first appearance.
func TestLanes(t *testing.T) {
	c := &cex.Counterexample{Scenario: &scenario.Scenario{Arch: "x86-64"}, Trace: []model.TraceStep{
		{Actor: "updater"}, {Actor: "cpu10"}, {Actor: "loader"}, {Actor: "cpu2"}, {Actor: "updater"}, {Actor: "cpu0"},
	}}
	got := strings.Join(analyse(c).lanes, " ")
	if want := "cpu0 cpu2 cpu10 updater loader"; got != want {
		t.Fatalf("lanes %q, want %q", got, want)
	}
}

// TestExplain checks the prose of a stale fetch: why the CPU could still
// see the old bytes, in the kernel's terms, from the trace alone.
func TestExplain(t *testing.T) {
	c := cexOf(t, "x86-bad-no-sync1")
	e := Explain(c)
	if e != Explain(c) {
		t.Fatal("two explanations differ")
	}
	flat := strings.Join(strings.Fields(e), " ")
	for _, want := range []string{
		"cpu1 still had the old bytes of __SCT__foo because it had not taken a sync IPI since step 12",
		"no sync IPI was sent after that",
		"byte 0 (e9) is from before step 12",
		"smp_text_poke_batch_finish without the sync after writing INT3",
		"(12) smp_text_poke_batch_finish writes cc at __SCT__foo",
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("explanation lacks %q:\n%s", want, e)
		}
	}
	for _, l := range strings.Split(e, "\n") {
		if len([]rune(l)) > 80 {
			t.Errorf("line over 80 columns: %q", l)
		}
	}
	// The INT3 path: the trap, and what the updater did meanwhile.
	flat = strings.Join(strings.Fields(Explain(cexOf(t, "x86-bad-no-sync3"))), " ")
	for _, want := range []string{"cpu1 had trapped on an INT3 at step 21", "atomic_dec_and_test(&text_poke_array_refs) on every CPU: [0 0]"} {
		if !strings.Contains(flat, want) {
			t.Errorf("no-sync3 explanation lacks %q", want)
		}
	}
}

// TestScenarioID checks that the verified scenario ID ignores spelling,
// name, doc, bounds and expectation, and changes with the scenario.
func TestScenarioID(t *testing.T) {
	e, _, _ := catalog.Lookup("x86-update-old-new", check.ParseOptions())
	id, err := ScenarioID(e.Scenario)
	if err != nil || !strings.HasPrefix(id, "PV-") || len(id) != 19 {
		t.Fatalf("ID %q (%v)", id, err)
	}
	src := strings.NewReplacer("scenario x86-update-old-new", "scenario other\nfetch byte\nvariant kernel\nbound depth=500",
		"doc ", "doc another doc; ").Replace(string(e.Source))
	sc2, err := scenario.Parse("respelled.scn", []byte(src), check.ParseOptions())
	if err != nil {
		t.Fatal(err)
	}
	if id2, _ := ScenarioID(sc2); id2 != id {
		t.Errorf("respelled scenario: ID %s, want %s", id2, id)
	}
	sc3 := *e.Scenario
	sc3.Targets = append([]string{"f0"}, sc3.Targets...)
	if id3, _ := ScenarioID(&sc3); id3 == id {
		t.Errorf("a different scenario kept ID %s", id)
	}
}

// TestStatement checks the statement of a SAFE result and that other
// results get none.
func TestStatement(t *testing.T) {
	e, _, _ := catalog.Lookup("x86-update-old-new", check.ParseOptions())
	r, err := check.Run(e.Scenario, check.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := NewStatement(r, check.Options{})
	if err != nil {
		t.Fatal(err)
	}
	id, _ := ScenarioID(e.Scenario)
	text := st.Text()
	flat := strings.Join(strings.Fields(text), " ")
	for _, want := range []string{"Verified by patchcheck " + id + " (" + cex.ModelVersion + ")", "scenario x86-update-old-new (x86-64, variant kernel, fetch byte)",
		"with no bound", "no-torn-insn, no-undefined-insn", "omission probability", "fingerprints"} {
		if !strings.Contains(flat, want) && !strings.Contains(text, want) {
			t.Errorf("statement lacks %q:\n%s", want, text)
		}
	}
	for _, l := range strings.Split(text, "\n") {
		if len(l) > 80 {
			t.Errorf("line over 80 columns: %q", l)
		}
	}
	wellFormed(t, StatementSVG(st))
	if h := string(StatementHTML(st, "scenario <x>")); !strings.Contains(h, id) || !strings.Contains(h, "scenario &lt;x&gt;") {
		t.Errorf("the statement's page lacks the ID or the escaped scenario")
	}
	// A violation, a random search and a bounded search are not verified.
	bad, _, _ := catalog.Lookup("x86-bad-no-sync1", check.ParseOptions())
	rb, _ := check.Run(bad.Scenario, check.Options{})
	if _, err := NewStatement(rb, check.Options{}); !errors.Is(err, ErrNotVerified) {
		t.Errorf("a violation got a statement (%v)", err)
	}
	rnd := check.Options{}
	rnd.Search, rnd.Walks = model.Random, 3
	rr, _ := check.Run(e.Scenario, rnd)
	if _, err := NewStatement(rr, rnd); !errors.Is(err, ErrNotVerified) {
		t.Errorf("random walks got a statement (%v)", err)
	}
	bd := check.Options{}
	bd.MaxStates = 100
	rbd, _ := check.Run(e.Scenario, bd)
	if _, err := NewStatement(rbd, bd); !errors.Is(err, ErrNotVerified) {
		t.Errorf("a bounded search got a statement (%v)", err)
	}
}

// TestWrap checks the label and text folding helpers.
func TestWrap(t *testing.T) {
	got := wrapWords("arch_static_call_transform: mutex_lock(&text_mutex)", 17)
	for _, l := range got {
		if len([]rune(l)) > 17 {
			t.Errorf("line %q over 17", l)
		}
	}
	if strings.Join(got, "") != "arch_static_call_transform:mutex_lock(&text_mutex)" {
		t.Errorf("wrapping lost characters: %q", got)
	}
	if c := clipRunes("abcdef", 4); c != "abc…" {
		t.Errorf("clip %q", c)
	}
}
