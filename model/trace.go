package model

import (
	"encoding/hex"
	"fmt"
)

// TraceStep is one step of a replayed schedule, described.
type TraceStep struct {
	Step  Step
	Actor string
	Notes []string
	// Tags classify the step for pictures: "call", "return", "fetch",
	// "stale" (a fetch of bytes that are no longer current), "int3",
	// "handler", "ipi" (a CPU ran the sync IPI), "sync" (a context
	// synchronisation), "write", "ipi-send", "ipi-wait", "lock",
	// "unlock", "kernel".
	Tags []string
	// Windows are the patchable windows after the step.
	Windows []WindowTrace
}

// WindowTrace is one window after a step.
type WindowTrace struct {
	Name  string
	Addr  uint64
	Bytes Hex // current contents
	// Stale lists the CPUs that may still fetch older contents.
	Stale []int
}

// windows describes the windows of s.
func (m *Machine) windows(s *State) []WindowTrace {
	var out []WindowTrace
	for w, def := range m.P.Windows {
		wt := WindowTrace{Name: def.Name, Addr: def.Base, Bytes: append(Hex(nil), m.P.Current(s, w)...)}
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
		out = append(out, TraceStep{Step: st, Actor: m.ActorName(int(st.Actor)), Notes: append([]string(nil), m.Notes()...),
			Tags: append([]string(nil), m.tags...), Windows: m.windows(&next)})
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
