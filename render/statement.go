package render

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mitchellh/hashstructure/v2"

	"github.com/patchcheck/patchcheck/cex"
	"github.com/patchcheck/patchcheck/check"
	"github.com/patchcheck/patchcheck/model"
	"github.com/patchcheck/patchcheck/props"
	"github.com/patchcheck/patchcheck/scenario"
)

// verifiedRecord is what a scenario ID hashes: only these exported
// fields, each with its own meaning.
type verifiedRecord struct {
	Model    string
	Scenario []string // the canonical scenario, line by line, without name, doc, bounds, expectation
	Kind     string   // "verified"
}

// ScenarioID returns the stable ID of sc's normalised text (defaults
// spelled out; name, doc, bounds and expectation left out), as cited in a
// verified statement: "PV-" and 16 hex digits. It is the same for every
// spelling of the scenario and on every machine, and changes with the
// model version.
func ScenarioID(sc *scenario.Scenario) (string, error) {
	lines, err := scenarioLines(sc)
	if err != nil {
		return "", err
	}
	h, err := hashstructure.Hash(verifiedRecord{Model: cex.ModelVersion, Scenario: lines, Kind: "verified"}, hashstructure.FormatV2, nil)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("PV-%016X", h), nil
}

// scenarioLines returns what sc's ID hashes of it (cex.ScenarioLines of
// the normalised scenario).
func scenarioLines(sc *scenario.Scenario) ([]string, error) {
	n, err := check.Normalize(sc)
	if err != nil {
		return nil, err
	}
	return cex.ScenarioLines(n), nil
}

// Statement is what a verified (SAFE) result states, for a reviewer to
// cite: "verified by patchcheck PV-...".
type Statement struct {
	ID       string // ScenarioID of the scenario
	Model    string // cex.ModelVersion
	Scenario string // the scenario's name
	Arch     string
	Variant  string // "kernel" for the kernel's own code
	// Protocol names the protocol checked (cex.Protocol): the variant,
	// or the user's diff, model files or sketch.
	Protocol string
	// Shown is the protocol the user wrote (cex.ProtocolText), "" for
	// a built-in variant.
	Shown    string
	Fetch    string // the fetch assumption
	CPUs     int
	Threads  int
	Props    []string // the properties checked, by name
	Bounds   scenario.Bounds
	Search   string // model.BFS or model.DFS
	States   int64
	Trans    int64
	Depth    int  // the longest schedule explored
	Exact    bool // whole states in the visited set
	Reduce   bool // partial-order reduction
	Symmetry bool // CPU symmetry reduction
	Omission float64
	// Reproduce, when set, is the command that reproduces the result.
	Reproduce string
	// Cost is the design's cost on the model's machine (CostLine).
	Cost string
}

// ErrNotVerified is returned by NewStatement for a result that is not an
// exhaustive SAFE.
var ErrNotVerified = errors.New("not verified")

// NewStatement returns the statement of r, a result of check.Run with
// opt. It fails with ErrNotVerified unless r is SAFE: no violation, no
// warning, no bound cut the search short, and the search was exhaustive.
func NewStatement(r *check.Result, opt check.Options) (*Statement, error) {
	if r.Err != nil || r.Verdict() != "safe" || r.Bounded {
		return nil, fmt.Errorf("%w: the verdict is %s", ErrNotVerified, r.Verdict())
	}
	search := opt.Search
	if search == "" {
		search = model.BFS
	}
	if opt.MaxPreemptions > 0 {
		return nil, fmt.Errorf("%w: a preemption bound leaves schedules out", ErrNotVerified)
	}
	if search != model.BFS && search != model.DFS {
		return nil, fmt.Errorf("%w: a %s search is not exhaustive", ErrNotVerified, search)
	}
	id, err := ScenarioID(r.Scenario)
	if err != nil {
		return nil, err
	}
	sc, err := check.Normalize(r.Scenario)
	if err != nil {
		return nil, err
	}
	ps := opt.Props
	if len(ps) == 0 {
		ps = props.Names()
	}
	b := sc.Bounds
	if opt.MaxDepth != 0 {
		b.Depth = opt.MaxDepth
	}
	if opt.MaxStates != 0 {
		b.States = opt.MaxStates
	}
	reduce, symmetry := opt.Reductions(sc)
	return &Statement{ID: id, Model: cex.ModelVersion, Scenario: sc.Name, Arch: sc.Arch, Variant: sc.Variant,
		Protocol: cex.Protocol(sc), Shown: cex.ProtocolText(sc),
		Fetch: sc.Fetch, CPUs: len(sc.CPUs), Threads: len(sc.Threads), Props: append([]string(nil), ps...),
		Bounds: b, Search: search, States: r.States, Trans: r.Transitions, Depth: r.MaxDepth, Exact: opt.Exact,
		Reduce: reduce, Symmetry: symmetry, Omission: r.Omission,
		Cost: CostLine(sc)}, nil
}

// Paragraph is the statement as one paragraph of plain text (not
// folded).
func (s *Statement) Paragraph() string {
	search := "Breadth-first"
	if s.Search == model.DFS {
		search = "Depth-first"
	}
	bounds := "with no bound"
	if s.Bounds.Depth != 0 || s.Bounds.States != 0 {
		var bs []string
		if s.Bounds.Depth != 0 {
			bs = append(bs, fmt.Sprintf("depth=%d", s.Bounds.Depth))
		}
		if s.Bounds.States != 0 {
			bs = append(bs, fmt.Sprintf("states=%d", s.Bounds.States))
		}
		bounds = "within the bounds " + strings.Join(bs, " ") + ", which the search never reached"
	}
	var red []string
	if s.Reduce {
		red = append(red, "partial-order reduction")
	}
	if s.Symmetry {
		red = append(red, "CPU symmetry reduction")
	}
	if len(red) > 0 {
		bounds += ", with " + andList(red) + " (which keep every verdict)"
	}
	fp := fmt.Sprintf("The visited set kept 64-bit fingerprints: omission probability %.1e (that a hash collision hid a state).", s.Omission)
	if s.Exact {
		fp = "The visited set kept whole states: no state can have been hidden by a hash collision."
	}
	return fmt.Sprintf("Verified by patchcheck %s (%s): scenario %s (%s, %s, fetch %s), %s and %s. "+
		"%s search explored every interleaving and every instruction fetch the fetch assumption allows "+
		"(docs/semantics.md), %s: %d states, %d transitions, schedules up to %d steps. "+
		"No property failed: %s. %s",
		s.ID, s.Model, s.Scenario, s.Arch, s.Protocol, s.Fetch, count(s.CPUs, "CPU", "CPUs"), count(s.Threads, "kernel thread", "kernel threads"),
		search, bounds, s.States, s.Trans, s.Depth, strings.Join(s.Props, ", "), fp)
}

func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// Text is the statement folded at 80 columns, for a review mail, with
// the command that reproduces it when known.
func (s *Statement) Text() string {
	var b strings.Builder
	fold(&b, "", s.Paragraph(), 80)
	if s.Cost != "" {
		b.WriteString("\n")
		fold(&b, "", "Cost of the design, counted by patchcheck cost on the model's machine (docs/cost.md): "+s.Cost+".", 80)
	}
	if s.Shown != "" {
		b.WriteString("\nThe protocol checked, " + s.Protocol + ":\n" + s.Shown + "\n")
	}
	if s.Reproduce != "" {
		if len("Reproduce: "+s.Reproduce) <= 80 {
			b.WriteString("Reproduce: " + s.Reproduce + "\n")
		} else {
			b.WriteString("Reproduce:\n  " + s.Reproduce + "\n")
		}
	}
	return b.String()
}

// StatementSVG draws the statement as a standalone SVG card.
func StatementSVG(s *Statement) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + statementElement(s))
}

func statementElement(s *Statement) string {
	lines := wrapWords(s.Paragraph(), 118)
	if s.Reproduce != "" {
		lines = append(lines, "Reproduce: "+s.Reproduce)
	}
	width := 900
	height := 70 + 17*len(lines) + 14
	var w svgWriter
	w.f(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s">`+"\n",
		width, height, width, height, esc("verified by patchcheck "+s.ID))
	w.f("<title>%s</title>\n", esc(fmt.Sprintf("%s: %s verified", s.ID, s.Scenario)))
	w.f("<style>%s</style>\n", style)
	w.f(`<rect x="1" y="1" width="%d" height="%d" rx="6" fill="#f0fdf4" stroke="#16a34a" stroke-width="2"/>`+"\n", width-2, height-2)
	w.f(`<circle cx="34" cy="34" r="16" fill="#16a34a"/><path d="M26 34l6 6l11-12" fill="none" stroke="#ffffff" stroke-width="4"/>` + "\n")
	w.text(60, 30, "pc-t pc-title", "SAFE: verified by patchcheck "+s.ID)
	w.text(60, 50, "pc-t pc-sub", fmt.Sprintf("%s (%s, %s, fetch %s) - %s", s.Scenario, s.Arch, s.Protocol, s.Fetch, s.Model))
	for i, l := range lines {
		w.text(16, 78+17*i, "pc-t", l, ` style="font-size:11.5px"`)
	}
	w.f("</svg>\n")
	return w.String()
}
