package model

import "fmt"

// TraceStep is one step of a replayed schedule, described.
type TraceStep struct {
	Step  Step
	Actor string
	Notes []string
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
		out = append(out, TraceStep{Step: st, Actor: m.ActorName(int(st.Actor)), Notes: append([]string(nil), m.Notes()...)})
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
