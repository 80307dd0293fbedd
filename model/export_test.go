package model

import "time"

// Exported for the tests of package model_test.

// PackForTest returns s packed (pack.go).
func (m *Machine) PackForTest(s *State, buf []uint64) []uint64 {
	if len(buf) < m.pk.bufLen() {
		buf = make([]uint64, m.pk.bufLen())
	}
	return buf[:m.pk.pack(s, buf)]
}

// UnpackForTest unpacks p into s.
func (m *Machine) UnpackForTest(p []uint64, s *State) { m.pk.unpack(p, s) }

// PackedLenForTest is the length that p's bitmap gives.
func (m *Machine) PackedLenForTest(p []uint64) int { return m.pk.length(p) }

// SpanWordsForTest is the number of words of State that m packs.
func (m *Machine) SpanWordsForTest() int { return groupWords * len(m.pk.groups) }

// HashForTest is the fingerprint of a packed state.
func HashForTest(p []uint64) uint64 { return hash(p) }

// SetAVX512ForTest turns m's assembly packer on or off and returns whether
// it was on; it reports false when the CPU has no AVX-512.
func (m *Machine) SetAVX512ForTest(on bool) (was, ok bool) {
	was = m.pk.avx
	m.pk.avx = on && haveAVX512
	return was, haveAVX512
}

// CopyStateForTest copies src to dst as a step's start does (begin).
func (m *Machine) CopyStateForTest(dst, src *State) { m.copyState(dst, src) }

// NoStaticFetchForTest makes m fetch every instruction through fetchFrom,
// granule by granule, as if no fetch were static (staticFetch).
func (m *Machine) NoStaticFetchForTest() { m.static = nil }

// WithHelperDelayForTest returns opt with the helpers of its parallel
// search sleeping d before each state, so that the main worker takes
// their chunks over.
func WithHelperDelayForTest(opt Options, d time.Duration) Options {
	opt.helperDelay = d
	return opt
}

// TakenOverForTest is how many chunks the main worker of r's parallel
// search took over from a helper.
func TakenOverForTest(r Result) int { return r.takenOver }

// WithHelperClaimDelayForTest returns opt with the helpers of its
// parallel search sleeping d as they claim a chunk, before they read its
// states, and early as they claim one before its level starts.
func WithHelperClaimDelayForTest(opt Options, d, early time.Duration) Options {
	opt.helperClaimDelay, opt.helperEarlyDelay = d, early
	return opt
}

// WithHelperEarlyStallForTest returns opt with the helpers of its
// parallel search, as they claim a chunk before its level starts,
// waiting until the main worker has ended that level (at most a second)
// before the early sleep (WithHelperClaimDelayForTest).
func WithHelperEarlyStallForTest(opt Options) Options {
	opt.helperEarlyStall = true
	return opt
}

// WithPoisonForTest returns opt with its parallel search overwriting
// the segment blocks and spans it reuses.
func WithPoisonForTest(opt Options) Options {
	opt.poison = true
	return opt
}

// LaggedForTest is how many levels of r's parallel search the main
// worker left with a helper still in it.
func LaggedForTest(r Result) int { return r.lagged }

// LagHeldForTest is how many of those levels still had the helper in
// them as the next level started.
func LagHeldForTest(r Result) int { return r.lagHeld }

// WithHelpLevelsForTest returns opt with the helpers of its parallel
// search joining only the levels (by depth) for which join says so, in
// place of helpShare.
func WithHelpLevelsForTest(opt Options, join func(depth int) bool) Options {
	opt.helpLevels = join
	return opt
}

// SatOutForTest is how many levels of r's parallel search the helpers
// sat out.
func SatOutForTest(r Result) int { return r.satOut }

// HelpEveryLevelForTest returns opt with the helpers of its parallel
// search joining every level, whatever the machine's load: the tests of
// the parallel search run beside other tests, where helpShare could have
// the helpers sit most levels out.
func HelpEveryLevelForTest(opt Options) Options {
	return WithHelpLevelsForTest(opt, func(int) bool { return true })
}

// EarlyForTest returns how many chunks of a parallel search a helper
// expanded before their level started.
func EarlyForTest(r Result) int { return r.early }

// VerifyConfinedForTest makes m check every step it takes as confined to
// one CPU against the whole state, and panic where it is wrong
// (confine.go).
func (m *Machine) VerifyConfinedForTest() { m.verify = true }
