package model

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
)

// TraceKind says what a trace event records.
type TraceKind uint8

// Trace event kinds. Each is one thing a step did; a step has one or more.
const (
	TrNote       TraceKind = iota // free text of an architecture or a kernel routine (Text), with no operands of its own
	TrCall                        // a CPU starts a call: Call, Key, Target (the key's target then)
	TrSkip                        // a CPU passes over a call: Call, Text (why)
	TrReturn                      // a call returns to the harness: Call, Target (reached), or Value when no target
	TrFetch                       // a CPU fetches an instruction: Sym, Addr, Bytes, Stale (byte indices of older contents), Disasm
	TrIPI                         // a CPU takes the pending IPI, context synchronising (Text: the architecture's words)
	TrSync                        // a context-synchronising event inside an instruction or handler (isb, IRET, kernel entry)
	TrTrap                        // a CPU traps on an INT3 and enters the handler
	TrHandler                     // a CPU runs a step of the exception handler
	TrLock                        // mutex_lock(&Lock)
	TrUnlock                      // mutex_unlock(&Lock)
	TrWrite                       // a store to text: Sym, Addr, Bytes, Mode
	TrCache                       // cache maintenance over [Addr, Addr+Len): Sym, Addr, Len
	TrIPISend                     // the sync IPI is sent to every CPU (Text)
	TrIPIWait                     // every CPU ran the sync IPI (Text)
	TrTest                        // a test of shared state: Text (the condition), Result
	TrSetFunc                     // key->func = target: Key, Target
	TrCheck                       // a text check (__static_call_validate): Sym, Bytes
	TrPokeAdd                     // text_poke_array.vec[Index] = {Sym, Bytes}; Mode "arm" when the refs are set too
	TrFree                        // a region is freed: Region (with Text, what of it)
	TrWarn                        // WARN(): Text
	TrBug                         // BUG(): Text ("" for BUG_ON checks that pass)
	TrOrder                       // a nondeterministic choice: Text, Index (0: this order, 1: the other)
	TrUpdateDone                  // static_call_update(Key) returns
	TrKernel                      // any other kernel step: Text
	numTraceKinds
)

var traceKindNames = [numTraceKinds]string{
	TrNote: "note", TrCall: "call", TrSkip: "skip", TrReturn: "return", TrFetch: "fetch", TrIPI: "ipi",
	TrSync: "sync", TrTrap: "trap", TrHandler: "handler", TrLock: "lock", TrUnlock: "unlock", TrWrite: "write",
	TrCache: "cache", TrIPISend: "ipi-send", TrIPIWait: "ipi-wait", TrTest: "test", TrSetFunc: "set-func",
	TrCheck: "check", TrPokeAdd: "poke-add", TrFree: "free", TrWarn: "warn", TrBug: "bug", TrOrder: "order",
	TrUpdateDone: "update-done", TrKernel: "kernel",
}

// String returns the kind's name, as in JSON.
func (k TraceKind) String() string {
	if k < numTraceKinds {
		return traceKindNames[k]
	}
	return fmt.Sprintf("kind%d", uint8(k))
}

// MarshalText implements encoding.TextMarshaler.
func (k TraceKind) MarshalText() ([]byte, error) {
	if k >= numTraceKinds {
		return nil, fmt.Errorf("trace event kind %d unknown", uint8(k))
	}
	return []byte(k.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *TraceKind) UnmarshalText(b []byte) error {
	for i, n := range traceKindNames {
		if n == string(b) {
			*k = TraceKind(i)
			return nil
		}
	}
	return fmt.Errorf("trace event kind %q unknown", b)
}

// Write modes (TraceEvent.Mode of a TrWrite).
const (
	WriteNoMaint     = "no-maintenance" // not yet coherent with instruction fetch
	WriteStopMachine = "stop-machine"   // every CPU stopped, each runs isb before going on
	WriteSaved       = "saved"          // the bytes the thread saved earlier
	WriteKprobe      = "kprobe"         // arch_arm_kprobe's INT3; Old is the instruction the kprobe saved
)

// Return modes (TraceEvent.Mode of a TrReturn).
const (
	ReturnNull  = "null"  // nothing was called: the key was NULL
	ReturnValue = "value" // the result register (Value) is no target's
)

// TraceEvent is one typed fact of a traced step: what kind of thing
// happened, who did it, in which kernel function and model statement, and
// its operands. Notes (the English text of a trace) are rendered from
// events (Lines); nothing parses them back.
type TraceEvent struct {
	Kind   TraceKind `json:"kind"`
	Actor  string    `json:"actor"`
	Fn     string    `json:"fn,omitempty"`  // the kernel function
	Src    string    `json:"src,omitempty"` // the model source position, "file.c:line"
	Sym    string    `json:"sym,omitempty"` // where: a symbol, or symbol+offset
	Addr   uint64    `json:"addr,omitempty"`
	Bytes  Hex       `json:"bytes,omitempty"`
	Len    int       `json:"len,omitempty"`    // TrCache: the bytes covered
	Stale  []int     `json:"stale,omitempty"`  // TrFetch: indices of bytes fetched from older contents
	Disasm string    `json:"disasm,omitempty"` // TrFetch: the instruction, when it is one
	Call   string    `json:"call,omitempty"`
	Key    string    `json:"key,omitempty"`
	Target string    `json:"target,omitempty"`
	Old    Hex       `json:"old,omitempty"`   // TrWrite of a kprobe: the saved instruction
	Value  uint64    `json:"value,omitempty"` // TrReturn: the result register
	Lock   string    `json:"lock,omitempty"`
	Region string    `json:"region,omitempty"`
	Mode   string    `json:"mode,omitempty"`   // TrWrite: Write*; TrReturn: Return*; TrPokeAdd: "arm"
	Index  int       `json:"index,omitempty"`  // TrPokeAdd: the entry; TrOrder: the way taken
	Result bool      `json:"result,omitempty"` // TrTest
	Text   string    `json:"text,omitempty"`
}

// Lines renders the event as the lines of a trace note: none, one or two
// (a fetch's disassembly, a choice's way, indented by two blanks).
func (e *TraceEvent) Lines() []string {
	fn := func(s string) []string {
		if e.Fn != "" {
			s = e.Fn + ": " + s
		}
		return []string{s}
	}
	switch e.Kind {
	case TrNote, TrSkip, TrIPI:
		return []string{e.Text}
	case TrCall:
		return []string{fmt.Sprintf("calls %s (key %s is %s)", e.Call, e.Key, e.Target)}
	case TrReturn:
		return []string{fmt.Sprintf("call %s returns: reached %s", e.Call, e.Reached())}
	case TrFetch:
		s := fmt.Sprintf("fetch %s: %s", e.Sym, hexBytes(e.Bytes))
		if len(e.Stale) > 0 {
			parts := make([]string, len(e.Stale))
			for i, b := range e.Stale {
				parts[i] = fmt.Sprint(b)
			}
			s += " (stale byte " + strings.Join(parts, ",") + ")"
		}
		if e.Disasm != "" {
			return []string{s, "  " + e.Disasm}
		}
		return []string{s}
	case TrSync, TrTrap, TrHandler:
		return nil
	case TrLock:
		return fn(fmt.Sprintf("mutex_lock(&%s)", e.Lock))
	case TrUnlock:
		return fn(fmt.Sprintf("mutex_unlock(&%s)", e.Lock))
	case TrWrite:
		switch e.Mode {
		case WriteStopMachine:
			return fn(fmt.Sprintf("write %s: %s with every CPU stopped; each runs isb before going on", e.Sym, hexBytes(e.Bytes)))
		case WriteNoMaint:
			return fn(fmt.Sprintf("write %s: %s (no cache maintenance yet: not coherent with instruction fetch)", e.Sym, hexBytes(e.Bytes)))
		case WriteKprobe:
			return fn(fmt.Sprintf("text_poke(%s, int3): kprobe armed with the saved %s", e.Sym, hexBytes(e.Old)))
		case WriteSaved:
			return fn(fmt.Sprintf("write %s: %s (saved)", e.Sym, hexBytes(e.Bytes)))
		}
		return fn(fmt.Sprintf("write %s: %s", e.Sym, hexBytes(e.Bytes)))
	case TrCache:
		return fn(fmt.Sprintf("dc cvau; dsb ish; ic ivau; dsb ish; isb over %s (%d bytes): coherent with instruction fetch", e.Sym, e.Len))
	case TrTest:
		return fn(fmt.Sprintf("%s? %v", e.Text, e.Result))
	case TrSetFunc:
		return fn(fmt.Sprintf("%s.func = %s", e.Key, e.Target))
	case TrCheck:
		return fn(fmt.Sprintf("check %s: %s", e.Sym, hexBytes(e.Bytes)))
	case TrPokeAdd:
		arm := ""
		if e.Mode == "arm" {
			arm = "; every CPU's text_poke_array_refs = 1"
		}
		return fn(fmt.Sprintf("text_poke_array.vec[%d] = {%s, %s}%s", e.Index, e.Sym, hexBytes(e.Bytes), arm))
	case TrFree:
		if e.Text != "" {
			return fn(fmt.Sprintf("%s: %s freed", e.Region, e.Text))
		}
		return fn(e.Region + " freed")
	case TrWarn:
		return fn("WARNING: " + e.Text)
	case TrBug:
		if e.Text == "" {
			return fn("BUG_ON checks pass")
		}
		return fn("BUG: " + e.Text)
	case TrOrder:
		way := "  (this order)"
		if e.Index != 0 {
			way = "  (the other order)"
		}
		return append(fn(e.Text), way)
	case TrUpdateDone:
		if e.Text != "" {
			return []string{e.Text + " returns"}
		}
		return []string{fmt.Sprintf("static_call_update(%s) returns", e.Key)}
	}
	return fn(e.Text) // TrIPISend, TrIPIWait, TrKernel
}

// Reached says what a TrReturn's call reached: a target, nothing (NULL)
// or a result that is no target's.
func (e *TraceEvent) Reached() string {
	switch e.Mode {
	case ReturnNull:
		return "nothing called (NULL)"
	case ReturnValue:
		return fmt.Sprintf("result %#x", e.Value)
	}
	return e.Target
}

// TraceStep is one step of a replayed schedule, described by its events.
type TraceStep struct {
	Step   Step
	Actor  string
	Events []TraceEvent
	// Notes are the events rendered as text (Lines), and Tags the step's
	// classes ("call", "return", "fetch", "stale", "int3", "handler",
	// "ipi", "sync", "write", "ipi-send", "ipi-wait", "lock", "unlock",
	// "cache", "kernel"), both derived from Events.
	Notes []string `json:"-"`
	Tags  []string `json:"-"`
	// Windows are the patchable windows after the step.
	Windows []WindowTrace
}

// NewTraceStep returns the step of actor with events (those without an
// actor get this one), its notes and tags derived from them.
func NewTraceStep(st Step, actor string, events []TraceEvent, windows []WindowTrace) TraceStep {
	for i := range events {
		if events[i].Actor == "" {
			events[i].Actor = actor
		}
	}
	t := TraceStep{Step: st, Actor: actor, Events: events, Windows: windows}
	t.derive()
	return t
}

func (t *TraceStep) derive() {
	t.Notes, t.Tags = nil, nil
	tag := func(tags ...string) {
		for _, g := range tags {
			if !containsString(t.Tags, g) {
				t.Tags = append(t.Tags, g)
			}
		}
	}
	for i := range t.Events {
		e := &t.Events[i]
		t.Notes = append(t.Notes, e.Lines()...)
		switch e.Kind {
		case TrNote, TrSkip, TrUpdateDone:
		case TrCall:
			tag("call")
		case TrReturn:
			tag("return")
		case TrFetch:
			tag("fetch")
			if len(e.Stale) > 0 {
				tag("stale")
			}
		case TrIPI:
			tag("ipi", "sync")
		case TrSync:
			tag("sync")
		case TrTrap:
			tag("int3")
		case TrHandler:
			tag("handler")
		case TrWrite:
			tag("write")
		case TrCache:
			tag("cache")
		case TrIPISend:
			tag("ipi-send")
		case TrIPIWait:
			tag("ipi-wait")
		case TrLock:
			tag("lock")
		case TrUnlock:
			tag("unlock")
		default:
			tag("kernel")
		}
	}
}

func containsString(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// traceStepJSON is a TraceStep as JSON. Notes and Tags are read from
// files written before the trace had events (they become TrNote events);
// they are never written.
type traceStepJSON struct {
	Step    Step
	Actor   string
	Events  []TraceEvent `json:",omitempty"`
	Notes   []string     `json:",omitempty"`
	Tags    []string     `json:",omitempty"`
	Windows []WindowTrace
}

// MarshalJSON implements json.Marshaler: the events, not their text.
func (t TraceStep) MarshalJSON() ([]byte, error) {
	return json.Marshal(traceStepJSON{Step: t.Step, Actor: t.Actor, Events: t.Events, Windows: t.Windows})
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *TraceStep) UnmarshalJSON(b []byte) error {
	var j traceStepJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return err
	}
	*t = TraceStep{Step: j.Step, Actor: j.Actor, Events: j.Events, Windows: j.Windows}
	if len(j.Events) == 0 {
		for _, n := range j.Notes {
			t.Events = append(t.Events, TraceEvent{Kind: TrNote, Actor: j.Actor, Text: n})
		}
	}
	t.derive()
	return nil
}

// WindowTrace is one window after a step.
type WindowTrace struct {
	Name  string
	Addr  uint64
	Bytes Hex // current contents
	// Stale lists the CPUs that may still fetch older contents.
	Stale []int
	// Pending counts the newest writes not yet coherent with instruction
	// fetch (no cache maintenance since): a context synchronisation does
	// not drop them.
	Pending int `json:",omitempty"`
}

// windows describes the windows of s.
func (m *Machine) windows(s *State) []WindowTrace {
	var out []WindowTrace
	for w, def := range m.P.Windows {
		wt := WindowTrace{Name: def.Name, Addr: def.Base, Bytes: append(Hex(nil), m.P.Current(s, w)...), Pending: int(s.Win[w].Stale)}
		for c := range m.P.CPUs {
			// Before SMP bring-up the other CPUs are not running.
			if s.K.Online != 0 && s.CPU[c].Mode != ModeDone && s.CPU[c].View[w] < s.Win[w].N-1 {
				wt.Stale = append(wt.Stale, c)
			}
		}
		out = append(out, wt)
	}
	return out
}

// Replay runs sched from the initial state with tracing on. It returns the
// described steps, the violation the last step caused (or the deadlock the
// schedule ends in), and an error if sched is not a schedule of m.
func Replay(m *Machine, sched []Step) ([]TraceStep, *Violation, error) {
	was := m.Trace
	m.Trace = true
	defer func() { m.Trace = was }()
	s := m.P.Initial()
	var out []TraceStep
	for i, st := range sched {
		next, v, ok := m.Take(&s, st)
		if !ok {
			return out, nil, fmt.Errorf("step %d: %s has no choice %d here", i+1, m.ActorName(int(st.Actor)), st.Choice)
		}
		out = append(out, NewTraceStep(st, m.ActorName(int(st.Actor)), append([]TraceEvent(nil), m.TraceEvents()...), m.windows(&next)))
		if err := m.Err(); err != nil {
			return out, nil, err
		}
		if i == len(sched)-1 && v != nil {
			return out, v, nil
		}
		if v != nil && !v.Warning {
			return out, v, fmt.Errorf("step %d violates %s before the schedule ends", i+1, v.Property)
		}
		s = next
	}
	if m.Successors(&s, func(Step, *State, *Violation) bool { return false }) == 0 {
		return out, endState(m, &s), nil
	}
	return out, nil, nil
}

// Hex is bytes that read and write as a hex string in JSON.
type Hex []byte

// MarshalText implements encoding.TextMarshaler.
func (h Hex) MarshalText() ([]byte, error) { return []byte(hex.EncodeToString(h)), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (h *Hex) UnmarshalText(b []byte) error {
	d, err := hex.DecodeString(string(b))
	*h = d
	return err
}
