// Package render draws patchcheck's results for reviewers: a
// counterexample as an SVG timeline (and an HTML page with the picture and
// the mail text), a counterexample in prose (Explain), a citeable
// statement for a verified (SAFE) result, and the gallery of the built-in
// catalogue's counterexamples.
//
// Everything here is derived from a counterexample's trace (the typed
// events and window contents of each step; never its text) and is
// deterministic: the same input gives the same bytes.
package render

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/patchcheck/patchcheck/cex"
	"github.com/patchcheck/patchcheck/model"
	"github.com/patchcheck/patchcheck/props"
)

// trace is a counterexample's trace, analysed for drawing and explaining.
type trace struct {
	c     *cex.Counterexample
	steps []model.TraceStep
	// lanes are the actors: CPUs first (cpu0, cpu1, ...), then the
	// threads in order of first appearance.
	lanes  []string
	laneOf map[string]int
	// wins are the windows' names, in the order of the first step, and
	// winAddr their addresses.
	wins    []string
	winAddr []uint64
	// bytes[i][w] and stale[i][w] are window w after step i; nil bytes
	// when the step does not describe the window.
	bytes [][][]byte
	stale [][][]int
	// pending[i][w] counts window w's writes not yet coherent with
	// instruction fetch after step i.
	pending [][]int
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
				t.winAddr = append(t.winAddr, w.Addr)
			}
		}
	}
	cur := map[int][]int{} // cpu -> per window stale-since
	for i, st := range t.steps {
		bs := make([][]byte, len(t.wins))
		ss := make([][]int, len(t.wins))
		pend := make([]int, len(t.wins))
		for _, w := range st.Windows {
			k := winOf[w.Name]
			bs[k] = []byte(w.Bytes)
			ss[k] = slices.Sorted(slices.Values(w.Stale))
			pend[k] = w.Pending
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
		t.pending = append(t.pending, pend)
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

// has reports whether step i has an event of kind.
func (t *trace) has(i int, kind model.TraceKind) bool { return t.event(i, kind) != nil }

// event returns step i's first event of kind, or nil.
func (t *trace) event(i int, kind model.TraceKind) *model.TraceEvent {
	if i < 0 || i >= len(t.steps) {
		return nil
	}
	evs := t.steps[i].Events
	for j := range evs {
		if evs[j].Kind == kind {
			return &evs[j]
		}
	}
	return nil
}

// staleFetch reports whether step i fetched bytes of older contents.
func (t *trace) staleFetch(i int) bool {
	f := t.event(i, model.TrFetch)
	return f != nil && len(f.Stale) > 0
}

// syncs reports whether cpu context-synchronised in step i: it took the
// IPI, ran a context-synchronising instruction or exception return, or
// was stopped and ran isb (stop_machine).
func (t *trace) syncs(i, cpu int) bool {
	if i < 0 || i >= len(t.steps) {
		return false
	}
	own := t.steps[i].Actor == cpuName(cpu)
	for _, e := range t.steps[i].Events {
		switch {
		case own && (e.Kind == model.TrIPI || e.Kind == model.TrSync):
			return true
		case e.Kind == model.TrWrite && e.Mode == model.WriteStopMachine:
			return true
		}
	}
	return false
}

// winAt returns the window that holds addr and addr's offset in it, or
// -1.
func (t *trace) winAt(i int, addr uint64) (int, int) {
	for k, base := range t.winAddr {
		if bs := t.bytesAt(i, k); addr >= base && addr < base+uint64(max(len(bs), 1)) {
			return k, int(addr - base)
		}
	}
	return -1, 0
}

// bytesAt returns window k's bytes after step i (nil when not described).
func (t *trace) bytesAt(i, k int) []byte {
	if i < 0 || i >= len(t.bytes) {
		return nil
	}
	return t.bytes[i][k]
}

// firstLine returns the first line of text of step i, or "".
func (t *trace) firstLine(i int) string {
	for _, e := range t.steps[i].Events {
		if ls := e.Lines(); len(ls) > 0 {
			return strings.TrimSpace(ls[0])
		}
	}
	return ""
}

// bare renders e without its function: the text after "FN: ".
func bare(e *model.TraceEvent) []string {
	c := *e
	c.Fn = ""
	ls := c.Lines()
	if e.Kind == model.TrNote && e.Fn != "" && len(ls) > 0 {
		ls[0] = strings.TrimPrefix(ls[0], e.Fn+": ")
	}
	return ls
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

// protocolOf returns the protocol the scenario checks (cex.Protocol: the
// variant, or the user's diff, model files or sketch) and its fetch
// assumption, with the defaults spelled out.
func protocolOf(c *cex.Counterexample) (protocol, fetch string) {
	_, fetch = variantOf(c)
	return cex.Protocol(c.Scenario), fetch
}
