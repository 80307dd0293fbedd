package model

import (
	"fmt"
	"strings"
)

// maxInsn bounds the bytes one fetch may read.
const maxInsn = 16

// fetch enumerates every instruction CPU c may fetch at its PC and executes
// each. A fetch reads every granule from any snapshot of its window that
// the CPU may still see (View..N-1): the CPU has not context-synchronised
// since the newer ones were written, so it may hold the older ones. Bytes
// outside windows never change.
//
// An instruction whose granules lie in static text, outside every window,
// is the same in every state: staticFetch works it out once.
func (m *Machine) fetch(s *State, c int, fn func(*State, *Violation) bool) bool {
	pc := s.CPU[c].PC
	for r := range m.static {
		t := &m.static[r]
		if pc-t.base >= uint64(len(t.code)) {
			continue
		}
		k := t.code[pc-t.base]
		if k == 0 {
			k = staticFetch(m.P, r, pc)
			t.code[pc-t.base] = k
		}
		if k == staticNone {
			break
		}
		n := int(k & staticLen)
		copy(m.fbuf[:n], m.P.Regions[r].Bytes[pc-t.base:])
		for i := range n {
			m.ffrom[i] = -1
		}
		return m.execute(s, c, m.fbuf[:n], m.ffrom[:n], k&staticUndef != 0, false, fn)
	}
	return m.fetchFrom(s, c, 0, fn)
}

// staticText is what fetch knows of one region's instructions: code[o]
// is staticFetch at Base+o once worked out, 0 before.
type staticText struct {
	base uint64
	code []uint8
}

// The fetch at an address, as staticFetch codes it: its length in bytes
// (at most maxInsn), and staticUndef when the bytes are no instruction of
// the model; or staticNone.
const (
	staticLen   = 0x1f
	staticNone  = 0x40
	staticUndef = 0x80
)

// staticFetch works out the fetch that fetchFrom makes at pc, in region r,
// when it reads no window: the same loop, over the region's bytes. It is
// staticNone when the fetch reads a window (in any byte of a granule it
// reads) or a byte outside region r.
func staticFetch(p *Program, r int, pc uint64) uint8 {
	reg := &p.Regions[r]
	g := uint64(p.Arch.Granule())
	var buf [maxInsn]byte
	have := 0
	for {
		n := 0
		if have > 0 {
			n = p.Arch.InsnLen(buf[:have])
		}
		switch {
		case n < 0:
			return uint8(have) | staticUndef
		case n > 0 && have >= n:
			return uint8(n)
		case have >= maxInsn:
			return uint8(have) | staticUndef
		}
		a := pc + uint64(have)
		base := a / g * g
		take := min(int(base+g-a), maxInsn-have)
		for i := range g {
			if w, _ := p.window(base + i); w >= 0 {
				return staticNone
			}
		}
		for i := range take {
			if p.RegionOf(a+uint64(i)) != r {
				return staticNone // unmapped, or another region's
			}
			buf[have+i] = reg.Bytes[a+uint64(i)-reg.Base]
		}
		have += take
	}
}

// staticTexts returns an empty staticText for each of p's regions.
func staticTexts(p *Program) []staticText {
	out := make([]staticText, len(p.Regions))
	for r := range p.Regions {
		out[r] = staticText{base: p.Regions[r].Base, code: make([]uint8, len(p.Regions[r].Bytes))}
	}
	return out
}

// fetchFrom extends a fetch of which m.fbuf[:have] is read so far.
func (m *Machine) fetchFrom(s *State, c, have int, fn func(*State, *Violation) bool) bool {
	buf, from := &m.fbuf, &m.ffrom
	n := 0
	if have > 0 {
		n = m.P.Arch.InsnLen(buf[:have])
	}
	switch {
	case n < 0:
		return m.execute(s, c, buf[:have], from[:have], true, false, fn)
	case n > 0 && have >= n:
		return m.execute(s, c, buf[:n], from[:n], false, false, fn)
	case have >= maxInsn:
		return m.execute(s, c, buf[:have], from[:have], true, false, fn)
	}
	// Read the next granule, from every snapshot the CPU may see.
	g := m.granule
	a := s.CPU[c].PC + uint64(have)
	base := a &^ (g - 1) // every architecture's granule is a power of two
	if g&(g-1) != 0 {
		base = a / g * g
	}
	take := int(base + g - a)
	if have+take > maxInsn {
		take = maxInsn - have
	}
	w, _ := m.P.window(a)
	if w < 0 {
		for i := 0; i < int(g); i++ {
			if ww, _ := m.P.window(base + uint64(i)); ww >= 0 {
				w = ww
			}
		}
	}
	if w < 0 {
		for i := 0; i < take; i++ {
			b, ok := m.textByte(s, a+uint64(i))
			if !ok {
				return m.execute(s, c, buf[:have+i], from[:have+i], false, true, fn)
			}
			buf[have+i], from[have+i] = b, -1
		}
		return m.fetchFrom(s, c, have+take, fn)
	}
	win := &s.Win[w]
	view := int(s.CPU[c].View[w])
	for sn := view; sn < int(win.N); sn++ {
		for i := 0; i < take; i++ {
			b, ok := m.snapByte(s, w, sn, a+uint64(i))
			if !ok {
				return m.execute(s, c, buf[:have+i], from[:have+i], false, true, fn)
			}
			buf[have+i], from[have+i] = b, int8(sn)
		}
		// Skip a snapshot whose granule equals an earlier one's.
		dup := false
		for prev := view; prev < sn && !dup; prev++ {
			same := true
			for i := 0; i < take; i++ {
				if pb, _ := m.snapByte(s, w, prev, a+uint64(i)); pb != buf[have+i] {
					same = false
					break
				}
			}
			dup = same
		}
		if dup {
			continue
		}
		if !m.fetchFrom(s, c, have+take, fn) {
			return false
		}
	}
	return true
}

// snapByte returns the byte at addr in snapshot sn of window w, or the
// static byte when addr is outside the window.
func (m *Machine) snapByte(s *State, w, sn int, addr uint64) (byte, bool) {
	def := &m.P.Windows[w]
	if addr >= def.Base && addr-def.Base < uint64(def.Size) {
		return s.Win[w].Snap[sn][addr-def.Base], true
	}
	r, ok := m.P.region(addr)
	if !ok {
		return 0, false
	}
	return r.Bytes[addr-r.Base], true
}

// torn returns the window whose part of insn at addr matches none of the
// window's snapshots, or -1: the bytes were never an instruction there.
// from is the snapshot each byte was fetched from (fetchFrom).
func (m *Machine) torn(s *State, addr uint64, insn []byte, from []int8) int {
	same := true
	for _, f := range from {
		same = same && f == from[0]
	}
	if same {
		// Fetched from one snapshot (of each window it reads; a fetch
		// granule overlaps at most one window) or none: nothing to
		// compare (nearly every fetch).
		return -1
	}
	for w := range m.P.Windows {
		def := &m.P.Windows[w]
		lo, hi := max(addr, def.Base), min(addr+uint64(len(insn)), def.Base+uint64(def.Size))
		if lo >= hi {
			continue
		}
		part := insn[lo-addr : hi-addr]
		win := &s.Win[w]
		ok := false
		for sn := 0; sn < int(win.N) && !ok; sn++ {
			ok = string(win.Snap[sn][lo-def.Base:hi-def.Base]) == string(part)
		}
		if !ok {
			return w
		}
	}
	return -1
}

// execute runs one fetched instruction (or reports why it cannot run).
func (m *Machine) execute(s *State, c int, insn []byte, from []int8, undef, unmapped bool, fn func(*State, *Violation) bool) bool {
	m.beginCPU(s, c)
	pc := s.CPU[c].PC
	freed := false
	if s.K.Freed != 0 { // else nothing is freed (most states)
		for i := range insn {
			freed = freed || m.P.freed(s, pc+uint64(i))
		}
	}
	tw := m.torn(s, pc, insn, from)
	bad := tw >= 0 || undef || unmapped || freed
	// The event is made in place in m.events (an Event is large) and
	// reached by its index: Exec may append more events. A routine one
	// (an instruction fetched whole, defined, from live text) is made only
	// for whoever reads it: the partial-order reduction (isLocal) and a
	// property that judges routine events (none of props's does).
	ei := -1
	if bad || m.Reduce || m.routineJudged() {
		ev := m.newEvent()
		ei = len(m.events) - 1
		ev.Kind, ev.CPU, ev.Addr, ev.Len, ev.Undef, ev.Unmapped = EvExec, c, pc, len(insn), undef || unmapped, unmapped
		copy(ev.Insn[:], insn)
		ev.Freed, ev.Torn = freed, tw >= 0
		if tw >= 0 {
			ev.Win = tw
		}
	}
	if m.Trace {
		e := TraceEvent{Kind: TrFetch, Sym: m.P.Sym(pc), Addr: pc, Bytes: append(Hex(nil), insn...), Stale: staleBytes(from, s, c, m)}
		if tw < 0 && !undef && !unmapped {
			e.Disasm = m.P.Arch.Disasm(insn, pc, m.P)
		}
		m.rec(e)
	}
	if m.maint {
		m.fetched(c, pc, from)
	}
	if !bad {
		// Only the CPU, address and bytes change from step to step.
		if m.x.m != m {
			m.x = Exec{P: m.P, S: &m.next, m: m}
		}
		m.x.C, m.x.Addr, m.x.Insn = c, pc, insn
		m.P.Arch.Exec(&m.x)
	}
	if m.Reduce {
		m.lastLocal = m.isLocal(s, c, from, &m.events[ei])
	}
	return m.finish(fn)
}

// fetched raises CPU c's views in the next state after it fetched, at
// pc, bytes of the snapshots from: instruction fetches are ordered in
// program order against completed cache maintenance. A fetch that read
// contents written after a maintenance completed is ordered after that
// maintenance, and so is every later fetch of the CPU, which can no
// longer read what the maintenance excluded: the contents older than the
// ones it made coherent, in every window (herd7's aarch64.cat: IC-ob,
// [IF]; po; [IF]; Instr-read-ordered-before, with IC-ca; the tests
// coFF+cachesync and MP-inst+dc.cvau-dsb.ish-ic.vau-dsb.ish).
func (m *Machine) fetched(c int, pc uint64, from []int8) {
	s := &m.next
	last := -1
	for i, f := range from {
		if f < 0 {
			continue
		}
		w, _ := m.P.window(pc + uint64(i))
		if w < 0 || w == last {
			continue
		}
		last = w
		e := s.Win[w].Epoch[f]
		if e == 0 {
			continue // written before any maintenance
		}
		for w2 := range m.P.Windows {
			win, v := &s.Win[w2], &s.CPU[c].View[w2]
			for j := int(win.N) - 1; j > int(*v); j-- {
				if win.Coh[j] <= e {
					*v = uint8(j)
					break
				}
			}
		}
	}
}

// isLocal reports whether the instruction just executed was a local,
// invisible step (see Successors).
func (m *Machine) isLocal(s *State, c int, from []int8, ev *Event) bool {
	if ev.Torn || ev.Undef || ev.Freed || len(m.events) != 1 {
		return false
	}
	for _, f := range from {
		if f >= 0 {
			return false // fetched from patchable text
		}
	}
	for i := 0; i < ev.Len; i++ {
		if r := m.P.RegionOf(ev.Addr + uint64(i)); r < 0 || m.freeable[r] {
			return false
		}
	}
	n, o := &m.next.CPU[c], &s.CPU[c]
	return n.Mode == ModeRun && n.Call == o.Call && n.IPI == o.IPI
}

// staleBytes returns the indices of the bytes of a fetch that differ from
// the current text: the CPU fetched them from a snapshot it had not yet
// synchronised away.
func staleBytes(from []int8, s *State, c int, m *Machine) []int {
	var out []int
	pc := s.CPU[c].PC
	for i, f := range from {
		if f < 0 {
			continue
		}
		a := pc + uint64(i)
		w, _ := m.P.window(a)
		if w < 0 {
			continue
		}
		old, _ := m.snapByte(s, w, int(f), a)
		cur, _ := m.textByte(s, a)
		if old != cur {
			out = append(out, i)
		}
	}
	return out
}

func hexBytes(b []byte) string {
	var sb strings.Builder
	for i, x := range b {
		if i > 0 {
			sb.WriteByte(' ')
		}
		fmt.Fprintf(&sb, "%02x", x)
	}
	return sb.String()
}
