// Package cli is the patchcheck command: Main runs a command line. It
// is a package of its own, not package main, so that its fuzz target
// (FuzzCheckFile) builds with go-118-fuzz-build, which imports the
// target's package.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/patchcheck/patchcheck/arches"
	"github.com/patchcheck/patchcheck/catalog"
	"github.com/patchcheck/patchcheck/cex"
	"github.com/patchcheck/patchcheck/check"
	"github.com/patchcheck/patchcheck/internal/budget"
	"github.com/patchcheck/patchcheck/kernel"
	"github.com/patchcheck/patchcheck/model"
	"github.com/patchcheck/patchcheck/props"
	"github.com/patchcheck/patchcheck/scenario"
)

const usage = `usage:
  patchcheck list                      built-in scenarios, variants, properties
  patchcheck check NAME|FILE [flags]   explore one scenario (exhaustive by default)
  patchcheck check -all [flags]        every built-in scenario against its verdict
  patchcheck replay FILE               re-run a counterexample file
                 [-svg OUT.svg] [-html OUT.html]  and draw it
                 [-itf OUT.json]      and export it (Informal Trace Format)
  patchcheck explain ID|FILE [-o DIR]  a counterexample in prose, step by step
  patchcheck gallery [-o DIR]          pages of the catalogue's counterexamples (docs/gallery)
  patchcheck bench [-cpus N]           scaling table: sizes x reductions
  patchcheck cost [NAME|FILE ...]      per-call and per-update cost of each design (docs/cost.md)
  patchcheck campaign [flags]          check generated scenarios for a while
  patchcheck litmus [flags] PATH...    AArch64 ifetch litmus tests
  patchcheck kernel dump DIR           the built-in model files, to edit
  patchcheck version                   versions of patchcheck, its model and Go

'patchcheck COMMAND -h' lists a command's flags. A flag may be written
with one dash or two (-all, --all).
` + exitDoc

// Main runs the command line args (without the program name) until it
// ends or SIGINT or SIGTERM stops it, and returns the exit status.
func Main(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runCtx(ctx, args, stdout, stderr)
}

// errInput marks errors in what the user gave: exit status 2.
type errInput struct{ error }

// Unwrap returns the wrapped error, so that run sees flag.ErrHelp in it.
func (e errInput) Unwrap() error { return e.error }

// run runs the command line args without signal handling (for tests).
func run(args []string, stdout, stderr io.Writer) int {
	return runCtx(context.Background(), args, stdout, stderr)
}

// runCtx runs the command line args; ctx ends with SIGINT or SIGTERM,
// which stops a run the way -timeout does.
func runCtx(ctx context.Context, args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if v := recover(); v != nil {
			code = reportBug(stderr, &check.BugError{ScenarioID: "(none: outside a check)", Value: v, Stack: debug.Stack()})
		}
	}()
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitInput
	}
	var err error
	switch args[0] {
	case "list":
		code, err = listCmd(args[1:], stdout, stderr)
	case "check":
		code, err = checkCmd(ctx, args[1:], stdout, stderr)
	case "replay":
		code, err = replayCmd(args[1:], stdout, stderr)
	case "bench":
		code, err = benchCmd(args[1:], stdout, stderr)
	case "campaign":
		code, err = runCampaign(ctx, args[1:], stdout, stderr)
	case "explain":
		code, err = explainCmd(args[1:], stdout, stderr)
	case "gallery":
		code, err = galleryCmd(args[1:], stdout, stderr)
	case "cost":
		code, err = costCmd(args[1:], stdout, stderr)
	case "litmus":
		code, err = litmusCmd(ctx, args[1:], stdout, stderr)
	case "kernel":
		code, err = kernelCmd(args[1:], stdout)
	case "version", "-version", "--version":
		code, err = versionCmd(args[1:], stdout)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		err = errInput{fmt.Errorf("unknown command %q (see 'patchcheck -h')", args[0])}
	}
	if err == nil {
		return code
	}
	var bug *check.BugError
	var in errInput
	switch {
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &bug):
		return reportBug(stderr, bug)
	}
	fmt.Fprintln(stderr, "patchcheck:", err)
	switch {
	case errors.As(err, &in):
		return exitInput
	case code != 0:
		return code
	}
	return exitViolation
}

// parseInterleaved parses flags that may stand before or after the
// positional arguments.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// listCmd is 'patchcheck list'.
func listCmd(args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlagSet("list", "usage: patchcheck list\n\nLists the built-in scenarios with their expected verdicts, the variants and\nfetch assumptions of each architecture, and the properties.\n", stderr)
	pos, err := parseArgs(fs, args, stdout)
	if err != nil {
		return exitInput, errInput{err}
	}
	if len(pos) != 0 {
		return exitInput, errInput{errors.New("list takes no arguments")}
	}
	return exitOK, list(stdout)
}

func list(w io.Writer) error {
	all, err := catalog.All(check.ParseOptions())
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tEXPECTED\tWHAT IT SHOWS")
	for _, e := range all {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", e.Scenario.Name, check.Expected(e.Scenario), e.Scenario.Doc)
	}
	tw.Flush()
	for _, a := range arches.Names() {
		d, _ := arches.Describe(a)
		port := d.Port
		fmt.Fprintf(w, "\nVARIANTS (%s; the first is the kernel's)\n", a)
		for _, v := range kernel.AllVariants(port) {
			fmt.Fprintf(w, "  %-18s %s\n", v.Name, v.Doc)
		}
		fmt.Fprintf(w, "FETCH ASSUMPTIONS (%s; the first is the default): %s\n", a, strings.Join(port.Fetches(), ", "))
		if len(d.Props) > 0 {
			fmt.Fprintf(w, "PROPERTIES ONLY %s REPORTS: %s\n", a, strings.Join(d.Props, ", "))
		}
	}
	fmt.Fprintln(w, "\nPROPERTIES")
	for _, n := range props.Names() {
		fmt.Fprintf(w, "  %-18s %s\n", n, props.Doc(n))
	}
	return nil
}

type checkFlags struct {
	all    bool
	opt    check.Options
	props  string
	json   bool
	outDir string
	itf    string // -itf: the counterexample in the Informal Trace Format
	quiet  bool
	// -cpuprofile: a CPU profile of the run (pprof), e.g. for the
	// compiler's profile-guided optimization (bench/pgo/run.sh)
	cpuProfile string
	limits     limitFlags
	// model: -kernel DIR and -patch FILE, in order.
	model [][2]string
}

// checkUsage heads 'patchcheck check -h'.
const checkUsage = `usage: patchcheck check NAME|FILE [flags]
       patchcheck check -all [flags]

Explores one scenario (a built-in NAME, see 'patchcheck list', or a
scenario FILE, docs/scenario-format.md), or with -all every built-in
scenario against the verdict it expects. A violation is printed with its
counterexample, which is also written to -o DIR (a failure to write it is a
warning). A run stopped by -timeout, -max-memory, SIGINT or SIGTERM prints
its figures and an inconclusive verdict.

` + exitDoc

func checkCmd(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlagSet("check", checkUsage, stderr)
	var f checkFlags
	fs.BoolVar(&f.all, "all", false, "check every built-in scenario against its expected verdict")
	fs.StringVar(&f.opt.Search, "search", model.BFS, "bfs (shortest counterexample), dfs or random")
	fs.IntVar(&f.opt.MaxDepth, "depth", 0, "longest schedule explored (0: the scenario's bound, else none)")
	fs.IntVar(&f.opt.MaxStates, "states", 0, "most distinct states stored (0: the scenario's bound, else none)")
	fs.Uint64Var(&f.opt.Seed, "seed", 1, "seed of the random walks")
	fs.IntVar(&f.opt.Walks, "walks", 1000, "number of random walks (from 1)")
	fs.BoolVar(&f.opt.Reduce, "reduce", false, "partial-order reduction (same verdicts, fewer states); -reduce=false turns off a scenario's own (its explore line)")
	fs.IntVar(&f.opt.MaxPreemptions, "preemptions", 0, "bound the preemptions of a schedule (0: none; the result is then bounded)")
	fs.BoolVar(&f.opt.Symmetry, "symmetry", false, "symmetry reduction over CPUs that make the same calls; -symmetry=false turns off a scenario's own")
	fs.IntVar(&f.opt.Workers, "workers", 1, "goroutines expanding each breadth-first level (same results as 1)")
	fs.BoolVar(&f.opt.Exact, "exact", false, "keep whole states in the visited set: no fingerprint collisions")
	fs.BoolVar(&f.opt.Collapse, "collapse", false, "-exact in a fraction of its memory, slower: each state kept as the numbers of its parts' contents, each contents stored once (SPIN's COLLAPSE; docs/memory.md)")
	fs.StringVar(&f.props, "props", "", "comma-separated properties to check (default: all)")
	fs.BoolVar(&f.json, "json", false, "print the result as JSON (with -all: one object with every row)")
	fs.StringVar(&f.outDir, "o", "patchcheck-cex", "directory for counterexample files")
	fs.StringVar(&f.itf, "itf", "", "also write the counterexample, if any, in the Informal Trace Format (ITF JSON, as Apalache and Quint write it) to this file")
	fs.BoolVar(&f.quiet, "q", false, "no progress line on stderr")
	fs.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile of the run (pprof format) to `FILE`")
	f.limits.add(fs)
	fs.Func("kernel", "a directory of model files that replace the built-in ones of the same path (docs/language.md)", func(v string) error {
		f.model = append(f.model, [2]string{"kernel", v})
		return nil
	})
	fs.Func("patch", "a unified diff to apply to the model files (after the scenario's own; repeatable)", func(v string) error {
		f.model = append(f.model, [2]string{"patch", v})
		return nil
	})
	stmt := statementFlag(fs)
	pos, err := parseArgs(fs, args, stdout)
	if err != nil {
		return exitInput, errInput{err}
	}
	if err := statementConflicts(*stmt, f); err != nil {
		return exitInput, err
	}
	f.opt.Exact = f.opt.Exact || f.opt.Collapse
	fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "reduce":
			f.opt.NoReduce = !f.opt.Reduce
		case "symmetry":
			f.opt.NoSymmetry = !f.opt.Symmetry
		}
	})
	if f.props != "" {
		f.opt.Props = strings.Split(f.props, ",")
		if _, err := props.Select(f.opt.Props); err != nil {
			return exitInput, errInput{err}
		}
	}
	if f.opt.MaxDepth < 0 || f.opt.MaxStates < 0 || f.opt.MaxPreemptions < 0 || f.opt.Walks < 1 || f.opt.Workers < 1 || f.opt.Workers > 256 {
		return exitInput, errInput{errors.New("-depth, -states and -preemptions must not be negative, -walks must be at least 1, -workers from 1 to 256")}
	}
	switch f.opt.Search {
	case model.BFS, model.DFS, model.Random:
	default:
		return exitInput, errInput{fmt.Errorf("-search %q: want bfs, dfs or random", f.opt.Search)}
	}
	var sc *scenario.Scenario
	switch {
	case f.all && f.itf != "":
		return exitInput, errInput{errors.New("check -all: -itf goes with one scenario")}
	case f.all && len(f.model) > 0:
		return exitInput, errInput{errors.New("check -all runs the built-in model source: -kernel and -patch go with one scenario")}
	case f.all && len(pos) != 0:
		return exitInput, errInput{errors.New("check -all takes no scenario")}
	case !f.all && len(pos) != 1:
		return exitInput, errInput{errors.New("check takes one scenario: a built-in name or a file (see 'patchcheck list')")}
	case !f.all:
		if sc, err = loadScenario(pos[0]); err != nil {
			return exitInput, err
		}
		if err := addModel(sc, f.model); err != nil {
			return exitInput, err
		}
	}
	b, err := f.limits.start(ctx)
	if err != nil {
		return exitInput, err
	}
	defer b.Close()
	if f.cpuProfile != "" {
		stop, err := startCPUProfile(f.cpuProfile)
		if err != nil {
			return exitInput, errInput{err}
		}
		defer func() {
			if err := stop(); err != nil {
				fmt.Fprintf(stderr, "patchcheck: warning: %v\n", err)
			}
		}()
	}
	f.opt.Stop = b.Stop
	f.opt.LowMemory = b.Low
	if f.all {
		return checkAll(f, b, stdout, stderr)
	}
	if !f.quiet {
		f.opt.Progress = progress(stderr)
	}
	start := time.Now()
	r, err := check.Run(sc, f.opt)
	if err != nil {
		return exitInput, runError(r, err)
	}
	return withStatement(*stmt, pos[0], r, f, b, time.Since(start), stdout, stderr)
}

// runError classifies an error of check.Run: a bug of patchcheck stays
// one; a scenario that does not compile, or that exceeds one of the
// model's capacities as it runs, is bad input.
func runError(r *check.Result, err error) error {
	var bug *check.BugError
	if errors.As(err, &bug) {
		return err
	}
	if r != nil {
		return errInput{fmt.Errorf("%v (the run stopped at %s)", err, figures(r.Stats))}
	}
	return errInput{err}
}

// addModel adds the model files of -kernel and -patch to sc.
func addModel(sc *scenario.Scenario, dirs [][2]string) error {
	for _, m := range dirs {
		abs, err := filepath.Abs(m[1])
		if err != nil {
			return errInput{err}
		}
		texts, err := scenario.ReadModel(os.DirFS(filepath.Dir(abs)), m[0], filepath.Base(abs))
		if err != nil {
			return errInput{fmt.Errorf("-%s: %w", m[0], err)}
		}
		sc.Model = append(sc.Model, texts...)
	}
	return nil
}

// loadScenario reads a built-in scenario or a file, and compiles it so
// that an error in it is reported at its line.
func loadScenario(arg string) (*scenario.Scenario, error) {
	if e, ok, err := catalog.Lookup(arg, check.ParseOptions()); err != nil {
		return nil, err
	} else if ok {
		return e.Scenario, nil
	}
	src, err := readInput(arg)
	if err != nil {
		if os.IsNotExist(err) && !strings.ContainsAny(arg, "./") {
			return nil, errInput{fmt.Errorf("no built-in scenario or file %q (see 'patchcheck list')", arg)}
		}
		return nil, errInput{err}
	}
	opt := check.ParseOptions()
	opt.FS = os.DirFS(filepath.Dir(arg)) // kernel DIR and patch FILE are relative to the scenario
	sc, err := scenario.Parse(arg, src, opt)
	if err != nil {
		return nil, errInput{err}
	}
	if _, err := check.Compile(sc, nil); err != nil {
		var bug *check.BugError
		var se *scenario.Error
		switch {
		case errors.As(err, &bug):
			return nil, err
		case errors.As(err, &se) && se.Line > 0:
			e := *se
			e.File = arg
			return nil, errInput{&e}
		}
		line, col, ok := scenario.Locate(src, err)
		if !ok {
			line, col = 1, 1
		}
		return nil, errInput{fmt.Errorf("%s:%d:%d: %v", arg, line, col, err)}
	}
	return sc, nil
}

func progress(w io.Writer) func(model.Stats) {
	return func(s model.Stats) {
		fmt.Fprintf(w, "progress: %d states, %d transitions, depth %d, queue %d, %.0f states/s, %.1f s\n",
			s.States, s.Transitions, s.MaxDepth, s.Queue, s.StatesPerSecond(), s.Elapsed.Seconds())
	}
}

// jsonResult is the -json output.
type jsonResult struct {
	Scenario       string              `json:"scenario"`
	ScenarioID     string              `json:"scenario_id"`
	Verdict        string              `json:"verdict"`
	Expected       string              `json:"expected,omitempty"`
	AsExpected     bool                `json:"as_expected"`
	ExitStatus     int                 `json:"exit_status"`
	States         int64               `json:"states"`
	Transitions    int64               `json:"transitions"`
	MaxDepth       int                 `json:"max_depth"`
	Frontier       int                 `json:"frontier"`
	Seconds        float64             `json:"seconds"`
	StatesPerSec   float64             `json:"states_per_second"`
	PeakHeap       uint64              `json:"peak_heap_bytes"`
	VisitedBytes   uint64              `json:"visited_bytes"`  // the visited set's tables at the end
	FrontierBytes  uint64              `json:"frontier_bytes"` // the largest frontier
	TreeBytes      uint64              `json:"tree_bytes"`     // the search tree at the end
	Bounded        bool                `json:"bounded"`
	Stopped        string              `json:"stopped,omitempty"` // interrupted, timeout or memory
	Omission       float64             `json:"omission_probability"`
	Exact          bool                `json:"exact"`
	Warning        string              `json:"warning,omitempty"`
	Counterexample *cex.Counterexample `json:"counterexample,omitempty"`
	CexFile        string              `json:"counterexample_file,omitempty"`
	CexWriteError  string              `json:"counterexample_write_error,omitempty"`
}

// exitStatus is the exit status of one check's result.
func exitStatus(r *check.Result, opt check.Options) int {
	switch {
	case r.Violation != nil:
		return exitViolation
	case r.Warning != nil:
		return exitWarning
	case r.Bounded || opt.Search == model.Random:
		return exitInconclusive
	}
	return exitOK
}

// writeCex writes r's counterexample into dir and returns its file name;
// it is printed whether or not the file could be written.
func writeCexFile(r *check.Result, dir string) (string, error) {
	if r.Cex == nil {
		return "", nil
	}
	file := filepath.Join(dir, r.Cex.ID+".json")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return file, err
	}
	return file, r.Cex.WriteFile(file)
}

func newJSONResult(r *check.Result, opt check.Options) jsonResult {
	return jsonResult{Scenario: r.Scenario.Name, ScenarioID: check.ScenarioID(r.Scenario), Verdict: verdict(r, opt),
		Expected: check.Expected(r.Scenario), AsExpected: r.AsExpected(), ExitStatus: exitStatus(r, opt),
		States: r.States, Transitions: r.Transitions, MaxDepth: r.MaxDepth, Frontier: r.Queue,
		Seconds: r.Elapsed.Seconds(), StatesPerSec: r.StatesPerSecond(), PeakHeap: r.PeakHeap,
		VisitedBytes: r.VisitedBytes, FrontierBytes: r.FrontierBytes, TreeBytes: r.TreeBytes,
		Bounded: r.Bounded || opt.Search == model.Random, Stopped: r.Stopped, Omission: r.Omission, Exact: opt.Exact,
		Warning: omissionAdvice(r.Omission), Counterexample: r.Cex}
}

// verdict is r's verdict, "(random walks)" added to a random search's.
func verdict(r *check.Result, opt check.Options) string {
	v := r.Verdict()
	if opt.Search == model.Random && r.Violation == nil && !r.Bounded {
		v += " (random walks)"
	}
	return v
}

func report(r *check.Result, f checkFlags, b *budget.Budget, wall time.Duration, w, stderr io.Writer) (int, error) {
	code := exitStatus(r, f.opt)
	file, werr := writeCexFile(r, f.outDir)
	if werr != nil {
		fmt.Fprintf(stderr, "patchcheck: warning: the counterexample is printed below but its file could not be written: %v\n", werr)
	}
	if f.itf != "" && r.Cex != nil {
		b, err := r.Cex.ITF()
		if err == nil {
			err = writeFile(f.itf, b)
		}
		if err != nil {
			fmt.Fprintf(stderr, "patchcheck: warning: the counterexample is printed below but -itf %s could not be written: %v\n", f.itf, err)
		}
	}
	if f.json {
		out := newJSONResult(r, f.opt)
		if werr == nil {
			out.CexFile = file
		} else {
			out.CexWriteError = werr.Error()
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return code, enc.Encode(out)
	}
	sc, p := r.Scenario, r.Program
	fp := fmt.Sprintf("64-bit xxhash fingerprints, omission probability %.1e", r.Omission)
	if f.opt.Exact {
		fp = "exact visited set"
	}
	fmt.Fprintf(w, "patchcheck: %s (%s, %s, fetch %s)\n", sc.Name, sc.Arch, cex.Protocol(sc), fetchName(sc, p))
	fmt.Fprintf(w, "  CPUs %d, kernel threads %d; search %s", len(p.CPUs), len(p.Threads), f.opt.Search)
	if f.opt.Workers > 1 && f.opt.Search == model.BFS {
		fmt.Fprintf(w, " on %d workers", f.opt.Workers)
	}
	if f.opt.Search == model.Random {
		fmt.Fprintf(w, " (seed %d, %d walks)", f.opt.Seed, f.opt.Walks)
	}
	fmt.Fprintf(w, "; %s\n", fp)
	fmt.Fprintf(w, "  %d states, %d transitions, depth %d, %.2f s, %.0f states/s, peak heap %d MiB\n",
		r.States, r.Transitions, r.MaxDepth, r.Elapsed.Seconds(), r.StatesPerSecond(), r.PeakHeap>>20)
	if r.Cex != nil && r.Violation != nil {
		fmt.Fprintln(w)
		replay := "patchcheck replay " + file
		if werr != nil {
			replay = "(not written: " + werr.Error() + ")"
		}
		fmt.Fprint(w, r.Cex.Text(replay))
		return code, nil
	}
	if r.Stopped != "" {
		fmt.Fprintf(w, "%s; the run so far: %s\n", stoppedText(r.Stopped, b, f.limits.timeout), figures(r.Stats))
	}
	switch {
	case r.Warning != nil:
		fmt.Fprintf(w, "WARNING %s: no violation, but a kernel WARN is reachable%s\n", r.Warning.Property, map[bool]string{true: " (BOUNDED: not every state was explored)"}[r.Bounded])
		if r.Cex != nil {
			fmt.Fprintln(w)
			fmt.Fprint(w, r.Cex.Text("patchcheck replay "+file))
		}
	case f.opt.Search == model.Random:
		fmt.Fprintf(w, "no violation found by %d random walks (INCONCLUSIVE: not exhaustive)\n", f.opt.Walks)
	case r.Bounded:
		fmt.Fprintln(w, "no violation within the bounds (BOUNDED: not every state was explored)")
	default:
		fmt.Fprintf(w, "SAFE: every interleaving and every allowed fetch explored; no property violated\n")
	}
	if r.Violation == nil && !f.opt.Exact {
		fmt.Fprintf(w, "  omission probability %.1e (that a fingerprint collision hid a state)\n", r.Omission)
		if a := omissionAdvice(r.Omission); a != "" {
			fmt.Fprintln(w, "  "+a)
		}
	}
	fmt.Fprintf(w, "  properties: %s\n", strings.Join(propNames(f.opt.Props), ", "))
	return code, nil
}

func propNames(sel []string) []string {
	if len(sel) == 0 {
		return props.Names()
	}
	return sel
}

func fetchName(sc *scenario.Scenario, p *model.Program) string {
	if sc.Fetch != "" {
		return sc.Fetch
	}
	port, err := arches.Lookup(sc.Arch)
	if err != nil {
		return "default"
	}
	return port.Fetches()[0]
}

// allRow is one scenario of check -all.
type allRow struct {
	jsonResult
	CexSteps int    `json:"counterexample_steps,omitempty"`
	OK       string `json:"ok"` // "ok", "UNEXPECTED", "REPLAY FAILED ..." or "STOPPED"
}

// allJSON is the -json output of check -all.
type allJSON struct {
	Rows       []allRow `json:"rows"`
	Scenarios  int      `json:"scenarios"`
	AsExpected int      `json:"as_expected"`
	Unexpected int      `json:"unexpected"`
	Stopped    string   `json:"stopped,omitempty"`
	Seconds    float64  `json:"seconds"`
	ExitStatus int      `json:"exit_status"`
}

// expectOptions returns the options to check sc with in check -all: a
// search other than breadth-first meets the violations of a scenario in
// another order, so a scenario that expects a violation of P is checked
// for P alone then (unless -props chose the properties).
func expectOptions(sc *scenario.Scenario, opt check.Options) check.Options {
	if opt.Search != model.BFS && opt.Search != "" && len(opt.Props) == 0 && sc.Expect.Verdict == "violation" {
		opt.Props = []string{sc.Expect.Property}
	}
	return opt
}

func checkAll(f checkFlags, b *budget.Budget, stdout, stderr io.Writer) (int, error) {
	all, err := catalog.All(check.ParseOptions())
	if err != nil {
		return exitInput, err
	}
	// Rows are printed as each scenario finishes, in columns sized for
	// the catalogue's names and verdicts.
	nw, vw := len("SCENARIO"), len("violation no-undefined-insn")
	for _, e := range all {
		nw = max(nw, len(e.Scenario.Name))
		vw = max(vw, len(check.Expected(e.Scenario)))
	}
	row := func(cols ...any) {
		if !f.json {
			fmt.Fprintf(stdout, "%-*s  %-*s  %-*s  %10s  %9s  %8s  %9s  %8s  %s\n", append([]any{nw, cols[0], vw, cols[1], vw}, cols[2:]...)...)
		}
	}
	row("SCENARIO", "EXPECTED", "FOUND", "STATES", "STATES/S", "TIME", "CEX STEPS", "OMISSION", "OK")
	var out allJSON
	bad, warned := 0, false
	start := time.Now()
	for _, e := range all {
		opt := expectOptions(e.Scenario, f.opt)
		r, err := check.Run(e.Scenario, opt)
		if err != nil {
			return exitInput, runError(r, fmt.Errorf("%s: %w", e.File, err))
		}
		ar := allRow{jsonResult: newJSONResult(r, opt), OK: "ok"}
		switch {
		case r.Stopped != "":
			ar.OK = "STOPPED"
		case !r.AsExpected():
			ar.OK, bad = "UNEXPECTED", bad+1
		}
		steps := "-"
		if r.Cex != nil {
			ar.CexSteps = len(r.Cex.Schedule)
			steps = fmt.Sprint(ar.CexSteps)
			if re, same, err := check.Replay(r.Cex); err != nil || !same {
				ar.OK, bad = fmt.Sprintf("REPLAY FAILED (%v, %v)", err, re != nil), bad+1
			}
		}
		omission := "exact"
		if !opt.Exact {
			omission = fmt.Sprintf("%.1e", r.Omission)
			if r.Omission > omissionWarn {
				omission += "!"
				warned = true
			}
		}
		row(e.Scenario.Name, check.Expected(e.Scenario), r.Verdict(), fmt.Sprint(r.States),
			fmt.Sprintf("%.0f", r.StatesPerSecond()), fmt.Sprintf("%.2fs", r.Elapsed.Seconds()), steps, omission, ar.OK)
		out.Rows = append(out.Rows, ar)
		if r.Stopped != "" {
			out.Stopped = r.Stopped
			break
		}
	}
	out.Scenarios, out.Unexpected, out.Seconds = len(out.Rows), bad, time.Since(start).Seconds()
	out.AsExpected = len(out.Rows) - bad
	switch {
	case bad > 0:
		out.ExitStatus = exitViolation
	case out.Stopped != "":
		out.ExitStatus = exitInconclusive
	}
	if f.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return out.ExitStatus, enc.Encode(out)
	}
	if out.Stopped != "" {
		last := out.Rows[len(out.Rows)-1]
		fmt.Fprintf(stdout, "\n%s at scenario %s (%d states, depth %d, frontier %d, %.0f states/s); %d of %d scenarios not checked\n",
			stoppedText(out.Stopped, b, f.limits.timeout), last.Scenario, last.States, last.MaxDepth, last.Frontier, last.StatesPerSec, len(all)-len(out.Rows), len(all))
	}
	fmt.Fprintf(stdout, "\n%d scenarios, %d as expected, %d unexpected; %.1f s\n", len(out.Rows), out.AsExpected, bad, out.Seconds)
	if warned {
		fmt.Fprintf(stdout, "omission probabilities marked ! are above %.0e: rerun those scenarios with -exact to rule out a fingerprint collision\n", omissionWarn)
	}
	return out.ExitStatus, nil
}

// replayUsage heads 'patchcheck replay -h'.
const replayUsage = `usage: patchcheck replay FILE [-svg OUT.svg] [-html OUT.html] [-itf OUT.json]

Re-runs the schedule of a counterexample file on the model of today and
prints its text. Exit status 0: the same violation with the same ID; 1:
NOT REPRODUCED (the schedule no longer runs, ends without the violation,
or reaches another one); 2: the file is not a counterexample.
-itf writes the replayed counterexample in the Informal Trace Format (the
JSON traces of Apalache and Quint; docs/testing.md).
`

func replayCmd(args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlagSet("replay", replayUsage, stderr)
	svgOut := fs.String("svg", "", "also write the counterexample's picture to this SVG file")
	htmlOut := fs.String("html", "", "also write an HTML page (picture, mail text, prose) to this file")
	itfOut := fs.String("itf", "", "also write the counterexample in the Informal Trace Format (ITF JSON, as Apalache and Quint write it) to this file")
	pos, err := parseArgs(fs, args, stdout)
	if err != nil {
		return exitInput, errInput{err}
	}
	if len(pos) != 1 {
		return exitInput, errInput{errors.New("replay takes one counterexample file")}
	}
	c, r, same, err := loadCex(pos[0])
	var nr *notReproduced
	if errors.As(err, &nr) {
		fmt.Fprintf(stdout, "NOT REPRODUCED: %v\nthe file records %s (%s): %s\n", nr, c.ID, c.Property, c.Message)
		return exitViolation, nil
	}
	if err != nil {
		return exitInput, err
	}
	fmt.Fprint(stdout, r.Text("patchcheck replay "+pos[0]))
	if err := writePictures(r, pos[0], *svgOut, *htmlOut); err != nil {
		return exitInput, err
	}
	if *itfOut != "" {
		b, err := r.ITF()
		if err == nil {
			err = writeFile(*itfOut, b)
		}
		if err != nil {
			return exitInput, errInput{fmt.Errorf("-itf: %v", err)}
		}
		fmt.Fprintf(stdout, "ITF trace: %s\n", *itfOut)
	}
	if !same {
		fmt.Fprintf(stdout, "\nNOT REPRODUCED: the file records %s (%s): %s\n", c.ID, c.Property, c.Message)
		return exitViolation, nil
	}
	fmt.Fprintf(stdout, "\nreproduced: the same violation, the same ID %s\n", r.ID)
	return exitOK, nil
}

// kernelCmd runs "patchcheck kernel dump DIR": it writes the built-in
// model files and variant diffs into DIR, to edit and point a scenario's
// kernel directive at (docs/language.md).
func kernelCmd(args []string, stdout io.Writer) (int, error) {
	if isHelp(args) {
		fmt.Fprintln(stdout, "usage: patchcheck kernel dump DIR\n\nWrites the built-in model files and variant diffs into DIR, to edit and\npoint a scenario's kernel directive at (docs/language.md).")
		return exitOK, nil
	}
	if len(args) != 2 || args[0] != "dump" {
		return 2, errInput{errors.New("usage: patchcheck kernel dump DIR (writes the built-in model files and variant diffs into DIR)")}
	}
	dir := args[1]
	files := kernel.BuiltinSource()
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := writeFile(filepath.Join(dir, filepath.FromSlash(n)), files[n]); err != nil {
			return 1, err
		}
		fmt.Fprintln(stdout, filepath.Join(dir, filepath.FromSlash(n)))
	}
	for _, v := range kernel.DiffVariants() {
		d, _ := kernel.VariantDiff(v.Name)
		p := filepath.Join(dir, "variants", v.Name+".diff")
		if err := writeFile(p, d); err != nil {
			return 1, err
		}
		fmt.Fprintln(stdout, p)
	}
	return 0, nil
}

func writeFile(p string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, b, 0o644)
}
