package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patchcheck/patchcheck/arches/arm64"
	"github.com/patchcheck/patchcheck/check"
	"github.com/patchcheck/patchcheck/litmus"
	"github.com/patchcheck/patchcheck/model"
	"github.com/patchcheck/patchcheck/scenario"
)

// writeScn writes a scenario file into a fresh directory.
// mpLitmus is a message-passing litmus test with condition cond.
func mpLitmus(cond string) string {
	return `AArch64 W
{ 0:X1=x; 0:X3=y; 1:X1=x; 1:X3=y; }
 P0          | P1          ;
 MOV W0,#1   | LDR W2,[X3] ;
 STR W0,[X1] | LDR W4,[X1] ;
 STR W0,[X3] |             ;
` + cond + "\n"
}

// cmodxLitmus modifies an instruction outside both CMODX lists while
// another thread executes it, under CacheType=DIC.
const cmodxLitmus = `AArch64 F
CacheType=DIC
{ ins_t 0:X0=instr:"MOV W9,#1"; 0:X1=P1:m0; }
 P0          | P1            ;
 STR W0,[X1] | m0: MOV W9,#2 ;
             | NOP           ;
exists 1:X9=1
`

func writeScn(t *testing.T, name, text string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// scnTargets is a scenario with n ordinary targets.
func scnTargets(n int) string {
	var b strings.Builder
	b.WriteString("scenario many\narch x86-64\ntarget")
	for i := range n {
		b.WriteString(" f" + string(rune('a'+i)))
	}
	b.WriteString("\nkey k init=fa\nsite s key=k kind=call\ncpu s\nthread t: update k fb\n")
	return b.String()
}

// TestReliabilityExitStatuses runs each defect of issue 15 that shows on
// the command line: each case failed before (a panic, a wrong status, a
// lost or missing output).
func TestReliabilityExitStatuses(t *testing.T) {
	empty := t.TempDir()
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name       string
		args       []string
		want       int
		stdoutHas  []string
		stderrHas  []string
		stderrNone string // must not be in stderr
	}{
		// 14 targets are the capacity (16 with NULL and return0); 15
		// panicked with index out of range.
		{name: "14 targets", args: []string{"check", "-q", "-o", "DIR", writeScn(t, "t14.scn", scnTargets(14))}, want: exitOK, stdoutHas: []string{"SAFE"}},
		{name: "15 targets", args: []string{"check", "-q", writeScn(t, "t15.scn", scnTargets(15))}, want: exitInput,
			stderrHas: []string{"t15.scn:3:50: more than 14 targets (the model holds 16 call targets, NULL and return0 included)"}},
		// A violation is printed even when its file cannot be written.
		{name: "cex not writable", args: []string{"check", "x86-bad-no-sync2", "-q", "-o", filepath.Join(blocker, "sub")}, want: exitViolation,
			stdoutHas: []string{"no-torn-insn violated", "ID:", "not written"}, stderrHas: []string{"warning: the counterexample is printed below but its file could not be written"}},
		// Inconclusive runs have a status of their own.
		{name: "bounded", args: []string{"check", "x86-4cpu-2site-2upd", "-q", "-states", "1000", "-o", "DIR"}, want: exitInconclusive, stdoutHas: []string{"BOUNDED"}},
		{name: "random", args: []string{"check", "x86-update-old-new", "-q", "-search", "random", "-walks", "5", "-o", "DIR"}, want: exitInconclusive, stdoutHas: []string{"INCONCLUSIVE"}},
		{name: "timeout", args: []string{"check", "x86-4cpu-2site-2upd", "-q", "-timeout", "200ms", "-o", "DIR"}, want: exitInconclusive,
			stdoutHas: []string{"STOPPED: -timeout 200ms elapsed", "frontier", "states/s", "BOUNDED"}},
		{name: "memory", args: []string{"check", "x86-4cpu-2site-2upd", "-q", "-max-memory", "1M", "-o", "DIR"}, want: exitInconclusive,
			stdoutHas: []string{"STOPPED: memory near its limit (-max-memory 1 MiB", "BOUNDED"}},
		{name: "bad max-memory", args: []string{"check", "x86-jcc", "-max-memory", "lots"}, want: exitInput, stderrHas: []string{"-max-memory"}},
		// Omission probability on every safe verdict.
		{name: "safe omission", args: []string{"check", "x86-update-old-new", "-q", "-o", "DIR"}, want: exitOK, stdoutHas: []string{"SAFE", "omission probability"}},
		// Smaller defects.
		{name: "walks 0", args: []string{"check", "x86-jcc", "-search", "random", "-walks", "0"}, want: exitInput, stderrHas: []string{"-walks must be at least 1"}},
		{name: "negative preemptions", args: []string{"check", "x86-jcc", "-preemptions", "-1"}, want: exitInput, stderrHas: []string{"-preemptions must not be negative"}},
		{name: "litmus negative max-states", args: []string{"litmus", "-max-states", "-3", "x.litmus"}, want: exitInput, stderrHas: []string{"-max-states -3"}},
		// A run stopped by its state bound after a witness is a bounded
		// result with the witness, not an inconclusive one; without a
		// witness it stays inconclusive.
		{name: "litmus bounded witness", args: []string{"litmus", "-max-states", "30", writeScn(t, "w.litmus", mpLitmus("exists 1:X2=1"))}, want: exitOK,
			stdoutHas: []string{"Test W Allowed (bounded)", "Witness 1:X2=1;", "Stopped (states bound 30)"}},
		{name: "litmus bounded no witness", args: []string{"litmus", "-max-states", "30", writeScn(t, "f.litmus", mpLitmus("exists (1:X2=1 /\\ 1:X4=0)"))}, want: exitInconclusive,
			stdoutHas: []string{"Test W: INCONCLUSIVE"}},
		// Every result line shows the flags raised and the rules in force
		// that are not the defaults (litmusTags): complete, bounded and
		// inconclusive alike.
		{name: "litmus tags complete", args: []string{"litmus", writeScn(t, "c.litmus", cmodxLitmus)}, want: exitOK,
			stdoutHas: []string{"Test F Allowed [flag CMODX] [CacheType DIC1-IDC1]\n"}},
		{name: "litmus tags bounded", args: []string{"litmus", "-max-states", "16", writeScn(t, "b.litmus", cmodxLitmus)}, want: exitOK,
			stdoutHas: []string{"Test F Allowed (bounded) [flag CMODX] [CacheType DIC1-IDC1]\n"}},
		{name: "litmus tags inconclusive", args: []string{"litmus", "-cmodx", "armarm", "-max-states", "12", writeScn(t, "i.litmus", cmodxLitmus)}, want: exitInconclusive,
			stdoutHas: []string{"Test F: INCONCLUSIVE [flag CMODX] [cmodx armarm] [CacheType DIC1-IDC1]: F: stopped (states bound 12)"}},
		{name: "litmus empty dir", args: []string{"litmus", empty}, want: exitInput, stderrHas: []string{"no .litmus files"}},
		{name: "check /dev/zero", args: []string{"check", "/dev/zero"}, want: exitInput, stderrHas: []string{"not a regular file"}},
		{name: "fail_alloc past its range", args: []string{"check", writeScn(t, "fa.scn",
			"scenario fa\narch x86-64\ntarget f1 f2\nmodule m1\nkey k init=f1\nsite s key=k kind=call module=m1\ncpu s\nthread t: load m1 fail_alloc=9\n")},
			want: exitInput, stderrHas: []string{"fa.scn:8:19: thread \"t\": fail_alloc=N wants N from 1 to 8"}},
		// A feature the arch lacks, at its line rather than 1:1.
		{name: "feature at its line", args: []string{"check", writeScn(t, "feat.scn",
			"scenario f\narch x86-64\ntarget f1 f2\nkey k init=f1\nsite s key=k kind=call\ncaller c key=k\ncpu s\nthread t: update k f2\n")},
			want: exitInput, stderrHas: []string{"feat.scn:6:8: arch x86-64 does not model out-of-line call sites (caller c)"}},
		// What a newcomer meets: help exits 0 on stdout, without "flag:
		// help requested"; list -h is help; version.
		{name: "list help", args: []string{"list", "-h"}, want: exitOK, stdoutHas: []string{"usage: patchcheck list"}, stderrNone: "help requested"},
		{name: "campaign help", args: []string{"campaign", "-h"}, want: exitOK, stdoutHas: []string{"usage: patchcheck campaign", "-timeout", "-max-memory"}, stderrNone: "help requested"},
		{name: "litmus help", args: []string{"litmus", "-h"}, want: exitOK, stdoutHas: []string{"usage: patchcheck litmus", "-timeout"}, stderrNone: "help requested"},
		{name: "explain help", args: []string{"explain", "-h"}, want: exitOK, stdoutHas: []string{"usage: patchcheck explain"}, stderrNone: "help requested"},
		{name: "gallery help", args: []string{"gallery", "-h"}, want: exitOK, stdoutHas: []string{"usage: patchcheck gallery"}, stderrNone: "help requested"},
		{name: "bench help", args: []string{"bench", "-h"}, want: exitOK, stdoutHas: []string{"-cpus"}, stderrNone: "help requested"},
		{name: "kernel help", args: []string{"kernel", "-h"}, want: exitOK, stdoutHas: []string{"usage: patchcheck kernel dump"}},
		{name: "check help", args: []string{"check", "--help"}, want: exitOK, stdoutHas: []string{"-timeout", "Exit status"}, stderrNone: "help requested"},
		{name: "version", args: []string{"version"}, want: exitOK, stdoutHas: []string{"patchcheck ", "model patchcheck-model/", "go1."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, withDir(tc.args, t.TempDir())...)
			if r.code != tc.want {
				t.Errorf("exit %d, want %d\n%v", r.code, tc.want, r)
			}
			for _, s := range tc.stdoutHas {
				if !strings.Contains(r.stdout, s) {
					t.Errorf("stdout lacks %q\n%v", s, r)
				}
			}
			for _, s := range tc.stderrHas {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("stderr lacks %q\n%v", s, r)
				}
			}
			if tc.stderrNone != "" && strings.Contains(r.stderr, tc.stderrNone) {
				t.Errorf("stderr has %q\n%v", tc.stderrNone, r)
			}
		})
	}
}

// TestInterrupted checks that SIGINT or SIGTERM (a cancelled context)
// stops check with its figures and exit status 3.
func TestInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb bytes.Buffer
	code := runCtx(ctx, []string{"check", "x86-4cpu-2site-2upd", "-q", "-o", t.TempDir()}, &out, &errb)
	if code != exitInconclusive || !strings.Contains(out.String(), "STOPPED: interrupted") || !strings.Contains(out.String(), "frontier") {
		t.Errorf("exit %d\n%s%s", code, out.String(), errb.String())
	}
}

// panicWriter panics on every write.
type panicWriter struct{}

func (panicWriter) Write([]byte) (int, error) { panic("broken invariant") }

// TestPanicExitStatus checks that a panic of patchcheck gets exit status
// 70 and a report request, not Go's exit status 2 (bad input).
func TestPanicExitStatus(t *testing.T) {
	var errb bytes.Buffer
	code := run([]string{"list"}, panicWriter{}, &errb)
	if code != exitBug || !strings.Contains(errb.String(), "a bug in patchcheck") || !strings.Contains(errb.String(), "Please report it") {
		t.Errorf("exit %d\n%s", code, errb.String())
	}
	// Within a check, the report names the scenario's ID.
	var out bytes.Buffer
	sc, err := loadScenario("x86-jcc")
	if err != nil {
		t.Fatal(err)
	}
	// A Stop hook that panics stands for a broken invariant in the run.
	_, err = check.Run(sc, check.Options{Options: model.Options{Stop: func(uint64) string { panic("broken invariant") }}})
	var bug *check.BugError
	if !errors.As(err, &bug) || !strings.HasPrefix(bug.ScenarioID, "SC-") {
		t.Fatalf("got %v, want a *check.BugError with the scenario ID", err)
	}
	if reportBug(&out, bug) != exitBug || !strings.Contains(out.String(), bug.ScenarioID) {
		t.Errorf("report:\n%s", out.String())
	}
}

// TestCheckAllJSON checks that check -all -json prints JSON with every
// row, its omission probability and the exit status; it printed the text
// table before. It runs a part of the catalogue: -timeout stops it.
func TestCheckAllJSON(t *testing.T) {
	r := runCLI(t, "check", "-all", "-json", "-q", "-timeout", "2s")
	var out allJSON
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("not JSON: %v\n%v", err, r)
	}
	if len(out.Rows) == 0 || out.Rows[0].Scenario == "" || out.Rows[0].ScenarioID == "" {
		t.Fatalf("no rows\n%v", r)
	}
	if out.ExitStatus != r.code {
		t.Errorf("exit_status %d, exit %d", out.ExitStatus, r.code)
	}
	for _, row := range out.Rows {
		if row.Verdict == "safe" && row.Omission <= 0 {
			t.Errorf("%s: safe without an omission probability", row.Scenario)
		}
	}
}

// TestExpectOptionsDFS checks that check -all with a search other than
// breadth-first checks a scenario that expects a violation of P for P
// alone: depth-first met other properties first in 4 scenarios.
func TestExpectOptionsDFS(t *testing.T) {
	sc := &scenario.Scenario{Expect: scenario.Expect{Verdict: "violation", Property: "completion"}}
	opt := check.Options{}
	opt.Search = "dfs"
	if got := expectOptions(sc, opt).Props; len(got) != 1 || got[0] != "completion" {
		t.Errorf("dfs: props %v", got)
	}
	opt.Search = "bfs"
	if got := expectOptions(sc, opt).Props; got != nil {
		t.Errorf("bfs: props %v", got)
	}
}

// TestCampaignStateDamaged checks the error for a cut-short campaign.json:
// a position and advice (before: the JSON error alone).
func TestCampaignStateDamaged(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "campaign.json"), []byte("{\n  \"generator\": \"x\",\n  \"seed\": 1"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, "campaign", "-count", "1", "-out", dir)
	if r.code != exitInput || !strings.Contains(r.stderr, "campaign.json:3:") || !strings.Contains(r.stderr, "use another -out") {
		t.Errorf("%v", r)
	}
}

// TestOmissionAdvice checks the warning threshold.
func TestOmissionAdvice(t *testing.T) {
	if omissionAdvice(1e-9) != "" || !strings.Contains(omissionAdvice(2.4e-3), "-exact") {
		t.Errorf("advice: %q, %q", omissionAdvice(1e-9), omissionAdvice(2.4e-3))
	}
}

func TestLitmusTags(t *testing.T) {
	for _, c := range []struct {
		flags []string
		st    litmus.Settings
		want  string
	}{
		{nil, litmus.Settings{CMODX: arm64.CMODXHerd7}, ""},
		{[]string{"CMODX"}, litmus.Settings{CMODX: arm64.CMODXHerd7}, " [flag CMODX]"},
		{nil, litmus.Settings{CMODX: arm64.CMODXArmARM}, " [cmodx armarm]"},
		{nil, litmus.Settings{CMODX: arm64.CMODXHerd7, Cache: arm64.CacheType{IDC: true}}, " [CacheType DIC0-IDC1]"},
		{[]string{"CMODX"}, litmus.Settings{CMODX: arm64.CMODXArmARM, Cache: arm64.CacheType{IDC: true, DIC: true}}, " [flag CMODX] [cmodx armarm] [CacheType DIC1-IDC1]"},
	} {
		if got := litmusTags(c.flags, c.st); got != c.want {
			t.Errorf("litmusTags(%v, %+v) = %q, want %q", c.flags, c.st, got, c.want)
		}
	}
}
