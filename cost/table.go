package cost

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/patchcheck/patchcheck/scenario"
)

// Group is a design with the catalogue scenarios that use it.
type Group struct {
	Design
	// Verdicts lists the scenarios of the design with their expected
	// verdicts, "NAME: VERDICT", in the order given.
	Verdicts []string
}

// Groups collects the designs of scs in the order they first appear,
// each with what its scenarios use (static calls, jump labels); expect
// renders a scenario's expected verdict.
func Groups(scs []*scenario.Scenario, expect func(*scenario.Scenario) string) ([]Group, error) {
	var out []Group
	at := map[string]int{}
	for _, sc := range scs {
		d, err := DesignOf(sc)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", sc.Name, err)
		}
		i, ok := at[d.Key()]
		if !ok {
			i = len(out)
			at[d.Key()] = i
			out = append(out, Group{Design: d})
		}
		out[i].StaticCalls = out[i].StaticCalls || d.StaticCalls
		out[i].JumpLabels = out[i].JumpLabels || d.JumpLabels
		out[i].Verdicts = append(out[i].Verdicts, sc.Name+": "+expect(sc))
	}
	return out, nil
}

// Counts renders a call's counts as "INSNS/TAKEN/INDIRECT/LOADS", with
// "+N trap" when it trapped and "†" when a fetch had more than one
// allowed contents (the oldest was taken).
func (c Call) Counts() string {
	s := fmt.Sprintf("%d/%d/%d/%d", c.Insns, c.Taken, c.Indirect, c.Loads)
	if c.Traps > 0 {
		s += fmt.Sprintf(" +%d trap", c.Traps)
	}
	if c.Choices > 0 {
		s += " †"
	}
	return s
}

// words is Counts for a sentence: † spelled out, and a call that did
// not return said so.
func (c Call) words() string {
	s := strings.TrimSuffix(c.Counts(), " †")
	if c.Choices > 0 {
		s += " fetching the oldest contents allowed"
	}
	if c.Stopped {
		s += ", stopped by " + c.Violated
	}
	return s
}

// cell is Counts with the property the call violated, and whether that
// stopped it.
func (c Call) cell() string {
	s := c.Counts()
	switch {
	case c.Stopped:
		s += " (stopped: " + c.Violated + ")"
	case c.Violated != "":
		s += " (" + c.Violated + ")"
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// series renders f of each update as "A/B/C".
func series(us []Update, f func(Update) int) string {
	parts := make([]string, len(us))
	for i, u := range us {
		parts[i] = fmt.Sprint(f(u))
	}
	return strings.Join(parts, "/")
}

// Legend explains the tables' columns.
const Legend = `Per call: INSNS/TAKEN/INDIRECT/LOADS executed from the call site to the
target and back (the target's own instructions included; returns count as
indirect branches; x86's RET is a load, it pops its target). STEADY: the key
already at the target. UPDATE: the costliest call during the update (most
traps, then instructions), the CPU context-synchronised just before its call
so that it fetches the text as the update left it at POINT († a fetch could
read more than one contents: the oldest was taken; "stopped": the call did
not return, the property named stopped it). Per update:
stores to text, bytes stored, IPIs sent (each to every CPU), explicit
cache-maintenance operations and context synchronisations forced on each
CPU, with 1/2/3 sites (or callers). Counted on the model's machine: no
cycles, caches or branch prediction (docs/cost.md).
`

// WriteCalls writes the per-call table of rows.
func WriteCalls(w io.Writer, rows []Row) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DESIGN\tCALL\tTARGET\tSTEADY\tTRAMP\tUPDATE\tTRAMP\tSITE B\tTRAMP B\tPATH (STEADY)\tPOINT")
	for _, r := range rows {
		steady, during := r.Steady.cell(), r.During.cell()
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\n", r.Design, r.Form, r.Place,
			steady, yesNo(r.Steady.Tramp), during, yesNo(r.During.Tramp), r.Steady.SiteLen, r.TrampLen, r.Steady.Path, r.Point)
	}
	return tw.Flush()
}

// WriteUpdates writes the per-update table of rows: one line per design
// and placement (the call form does not change what an update does,
// except where out-of-line rows count callers instead of sites).
func WriteUpdates(w io.Writer, rows []Row) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DESIGN\tTARGET\tGROWS WITH\tSTEPS\tSTORES\tBYTES\tIPIS\tMAINT\tSYNCS/CPU\tVIOLATED")
	seen := map[string]bool{}
	for _, r := range rows {
		k := r.Design + "|" + r.Place + "|" + r.GrowsWith
		if seen[k] {
			continue
		}
		seen[k] = true
		viol := "-"
		for _, u := range r.Updates {
			if u.Violated != "" {
				viol = u.Violated
				break
			}
		}
		us := r.Updates
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Design, r.Place, "1/2/3 "+r.GrowsWith,
			series(us, func(u Update) int { return u.Steps }),
			series(us, func(u Update) int { return u.Stores }),
			series(us, func(u Update) int { return u.Bytes }),
			series(us, func(u Update) int { return u.IPIs }),
			series(us, func(u Update) int { return u.Maint }),
			series(us, func(u Update) int { return u.Syncs }), viol)
	}
	return tw.Flush()
}

// Line is the cost of a design in one line, for a statement or a
// gallery page: each call form's near-target call in the steady state and
// (when it differs) during an update, and the update of one site (for
// jump labels, static_key_enable() with one jump site).
func Line(rows []Row) string {
	if len(rows) == 0 {
		return ""
	}
	var parts, updates []string
	for _, r := range rows {
		if r.Place != Near {
			continue
		}
		s := fmt.Sprintf("%s %s", r.Form, r.Steady.words())
		if r.During.words() != r.Steady.words() {
			s += fmt.Sprintf(" (during an update %s)", r.During.words())
		}
		parts = append(parts, s)
		what := "per update with one site or caller"
		if r.Form == Jump {
			what = "per static_key_enable with one jump site"
		} else if len(updates) > 0 {
			continue // the static call forms share their update
		}
		u := r.Updates[0]
		updates = append(updates, fmt.Sprintf("%s %d stores to text, %d IPIs, %d cache-maintenance ops, %d context synchronisations per CPU",
			what, u.Stores, u.IPIs, u.Maint, u.Syncs))
	}
	return fmt.Sprintf("per call (instructions/taken/indirect/loads) %s; %s", strings.Join(parts, ", "), strings.Join(updates, "; "))
}

// Measured is a design's group with its rows.
type Measured struct {
	Group
	Rows []Row
}

// WriteMarkdown writes the tables of ms for docs/cost.md: per
// architecture, one line per design, call form and target placement,
// the design's scenarios and their expected verdicts on its first line.
func WriteMarkdown(w io.Writer, ms []Measured) error {
	var b strings.Builder
	arch := ""
	for _, m := range ms {
		if m.Arch != arch {
			arch = m.Arch
			fmt.Fprintf(&b, "\n### %s\n\n", arch)
			b.WriteString("| design | scenarios: expected verdict | call | target | steady | during an update | trampoline | site / trampoline bytes | per update, 1/2/3 sites or callers: stores, IPIs, maintenance, syncs per CPU |\n")
			b.WriteString("|---|---|---|---|---|---|---|---|---|\n")
		}
		for i, r := range m.Rows {
			design, verdicts := "", ""
			if i == 0 {
				design, verdicts = "`"+m.Name+"`", strings.Join(m.Verdicts, "; ")
			}
			tramp := yesNo(r.Steady.Tramp)
			if r.During.Tramp != r.Steady.Tramp {
				tramp += " (" + yesNo(r.During.Tramp) + " during)"
			}
			steady, during := r.Steady.cell(), r.During.cell()
			us := r.Updates
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %d / %d | %s %s: %s; %s; %s; %s |\n",
				design, verdicts, r.Form, r.Place, steady, during, tramp, r.Steady.SiteLen, r.TrampLen,
				"by", r.GrowsWith,
				series(us, func(u Update) int { return u.Stores }),
				series(us, func(u Update) int { return u.IPIs }),
				series(us, func(u Update) int { return u.Maint }),
				series(us, func(u Update) int { return u.Syncs }))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
