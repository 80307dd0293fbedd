package litmus

import (
	"errors"
	"strings"
	"testing"
)

// TestConditionSyntax parses herd7's final-condition syntax
// (lib/stateLexer.mll, lib/stateParser.mly) and checks how it is read.
func TestConditionSyntax(t *testing.T) {
	for _, c := range []struct{ cond, quant, prop, filter, with string }{
		{`exists (0:X0=1 /\ 0:X1=2)`, "exists", `(0:X0=1 /\ 0:X1=2)`, "", ""},
		{`exists 0:X0==1`, "exists", `0:X0=1`, "", ""},
		{`exists 0:X0!=1`, "exists", `~(0:X0=1)`, "", ""},
		{`exists 0:X0<>1`, "exists", `~(0:X0=1)`, "", ""},
		{`exists not 0:X0=1`, "exists", `~(0:X0=1)`, "", ""},
		{`not exists 0:X0=1`, "~exists", `0:X0=1`, "", ""},
		{`~exists 0:X0=1`, "~exists", `0:X0=1`, "", ""},
		{`final 0:X0=1`, "exists", `0:X0=1`, "", ""},
		{`forall 0:X0=1 => 0:X1=2`, "forall", `(~(0:X0=1) \/ 0:X1=2)`, "", ""},
		// => binds tighter than /\ and is right-associative.
		{`exists 0:X0=1 /\ 0:X1=2 => 0:X2=3`, "exists", `(0:X0=1 /\ (~(0:X1=2) \/ 0:X2=3))`, "", ""},
		{`exists 0:X0=1 => 0:X1=2 => 0:X2=3`, "exists", `(~(0:X0=1) \/ (~(0:X1=2) \/ 0:X2=3))`, "", ""},
		{`exists 0:X0=1 \/ 0:X1=2 /\ 0:X2=3`, "exists", `(0:X0=1 \/ (0:X1=2 /\ 0:X2=3))`, "", ""},
		{`exists fault(P1)`, "exists", `fault(P1)`, "", ""},
		{`exists (fault(P1:m0) /\ 1:X2=2)`, "exists", `(fault(P1:m0) /\ 1:X2=2)`, "", ""},
		{`exists Fault(P1:m0,x)`, "exists", `fault(P1:m0,x)`, "", ""},
		{`filter 0:X0=1 exists 1:X2=2`, "exists", `1:X2=2`, `0:X0=1`, ""},
		{`locations [0:X0;] filter 0:X0=1 forall 1:X2=2`, "forall", `1:X2=2`, `0:X0=1`, ""},
		{`exists 1:X2=2; with A: exists; B: ~exists; C: forall`, "exists", `1:X2=2`, "", "A:exists B:~exists C:forall"},
	} {
		tt, err := Parse("c.litmus", []byte(condTest(c.cond)))
		if err != nil {
			t.Errorf("%s: %v", c.cond, err)
			continue
		}
		got := tt.Cond
		var with []string
		for _, w := range got.With {
			with = append(with, w.Name+":"+w.Quant.String())
		}
		filter := ""
		if got.Filter != nil {
			filter = got.Filter.String()
		}
		if got.Quant.String() != c.quant || got.Prop.String() != c.prop || filter != c.filter || strings.Join(with, " ") != c.with {
			t.Errorf("%s: read as %s %s, filter %q, with %q", c.cond, got.Quant, got.Prop, filter, with)
		}
	}
}

// TestConditionSyntaxErrors: malformed conditions are errors at a
// position, never panics.
func TestConditionSyntaxErrors(t *testing.T) {
	for _, c := range []struct{ cond, want string }{
		{`exists 0:X0=>1`, "want '=' or '!=' after 0:X0"},
		{`exists fault(X1)`, "fault: want a thread"},
		{`exists fault(P1`, "fault: want ')'"},
		{`exists fault(P7)`, "thread P7 does not exist"},
		{`exists 0:X0=1 with A exists`, "with: want NAME:"},
		{`exists 0:X0=1 with A: final`, "with: want exists"},
		{`exists 0:X0 =! 1`, `unexpected character "!"`},
		{`filter exists 0:X0=1`, "after exists"},
	} {
		_, err := Parse("c.litmus", []byte(condTest(c.cond)))
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "c.litmus:") {
			t.Errorf("%s: error %v, want %q at a position", c.cond, err, c.want)
		}
	}
}

// TestConditionSemantics explores conditions with the new syntax: the
// verdict follows herd7's reading (filter discards final states; fault
// atoms hold when the thread took an exception there).
func TestConditionSemantics(t *testing.T) {
	for _, c := range []struct{ cond, want string }{
		{`exists 0:X0!=1`, "Forbidden"},
		{`forall 0:X0==1 /\ 0:X1<>3`, "Required"},
		{`forall 1:X2=2 => fault(P1:m0)`, "Required"},
		{`forall fault(P1:m0) => 1:X2=2`, "Required"},
		{`exists fault(P1)`, "Allowed"},
		{`exists not fault(P1)`, "Allowed"},
		{`exists fault(P1:l1)`, "Forbidden"},
		{`exists fault(P0)`, "Forbidden"},
		{`filter fault(P1) forall 1:X2=2`, "Required"},
		{`filter fault(P1) exists 1:X2=0`, "Forbidden"},
		{`filter 0:X0=2 exists 0:X0=2`, "Forbidden"},
		{`not exists 1:X2=2`, "Allowed"},
	} {
		tt, err := Parse("c.litmus", []byte(condTest(c.cond)))
		if err != nil {
			t.Errorf("%s: %v", c.cond, err)
			continue
		}
		r, err := Explore(tt, Options{})
		if err != nil {
			t.Errorf("%s: %v", c.cond, err)
			continue
		}
		if r.Verdict != c.want {
			t.Errorf("%s: %s, want %s (states %v)", c.cond, r.Verdict, c.want, r.States)
		}
	}
	tt, err := Parse("c.litmus", []byte(condTest(`exists fault(P1:m0,x)`)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Explore(tt, Options{}); err == nil || !strings.Contains(err.Error(), "not modelled") {
		t.Errorf("fault with a location: %v, want an error", err)
	}
}

// TestStoppedWitness: a run stopped by its state bound says whether the
// final states found before the stop decide the verdict, and which ones:
// never a verdict the full run would not give, and never one a later
// state could change.
func TestStoppedWitness(t *testing.T) {
	for _, c := range []struct {
		cond    string
		decides bool // some bound stops the run with a decided verdict
	}{
		{`exists 1:X2=2`, true},            // Allowed: one witness decides
		{`~exists 1:X2=2`, true},           // Allowed (the negation fails)
		{`forall 1:X2=2 \/ 1:X2=0`, false}, // Required: no bound decides
		{`forall 1:X2=2`, true},            // Allowed: a state each way
		{`exists 0:X0=2`, false},           // Forbidden: no bound decides
	} {
		tt, err := Parse("c.litmus", []byte(condTest(c.cond)))
		if err != nil {
			t.Fatal(err)
		}
		full, err := Explore(tt, Options{})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for n := 1; n < full.Explored; n++ {
			_, err := Explore(tt, Options{MaxStates: n})
			var se *StoppedError
			if !errors.As(err, &se) {
				t.Fatalf("%s: bound %d of %d: %v", c.cond, n, full.Explored, err)
			}
			if se.Verdict == "" {
				continue
			}
			found = true
			if se.Verdict != full.Verdict || len(se.Witness) == 0 || !strings.Contains(se.Error(), "already decided by") {
				t.Errorf("%s: bound %d: %s by %v, full run %s", c.cond, n, se.Verdict, se.Witness, full.Verdict)
			}
		}
		if found != c.decides {
			t.Errorf("%s: a bound decides: %v, want %v (full run %s)", c.cond, found, c.decides, full.Verdict)
		}
	}
}
