// Package image is what the architecture ports share to lay out a
// scenario in memory: regions of text with their bytes, symbols, patchable
// windows and the contents that reach each target.
package image

import (
	"encoding/binary"
	"fmt"

	"github.com/patchcheck/patchcheck/kernel"
	"github.com/patchcheck/patchcheck/model"
	"github.com/patchcheck/patchcheck/scenario"
)

// Builder lays out one scenario's program.
type Builder struct {
	P   *model.Program
	Lay *kernel.Layout
	// Order is the byte order of instruction words.
	Order binary.ByteOrder
	// Err is the first error met (Fail).
	Err error
}

// New returns a builder of p, whose layout has no init text yet.
func New(p *model.Program, order binary.ByteOrder) *Builder {
	return &Builder{P: p, Lay: &kernel.Layout{Prog: p, InitText: -1}, Order: order}
}

// Fail records the first error of the layout.
func (b *Builder) Fail(format string, args ...any) {
	if b.Err == nil {
		b.Err = fmt.Errorf(format, args...)
	}
}

// Region maps n zero bytes at base and returns the region's index.
func (b *Builder) Region(name string, base uint64, n int) int {
	b.P.Regions = append(b.P.Regions, model.Region{Name: name, Base: base, Bytes: make([]byte, n)})
	return len(b.P.Regions) - 1
}

// At returns the image's bytes from addr on; addr must be mapped.
func (b *Builder) At(addr uint64) []byte {
	r := b.P.RegionOf(addr)
	if r < 0 {
		panic(fmt.Sprintf("patchcheck: layout: %#x is not mapped", addr))
	}
	return b.P.Regions[r].Bytes[addr-b.P.Regions[r].Base:]
}

// Put writes instruction words at addr.
func (b *Builder) Put(addr uint64, words ...uint32) {
	for i, w := range words {
		b.Order.PutUint32(b.At(addr+4*uint64(i)), w)
	}
}

// Sym names [addr, addr+size).
func (b *Builder) Sym(name string, addr, size uint64) {
	b.P.Symbols = append(b.P.Symbols, model.Symbol{Name: name, Addr: addr, Size: size})
}

// Window makes [addr, addr+n) patchable text of key, initialised from the
// image, and returns its index.
func (b *Builder) Window(name string, addr uint64, n, key int) int {
	w := model.WindowDef{Name: name, Base: addr, Size: n, Key: key}
	copy(w.Init[:], b.At(addr)[:n])
	b.P.Windows = append(b.P.Windows, w)
	return len(b.P.Windows) - 1
}

// AtRest sets the contents of window w that reach each target.
func (b *Builder) AtRest(w int, forms func(t int) [][]byte) {
	for t := range b.P.Targets {
		b.P.Windows[w].AtRest[t] = forms(t)
	}
}

// KeyIndex returns the index of key name in sc, or -1.
func KeyIndex(sc *scenario.Scenario, name string) int {
	for i, k := range sc.Keys {
		if k.Name == name {
			return i
		}
	}
	return -1
}

// TargetIndex returns the index of target name in p, or -1.
func TargetIndex(p *model.Program, name string) int {
	for i, t := range p.Targets {
		if t.Name == name {
			return i
		}
	}
	return -1
}

// StaticKeys appends the scenario's static keys (jump labels) to p.Keys,
// after its static call keys, and returns their indexes by name. Each key
// gets two targets, its branch's ways "KEY.false" and "KEY.true", which
// return valueBase plus their index, so that the properties judge a
// branch as they judge a call; key->enabled starts at 1 for
// DEFINE_STATIC_KEY_TRUE (init=true), else 0.
func StaticKeys(sc *scenario.Scenario, p *model.Program, valueBase int) map[string]int {
	keys := map[string]int{}
	for _, k := range sc.StaticKeys {
		keys[k.Name] = len(p.Keys)
		f, t := len(p.Targets), len(p.Targets)+1
		for i, way := range []string{"false", "true"} {
			p.Targets = append(p.Targets, model.TargetDef{Name: k.Name + "." + way, Value: uint64(valueBase + f + i)})
		}
		init, enabled := f, 0
		if k.Init {
			init, enabled = t, 1
		}
		p.Keys = append(p.Keys, model.KeyDef{Name: k.Name, Init: init, Jump: true, False: f, True: t, Enabled: enabled})
	}
	return keys
}

// JumpWays returns the targets of key kd that jump label site j falls
// through to and jumps to (l_yes): for static_branch_unlikely() the
// fall-through is false and l_yes true; static_branch_likely() is the
// other way round.
func JumpWays(kd model.KeyDef, j scenario.Jump) (fall, jump int) {
	if j.Likely {
		return kd.True, kd.False
	}
	return kd.False, kd.True
}

// Jump lays out jump label site j of static key k, whose patchable
// instruction is at addr and jumps to lyes: the code jump_label_init()
// leaves there for the key's initial value (jmp when enabled ^ branch,
// JUMP_LABEL_JMP, else nop), the site's symbol, its window, with the
// instruction that reaches each of the key's ways, and its entry in
// Lay.Jumps. nop and jmp are the same length, the window's.
func (b *Builder) Jump(j scenario.Jump, k int, addr, lyes uint64, nop, jmp []byte) {
	kd := b.P.Keys[k]
	code := func(enabled bool) []byte {
		if enabled != j.Likely {
			return jmp // JUMP_LABEL_JMP: enabled ^ branch
		}
		return nop
	}
	n := len(nop)
	copy(b.At(addr), code(kd.Enabled != 0))
	b.Sym(j.Name, addr, uint64(n))
	w := model.WindowDef{Name: j.Name, Base: addr, Size: n, Key: k}
	copy(w.Init[:], b.At(addr)[:n])
	w.AtRest[kd.False] = [][]byte{code(false)}
	w.AtRest[kd.True] = [][]byte{code(true)}
	b.Lay.Jumps = append(b.Lay.Jumps, kernel.Loc{Name: j.Name, Addr: addr, Kind: kernel.KindJump, Key: k,
		Init: j.Section == scenario.SectionInit, Window: len(b.P.Windows), Likely: j.Likely, Dest: lyes, Size: n})
	b.P.Windows = append(b.P.Windows, w)
}
