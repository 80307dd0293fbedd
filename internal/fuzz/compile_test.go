package fuzz

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/patchcheck/patchcheck/arches"
	"github.com/patchcheck/patchcheck/kernel"
	"github.com/patchcheck/patchcheck/scenario"
)

// fuzzScenarios exercise every model file (arm64's and powerpc's with
// their own scenarios): an update with init, tail and
// Jcc sites, boot, a module load and unload with a failing allocation
// and a trampoline key, a kprobe, and jump labels on x86 (the batch, init
// sites, the retry loops, module jump sites with the notifier's list
// work and a failing allocation, kprobes on jump sites), arm64 and
// powerpc (the core's per-entry __jump_label_update).
var fuzzScenarios = []string{
	`scenario f
arch x86-64
target f1 f2
module m1
key foo init=f1 export=tramp
site s1 key=foo kind=call
site t1 key=foo kind=tail section=init
site ms1 key=foo kind=tail module=m1 keyref=tramp
site mi1 key=foo kind=call module=m1 section=init
cpu s1 ms1
thread kernel_init: update foo f2; free_initmem
thread loader: load m1 fail_alloc=2; unload m1
thread kprobes: kprobe ms1; kprobe s1
`,
	`scenario j
arch x86-64
static_key foo init=true
static_key bar
jump j1 key=foo size=2
jump j2 key=foo branch=likely section=init
jump j3 key=bar
cpu j1 j3
cpu j2
thread kernel_init: static_key_slow_dec foo; static_key_enable bar; free_initmem
thread t: static_key_slow_inc foo; static_key_disable bar
`,
	`scenario k
arch arm64
static_key foo
jump j1 key=foo
jump j2 key=foo branch=likely
cpu j1 j2
thread t: static_key_slow_inc foo; static_key_slow_dec foo
`,
	`scenario g
arch x86-64
target f1 f2
key foo init=f1
site s1 key=foo kind=jcc
cpu s1
thread boot: static_call_init; smp_init; update foo NULL
`,
	`scenario a
arch arm64
variant branch-kick
target f1 f2 f3
place f3 range=far
key k init=f1
site s1 key=k kind=call
site s2 key=k kind=tail
cpu s1 s2
thread t: update k f2; update k f3; update k NULL
`,
	`scenario p
arch ppc32
target f1 f2
place f2 range=far
key k init=f1
site s1 key=k kind=call
site s2 key=k kind=tail
cpu s1 s2 tramp(k)
thread t: update k f2; update k return0; update k NULL
`,
	`scenario jm
arch x86-64
module m1
module m2
static_key k
jump j0 key=k
jump j1 key=k module=m1 section=init
jump j2 key=k module=m2
cpu j0 j1 j2
thread t: static_key_enable k
thread l: load m1 fail_alloc=2; load m2; unload m1; unload m2
`,
	`scenario pj
arch ppc32
static_key foo
jump j1 key=foo
jump j2 key=foo branch=likely
cpu j1 j2
thread t: static_key_enable foo; static_key_disable foo
`,
	// kprobes on jump label sites (jump_label_text_reserved(), its
	// module part and both files' static addr_conflict()), the notifier
	// chain's calls through its notifier_blocks.
	`scenario f
arch x86-64
target f1 f2
module m
key bar init=f1
site s1 key=bar kind=call
static_key foo
jump j1 key=foo size=2
jump mj key=foo module=m
cpu j1 mj s1
thread k: kprobe j1; kprobe mj; kprobe s1
thread l: load m; unload m
thread t: static_key_enable foo
`,
}

// FuzzCompileModel compiles the scenarios above with the built-in model
// files changed by the fuzzer (a line deleted, duplicated or moved, a
// token replaced). Bad model source is an error, never a panic.
func FuzzCompileModel(f *testing.F) {
	// The seeds are the files in testdata/fuzz/FuzzCompileModel, which
	// libFuzzer reads too. (This target was kernel's; it is here because
	// go-118-fuzz-build needs a target in its package itself, and
	// package kernel cannot import arches.)
	files := kernel.BuiltinSource()
	var names []string
	for n := range files {
		if strings.HasSuffix(n, ".c") || strings.HasSuffix(n, ".h") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var scs []*scenario.Scenario
	for _, text := range fuzzScenarios {
		sc, err := scenario.Parse("f.scn", []byte(text), nil)
		if err != nil {
			f.Fatal(err)
		}
		scs = append(scs, sc)
	}
	var ports []kernel.Port
	for _, sc := range scs {
		port, err := arches.Lookup(sc.Arch)
		if err != nil {
			f.Fatal(err)
		}
		ports = append(ports, port)
	}
	f.Fuzz(func(t *testing.T, line, other uint16, how uint8, tok string) {
		name := names[int(how/4)%len(names)]
		lines := strings.Split(string(files[name]), "\n")
		i, j := int(line)%len(lines), int(other)%len(lines)
		switch how % 4 {
		case 0:
			lines = slices.Delete(lines, i, i+1)
		case 1:
			lines = slices.Insert(lines, j, lines[i])
		case 2:
			l := lines[i]
			lines = slices.Delete(lines, i, i+1)
			lines = slices.Insert(lines, min(j, len(lines)), l)
		case 3:
			fields := strings.Fields(lines[i])
			if len(fields) > 0 {
				fields[int(other)%len(fields)] = tok
				lines[i] = "\t" + strings.Join(fields, " ")
			}
		}
		text := strings.Join(lines, "\n")
		for k, sc := range scs {
			edited := *sc
			edited.Model = append(slices.Clone(sc.Model), scenario.ModelText{Kind: scenario.ModelFile, Name: name, Text: text})
			kernel.Build(&edited, ports[k]) // errors are fine; a panic fails
		}
	})
}
