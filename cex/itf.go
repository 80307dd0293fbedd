package cex

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// ITFFormat is the URL of the Informal Trace Format's description
// (Apalache ADR-015), which the "#meta" of an ITF trace names.
const ITFFormat = "https://apalache-mc.org/docs/adr/015adr-trace.html"

// ITF returns c in the Informal Trace Format (ITF), the JSON traces that
// Apalache and Quint write and their trace viewers read: "vars" and one
// state a step of the counterexample (the state after the step), each
// with every variable:
//
//	step     the step's number, from 1
//	actor    who took the step (cpu0, a thread's name)
//	events   what the step did, as the text trace says it (a list)
//	kinds    the kinds of the step's trace events (fetch, write, ipi...)
//	text     the patched text after the step: window name -> bytes, hex
//	stale    window name -> the set of CPUs that may still fetch older
//	         contents of it
//	violated the property the step violates, "" before the last step
//
// Integers are {"#bigint": "N"} and sets {"#set": [...]}, as Quint
// writes them; "#meta" holds the format, the source (the scenario's
// name), a description, and the counterexample's ID, property and
// message.
func (c *Counterexample) ITF() ([]byte, error) {
	type state map[string]any
	bigint := func(n int) any { return map[string]string{"#bigint": strconv.Itoa(n)} }
	vars := []string{"step", "actor", "events", "kinds", "text", "stale", "violated"}
	states := make([]state, 0, len(c.Trace))
	for i, st := range c.Trace {
		events := []string{}
		kinds := []string{}
		for j := range st.Events {
			e := &st.Events[j]
			kinds = append(kinds, e.Kind.String())
		}
		events = append(events, st.Notes...)
		text := map[string]any{}
		stale := map[string]any{}
		for _, w := range st.Windows {
			text[w.Name] = fmt.Sprintf("%x", []byte(w.Bytes))
			cpus := []any{}
			for _, cpu := range w.Stale {
				cpus = append(cpus, bigint(cpu))
			}
			stale[w.Name] = map[string]any{"#set": cpus}
		}
		violated := ""
		if i == len(c.Trace)-1 {
			violated = c.Property
		}
		states = append(states, state{
			"#meta":    map[string]any{"index": i},
			"step":     bigint(i + 1),
			"actor":    st.Actor,
			"events":   events,
			"kinds":    kinds,
			"text":     text,
			"stale":    stale,
			"violated": violated,
		})
	}
	name := ""
	if c.Scenario != nil {
		name = c.Scenario.Name
	}
	trace := map[string]any{
		"#meta": map[string]any{
			"format":             "ITF",
			"format-description": ITFFormat,
			"source":             name,
			"description":        fmt.Sprintf("patchcheck counterexample %s: %s violated: %s", c.ID, c.Property, c.Message),
			"id":                 c.ID,
			"model":              c.Model,
			"property":           c.Property,
			"message":            c.Message,
		},
		"vars":   vars,
		"states": states,
	}
	b, err := json.MarshalIndent(trace, "", " ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
