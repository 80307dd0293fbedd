// Package pctest helps Go tests use patchcheck, in the spirit of
// net/http/httptest and pgregory.net/rapid: helpers that check a scenario
// and fail the test with the counterexample, parsers of scenarios and
// sketches from strings, and rapid generators of whole scenarios (one per
// architecture) and of their parts (keys, sites, updates, sketches).
//
//	func TestKernelSafe(t *testing.T) {
//		rapid.Check(t, func(t *rapid.T) {
//			pctest.Check(t, pctest.X86().Draw(t, "scenario"))
//		})
//	}
//
// A failing check prints the counterexample as patchcheck check does
// (the trace, its stable ID), the scenario in the file format, its
// scenario ID and the replay command; the counterexample is written to
// CexDir as PC-<ID>.json (patchcheck replay reads it) with the scenario
// beside it as PC-<ID>.scn (patchcheck check reads it). rapid logs and
// shrinks drawn scenarios in the file format too (*scenario.Scenario has
// a GoString method), so the minimal failing scenario of a property can
// be pasted into a file and checked.
//
// Errors: the Check helpers report every error, a bad scenario as much
// as a bug of patchcheck, by failing t: there is no error to look at
// besides. (check.Run returns an error and a Result whose embedded
// model.Result.Err holds the same error: look at the returned error
// only.) Parse and ParseSketch return an error, a *scenario.Error with
// its line and column.
package pctest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/patchcheck/patchcheck/arches"
	"github.com/patchcheck/patchcheck/cex"
	"github.com/patchcheck/patchcheck/check"
	"github.com/patchcheck/patchcheck/kernel"
	"github.com/patchcheck/patchcheck/scenario"
)

// TB is what the helpers need of a test: *testing.T, *testing.B,
// *testing.F's T and *rapid.T all have it.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
}

// Option configures a check.
type Option func(*config)

type config struct {
	opt        check.Options
	cexDir     string
	cexDirSet  bool
	warnings   bool
	exhaustive bool
}

// Props checks only the named properties (default: every property).
func Props(names ...string) Option { return func(c *config) { c.opt.Props = names } }

// MaxStates bounds the states explored (default: the scenario's bound).
func MaxStates(n int) Option { return func(c *config) { c.opt.MaxStates = n } }

// Reduce turns on partial-order and symmetry reduction, which never
// change a verdict.
func Reduce() Option {
	return func(c *config) { c.opt.Reduce, c.opt.Symmetry = true, true }
}

// AllowWarnings lets Check pass on a kernel WARN without a violation
// (warning properties such as no-warn); by default a WARN fails it.
func AllowWarnings() Option { return func(c *config) { c.warnings = true } }

// Exhaustive makes Check fail when a bound cut the search short: by
// default a verdict of "safe (bounded)" passes.
func Exhaustive() Option { return func(c *config) { c.exhaustive = true } }

// CexDir sets where a failing check writes its counterexample (PC-<ID>.json)
// and scenario (PC-<ID>.scn); "" writes nothing. The default is
// $PATCHCHECK_CEX_DIR, or else patchcheck-cex under os.TempDir().
func CexDir(dir string) Option { return func(c *config) { c.cexDir, c.cexDirSet = dir, true } }

func configure(opts []Option) *config {
	c := &config{}
	for _, o := range opts {
		o(c)
	}
	if !c.cexDirSet {
		c.cexDir = os.Getenv("PATCHCHECK_CEX_DIR")
		if c.cexDir == "" {
			c.cexDir = filepath.Join(os.TempDir(), "patchcheck-cex")
		}
	}
	return c
}

// Run checks sc and fails t on any error (a bad scenario, a bug of
// patchcheck); it returns the result whatever the verdict. The other
// helpers call it.
func Run(t TB, sc *scenario.Scenario, opts ...Option) *check.Result {
	t.Helper()
	return run(t, sc, configure(opts))
}

func run(t TB, sc *scenario.Scenario, c *config) *check.Result {
	t.Helper()
	if sc == nil {
		t.Fatalf("pctest: nil scenario")
		return nil
	}
	r, err := check.Run(sc, c.opt)
	if err != nil {
		t.Fatalf("patchcheck: %v\nscenario %s:\n%s", err, check.ScenarioID(sc), scenario.Format(sc))
		return nil
	}
	return r
}

// Check fails t unless sc shows no violation of a property (and, unless
// AllowWarnings, no kernel WARN; with Exhaustive, no bound cut the search
// short). It returns the result.
func Check(t TB, sc *scenario.Scenario, opts ...Option) *check.Result {
	t.Helper()
	c := configure(opts)
	r := run(t, sc, c)
	if r == nil {
		return nil
	}
	switch {
	case r.Violation != nil, r.Warning != nil && !c.warnings:
		fail(t, c, r, "want no violation")
	case r.Bounded && c.exhaustive:
		t.Fatalf("patchcheck: %s: a bound cut the search short after %d states (want an exhaustive search)\nscenario %s:\n%s",
			r.Verdict(), r.States, check.ScenarioID(sc), scenario.Format(r.Scenario))
	}
	return r
}

// CheckViolation fails t unless sc violates property (any property when
// property is ""); it returns the counterexample, which it checks
// replays to the same ID.
func CheckViolation(t TB, sc *scenario.Scenario, property string, opts ...Option) *cex.Counterexample {
	t.Helper()
	c := configure(opts)
	r := run(t, sc, c)
	if r == nil {
		return nil
	}
	if r.Violation == nil || property != "" && r.Violation.Property != property {
		want := "a violation of " + property
		if property == "" {
			want = "a violation"
		}
		if r.Cex != nil {
			fail(t, c, r, "want "+want)
			return nil
		}
		t.Fatalf("patchcheck: %s after %d states; want %s\nscenario %s:\n%s", r.Verdict(), r.States, want,
			check.ScenarioID(sc), scenario.Format(r.Scenario))
		return nil
	}
	if _, same, err := check.Replay(r.Cex); err != nil || !same {
		t.Fatalf("patchcheck: counterexample %s does not replay (reproduced %v, %v)\n%s", r.Cex.ID, same, err, scenario.Format(r.Scenario))
	}
	return r.Cex
}

// CheckExpect fails t unless sc gets the verdict of its expect line
// (safe when it has none, as for Check).
func CheckExpect(t TB, sc *scenario.Scenario, opts ...Option) *check.Result {
	t.Helper()
	if sc != nil && sc.Expect.Verdict == "" {
		return Check(t, sc, opts...)
	}
	c := configure(opts)
	r := run(t, sc, c)
	if r == nil || r.AsExpected() {
		return r
	}
	if r.Cex != nil {
		fail(t, c, r, "want "+check.Expected(sc))
		return r
	}
	t.Fatalf("patchcheck: %s after %d states; want %s\nscenario %s:\n%s", r.Verdict(), r.States, check.Expected(sc),
		check.ScenarioID(sc), scenario.Format(r.Scenario))
	return r
}

// CheckFile reads the scenario file at path (its model and patch files
// relative to it) and checks it as CheckExpect does: a campaign's
// finding (patchcheck campaign report -scenarios) or a counterexample's
// PC-<ID>.scn becomes a regression test this way.
func CheckFile(t TB, path string, opts ...Option) *check.Result {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("pctest: %v", err)
		return nil
	}
	po := check.ParseOptions()
	po.FS = os.DirFS(filepath.Dir(path))
	sc, err := scenario.Parse(path, src, po)
	if err != nil {
		t.Fatalf("%v", err)
		return nil
	}
	return CheckExpect(t, sc, opts...)
}

// fail reports r's counterexample: its text with the replay command, the
// scenario in the file format and its IDs; it writes the files to
// c.cexDir first.
func fail(t TB, c *config, r *check.Result, want string) {
	t.Helper()
	x := r.Cex
	replay := ""
	var notes []string
	if c.cexDir != "" {
		base := filepath.Join(c.cexDir, x.ID)
		err := os.MkdirAll(c.cexDir, 0o755)
		if err == nil {
			err = x.WriteFile(base + ".json")
		}
		if err == nil {
			err = os.WriteFile(base+".scn", scenario.Format(x.Scenario), 0o644)
		}
		if err != nil {
			notes = append(notes, fmt.Sprintf("(the counterexample could not be written: %v)", err))
		} else {
			replay = "patchcheck replay " + base + ".json"
			notes = append(notes, "check the scenario: patchcheck check "+base+".scn")
		}
	}
	t.Fatalf("%s(%s)\n\nscenario %s in the file format:\n%s%s", x.Text(replay), want,
		check.ScenarioID(x.Scenario), scenario.Format(x.Scenario), strings.Join(notes, "\n"))
}

// Parse reads a scenario from text in the file format of
// docs/scenario-format.md, checking the names it uses (architecture,
// variant, fetch assumption, property) against this build. Model and
// patch directives must have their text inline (<<TAG). The error is a
// *scenario.Error with the line and column.
func Parse(text string) (*scenario.Scenario, error) {
	return scenario.Parse("scenario", []byte(text), check.ParseOptions())
}

// MustParse is Parse that fails t on an error.
func MustParse(t TB, text string) *scenario.Scenario {
	t.Helper()
	sc, err := Parse(text)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return sc
}

// ParseSketch reads the steps of a sketch for arch ("STEP; STEP; ...",
// docs/sketches.md) and checks each against the architecture's sketch
// vocabulary; the error is a *scenario.Error at line 1 and the column of
// the step in text. Use the steps with scenario.Builder.Sketch.
func ParseSketch(arch, text string) ([]scenario.SketchStep, error) {
	port, err := arches.Lookup(arch)
	if err != nil {
		return nil, err
	}
	steps, err := scenario.ParseSketch("sketch", text)
	if err != nil {
		return nil, err
	}
	if err := checkSketch(port, steps); err != nil {
		if se, ok := err.(*scenario.Error); ok && se.File == "" {
			se.File = "sketch"
		}
		return nil, err
	}
	return steps, nil
}

// checkSketch checks steps as kernel.Build will: the prefixed steps of
// trampolines and of sites each against the port.
func checkSketch(port kernel.Port, steps []scenario.SketchStep) error {
	for i, st := range steps {
		if (st.Op == kernel.SketchTramp || st.Op == kernel.SketchSite) && len(st.Args) == 0 {
			return &scenario.Error{Line: st.Line, Col: st.Col, Msg: fmt.Sprintf("sketch step %d (%s): a prefix without a step", i+1, st)}
		}
	}
	if err := port.CheckSketch(kernel.SketchFor(steps, true)); err != nil {
		return err
	}
	return port.CheckSketch(kernel.SketchFor(steps, false))
}
