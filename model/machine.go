package model

import (
	"bytes"

	"fmt"
	"slices"
	"unsafe"
)

// Arch is what an architecture plugs into the machine: its fetch granule,
// its instruction lengths, what its instructions and exception handlers do,
// and its text checks.
type Arch interface {
	// Name is the architecture's name, e.g. "x86-64".
	Name() string
	// Granule is the instruction fetch granule in bytes: a fetch reads each
	// aligned granule as a whole from one snapshot of memory.
	Granule() int
	// InsnLen returns the length of the instruction that b starts with:
	// the length when known, 0 when more bytes are needed to tell, or -1
	// when b starts with no instruction of the modelled subset.
	InsnLen(b []byte) int
	// Exec executes the instruction x.Insn that CPU x.C fetched at x.Addr.
	Exec(x *Exec)
	// Handler runs one step of the exception handler that CPU x.C is in.
	Handler(x *Exec)
	// Check runs the text check numbered check (such as
	// __static_call_validate) on text and returns the BUG message, or "".
	Check(check int, text []byte) string
	// Disasm renders the instruction b at addr.
	Disasm(b []byte, addr uint64, p *Program) string
}

// Step identifies one transition: the actor (CPU c is actor c, kernel
// thread t is actor len(CPUs)+t) and which of its successors was taken.
type Step struct {
	Actor  uint8
	Choice uint16
}

// Machine generates the successors of states of one Program and checks
// the properties on every transition.
type Machine struct {
	P     *Program
	Props []Property
	// Trace makes the machine describe each step it takes (slow; for
	// replay and counterexamples).
	Trace bool
	// Reduce turns on partial-order reduction (see Successors).
	Reduce bool
	// Symmetry keeps successors in canonical form: the states of CPUs
	// that run the same calls sorted (see Canonical). Schedules are then
	// relative to canonical states; Concrete turns them back.
	Symmetry bool

	next State
	// Steps confined to one CPU (confine.go): confine is set by Explore;
	// from is the state Successors expands, while it does; dirty says
	// what next differs in from from (a CPU, or dirtyAll);
	// stepCPU is the CPU whose instruction the step executes (else -1),
	// conf the CPU next differs in alone after a confined step (else
	// -1); bases[MaxCPUs] is from's accumulators, bases[c] them less
	// cpuStripes[c]'s stripes (when basesOK); stripeCPUs[k] has bit c set
	// when the packer's stripe k is in cpuStripes[c]; verify (tests)
	// checks every confined step.
	confine    bool
	from       *State
	dirty      int8
	stepCPU    int8
	conf       int8
	basesOK    bool
	verify     bool
	bases      [MaxCPUs + 1][8]uint64
	cpuStripes [MaxCPUs][]uint32
	stripeCPUs []uint8
	cpuGroups  [MaxCPUs][2]int // the packer's groups over each CPU's words, k0 to k1-1
	x          Exec            // handed to the Arch, reused
	fbuf       [maxInsn]byte   // the bytes of the fetch in progress
	granule    uint64          // P.Arch.Granule()
	ffrom      [maxInsn]int8   // the snapshot each came from, -1 if static
	static     []staticText    // the fetches of static text, by region (fetch)
	events     []Event
	// partial-order reduction
	lastLocal bool // the last execute was a local, invisible step
	alt       int  // which way the OpEither being stepped goes
	// The properties to ask about an event, for m.Props as it was
	// (propsAt, propsOf): byKind[k] about an event of kind k, but
	// byKind[evKinds] about a routine one (propsFor).
	byKind   [evKinds + 1][]Property
	propsAt  *Property
	propsOf  int
	ample    State // the successor of the ample step
	freeable []bool
	class    []int        // symmetry class of each CPU: the first CPU with the same calls
	used     [][2]uintptr // the byte ranges of State the program can make non-zero
	pk       *packer      // packs states over used (pack.go)
	copyRuns [][2]int     // the words of State that pk's groups cover, as runs: what begin copies
	trace    []TraceEvent // with Trace: the last step's events
	err      error
	// maint: some thread runs OpCacheMaint, so window contents carry
	// maintenance epochs (Window.Epoch, Window.Coh); without it they
	// stay zero and fetched and renumberEpochs have nothing to do.
	maint bool
	// coherentOrder: the Arch's writes coherent at once order later
	// instruction fetches (CoherentOrderArch); each such write to text
	// is then its own maintenance epoch (poke).
	coherentOrder bool
}

// CoherentOrderArch is implemented by an Arch on which a write made
// coherent with instruction fetch as it completes (a poke without
// PokeNoMaint) orders instruction fetches in program order, as a
// completed OpCacheMaint does: a fetch that read it is ordered after it,
// and so is every later fetch of that CPU, which can no longer read the
// contents older than the ones coherent by then (arm64 with
// CTR_EL0.DIC = 1; Machine.fetched).
type CoherentOrderArch interface {
	OrdersCoherentFetch() bool
}

// NewMachine returns a machine for p that checks props.
func NewMachine(p *Program, props []Property) *Machine {
	m := &Machine{P: p, Props: props, events: make([]Event, 0, 4), granule: uint64(p.Arch.Granule())}
	m.freeable = make([]bool, len(p.Regions))
	for r := range p.Regions {
		m.freeable[r] = p.Regions[r].Init
	}
	for _, mod := range p.Modules {
		m.freeable[mod[0]], m.freeable[mod[1]] = true, true
	}
	for _, t := range p.Threads {
		for _, op := range t.Ops {
			m.maint = m.maint || op.Code == OpCacheMaint
		}
	}
	if a, ok := p.Arch.(CoherentOrderArch); ok && a.OrdersCoherentFetch() {
		m.coherentOrder, m.maint = true, true
	}
	m.used = usedRanges(p)
	m.pk = newPacker(m.used)
	for _, g := range m.pk.groups {
		lo, hi := int(g), int(g)+groupWords
		if n := len(m.copyRuns); n > 0 && lo <= m.copyRuns[n-1][1] {
			m.copyRuns[n-1][1] = max(m.copyRuns[n-1][1], hi)
			continue
		}
		m.copyRuns = append(m.copyRuns, [2]int{lo, hi})
	}
	m.static = staticTexts(p)
	m.initConfine()
	m.class = make([]int, len(p.CPUs))
	for c := range p.CPUs {
		m.class[c] = c
		for d := 0; d < c; d++ {
			if slices.Equal(p.CPUs[d].Calls, p.CPUs[c].Calls) {
				m.class[c] = m.class[d]
				break
			}
		}
	}
	return m
}

// usedRanges returns the byte ranges of a State that p's CPUs, windows and
// threads occupy; the rest is always zero. Adjacent ranges are merged.
func usedRanges(p *Program) [][2]uintptr {
	var s State
	base := uintptr(unsafe.Pointer(&s))
	span := func(ptr unsafe.Pointer, size uintptr) [2]uintptr {
		lo := uintptr(ptr) - base
		return [2]uintptr{lo, lo + size}
	}
	rs := [][2]uintptr{
		span(unsafe.Pointer(&s.CPU), uintptr(len(p.CPUs))*unsafe.Sizeof(s.CPU[0])),
		span(unsafe.Pointer(&s.Win), uintptr(len(p.Windows))*unsafe.Sizeof(s.Win[0])),
		span(unsafe.Pointer(&s.K), unsafe.Sizeof(s.K)),
		span(unsafe.Pointer(&s.T), uintptr(len(p.Threads))*unsafe.Sizeof(s.T[0])),
		span(unsafe.Pointer(&s.Sched), unsafe.Sizeof(s.Sched)),
	}
	var out [][2]uintptr
	for _, r := range rs {
		if r[0] == r[1] {
			continue
		}
		if n := len(out); n > 0 && out[n-1][1] == r[0] {
			out[n-1][1] = r[1]
			continue
		}
		out = append(out, r)
	}
	return out
}

// Fingerprint returns the 64-bit fingerprint of s: XXH3-64 of the words
// of State that the program can make non-zero (fingerprint.go). It is
// the fingerprint the explorer stores without -exact.
func (m *Machine) Fingerprint(s *State) uint64 { return m.pk.fingerprint(s) }

// Canonical sorts the states of CPUs that run the same calls (a symmetry:
// nothing else in a state names a CPU) and returns the permutation: the
// new CPU i is the old CPU perm[i].
func (m *Machine) Canonical(s *State) [MaxCPUs]int {
	var perm [MaxCPUs]int
	for i := range perm {
		perm[i] = i
	}
	// Insertion sort of each class's states over the class's positions.
	n := len(m.P.CPUs)
	for i := 1; i < n; i++ {
		for j := i; ; {
			k := j - 1 // the previous position of the same class
			for k >= 0 && m.class[k] != m.class[j] {
				k--
			}
			if k < 0 || !cpuLess(s, j, k) {
				break
			}
			s.CPU[j], s.CPU[k] = s.CPU[k], s.CPU[j]
			// A CPU's text_poke_array_refs goes with it.
			r := &s.K.Poke.Refs
			r[j], r[k] = r[k], r[j]
			perm[j], perm[k] = perm[k], perm[j]
			j = k
		}
	}
	return perm
}

// cpuLess orders CPUs j and k of s by their states, then by their
// text_poke_array_refs (the only per-CPU kernel data).
func cpuLess(s *State, j, k int) bool {
	a, b := &s.CPU[j], &s.CPU[k]
	if c := bytes.Compare(unsafe.Slice((*byte)(unsafe.Pointer(a)), unsafe.Sizeof(*a)),
		unsafe.Slice((*byte)(unsafe.Pointer(b)), unsafe.Sizeof(*b))); c != 0 {
		return c < 0
	}
	return s.K.Poke.Refs[j] < s.K.Poke.Refs[k]
}

// Concrete turns a schedule found with Symmetry, whose steps name CPUs of
// canonical states, into a schedule of the machine's own states, and
// returns the violation its last step causes there.
func (m *Machine) Concrete(sched []Step) ([]Step, *Violation, error) {
	was, wasT := m.Symmetry, m.Trace
	m.Symmetry, m.Trace = false, false
	defer func() { m.Symmetry, m.Trace = was, wasT }()
	s := m.P.Initial()
	out := make([]Step, 0, len(sched))
	var last *Violation
	for i, st := range sched {
		c := s
		perm := m.Canonical(&c)
		cst := st
		if int(st.Actor) < len(m.P.CPUs) {
			cst.Actor = uint8(perm[st.Actor])
		}
		next, v, ok := m.Take(&s, cst)
		if !ok {
			return nil, nil, fmt.Errorf("patchcheck: symmetric schedule step %d has no concrete step", i+1)
		}
		out = append(out, cst)
		s, last = next, v
	}
	if last == nil && m.Successors(&s, func(Step, *State, *Violation) bool { return false }) == 0 {
		last = endState(m, &s) // a violation of the state at rest
	}
	return out, last, nil
}

// Err returns the first error the machine met: a bound of the model that a
// scenario exceeded. The exploration cannot be trusted after it.
func (m *Machine) Err() error { return m.err }

// TraceEvents returns the events of the last step taken with Trace set
// (valid until the next step).
func (m *Machine) TraceEvents() []TraceEvent { return m.trace }

// Actors returns the number of actors: CPUs, then kernel threads.
func (m *Machine) Actors() int { return len(m.P.CPUs) + len(m.P.Threads) }

// ActorName names an actor for traces.
func (m *Machine) ActorName(a int) string {
	if a < len(m.P.CPUs) {
		return fmt.Sprintf("cpu%d", a)
	}
	return m.P.Threads[a-len(m.P.CPUs)].Name
}

// Quiet reports whether every CPU and thread of s has finished.
func (m *Machine) Quiet(s *State) bool {
	for c := range m.P.CPUs {
		if s.CPU[c].Mode != ModeDone {
			return false
		}
	}
	for t := range m.P.Threads {
		if s.T[t].Done == 0 {
			return false
		}
	}
	return true
}

// Successors calls fn for each successor of s, in a fixed order, with the
// step taken, the next state (valid only during the call) and the violation
// the step caused, if any. It stops when fn returns false and returns how
// many successors it produced.
//
// With Reduce set, a state in which some CPU's only step is local and
// invisible gets that step alone (an ample set of one): the CPU executes
// an instruction of text that never changes and is never freed, with one
// possible fetch, and the instruction touches only the CPU's own
// registers and stack without ending its call. Such a step commutes with
// every step of every other actor and no property looks at it; the state
// graph has no cycles (every program is finite and straight-line), so
// the cycle proviso holds, and every reachable violation, deadlock and
// state at rest is still reached (docs/semantics.md §7).
func (m *Machine) Successors(s *State, fn func(Step, *State, *Violation) bool) int {
	if m.confine && !m.Symmetry && !m.Trace {
		m.from, m.dirty, m.basesOK = s, dirtyAll, false
	}
	n := m.successors(s, fn)
	m.from, m.conf, m.stepCPU = nil, -1, -1
	return n
}

func (m *Machine) successors(s *State, fn func(Step, *State, *Violation) bool) int {
	if m.Reduce && !m.Trace {
		if st, ok := m.ampleStep(s); ok {
			fn(st, &m.ample, nil)
			return 1
		}
	}
	n := 0
	for a := 0; a < m.Actors(); a++ {
		choice := 0
		cont := m.actorSteps(s, a, func(next *State, v *Violation) bool {
			st := Step{Actor: uint8(a), Choice: uint16(choice)}
			choice++
			n++
			return fn(st, next, v)
		})
		if !cont {
			break
		}
	}
	return n
}

// staticAt reports whether an instruction at pc can only be fetched from
// text that never changes and is never freed: a cheap test that spares
// ampleStep a fetch that isLocal would reject.
func (m *Machine) staticAt(pc uint64) bool {
	r := m.P.RegionOf(pc)
	if r < 0 || m.freeable[r] {
		return false
	}
	for w := range m.P.Windows {
		def := &m.P.Windows[w]
		if def.Base < pc+maxInsn && pc < def.Base+uint64(def.Size) {
			return false
		}
	}
	return true
}

// ampleStep finds a CPU whose only step is local and invisible.
func (m *Machine) ampleStep(s *State) (Step, bool) {
	for a := range m.P.CPUs {
		cs := &s.CPU[a]
		if cs.Mode != ModeRun || cs.IPI != 0 || !m.staticAt(cs.PC) {
			continue
		}
		count, ok := 0, true
		m.fetch(s, a, func(next *State, v *Violation) bool {
			count++
			if count > 1 || v != nil || !m.lastLocal {
				ok = false
				return false
			}
			m.ample = *next
			return true
		})
		if ok && count == 1 {
			return Step{Actor: uint8(a)}, true
		}
	}
	return Step{}, false
}

// Take replays one step of s: it returns the successor chosen by st, the
// violation it caused and false if s has no such step.
func (m *Machine) Take(s *State, st Step) (State, *Violation, bool) {
	var out State
	var viol *Violation
	found := false
	if int(st.Actor) >= m.Actors() {
		return out, nil, false
	}
	choice := 0
	m.actorSteps(s, int(st.Actor), func(next *State, v *Violation) bool {
		if choice == int(st.Choice) {
			out, viol, found = *next, v, true
			return false
		}
		choice++
		return true
	})
	return out, viol, found
}

// actorSteps enumerates the steps of actor a.
func (m *Machine) actorSteps(s *State, a int, fn func(*State, *Violation) bool) bool {
	if a >= len(m.P.CPUs) {
		t := a - len(m.P.CPUs)
		if s.T[t].Done != 0 || !m.threadEnabled(s, t) {
			return true
		}
		ways := 1
		if m.P.Threads[t].Ops[s.T[t].PC].Code == OpEither {
			ways = 2
		}
		for m.alt = 0; m.alt < ways; m.alt++ {
			m.begin(s)
			m.threadStep(t)
			if !m.finish(fn) {
				m.alt = 0
				return false
			}
		}
		m.alt = 0
		return true
	}
	cs := &s.CPU[a]
	switch cs.Mode {
	case ModeDone:
		return true
	case ModeHandler:
		m.begin(s)
		m.x = Exec{P: m.P, S: &m.next, C: a, m: m}
		m.P.Arch.Handler(&m.x)
		return m.finish(fn)
	}
	if cs.IPI != 0 {
		// The sync IPI is taken at an instruction boundary: the
		// interrupt and its return are context synchronising.
		m.beginCPU(s, a)
		c := &m.next.CPU[a]
		c.IPI = 0
		m.sync(&m.next, a)
		if m.Trace {
			m.rec(TraceEvent{Kind: TrIPI, Text: m.P.ipiNote()})
		}
		if !m.finish(fn) {
			return false
		}
	}
	if cs.Mode == ModeIdle {
		if s.K.Online == 0 {
			// Only the boot CPU runs before SMP bring-up; the caller
			// CPUs come online at smp_init().
			return true
		}
		call := &m.P.CPUs[a].Calls[cs.Call]
		skip := m.P.initDone(s, call.Entry)
		if call.Module > 0 {
			// Module code runs from its init (init text) or from then
			// until it goes away (core text).
			st := s.K.ModState[call.Module-1]
			if st < ModComingInit {
				return true
			}
			skip = st >= ModGoing || call.ModInit && st >= ModLive
		}
		m.beginCPU(s, a)
		if skip {
			m.skipCall(a)
		} else {
			m.startCall(a)
		}
		return m.finish(fn)
	}
	return m.fetch(s, a, fn)
}

// begin starts a step of s: m.next becomes a copy of s. Only the words
// the packer's groups cover are copied: every state of the program is
// zero elsewhere (TestPackRoundTrip checks every successor for it), and
// m.next holds only states of the program, so the rest of it is zero
// already (State is over a kilobyte; a program uses two thirds of it or
// less, and the copy was an eighth of a short run's time).
func (m *Machine) begin(s *State) {
	m.beginFrom(s)
	m.events = m.events[:0]
	if m.Trace {
		m.trace = m.trace[:0]
	}
}

// copyState copies src to dst, a state of the program, over the words
// the packer's groups cover (the others are zero): with AVX-512 a group
// at a time (copyGroups: one 64-byte load and store), else run by run.
func (m *Machine) copyState(dst, src *State) {
	if m.pk.avx {
		copyGroups(unsafe.Pointer(dst), unsafe.Pointer(src), m.pk.groups)
		return
	}
	d, v := stateAsWords(dst), stateAsWords(src)
	for _, r := range m.copyRuns {
		copy(d[r[0]:r[1]], v[r[0]:r[1]])
	}
}

// finish canonicalises the next state, checks the step's events and hands
// the successor to fn.
func (m *Machine) finish(fn func(*State, *Violation) bool) bool {
	m.confine1()
	var v *Violation
	for i := range m.events {
		if w := m.check(&m.events[i]); w != nil && (v == nil || v.Warning) {
			v = w
		}
	}
	return fn(&m.next, v)
}

// check returns the first property that ev violates; a violation
// outranks a warning.
func (m *Machine) check(ev *Event) *Violation {
	var warn *Violation
	for _, p := range m.propsFor(ev) {
		if msg := p.Check(m.P, ev); msg != "" {
			v := &Violation{Property: p.Name(), Msg: msg, Event: *ev}
			if w, ok := p.(Warning); ok && w.Warning() {
				v.Warning = true
				if warn == nil {
					warn = v
				}
				continue
			}
			return v
		}
	}
	return warn
}

// propsFor returns the properties that may fail on ev: for a routine
// event, those without IgnoresRoutine; for the others, those that judge
// its kind (JudgesKinds), in m.Props's order. The lists are made again
// when m.Props is another slice, and by Explore (a property replaced in
// place between searches).
func (m *Machine) propsFor(ev *Event) []Property {
	m.sortedProps()
	switch {
	case ev.Kind == EvShared || ev.Kind == EvExec && !ev.Torn && !ev.Undef && !ev.Unmapped && !ev.Freed:
		return m.byKind[evKinds]
	case int(ev.Kind) < evKinds:
		return m.byKind[ev.Kind]
	}
	return m.Props
}

// routineJudged reports whether a property judges routine events (see
// propsFor).
func (m *Machine) routineJudged() bool {
	m.sortedProps()
	return len(m.byKind[evKinds]) > 0
}

// sortedProps makes the lists propsFor returns again if m.Props is
// another slice than they were made for.
func (m *Machine) sortedProps() {
	if len(m.Props) != m.propsOf || len(m.Props) > 0 && &m.Props[0] != m.propsAt {
		m.sortProps()
	}
}

// sortProps makes the lists propsFor returns, for m.Props.
func (m *Machine) sortProps() {
	for k := range m.byKind {
		m.byKind[k] = m.byKind[k][:0]
	}
	for _, p := range m.Props {
		if r, ok := p.(IgnoresRoutine); !ok || !r.IgnoresRoutine() {
			m.byKind[evKinds] = append(m.byKind[evKinds], p)
		}
		kinds := ^uint32(0)
		if j, ok := p.(JudgesKinds); ok {
			kinds = j.Kinds()
		}
		for k := range evKinds {
			if kinds&(1<<k) != 0 {
				m.byKind[k] = append(m.byKind[k], p)
			}
		}
	}
	m.propsOf = len(m.Props)
	if len(m.Props) > 0 {
		m.propsAt = &m.Props[0]
	}
}

// AtRest checks the properties of a state in which every CPU and thread
// has finished, such as every site calling its key's current target.
func (m *Machine) AtRest(s *State) *Violation {
	ev := Event{Kind: EvQuiet, CPU: -1, Thread: -1, Rest: s}
	return m.check(&ev)
}

// rec records an event of the step being described; call it only with
// Trace set.
func (m *Machine) rec(e TraceEvent) {
	m.trace = append(m.trace, e)
}

func (m *Machine) fail(err error) {
	if m.err == nil {
		m.err = err
	}
}

// sync is a context-synchronising event on CPU c: from now on it fetches
// only the current contents of every window, or for a window with writes
// not yet made coherent with instruction fetch (Window.Stale), the
// contents since the last coherent one.
func (m *Machine) sync(s *State, c int) {
	for w := range m.P.Windows {
		s.CPU[c].View[w] = s.Win[w].N - 1 - s.Win[w].Stale
	}
}

// canon drops window contents that no CPU can fetch any more and clears
// what finished CPUs no longer need, so equal futures share one state. It
// reports whether it changed s (conservatively: it may say so of a
// change that wrote the same values).
func (m *Machine) canon(s *State) bool {
	changed := false
	for w := range m.P.Windows {
		win := &s.Win[w]
		if m.P.Windows[w].Data {
			// Loads read the current contents: nothing older is kept,
			// and no CPU has a view of it.
			if win.N > 1 {
				win.Snap[0] = win.Snap[win.N-1]
				for i := 1; i < int(win.N); i++ {
					win.Snap[i] = [WinSize]byte{}
				}
				win.N, win.Stale = 1, 0
				changed = true
			}
			if win.Epoch != [MaxSnaps]uint8{} || win.Coh != [MaxSnaps]uint8{} {
				win.Epoch, win.Coh = [MaxSnaps]uint8{}, [MaxSnaps]uint8{}
				changed = true
			}
			for c := range m.P.CPUs {
				if s.CPU[c].View[w] != 0 {
					s.CPU[c].View[w] = 0
					changed = true
				}
			}
			continue
		}
		if win.N == 1 {
			if win.Coh[0] != 0 {
				win.Coh[0] = 0
				changed = true
			}
			continue // one contents: every view is 0 already
		}
		low := win.N - 1 - win.Stale
		for c := range m.P.CPUs {
			if s.CPU[c].Mode != ModeDone && s.CPU[c].View[w] < low {
				low = s.CPU[c].View[w]
			}
		}
		if low > 0 {
			copy(win.Snap[:], win.Snap[low:win.N])
			copy(win.Epoch[:], win.Epoch[low:win.N])
			copy(win.Coh[:], win.Coh[low:win.N])
			for i := win.N - low; i < win.N; i++ {
				win.Snap[i] = [WinSize]byte{}
				win.Epoch[i], win.Coh[i] = 0, 0
			}
			win.N -= low
			// Raising a view to the oldest contents changes nothing.
			win.Coh[0] = 0
			changed = true
		}
		for c := range m.P.CPUs {
			if s.CPU[c].Mode == ModeDone {
				if s.CPU[c].View[w] != 0 {
					s.CPU[c].View[w] = 0
					changed = true
				}
			} else {
				s.CPU[c].View[w] -= low
			}
		}
	}
	if m.maint {
		m.renumberEpochs(s)
		changed = true
	}
	return changed
}

// epoch returns the number of the last cache maintenance that made
// contents coherent, as Window.Epoch counts them.
func (m *Machine) epoch(s *State) uint8 {
	var e uint8
	for w := range m.P.Windows {
		win := &s.Win[w]
		for k := 0; k < int(win.N); k++ {
			if c := win.Coh[k]; c != NoEpoch {
				e = max(e, c)
			}
			e = max(e, win.Epoch[k])
		}
	}
	return e
}

// renumberEpochs keeps Window.Epoch and Window.Coh canonical: only how
// an Epoch compares with the Coh values matters (Machine.fetched), so
// each becomes twice the number of Coh values in use that are at most it.
func (m *Machine) renumberEpochs(s *State) {
	var used [256]bool
	n := 0
	for w := range m.P.Windows {
		win := &s.Win[w]
		for k := 1; k < int(win.N); k++ {
			if c := win.Coh[k]; c != NoEpoch && !used[c] {
				used[c] = true
				n++
			}
		}
	}
	if n == 0 {
		for w := range m.P.Windows {
			s.Win[w].Epoch = [MaxSnaps]uint8{}
		}
		return
	}
	var rank [256]uint8
	r := uint8(0)
	for v := range rank {
		if used[v] {
			r += 2
		}
		rank[v] = r
	}
	for w := range m.P.Windows {
		win := &s.Win[w]
		for k := 0; k < int(win.N); k++ {
			win.Epoch[k] = rank[win.Epoch[k]]
			if k > 0 && win.Coh[k] != NoEpoch {
				win.Coh[k] = rank[win.Coh[k]]
			}
		}
	}
}

// startCall starts CPU c's next call.
func (m *Machine) startCall(c int) {
	s := &m.next
	cs := &s.CPU[c]
	call := &m.P.CPUs[c].Calls[cs.Call]
	cs.Mode = ModeRun
	cs.PC = call.Entry
	cs.Stack[0] = m.P.Return
	cs.SP = 1
	cs.Regs[0] = m.P.Sentinel
	cs.Allow = 1<<s.K.Stable[call.Key] | 1<<s.K.Func[call.Key]
	if m.Trace {
		m.rec(TraceEvent{Kind: TrCall, Addr: call.Entry, Call: call.Name, Key: m.P.Keys[call.Key].Name,
			Target: m.P.Targets[s.K.Func[call.Key]].Name})
	}
}

// skipCall passes over a call into init text once kernel_init is done
// with init code: it is not called any more.
func (m *Machine) skipCall(c int) {
	cs := &m.next.CPU[c]
	if m.Trace {
		call := &m.P.CPUs[c].Calls[cs.Call]
		why := fmt.Sprintf("init code is over (%s)", SystemStateName(m.next.K.System))
		if call.Module > 0 {
			why = "module is " + ModStateName(m.next.K.ModState[call.Module-1])
		}
		m.rec(TraceEvent{Kind: TrSkip, Addr: call.Entry, Call: call.Name, Text: fmt.Sprintf("skips its call of %s: %s", call.Name, why)})
	}
	m.endCall(c)
}

// newEvent appends a zero Event to m.events and returns it, to be filled
// in place: an Event is 160 bytes, and one built on the stack and copied
// in took its copy's 16-byte loads' wait for the narrower stores that
// built it (3% of the unreduced search's samples, twentieth round). The
// pointer is good until the next append.
func (m *Machine) newEvent() *Event {
	n := len(m.events)
	if n == cap(m.events) {
		m.events = append(m.events, Event{})
	} else {
		m.events = m.events[:n+1]
		m.events[n] = Event{}
	}
	return &m.events[n]
}

// endCall moves CPU c on to its next call, or to done.
func (m *Machine) endCall(c int) {
	cs := &m.next.CPU[c]
	*cs = CPUState{View: cs.View, Call: cs.Call + 1, IPI: cs.IPI}
	if int(cs.Call) >= len(m.P.CPUs[c].Calls) {
		cs.Mode = ModeDone
		cs.IPI = 0
	}
}

// callDone ends CPU c's current call and reports what it reached.
func (m *Machine) callDone(c int) {
	s := &m.next
	cs := &s.CPU[c]
	call := &m.P.CPUs[c].Calls[cs.Call]
	ev := m.newEvent()
	ev.Kind, ev.CPU, ev.Key, ev.Value = EvCallDone, c, call.Key, cs.Regs[0]
	ev.Result, ev.Allow, ev.Ever = m.P.TargetOf(cs.Regs[0]), cs.Allow, s.K.Ever[call.Key]
	ev.Addr, ev.CallIndex = call.Entry, int(cs.Call)
	if m.Trace {
		e := TraceEvent{Kind: TrReturn, Addr: call.Entry, Call: call.Name, Key: m.P.Keys[call.Key].Name, Value: ev.Value}
		switch {
		case ev.Result > 0:
			e.Target = m.P.Targets[ev.Result].Name
		case ev.Result < 0:
			e.Mode = ReturnValue
		default:
			e.Mode = ReturnNull
		}
		m.rec(e)
	}
	m.endCall(c)
}

// textByte returns the current byte at addr (the data view).
func (m *Machine) textByte(s *State, addr uint64) (byte, bool) { return m.P.textByte(s, addr) }

// textByte returns the byte at addr as it is now in s.
func (p *Program) textByte(s *State, addr uint64) (byte, bool) {
	if w, off := p.window(addr); w >= 0 {
		return s.Win[w].Snap[s.Win[w].N-1][off], true
	}
	r, ok := p.region(addr)
	if !ok {
		return 0, false
	}
	return r.Bytes[addr-r.Base], true
}

// text returns the current bytes [addr, addr+n) of one window.
func (m *Machine) text(s *State, addr uint64, n int) []byte {
	w, off, _ := m.P.windowRange(addr, n)
	win := &s.Win[w]
	return win.Snap[win.N-1][off : off+n]
}

// poke stores b at addr, inside one window: a new snapshot of the window,
// unless the store changes nothing; coherent says whether the store is
// made coherent with instruction fetch at once (else Window.Stale counts
// it).
func (m *Machine) poke(s *State, addr uint64, b []byte, coherent bool) {
	w, off, _ := m.P.windowRange(addr, len(b))
	win := &s.Win[w]
	cur := win.Snap[win.N-1]
	if bytes.Equal(cur[off:off+len(b)], b) {
		return
	}
	if int(win.N) == MaxSnaps {
		m.canon(s)
		if int(win.N) == MaxSnaps {
			m.fail(fmt.Errorf("window %s: more than %d contents may still be fetched (model bound MaxSnaps)",
				m.P.Windows[w].Name, MaxSnaps))
			return
		}
	}
	copy(cur[off:], b)
	win.Snap[win.N] = cur
	switch {
	case m.coherentOrder && coherent && !m.P.Windows[w].Data:
		// Coherent as it completes: its own maintenance epoch, which
		// a fetch of it is ordered after (Machine.fetched).
		e := m.epoch(s) + 1
		win.Epoch[win.N], win.Coh[win.N] = e, e
	case m.maint:
		win.Epoch[win.N], win.Coh[win.N] = m.epoch(s), NoEpoch
	}
	win.N++
	if coherent {
		win.Stale = 0
	} else {
		win.Stale++
	}
}
