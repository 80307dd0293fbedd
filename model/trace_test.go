package model

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// TestTraceEventLines checks the text each kind of event renders to: the
// notes of a trace, unchanged from when they were written as text.
func TestTraceEventLines(t *testing.T) {
	for _, c := range []struct {
		e    TraceEvent
		want string
	}{
		{TraceEvent{Kind: TrCall, Call: "s1", Key: "k", Target: "f1"}, "calls s1 (key k is f1)"},
		{TraceEvent{Kind: TrReturn, Call: "s1", Target: "f2"}, "call s1 returns: reached f2"},
		{TraceEvent{Kind: TrReturn, Call: "s1", Mode: ReturnNull}, "call s1 returns: reached nothing called (NULL)"},
		{TraceEvent{Kind: TrReturn, Call: "s1", Mode: ReturnValue, Value: 0x1002}, "call s1 returns: reached result 0x1002"},
		{TraceEvent{Kind: TrFetch, Sym: "s1", Bytes: Hex{0x0e, 0x44}, Stale: []int{0, 1}, Disasm: "bl f1"}, "fetch s1: 0e 44 (stale byte 0,1)|  bl f1"},
		{TraceEvent{Kind: TrFetch, Sym: "s1+4", Bytes: Hex{0xcc}}, "fetch s1+4: cc"},
		{TraceEvent{Kind: TrIPI, Text: "takes the IPI"}, "takes the IPI"},
		{TraceEvent{Kind: TrSync}, ""},
		{TraceEvent{Kind: TrTrap}, ""},
		{TraceEvent{Kind: TrLock, Fn: "static_call_update", Lock: "static_call_mutex"}, "static_call_update: mutex_lock(&static_call_mutex)"},
		{TraceEvent{Kind: TrUnlock, Lock: "text_mutex"}, "mutex_unlock(&text_mutex)"},
		{TraceEvent{Kind: TrWrite, Fn: "f", Sym: "s1", Bytes: Hex{1, 2}}, "f: write s1: 01 02"},
		{TraceEvent{Kind: TrWrite, Fn: "f", Sym: "s1", Bytes: Hex{1}, Mode: WriteNoMaint}, "f: write s1: 01 (no cache maintenance yet: not coherent with instruction fetch)"},
		{TraceEvent{Kind: TrWrite, Sym: "s1", Bytes: Hex{1}, Mode: WriteStopMachine}, "write s1: 01 with every CPU stopped; each runs isb before going on"},
		{TraceEvent{Kind: TrWrite, Sym: "s1", Bytes: Hex{1}, Mode: WriteSaved}, "write s1: 01 (saved)"},
		{TraceEvent{Kind: TrWrite, Sym: "s1", Bytes: Hex{0xcc}, Mode: WriteKprobe, Old: Hex{0xe8, 1}}, "text_poke(s1, int3): kprobe armed with the saved e8 01"},
		{TraceEvent{Kind: TrCache, Fn: "caches_clean_inval_pou", Sym: "s1", Len: 4}, "caches_clean_inval_pou: dc cvau; dsb ish; ic ivau; dsb ish; isb over s1 (4 bytes): coherent with instruction fetch"},
		{TraceEvent{Kind: TrTest, Text: "key->func == f2", Result: false}, "key->func == f2? false"},
		{TraceEvent{Kind: TrSetFunc, Key: "k", Target: "f2"}, "k.func = f2"},
		{TraceEvent{Kind: TrCheck, Sym: "s1", Bytes: Hex{0xe8}}, "check s1: e8"},
		{TraceEvent{Kind: TrPokeAdd, Index: 1, Sym: "s1", Bytes: Hex{0xe8}, Mode: "arm"}, "text_poke_array.vec[1] = {s1, e8}; every CPU's text_poke_array_refs = 1"},
		{TraceEvent{Kind: TrFree, Region: "init.text"}, "init.text freed"},
		{TraceEvent{Kind: TrFree, Region: "m1", Text: "init text"}, "m1: init text freed"},
		{TraceEvent{Kind: TrWarn, Fn: "f", Text: "oops"}, "f: WARNING: oops"},
		{TraceEvent{Kind: TrBug}, "BUG_ON checks pass"},
		{TraceEvent{Kind: TrBug, Text: "x"}, "BUG: x"},
		{TraceEvent{Kind: TrOrder, Text: "either", Index: 1}, "either|  (the other order)"},
		{TraceEvent{Kind: TrUpdateDone, Key: "k"}, "static_call_update(k) returns"},
		{TraceEvent{Kind: TrIPISend, Fn: "f", Text: "IPI sent"}, "f: IPI sent"},
		{TraceEvent{Kind: TrNote, Fn: "static_call_add_module", Text: "static_call_add_module(m1)"}, "static_call_add_module(m1)"},
	} {
		if got := strings.Join(c.e.Lines(), "|"); got != c.want {
			t.Errorf("%v: %q, want %q", c.e.Kind, got, c.want)
		}
	}
}

// TestTraceKindNames checks that every kind has a name that reads back.
func TestTraceKindNames(t *testing.T) {
	for k := TraceKind(0); k < numTraceKinds; k++ {
		b, err := k.MarshalText()
		if err != nil || len(b) == 0 {
			t.Fatalf("kind %d: %q, %v", k, b, err)
		}
		var back TraceKind
		if err := back.UnmarshalText(b); err != nil || back != k {
			t.Errorf("kind %s reads back as %v (%v)", b, back, err)
		}
	}
	if _, err := numTraceKinds.MarshalText(); err == nil {
		t.Error("an unknown kind was written")
	}
}

// TestTraceStepJSON checks that a step's JSON holds its events, not their
// text, and that reading it derives the notes and tags again; a step
// written before events (notes and tags) still reads, its notes as
// TrNote events; an unknown field does not.
func TestTraceStepJSON(t *testing.T) {
	st := NewTraceStep(Step{Actor: 1}, "cpu1", []TraceEvent{
		{Kind: TrFetch, Sym: "s1", Addr: 0x10, Bytes: Hex{0xcc}, Stale: []int{0}, Disasm: "int3"},
		{Kind: TrTrap},
	}, []WindowTrace{{Name: "s1", Addr: 0x10, Bytes: Hex{0xe8}, Stale: []int{1}, Pending: 1}})
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "Notes") || strings.Contains(string(b), "Tags") || !strings.Contains(string(b), `"kind":"trap"`) {
		t.Errorf("JSON %s", b)
	}
	var back TraceStep
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back.Notes, []string{"fetch s1: cc (stale byte 0)", "  int3"}) || !slices.Equal(back.Tags, []string{"fetch", "stale", "int3"}) ||
		back.Events[1].Actor != "cpu1" || back.Windows[0].Pending != 1 {
		t.Errorf("read back %+v", back)
	}
	var old TraceStep
	if err := json.Unmarshal([]byte(`{"Step":{"Actor":0,"Choice":0},"Actor":"t","Notes":["f: x"],"Tags":["kernel"],"Windows":null}`), &old); err != nil {
		t.Fatal(err)
	}
	if len(old.Events) != 1 || old.Events[0].Kind != TrNote || !slices.Equal(old.Notes, []string{"f: x"}) {
		t.Errorf("old step read as %+v", old)
	}
	if err := json.Unmarshal([]byte(`{"Actor":"t","Bogus":1}`), &old); err == nil {
		t.Error("an unknown field was accepted")
	}
}
