package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/patchcheck/patchcheck/arches"
	"github.com/patchcheck/patchcheck/cex"
	"github.com/patchcheck/patchcheck/check"
	"github.com/patchcheck/patchcheck/gen"
	"github.com/patchcheck/patchcheck/internal/budget"
	"github.com/patchcheck/patchcheck/model"
)

// campaignUsage is printed by 'patchcheck campaign -h'.
const campaignUsage = `usage: patchcheck campaign [-duration 10m | -count N] [-seed S] [-workers N]
        [-variants kernel|bad|all|v1,v2] [-lifecycle never|ordered|concurrent]
        [-fetch byte|aligned4|any] [-mode exhaustive|random|mixed] [-out DIR] [-shard i/n]
       patchcheck campaign merge -out DIR SHARDDIR...
       patchcheck campaign report [-html FILE] [-scenarios DIR] CAMPAIGNDIR...

Checks generated scenarios (package gen) one after another until the
duration runs out, scenario indices 0..N-1 are done, or it is interrupted.
Scenario number k of a seed is the same on every machine; shard i/n checks
the k with k mod n == i. Without -shard, a batch system's index sets it:
JOB_COMPLETION_INDEX (Kubernetes Indexed Jobs) as i, with PATCHCHECK_SHARDS
as n (set it to the Job's completions). Each new counterexample is written as DIR/<ID>.json
(patchcheck replay) with DIR/<ID>.txt beside it; DIR/campaign.json records
where the campaign is, and running again with the same -out resumes it.

-duration ends the campaign gracefully: the scenarios in flight finish.
-timeout, -max-memory, SIGINT and SIGTERM stop it at once: the scenarios
in flight are dropped (not recorded; a resumed campaign checks them again),
the state is saved and the figures printed.

Exit status: 0 no violation of the kernel's protocol, 1 a violation of the
kernel's protocol (its IDs are printed), 2 bad flags or campaign.json,
3 stopped by -timeout, -max-memory, SIGINT or SIGTERM without a violation.
`

// campaignState is DIR/campaign.json: the campaign's parameters, where it
// is, and its figures so far. Only scenarios below Next count.
type campaignState struct {
	Generator string   `json:"generator"` // gen.Version that derives the scenarios
	Model     string   `json:"model"`     // cex.ModelVersion
	Arch      string   `json:"arch"`
	Seed      uint64   `json:"seed"`
	Shard     int      `json:"shard"`
	Shards    int      `json:"shards"`
	Variants  []string `json:"variants"` // resolved: the list scenarios draw from
	Lifecycle string   `json:"lifecycle"`
	Features  []string `json:"features,omitempty"` // gen features: boot, modules, kprobes, jump-labels
	Fetch     string   `json:"fetch"`              // byte, aligned4 or any
	Mode      string   `json:"mode"`
	States    int      `json:"states"` // states bound of each scenario
	Walks     int      `json:"walks"`  // random walks a scenario (random and mixed)
	Count     uint64   `json:"count,omitempty"`

	Next        uint64   `json:"next"` // the next scenario index of this shard
	Scenarios   int64    `json:"scenarios"`
	TotalStates int64    `json:"total_states"`
	Bounded     int64    `json:"bounded"`    // scenarios a bound cut short, without a violation
	Violations  int64    `json:"violations"` // scenarios with a violation
	IDs         []string `json:"ids"`        // distinct counterexamples found
	KernelIDs   []string `json:"kernel_ids,omitempty"`
	Elapsed     float64  `json:"elapsed_seconds"` // over every run
	// Omission is the sum of the fingerprint omission probabilities of
	// the exhaustive runs: a bound on the probability that a collision
	// hid a state in any of them.
	Omission   float64                  `json:"omission_probability"`
	PerVariant map[string]*variantStats `json:"per_variant"`
}

// variantStats are the figures of one variant; First* describe the first
// scenario on which it violated a property.
type variantStats struct {
	Scenarios      int64   `json:"scenarios"`
	Violations     int64   `json:"violations"`
	FirstIndex     int64   `json:"first_index"` // -1 until caught
	FirstID        string  `json:"first_id,omitempty"`
	FirstProperty  string  `json:"first_property,omitempty"`
	FirstSeconds   float64 `json:"first_seconds,omitempty"`   // campaign time when caught
	FirstScenarios int64   `json:"first_scenarios,omitempty"` // scenarios of the variant checked until then
}

// campaignResult is one checked scenario.
type campaignResult struct {
	index    uint64
	variant  string
	states   int64
	bounded  bool
	omission float64 // fingerprint omission probability of its exhaustive runs
	cex      *cex.Counterexample
	at       float64 // campaign seconds when it finished
	stopped  string  // the budget stopped it: not recorded
	err      error
}

type campaignFlags struct {
	arch      string
	duration  time.Duration
	count     uint64
	seed      uint64
	workers   int
	variants  string
	lifecycle string
	features  string
	fetch     string
	mode      string
	out       string
	shard     string
	states    int
	walks     int
	quiet     bool
	every     time.Duration
	limits    limitFlags
}

// runCampaign is 'patchcheck campaign': it runs a campaign until ctx is
// done (SIGINT, SIGTERM) or a limit is reached.
func runCampaign(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	if code, ok, err := campaignSub(args, stdout, stderr); ok {
		return code, err
	}
	fs := newFlagSet("campaign", campaignUsage, stderr)
	var f campaignFlags
	fs.DurationVar(&f.duration, "duration", 10*time.Minute, "stop after this long (0: no limit; ignored when only -count is given)")
	fs.Uint64Var(&f.count, "count", 0, "check scenario indices 0..N-1 (this shard's share of them), then stop (0: no limit)")
	fs.Uint64Var(&f.seed, "seed", 0, "campaign seed (default: a fresh one, or the one in DIR/campaign.json)")
	fs.IntVar(&f.workers, "workers", runtime.GOMAXPROCS(0), "scenarios checked in parallel")
	fs.StringVar(&f.variants, "variants", "kernel", "kernel, bad, all, or a comma-separated list")
	fs.StringVar(&f.features, "features", "", "comma-separated features of the scenarios: boot, modules, kprobes, jump-labels")
	fs.StringVar(&f.lifecycle, "lifecycle", "ordered", "free_initmem: never, ordered (with the updates) or concurrent (its own thread; the kernel has a known finding there)")
	fs.StringVar(&f.fetch, "fetch", "any", "instruction fetch assumption: one of the architecture's (x86-64: byte, aligned4; arm64: cmodx, dic, word) or any")
	fs.StringVar(&f.arch, "arch", "x86-64", "architecture of the generated scenarios: "+strings.Join(arches.Generated(), " or ")+" (without init text, as on arm64: lifecycle never)")
	fs.StringVar(&f.mode, "mode", "exhaustive", "exhaustive (bounded breadth-first), random (seeded walks) or mixed (walks where breadth-first hit its bound)")
	fs.StringVar(&f.out, "out", "patchcheck-campaign", "directory for counterexamples and campaign.json")
	fs.StringVar(&f.shard, "shard", "0/1", "i/n: check the scenario indices k with k mod n == i")
	fs.IntVar(&f.states, "states", gen.DefaultMaxStates, "states bound of each scenario")
	fs.IntVar(&f.walks, "walks", 200, "random walks a scenario (random and mixed modes)")
	fs.BoolVar(&f.quiet, "q", false, "no progress line on stderr")
	fs.DurationVar(&f.every, "progress", 2*time.Second, "interval of the progress line")
	f.limits.add(fs)
	pos, err := parseArgs(fs, args, stdout)
	if err != nil {
		return 2, errInput{err}
	}
	if len(pos) != 0 {
		return 2, errInput{fmt.Errorf("campaign takes no arguments (got %q)", pos)}
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if !set["shard"] {
		s, err := shardFromEnv(os.Getenv)
		if err != nil {
			return 2, errInput{err}
		}
		if s != "" {
			f.shard, set["shard"] = s, true
		}
	}
	if set["count"] && !set["duration"] {
		f.duration = 0
	}
	st, err := campaignSetup(f, set)
	if err != nil {
		return 2, errInput{err}
	}
	b, err := f.limits.start(ctx)
	if err != nil {
		return 2, err
	}
	defer b.Close()
	c := &campaign{st: st, f: f, stdout: stdout, stderr: stderr, dir: f.out, budget: b}
	return c.run(ctx)
}

// campaignSetup checks the flags and returns the state to start from: the
// one in DIR/campaign.json, or a new one.
func campaignSetup(f campaignFlags, set map[string]bool) (*campaignState, error) {
	if f.workers < 1 || f.workers > 1024 {
		return nil, fmt.Errorf("-workers %d: want 1..1024", f.workers)
	}
	if f.duration < 0 || f.states < 0 || f.walks < 1 || f.every <= 0 {
		return nil, errors.New("-duration and -states must not be negative, -walks and -progress must be positive")
	}
	shard, shards, err := parseShard(f.shard)
	if err != nil {
		return nil, err
	}
	arch := f.arch
	d, err := arches.Describe(arch)
	if err != nil {
		return nil, fmt.Errorf("-arch: %v", err)
	}
	port := d.Port
	if !d.Gen.InitText && !set["lifecycle"] {
		f.lifecycle = string(gen.LifecycleNever)
	}
	lc, err := gen.ParseLifecycle(f.lifecycle)
	if err != nil {
		return nil, fmt.Errorf("-lifecycle: %v", err)
	}
	switch f.mode {
	case "exhaustive", "random", "mixed":
	default:
		return nil, fmt.Errorf("-mode %q: want exhaustive, random or mixed", f.mode)
	}
	if f.fetch != "any" && !slices.Contains(port.Fetches(), f.fetch) {
		return nil, fmt.Errorf("-fetch %q: want %s or any", f.fetch, strings.Join(port.Fetches(), ", "))
	}
	variants, err := parseVariants(arch, f.variants)
	if err != nil {
		return nil, err
	}
	features, err := gen.ParseFeatures(f.features)
	if err != nil {
		return nil, fmt.Errorf("-features: %v", err)
	}
	want := &campaignState{Generator: gen.Version, Model: cex.ModelVersion, Arch: arch, Seed: f.seed,
		Shard: shard, Shards: shards, Variants: variants, Lifecycle: string(lc), Features: features, Fetch: f.fetch, Mode: f.mode,
		States: f.states, Walks: f.walks, Count: f.count, Next: uint64(shard), PerVariant: map[string]*variantStats{}}
	old, err := readState(filepath.Join(f.out, "campaign.json"))
	if err != nil {
		return nil, err
	}
	if old == nil {
		if !set["seed"] {
			want.Seed = rand.Uint64() >> 1 // fits every flag parser and JSON reader
		}
		if _, err := gen.Seeded(arch, want.Seed, 0, want.genOptions(0)...); err != nil {
			return nil, err
		}
		return want, nil
	}
	// Resuming: what the user sets must agree with the campaign in DIR.
	if old.Generator != gen.Version || old.Model != cex.ModelVersion {
		return nil, fmt.Errorf("%s holds a campaign of %s and %s; this is %s and %s: use another -out",
			f.out, old.Generator, old.Model, gen.Version, cex.ModelVersion)
	}
	var diff []string
	check := func(name string, same bool) {
		if set[name] && !same {
			diff = append(diff, "-"+name)
		}
	}
	check("arch", old.Arch == want.Arch)
	check("seed", old.Seed == want.Seed)
	check("shard", old.Shard == want.Shard && old.Shards == want.Shards)
	check("variants", slices.Equal(old.Variants, want.Variants))
	check("lifecycle", old.Lifecycle == want.Lifecycle)
	check("features", slices.Equal(old.Features, want.Features))
	check("fetch", old.Fetch == want.Fetch)
	check("mode", old.Mode == want.Mode)
	check("states", old.States == want.States)
	check("walks", old.Walks == want.Walks)
	if len(diff) > 0 {
		return nil, fmt.Errorf("%s holds campaign seed %d (shard %d/%d, variants %s, lifecycle %s, fetch %s, mode %s, states %d, walks %d): %s differ; drop them to resume, or use another -out",
			f.out, old.Seed, old.Shard, old.Shards, strings.Join(old.Variants, ","), old.Lifecycle, old.Fetch, old.Mode, old.States, old.Walks, strings.Join(diff, ", "))
	}
	if set["count"] {
		old.Count = f.count
	}
	if old.PerVariant == nil {
		old.PerVariant = map[string]*variantStats{}
	}
	return old, nil
}

// parseShard parses "i/n".
func parseShard(s string) (int, int, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n || n > 1<<20 {
		return 0, 0, fmt.Errorf("-shard %q: want i/n with 0 <= i < n", s)
	}
	return i, n, nil
}

// parseVariants resolves -variants.
func parseVariants(arch, s string) ([]string, error) {
	switch s {
	case "kernel":
		return []string{"kernel"}, nil
	case "bad":
		return gen.BadVariants(arch)
	case "all":
		return gen.VariantNames(arch)
	}
	all, err := gen.VariantNames(arch)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, v := range strings.Split(s, ",") {
		if !slices.Contains(all, v) {
			return nil, fmt.Errorf("-variants: unknown variant %q (have kernel, bad, all, or a list of %s)", v, strings.Join(all, ","))
		}
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out, nil
}

// genOptions are the gen options of the campaign's scenario index.
func (st *campaignState) genOptions(index uint64) []gen.Option {
	opts := []gen.Option{gen.Variants(st.Variants...), gen.Lifecycle(gen.LifecycleMode(st.Lifecycle)),
		gen.MaxStates(st.States), gen.Name(fmt.Sprintf("campaign-%d-%d", st.Seed, index))}
	if len(st.Features) > 0 {
		opts = append(opts, gen.Features(st.Features...))
	}
	if st.Fetch == "any" {
		return append(opts, gen.AnyFetch())
	}
	return append(opts, gen.Fetch(st.Fetch))
}

func readState(file string) (*campaignState, error) {
	b, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var st campaignState
	if err := json.Unmarshal(b, &st); err != nil {
		off := int64(len(b))
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			off = se.Offset
		case errors.As(err, &te):
			off = te.Offset
		}
		line, col := offsetPos(b, max(off-1, 0))
		return nil, fmt.Errorf("%s:%d:%d: %v: the campaign state is damaged (cut short?); "+
			"fix it, or move it away and use another -out to start a new campaign (the counterexample files beside it stay valid)", file, line, col, err)
	}
	if st.Shards < 1 || st.Shard < 0 || st.Shard >= st.Shards || len(st.Variants) == 0 || st.Next%uint64(st.Shards) != uint64(st.Shard) {
		return nil, fmt.Errorf("%s: not a campaign state file (shard %d/%d, next %d)", file, st.Shard, st.Shards, st.Next)
	}
	return &st, nil
}

// writeAtomic writes data to file through a temporary file and a rename,
// so that file is either the old or the new contents, never a part.
func writeAtomic(file string, data []byte) error {
	// Not os.CreateTemp, which makes the file 0600: campaign files are
	// for everyone to read, 0644 less the umask, as os.WriteFile makes
	// them.
	var tmp *os.File
	var err error
	for range 100 {
		name := filepath.Join(filepath.Dir(file), fmt.Sprintf(".tmp-%s-%d", filepath.Base(file), rand.Uint32()))
		tmp, err = os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if !errors.Is(err, os.ErrExist) {
			break
		}
	}
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if err1 := tmp.Close(); err == nil {
		err = err1
	}
	if err == nil {
		err = os.Rename(tmp.Name(), file)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

type campaign struct {
	st     *campaignState
	f      campaignFlags
	dir    string
	stdout io.Writer
	stderr io.Writer

	start     time.Time
	base      float64 // st.Elapsed when this run started
	runStates int64   // states explored in this run
	ids       map[string]bool
	files     map[string]bool // counterexample files in dir
	budget    *budget.Budget
	stopped   string  // why the budget stopped the campaign
	omission  float64 // sum of the omission probabilities of this run's scenarios
}

func (c *campaign) elapsed() float64 { return c.base + time.Since(c.start).Seconds() }

func (c *campaign) run(ctx context.Context) (int, error) {
	st := c.st
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return 2, errInput{err}
	}
	c.start, c.base = time.Now(), st.Elapsed
	c.ids = map[string]bool{}
	for _, id := range st.IDs {
		c.ids[id] = true
	}
	c.files = map[string]bool{}
	if m, err := filepath.Glob(filepath.Join(c.dir, "PC-*.json")); err == nil {
		for _, file := range m {
			c.files[strings.TrimSuffix(filepath.Base(file), ".json")] = true
		}
	}
	verb := "starting"
	if st.Scenarios > 0 || st.Next != uint64(st.Shard) {
		verb = "resuming"
	}
	fmt.Fprintf(c.stdout, "patchcheck campaign: %s seed %d, shard %d/%d, at scenario %d (%d checked)\n", verb, st.Seed, st.Shard, st.Shards, st.Next, st.Scenarios)
	fmt.Fprintf(c.stdout, "  variants %s; lifecycle %s; fetch %s; mode %s; states bound %d; %d workers; out %s\n",
		strings.Join(st.Variants, ","), st.Lifecycle, st.Fetch, st.Mode, st.States, c.f.workers, c.dir)
	if err := c.save(); err != nil {
		return 2, err
	}

	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if c.f.duration > 0 {
		var cancelT context.CancelFunc
		ctx, cancelT = context.WithTimeout(ctx, c.f.duration)
		defer cancelT()
	}

	// Dispatch this shard's indices in order; workers check them; results
	// are committed to the state in index order.
	step := uint64(st.Shards)
	jobs := make(chan uint64)
	results := make(chan campaignResult, c.f.workers)
	first, count := st.Next, st.Count
	go func() {
		defer close(jobs)
		for k := first; count == 0 || k < count; k += step {
			select {
			case jobs <- k:
			case <-ctx.Done():
				return
			}
		}
	}()
	done := make(chan struct{})
	for range c.f.workers {
		go func() {
			defer func() { done <- struct{}{} }()
			for k := range jobs {
				results <- c.check(k)
			}
		}()
	}
	go func() {
		for range c.f.workers {
			<-done
		}
		close(results)
	}()

	pending := map[uint64]campaignResult{}
	tick := time.NewTicker(c.f.every)
	defer tick.Stop()
	var firstErr error
	for results != nil {
		select {
		case r, ok := <-results:
			if !ok {
				results = nil
				break
			}
			if r.stopped != "" {
				if c.stopped == "" {
					c.stopped = r.stopped
				}
				cancel()
				continue
			}
			if r.err != nil {
				if firstErr == nil {
					firstErr = r.err
				}
				cancel()
				continue
			}
			if err := c.record(r); err != nil {
				if firstErr == nil {
					firstErr = err
				}
				cancel()
				continue
			}
			pending[r.index] = r
			for {
				p, ok := pending[st.Next]
				if !ok || firstErr != nil {
					break
				}
				delete(pending, st.Next)
				c.commit(p)
				if err := c.save(); err != nil {
					firstErr = err
					cancel()
				}
			}
		case <-tick.C:
			if why := c.budget.Stop(0); why != "" && c.stopped == "" {
				c.stopped = why
				cancel()
			}
			if !c.f.quiet {
				c.progress()
			}
		}
	}
	if c.stopped == "" && parent.Err() != nil {
		// Interrupted while the checks in flight all finished: no
		// result said so, but the campaign did not run to its end.
		c.stopped = budget.Interrupted
		if why := c.budget.Stop(0); why != "" {
			c.stopped = why
		}
	}
	if !c.f.quiet {
		c.progress()
	}
	if err := c.save(); err != nil && firstErr == nil {
		firstErr = err
	}
	c.summary()
	if firstErr != nil {
		return 2, firstErr
	}
	if c.stopped != "" {
		fmt.Fprintf(c.stdout, "%s; the scenarios in flight were dropped and will be checked on resuming\n", stoppedText(c.stopped, c.budget, c.f.limits.timeout))
	}
	if len(st.KernelIDs) > 0 {
		fmt.Fprintf(c.stdout, "\nVIOLATION OF THE KERNEL'S PROTOCOL: %d counterexamples: %s\n", len(st.KernelIDs), strings.Join(st.KernelIDs, " "))
		for i, id := range st.KernelIDs {
			if i == 3 {
				fmt.Fprintf(c.stdout, "  ... (the others in %s)\n", c.dir)
				break
			}
			fmt.Fprintf(c.stdout, "  patchcheck replay %s\n", filepath.Join(c.dir, id+".json"))
		}
		return 1, nil
	}
	if c.stopped != "" {
		return exitInconclusive, nil
	}
	return 0, nil
}

// check checks scenario k.
func (c *campaign) check(k uint64) campaignResult {
	st := c.st
	sc, err := gen.Seeded(st.Arch, st.Seed, k, st.genOptions(k)...)
	if err != nil {
		return campaignResult{index: k, err: err}
	}
	r := campaignResult{index: k, variant: sc.Variant}
	walks := check.Options{Options: model.Options{Search: model.Random, Seed: st.Seed ^ (k * 0x9e3779b97f4a7c15), Walks: st.Walks, Stop: c.budget.Stop, LowMemory: c.budget.Low}}
	var res *check.Result
	if st.Mode == "random" {
		res, err = check.Run(sc, walks)
	} else {
		res, err = check.Run(sc, check.Options{Options: model.Options{Stop: c.budget.Stop, LowMemory: c.budget.Low}})
		if err == nil {
			r.omission = res.Omission
		}
		if err == nil && res.Stopped == "" && st.Mode == "mixed" && res.Violation == nil && res.Bounded {
			r.states += res.States
			res, err = check.Run(sc, walks)
		}
	}
	var bug *check.BugError
	if errors.As(err, &bug) {
		return campaignResult{index: k, err: err}
	}
	if err != nil {
		return campaignResult{index: k, err: fmt.Errorf("scenario %d of seed %d: %v", k, st.Seed, err)}
	}
	if res.Stopped != "" {
		return campaignResult{index: k, stopped: res.Stopped}
	}
	r.states += res.States
	r.bounded = res.Bounded || st.Mode == "random"
	if res.Violation != nil {
		// A warning alone (a kernel WARN, such as an update before
		// static_call_init) is the kernel's own behaviour, not a find.
		r.cex = res.Cex
	}
	r.at = c.elapsed()
	return r
}

// record writes r's counterexample if it is new: DIR/<ID>.txt, then
// DIR/<ID>.json, each atomically, before the scenario is committed.
func (c *campaign) record(r campaignResult) error {
	if r.cex == nil || c.files[r.cex.ID] {
		return nil
	}
	file := filepath.Join(c.dir, r.cex.ID+".json")
	if err := writeAtomic(filepath.Join(c.dir, r.cex.ID+".txt"), []byte(r.cex.Text("patchcheck replay "+file))); err != nil {
		return err
	}
	b, err := json.MarshalIndent(r.cex, "", "  ")
	if err != nil {
		return err
	}
	if err := writeAtomic(file, append(b, '\n')); err != nil {
		return err
	}
	c.files[r.cex.ID] = true
	return nil
}

// commit adds r, the scenario at st.Next, to the state.
func (c *campaign) commit(r campaignResult) {
	st := c.st
	st.Next += uint64(st.Shards)
	st.Scenarios++
	st.TotalStates += r.states
	c.runStates += r.states
	c.omission += r.omission
	st.Omission += r.omission
	v := st.PerVariant[r.variant]
	if v == nil {
		v = &variantStats{FirstIndex: -1}
		st.PerVariant[r.variant] = v
	}
	v.Scenarios++
	if r.cex == nil {
		if r.bounded {
			st.Bounded++
		}
		return
	}
	st.Violations++
	v.Violations++
	if v.FirstIndex < 0 {
		v.FirstIndex, v.FirstID, v.FirstProperty = int64(r.index), r.cex.ID, r.cex.Property
		v.FirstSeconds, v.FirstScenarios = r.at, v.Scenarios
	}
	if !c.ids[r.cex.ID] {
		c.ids[r.cex.ID] = true
		st.IDs = append(st.IDs, r.cex.ID)
		if r.variant == "kernel" {
			st.KernelIDs = append(st.KernelIDs, r.cex.ID)
			fmt.Fprintf(c.stderr, "campaign: VIOLATION OF THE KERNEL'S PROTOCOL: %s (%s) on scenario %d; patchcheck replay %s\n",
				r.cex.ID, r.cex.Property, r.index, filepath.Join(c.dir, r.cex.ID+".json"))
		}
	}
}

func (c *campaign) save() error {
	c.st.Elapsed = c.elapsed()
	b, err := json.MarshalIndent(c.st, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(filepath.Join(c.dir, "campaign.json"), append(b, '\n'))
}

func (c *campaign) progress() {
	run := time.Since(c.start).Seconds()
	rate := 0.0
	if run > 0 {
		rate = float64(c.runStates) / run
	}
	st := c.st
	fmt.Fprintf(c.stderr, "campaign: %d scenarios, %d states, %.0f states/s, %d violations, %d unique IDs, %s elapsed\n",
		st.Scenarios, st.TotalStates, rate, st.Violations, len(st.IDs), time.Duration(c.elapsed()*float64(time.Second)).Round(time.Second))
}

func (c *campaign) summary() {
	st := c.st
	run := time.Since(c.start).Seconds()
	fmt.Fprintf(c.stdout, "\n%d scenarios (next index %d), %d states, %d bounded or random-only, %d violations, %d unique counterexamples; %.1f s in all\n",
		st.Scenarios, st.Next, st.TotalStates, st.Bounded, st.Violations, len(st.IDs), c.elapsed())
	if run > 0 {
		fmt.Fprintf(c.stdout, "this run: %.1f s, %.0f states/s\n", run, float64(c.runStates)/run)
	}
	fmt.Fprintf(c.stdout, "omission probability %.1e (the sum over the exhaustive runs: that a fingerprint collision hid a state in any)\n", st.Omission)
	if a := omissionAdvice(st.Omission); a != "" {
		fmt.Fprintln(c.stdout, a)
	}
	names := make([]string, 0, len(st.PerVariant))
	for n := range st.PerVariant {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		return slices.Index(st.Variants, names[i]) < slices.Index(st.Variants, names[j])
	})
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nVARIANT\tSCENARIOS\tVIOLATIONS\tFIRST CAUGHT")
	for _, n := range names {
		v := st.PerVariant[n]
		first := "-"
		if v.FirstIndex >= 0 {
			first = fmt.Sprintf("%.1f s, scenario %d (after %d of the variant): %s %s", v.FirstSeconds, v.FirstIndex, v.FirstScenarios, v.FirstProperty, v.FirstID)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\n", n, v.Scenarios, v.Violations, first)
	}
	tw.Flush()
	fmt.Fprintf(c.stdout, "counterexamples in %s; resume with: patchcheck campaign -out %s\n", c.dir, c.dir)
}
