// Package check runs patchcheck end to end: it compiles a scenario for its
// architecture, explores it, and turns a violation into a counterexample.
// It is what the CLI, the tests and the fuzz targets call.
package check

import (
	"errors"
	"fmt"
	"regexp"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"

	"github.com/patchcheck/patchcheck/arches"
	"github.com/patchcheck/patchcheck/cex"
	"github.com/patchcheck/patchcheck/kernel"
	"github.com/patchcheck/patchcheck/model"
	"github.com/patchcheck/patchcheck/props"
	"github.com/patchcheck/patchcheck/scenario"
)

// Options control a check.
type Options struct {
	model.Options
	// Props names the properties checked; empty checks all.
	Props []string
	// NoReduce and NoSymmetry turn off the reductions a scenario asks
	// for (its explore line), so that its unreduced state space is
	// explored.
	NoReduce, NoSymmetry bool
}

// Reductions returns whether sc is explored with partial-order
// reduction and with symmetry reduction under o: o's own or the
// scenario's, unless o turns them off.
func (o Options) Reductions(sc *scenario.Scenario) (reduce, symmetry bool) {
	return !o.NoReduce && (o.Reduce || sc.Bounds.Reduce), !o.NoSymmetry && (o.Symmetry || sc.Bounds.Symmetry)
}

// Result is a check's outcome.
type Result struct {
	model.Result
	Scenario *scenario.Scenario
	Program  *model.Program
	Machine  *model.Machine
	// Cex is the counterexample of Violation, or else of Warning; nil when
	// neither was found.
	Cex *cex.Counterexample
}

// Verdict is "violation PROPERTY", "warning PROPERTY" (no violation but a
// kernel WARN), "safe", or either of the last two with " (bounded)" when a
// bound cut the search short.
func (r *Result) Verdict() string {
	v := "safe"
	switch {
	case r.Violation != nil:
		return "violation " + r.Violation.Property
	case r.Warning != nil:
		v = "warning " + r.Warning.Property
	}
	if r.Bounded {
		v += " (bounded)"
	}
	return v
}

// AsExpected reports whether the verdict is the one the scenario expects.
// A bounded search never meets an expectation of safe.
func (r *Result) AsExpected() bool {
	want := r.Scenario.Expect
	switch want.Verdict {
	case "safe":
		return r.Violation == nil && r.Warning == nil && !r.Bounded && r.Err == nil
	case "warning":
		return r.Violation == nil && r.Warning != nil && r.Warning.Property == want.Property && !r.Bounded && r.Err == nil
	case "violation":
		return r.Violation != nil && r.Violation.Property == want.Property
	}
	return true
}

// Expected renders the scenario's expected verdict.
func Expected(sc *scenario.Scenario) string {
	if sc.Expect.Property != "" {
		return sc.Expect.Verdict + " " + sc.Expect.Property
	}
	if sc.Expect.Verdict == "" {
		return "-"
	}
	return sc.Expect.Verdict
}

// ParseOptions checks the names a scenario file uses against what this
// build of patchcheck offers.
func ParseOptions() *scenario.ParseOptions {
	return &scenario.ParseOptions{Check: checkName}
}

// checkName checks one name of a scenario file. Variants and fetch
// assumptions are checked here against every port, and against the
// scenario's own port by kernel.Build.
func checkName(field, value string) error {
	switch field {
	case "arch":
		_, err := arches.Lookup(value)
		return err
	case "variant":
		if value == "kernel" {
			return nil
		}
		var all []string
		for _, a := range arches.Names() {
			p, _ := arches.Lookup(a)
			all = append(all, kernel.VariantNames(p)...)
		}
		slices.Sort(all)
		all = slices.Compact(all)
		if !slices.Contains(all, value) {
			return fmt.Errorf("unknown variant %q (have %v)", value, all)
		}
	case "fetch":
		var all []string
		for _, a := range arches.Names() {
			p, _ := arches.Lookup(a)
			all = append(all, p.Fetches()...)
		}
		slices.Sort(all)
		all = slices.Compact(all)
		if !slices.Contains(all, value) {
			return fmt.Errorf("unknown fetch assumption %q (have %v)", value, all)
		}
	case "property":
		if props.Doc(value) == "" {
			return fmt.Errorf("unknown property %q (have %v)", value, props.Names())
		}
	}
	return nil
}

// Normalize returns sc with the defaults spelled out (the architecture's
// default fetch assumption, variant "kernel" for the kernel's code), so
// that every spelling of one scenario prints, and hashes, the same.
func Normalize(sc *scenario.Scenario) (*scenario.Scenario, error) {
	port, err := arches.Lookup(sc.Arch)
	if err != nil {
		return nil, err
	}
	n := *sc
	if n.Fetch == "" {
		n.Fetch = port.Fetches()[0]
	}
	if n.Variant == "" || n.Variant == port.Variants()[0].Name {
		n.Variant = "kernel"
	}
	return &n, nil
}

// Compile builds the machine for sc. A panic of patchcheck while it
// compiles is returned as a *BugError.
func Compile(sc *scenario.Scenario, propNames []string) (m *model.Machine, err error) {
	defer func() {
		if v := recover(); v != nil {
			m, err = nil, &BugError{ScenarioID: ScenarioID(sc), Value: v, Stack: debug.Stack()}
		}
	}()
	port, err := arches.Lookup(sc.Arch)
	if err != nil {
		return nil, err
	}
	if err := kernel.CheckFeatures(sc, port); err != nil {
		return nil, err
	}
	p, err := kernel.Build(sc, port)
	if err != nil {
		return nil, err
	}
	ps, err := props.Select(propNames)
	if err != nil {
		return nil, err
	}
	return model.NewMachine(p, ps), nil
}

// BugError is a panic of patchcheck itself while it checked a scenario:
// a broken invariant, to be reported with the scenario.
type BugError struct {
	ScenarioID string // ScenarioID of the scenario
	Value      any    // what panicked
	Stack      []byte
}

func (e *BugError) Error() string {
	return fmt.Sprintf("internal error (a bug in patchcheck) on scenario %s: panic: %v", e.ScenarioID, e.Value)
}

// ScenarioID returns the stable ID of sc (normalised, without name, doc,
// bounds and expectation): "SC-" and 16 hex digits, the same on every
// machine.
func ScenarioID(sc *scenario.Scenario) string {
	if n, err := Normalize(sc); err == nil {
		sc = n
	}
	id, err := cex.ID(sc, "", nil)
	if err != nil {
		return "SC-unknown"
	}
	return "SC-" + strings.TrimPrefix(id, "PC-")
}

// Run checks sc. The scenario's bounds apply where opt sets none. A panic
// of patchcheck while it runs is returned as a *BugError.
//
// The returned error is the only one to look at: when it is nil, so is
// r.Err (the embedded model.Result's, which only repeats it). Tests can
// use package pctest, whose helpers report every error by failing the
// test.
func Run(sc *scenario.Scenario, opt Options) (r *Result, err error) {
	defer func() {
		if v := recover(); v != nil {
			r, err = nil, &BugError{ScenarioID: ScenarioID(sc), Value: v, Stack: debug.Stack()}
		}
	}()
	sc, err = Normalize(sc)
	if err != nil {
		return nil, err
	}
	m, err := Compile(sc, opt.Props)
	if err != nil {
		return nil, err
	}
	if opt.MaxDepth == 0 {
		opt.MaxDepth = sc.Bounds.Depth
	}
	if opt.MaxStates == 0 {
		opt.MaxStates = sc.Bounds.States
	}
	opt.Reduce, opt.Symmetry = opt.Reductions(sc)
	res := model.Explore(m, opt.Options)
	r = &Result{Result: res, Scenario: sc, Program: m.P, Machine: m}
	var pe *model.PanicError
	if errors.As(res.Err, &pe) {
		return nil, &BugError{ScenarioID: ScenarioID(sc), Value: pe.Value, Stack: pe.Stack}
	}
	if res.Err != nil {
		return r, res.Err
	}
	switch {
	case res.Violation != nil:
		r.Cex, err = cex.New(sc, m, res.Violation, res.Schedule)
	case res.Warning != nil:
		r.Cex, err = cex.New(sc, m, res.Warning, res.WarningSchedule)
	}
	if err != nil {
		return r, err
	}
	return r, nil
}

// ScheduleError is a counterexample's schedule that no longer runs on
// the model: a step names no actor, or a choice the actor does not have
// there, or the schedule ends without a violation.
type ScheduleError struct {
	Step int // the 1-based step at fault, 0 for the schedule as a whole
	Err  error
}

func (e *ScheduleError) Error() string { return e.Err.Error() }

func (e *ScheduleError) Unwrap() error { return e.Err }

// stepNumber finds the step in the errors of cex and model replays.
var stepNumber = regexp.MustCompile(`\bstep (\d+)\b`)

// Replay re-runs a counterexample and reports whether it reproduced the
// same violation with the same ID.
func Replay(c *cex.Counterexample) (*cex.Counterexample, bool, error) {
	sc, err := Normalize(c.Scenario)
	if err != nil {
		return nil, false, err
	}
	c2 := *c
	c2.Scenario = sc
	c = &c2
	m, err := Compile(c.Scenario, nil)
	if err != nil {
		return nil, false, err
	}
	r, err := c.Replay(m)
	if err != nil {
		se := &ScheduleError{Err: err}
		if m := stepNumber.FindStringSubmatch(err.Error()); m != nil {
			se.Step, _ = strconv.Atoi(m[1])
		}
		return nil, false, se
	}
	same := r.ID == c.ID && r.Property == c.Property && r.Message == c.Message
	return r, same, nil
}
