// Package cex turns a violation found by the explorer into a counterexample
// that a reviewer can cite: a stable ID, a replayable JSON file and a plain
// text trace that fits a review mail.
package cex

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mitchellh/hashstructure/v2"

	"github.com/patchcheck/patchcheck/model"
	"github.com/patchcheck/patchcheck/props"
	"github.com/patchcheck/patchcheck/scenario"
)

// ModelVersion names the semantics of the machine. It is part of every
// ID: a change to the model that can change a trace changes it.
const ModelVersion = "patchcheck-model/6"

// Counterexample is a violation with the schedule that reaches it.
type Counterexample struct {
	ID       string             `json:"id"`
	Model    string             `json:"model"`
	Scenario *scenario.Scenario `json:"scenario"`
	Property string             `json:"property"`
	Message  string             `json:"message"`
	Schedule []Step             `json:"schedule"`
	Trace    []model.TraceStep  `json:"trace,omitempty"`
}

// Step is one scheduling choice, by actor name.
type Step struct {
	Actor  string `json:"actor"`
	Choice int    `json:"choice"`
}

// idRecord is what the ID hashes: only these exported fields, each with
// its own meaning, so hashstructure cannot confuse them.
type idRecord struct {
	Model    string
	Scenario []string // the canonical scenario, line by line, without name, doc, bounds, expectation
	Property string
	Schedule []string // "actor:choice"
}

// New builds the counterexample of a violation found on sc: it replays
// sched on m to describe each step and computes the ID.
func New(sc *scenario.Scenario, m *model.Machine, v *model.Violation, sched []model.Step) (*Counterexample, error) {
	trace, rv, err := model.Replay(m, sched)
	if err != nil {
		return nil, fmt.Errorf("replaying the counterexample: %w", err)
	}
	if rv == nil || rv.Property != v.Property || rv.Msg != v.Msg {
		return nil, fmt.Errorf("patchcheck: the schedule does not reproduce its violation (nondeterministic model)")
	}
	c := &Counterexample{Model: ModelVersion, Scenario: sc, Property: v.Property, Message: v.Msg, Trace: trace}
	for _, st := range sched {
		c.Schedule = append(c.Schedule, Step{Actor: m.ActorName(int(st.Actor)), Choice: int(st.Choice)})
	}
	c.ID, err = ID(sc, c.Property, c.Schedule)
	return c, err
}

// ID computes the stable ID of a violation of property reached by sched on
// sc: the same on any machine. Give it a normalised scenario (defaults
// spelled out, see check.Normalize) so that every spelling of one scenario
// gets one ID; name, doc, bounds and expectation never count.
func ID(sc *scenario.Scenario, property string, sched []Step) (string, error) {
	rec := idRecord{Model: ModelVersion, Property: property, Scenario: ScenarioLines(sc)}
	for _, st := range sched {
		rec.Schedule = append(rec.Schedule, fmt.Sprintf("%s:%d", st.Actor, st.Choice))
	}
	h, err := hashstructure.Hash(rec, hashstructure.FormatV2, nil)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("PC-%016X", h), nil
}

// Machine steps returns the counterexample's schedule as machine steps.
func (c *Counterexample) machineSteps(m *model.Machine) ([]model.Step, error) {
	var out []model.Step
	for i, st := range c.Schedule {
		a := -1
		for j := 0; j < m.Actors(); j++ {
			if m.ActorName(j) == st.Actor {
				a = j
			}
		}
		if a < 0 || st.Choice < 0 || st.Choice > 65535 {
			return nil, fmt.Errorf("schedule step %d: no actor %q or bad choice %d", i+1, st.Actor, st.Choice)
		}
		out = append(out, model.Step{Actor: uint8(a), Choice: uint16(st.Choice)})
	}
	return out, nil
}

// Replay re-runs c on m (built from c.Scenario) and returns the
// counterexample it reproduces; its ID and violation must equal c's.
func (c *Counterexample) Replay(m *model.Machine) (*Counterexample, error) {
	sched, err := c.machineSteps(m)
	if err != nil {
		return nil, err
	}
	trace, v, err := model.Replay(m, sched)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, fmt.Errorf("the schedule reaches no violation")
	}
	r := &Counterexample{Model: ModelVersion, Scenario: c.Scenario, Property: v.Property, Message: v.Msg, Schedule: c.Schedule, Trace: trace}
	r.ID, err = ID(c.Scenario, r.Property, r.Schedule)
	return r, err
}

// WriteFile writes c as JSON.
func (c *Counterexample) WriteFile(path string) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// ReadFile reads a counterexample written by WriteFile.
func ReadFile(path string) (*Counterexample, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c Counterexample
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		if se, ok := err.(*json.SyntaxError); ok {
			line, col := lineCol(b, se.Offset)
			return nil, fmt.Errorf("%s:%d:%d: %v", path, line, col, err)
		}
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			line, col := lineCol(b, int64(len(b))+1)
			return nil, fmt.Errorf("%s:%d:%d: unexpected EOF: the JSON is cut short", path, line, col)
		}
		if te, ok := err.(*json.UnmarshalTypeError); ok {
			line, col := lineCol(b, te.Offset)
			return nil, fmt.Errorf("%s:%d:%d: %v", path, line, col, err)
		}
		return nil, fmt.Errorf("%s:1:1: %v", path, err)
	}
	if c.Scenario == nil {
		return nil, fmt.Errorf("%s:1:1: no scenario in counterexample", path)
	}
	if c.Model != ModelVersion {
		return nil, fmt.Errorf("%s:1:1: counterexample of model %q; this is %s", path, c.Model, ModelVersion)
	}
	return &c, nil
}

func lineCol(b []byte, off int64) (int, int) {
	line, col := 1, 1
	for i := 0; i < len(b) && int64(i) < off-1; i++ {
		if b[i] == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}

// Text renders c for a review mail: at most 80 columns.
func (c *Counterexample) Text(replay string) string {
	var b strings.Builder
	sc := c.Scenario
	fetch := sc.Fetch
	if fetch == "" {
		fetch = "default"
	}
	title := fmt.Sprintf("patchcheck: %s violated on %s", c.Property, sc.Arch)
	if props.IsWarning(c.Property) {
		title = fmt.Sprintf("patchcheck: kernel WARN (%s) on %s; a warning, not a violation", c.Property, sc.Arch)
	}
	fmt.Fprintln(&b, clip(title, 80))
	fmt.Fprintf(&b, "ID:       %s (%s)\n", c.ID, c.Model)
	wrap(&b, "scenario: ", fmt.Sprintf("%s (%s, fetch %s)", sc.Name, Protocol(sc), fetch))
	wrap(&b, "property: ", c.Property+": "+props.Doc(c.Property))
	b.WriteString("\n")
	for i, st := range c.Trace {
		lead := fmt.Sprintf("%3d %-8s ", i+1, st.Actor)
		if len(lead) > maxLead {
			// A long actor name gets a line of its own.
			b.WriteString(clip(strings.TrimRight(lead, " "), 80) + "\n")
			lead = strings.Repeat(" ", 13)
		}
		notes := st.Notes
		if len(notes) == 0 {
			notes = []string{"(step)"}
		}
		for j, n := range notes {
			if j > 0 {
				lead = strings.Repeat(" ", len(lead))
			}
			wrap(&b, lead, n)
		}
	}
	wrap(&b, " !! ", c.Message)
	fmt.Fprintf(&b, "\n%d steps.\n", len(c.Trace))
	if shown := ProtocolText(sc); shown != "" {
		fmt.Fprintf(&b, "\nThe protocol checked, %s:\n%s\n", Protocol(sc), shown)
	}
	if replay != "" {
		// A command is never folded or cut: a long one gets a line of
		// its own, even past 80 columns.
		if len("replay: "+replay) <= 80 {
			b.WriteString("replay: " + replay + "\n")
		} else {
			b.WriteString("replay:\n  " + replay + "\n")
		}
	}
	return b.String()
}

// maxLead is the widest lead before a trace line's text.
const maxLead = 24

// wrap writes lead+text, folded at 80 columns with continuation lines
// indented under the text.
func wrap(b *strings.Builder, lead, text string) {
	width := 80 - len(lead)
	indent := strings.Repeat(" ", len(lead))
	line := lead
	col := 0
	for _, w := range strings.Fields(text) {
		if col > 0 && col+1+len(w) > width {
			b.WriteString(strings.TrimRight(line, " ") + "\n")
			line, col = indent, 0
		}
		if col > 0 {
			line += " "
			col++
		}
		if len(w) > width {
			w = clip(w, width)
		}
		line += w
		col += len(w)
	}
	b.WriteString(line + "\n")
}

// clip shortens s to n bytes, marking the cut with "...".
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	if n < 4 {
		return s[:max(n, 0)]
	}
	return s[:n-3] + "..."
}
