// Command patchcheck model-checks live kernel code patching.
//
//	patchcheck list                     built-in scenarios, variants, properties
//	patchcheck check NAME|FILE [flags]  explore one scenario
//	patchcheck check --all              every built-in scenario against its expected verdict
//	patchcheck replay FILE              re-run a counterexample file
//	patchcheck explain ID|FILE          a counterexample in prose
//	patchcheck gallery [-o DIR]         the catalogue's counterexamples as pages
//	patchcheck version                  versions of patchcheck, its model and Go
//
// Exit status: 0 safe (or every expectation held, or the counterexample
// reproduced), 1 a violation, an unexpected verdict or NOT REPRODUCED, 2
// bad input, 3 inconclusive (a bound, random walks, interrupted, timeout,
// memory), 4 a kernel WARN without a violation, 70 a bug of patchcheck.
package main

import (
	"os"

	"github.com/patchcheck/patchcheck/cmd/patchcheck/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
