package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	in, out := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(in, "good"), []byte("go test fuzz v1\n[]byte(\"ab\")\n"), 0o644)
	os.WriteFile(filepath.Join(in, "empty"), []byte("go test fuzz v1\n[]byte(\"\")\n"), 0o644)
	var stderr bytes.Buffer
	if code := run([]string{in, out}, &stderr); code != 0 || !strings.Contains(stderr.String(), "empty: left out") {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if b, err := os.ReadFile(filepath.Join(out, "good")); err != nil || string(b) != "\x00\x00\x00\x02ab" {
		t.Errorf("raw input %q, %v", b, err)
	}
	os.WriteFile(filepath.Join(in, "bad"), []byte("go test fuzz v1\n[]byte(\"ab\")\nfloat64(1)\n"), 0o644)
	stderr.Reset()
	if code := run([]string{in, out}, &stderr); code != 2 || !strings.Contains(stderr.String(), filepath.Join(in, "bad")+":3:1: ") {
		t.Errorf("bad seed: exit %d: %s", code, stderr.String())
	}
	if code := run([]string{in}, &stderr); code != 2 {
		t.Errorf("one argument: exit %d", code)
	}
	if code := run([]string{filepath.Join(in, "none"), out}, &stderr); code != 0 {
		t.Errorf("no seed directory: exit %d", code)
	}
}
