package litmus

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// catalogueDir returns the herdtools7 aarch64-ifetch test directory named by
// PATCHCHECK_IFETCH_TESTS, or skips the test.
func catalogueDir(t testing.TB) string {
	d := os.Getenv("PATCHCHECK_IFETCH_TESTS")
	if d == "" {
		t.Skip("PATCHCHECK_IFETCH_TESTS is unset: set it to a herdtools7 catalogue/aarch64-ifetch directory " +
			"(for example ../shared/testdata/aarch64-ifetch, holding DIC0-IDC0/*.litmus and kinds.txt)")
	}
	// A relative path is taken from the module root (as .ci/run gives it)
	// when it does not exist from the package directory.
	if _, err := os.Stat(d); err != nil && !filepath.IsAbs(d) {
		d = filepath.Join("..", d)
	}
	return d
}

func catalogueFiles(t testing.TB) []string {
	d := catalogueDir(t)
	fs, err := filepath.Glob(filepath.Join(d, "DIC0-IDC0", "*.litmus"))
	if err != nil || len(fs) == 0 {
		t.Fatalf("no DIC0-IDC0/*.litmus under %s (PATCHCHECK_IFETCH_TESTS): %v", d, err)
	}
	return fs
}

func TestParseCatalogue(t *testing.T) {
	fs := catalogueFiles(t)
	for _, f := range fs {
		tt, err := ParseFile(f)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if want := strings.TrimSuffix(filepath.Base(f), ".litmus"); tt.Name != want {
			t.Errorf("%s: name %q, want %q", f, tt.Name, want)
		}
	}
	t.Logf("parsed %d files", len(fs))
}
