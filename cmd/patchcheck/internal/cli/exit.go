package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/patchcheck/patchcheck/cex"
	"github.com/patchcheck/patchcheck/check"
	"github.com/patchcheck/patchcheck/gen"
	"github.com/patchcheck/patchcheck/internal/budget"
	"github.com/patchcheck/patchcheck/model"
)

// Exit statuses (README.md, "Exit status").
const (
	exitOK           = 0  // safe; every expectation held; the replay reproduced
	exitViolation    = 1  // a violation; an unexpected verdict; NOT REPRODUCED
	exitInput        = 2  // bad input: flags, scenario, model, litmus or counterexample files
	exitInconclusive = 3  // no violation, but not everything was explored: a bound, random walks, interrupted, timeout, memory
	exitWarning      = 4  // no violation, but a kernel WARN is reachable
	exitBug          = 70 // a panic of patchcheck itself (EX_SOFTWARE): please report it
)

// exitDoc is the exit status table of the usage texts.
const exitDoc = `Exit status: 0 safe (or every expectation held, or the replay reproduced),
1 a violation (or an unexpected verdict, or NOT REPRODUCED), 2 bad input,
3 inconclusive (bounded by -states, -depth or -preemptions, random walks,
interrupted, -timeout or -max-memory), 4 a kernel WARN but no violation,
70 an internal error of patchcheck (please report it).
`

// omissionWarn is the fingerprint omission probability above which a
// verdict that relies on the visited set being complete gets a warning.
const omissionWarn = 1e-6

// omissionAdvice is the warning printed for an omission probability p
// above omissionWarn, "" below it.
func omissionAdvice(p float64) string {
	if p <= omissionWarn {
		return ""
	}
	return fmt.Sprintf("WARNING: the omission probability %.1e is above %.0e: a fingerprint collision may have hidden a state; "+
		"rerun with -exact (whole states in the visited set, no collisions, more memory) to rule it out", p, omissionWarn)
}

// reportBug prints a panic of patchcheck and returns exitBug.
func reportBug(w io.Writer, e *check.BugError) int {
	fmt.Fprintf(w, "patchcheck: %v\n", e)
	fmt.Fprintf(w, "This is a bug in patchcheck, not in your input. Please report it with the command line,\n"+
		"the scenario (or counterexample) file, the scenario ID %s, the output of 'patchcheck version' and this message:\n\n%s",
		e.ScenarioID, e.Stack)
	return exitBug
}

// isHelp reports whether args ask for help before a "--".
func isHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help", "--h":
			return true
		}
	}
	return false
}

// parseArgs parses fs's flags, which may stand before or after the
// positional arguments. Asked for help, it prints fs's usage to stdout
// and returns flag.ErrHelp, which run turns into exit status 0.
func parseArgs(fs *flag.FlagSet, args []string, stdout io.Writer) ([]string, error) {
	if isHelp(args) {
		fs.SetOutput(stdout)
		fs.Usage()
		return nil, flag.ErrHelp
	}
	return parseInterleaved(fs, args)
}

// newFlagSet returns a flag set whose usage is the text head followed by
// the flags.
func newFlagSet(name, head string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), head)
		if hasFlags(fs) {
			fmt.Fprintln(fs.Output(), "\nFlags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// limitFlags are -timeout and -max-memory, of check, litmus and campaign.
type limitFlags struct {
	timeout   time.Duration
	maxMemory string
}

func (l *limitFlags) add(fs *flag.FlagSet) {
	fs.DurationVar(&l.timeout, "timeout", 0, "stop after this long with the figures so far and an inconclusive verdict (0: no limit)")
	fs.StringVar(&l.maxMemory, "max-memory", "auto", "stop before the process uses this much memory, e.g. 4G or 512M (off: no limit; auto: "+budget.AutoDoc+")")
}

// start checks the flags and starts the budget; ctx is cancelled by
// SIGINT and SIGTERM.
func (l *limitFlags) start(ctx context.Context) (*budget.Budget, error) {
	if l.timeout < 0 {
		return nil, errInput{fmt.Errorf("-timeout %v: must not be negative", l.timeout)}
	}
	lim, err := budget.ParseSize(l.maxMemory)
	if err != nil {
		return nil, errInput{fmt.Errorf("-max-memory %v", err)}
	}
	return budget.Start(ctx, l.timeout, lim), nil
}

// stoppedText describes why a run stopped early.
func stoppedText(why string, b *budget.Budget, timeout time.Duration) string {
	switch why {
	case budget.Timeout:
		return fmt.Sprintf("STOPPED: -timeout %v elapsed", timeout)
	case budget.Memory:
		return fmt.Sprintf("STOPPED: memory near its limit (%s)", b.Limits())
	case budget.Interrupted:
		return "STOPPED: interrupted (SIGINT or SIGTERM)"
	}
	return "STOPPED: " + why
}

// figures renders the figures of an exploration for a stopped run.
func figures(s model.Stats) string {
	return fmt.Sprintf("%d states, %d transitions, depth %d, frontier %d states, %.0f states/s, %.1f s",
		s.States, s.Transitions, s.MaxDepth, s.Queue, s.StatesPerSecond(), s.Elapsed.Seconds())
}

// versionCmd prints the version of patchcheck, of its model, generator
// and Go.
func versionCmd(args []string, stdout io.Writer) (int, error) {
	if len(args) > 0 && !isHelp(args) {
		return exitInput, errInput{errors.New("version takes no arguments")}
	}
	v := "(devel)"
	var vcs []string
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if slices.Contains([]string{"vcs.revision", "vcs.time", "vcs.modified"}, s.Key) {
				vcs = append(vcs, strings.TrimPrefix(s.Key, "vcs.")+" "+s.Value)
			}
		}
	}
	fmt.Fprintf(stdout, "patchcheck %s", v)
	if len(vcs) > 0 {
		fmt.Fprintf(stdout, " (%s)", strings.Join(vcs, ", "))
	}
	fmt.Fprintf(stdout, "\nmodel %s, generator %s, %s %s/%s\n", cex.ModelVersion, gen.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return exitOK, nil
}

// readInput reads a file given on the command line: a regular file of at
// most maxInput bytes (so that /dev/zero or a named pipe is refused
// rather than read forever).
func readInput(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", name)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxInput+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxInput {
		return nil, fmt.Errorf("%s: larger than %d MiB", name, maxInput>>20)
	}
	return b, nil
}

// maxInput is the largest scenario, counterexample or litmus file read.
const maxInput = 64 << 20
