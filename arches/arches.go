// Package arches is the registry of patchcheck's architecture ports: a
// fixed list of the ports' descriptors (package arch).
package arches

import (
	"fmt"
	"sort"

	"github.com/patchcheck/patchcheck/arches/arch"
	"github.com/patchcheck/patchcheck/arches/arm64"
	"github.com/patchcheck/patchcheck/arches/ppc"
	"github.com/patchcheck/patchcheck/arches/x86"
	"github.com/patchcheck/patchcheck/kernel"
)

// all returns every architecture's descriptor. Adding an architecture is
// adding its descriptor here.
func all() []arch.Descriptor {
	return []arch.Descriptor{x86.Descriptor(), arm64.Descriptor(), ppc.Descriptor32(), ppc.Descriptor64()}
}

// Describe returns the descriptor of the architecture of that name or
// alias.
func Describe(name string) (arch.Descriptor, error) {
	for _, d := range all() {
		if d.Named(name) {
			return d, nil
		}
	}
	return arch.Descriptor{}, fmt.Errorf("unknown arch %q (have %v)", name, Names())
}

// Lookup returns the port of the named architecture.
func Lookup(name string) (kernel.Port, error) {
	d, err := Describe(name)
	return d.Port, err
}

// Names lists the architectures, sorted.
func Names() []string {
	var n []string
	for _, d := range all() {
		n = append(n, d.Name)
	}
	sort.Strings(n)
	return n
}

// Generated lists the architectures the scenario generator draws
// scenarios for, sorted.
func Generated() []string {
	var n []string
	for _, d := range all() {
		if d.Generates() {
			n = append(n, d.Name)
		}
	}
	sort.Strings(n)
	return n
}
