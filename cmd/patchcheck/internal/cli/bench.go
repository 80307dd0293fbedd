package cli

import (
	"flag"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/patchcheck/patchcheck/check"
	"github.com/patchcheck/patchcheck/model"
	"github.com/patchcheck/patchcheck/scenario"
)

// benchScenario is x86 text_poke_bp with cpus CPUs calling sites sites
// (a call site, then a tail site) while one thread makes updates updates.
func benchScenario(cpus, sites, updates int) *scenario.Scenario {
	b := scenario.New(fmt.Sprintf("bench-%dcpu-%dsite-%dupd", cpus, sites, updates)).
		Arch("x86-64").Target("f1", "f2").Key("foo", "f1").Site("s1", "foo", scenario.KindCall)
	calls := [][]string{{"s1", "s1"}, {"s1", "s1"}}
	if sites == 2 {
		b.Site("s2", "foo", scenario.KindTail)
		calls = [][]string{{"s1", "s2"}, {"s2", "s1"}}
	}
	for c := 0; c < cpus; c++ {
		b.CPU(calls[c%2]...)
	}
	ops := []scenario.Op{scenario.Update("foo", "f2"), scenario.Update("foo", scenario.Null)}
	return b.Thread("updater", ops[:updates]...).MustBuild()
}

// benchCmd prints the scaling table of issue #8: states, states/s, peak
// heap and wall time for each size, with and without each reduction.
func benchCmd(args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	maxCPUs := fs.Int("cpus", 4, "largest number of CPUs (2 to 4)")
	maxStates := fs.Int("states", 30_000_000, "stop a run at this many states (reported as a lower bound)")
	workers := fs.Int("workers", 1, "workers for breadth-first levels")
	if _, err := parseArgs(fs, args, stdout); err != nil {
		return 2, errInput{err}
	}
	if *maxCPUs < 2 || *maxCPUs > model.MaxCPUs || *maxStates < 1 || *workers < 1 {
		return 2, errInput{fmt.Errorf("-cpus from 2 to %d, -states and -workers positive", model.MaxCPUs)}
	}
	fmt.Fprintf(stdout, "patchcheck bench: x86-64 text_poke_bp; %s, GOMAXPROCS %d, workers %d, state cap %d\n\n",
		runtime.Version(), runtime.GOMAXPROCS(0), *workers, *maxStates)
	// Fixed widths, so that each row can be printed as soon as it is
	// measured and the columns still line up.
	const rowFmt = "%4s %5s %7s %12s %11s %9s %13s %7s %8s  %s\n"
	fmt.Fprintf(stdout, rowFmt, "CPUS", "SITES", "UPDATES", "REDUCTION", "STATES", "STATES/S", "PEAK HEAP MiB", "WALL s", "SAVED", "VERDICT")
	modes := []struct {
		name string
		opt  model.Options
	}{
		{"none", model.Options{}},
		{"por", model.Options{Reduce: true}},
		{"symmetry", model.Options{Symmetry: true}},
		{"por+symmetry", model.Options{Reduce: true, Symmetry: true}},
	}
	bad := 0
	for cpus := 2; cpus <= *maxCPUs; cpus++ {
		for sites := 1; sites <= 2; sites++ {
			for updates := 1; updates <= 2; updates++ {
				sc := benchScenario(cpus, sites, updates)
				var plain int64
				var plainCut bool
				for _, md := range modes {
					opt := md.opt
					opt.MaxStates, opt.Workers = *maxStates, *workers
					runtime.GC()
					start := time.Now()
					r, err := check.Run(sc, check.Options{Options: opt})
					if err != nil {
						return 2, err
					}
					wall := time.Since(start)
					states := fmt.Sprint(r.States)
					if r.Bounded {
						states = "≥" + states
					}
					saved := "-"
					if md.name == "none" {
						plain, plainCut = r.States, r.Bounded
					} else if r.States > 0 && !r.Bounded {
						saved = fmt.Sprintf("%.2fx", float64(plain)/float64(r.States))
						if plainCut {
							saved = "≥" + saved
						}
					}
					if r.Violation != nil {
						bad++
					}
					fmt.Fprintf(stdout, rowFmt, fmt.Sprint(cpus), fmt.Sprint(sites), fmt.Sprint(updates), md.name, states,
						fmt.Sprintf("%.0f", r.StatesPerSecond()), fmt.Sprint(r.PeakHeap>>20), fmt.Sprintf("%.2f", wall.Seconds()), saved, r.Verdict())
				}
			}
		}
	}
	if bad > 0 {
		return 1, nil
	}
	return 0, nil
}
