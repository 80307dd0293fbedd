package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/patchcheck/patchcheck/arches/arm64"
	"github.com/patchcheck/patchcheck/internal/budget"
	"github.com/patchcheck/patchcheck/litmus"
)

// litmusCmd runs AArch64 ifetch litmus tests through the litmus explorer:
//
//	patchcheck litmus [-kinds FILE] [-v] PATH...
//
// A PATH is a .litmus file or a directory of them. With -kinds (a herd
// kinds.txt), each verdict is compared with herd7's and the agreement is
// summarised; the exit status is then 1 when some verdict disagrees. A file
// that does not parse gives exit status 2, a test that cannot be explored 1,
// a test cut short by -max-states, -timeout, -max-memory or a signal 3
// (when nothing worse happened).
func litmusCmd(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlagSet("litmus", "usage: patchcheck litmus [-kinds FILE] [-v] [-max-states N] [-timeout D] [-max-memory SIZE] PATH...\n\n"+
		"Explores AArch64 ifetch litmus tests (a PATH is a .litmus file or a directory of them);\n"+
		"with -kinds, compares each verdict with herd7's.\n\n"+exitDoc, stderr)
	kindsPath := fs.String("kinds", "", "herd7 `kinds.txt` with the expected verdicts")
	verbose := fs.Bool("v", false, "print every final state")
	maxStates := fs.Int("max-states", 0, "bound on explored states per test (0: 2000000)")
	cmodx := fs.String("cmodx", "herd7", "CMODX list for the flag: herd7 (herd7's code) or armarm (the Arm ARM's B2.2.5)")
	var limits limitFlags
	limits.add(fs)
	pos, err := parseArgs(fs, args, stdout)
	if err != nil {
		return 2, errInput{err}
	}
	if len(pos) == 0 {
		return 2, errInput{errors.New("litmus: no test files given (see 'patchcheck litmus -h')")}
	}
	if *maxStates < 0 {
		return 2, errInput{fmt.Errorf("-max-states %d: must not be negative", *maxStates)}
	}
	if _, err := arm64.ParseCMODXList(*cmodx); err != nil {
		return 2, errInput{fmt.Errorf("-cmodx: %v", err)}
	}
	var kinds map[string]string
	if *kindsPath != "" {
		if kinds, err = litmus.ReadKinds(*kindsPath); err != nil {
			return 2, errInput{err}
		}
	}
	var files []string
	for _, p := range pos {
		st, err := os.Stat(p)
		if err != nil {
			return 2, errInput{err}
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		m, err := filepath.Glob(filepath.Join(p, "*.litmus"))
		if err != nil {
			return 2, errInput{err}
		}
		if len(m) == 0 {
			return 2, errInput{fmt.Errorf("%s: no .litmus files in the directory", p)}
		}
		sort.Strings(m)
		files = append(files, m...)
	}
	b, err := limits.start(ctx)
	if err != nil {
		return 2, err
	}
	defer b.Close()
	start := time.Now()
	agree, compared, failed, badInput, stopped := 0, 0, 0, 0, 0
	var disagree []string
	for i, f := range files {
		if why := b.Stop(0); why != "" {
			fmt.Fprintf(stdout, "%s: %d of %d files not explored\n", stoppedText(why, b, limits.timeout), len(files)-i, len(files))
			stopped++
			break
		}
		src, err := readInput(f)
		if err != nil {
			fmt.Fprintf(stdout, "parse error: %v\n", err)
			badInput++
			continue
		}
		t, err := litmus.Parse(f, src)
		if err != nil {
			fmt.Fprintf(stdout, "parse error: %v\n", err)
			badInput++
			continue
		}
		t0 := time.Now()
		last := time.Now()
		progress := func(explored, frontier int) {
			if time.Since(last) >= 2*time.Second {
				last = time.Now()
				fmt.Fprintf(stderr, "litmus: %s: %d states explored, %d waiting, %.0fs\n", t.Name, explored, frontier, time.Since(t0).Seconds())
			}
		}
		// judge compares a verdict with the kinds file's and counts it.
		judge := func(name, verdict string) string {
			want, ok := kinds[name]
			if !ok {
				return ""
			}
			compared++
			if want == verdict {
				agree++
				return " (agrees with herd7)"
			}
			disagree = append(disagree, fmt.Sprintf("%s: %s, herd7 %s", name, verdict, want))
			return " (herd7: " + want + ")"
		}
		r, err := litmus.Explore(t, litmus.Options{MaxStates: *maxStates, CMODX: *cmodx, Progress: progress, Stop: func() string { return b.Stop(0) }})
		var se *litmus.StoppedError
		if errors.As(err, &se) && se.Verdict != "" {
			// Stopped, but a final state found before the stop decides
			// the verdict: a bounded result, not an inconclusive one.
			fmt.Fprintf(stdout, "Test %s %s (bounded)%s%s\n", t.Name, se.Verdict, litmusTags(se.Flags, se.Settings), judge(t.Name, se.Verdict))
			fmt.Fprintf(stdout, "  Condition %s %s\n", t.Cond.Quant, t.Cond.Prop)
			fmt.Fprintf(stdout, "  Witness %s\n", strings.Join(se.Witness, " and "))
			fmt.Fprintf(stdout, "  Stopped (%s) after %d states, frontier %d: the witness decides the verdict\n", se.Reason, se.Explored, se.Frontier)
			if se.Reason == budget.Interrupted || se.Reason == budget.Timeout || se.Reason == budget.Memory {
				break
			}
			continue
		}
		if errors.As(err, &se) {
			fmt.Fprintf(stdout, "Test %s: INCONCLUSIVE%s: %v\n", t.Name, litmusTags(se.Flags, se.Settings), se)
			stopped++
			if se.Reason == budget.Interrupted || se.Reason == budget.Timeout || se.Reason == budget.Memory {
				break
			}
			continue
		}
		if err != nil {
			fmt.Fprintf(stdout, "Test %s: not explored: %v\n", t.Name, err)
			failed++
			if want, ok := kinds[t.Name]; ok {
				compared++
				disagree = append(disagree, fmt.Sprintf("%s: not explored (herd7: %s)", t.Name, want))
			}
			continue
		}
		fmt.Fprintf(stdout, "Test %s %s%s%s\n", t.Name, r.Verdict, litmusTags(r.Flags, r.Settings), judge(t.Name, r.Verdict))
		fmt.Fprintf(stdout, "  Condition %s %s\n", t.Cond.Quant, t.Cond.Prop)
		fmt.Fprintf(stdout, "  States %d Positive: %d Negative: %d Explored %d Time %.3fs\n",
			len(r.States), r.Pos, r.Neg, r.Explored, time.Since(t0).Seconds())
		if *verbose {
			for _, s := range r.States {
				fmt.Fprintf(stdout, "    %s\n", s)
			}
		}
	}
	if kinds != nil {
		fmt.Fprintf(stdout, "\nAgreement with herd7: %d of %d verdicts (%d files, %.1fs)\n",
			agree, compared, len(files), time.Since(start).Seconds())
		for _, d := range disagree {
			fmt.Fprintf(stdout, "  DISAGREE %s\n", d)
		}
		if len(disagree) > 0 && badInput == 0 {
			return 1, nil
		}
	}
	switch {
	case badInput > 0:
		return 2, nil
	case failed > 0:
		return 1, nil
	case stopped > 0:
		return exitInconclusive, nil
	}
	return 0, nil
}

// litmusTags is what every result line of a test (complete, bounded or
// inconclusive) prints after its verdict: the flags raised ("[flag
// CMODX]"; for a stopped run, by the executions explored before the
// stop), then the rules in force where they are not the defaults (the
// CMODX list when not herd7's, the CacheType when not DIC0-IDC0).
func litmusTags(flags []string, st litmus.Settings) string {
	var b strings.Builder
	if len(flags) > 0 {
		b.WriteString(" [flag " + strings.Join(flags, ",") + "]")
	}
	if st.CMODX != arm64.CMODXHerd7 {
		b.WriteString(" [cmodx " + st.CMODX.String() + "]")
	}
	if st.Cache != (arm64.CacheType{}) {
		b.WriteString(" [CacheType " + st.Cache.String() + "]")
	}
	return b.String()
}
