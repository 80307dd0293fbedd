package pctest_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/patchcheck/patchcheck/pctest"
	"github.com/patchcheck/patchcheck/scenario"
)

// externalTest is the test file of the external module: a user's property
// "the kernel's protocol and the no-sync2 variant are safe on every
// generated x86 scenario", which fails (on no-sync2) after a few passing
// scenarios (rapid's first draw is the kernel's).
const externalTest = `package kerneltests

import (
	"fmt"
	"os"
	"testing"

	"pgregory.net/rapid"

	"MODULE/gen"
	"MODULE/pctest"
)

func TestProtocolsSafe(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sc := pctest.X86(gen.Variants("kernel", "no-sync2"), gen.Lifecycle(gen.LifecycleNever), gen.MaxStates(20000)).Draw(t, "scenario")
		defer func() {
			// The size of each failing scenario, for the test that
			// runs this one to see rapid shrink.
			if f := os.Getenv("SIZES"); f != "" && t.Failed() {
				ops := 0
				for _, th := range sc.Threads {
					ops += len(th.Ops)
				}
				out, _ := os.OpenFile(f, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
				fmt.Fprintln(out, len(sc.Targets)+len(sc.Keys)+len(sc.Sites)+len(sc.CPUs)+ops)
				out.Close()
			}
		}()
		pctest.Check(t, sc, pctest.CexDir(os.Getenv("CEX_DIR")))
	})
}
`

// TestExternalModule: a module of its own (a temporary directory with a
// go.mod whose replace directive points here) imports pctest and gen,
// and its failing rapid property shrinks and prints the minimal scenario
// in the file format, which parses and violates as printed. It runs the
// go command (the module cache, or the Go module proxy for what is not in
// it): not under -short.
func TestExternalModule(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command on a module of its own (-short)")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^module\s+(\S+)`).FindSubmatch(gomod)
	if m == nil {
		t.Fatal("no module line in go.mod")
	}
	module := string(m[1])
	dir, cexDir := t.TempDir(), t.TempDir()
	mod := "module example.com/kerneltests\n\ngo 1.26\n\nrequire (\n\t" + module + " v0.0.0\n\tpgregory.net/rapid v1.3.0\n)\n\nreplace " + module + " => " + root + "\n"
	files := map[string]string{
		"go.mod":         mod,
		"kernel_test.go": strings.ReplaceAll(externalTest, "MODULE", module),
		"doc.go":         "// Package kerneltests checks patchcheck from outside.\npackage kerneltests\n",
	}
	if sum, err := os.ReadFile(filepath.Join(root, "go.sum")); err == nil {
		files["go.sum"] = string(sum)
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sizes := filepath.Join(cexDir, "sizes")
	// A fixed seed: the same draws, failure and shrinking on every
	// machine (for one version of rapid).
	cmd := exec.Command(goTool, "test", "-count=1", "-rapid.nofailfile", "-rapid.checks=30", "-rapid.seed=1", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "CEX_DIR="+cexDir, "GOWORK=off", "SIZES="+sizes)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("go test in the external module: %v (want exit status 1, a failing property)\n%s", err, out)
	}
	for _, want := range []string{"--- FAIL: TestProtocolsSafe", "[rapid] draw scenario: \n",
		"violated on x86-64", "patchcheck replay " + cexDir} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// The last scenario rapid printed is the minimal one: it parses as
	// printed and violates a property.
	i := bytes.LastIndex(out, []byte("[rapid] draw scenario: \n"))
	if i < 0 {
		t.Fatalf("no scenario drawn:\n%s", out)
	}
	lines := strings.Split(string(out[i:]), "\n")[1:]
	indent, _, ok := strings.Cut(lines[0], "# patchcheck scenario")
	if !ok || strings.TrimSpace(indent) != "" {
		t.Fatalf("the drawn scenario is not printed in the file format:\n%s", out[i:])
	}
	var text strings.Builder
	for _, line := range lines {
		if !strings.HasPrefix(line, indent) && strings.TrimSpace(line) != "" {
			break
		}
		text.WriteString(strings.TrimPrefix(line, indent) + "\n")
	}
	sc, err := pctest.Parse(text.String())
	if err != nil {
		t.Fatalf("the printed scenario does not parse: %v\n%s", err, text.String())
	}
	pctest.CheckViolation(t, sc, "", pctest.CexDir(""))
	if len(sc.CPUs) > 1 || len(sc.Threads) > 1 || len(sc.Threads[0].Ops) > 1 {
		t.Errorf("not shrunk to one CPU and one update:\n%s", scenario.Format(sc))
	}
	// rapid shrank: a failing scenario it met was larger than the one it
	// printed last.
	b, err := os.ReadFile(sizes)
	if err != nil {
		t.Fatal(err)
	}
	final := len(sc.Targets) + len(sc.Keys) + len(sc.Sites) + len(sc.CPUs) + len(sc.Threads[0].Ops)
	largest := 0
	for _, f := range strings.Fields(string(b)) {
		n, _ := strconv.Atoi(f)
		largest = max(largest, n)
	}
	if largest <= final {
		t.Errorf("no failing scenario larger than the last one printed (%d items; failing sizes %q): no shrinking shown", final, b)
	}
	t.Logf("rapid shrank failing scenarios of up to %d items to %d:\n%s", largest, final, scenario.Format(sc))
}
