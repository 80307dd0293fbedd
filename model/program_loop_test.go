package model

import "testing"

// TestLocalCycle: a thread may jump back only when the loop passes a step
// (the compiler's retry loop of atomic_try_cmpxchg); a loop of ops that
// fold into the step before would run forever inside one step.
func TestLocalCycle(t *testing.T) {
	step := Op{Code: OpTest, A: VarEnabled}                  // a read: a step
	local := Op{Code: OpTest, A: VarEnabled, Len: TestLocal} // folds into the step before
	for _, c := range []struct {
		name string
		ops  []Op
		want int
	}{
		{"forward only", []Op{step, {Code: OpJump, Label: 3}, local, step}, -1},
		{"back edge through a step", []Op{step, local, {Code: OpJump, Label: 0}}, -1},
		{"back edge of local ops", []Op{step, local, {Code: OpJump, Label: 1}}, 1},
		{"a jump to itself", []Op{step, {Code: OpJump, Label: 1}}, 1},
		{"a local test looping back", []Op{step, {Code: OpTest, A: VarEnabled, Len: TestLocal, Label: 1}}, 1},
	} {
		if got := localCycle(c.ops); got != c.want {
			t.Errorf("%s: localCycle = %d, want %d", c.name, got, c.want)
		}
	}
}
