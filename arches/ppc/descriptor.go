package ppc

import (
	"github.com/patchcheck/patchcheck/arches/arch"
	"github.com/patchcheck/patchcheck/props"
)

// words are powerpc's terms for what drops stale instructions.
func words() arch.Words {
	return arch.Words{Sync: "a context synchronisation (an interrupt, an isync)", IPI: "IPI",
		Taken: "takes an interrupt: context synchronising", Section: "§9.2"}
}

// Descriptor32 describes the PPC32 port (arches.Describe). The scenario
// generator does not draw powerpc scenarios.
func Descriptor32() arch.Descriptor {
	return arch.Descriptor{Name: "ppc32", Aliases: []string{"powerpc32"}, Port: Port32{}, Words: words(), InsnBytes: 4}
}

// Descriptor64 describes the powerpc64 ELFv2 port (arches.Describe).
func Descriptor64() arch.Descriptor {
	return arch.Descriptor{Name: "ppc64", Aliases: []string{"powerpc64"}, Port: Port64{},
		Props: []string{props.TOCAccess, props.TOCAfterCall, props.GlobalEntryR12}, Words: words(), InsnBytes: 4}
}
