// Package arch defines what an architecture port says about itself: its
// names, its port (variants, fetch assumptions, code generation), the
// properties it reports, the words that explain its traces, and what the
// scenario generator may draw on it. The packages that render, generate
// or list scenarios ask a Descriptor (arches.Describe) instead of
// switching on architecture names, so that adding an architecture touches
// arches/ only.
package arch

import (
	"slices"

	"github.com/patchcheck/patchcheck/kernel"
)

// Descriptor describes one architecture. It is plain data, built afresh
// by each port's Descriptor function.
type Descriptor struct {
	// Name is the architecture's name in scenario files, e.g. "x86-64".
	Name string
	// Aliases are other names a scenario may use for it, e.g. "x86_64".
	Aliases []string
	// Port compiles scenarios for the architecture; its Variants and
	// Fetches list the protocol variants and fetch assumptions, the
	// kernel's own and the default first.
	Port kernel.Port
	// Props names the properties only this architecture's port reports
	// (model.EvArch facts); the generic properties apply to every one.
	Props []string
	// Words are the architecture's terms in explanations and legends.
	Words Words
	// InsnBytes is how many bytes of a patched window the picture shows
	// on its first line when the window has more than six: one
	// instruction (x86: the 5-byte CALL) or one instruction word (4).
	InsnBytes int
	// Gen says what the scenario generator may draw.
	Gen Gen
}

// Words are an architecture's terms for what drops stale instructions.
type Words struct {
	Sync    string // what a CPU had not taken, e.g. "a sync IPI"
	IPI     string // the IPI the patcher sends, without an article
	Taken   string // a CPU taking it, e.g. "takes the sync IPI: ..."
	Section string // the section on the fetch rules in docs/semantics.md, e.g. "§3"
}

// Gen is what the scenario generator (gen, patchcheck campaign) may draw
// on an architecture.
type Gen struct {
	// Kinds are the site kinds drawn; none means the generator does not
	// support the architecture.
	Kinds []string
	// InitText reports whether init text is modelled: lifecycles other
	// than "never", and the boot, module and kprobe features.
	InitText bool
	// OutOfLine, when set, reports whether the variant's static calls are
	// out-of-line: no inline sites, and one updating thread per key.
	OutOfLine func(variant string) bool
	// JumpSizes are the sizes of a jump label site drawn (x86-64: 2 and
	// 5); JumpLabels reports whether the port models jump labels (the
	// jump-labels feature).
	JumpLabels bool
	JumpSizes  []int
	// ModuleJumps reports whether jump label sites may be drawn in a
	// module's text and init text (with the modules feature).
	ModuleJumps bool
}

// Generates reports whether the scenario generator supports d.
func (d Descriptor) Generates() bool { return len(d.Gen.Kinds) > 0 }

// Named reports whether name is d's name or one of its aliases.
func (d Descriptor) Named(name string) bool {
	return name == d.Name || slices.Contains(d.Aliases, name)
}

// OutOfLine reports whether the static calls of variant are out-of-line
// on d.
func (d Descriptor) OutOfLine(variant string) bool {
	return d.Gen.OutOfLine != nil && d.Gen.OutOfLine(variant)
}
