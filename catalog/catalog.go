// Package catalog is patchcheck's built-in catalogue: scenario files, each
// with the verdict it must get, for the kernel's protocols and for the
// known-bad variants beside them.
package catalog

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/patchcheck/patchcheck/scenario"
)

//go:embed scenarios/*.scn
var files embed.FS

// Entry is one built-in scenario with its source.
type Entry struct {
	Scenario *scenario.Scenario
	File     string // path inside the catalogue, e.g. scenarios/x86-jcc.scn
	Source   []byte
}

// All returns every built-in scenario, sorted by name. opt checks the
// names the files use (see scenario.ParseOptions).
func All(opt *scenario.ParseOptions) ([]Entry, error) {
	names, err := fs.Glob(files, "scenarios/*.scn")
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, n := range names {
		src, err := files.ReadFile(n)
		if err != nil {
			return nil, err
		}
		sc, err := scenario.Parse(n, src, opt)
		if err != nil {
			return nil, err
		}
		if want := strings.TrimSuffix(path.Base(n), ".scn"); sc.Name != want {
			return nil, fmt.Errorf("%s: scenario is named %q, not %q", n, sc.Name, want)
		}
		out = append(out, Entry{Scenario: sc, File: n, Source: src})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Scenario.Name < out[j].Scenario.Name })
	return out, nil
}

// Lookup returns the built-in scenario called name. It parses that
// scenario's file alone (scenarios/NAME.scn: All checks that every file
// is named after its scenario), not the whole catalogue.
func Lookup(name string, opt *scenario.ParseOptions) (Entry, bool, error) {
	if name == "" || strings.ContainsAny(name, `/\`) {
		return Entry{}, false, nil
	}
	n := "scenarios/" + name + ".scn"
	src, err := files.ReadFile(n)
	if err != nil {
		return Entry{}, false, nil // not a built-in scenario
	}
	sc, err := scenario.Parse(n, src, opt)
	if err != nil {
		return Entry{}, false, err
	}
	if sc.Name != name {
		return Entry{}, false, fmt.Errorf("%s: scenario is named %q, not %q", n, sc.Name, name)
	}
	return Entry{Scenario: sc, File: n, Source: src}, true, nil
}
