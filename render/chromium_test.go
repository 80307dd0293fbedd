package render

import (
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestChromiumRendersSVG draws a picture in a real browser: headless
// chromium takes a screenshot of the SVG, which must decode, have the
// window's size and show more than a blank page.
func TestChromiumRendersSVG(t *testing.T) {
	bin := ""
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(n); err == nil {
			bin = p
			break
		}
	}
	if bin == "" {
		t.Skip("no chromium on PATH: install a browser (Debian: apt-get install chromium) to check the pictures in one")
	}
	dir := t.TempDir()
	svg, shot := filepath.Join(dir, "cex.svg"), filepath.Join(dir, "cex.png")
	if err := os.WriteFile(svg, SVG(cexOf(t, "x86-bad-no-sync1")), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--screenshot="+shot, "--window-size=1400,900", "file://"+svg)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", bin, err, out)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v\n%s", err, out)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	b := img.Bounds()
	if b.Dx() != 1400 || b.Dy() != 900 {
		t.Fatalf("screenshot is %dx%d, want 1400x900", b.Dx(), b.Dy())
	}
	colours := map[uint32]bool{}
	nonWhite, red, callBlue := 0, 0, 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			r, g, bl = r>>8, g>>8, bl>>8
			colours[r<<16|g<<8|bl] = true
			if r < 245 || g < 245 || bl < 245 {
				nonWhite++
			}
			if r > 150 && g < 60 && bl < 60 {
				red++ // the violation, #b91c1c
			}
			if r > 210 && r < 228 && g > 226 && g < 242 && bl > 248 {
				callBlue++ // a call's box, #dbeafe
			}
		}
	}
	total := b.Dx() * b.Dy()
	t.Logf("%d colours, %.1f%% not white, %d red and %d call-blue pixels", len(colours), 100*float64(nonWhite)/float64(total), red, callBlue)
	if len(colours) < 16 || nonWhite < total/50 || nonWhite > total*9/10 {
		t.Errorf("the screenshot looks blank or flooded: %d colours, %d of %d pixels not white", len(colours), nonWhite, total)
	}
	if red < 50 || callBlue < 500 {
		t.Errorf("the screenshot lacks the violation's red (%d pixels) or the call boxes' blue (%d pixels)", red, callBlue)
	}
}
