package model

import "fmt"

// Exec is what an architecture's Exec and Handler see of the machine: one
// CPU of the next state, and the fetched instruction.
type Exec struct {
	P    *Program
	S    *State // the next state, to be changed in place
	C    int    // the CPU
	Addr uint64 // where Insn was fetched
	Insn []byte // the instruction's bytes
	m    *Machine
}

// CPU returns the executing CPU's state.
func (x *Exec) CPU() *CPUState { return &x.S.CPU[x.C] }

// Push pushes a return address; a full stack is a bound of the model.
func (x *Exec) Push(v uint64) {
	cs := x.CPU()
	if int(cs.SP) == MaxStack {
		x.m.fail(fmt.Errorf("cpu%d: call depth over %d (model bound MaxStack)", x.C, MaxStack))
		return
	}
	cs.Stack[cs.SP] = v
	cs.SP++
}

// Pop pops a return address.
func (x *Exec) Pop() (uint64, bool) {
	cs := x.CPU()
	if cs.SP == 0 {
		return 0, false
	}
	cs.SP--
	v := cs.Stack[cs.SP]
	cs.Stack[cs.SP] = 0
	return v, true
}

// Jump continues at addr; reaching the harness's return address ends the
// current call.
func (x *Exec) Jump(addr uint64) {
	if addr == x.P.Return {
		x.m.callDone(x.C)
		return
	}
	x.CPU().PC = addr
}

// Return pops a return address and jumps to it.
func (x *Exec) Return() {
	a, ok := x.Pop()
	if !ok {
		x.Bug("return with an empty stack")
		return
	}
	x.Jump(a)
}

// Sync is a context-synchronising event on the CPU (x86 IRET or
// serialising instruction, arm64 ISB or exception return, Power isync).
func (x *Exec) Sync() {
	x.m.sync(x.S, x.C)
	if x.m.Trace {
		x.m.rec(TraceEvent{Kind: TrSync, Addr: x.Addr})
	}
	// What the CPU may fetch afterwards depends on the writes before
	// it: the step does not commute with them, so no reduction takes it
	// as a local step.
	x.Shared()
}

// Tag classifies the step in a trace: "int3" (the CPU trapped on an
// INT3, TrTrap) or "handler" (it runs the exception handler, TrHandler).
func (x *Exec) Tag(tags ...string) {
	if !x.m.Trace {
		return
	}
	for _, t := range tags {
		switch t {
		case "int3":
			x.m.rec(TraceEvent{Kind: TrTrap, Addr: x.Addr})
		case "handler":
			x.m.rec(TraceEvent{Kind: TrHandler, Addr: x.Addr})
		default:
			x.m.fail(fmt.Errorf("cpu%d: trace tag %q unknown (int3, handler)", x.C, t))
		}
	}
}

// Load reads n bytes of memory at addr as data, as they are now: the
// current contents of a patchable window (a data load is coherent; only
// instruction fetch may be stale), else the image. It reports false if a
// byte is unmapped. Reading a window is an observation of shared state:
// the step is recorded as such (EvShared), so that no reduction treats
// it as a step that commutes with the kernel's writes.
func (x *Exec) Load(addr uint64, n int) ([]byte, bool) {
	out := make([]byte, n)
	shared := false
	for i := range out {
		a := addr + uint64(i)
		b, ok := x.m.textByte(x.S, a)
		if !ok {
			return nil, false
		}
		if w, _ := x.P.window(a); w >= 0 {
			shared = true
		}
		out[i] = b
	}
	if shared {
		x.Shared()
	}
	return out, true
}

// Shared records that the step observed state other actors change (such
// as key->func or the patchable text as data): it is then never taken as
// a local, invisible step by the partial-order reduction.
func (x *Exec) Shared() {
	if !x.m.Reduce && !x.m.routineJudged() {
		return // no one reads it (execute)
	}
	ev := x.m.newEvent()
	ev.Kind, ev.CPU, ev.Addr = EvShared, x.C, x.Addr
}

// EachFetchable calls fn with each distinct contents of [addr, addr+n),
// which must lie in one patchable window, that the CPU may still fetch:
// one per retained snapshot since its last context synchronisation,
// oldest first, until fn returns false. It allocates nothing: the slices
// point into the state and are valid during the call only. It returns how
// many contents it passed to fn (0 when the range is not patchable text).
func (x *Exec) EachFetchable(addr uint64, n int, fn func(b []byte) bool) int {
	w, off, ok := x.P.windowRange(addr, n)
	if !ok {
		return 0
	}
	win := &x.S.Win[w]
	view, count := int(x.S.CPU[x.C].View[w]), 0
	for sn := view; sn < int(win.N); sn++ {
		b := win.Snap[sn][off : off+n]
		dup := false
		for prev := view; prev < sn && !dup; prev++ {
			dup = string(win.Snap[prev][off:off+n]) == string(b)
		}
		if dup {
			continue
		}
		count++
		if !fn(b) {
			break
		}
	}
	return count
}

// Fetchable returns copies of the contents EachFetchable passes, or nil
// when the range is not patchable text.
func (x *Exec) Fetchable(addr uint64, n int) [][]byte {
	var out [][]byte
	x.EachFetchable(addr, n, func(b []byte) bool {
		out = append(out, append([]byte(nil), b...))
		return true
	})
	return out
}

// Report records a fact that the architecture-specific property named
// prop judges (EvArch), such as a TOC-relative access with the wrong r2
// on powerpc64. msg says what happened.
func (x *Exec) Report(prop, msg string) {
	x.m.events = append(x.m.events, Event{Kind: EvArch, CPU: x.C, Addr: x.Addr, Prop: prop, Msg: msg})
}

// Fail stops the exploration with err: the scenario exceeded a bound of
// the model (such as the memory an architecture keeps per CPU).
func (x *Exec) Fail(err error) { x.m.fail(err) }

// Bug reports a kernel BUG or oops on the CPU.
func (x *Exec) Bug(msg string) {
	x.m.events = append(x.m.events, Event{Kind: EvBug, CPU: x.C, Addr: x.Addr, Msg: msg})
}

// Undefined reports that the CPU executed an undefined instruction (or one
// whose execution is architecturally undefined, such as x86's UD1).
func (x *Exec) Undefined(msg string) {
	ev := Event{Kind: EvExec, CPU: x.C, Addr: x.Addr, Undef: true, Msg: msg, Len: len(x.Insn)}
	copy(ev.Insn[:], x.Insn)
	x.m.events = append(x.m.events, ev)
}

// Note describes the step in a trace, as free text (TrNote).
func (x *Exec) Note(format string, args ...any) {
	if x.m.Trace {
		x.m.rec(TraceEvent{Kind: TrNote, Addr: x.Addr, Text: fmt.Sprintf(format, args...)})
	}
}

// NoteAt is Note for a step of model source: src is the statement's
// position ("file.c:line"), which the trace event carries.
func (x *Exec) NoteAt(src, format string, args ...any) {
	if x.m.Trace {
		x.m.rec(TraceEvent{Kind: TrNote, Addr: x.Addr, Text: fmt.Sprintf(format, args...), Src: src})
	}
}

// Tracing reports whether the step is being described.
func (x *Exec) Tracing() bool { return x.m.Trace }

// EventKind says what an Event reports.
type EventKind uint8

// Event kinds.
const (
	EvExec       EventKind = iota // a CPU executed (or failed to execute) an instruction
	EvCallDone                    // a call returned to the harness
	EvBug                         // the kernel hit BUG() or died
	EvDeadlock                    // no actor can move, yet not all are done
	EvFreedWrite                  // a kernel thread wrote into freed memory
	EvWarn                        // the kernel hit WARN()
	EvQuiet                       // every CPU and thread finished: the state at rest
	EvBadDeref                    // the kernel dereferenced a field that is not there
	EvKprobe                      // a kprobe was armed at Addr
	EvArch                        // an architecture-specific fact, judged by the property named Prop
	EvShared                      // a CPU observed state other actors change (no property judges it)
)

// Event is an observable fact of one step, which properties judge.
type Event struct {
	Kind      EventKind
	CPU       int // -1 when a kernel thread caused it
	Thread    int
	Addr      uint64
	Insn      [maxInsn]byte
	Len       int
	Torn      bool // the bytes were never together at Addr
	Win       int  // with Torn: the window torn
	Undef     bool // not an instruction of the model, or one that traps as undefined
	Unmapped  bool // fetched from unmapped memory
	Freed     bool // fetched from freed memory
	Key       int
	CallIndex int    // EvCallDone: which of the CPU's calls
	Result    int    // EvCallDone: the target reached, or -1
	Value     uint64 // EvCallDone: the result register
	Allow     uint16 // EvCallDone: targets the call could rightly reach
	Ever      uint16 // EvCallDone: targets the key ever had
	Msg       string
	Rest      *State // EvQuiet: the state at rest
	Prop      string // EvArch: the property that judges it
}

// Property judges events.
type Property interface {
	// Name is a short stable identifier, such as "no-torn-insn".
	Name() string
	// Check returns why ev violates the property, or "".
	Check(p *Program, ev *Event) string
}

// IgnoresRoutine is implemented by properties that never fail on a
// routine event: an instruction fetched whole, defined and from live
// text, or a CPU's observation of shared state (EvShared). The machine
// does not ask them about those events, the most frequent ones.
type IgnoresRoutine interface {
	IgnoresRoutine() bool
}

// JudgesKinds is implemented by properties that judge the events of some
// kinds only: Kinds returns them, bit k for EventKind k. The machine asks
// such a property only about events of those kinds.
type JudgesKinds interface {
	Kinds() uint32
}

// evKinds is the number of event kinds.
const evKinds = int(EvShared) + 1

// Warning is implemented by properties whose failures are warnings (a
// kernel WARN): the search records the first and goes on.
type Warning interface {
	Warning() bool
}

// Violation is a property that a step violated.
type Violation struct {
	Property string
	Msg      string
	Event    Event
	Warning  bool // a warning, not a violation: the search went on
}
