package x86

import (
	"github.com/patchcheck/patchcheck/arches/arch"
	"github.com/patchcheck/patchcheck/scenario"
)

// Descriptor describes the x86-64 port (arches.Describe).
func Descriptor() arch.Descriptor {
	return arch.Descriptor{
		Name:    "x86-64",
		Aliases: []string{"x86_64", "x86"},
		Port:    Port{},
		Words: arch.Words{Sync: "a sync IPI", IPI: "sync IPI",
			Taken: "takes the sync IPI: do_sync_core() and the IRET serialise it", Section: "§3"},
		InsnBytes: 5, // CALL rel32, JMP rel32 or the 5-byte NOP
		Gen: arch.Gen{
			Kinds:       []string{scenario.KindCall, scenario.KindTail, scenario.KindJcc},
			InitText:    true,
			JumpLabels:  true,
			JumpSizes:   []int{scenario.JumpSize32, scenario.JumpSize8},
			ModuleJumps: true,
		},
	}
}
