package render

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"
)

// TestGalleryUpToDate regenerates the gallery and compares it with
// docs/gallery, file by file. It takes about a second: it checks only the
// scenarios expected to fail, and the kernel's protocol beside each
// variant.
func TestGalleryUpToDate(t *testing.T) {
	start := time.Now()
	files, err := Gallery(GalleryOptions{Dir: "docs/gallery"})
	if err != nil {
		t.Fatal(err)
	}
	// The second generation checks determinism; -short leaves it out.
	again := files
	if !testing.Short() {
		if again, err = Gallery(GalleryOptions{Dir: "docs/gallery"}); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("gallery: %d files in %v", len(files), time.Since(start))
	const fix = "the gallery is out of date: run 'go run ./cmd/patchcheck gallery' at the top of the tree and commit docs/gallery"
	dir := filepath.Join("..", "docs", "gallery")
	want := map[string]bool{}
	for i, f := range files {
		want[f.Name] = true
		if again[i].Name != f.Name || !bytes.Equal(again[i].Data, f.Data) {
			t.Errorf("%s: two generations differ", f.Name)
		}
		old, err := os.ReadFile(filepath.Join(dir, f.Name))
		switch {
		case err != nil:
			t.Errorf("%s: %v; %s", f.Name, err, fix)
		case !bytes.Equal(old, f.Data):
			t.Errorf("docs/gallery/%s differs from what the catalogue generates; %s", f.Name, fix)
		}
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var extra []string
	for _, e := range ents {
		if !want[e.Name()] {
			extra = append(extra, e.Name())
		}
	}
	sort.Strings(extra)
	for _, n := range extra {
		t.Errorf("docs/gallery/%s is not generated any more; %s (it removes such files)", n, fix)
	}
}
