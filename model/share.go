package model

import (
	"math/bits"
	"time"
)

// helpShare decides, level by level, whether the helpers of a parallel
// search join a level, from the share of a CPU that the main worker's
// thread got while they did: its CPU time (threadCPU) over the wall time,
// from the level's start to the end of the main worker's work in it (its
// wait for the helpers to leave is not counted). The main worker blocks
// only at a level's end, so it stays on one thread within a level; a
// level in which it did not is left out.
//
// The main worker is the search's critical path: it expands the level's
// first chunks and looks up every helper's candidates. When the machine
// has fewer free CPUs than the search has workers (on this project's
// 2-core machine, another process busy beside it), the kernel's scheduler
// shares the CPUs among all the runnable threads. Then the main worker's
// thread waits behind a helper or the other process, and the search is
// slower than on one worker. On bench/spin's 3-CPU search with
// `yes > /dev/null` beside it, the main worker got 15-60% of a CPU in
// most 2 ms windows (docs/memory.md, seventh round), and the search ran
// at 0.79-0.88 of one worker's rate.
//
// So the share is measured in windows of at least shareWindow of helped
// levels. When two of the last three windows are under shareLow, the
// helpers sit out for a pause, and the main worker expands the levels
// alone, as one worker would. Then they join again, and one more low
// window doubles the pause (up to pauseMax), until a window at shareHigh
// or more trusts the helpers again. A search starts trusted if the
// machine has a CPU free as it starts (cpuLoad.idle), untrusted if not:
// on a busy machine, its first low window starts a pause (a short search
// would otherwise be half over before three windows tell). The first
// window of a search is not counted: the process's own start-up (the
// helper's thread, the first garbage collections) falls in it.
//
// While the helpers are not trusted, they join a level only if the
// machine has a CPU free now (cpuLoad, on Linux: fewer runnable threads
// than CPUs online, the main worker's thread counted, the helpers' own
// not), and sit it out otherwise. On a machine whose CPUs are all busy,
// then, they never take the main worker's CPU to find it out: on
// bench/spin's 3-CPU search beside `yes > /dev/null`, a level the helpers
// joined took the main worker 6.5 ms, against 2.5-2.8 ms for the levels
// of about the same size that it expanded alone.
//
// That count is a moment's: a thread that runs for a moment makes the
// machine look busy. Go's own garbage collector does this, in the search:
// while it marks, it runs a worker on each idle CPU (the helpers'), for a
// few milliseconds. The first check, at the search's start, takes the
// least of a few counts; the checks at the levels' starts cannot wait, and
// would have the helpers sit out the levels the collector marks in. On
// bench/spin's 3-CPU search on an idle machine, started untrusted, the
// helpers sat out one to four of the first six levels they could join
// (docs/memory.md, fourteenth round).
//
// The states, verdicts, counterexamples and IDs of a search do not depend
// on which levels the helpers join (parallelBFS): only its speed does.
type helpShare struct {
	measured bool // the thread's CPU time can be read (Linux)
	// the level being measured: when it started, and the thread's CPU
	// time then
	wall0     time.Time
	cpu0      time.Duration
	tid0      int
	wall, cpu time.Duration // the window so far
	windows   int           // windows ended
	low       uint8         // the last three windows: bit i set if window -i was low
	// trusted: a window at shareHigh or more came since the last pause
	// (or since the search started); if not, one low window starts a
	// pause.
	trusted bool
	pause   time.Duration // the last pause
	until   time.Time     // the helpers sit out until then
	// load, if not nil, tells whether the machine has a CPU free now:
	// while the helpers are not trusted, they join a level only if it
	// has, so that on a machine with no CPU free they sit out without
	// costing the main worker a window of its share to tell.
	load   *cpuLoad
	satOut int // levels the helpers sat out
	// levels (tests only: Options.helpLevels), when set, says which levels
	// the helpers join, and nothing is measured.
	levels func(depth int) bool
}

const (
	shareWindow = 2 * time.Millisecond   // the shortest window
	shareLow    = 0.7                    // a share under this is low
	shareHigh   = 0.85                   // a share at this or more trusts the helpers
	pauseMin    = 10 * time.Millisecond  // the first pause
	pauseMax    = 500 * time.Millisecond // the longest pause
)

// join reports whether the helpers join the level at depth d, starting
// now, and if they do, starts measuring it. own is how many of the
// search's helper threads are runnable now (helpers.waiting): the
// machine's runnable threads count them, but they are not load on its
// CPUs that the main worker would compete with.
func (h *helpShare) join(d int, now time.Time, own int) bool {
	if h.levels != nil && !h.levels(d) || now.Before(h.until) || !h.trusted && h.wall == 0 && h.load != nil && h.load.busy(own) {
		h.satOut++
		return false
	}
	if h.measured {
		h.wall0 = now
		h.tid0, h.cpu0, _ = threadCPU()
	}
	return true
}

// done ends the measure of a level the helpers joined, at the end of the
// main worker's work in it (before it waits for the helpers to leave).
func (h *helpShare) done(now time.Time) {
	if !h.measured {
		return
	}
	tid, cpu, _ := threadCPU()
	if tid != h.tid0 { // the main worker moved to another thread: not measured
		return
	}
	h.wall += now.Sub(h.wall0)
	h.cpu += cpu - h.cpu0
	if h.wall < shareWindow {
		return
	}
	share := float64(h.cpu) / float64(h.wall)
	h.wall, h.cpu = 0, 0
	h.decide(share, now)
}

// decide counts a window in which the main worker's share of a CPU was
// share, ended at now.
func (h *helpShare) decide(share float64, now time.Time) {
	if h.windows++; h.windows == 1 {
		return
	}
	h.low <<= 1
	if share < shareLow {
		h.low |= 1
	}
	h.low &= 0x7
	switch {
	case !h.trusted && share < shareLow:
		h.pause = min(max(2*h.pause, pauseMin), pauseMax)
	case !h.trusted && share >= shareHigh:
		h.trusted, h.pause, h.low = true, 0, 0
		return
	case h.trusted && bits.OnesCount8(h.low) >= 2:
		h.trusted, h.pause = false, pauseMin
	default:
		return
	}
	h.until = now.Add(h.pause)
}
