// Package arches is the registry of patchcheck's architecture ports.
package arches

import (
	"fmt"
	"sort"

	"patchcheck/arches/arm64"
	"patchcheck/arches/ppc"
	"patchcheck/arches/x86"
	"patchcheck/kernel"
)

// Lookup returns the port of the named architecture.
func Lookup(name string) (kernel.Port, error) {
	switch name {
	case "x86-64", "x86_64", "x86":
		return x86.Port{}, nil
	case "arm64", "aarch64":
		return arm64.Port{}, nil
	case "ppc32", "powerpc32":
		return ppc.Port32{}, nil
	case "ppc64", "powerpc64":
		return ppc.Port64{}, nil
	}
	return nil, fmt.Errorf("unknown arch %q (have %v)", name, Names())
}

// Names lists the architectures, sorted.
func Names() []string {
	n := []string{"x86-64", "arm64", "ppc32", "ppc64"}
	sort.Strings(n)
	return n
}
