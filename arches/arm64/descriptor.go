package arm64

import (
	"github.com/patchcheck/patchcheck/arches/arch"
	"github.com/patchcheck/patchcheck/props"
	"github.com/patchcheck/patchcheck/scenario"
)

// Descriptor describes the arm64 port (arches.Describe).
func Descriptor() arch.Descriptor {
	return arch.Descriptor{
		Name:    "arm64",
		Aliases: []string{"aarch64"},
		Port:    Port{},
		Props:   []string{props.CMODX},
		Words: arch.Words{Sync: "a context synchronisation (an IPI, an isb, an exception return)", IPI: "IPI",
			Taken: "takes the IPI: exception entry and return are context synchronising", Section: "§10.2"},
		InsnBytes: 4,
		// No init static call sites, module static call sites,
		// kprobes or boot-time updates are modelled (docs/semantics.md
		// §10.4), and the generator draws no module jump sites yet
		// (§12.6 models them: ModuleJumps needs modules without static
		// call sites in gen); no Jcc sites; the
		// static calls are out-of-line but in the branch-* variants.
		// Jump label sites are one size, a 4-byte nop or b.
		Gen: arch.Gen{
			Kinds: []string{scenario.KindCall, scenario.KindTail},
			OutOfLine: func(variant string) bool {
				inline, err := inlineSites(normVariant(variant))
				return err == nil && !inline
			},
			JumpLabels: true,
		},
	}
}
