// Command rawcorpus turns a directory of Go fuzz seeds (go test fuzz v1
// files, testdata/fuzz/<Target>) into raw libFuzzer inputs that
// go-118-fuzz-build's testing shim decodes to the same arguments
// (fuzz.LibFuzzerInput), one file each, for OSS-Fuzz, ClusterFuzzLite
// and .ci/libfuzzer:
//
//	go run ./internal/fuzz/cmd/rawcorpus SEEDDIR OUTDIR
//
// A seed that has no raw form (an empty []byte) is left out with a note
// on stderr. A missing SEEDDIR is no seed. Exit status 2 on bad input.
package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/patchcheck/patchcheck/internal/fuzz"
)

func main() { os.Exit(run(os.Args[1:], os.Stderr)) }

func run(args []string, stderr io.Writer) int {
	if len(args) != 2 {
		fmt.Fprintln(stderr, "usage: rawcorpus SEEDDIR OUTDIR")
		return 2
	}
	in, out := args[0], args[1]
	files, err := os.ReadDir(in)
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "rawcorpus:", err)
		return 2
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		fmt.Fprintln(stderr, "rawcorpus:", err)
		return 2
	}
	code := 0
	for _, f := range files {
		if f.IsDir() {
			continue
		}
		file := filepath.Join(in, f.Name())
		data, err := os.ReadFile(file)
		if err != nil {
			fmt.Fprintln(stderr, "rawcorpus:", err)
			code = 2
			continue
		}
		vals, err := fuzz.ParseCorpusFile(data)
		if err != nil {
			fmt.Fprintf(stderr, "rawcorpus: %s:%v\n", file, err)
			code = 2
			continue
		}
		raw, err := fuzz.LibFuzzerInput(vals)
		if err != nil {
			fmt.Fprintf(stderr, "rawcorpus: %s: left out: %v\n", file, err)
			continue
		}
		if err := os.WriteFile(filepath.Join(out, f.Name()), raw, 0o644); err != nil {
			fmt.Fprintln(stderr, "rawcorpus:", err)
			code = 2
		}
	}
	return code
}
