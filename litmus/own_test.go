package litmus

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// ownDirs are the project's own litmus directories (litmus/testdata/DIR,
// each with a kinds.txt giving every test's expected verdict and its
// source) and whether both engines must run each of their tests: in a
// directory marked true, a test the model's machine cannot express must
// be listed in modelCannot with the reason.
var ownDirs = map[string]bool{
	"deps":   false, // the DC is on a reading thread: litmus only
	"dic":    true,
	"idc":    true,
	"kernel": true,
}

// modelCannot lists the tests of the both-engine directories that the
// model compiler (model.go) cannot express, and why. The test fails if a
// listed test fits after all, so that the list stays true.
var modelCannot = map[string]string{
	// The kernel thread's cache maintenance is one op (DC CVAU; DSB;
	// IC IVAU; DSB of a range, caches_clean_inval_pou): an IC without
	// its DC fits only where IDC makes the DC unneeded.
	"IDC0.MP.RF+dsb-ic-dsb+ctrlisb": "IC IVAU without a DC CVAU, with IDC = 0: the model's cache maintenance is DC and IC together",
}

// TestOwnTests explores the project's own litmus tests with the litmus
// explorer and, where they fit, the patching model's explorer: both must
// reach the verdict of the directory's kinds.txt.
func TestOwnTests(t *testing.T) {
	dirs := make([]string, 0, len(ownDirs))
	for d := range ownDirs {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	for _, d := range dirs {
		both := ownDirs[d]
		t.Run(d, func(t *testing.T) {
			dir := filepath.Join("testdata", d)
			kinds, err := ReadKinds(filepath.Join(dir, "kinds.txt"))
			if err != nil {
				t.Fatal(err)
			}
			fs, err := filepath.Glob(filepath.Join(dir, "*.litmus"))
			if err != nil || len(fs) == 0 {
				t.Fatalf("no tests in %s: %v", dir, err)
			}
			seen := map[string]bool{}
			for _, f := range fs {
				tt, err := ParseFile(f)
				if err != nil {
					t.Fatal(err)
				}
				if want := strings.TrimSuffix(filepath.Base(f), ".litmus"); tt.Name != want {
					t.Errorf("%s: name %q, want %q", f, tt.Name, want)
				}
				seen[tt.Name] = true
				want, ok := kinds[tt.Name]
				if !ok {
					t.Errorf("%s: no verdict in %s/kinds.txt", tt.Name, dir)
					continue
				}
				lr, err := Explore(tt, Options{})
				if err != nil {
					t.Errorf("%s: litmus: %v", tt.Name, err)
					continue
				}
				if lr.Verdict != want {
					t.Errorf("%s: litmus explorer %s, want %s", tt.Name, lr.Verdict, want)
				}
				mr, err := ExploreModel(tt, 0)
				var nf *NotFitError
				switch {
				case errors.As(err, &nf):
					if why, ok := modelCannot[tt.Name]; both && !ok {
						t.Errorf("%s: %v (list it in modelCannot with the reason if it must stay so)", tt.Name, err)
					} else if ok {
						t.Logf("%s: litmus %s; model cannot express it: %s (%v)", tt.Name, lr.Verdict, why, err)
					}
				case err != nil:
					t.Errorf("%s: model: %v", tt.Name, err)
				default:
					if _, ok := modelCannot[tt.Name]; ok {
						t.Errorf("%s: listed in modelCannot but fits the model's machine", tt.Name)
					}
					if mr.Verdict != want {
						t.Errorf("%s: model explorer %s, want %s", tt.Name, mr.Verdict, want)
					}
					t.Logf("%s: litmus %s (%d states), model %s (%d states)", tt.Name, lr.Verdict, lr.Explored, mr.Verdict, mr.States)
				}
			}
			for name := range kinds {
				if !seen[name] {
					t.Errorf("%s/kinds.txt: %s has no test file", dir, name)
				}
			}
		})
	}
}

// TestOwnDirsListed keeps ownDirs and litmus/testdata in step.
func TestOwnDirsListed(t *testing.T) {
	es, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if _, ok := ownDirs[e.Name()]; e.IsDir() && e.Name() != "fuzz" && !ok {
			t.Errorf("litmus/testdata/%s is not in ownDirs", e.Name())
		}
	}
}
