package litmus

import (
	"errors"
	"path/filepath"
	"testing"
)

// modelFitFloor is the number of catalogue tests that fit the model's
// machine; it may only go up.
const modelFitFloor = 20

// TestModelAgreesWithHerd is the differential link: every catalogue test
// that fits the patching model's machine is compiled into a model program
// and explored by model.Explore; its verdict must be herd7's and the
// litmus explorer's. There is no list of known disagreements.
func TestModelAgreesWithHerd(t *testing.T) {
	if testing.Short() {
		t.Skip("explores the catalogue twice; skipped with -short")
	}
	d := catalogueDir(t)
	kinds, err := ReadKinds(filepath.Join(d, "kinds.txt"))
	if err != nil {
		t.Fatal(err)
	}
	fit := 0
	var states int64
	for _, f := range catalogueFiles(t) {
		tt, err := ParseFile(f)
		if err != nil {
			t.Fatal(err)
		}
		mr, err := ExploreModel(tt, 0)
		var nf *NotFitError
		if errors.As(err, &nf) {
			t.Logf("%s: %v", tt.Name, err)
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.Name, err)
			continue
		}
		fit++
		states += mr.States
		lr, err := Explore(tt, Options{})
		if err != nil {
			t.Errorf("%s: litmus: %v", tt.Name, err)
			continue
		}
		want, ok := kinds[tt.Name]
		if ok && mr.Verdict != want || mr.Verdict != lr.Verdict {
			t.Errorf("%s: model %s, litmus %s, herd7 %q", tt.Name, mr.Verdict, lr.Verdict, want)
		}
		t.Logf("%s: model %s (%d states), litmus %s, herd7 %q", tt.Name, mr.Verdict, mr.States, lr.Verdict, want)
	}
	t.Logf("%d tests fit the model's machine (%d model states)", fit, states)
	if fit < modelFitFloor {
		t.Errorf("%d tests fit, below the floor %d", fit, modelFitFloor)
	}
}
