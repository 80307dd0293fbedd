// Package render draws patchcheck's results for reviewers: a
// counterexample as an SVG timeline (and an HTML page with the picture and
// the mail text), a counterexample in prose (Explain), a citeable
// statement for a verified (SAFE) result, and the gallery of the built-in
// catalogue's counterexamples.
//
// Everything here is derived from a counterexample's trace (the notes,
// tags and window contents of each step) and is deterministic: the same
// input gives the same bytes.
package render

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"patchcheck/cex"
	"patchcheck/model"
	"patchcheck/props"
)

// trace is a counterexample's trace, analysed for drawing and explaining.
type trace struct {
	c     *cex.Counterexample
	steps []model.TraceStep
	// lanes are the actors: CPUs first (cpu0, cpu1, ...), then the
	// threads in order of first appearance.
	lanes  []string
	laneOf map[string]int
	// wins are the windows' names, in the order of the first step.
	wins []string
	// bytes[i][w] and stale[i][w] are window w after step i; nil bytes
	// when the step does not describe the window.
	bytes [][][]byte
	stale [][][]int
	// changed[i] lists the windows whose bytes step i changed.
	changed [][]int
	// staleSince[i][cpu][w] is the step (0-based) since which cpu may
	// fetch older contents of window w, as of step i; -1 when it may not.
	staleSince []map[int][]int
}

// cpuNum returns N for an actor named cpuN.
func cpuNum(actor string) (int, bool) {
	if !strings.HasPrefix(actor, "cpu") || len(actor) == 3 {
		return 0, false
	}
	n, err := strconv.Atoi(actor[3:])
	if err != nil || n < 0 || strconv.Itoa(n) != actor[3:] {
		return 0, false
	}
	return n, true
}

func cpuName(n int) string { return "cpu" + strconv.Itoa(n) }

func analyse(c *cex.Counterexample) *trace {
	t := &trace{c: c, steps: c.Trace, laneOf: map[string]int{}}
	var cpus []int
	var threads []string
	seen := map[string]bool{}
	for _, st := range t.steps {
		if seen[st.Actor] {
			continue
		}
		seen[st.Actor] = true
		if n, ok := cpuNum(st.Actor); ok {
			cpus = append(cpus, n)
		} else {
			threads = append(threads, st.Actor)
		}
	}
	sort.Ints(cpus)
	for _, n := range cpus {
		t.lanes = append(t.lanes, cpuName(n))
	}
	t.lanes = append(t.lanes, threads...)
	for i, l := range t.lanes {
		t.laneOf[l] = i
	}
	winOf := map[string]int{}
	for _, st := range t.steps {
		for _, w := range st.Windows {
			if _, ok := winOf[w.Name]; !ok {
				winOf[w.Name] = len(t.wins)
				t.wins = append(t.wins, w.Name)
			}
		}
	}
	cur := map[int][]int{} // cpu -> per window stale-since
	for i, st := range t.steps {
		bs := make([][]byte, len(t.wins))
		ss := make([][]int, len(t.wins))
		for _, w := range st.Windows {
			k := winOf[w.Name]
			bs[k] = []byte(w.Bytes)
			ss[k] = slices.Sorted(slices.Values(w.Stale))
		}
		var ch []int
		for k := range t.wins {
			if bs[k] == nil {
				continue
			}
			if i == 0 || t.bytes[i-1][k] == nil || !bytes.Equal(t.bytes[i-1][k], bs[k]) {
				if i > 0 {
					ch = append(ch, k)
				}
			}
		}
		t.bytes = append(t.bytes, bs)
		t.stale = append(t.stale, ss)
		t.changed = append(t.changed, ch)
		next := map[int][]int{}
		for k := range t.wins {
			for _, cpu := range ss[k] {
				if next[cpu] == nil {
					next[cpu] = make([]int, len(t.wins))
					for j := range next[cpu] {
						next[cpu][j] = -1
					}
				}
				since := i
				if prev := cur[cpu]; prev != nil && prev[k] >= 0 {
					since = prev[k]
				}
				next[cpu][k] = since
			}
		}
		t.staleSince = append(t.staleSince, next)
		cur = next
	}
	return t
}

// since returns the step (0-based) since which cpu may fetch older
// contents of window w as of step i, or -1.
func (t *trace) since(i, cpu, w int) int {
	if i < 0 || i >= len(t.staleSince) {
		return -1
	}
	if s := t.staleSince[i][cpu]; s != nil {
		return s[w]
	}
	return -1
}

// staleCPUs lists the CPUs that may fetch older contents of any window
// after step i.
func (t *trace) staleCPUs(i int) []int {
	var out []int
	for cpu := range t.staleSince[i] {
		out = append(out, cpu)
	}
	sort.Ints(out)
	return out
}

// win returns the index of the window called name, or -1.
func (t *trace) win(name string) int {
	return slices.Index(t.wins, name)
}

// has reports whether step i has tag.
func (t *trace) has(i int, tag string) bool { return slices.Contains(t.steps[i].Tags, tag) }

var (
	fetchRe = regexp.MustCompile(`^fetch (\S+): ([0-9a-f]{2}(?: [0-9a-f]{2})*)(?: \(stale byte ([0-9,]+)\))?$`)
	callRe  = regexp.MustCompile(`^calls (\S+) \(key (\S+) is (\S+)\)$`)
	fnRe    = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*): (.+)$`)
	writeRe = regexp.MustCompile(`^write (\S+): ([0-9a-f]{2}(?: [0-9a-f]{2})*)$`)
)

// fetch is a step's fetch note, parsed.
type fetch struct {
	sym    string // as written: NAME or NAME+OFF
	base   string // NAME
	off    int
	insn   []byte
	stale  []int // byte indices fetched stale
	disasm string
}

// parseFetch parses step i's fetch note, if it has one.
func (t *trace) parseFetch(i int) (fetch, bool) {
	st := t.steps[i]
	for j, n := range st.Notes {
		m := fetchRe.FindStringSubmatch(n)
		if m == nil {
			continue
		}
		f := fetch{sym: m[1], base: m[1], insn: parseHex(m[2])}
		if b, off, ok := strings.Cut(m[1], "+"); ok {
			f.base = b
			f.off, _ = strconv.Atoi(off)
		}
		if m[3] != "" {
			for _, s := range strings.Split(m[3], ",") {
				k, _ := strconv.Atoi(s)
				f.stale = append(f.stale, k)
			}
		}
		if j+1 < len(st.Notes) && strings.HasPrefix(st.Notes[j+1], "  ") {
			f.disasm = strings.TrimSpace(st.Notes[j+1])
		}
		return f, true
	}
	return fetch{}, false
}

func parseHex(s string) []byte {
	var out []byte
	for _, w := range strings.Fields(s) {
		v, err := strconv.ParseUint(w, 16, 8)
		if err != nil {
			return nil
		}
		out = append(out, byte(v))
	}
	return out
}

// hexString writes b as "e8 01 02".
func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	var sb strings.Builder
	for i, x := range b {
		if i > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteByte(digits[x>>4])
		sb.WriteByte(digits[x&15])
	}
	return sb.String()
}

// headline says what failed: "PROP violated on ARCH", or for a warning
// property "warning PROP on ARCH (a kernel WARN, not a violation)".
func headline(c *cex.Counterexample) string {
	if props.IsWarning(c.Property) {
		return fmt.Sprintf("warning %s on %s (a kernel WARN, not a violation)", c.Property, c.Scenario.Arch)
	}
	return fmt.Sprintf("%s violated on %s", c.Property, c.Scenario.Arch)
}

// variantOf returns the scenario's variant and fetch assumption, with the
// defaults spelled out.
func variantOf(c *cex.Counterexample) (variant, fetch string) {
	variant, fetch = c.Scenario.Variant, c.Scenario.Fetch
	if variant == "" {
		variant = "kernel"
	}
	if fetch == "" {
		fetch = "default"
	}
	return variant, fetch
}
