package model

import (
	"fmt"
	"unsafe"
)

// Steps confined to one CPU.
//
// Most steps of a search are a CPU's: an instruction executed, a call
// started, a sync IPI taken. They change that CPU's state and nothing
// else (x86-4cpu-2site-2upd without reductions: 89% of its first 1.66 M
// transitions, canon's work included). While Successors expands a state (from), the machine
// keeps track of what its successor (next) differs in from it:
//
//   - begin puts back only the CPU a confined step changed (a struct copy
//     of its CPUState), where it copied the whole state otherwise;
//   - finish does not run canon after a confined step: canon reads the
//     windows, the CPUs' views and which CPUs are done, none of which the
//     step changed, and from is canonical (every state the search stores
//     is canon's, the initial state too: Machine.initial), so canon
//     would change nothing;
//   - nextFingerprint makes the successor's fingerprint from from's
//     accumulators, less the stripes of the groups over the CPU's words,
//     plus their new stripes (fingerprint.go).
//
// A step is confined when it is a CPU's step that begins with beginCPU
// (an instruction executed, a call started or skipped, a sync IPI taken)
// and either the CPU's views and whether it is done are as they were, or
// canon, run after it, changed nothing. What makes the first enough: an
// architecture's Exec changes only the executing CPU's state (the Arch
// contract; x86's INT3 handler, which changes text_poke_array_refs, is a
// step of its own, not Exec, and does not begin with beginCPU), and the
// machine's own part of such a step changes the CPU's views (sync,
// fetched) and nothing else. Tests check every confined step of the catalogue
// against the whole state (verifyConfined), and fail on a broken variant.
//
// The search must leave next as it is (Explore sets confine only without
// a preemption bound, whose search writes Sched into next) and must not
// ask for symmetry (Canonical moves CPUs) or traces.

// initial returns the program's initial state, canon's (it is already:
// canon is there so that every state a search expands is canon's by
// construction, as finish's skipping canon needs).
func (m *Machine) initial() State {
	s := m.P.Initial()
	m.canon(&s)
	return s
}

// dirtyAll is Machine.dirty when next is not known to be from but for
// one CPU's state.
const dirtyAll = -2

// initConfine finds the stripes over each CPU's words.
func (m *Machine) initConfine() {
	m.stripeCPUs = make([]uint8, len(m.pk.all))
	m.stepCPU, m.conf, m.dirty = -1, -1, dirtyAll
	for c := range m.P.CPUs {
		lo := (unsafe.Offsetof(State{}.CPU) + uintptr(c)*unsafe.Sizeof(CPUState{})) / 8
		hi := lo + unsafe.Sizeof(CPUState{})/8
		for k, g := range m.pk.groups {
			if uintptr(g) < hi && lo < uintptr(g)+groupWords {
				m.cpuStripes[c] = append(m.cpuStripes[c], stripe(g, k))
				m.stripeCPUs[k] |= 1 << c
				if len(m.cpuStripes[c]) == 1 {
					m.cpuGroups[c][0] = k
				}
				m.cpuGroups[c][1] = k + 1 // the groups are in order of their words: a CPU's are a run
			}
		}
	}
}

// beginFrom makes next a copy of s, from what it holds: when s is the
// state being expanded, only CPU m.dirty's state (none after a fresh
// copy: dirty is then dirtyAll only until the step ends).
func (m *Machine) beginFrom(s *State) {
	switch {
	case s != m.from || m.dirty == dirtyAll:
		m.copyState(&m.next, s)
	case m.dirty >= 0:
		m.next.CPU[m.dirty] = s.CPU[m.dirty]
	}
	if m.verify && m.from != nil && m.next != *s {
		panic(fmt.Sprintf("patchcheck: begin left next other than its state (dirty %d)", m.dirty))
	}
	m.dirty, m.stepCPU, m.conf = dirtyAll, -1, -1
}

// beginCPU begins a step of CPU c of s that changes no state but the
// CPU's own (see above).
func (m *Machine) beginCPU(s *State, c int) {
	m.begin(s)
	if s == m.from {
		m.stepCPU = int8(c)
	}
}

// confine1 ends a step: canon (and Canonical with symmetry) unless the
// step was confined to one CPU with nothing for canon to do, and records
// whether it was confined (conf, dirty).
func (m *Machine) confine1() {
	c := m.stepCPU
	m.stepCPU = -1
	if c >= 0 {
		n, o := &m.next.CPU[c], &m.from.CPU[c]
		if n.View == o.View && (n.Mode == ModeDone) == (o.Mode == ModeDone) {
			// canon reads nothing the step changed.
			m.confined(c)
			return
		}
	}
	changed := m.canon(&m.next)
	if m.Symmetry {
		m.Canonical(&m.next)
	}
	if c >= 0 && !changed {
		// The step changed the CPU's views (a context
		// synchronisation), and canon found nothing to drop.
		m.confined(c)
	}
}

// confined records that the step changed CPU c's state alone.
func (m *Machine) confined(c int8) {
	m.conf, m.dirty = c, c
	if m.verify {
		m.verifyConfined(c)
	}
}

// verifyConfined checks a confined step against the whole state (tests).
func (m *Machine) verifyConfined(c int8) {
	rest := m.next
	rest.CPU[c] = m.from.CPU[c]
	if rest != *m.from {
		panic(fmt.Sprintf("patchcheck: a step of cpu%d taken as confined changed more than the CPU", c))
	}
	can := m.next
	m.canon(&can)
	if can != m.next {
		panic(fmt.Sprintf("patchcheck: canon changes a step of cpu%d taken as confined", c))
	}
}

// nextFingerprint returns the fingerprint of s, a successor fn was
// handed: from from's when the step was confined.
func (m *Machine) nextFingerprint(s *State) uint64 {
	c := m.conf
	if c < 0 || s != &m.next {
		return m.pk.fingerprint(s)
	}
	if !m.basesOK {
		m.fromBases()
	}
	fp := m.pk.fingerprintFrom(s, m.cpuStripes[c], &m.bases[c])
	if m.verify && fp != m.pk.fingerprint(s) {
		panic(fmt.Sprintf("patchcheck: the fingerprint of a step of cpu%d made from its state's is wrong", c))
	}
	return fp
}

// fromBases computes bases: from's accumulators, less each CPU's stripes.
func (m *Machine) fromBases() {
	if m.pk.avx {
		stripeBases(unsafe.Pointer(m.from), m.pk.all, unsafe.Pointer(&stripeKeys), m.stripeCPUs, &xxInitAcc, &m.bases)
	} else {
		full := xxInitAcc
		stripesGo(m.from, m.pk.all, &full)
		m.bases[MaxCPUs] = full
		for c := range m.P.CPUs {
			var d [8]uint64
			stripesGo(m.from, m.cpuStripes[c], &d)
			for j := range d {
				m.bases[c][j] = full[j] - d[j]
			}
		}
	}
	m.basesOK = true
}

// stripeBases needs MaxCPUs to be 4.
var _ = [1]struct{}{}[MaxCPUs-4]
