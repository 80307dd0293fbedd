// Command patchcheck model-checks live kernel code patching.
//
//	patchcheck list                     built-in scenarios, variants, properties
//	patchcheck check NAME|FILE [flags]  explore one scenario
//	patchcheck check --all              every built-in scenario against its expected verdict
//	patchcheck replay FILE              re-run a counterexample file
//	patchcheck explain ID|FILE          a counterexample in prose
//	patchcheck gallery [-o DIR]         the catalogue's counterexamples as pages
//
// Exit status: 0 safe (or every expectation held, or the counterexample
// reproduced), 1 a violation or an unexpected verdict, 2 bad input.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"patchcheck/arches"
	"patchcheck/catalog"
	"patchcheck/cex"
	"patchcheck/check"
	"patchcheck/kernel"
	"patchcheck/model"
	"patchcheck/props"
	"patchcheck/scenario"
)

const usage = `usage:
  patchcheck list                      built-in scenarios, variants, properties
  patchcheck check NAME|FILE [flags]   explore one scenario (exhaustive by default)
  patchcheck check --all [flags]       every built-in scenario against its verdict
  patchcheck replay FILE               re-run a counterexample file
                 [--svg OUT.svg] [--html OUT.html]  and draw it
  patchcheck explain ID|FILE [-o DIR]  a counterexample in prose, step by step
  patchcheck gallery [-o DIR]          pages of the catalogue's counterexamples (docs/gallery)
  patchcheck bench [-cpus N]           scaling table: sizes x reductions
  patchcheck campaign [flags]          check generated scenarios for a while (-h: flags)

Run 'patchcheck check -h' for the flags.
Exit status: 0 safe or as expected, 1 violation or unexpected verdict, 2 bad input.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// errInput marks errors in what the user gave: exit status 2.
type errInput struct{ error }

// Unwrap returns the wrapped error, so that run sees flag.ErrHelp in it.
func (e errInput) Unwrap() error { return e.error }

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	code := 0
	switch args[0] {
	case "list":
		err = list(stdout)
	case "check":
		code, err = checkCmd(args[1:], stdout, stderr)
	case "replay":
		code, err = replayCmd(args[1:], stdout, stderr)
	case "bench":
		code, err = benchCmd(args[1:], stdout, stderr)
	case "campaign":
		code, err = campaignCmd(args[1:], stdout, stderr)
	case "explain":
		code, err = explainCmd(args[1:], stdout, stderr)
	case "gallery":
		code, err = galleryCmd(args[1:], stdout, stderr)
	case "litmus":
		code, err = litmusCmd(args[1:], stdout, stderr)
	case "kernel":
		code, err = kernelCmd(args[1:], stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		err = errInput{fmt.Errorf("unknown command %q", args[0])}
	}
	if err != nil {
		fmt.Fprintln(stderr, "patchcheck:", err)
		var in errInput
		switch {
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.As(err, &in):
			return 2
		case code != 0:
			return code
		}
		return 1
	}
	return code
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
	quiet  bool
	// model: -kernel DIR and -patch FILE, in order.
	model [][2]string
}

func checkCmd(args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f checkFlags
	fs.BoolVar(&f.all, "all", false, "check every built-in scenario against its expected verdict")
	fs.StringVar(&f.opt.Search, "search", model.BFS, "bfs (shortest counterexample), dfs or random")
	fs.IntVar(&f.opt.MaxDepth, "depth", 0, "longest schedule explored (0: the scenario's bound, else none)")
	fs.IntVar(&f.opt.MaxStates, "states", 0, "most distinct states stored (0: the scenario's bound, else none)")
	fs.Uint64Var(&f.opt.Seed, "seed", 1, "seed of the random walks")
	fs.IntVar(&f.opt.Walks, "walks", 1000, "number of random walks")
	fs.BoolVar(&f.opt.Reduce, "reduce", false, "partial-order reduction (same verdicts, fewer states)")
	fs.IntVar(&f.opt.MaxPreemptions, "preemptions", 0, "bound the preemptions of a schedule (0: none; the result is then bounded)")
	fs.BoolVar(&f.opt.Symmetry, "symmetry", false, "symmetry reduction over CPUs that make the same calls")
	fs.IntVar(&f.opt.Workers, "workers", 1, "goroutines expanding each breadth-first level (same results as 1)")
	fs.BoolVar(&f.opt.Exact, "exact", false, "keep whole states in the visited set: no fingerprint collisions")
	fs.StringVar(&f.props, "props", "", "comma-separated properties to check (default: all)")
	fs.BoolVar(&f.json, "json", false, "print the result as JSON")
	fs.StringVar(&f.outDir, "o", "patchcheck-cex", "directory for counterexample files")
	fs.BoolVar(&f.quiet, "q", false, "no progress line on stderr")
	fs.Func("kernel", "a directory of model files that replace the built-in ones of the same path (docs/language.md)", func(v string) error {
		f.model = append(f.model, [2]string{"kernel", v})
		return nil
	})
	fs.Func("patch", "a unified diff to apply to the model files (after the scenario's own; repeatable)", func(v string) error {
		f.model = append(f.model, [2]string{"patch", v})
		return nil
	})
	stmt := statementFlag(fs)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return 2, errInput{err}
	}
	if err := statementConflicts(*stmt, f); err != nil {
		return 2, err
	}
	if f.props != "" {
		f.opt.Props = strings.Split(f.props, ",")
		if _, err := props.Select(f.opt.Props); err != nil {
			return 2, errInput{err}
		}
	}
	if f.opt.MaxDepth < 0 || f.opt.MaxStates < 0 || f.opt.Walks < 0 || f.opt.Workers < 1 || f.opt.Workers > 256 {
		return 2, errInput{errors.New("-depth, -states and -walks must not be negative, -workers from 1 to 256")}
	}
	switch f.opt.Search {
	case model.BFS, model.DFS, model.Random:
	default:
		return 2, errInput{fmt.Errorf("-search %q: want bfs, dfs or random", f.opt.Search)}
	}
	if f.all {
		if len(f.model) > 0 {
			return 2, errInput{errors.New("check --all runs the built-in model source: -kernel and -patch go with one scenario")}
		}
		if len(pos) != 0 {
			return 2, errInput{errors.New("check --all takes no scenario")}
		}
		return checkAll(f, stdout, stderr)
	}
	if len(pos) != 1 {
		return 2, errInput{errors.New("check takes one scenario: a built-in name or a file (see 'patchcheck list')")}
	}
	sc, err := loadScenario(pos[0])
	if err != nil {
		return 2, err
	}
	for _, m := range f.model {
		abs, err := filepath.Abs(m[1])
		if err != nil {
			return 2, errInput{err}
		}
		texts, err := scenario.ReadModel(os.DirFS(filepath.Dir(abs)), m[0], filepath.Base(abs))
		if err != nil {
			return 2, errInput{fmt.Errorf("-%s: %w", m[0], err)}
		}
		sc.Model = append(sc.Model, texts...)
	}
	if !f.quiet {
		f.opt.Progress = progress(stderr)
	}
	start := time.Now()
	r, err := check.Run(sc, f.opt)
	if err != nil {
		var cerr error = err
		if r == nil {
			cerr = errInput{err} // the scenario does not compile
		}
		return 2, cerr
	}
	return withStatement(*stmt, pos[0], r, f, time.Since(start), stdout)
}

// loadScenario reads a built-in scenario or a file.
func loadScenario(arg string) (*scenario.Scenario, error) {
	if e, ok, err := catalog.Lookup(arg, check.ParseOptions()); err != nil {
		return nil, err
	} else if ok {
		return e.Scenario, nil
	}
	src, err := os.ReadFile(arg)
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
		var se *scenario.Error
		if errors.As(err, &se) && se.Line > 0 {
			e := *se
			e.File = arg
			return nil, errInput{&e}
		}
		return nil, errInput{fmt.Errorf("%s:1:1: %v", arg, err)}
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
	Verdict        string              `json:"verdict"`
	Expected       string              `json:"expected,omitempty"`
	AsExpected     bool                `json:"as_expected"`
	States         int64               `json:"states"`
	Transitions    int64               `json:"transitions"`
	MaxDepth       int                 `json:"max_depth"`
	Seconds        float64             `json:"seconds"`
	StatesPerSec   float64             `json:"states_per_second"`
	PeakHeap       uint64              `json:"peak_heap_bytes"`
	Bounded        bool                `json:"bounded"`
	Omission       float64             `json:"omission_probability"`
	Counterexample *cex.Counterexample `json:"counterexample,omitempty"`
	CexFile        string              `json:"counterexample_file,omitempty"`
}

func report(r *check.Result, f checkFlags, wall time.Duration, w io.Writer) (int, error) {
	var file string
	if r.Cex != nil {
		if err := os.MkdirAll(f.outDir, 0o755); err != nil {
			return 2, err
		}
		file = filepath.Join(f.outDir, r.Cex.ID+".json")
		if err := r.Cex.WriteFile(file); err != nil {
			return 2, err
		}
	}
	code := 0
	if r.Violation != nil {
		code = 1
	}
	if f.json {
		out := jsonResult{Scenario: r.Scenario.Name, Verdict: r.Verdict(), Expected: check.Expected(r.Scenario),
			AsExpected: r.AsExpected(), States: r.States, Transitions: r.Transitions, MaxDepth: r.MaxDepth,
			Seconds: r.Elapsed.Seconds(), StatesPerSec: r.StatesPerSecond(), PeakHeap: r.PeakHeap,
			Bounded: r.Bounded, Omission: r.Omission, Counterexample: r.Cex, CexFile: file}
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
	if r.Cex != nil {
		fmt.Fprintln(w)
		fmt.Fprint(w, r.Cex.Text("patchcheck replay "+file))
		return code, nil
	}
	switch {
	case f.opt.Search == model.Random:
		fmt.Fprintf(w, "no violation found by %d random walks (not exhaustive)\n", f.opt.Walks)
	case r.Bounded:
		fmt.Fprintln(w, "no violation within the bounds (BOUNDED: not every state was explored)")
	default:
		fmt.Fprintf(w, "SAFE: every interleaving and every allowed fetch explored; no property violated\n")
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

func checkAll(f checkFlags, stdout, stderr io.Writer) (int, error) {
	all, err := catalog.All(check.ParseOptions())
	if err != nil {
		return 2, err
	}
	// Rows are printed as each scenario finishes, in columns sized for
	// the catalogue's names and verdicts.
	nw, vw := len("SCENARIO"), len("violation no-undefined-insn")
	for _, e := range all {
		nw = max(nw, len(e.Scenario.Name))
		vw = max(vw, len(check.Expected(e.Scenario)))
	}
	row := func(cols ...any) {
		fmt.Fprintf(stdout, "%-*s  %-*s  %-*s  %10s  %9s  %8s  %9s  %s\n", append([]any{nw, cols[0], vw, cols[1], vw}, cols[2:]...)...)
	}
	row("SCENARIO", "EXPECTED", "FOUND", "STATES", "STATES/S", "TIME", "CEX STEPS", "OK")
	bad := 0
	start := time.Now()
	for _, e := range all {
		r, err := check.Run(e.Scenario, f.opt)
		if err != nil {
			return 2, fmt.Errorf("%s: %w", e.File, err)
		}
		ok := "ok"
		if !r.AsExpected() {
			ok, bad = "UNEXPECTED", bad+1
		}
		steps := "-"
		if r.Cex != nil {
			steps = fmt.Sprint(len(r.Cex.Schedule))
			if re, same, err := check.Replay(r.Cex); err != nil || !same {
				ok, bad = fmt.Sprintf("REPLAY FAILED (%v, %v)", err, re != nil), bad+1
			}
		}
		row(e.Scenario.Name, check.Expected(e.Scenario), r.Verdict(), fmt.Sprint(r.States),
			fmt.Sprintf("%.0f", r.StatesPerSecond()), fmt.Sprintf("%.2fs", r.Elapsed.Seconds()), steps, ok)
	}
	fmt.Fprintf(stdout, "\n%d scenarios, %d as expected, %d unexpected; %.1f s\n", len(all), len(all)-bad, bad, time.Since(start).Seconds())
	if bad > 0 {
		return 1, nil
	}
	return 0, nil
}

func replayCmd(args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	svgOut := fs.String("svg", "", "also write the counterexample's picture to this SVG file")
	htmlOut := fs.String("html", "", "also write an HTML page (picture, mail text, prose) to this file")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return 2, errInput{err}
	}
	if len(pos) != 1 {
		return 2, errInput{errors.New("replay takes one counterexample file")}
	}
	c, err := cex.ReadFile(pos[0])
	if err != nil {
		return 2, errInput{err}
	}
	if err := c.Scenario.Validate(); err != nil {
		return 2, errInput{fmt.Errorf("%s:1:1: %v", pos[0], err)}
	}
	r, same, err := check.Replay(c)
	if err != nil {
		return 2, errInput{fmt.Errorf("%s: %v", pos[0], err)}
	}
	fmt.Fprint(stdout, r.Text("patchcheck replay "+pos[0]))
	if err := writePictures(r, pos[0], *svgOut, *htmlOut); err != nil {
		return 2, err
	}
	if !same {
		fmt.Fprintf(stdout, "\nNOT REPRODUCED: the file records %s (%s): %s\n", c.ID, c.Property, c.Message)
		return 1, nil
	}
	fmt.Fprintf(stdout, "\nreproduced: the same violation, the same ID %s\n", r.ID)
	return 0, nil
}

// kernelCmd runs "patchcheck kernel dump DIR": it writes the built-in
// model files and variant diffs into DIR, to edit and point a scenario's
// kernel directive at (docs/language.md).
func kernelCmd(args []string, stdout io.Writer) (int, error) {
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
