package litmus

import (
	"errors"
	"path/filepath"
	"sort"
	"testing"
	"time"
)

// agreementFloor is the number of catalogue verdicts the explorer
// currently agrees with; it may only go up.
const agreementFloor = 103

func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("the conformance run takes about 15s; skipped with -short")
	}
	d := catalogueDir(t)
	kinds, err := ReadKinds(filepath.Join(d, "kinds.txt"))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	agree, total := 0, 0
	var bad []string
	for _, f := range catalogueFiles(t) {
		tt, err := ParseFile(f)
		if err != nil {
			t.Fatal(err)
		}
		want, ok := kinds[tt.Name]
		r, err := Explore(tt, Options{})
		var un errUnsupported
		if err != nil && !errors.As(err, &un) {
			t.Errorf("%s: %v", tt.Name, err)
			continue
		}
		if !ok {
			continue
		}
		total++
		switch {
		case err != nil:
			bad = append(bad, tt.Name+" unsupported: "+err.Error())
		case r.Verdict == want:
			agree++
		default:
			bad = append(bad, tt.Name+" got "+r.Verdict+" want "+want)
		}
	}
	sort.Strings(bad)
	for _, b := range bad {
		t.Log(b)
	}
	t.Logf("agreement: %d of %d verdicts in %v", agree, total, time.Since(start))
	if agree < agreementFloor {
		t.Errorf("agreement %d fell below the floor %d", agree, agreementFloor)
	}
}
