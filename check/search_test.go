package check

import (
	"testing"

	"github.com/patchcheck/patchcheck/model"
	"github.com/patchcheck/patchcheck/scenario"
)

// TestBeforeSearch: Options.BeforeSearch is called once, after the
// scenario is compiled and before the search's first state.
func TestBeforeSearch(t *testing.T) {
	sc := scenario.New("before-search").Arch("x86-64").Target("f1", "f2").
		Key("foo", "f1").Site("s1", "foo", scenario.KindCall).CPU("s1").CPU("s1"). // 3,724 states: progress is reported
		Thread("updater", scenario.Update("foo", "f2")).MustBuild()
	calls, states := 0, int64(-1)
	var opt Options
	opt.Every = 1 // a progress report at every chance
	opt.Progress = func(st model.Stats) {
		if states < 0 {
			states = st.States
		}
		if calls != 1 {
			t.Errorf("progress with %d calls of BeforeSearch before it", calls)
		}
	}
	opt.BeforeSearch = func() {
		if calls++; states >= 0 {
			t.Errorf("BeforeSearch called after the search's progress (%d states)", states)
		}
	}
	r, err := Run(sc, opt)
	if err != nil {
		t.Fatal(err)
	}
	if states < 0 {
		t.Fatal("no progress reported: the test tells nothing")
	}
	if calls != 1 || r.States == 0 {
		t.Errorf("BeforeSearch called %d times for a search of %d states, want once", calls, r.States)
	}
	if _, err := Run(sc, Options{}); err != nil { // nil: not called
		t.Fatal(err)
	}
}
