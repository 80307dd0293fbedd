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
