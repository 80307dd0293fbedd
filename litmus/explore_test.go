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

// newerKinds are the verdicts that herdtools7's newer kinds.txt
// (catalogue/aarch64-ifetch/kinds.txt at commit 63d66bd1) gives the four
// DIC0-IDC0 tests the shared copy's kinds.txt leaves without one. The
// explorer must agree with all four (docs/arm64-ifetch.md).
var newerKinds = map[string]string{
	"MP+dmb.st+addrisb-Imp_Instr_R":                  "Allowed",
	"MP.RF+dc.cvau-dmb.ish+ctrl-ic.ivau-dsb.ish-isb": "Forbidden",
	"MP.RF+dc.cvau-dmb.ish+pickctrl-ic.ivau-isb":     "Forbidden",
	"MP.RF+dmb.st+pickaddr-cachesyncisb":             "Forbidden",
}

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
	agree, total, newerSeen := 0, 0, 0
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
		if nw, newer := newerKinds[tt.Name]; newer && !ok {
			newerSeen++
			if err != nil || r.Verdict != nw {
				t.Errorf("%s: got %v (%v), herdtools7's newer kinds.txt says %s", tt.Name, r, err, nw)
			}
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
	t.Logf("agreement: %d of %d verdicts in %v; %d of the newer kinds.txt's other verdicts checked", agree, total, time.Since(start), newerSeen)
	if newerSeen != len(newerKinds) {
		t.Errorf("%d of the %d tests of newerKinds found in the catalogue", newerSeen, len(newerKinds))
	}
	if agree < agreementFloor {
		t.Errorf("agreement %d fell below the floor %d", agree, agreementFloor)
	}
}
