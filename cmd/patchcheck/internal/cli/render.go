package cli

// The reviewer's commands: explain, gallery, replay's --svg and --html,
// and check's -statement (docs/reviewing.md).

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/patchcheck/patchcheck/catalog"
	"github.com/patchcheck/patchcheck/cex"
	"github.com/patchcheck/patchcheck/check"
	"github.com/patchcheck/patchcheck/internal/budget"
	"github.com/patchcheck/patchcheck/model"
	"github.com/patchcheck/patchcheck/render"
	"github.com/patchcheck/patchcheck/scenario"
)

// cexID matches a counterexample ID given instead of a file.
var cexID = regexp.MustCompile(`^(?i:pc)-[0-9A-Fa-f]{16}$`)

// cexFile returns the file of a counterexample given by ID (looked up in
// dir) or by file name.
func cexFile(arg, dir string) (string, error) {
	if !cexID.MatchString(arg) {
		return arg, nil
	}
	file := filepath.Join(dir, "PC-"+strings.ToUpper(arg[3:])+".json")
	if _, err := os.Stat(file); err != nil {
		return "", errInput{fmt.Errorf("%s: no counterexample file for %s in %s ('patchcheck check' writes it there; -o DIR to look elsewhere)", file, arg, dir)}
	}
	return file, nil
}

// loadCex reads and replays a counterexample file. A schedule that no
// longer runs is a *notReproduced error (c is then set).
func loadCex(file string) (c, replayed *cex.Counterexample, same bool, err error) {
	b, err := readInput(file)
	if err != nil {
		return nil, nil, false, errInput{err}
	}
	c, err = cex.ReadFile(file)
	if err != nil {
		return nil, nil, false, errInput{err}
	}
	if err := c.Scenario.Validate(); err != nil {
		line, col := jsonKeyPos(b, "scenario")
		return nil, nil, false, errInput{fmt.Errorf("%s:%d:%d: %v", file, line, col, err)}
	}
	r, same, err := check.Replay(c)
	var se *check.ScheduleError
	switch {
	case errors.As(err, &se):
		line, col := schedulePos(b, se.Step)
		return c, nil, false, &notReproduced{fmt.Errorf("%s:%d:%d: %v", file, line, col, se.Err)}
	case err != nil:
		return nil, nil, false, errInput{fmt.Errorf("%s: %v", file, err)}
	}
	return c, r, same, nil
}

// notReproduced is a counterexample whose schedule no longer runs.
type notReproduced struct{ error }

// jsonKeyPos returns the line and column of key in the top-level object
// of the JSON text b (1:1 if it is not there).
func jsonKeyPos(b []byte, key string) (int, int) {
	line, col, _ := scanTopLevel(b, key, -1)
	return line, col
}

// schedulePos returns the line and column of the step-th (1-based)
// element of b's top-level "schedule" array, or of the key itself for
// step 0 or past the end.
func schedulePos(b []byte, step int) (int, int) {
	line, col, _ := scanTopLevel(b, "schedule", step)
	return line, col
}

// scanTopLevel finds key in the top-level object of b and, for elem >= 1,
// the elem-th element of its array value.
func scanTopLevel(b []byte, key string, elem int) (int, int, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return 1, 1, false
	}
	skip := func(off int64) int64 {
		for off < int64(len(b)) && strings.IndexByte(" \t\r\n,:", b[off]) >= 0 {
			off++
		}
		return off
	}
	for dec.More() {
		at := skip(dec.InputOffset())
		k, err := dec.Token()
		if err != nil {
			return 1, 1, false
		}
		if k != key {
			var raw json.RawMessage
			if dec.Decode(&raw) != nil {
				return 1, 1, false
			}
			continue
		}
		keyLine, keyCol := offsetPos(b, at)
		if elem < 1 {
			return keyLine, keyCol, true
		}
		if t, err := dec.Token(); err != nil || t != json.Delim('[') {
			return keyLine, keyCol, true
		}
		for i := 1; dec.More(); i++ {
			off := skip(dec.InputOffset())
			if i == elem {
				l, c := offsetPos(b, off)
				return l, c, true
			}
			var raw json.RawMessage
			if dec.Decode(&raw) != nil {
				break
			}
		}
		return keyLine, keyCol, true
	}
	return 1, 1, false
}

// offsetPos returns the 1-based line and column (in runes) of byte off.
func offsetPos(b []byte, off int64) (int, int) {
	before := b[:min(off, int64(len(b)))]
	line := 1 + bytes.Count(before, []byte("\n"))
	return line, 1 + utf8.RuneCount(before[bytes.LastIndexByte(before, '\n')+1:])
}

// explainCmd is 'patchcheck explain ID|FILE': the counterexample in prose.
func explainCmd(args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("explain", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("o", "patchcheck-cex", "directory of the counterexample files, for an ID")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: patchcheck explain ID|FILE [-o DIR]\n\nTells a counterexample in prose, step by step. An ID is looked up as DIR/ID.json.")
		fs.PrintDefaults()
	}
	pos, err := parseArgs(fs, args, stdout)
	if err != nil {
		return 2, errInput{err}
	}
	if len(pos) != 1 {
		return 2, errInput{errors.New("explain takes one counterexample: an ID (PC-...) or a file")}
	}
	file, err := cexFile(pos[0], *dir)
	if err != nil {
		return 2, err
	}
	c, r, same, err := loadCex(file)
	var nr *notReproduced
	if errors.As(err, &nr) {
		fmt.Fprintf(stdout, "NOT REPRODUCED: %v\nthe file records %s (%s): %s\n", nr, c.ID, c.Property, c.Message)
		return exitViolation, nil
	}
	if err != nil {
		return 2, err
	}
	fmt.Fprint(stdout, render.Explain(r))
	if !same {
		fmt.Fprintf(stdout, "\nNOT REPRODUCED: this is what replaying %s gives today; the file records %s (%s): %s\n", file, c.ID, c.Property, c.Message)
		return 1, nil
	}
	return 0, nil
}

// writePictures writes the picture (svgOut) and the HTML page (htmlOut)
// of a replayed counterexample; an empty name writes nothing.
func writePictures(r *cex.Counterexample, file, svgOut, htmlOut string) error {
	if svgOut != "" {
		if err := os.WriteFile(svgOut, render.SVG(r), 0o644); err != nil {
			return err
		}
	}
	if htmlOut != "" {
		if err := os.WriteFile(htmlOut, render.HTML(r, "patchcheck replay "+file), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// galleryCmd is 'patchcheck gallery [-o DIR]'.
func galleryCmd(args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("gallery", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("o", "docs/gallery", "directory to write the gallery into")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: patchcheck gallery [-o DIR]\n\nWrites a page for every built-in scenario expected to fail (docs/reviewing.md).")
		fs.PrintDefaults()
	}
	pos, err := parseArgs(fs, args, stdout)
	if err != nil {
		return 2, errInput{err}
	}
	if len(pos) != 0 {
		return 2, errInput{errors.New("gallery takes no arguments (-o DIR for the directory)")}
	}
	start := time.Now()
	files, err := render.Gallery(render.GalleryOptions{Dir: filepath.ToSlash(*dir)})
	if err != nil {
		return 1, err
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return 2, err
	}
	keep := map[string]bool{}
	written := 0
	for _, f := range files {
		keep[f.Name] = true
		p := filepath.Join(*dir, f.Name)
		if old, err := os.ReadFile(p); err == nil && bytes.Equal(old, f.Data) {
			continue
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			return 2, err
		}
		written++
	}
	// Files of an earlier gallery that this one no longer has.
	ents, err := os.ReadDir(*dir)
	if err != nil {
		return 2, err
	}
	var removed []string
	for _, e := range ents {
		if keep[e.Name()] || !e.Type().IsRegular() {
			continue
		}
		p := filepath.Join(*dir, e.Name())
		if data, err := os.ReadFile(p); err == nil && render.IsGenerated(e.Name(), data) {
			if err := os.Remove(p); err != nil {
				return 2, err
			}
			removed = append(removed, e.Name())
		}
	}
	sort.Strings(removed)
	for _, n := range removed {
		fmt.Fprintf(stdout, "removed %s (no longer generated)\n", filepath.Join(*dir, n))
	}
	fmt.Fprintf(stdout, "gallery: %d files in %s (%d changed, %d removed); %.1f s\n", len(files), *dir, written, len(removed), time.Since(start).Seconds())
	return 0, nil
}

// statementFlag adds check's -statement flag.
func statementFlag(fs *flag.FlagSet) *bool {
	return fs.Bool("statement", false, "after a SAFE result, print the verified statement to cite (docs/reviewing.md)")
}

// statementConflicts rejects -statement with flags it cannot serve.
func statementConflicts(on bool, f checkFlags) error {
	switch {
	case !on:
		return nil
	case f.all:
		return errInput{errors.New("-statement takes one scenario, not -all")}
	case f.json:
		return errInput{errors.New("-statement prints text; it does not mix with -json")}
	}
	return nil
}

// withStatement reports r, then, with -statement, the verified
// statement of a SAFE result (or why there is none).
func withStatement(on bool, arg string, r *check.Result, f checkFlags, b *budget.Budget, wall time.Duration, w, stderr io.Writer) (int, error) {
	code, err := report(r, f, b, wall, w, stderr)
	if err != nil || !on {
		return code, err
	}
	st, err := render.NewStatement(r, f.opt)
	if err != nil {
		if errors.Is(err, render.ErrNotVerified) {
			fmt.Fprintf(w, "\nno verified statement: %v\n", err)
			return code, nil
		}
		return code, err
	}
	scn, err := selfContained(arg, r.Scenario, st.ID, f)
	if err != nil {
		return 2, err
	}
	st.Reproduce = "patchcheck check " + scn + reproduceFlags(f) + " -statement"
	fmt.Fprint(w, "\n"+st.Text())
	return code, nil
}

// selfContained returns what a statement's Reproduce command checks: a
// built-in scenario by name; any other (a file, or model files and diffs
// from -kernel and -patch) as a scenario file written into the -o
// directory, named by the statement's ID, that carries its model texts
// inline and no local path.
func selfContained(arg string, sc *scenario.Scenario, id string, f checkFlags) (string, error) {
	if _, ok, _ := catalog.Lookup(arg, check.ParseOptions()); ok && len(f.model) == 0 {
		return arg, nil
	}
	if err := os.MkdirAll(f.outDir, 0o755); err != nil {
		return "", err
	}
	file := filepath.Join(f.outDir, id+".scn")
	return file, os.WriteFile(file, scenario.Format(sc), 0o644)
}

// reproduceFlags are the flags of f that a statement's result depends on.
func reproduceFlags(f checkFlags) string {
	var s []string
	if f.opt.Search != "" && f.opt.Search != model.BFS {
		s = append(s, "-search "+f.opt.Search)
	}
	if f.opt.MaxDepth != 0 {
		s = append(s, fmt.Sprintf("-depth %d", f.opt.MaxDepth))
	}
	if f.opt.MaxStates != 0 {
		s = append(s, fmt.Sprintf("-states %d", f.opt.MaxStates))
	}
	if f.opt.Exact {
		s = append(s, "-exact")
	}
	switch {
	case f.opt.Reduce:
		s = append(s, "-reduce")
	case f.opt.NoReduce:
		s = append(s, "-reduce=false")
	}
	switch {
	case f.opt.Symmetry:
		s = append(s, "-symmetry")
	case f.opt.NoSymmetry:
		s = append(s, "-symmetry=false")
	}
	if f.props != "" {
		s = append(s, "-props "+f.props)
	}
	if len(s) == 0 {
		return ""
	}
	return " " + strings.Join(s, " ")
}
