package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/patchcheck/patchcheck/arches"
	"github.com/patchcheck/patchcheck/catalog"
	"github.com/patchcheck/patchcheck/check"
	"github.com/patchcheck/patchcheck/cost"
	"github.com/patchcheck/patchcheck/scenario"
)

// costUsage heads 'patchcheck cost -h'.
const costUsage = `usage: patchcheck cost [NAME|FILE ...] [-json | -md]

What each design costs per call and per update, counted on the model's
machine (docs/cost.md). A design is a scenario's architecture, variant,
fetch assumption, sketch and model texts; for each NAME (a built-in
scenario) or FILE (a scenario file) the design is measured, with no
argument every design of the catalogue, by architecture. The scenario's
own CPUs and threads do not matter: cost builds its own, one CPU making
one call and one thread making one update.

Exit status: 0 the tables were printed, 2 bad input (an unknown name, a
scenario file with an error, a design no call can be measured on), 70 an
internal error of patchcheck.
`

// costJSON is one design in cost -json.
type costJSON struct {
	Design   string     `json:"design"`
	Verdicts []string   `json:"verdicts"`
	Rows     []cost.Row `json:"rows"`
}

func costCmd(args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlagSet("cost", costUsage, stderr)
	asJSON := fs.Bool("json", false, "print the rows as JSON")
	asMD := fs.Bool("md", false, "print the tables of docs/cost.md (markdown)")
	pos, err := parseArgs(fs, args, stdout)
	if err != nil {
		return exitInput, errInput{err}
	}
	var scs []*scenario.Scenario
	if len(pos) == 0 {
		all, err := catalog.All(check.ParseOptions())
		if err != nil {
			return exitInput, err
		}
		for _, e := range all {
			scs = append(scs, e.Scenario)
		}
	}
	for _, a := range pos {
		sc, err := loadScenario(a)
		if err != nil {
			return exitInput, err
		}
		scs = append(scs, sc)
	}
	groups, err := cost.Groups(scs, check.Expected)
	if err != nil {
		return exitInput, errInput{err}
	}
	if len(pos) == 0 {
		// By architecture, in the order arches lists them, the
		// kernel's own design first.
		names := arches.Names()
		own := func(g cost.Group) int {
			if g.Variant == "kernel" && len(g.Sketch) == 0 && len(g.Model) == 0 && !strings.Contains(g.Name, "fetch=") {
				return 0
			}
			return 1
		}
		slices.SortStableFunc(groups, func(a, b cost.Group) int {
			if d := slices.Index(names, a.Arch) - slices.Index(names, b.Arch); d != 0 {
				return d
			}
			return own(a) - own(b)
		})
	}
	var rows []cost.Row
	var out []costJSON
	var ms []cost.Measured
	for _, g := range groups {
		rs, err := cost.Measure(g.Design)
		if err != nil {
			var bug *check.BugError
			if errors.As(err, &bug) {
				return exitBug, err
			}
			return exitInput, errInput{err}
		}
		rows = append(rows, rs...)
		out = append(out, costJSON{Design: g.Name, Verdicts: g.Verdicts, Rows: rs})
		ms = append(ms, cost.Measured{Group: g, Rows: rs})
	}
	if *asMD {
		return exitOK, cost.WriteMarkdown(stdout, ms)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return exitOK, enc.Encode(out)
	}
	fmt.Fprint(stdout, cost.Legend)
	fmt.Fprintln(stdout, "\nPER CALL")
	if err := cost.WriteCalls(stdout, rows); err != nil {
		return exitInput, err
	}
	fmt.Fprintln(stdout, "\nPER UPDATE")
	if err := cost.WriteUpdates(stdout, rows); err != nil {
		return exitInput, err
	}
	fmt.Fprintln(stdout, "\nDESIGNS AND THEIR SCENARIOS' VERDICTS")
	for _, g := range out {
		fmt.Fprintf(stdout, "  %s: %s\n", g.Design, joinList(g.Verdicts))
	}
	return exitOK, nil
}

func joinList(xs []string) string { return strings.Join(xs, "; ") }
