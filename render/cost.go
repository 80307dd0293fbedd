package render

import (
	"github.com/patchcheck/patchcheck/cost"
	"github.com/patchcheck/patchcheck/scenario"
)

// CostLine is the one-line cost of sc's design (package cost), for a
// statement or a gallery page; "" when sc names no design, and "not
// measured: ..." when no call of the design can be run.
func CostLine(sc *scenario.Scenario) string {
	d, err := cost.DesignOf(sc)
	if err != nil {
		return ""
	}
	rows, err := cost.Measure(d)
	if err != nil {
		return "not measured: " + err.Error()
	}
	return cost.Line(rows)
}
