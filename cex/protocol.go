package cex

import (
	"strings"

	"github.com/patchcheck/patchcheck/internal/udiff"
	"github.com/patchcheck/patchcheck/kernel"
	"github.com/patchcheck/patchcheck/scenario"
)

// Protocol names the protocol that a counterexample or a verified
// statement of sc is about, for its header: a built-in variant ("variant
// kernel", "variant no-sync3"), or what the user gave, after the variant
// when that is not the kernel's: "patch fix.diff", "model file
// kernel/static_call_inline.c", "sketch", joined by " + " in the order
// they apply. A model file that is the same as the built-in one is left
// out.
func Protocol(sc *scenario.Scenario) string {
	variant := sc.Variant
	if variant == "" {
		variant = "kernel"
	}
	var parts []string
	for _, m := range sc.Model {
		switch {
		case m.Kind == scenario.ModelPatch:
			parts = append(parts, "patch "+m.Name)
		case changedFile(m):
			parts = append(parts, "model file "+m.Name)
		}
	}
	if len(sc.Sketch) > 0 {
		parts = append(parts, "sketch")
	}
	if variant != "kernel" || len(parts) == 0 {
		parts = append([]string{"variant " + variant}, parts...)
	}
	return strings.Join(parts, " + ")
}

// UserProtocol reports whether sc checks a protocol the user wrote: a
// diff, a model file that differs from the built-in one, or a sketch.
func UserProtocol(sc *scenario.Scenario) bool { return ProtocolText(sc) != "" }

// ProtocolText shows the protocol the user wrote, as a reviewer reads
// it, "" for none: each diff as given; each model file as a diff against
// the built-in file of its path (a new file whole); the sketch as its
// scenario line, folded at 80 columns.
func ProtocolText(sc *scenario.Scenario) string {
	var b strings.Builder
	builtin := kernel.BuiltinSource()
	for _, m := range sc.Model {
		text := m.Text
		if m.Kind != scenario.ModelPatch {
			text = udiff.Diff(m.Name, string(builtin[m.Name]), m.Text)
		}
		if text != "" && !strings.HasSuffix(text, "\n") {
			text += "\n"
		}
		b.WriteString(text)
	}
	if len(sc.Sketch) > 0 {
		var steps []string
		for _, st := range sc.Sketch {
			steps = append(steps, st.String()+";")
		}
		all := strings.Join(steps, " ")
		wrap(&b, "sketch ", all[:len(all)-1])
	}
	return b.String()
}

// changedFile reports whether model file m differs from the built-in
// file of its path.
func changedFile(m scenario.ModelText) bool {
	old, ok := kernel.BuiltinSource()[m.Name]
	return !ok || string(old) != m.Text
}

// ScenarioLines returns what the IDs of sc's counterexamples and
// verified statements hash of sc: its canonical text line by line
// without name, doc, bounds, expectation, comments and blank lines; then
// each model text it carries (docs/language.md) after a line with its
// kind and name, verbatim, so that every character of a user's diff or
// model file counts. Give it a normalised scenario (check.Normalize).
func ScenarioLines(sc *scenario.Scenario) []string {
	norm := *sc
	norm.Name, norm.Doc, norm.Bounds, norm.Expect = "", "", scenario.Bounds{}, scenario.Expect{}
	norm.Model = nil
	var lines []string
	for _, l := range strings.Split(string(scenario.Format(&norm)), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	for _, m := range sc.Model {
		lines = append(lines, m.Kind+" "+m.Name)
		lines = append(lines, strings.Split(m.Text, "\n")...)
	}
	return lines
}
