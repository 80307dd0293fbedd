package fuzz

import "testing"

// libfuzzer-preserve: kernel lang arches/x86 arches/arm64 arches/ppc

// The targets' seeds are the files in testdata/fuzz/<Target>, and only
// they (no f.Add): libFuzzer reads the same files (.ci/libfuzzer turns
// them into raw inputs), so both drivers start from the same scenarios.
// This file uses nothing from other _test.go files: go-118-fuzz-build
// compiles it alone (see targets.go).

// FuzzKernelSafe: KernelSafe on the fuzzer's bytes.
func FuzzKernelSafe(f *testing.F) {
	TuneGC()
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := KernelSafe(data); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzReplayDeterministic: ReplayDeterministic on the fuzzer's bytes.
func FuzzReplayDeterministic(f *testing.F) {
	TuneGC()
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := ReplayDeterministic(data); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzGenKernelSafe: GenKernelSafe on the fuzzer's bytes, which steer
// package gen's drawing code (rapid's property, without rapid: its
// rapid.MakeFuzz wants the real *testing.T, which go-118-fuzz-build
// replaces, and skips inputs too short for a whole draw).
func FuzzGenKernelSafe(f *testing.F) {
	TuneGC()
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := GenKernelSafe(data); err != nil {
			t.Fatal(err)
		}
	})
}
