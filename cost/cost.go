// Package cost measures what a static call design costs on the model's
// machine: for one call in the steady state and one call during an
// update, the instructions the CPU executes from the call site to the
// target and back, the taken and indirect branches, the loads, the traps
// and whether the call goes through a trampoline; for one update, the
// stores to text, the IPIs, the cache-maintenance operations and the
// context synchronisations it forces, with 1, 2 and 3 sites.
//
// Every figure comes from a deterministic run of the model: a scenario
// with one CPU and (for an update) one kernel thread, compiled by the
// design's port and stepped one actor at a time, its first successor
// each time. The CPUs execute the real encodings (arches/*); the only
// per-instruction knowledge cost adds is the architecture's InsnClass
// (indirect branch, data load) of each instruction executed. Nothing
// here is a table of results (docs/cost.md).
package cost

import (
	"errors"
	"fmt"
	"strings"

	"github.com/patchcheck/patchcheck/arches"
	"github.com/patchcheck/patchcheck/check"
	"github.com/patchcheck/patchcheck/model"
	"github.com/patchcheck/patchcheck/scenario"
)

// Design is what a cost depends on: the architecture and the patching
// code (variant, sketch, model texts) and the fetch assumption. Two
// scenarios with the same Design differ only in what they call and when.
type Design struct {
	// Name is "ARCH VARIANT", with " fetch=F" for a fetch assumption
	// other than the default, and " sketch:SCENARIO" or
	// " model:SCENARIO" naming the scenario whose sketch or model texts
	// the design has.
	Name    string
	Arch    string
	Variant string // normalised: "kernel" for the kernel's code
	Fetch   string // normalised: the architecture's default spelled out
	Sketch  []scenario.SketchStep
	Model   []scenario.ModelText
	// Thread names the kernel thread of the scenario the design came
	// from, so that model texts given for that thread (thread=T) apply.
	Thread string
	// StaticCalls and JumpLabels say what the design's scenarios use,
	// and so which rows Measure gives: the static call forms (Inline,
	// OutOfLine), the jump label form (Jump), or both. Neither means
	// static calls. Key ignores them.
	StaticCalls, JumpLabels bool
}

// DesignOf returns sc's design.
func DesignOf(sc *scenario.Scenario) (Design, error) {
	n, err := check.Normalize(sc)
	if err != nil {
		return Design{}, err
	}
	d := Design{Arch: n.Arch, Variant: n.Variant, Fetch: n.Fetch, Sketch: n.Sketch, Model: n.Model, Thread: "t",
		StaticCalls: len(n.Keys) > 0, JumpLabels: len(n.Jumps) > 0}
	if len(n.Threads) > 0 {
		d.Thread = n.Threads[0].Name
	}
	d.Name = n.Arch + " " + n.Variant
	if port, err := arches.Lookup(n.Arch); err == nil && n.Fetch != port.Fetches()[0] {
		d.Name += " fetch=" + n.Fetch
	}
	if len(n.Sketch) > 0 {
		d.Name += " sketch:" + sc.Name
	}
	if len(n.Model) > 0 {
		d.Name += " model:" + sc.Name
	}
	return d, nil
}

// Key identifies the design for grouping: equal keys, equal costs.
func (d Design) Key() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s|%s|%s|", d.Arch, d.Variant, d.Fetch)
	for _, s := range d.Sketch {
		b.WriteString(s.String() + ";")
	}
	for _, m := range d.Model {
		fmt.Fprintf(&b, "|%s %s %s %q", m.Kind, m.Name, m.Thread, m.Text)
	}
	return b.String()
}

// Call forms.
const (
	Inline    = "inline"      // an inline call site (kind=call), patched by the update
	OutOfLine = "out-of-line" // a call of the key's trampoline (a caller, or tramp(KEY) where the port has no callers)
	Jump      = "jump label"  // a pass through a jump label site (static_branch_unlikely), patched by static_key_enable
)

// Target placements.
const (
	Near = "near" // the target in vmlinux, in reach of a direct branch
	Far  = "far"  // the target beyond a direct branch's reach (place range=far)
)

// Call is what one call costs (for the Jump form, one pass through the
// site's function), counted from the call site (the first
// instruction that leaves the caller function; an inline site that calls
// nothing is its own whole segment) to the return into the caller.
type Call struct {
	Insns    int    // instructions fetched and executed (an INT3 that traps counts as one)
	Taken    int    // instructions after which the CPU did not go on at the next address
	Indirect int    // indirect branches (returns included)
	Loads    int    // instructions that read data memory (x86 RET pops its target)
	Traps    int    // exceptions taken (the INT3 of text_poke_bp)
	Tramp    bool   // a fetch was in the key's trampoline (__SCT__KEY)
	Path     string // the symbols the segment ran through, with instruction counts
	Reached  string // the target the call returned from, or what went wrong
	Choices  int    // fetches with more than one allowed contents (the first, oldest, was taken)
	Stopped  bool   // the call did not return: Violated stopped it (an oops, an undefined instruction)
	SiteLen  int    // bytes of the call site: the site's window, or the call instruction
	Violated string // a property the call violated, if any
}

// Update is what one update (for the Jump form, one static_key_enable)
// costs, from its kernel thread's steps.
type Update struct {
	Sites  int // sites (or callers) of the key
	Steps  int // the thread's steps
	Stores int // stores to text
	Bytes  int // bytes stored
	IPIs   int // IPIs sent (each to every CPU)
	Maint  int // explicit cache-maintenance operations (caches_clean_inval_pou)
	Syncs  int // context synchronisations forced on each CPU (IPIs, stop_machine)
	// Violated is the first property the update violated in this
	// single-CPU run, if any (a design with a bug may still be counted).
	Violated string
}

// Row is the cost of one call form and placement of a design.
type Row struct {
	Design    string
	Arch      string
	Form      string // Inline, OutOfLine or Jump
	Place     string // Near or Far
	Steady    Call
	During    Call
	Point     string // the update step the During call ran after
	TrampLen  int    // bytes of the trampoline (its literal or data word included)
	Updates   []Update
	GrowsWith string // Updates's unit: "sites" or "callers"
}

// ErrUnsupported marks a call form or placement the design's port does
// not model.
var ErrUnsupported = errors.New("not modelled by the port")

// maxSteps bounds a run: no call or update of the catalogue comes close.
const maxSteps = 10000

// spec says which scenario to build.
type spec struct {
	form, place string
	sites       int    // sites or callers of the key
	init, to    string // the key's initial target; the update's target ("" for no update)
	tramp       bool   // out-of-line through tramp(KEY): the port has no callers
}

// The Jump form's static key: its initial and final values, as init and
// to of a spec.
const (
	keyFalse = "false"
	keyTrue  = "true"
)

// build returns the scenario of s for design d.
func build(d Design, s spec) *scenario.Scenario {
	sc := &scenario.Scenario{Name: "cost", Arch: d.Arch, Variant: d.Variant, Fetch: d.Fetch,
		Sketch: d.Sketch, Model: d.Model}
	if s.form == Jump {
		// A static key and its static_branch_unlikely() sites: the
		// fall-through while the key is false, the jump while true.
		sc.StaticKeys = []scenario.StaticKey{{Name: "sk", Init: s.init == keyTrue}}
		for i := 1; i <= s.sites; i++ {
			sc.Jumps = append(sc.Jumps, scenario.Jump{Name: fmt.Sprintf("j%d", i), Key: "sk"})
		}
		sc.CPUs = []scenario.CPU{{Calls: []string{"j1"}}}
		if s.to != "" {
			sc.Threads = []scenario.Thread{{Name: d.Thread, Ops: []scenario.Op{scenario.KeyOp(scenario.OpKeyEnable, "sk")}}}
		}
		return sc
	}
	sc.Targets = []string{"f1", "f2"}
	if s.place == Far {
		sc.Places = []scenario.Place{{Target: "f2", Range: scenario.RangeFar}}
	}
	sc.Keys = []scenario.Key{{Name: "k", Init: s.init}}
	call := ""
	for i := 1; i <= s.sites; i++ {
		switch {
		case s.form == Inline:
			sc.Sites = append(sc.Sites, scenario.Site{Name: fmt.Sprintf("s%d", i), Key: "k", Kind: scenario.KindCall})
		case !s.tramp:
			sc.Callers = append(sc.Callers, scenario.Caller{Name: fmt.Sprintf("c%d", i), Key: "k"})
		}
	}
	switch {
	case s.form == Inline:
		call = "s1"
	case s.tramp:
		call = scenario.TrampCall("k")
	default:
		call = "c1"
	}
	sc.CPUs = []scenario.CPU{{Calls: []string{call}}}
	if s.to != "" {
		sc.Threads = []scenario.Thread{{Name: d.Thread, Ops: []scenario.Op{{Kind: scenario.OpUpdate, Key: "k", Target: s.to}}}}
	}
	return sc
}

// compile builds the machine of s for d, with tracing on.
func compile(d Design, s spec) (*model.Machine, error) {
	sc := build(d, s)
	if err := sc.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnsupported, err)
	}
	m, err := check.Compile(sc, nil)
	if err != nil {
		var bug *check.BugError
		if errors.As(err, &bug) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %v", ErrUnsupported, err)
	}
	m.Trace = true
	return m, nil
}

// Measure returns the rows of design d: each call form and placement its
// port models. The steady-state call is made with the key already at the
// update's target; the update retargets the key from the near target f1
// to f2 (near or far). For jump labels (d.JumpLabels), a CPU passes a
// static_branch_unlikely() site of a static key (near only), the steady
// state with the key true (the jump taken), and the update is
// static_key_enable() from false.
func Measure(d Design) ([]Row, error) {
	var rows []Row
	var forms []string
	if d.StaticCalls || !d.JumpLabels {
		forms = append(forms, Inline, OutOfLine)
	}
	if d.JumpLabels {
		forms = append(forms, Jump)
	}
	for _, form := range forms {
		for _, place := range []string{Near, Far} {
			if form == Jump && place == Far {
				continue // a jump label site jumps within its function
			}
			r, err := measureRow(d, form, place)
			if errors.Is(err, ErrUnsupported) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("%s, %s call, %s target: %w", d.Name, form, place, err)
			}
			rows = append(rows, r)
		}
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: no call form is modelled (no inline site, trampoline call or jump label site compiles)", d.Name)
	}
	return rows, nil
}

func measureRow(d Design, form, place string) (Row, error) {
	r := Row{Design: d.Name, Arch: d.Arch, Form: form, Place: place, GrowsWith: "sites"}
	base := spec{form: form, place: place, sites: 1, init: "f2"}
	if form == Jump {
		base.init = keyTrue
		r.GrowsWith = "jump sites"
	}
	if form == OutOfLine {
		r.GrowsWith = "callers"
		if _, err := compile(d, base); errors.Is(err, ErrUnsupported) {
			base.tramp = true
			r.GrowsWith = "sites"
		}
	}
	m, err := compile(d, base)
	if err != nil {
		return r, err
	}
	s := m.P.Initial()
	if r.Steady, err = runCall(m, s, 0); err != nil {
		return r, fmt.Errorf("steady state: %w", err)
	}
	r.TrampLen = trampLen(m.P, "k")
	up := base
	up.init, up.to = "f1", "f2"
	if form == Jump {
		up.init, up.to = keyFalse, keyTrue
	}
	if r.During, r.Point, err = during(d, up); err != nil {
		return r, fmt.Errorf("during an update: %w", err)
	}
	// Growth: the update with 1, 2 and 3 sites. Out-of-line designs
	// whose port has inline sites still patch them: tramp(KEY) rows
	// grow with sites, caller rows with callers.
	for n := 1; n <= 3; n++ {
		g := up
		g.sites = n
		if g.tramp {
			g.form = Inline
			if _, err := compile(d, g); err != nil {
				g.form = OutOfLine // no inline sites either: the trampoline alone
				r.GrowsWith = "sites (none modelled: trampoline only)"
			}
		}
		m, err := compile(d, g)
		if err != nil {
			return r, err
		}
		s := m.P.Initial()
		u, _, err := runUpdate(m, &s, nil)
		if err != nil {
			return r, fmt.Errorf("update with %d %s: %w", n, r.GrowsWith, err)
		}
		u.Sites = n
		r.Updates = append(r.Updates, u)
	}
	return r, nil
}

// during runs the update of s step by step. At each point from just
// after its first store to text to just before its last (the text
// between the old and the new), it starts the call on a copy of the
// state, the CPU context-synchronised first (as after an interrupt), so
// that it fetches the text exactly as the update has left it there. It
// returns the costliest of these calls (most traps, then most
// instructions, loads, indirect and taken branches; the earliest point on
// a tie) and says which point that is. An update with fewer than two
// stores has no text in between: the call after its store is returned.
func during(d Design, s spec) (Call, string, error) {
	m, err := compile(d, s)
	if err != nil {
		return Call{}, "", err
	}
	st := m.P.Initial()
	type point struct {
		call   Call
		at     string
		stores int
	}
	var pts []point
	u, _, err := runUpdate(m, &st, func(at string, cur *model.State, u Update) error {
		if u.Stores == 0 {
			return nil
		}
		c := *cur
		syncCPU(m.P, &c, 0)
		call, err := runCall(m, c, 0)
		if err != nil {
			return fmt.Errorf("%s: %w", at, err)
		}
		pts = append(pts, point{call, at, u.Stores})
		return nil
	})
	if err != nil {
		return Call{}, "", err
	}
	if len(pts) == 0 {
		return Call{}, "", errors.New("the update stores nothing to text")
	}
	if u.Stores < 2 {
		return pts[0].call, fmt.Sprintf("no text between old and new: the update stores once (%s)", pts[0].at), nil
	}
	best, n, alike := -1, 0, true
	for i, p := range pts {
		if p.stores >= u.Stores {
			break
		}
		n++
		if best >= 0 && (costlier(p.call, pts[best].call) || costlier(pts[best].call, p.call)) {
			alike = false
		}
		if best < 0 || costlier(p.call, pts[best].call) {
			best = i
		}
	}
	at := pts[best].at
	if alike {
		pl := "s"
		if n == 1 {
			pl = ""
		}
		at = fmt.Sprintf("every point between the first and the last of the %d stores alike (%d point%s)", u.Stores, n, pl)
	}
	return pts[best].call, at, nil
}

// costlier orders calls by what they cost.
func costlier(a, b Call) bool {
	ka := [5]int{a.Traps, a.Insns, a.Loads, a.Indirect, a.Taken}
	kb := [5]int{b.Traps, b.Insns, b.Loads, b.Indirect, b.Taken}
	for i := range ka {
		if ka[i] != kb[i] {
			return ka[i] > kb[i]
		}
	}
	return false
}

// syncCPU is a context synchronisation of CPU c in s (what model's
// Machine.sync does for an IPI): it fetches the current contents of
// every window from now on, or, where writes are not yet made coherent,
// the contents since the last coherent one. A pending IPI is consumed.
func syncCPU(p *model.Program, s *model.State, c int) {
	for w := range p.Windows {
		s.CPU[c].View[w] = s.Win[w].N - 1 - s.Win[w].Stale
	}
	s.CPU[c].IPI = 0
}

// runUpdate steps the program's (first) kernel thread to its end; when
// the thread waits (for an IPI to be taken), a CPU with a pending IPI
// takes it. After each thread step it calls at, if set, with the step's
// description and the state.
func runUpdate(m *model.Machine, s *model.State, at func(string, *model.State, Update) error) (Update, *model.State, error) {
	var u Update
	if len(m.P.Threads) == 0 {
		return u, s, errors.New("no kernel thread")
	}
	nc := len(m.P.CPUs)
	for i := 0; ; i++ {
		if i == maxSteps {
			return u, s, fmt.Errorf("the update runs over %d steps", maxSteps)
		}
		if s.T[0].Done != 0 {
			return u, s, nil
		}
		next, v, ok := m.Take(s, model.Step{Actor: uint8(nc)})
		if !ok {
			moved := false
			for c := 0; c < nc && !moved; c++ {
				if s.CPU[c].IPI != 0 {
					if next, _, ok := m.Take(s, model.Step{Actor: uint8(c)}); ok {
						*s, moved = next, true
					}
				}
			}
			if !moved {
				return u, s, errors.New("the update thread is blocked and no CPU has an IPI to take")
			}
			continue
		}
		if v != nil && !v.Warning && u.Violated == "" {
			u.Violated = v.Property
		}
		if err := m.Err(); err != nil {
			return u, s, err
		}
		u.Steps++
		what := ""
		for _, e := range m.TraceEvents() {
			switch e.Kind {
			case model.TrWrite:
				u.Stores++
				u.Bytes += len(e.Bytes)
				if e.Mode == model.WriteStopMachine {
					u.Syncs++
				}
			case model.TrIPISend:
				u.IPIs++
				u.Syncs++
			case model.TrCache:
				u.Maint++
			}
			if what == "" {
				if l := e.Lines(); len(l) > 0 {
					what = l[0]
					if e.Fn != "" && !strings.HasPrefix(what, e.Fn) {
						what = e.Fn + ": " + what
					}
				}
			}
		}
		*s = next
		if at != nil {
			if err := at(fmt.Sprintf("after update step %d (%s)", u.Steps, what), s, u); err != nil {
				return u, s, err
			}
		}
	}
}

// fetch is one instruction a CPU fetched.
type fetch struct {
	addr  uint64
	bytes []byte
	trap  bool
	sym   string
}

// classifier is implemented by the architectures (arches/*/cost.go).
type classifier interface {
	InsnClass(insn []byte) (indirect, load bool)
}

// runCall runs CPU c of s alone until its first call returns, each step
// the CPU's first successor, and counts the call's segment.
func runCall(m *model.Machine, s model.State, c int) (Call, error) {
	var out Call
	cls, ok := m.P.Arch.(classifier)
	if !ok {
		return out, fmt.Errorf("architecture %s does not classify instructions for cost (InsnClass)", m.P.Arch.Name())
	}
	call := m.P.CPUs[c].Calls[0]
	var fs []fetch
	done := false
	for i := 0; !done; i++ {
		if i == maxSteps {
			return out, fmt.Errorf("the call runs over %d steps", maxSteps)
		}
		_, _, more := m.Take(&s, model.Step{Actor: uint8(c), Choice: 1})
		next, v, ok := m.Take(&s, model.Step{Actor: uint8(c)})
		if !ok {
			return out, errors.New("the CPU has no step before its call returns")
		}
		if err := m.Err(); err != nil {
			return out, err
		}
		if v != nil && !v.Warning && out.Violated == "" {
			out.Violated = v.Property
		}
		for _, e := range m.TraceEvents() {
			switch e.Kind {
			case model.TrFetch:
				fs = append(fs, fetch{addr: e.Addr, bytes: e.Bytes, sym: e.Sym})
				if more {
					out.Choices++
				}
			case model.TrTrap:
				if len(fs) > 0 {
					fs[len(fs)-1].trap = true
				}
			case model.TrReturn:
				out.Reached = e.Reached()
				done = true
			}
		}
		if v != nil && !v.Warning && (v.Event.Kind == model.EvBug || v.Event.Kind == model.EvExec) {
			out.Reached = v.Property + ": " + v.Msg
			out.Violated, out.Stopped = v.Property, true
			done = true
		}
		s = next
	}
	count(m.P, cls, call, fs, &out)
	return out, nil
}

// count fills out from the fetches fs of call. A pass through a jump
// label site counts the whole function the site is in, from its entry to
// its return (the site is a branch inside it, not a call out of it).
func count(p *model.Program, cls classifier, call model.CallDef, fs []fetch, out *Call) {
	if p.Keys[call.Key].Jump {
		if w := siteWindow(p, call); w >= 0 {
			out.SiteLen = p.Windows[w].Size
		}
		if len(fs) == 0 {
			out.Path = "(nothing executed)"
			return
		}
		segment(p, cls, call, fs, 0, len(fs)-1, out)
		return
	}
	lo, hi := callerOf(p, call.Entry)
	in := func(a uint64) bool { return a >= lo && a < hi }
	next := func(i int) uint64 {
		if i+1 < len(fs) {
			return fs[i+1].addr
		}
		return p.Return
	}
	first, last := -1, -1
	for i := range fs {
		// The caller function's own return to the harness is not the
		// call site: a site that calls nothing never leaves otherwise.
		if n := next(i); in(fs[i].addr) && !in(n) && n != p.Return {
			first = i
			break
		}
	}
	if first >= 0 {
		for j := first; j < len(fs); j++ {
			last = j
			if n := next(j); in(n) || n == p.Return {
				break
			}
		}
		out.SiteLen = len(fs[first].bytes)
	} else {
		// The site calls nothing (a NOP, li r3,0, xor %eax,%eax): the
		// segment is what the CPU fetched of the key's windows.
		for i := range fs {
			if w := windowAt(p, fs[i].addr); w >= 0 && p.Windows[w].Key == call.Key {
				if first < 0 {
					first = i
				}
				last = i
			}
		}
	}
	if w := siteWindow(p, call); w >= 0 {
		out.SiteLen = p.Windows[w].Size
	}
	if first < 0 {
		out.Path = "(nothing executed)"
		return
	}
	segment(p, cls, call, fs, first, last, out)
}

// segment counts fs[first..last] into out.
func segment(p *model.Program, cls classifier, call model.CallDef, fs []fetch, first, last int, out *Call) {
	next := func(i int) uint64 {
		if i+1 < len(fs) {
			return fs[i+1].addr
		}
		return p.Return
	}
	var path []string
	runSym, runN := "", 0
	flush := func() {
		if runN > 0 {
			path = append(path, fmt.Sprintf("%s×%d", runSym, runN))
		}
	}
	tramp := "__SCT__" + p.Keys[call.Key].Name
	for i := first; i <= last; i++ {
		f := fs[i]
		out.Insns++
		if f.trap {
			out.Traps++
		}
		if next(i) != f.addr+uint64(len(f.bytes)) {
			out.Taken++
		}
		if !f.trap {
			ind, ld := cls.InsnClass(f.bytes)
			if ind {
				out.Indirect++
			}
			if ld {
				out.Loads++
			}
		}
		sym := f.sym
		if k := strings.IndexByte(sym, '+'); k >= 0 {
			sym = sym[:k]
		}
		if sym == tramp {
			out.Tramp = true
		}
		if sym != runSym {
			flush()
			runSym, runN = sym, 0
		}
		runN++
	}
	flush()
	out.Path = strings.Join(path, " ")
}

// callerOf returns the extent of the function the harness calls at
// entry: the largest symbol that holds it.
func callerOf(p *model.Program, entry uint64) (uint64, uint64) {
	lo, hi := entry, entry+1
	for _, s := range p.Symbols {
		if entry >= s.Addr && entry < s.Addr+s.Size && s.Size > hi-lo {
			lo, hi = s.Addr, s.Addr+s.Size
		}
	}
	return lo, hi
}

// windowAt returns the window that holds addr, or -1.
func windowAt(p *model.Program, addr uint64) int {
	for w, d := range p.Windows {
		if addr >= d.Base && addr < d.Base+uint64(d.Size) {
			return w
		}
	}
	return -1
}

// siteWindow returns the window of the inline site the call executes
// (in the caller function, of the call's key), or -1.
func siteWindow(p *model.Program, call model.CallDef) int {
	lo, hi := callerOf(p, call.Entry)
	for w, d := range p.Windows {
		if d.Key == call.Key && d.Base >= lo && d.Base < hi {
			return w
		}
	}
	return -1
}

// trampLen returns the bytes of key's trampoline: the symbol __SCT__KEY
// and those named __SCT__KEY.something (a literal).
func trampLen(p *model.Program, key string) int {
	n := 0
	for _, s := range p.Symbols {
		if s.Name == "__SCT__"+key || strings.HasPrefix(s.Name, "__SCT__"+key+".") {
			n += int(s.Size)
		}
	}
	return n
}
