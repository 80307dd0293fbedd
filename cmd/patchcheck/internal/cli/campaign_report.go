package cli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/patchcheck/patchcheck/cex"
	"github.com/patchcheck/patchcheck/check"
	"github.com/patchcheck/patchcheck/gen"
	"github.com/patchcheck/patchcheck/scenario"
)

// Environment variables that set -shard when it is not given: a batch
// system's index of this task, and the number of shards.
const (
	// envShardIndex is the index Kubernetes gives each pod of an Indexed
	// Job (completionMode: Indexed): 0 to completions-1.
	envShardIndex = "JOB_COMPLETION_INDEX"
	// envShards is the number of shards, the Job's completions: set it
	// in the pod template (Kubernetes has no variable of its own).
	envShards = "PATCHCHECK_SHARDS"
)

// shardFromEnv returns the -shard that the environment gives ("" when
// JOB_COMPLETION_INDEX is not set).
func shardFromEnv(getenv func(string) string) (string, error) {
	i := getenv(envShardIndex)
	if i == "" {
		return "", nil
	}
	n := getenv(envShards)
	if n == "" {
		return "", fmt.Errorf("%s=%s but %s is not set: set it to the number of shards (the Job's completions), or give -shard i/n", envShardIndex, i, envShards)
	}
	s := i + "/" + n
	if _, _, err := parseShard(s); err != nil {
		return "", fmt.Errorf("%s=%q, %s=%q: want 0 <= index < shards", envShardIndex, i, envShards, n)
	}
	return s, nil
}

const mergeUsage = `usage: patchcheck campaign merge -out DIR SHARDDIR...

Merges the shard directories of one campaign (the same seed, parameters and
shard count; each shard at most once) into DIR: every counterexample file
(PC-<ID>.json and .txt, each once) and DIR/merged.json, the campaign's
figures summed over the shards, with the shards present and missing.
Merging again updates DIR. patchcheck campaign report reads DIR.

Exit status: 0 merged, 2 bad input (a shard directory that is not one, or
of another campaign).
`

// mergedState is DIR/merged.json.
type mergedState struct {
	Generator string   `json:"generator"`
	Model     string   `json:"model"`
	Arch      string   `json:"arch"`
	Seed      uint64   `json:"seed"`
	Shards    int      `json:"shards"`
	Variants  []string `json:"variants"`
	Lifecycle string   `json:"lifecycle"`
	Features  []string `json:"features,omitempty"`
	Fetch     string   `json:"fetch"`
	Mode      string   `json:"mode"`
	States    int      `json:"states"`
	Walks     int      `json:"walks"`

	Present     []mergedShard            `json:"present"`
	Missing     []int                    `json:"missing,omitempty"`
	Scenarios   int64                    `json:"scenarios"`
	TotalStates int64                    `json:"total_states"`
	Bounded     int64                    `json:"bounded"`
	Violations  int64                    `json:"violations"`
	IDs         []string                 `json:"ids"`
	KernelIDs   []string                 `json:"kernel_ids,omitempty"`
	Elapsed     float64                  `json:"elapsed_seconds"` // summed over the shards
	Omission    float64                  `json:"omission_probability"`
	PerVariant  map[string]*variantStats `json:"per_variant"`
}

type mergedShard struct {
	Dir       string `json:"dir"`
	Shard     int    `json:"shard"`
	Next      uint64 `json:"next"`
	Scenarios int64  `json:"scenarios"`
}

func campaignMerge(args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlagSet("campaign merge", mergeUsage, stderr)
	out := fs.String("out", "", "directory of the merged campaign")
	dirs, err := parseArgs(fs, args, stdout)
	if err != nil {
		return exitInput, errInput{err}
	}
	if *out == "" || len(dirs) == 0 {
		return exitInput, errInput{errors.New("campaign merge: want -out DIR and at least one shard directory")}
	}
	if _, err := os.Stat(filepath.Join(*out, "campaign.json")); err == nil {
		return exitInput, errInput{fmt.Errorf("-out %s holds a campaign shard (campaign.json): merge into another directory", *out)}
	}
	var m *mergedState
	seen := map[int]string{}
	ids := map[string]bool{}
	kernelIDs := map[string]bool{}
	for _, dir := range dirs {
		file := filepath.Join(dir, "campaign.json")
		st, err := readState(file)
		if err != nil {
			return exitInput, errInput{err}
		}
		if st == nil {
			return exitInput, errInput{fmt.Errorf("%s: no campaign.json: not a campaign directory", dir)}
		}
		if m == nil {
			m = &mergedState{Generator: st.Generator, Model: st.Model, Arch: st.Arch, Seed: st.Seed, Shards: st.Shards,
				Variants: st.Variants, Lifecycle: st.Lifecycle, Features: st.Features, Fetch: st.Fetch, Mode: st.Mode,
				States: st.States, Walks: st.Walks, PerVariant: map[string]*variantStats{}}
		}
		var diff []string
		for _, d := range []struct {
			name string
			same bool
		}{
			{"generator", st.Generator == m.Generator}, {"model", st.Model == m.Model}, {"arch", st.Arch == m.Arch},
			{"seed", st.Seed == m.Seed}, {"shards", st.Shards == m.Shards}, {"variants", slices.Equal(st.Variants, m.Variants)},
			{"lifecycle", st.Lifecycle == m.Lifecycle}, {"features", slices.Equal(st.Features, m.Features)},
			{"fetch", st.Fetch == m.Fetch}, {"mode", st.Mode == m.Mode}, {"states", st.States == m.States}, {"walks", st.Walks == m.Walks},
		} {
			if !d.same {
				diff = append(diff, d.name)
			}
		}
		if len(diff) > 0 {
			return exitInput, errInput{fmt.Errorf("%s:1:1: another campaign than %s (%s differ)", file, filepath.Join(dirs[0], "campaign.json"), strings.Join(diff, ", "))}
		}
		if prev, ok := seen[st.Shard]; ok {
			return exitInput, errInput{fmt.Errorf("%s:1:1: shard %d/%d again (also in %s)", file, st.Shard, st.Shards, prev)}
		}
		seen[st.Shard] = dir
		m.Present = append(m.Present, mergedShard{Dir: dir, Shard: st.Shard, Next: st.Next, Scenarios: st.Scenarios})
		m.Scenarios += st.Scenarios
		m.TotalStates += st.TotalStates
		m.Bounded += st.Bounded
		m.Violations += st.Violations
		m.Elapsed += st.Elapsed
		m.Omission += st.Omission
		for _, id := range st.IDs {
			ids[id] = true
		}
		for _, id := range st.KernelIDs {
			kernelIDs[id] = true
		}
		for name, v := range st.PerVariant {
			mv := m.PerVariant[name]
			if mv == nil {
				mv = &variantStats{FirstIndex: -1}
				m.PerVariant[name] = mv
			}
			mv.Scenarios += v.Scenarios
			mv.Violations += v.Violations
			if v.FirstIndex >= 0 && (mv.FirstIndex < 0 || v.FirstIndex < mv.FirstIndex) {
				mv.FirstIndex, mv.FirstID, mv.FirstProperty = v.FirstIndex, v.FirstID, v.FirstProperty
				mv.FirstSeconds, mv.FirstScenarios = v.FirstSeconds, v.FirstScenarios
			}
		}
	}
	for i := range m.Shards {
		if _, ok := seen[i]; !ok {
			m.Missing = append(m.Missing, i)
		}
	}
	slices.SortFunc(m.Present, func(a, b mergedShard) int { return a.Shard - b.Shard })
	m.IDs = sortedKeys(ids)
	m.KernelIDs = sortedKeys(kernelIDs)
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return exitInput, errInput{err}
	}
	copied := 0
	for _, dir := range dirs {
		files, err := filepath.Glob(filepath.Join(dir, "PC-*"))
		if err != nil {
			return exitInput, err
		}
		for _, file := range files {
			if ext := filepath.Ext(file); ext != ".json" && ext != ".txt" {
				continue
			}
			dst := filepath.Join(*out, filepath.Base(file))
			if _, err := os.Stat(dst); err == nil {
				continue
			}
			b, err := os.ReadFile(file)
			if err != nil {
				return exitInput, err
			}
			if err := writeAtomic(dst, b); err != nil {
				return exitInput, err
			}
			copied++
		}
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return exitInput, err
	}
	if err := writeAtomic(filepath.Join(*out, "merged.json"), append(b, '\n')); err != nil {
		return exitInput, err
	}
	fmt.Fprintf(stdout, "patchcheck campaign merge: seed %d, %d of %d shards", m.Seed, len(m.Present), m.Shards)
	if len(m.Missing) > 0 {
		fmt.Fprintf(stdout, " (missing: %s)", joinInts(m.Missing))
	}
	fmt.Fprintf(stdout, "; %d scenarios, %d violations, %d unique counterexamples (%d files copied) in %s\n",
		m.Scenarios, m.Violations, len(m.IDs), copied, *out)
	fmt.Fprintf(stdout, "report: patchcheck campaign report %s\n", *out)
	return exitOK, nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ",")
}

const reportUsage = `usage: patchcheck campaign report [-html FILE] [-scenarios DIR] CAMPAIGNDIR...

Buckets the counterexamples (PC-<ID>.json) of campaign directories (shard
directories, or one that campaign merge wrote) by architecture, variant,
property and title, as syzkaller buckets crashes: the title is the
violation's message with the numbers and instruction bytes taken out
("cpuN executes <bytes> at sN+N: never the instruction there (torn)").
Each bucket gets a count of distinct counterexamples and its shortest
one (the fewest steps; the smallest ID on a tie), as a text table on
stdout and, with -html, an HTML page.

-scenarios DIR writes the scenario of each bucket's shortest
counterexample as DIR/<bucket>.scn, expecting its violation, with the
counterexample beside it as DIR/<bucket>.json: a regression test that go
test replays with pctest.CheckFile (or patchcheck check -all's way:
patchcheck check DIR/<bucket>.scn), and patchcheck replay reproduces.

Exit status: 0 reported, 2 bad input (a directory without counterexamples
is no error; a damaged counterexample file is, with FILE:LINE:COL).
`

// bucket is one (arch, variant, property, title) class of
// counterexamples.
type bucket struct {
	Arch, Variant, Property, Title string
	Count                          int
	Shortest                       *cex.Counterexample
	File                           string // the shortest's file
	Steps                          int
	Name                           string // a file name for it
}

// titleRules take from a violation's message what differs between
// counterexamples of one bug: instruction bytes, hex values, numbers.
var titleRules = []struct {
	re  *regexp.Regexp
	new string
}{
	{regexp.MustCompile(`\b[0-9a-f]{2}(?: [0-9a-f]{2})+\b`), "<bytes>"},
	{regexp.MustCompile(`\b0x[0-9a-fA-F]+\b`), "<hex>"},
	{regexp.MustCompile(`[0-9]+`), "N"},
}

// titleWords are words with digits that name a thing, not an instance:
// kept as they are.
var titleWords = regexp.MustCompile(`\b(return0|int3|ud[0-9])\b`)

// Title is the bucket title of a violation's message.
func Title(msg string) string {
	var kept []string
	msg = titleWords.ReplaceAllStringFunc(msg, func(w string) string {
		kept = append(kept, w)
		return "\x00"
	})
	for _, r := range titleRules {
		msg = r.re.ReplaceAllString(msg, r.new)
	}
	for _, w := range kept {
		msg = strings.Replace(msg, "\x00", w, 1)
	}
	return msg
}

func campaignReport(args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlagSet("campaign report", reportUsage, stderr)
	htmlFile := fs.String("html", "", "also write the report as an HTML page to FILE")
	scnDir := fs.String("scenarios", "", "write each bucket's shortest counterexample as DIR/<bucket>.scn and .json")
	dirs, err := parseArgs(fs, args, stdout)
	if err != nil {
		return exitInput, errInput{err}
	}
	if len(dirs) == 0 {
		return exitInput, errInput{errors.New("campaign report: want at least one campaign directory")}
	}
	buckets := map[[4]string]*bucket{}
	seen := map[string]bool{}
	total := 0
	for _, dir := range dirs {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return exitInput, errInput{fmt.Errorf("%s: not a directory", dir)}
		}
		files, err := filepath.Glob(filepath.Join(dir, "PC-*.json"))
		if err != nil {
			return exitInput, err
		}
		slices.Sort(files)
		for _, file := range files {
			c, err := cex.ReadFile(file)
			if err != nil {
				return exitInput, errInput{err}
			}
			if seen[c.ID] {
				continue
			}
			seen[c.ID] = true
			total++
			sc, err := check.Normalize(c.Scenario)
			if err != nil {
				return exitInput, errInput{fmt.Errorf("%s:1:1: %v", file, err)}
			}
			key := [4]string{sc.Arch, sc.Variant, c.Property, Title(c.Message)}
			b := buckets[key]
			if b == nil {
				b = &bucket{Arch: key[0], Variant: key[1], Property: key[2], Title: key[3]}
				buckets[key] = b
			}
			b.Count++
			if n := len(c.Trace); b.Shortest == nil || n < b.Steps || n == b.Steps && c.ID < b.Shortest.ID {
				b.Shortest, b.File, b.Steps = c, file, n
			}
		}
	}
	list := make([]*bucket, 0, len(buckets))
	for _, b := range buckets {
		list = append(list, b)
	}
	slices.SortFunc(list, func(a, b *bucket) int {
		for _, c := range [][2]string{{a.Arch, b.Arch}, {a.Variant, b.Variant}, {a.Property, b.Property}, {a.Title, b.Title}} {
			if c[0] != c[1] {
				return strings.Compare(c[0], c[1])
			}
		}
		return 0
	})
	names := map[string]int{}
	for _, b := range list {
		name := b.Arch + "-" + b.Variant + "-" + b.Property
		names[name]++
		b.Name = fmt.Sprintf("%s-%d", name, names[name])
	}
	fmt.Fprintf(stdout, "patchcheck campaign report: %d counterexamples in %d buckets (architecture, variant, property, title)\n\n", total, len(list))
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ARCH\tVARIANT\tPROPERTY\tCOUNT\tSTEPS\tSHORTEST\tTITLE")
	for _, b := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%s\n", b.Arch, b.Variant, b.Property, b.Count, b.Steps, b.Shortest.ID, b.Title)
	}
	tw.Flush()
	if len(list) > 0 {
		fmt.Fprintln(stdout, "\nreplay a bucket's shortest: patchcheck replay FILE")
		for _, b := range list {
			fmt.Fprintf(stdout, "  %s: %s\n", b.Name, b.File)
		}
	}
	if *scnDir != "" {
		if err := writeBucketScenarios(*scnDir, list); err != nil {
			return exitInput, err
		}
		fmt.Fprintf(stdout, "\n%d scenario files in %s (pctest.CheckFile, or patchcheck check FILE)\n", len(list), *scnDir)
	}
	if *htmlFile != "" {
		if err := writeReportHTML(*htmlFile, dirs, total, list); err != nil {
			return exitInput, err
		}
		fmt.Fprintf(stdout, "\nHTML report: %s\n", *htmlFile)
	}
	return exitOK, nil
}

// writeBucketScenarios writes each bucket's shortest counterexample's
// scenario, expecting its violation, and the counterexample beside it.
func writeBucketScenarios(dir string, list []*bucket) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, b := range list {
		c := b.Shortest
		sc := *c.Scenario
		sc.Name = b.Name
		sc.Doc = ""
		sc.Expect = scenario.Expect{Verdict: "violation", Property: c.Property}
		head := fmt.Sprintf("# campaign finding %s (%d steps), bucket %s/%s/%s:\n#   %s\n# %d counterexamples in the bucket. patchcheck replay %s.json reproduces it;\n# this file expects the violation (a regression test: pctest.CheckFile).\n# Found by the %s generator", c.ID, b.Steps, b.Arch, b.Variant, b.Property, b.Title, b.Count, b.Name, gen.Version)
		text := strings.Replace(string(scenario.Format(&sc)), "# patchcheck scenario\n", "# patchcheck scenario\n"+head+".\n", 1)
		if err := writeAtomic(filepath.Join(dir, b.Name+".scn"), []byte(text)); err != nil {
			return err
		}
		j, err := json.MarshalIndent(c, "", "  ")
		if err != nil {
			return err
		}
		if err := writeAtomic(filepath.Join(dir, b.Name+".json"), append(j, '\n')); err != nil {
			return err
		}
	}
	return nil
}

var reportPage = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>patchcheck campaign report</title>
<style>
body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#eee}td.n{text-align:right}pre{font-size:90%;margin:.3em 0}
</style></head><body>
<h1>patchcheck campaign report</h1>
<p>{{.Total}} counterexamples in {{len .Buckets}} buckets, keyed by architecture, variant, property and title, from {{range $i, $d := .Dirs}}{{if $i}}, {{end}}<code>{{$d}}</code>{{end}}.</p>
<table>
<tr><th>architecture</th><th>variant</th><th>property</th><th>title</th><th>count</th><th>shortest</th></tr>
{{range .Buckets}}<tr id="{{.Name}}"><td>{{.Arch}}</td><td>{{.Variant}}</td><td>{{.Property}}</td><td>{{.Title}}</td><td class="n">{{.Count}}</td>
<td><details><summary>{{.Shortest.ID}}, {{.Steps}} steps</summary><pre>{{.Text}}</pre></details></td></tr>
{{end}}</table>
</body></html>
`))

func writeReportHTML(file string, dirs []string, total int, list []*bucket) error {
	type row struct {
		*bucket
		Text string
	}
	var rows []row
	for _, b := range list {
		rows = append(rows, row{b, b.Shortest.Text("patchcheck replay " + b.File)})
	}
	var sb strings.Builder
	if err := reportPage.Execute(&sb, map[string]any{"Total": total, "Buckets": rows, "Dirs": dirs}); err != nil {
		return err
	}
	if dir := filepath.Dir(file); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	return writeAtomic(file, []byte(sb.String()))
}

// campaignSub runs 'campaign merge' and 'campaign report'; ok is false
// for a campaign run.
func campaignSub(args []string, stdout, stderr io.Writer) (code int, ok bool, err error) {
	if len(args) == 0 {
		return 0, false, nil
	}
	switch args[0] {
	case "merge":
		code, err = campaignMerge(args[1:], stdout, stderr)
	case "report":
		code, err = campaignReport(args[1:], stdout, stderr)
	default:
		return 0, false, nil
	}
	if errors.Is(err, flag.ErrHelp) {
		return exitOK, true, err
	}
	return code, true, err
}
