package model

import (
	"runtime"
	"sync/atomic"
	"time"
)

// helpLevel is a level of parallelBFS as its helpers see it.
//
// A level can be made while the level before is still being searched
// (parallelBFS's overlap): its first chunks (head) are then made of the
// main worker's states of the level before, final once the main worker
// has passed them, and a helper with nothing left in the level before
// expands them from the front (early) as they are published (ready),
// until the main worker starts the level. The level's other chunks
// (tail) are known only then.
type helpLevel struct {
	head, tail []chunkSlot  // the level's chunks (at: head, then tail)
	back       atomic.Int64 // the helpers take chunks from here down, once started
	// gate counts the helpers in the level, and has gateClosed set once
	// the main worker is done with it: a helper that comes after that
	// (its thread was slow to run) leaves at once, touching nothing, and
	// the main worker waits only for those inside (left: the last one
	// out).
	gate   atomic.Int64
	left   chan struct{}
	inside bool // the main worker's: a helper was in the level as it closed it
	// chunk has helper w expand chunk c, claimed; it reports whether the
	// helper finished it (false: the main worker took it over). Set
	// before started.
	chunk func(w, c int) bool
	// Before the level starts: chunks below ready are published, and
	// early has helper w expand chunk k of them, claimed (from front on).
	ready, front atomic.Int64
	early        func(w, k int) bool
	started      atomic.Bool
	cs           int                       // states a chunk
	next         atomic.Pointer[helpLevel] // the level after, made early
}

// chunkSlot is one chunk of a helpLevel.
type chunkSlot struct {
	// claim says who has the chunk: no one, a helper (working on it, or
	// done), or the main worker (its own, or taken over).
	claim atomic.Int32
	// prog counts the states of the chunk a helper has started: the main
	// worker, come to a chunk a helper is in, waits for it while the
	// count moves (await).
	prog atomic.Int32
	// out is what a helper made of the chunk (nil if none has been in
	// it): set by the helper before it claims the chunk done.
	out *chunkOut
}

// newHelpLevel returns a level whose first head chunks can be claimed
// before it starts.
func newHelpLevel(head int) *helpLevel {
	return &helpLevel{head: make([]chunkSlot, head), left: make(chan struct{}, 1)}
}

// at returns chunk c.
func (lv *helpLevel) at(c int) *chunkSlot {
	if c < len(lv.head) {
		return &lv.head[c]
	}
	return &lv.tail[c-len(lv.head)]
}

// start makes the level's nc chunks claimable, the helpers taking them
// from the end if help; chunk is set already.
func (lv *helpLevel) start(nc int, help bool) {
	if k := nc - len(lv.head); k > 0 {
		lv.tail = make([]chunkSlot, k)
	}
	if help {
		lv.back.Store(int64(nc))
	}
	lv.started.Store(true)
}

// end has the helpers leave the level, its first nc chunks claimed for
// the main worker: those still in it are in a chunk the main worker took
// over, and see it between two states. end waits for them, and keeps the
// others out. A level made early that does not start (the search
// stopped) is ended with its head's chunks.
func (lv *helpLevel) end(nc int) {
	lv.endLate(nc)
	lv.wait()
}

// endLate is end without the wait: it reports whether no helper is in
// the level. One that is (a straggler) is in a chunk the main worker
// took over, its thread not running (it started no state for
// helperStall), or, if the search stopped in the level, in a chunk the
// main worker did not come to. It leaves once its thread runs again and
// sees the chunk taken, and until then may read the level's states and
// write its chunkOut and its own segment arena (parallelBFS's lag).
// wait waits for it.
func (lv *helpLevel) endLate(nc int) bool {
	for c := range nc {
		if cl := &lv.at(c).claim; !cl.CompareAndSwap(chunkFree, chunkMain) {
			cl.CompareAndSwap(chunkHelper, chunkMain)
		}
	}
	lv.inside = lv.gate.Add(gateClosed) != gateClosed
	return !lv.inside
}

// drained reports whether the helpers that were in the level at its
// endLate have all left.
func (lv *helpLevel) drained() bool { return lv.gate.Load() == gateClosed }

// wait waits for the helpers that were in the level at its endLate to
// leave it.
func (lv *helpLevel) wait() {
	if lv.inside {
		<-lv.left
		lv.inside = false
	}
}

// help is helper w's work from level lv on: in each level, the chunks
// published before the level starts, from the front (early), then
// chunks from the level's end as long as there are some nobody has
// taken; then on to the level after if it is made already.
func (lv *helpLevel) help(w int, pan *atomic.Pointer[PanicError]) {
	if !lv.enter() {
		return
	}
	for {
		ok := lv.work(w, pan)
		nx := lv.next.Load()
		if !ok || nx == nil || !nx.enter() {
			lv.leave()
			return
		}
		lv.leave()
		lv = nx
	}
}

// enter has a helper enter the level, unless it is closed.
func (lv *helpLevel) enter() bool {
	for {
		v := lv.gate.Load()
		if v&gateClosed != 0 {
			return false
		}
		if lv.gate.CompareAndSwap(v, v+1) {
			return true
		}
	}
}

// leave has a helper leave the level.
func (lv *helpLevel) leave() {
	if lv.gate.Add(-1) == gateClosed {
		lv.left <- struct{}{}
	}
}

// work is helper w's work in the level it is in; false if it panicked.
func (lv *helpLevel) work(w int, pan *atomic.Pointer[PanicError]) (ok bool) {
	defer recoverPanic(pan) // a panic returns false
	since := time.Now()
	for !lv.started.Load() {
		if lv.gate.Load()&gateClosed != 0 {
			return true
		}
		if k := lv.front.Load(); k < lv.ready.Load() {
			if lv.front.CompareAndSwap(k, k+1) && lv.head[k].claim.CompareAndSwap(chunkFree, chunkHelper) {
				lv.early(w, int(k))
			}
			since = time.Now()
			continue
		}
		if time.Since(since) > helperSpin {
			// The main worker publishes nothing (its chunks left are the
			// helpers'): wait for the next level the helpers join
			// (helpers.loop), spinning a while, then parked.
			return true
		}
		runtime.Gosched()
	}
	for {
		c := int(lv.back.Add(-1))
		if c < 0 || !lv.at(c).claim.CompareAndSwap(chunkFree, chunkHelper) || !lv.chunk(w, c) {
			return true
		}
	}
}

// await waits for the helper in chunk c to finish it, as long as it
// starts a state every helperStall, and reports whether it did. The main
// worker comes to the chunk the helper is in where their chunks meet;
// taking it over throws the helper's work on it away and expands all its
// states again, where the helper is halfway through it on average.
func (lv *helpLevel) await(c int) bool {
	ch := lv.at(c)
	n, since := ch.prog.Load(), time.Now()
	for ch.claim.Load() == chunkHelper {
		if m := ch.prog.Load(); m != n {
			n, since = m, time.Now()
		} else if time.Since(since) > helperStall {
			return false // its thread is not running: take it over
		}
	}
	return ch.claim.Load() == chunkDone
}

// helperStall is how long a helper may go without starting a state
// before the main worker, waiting for its chunk, takes it over: a state
// takes a few microseconds.
const helperStall = 50 * time.Microsecond

// gateClosed is the bit of a helpLevel's gate that closes it.
const gateClosed = 1 << 32

// helpers are the helper goroutines of one parallel search. They live
// from the first level they join to the search's end, and between levels
// wait for the next one: first spinning (yielding the processor each
// time) for up to helperSpin, then parked. Before, a goroutine was started
// for each level, and waking a thread for it each level delayed the
// helper's first chunk (4.8 ms in all of the 3-CPU bench/spin search's
// 41 ms on this project's 2-CPU virtual machine); with helpers that wait,
// bench/spin's 4-CPU exact search on two workers ran at 1.15 of the rate
// (11 runs interleaved), the fingerprint searches at 0.99-1.02.
type helpers struct {
	next atomic.Pointer[helpLevel] // the level to join; nil: none yet
	quit atomic.Bool
	// parked[w-1] is set while helper w waits on wake[w-1].
	parked []atomic.Bool
	wake   []chan struct{}
}

// helperSpin is how long a helper waits for the next level before it
// parks: longer than most gaps between the levels a search's helpers join.
const helperSpin = 200 * time.Microsecond

// start starts helpers 1 to nw-1.
func (h *helpers) start(nw int, pan *atomic.Pointer[PanicError]) {
	h.parked = make([]atomic.Bool, nw-1)
	h.wake = make([]chan struct{}, nw-1)
	for w := 1; w < nw; w++ {
		h.wake[w-1] = make(chan struct{}, 1)
		go h.loop(w, pan)
	}
}

// join has the helpers join lv.
func (h *helpers) join(lv *helpLevel) {
	h.next.Store(lv)
	h.nudge()
}

// stop has the helpers leave once they are out of their level.
func (h *helpers) stop() {
	h.quit.Store(true)
	h.nudge()
}

// waiting returns how many helpers are not parked: waiting for a level
// (spinning, yielding the processor) or already in the next level's early
// chunks. Either way the machine counts their threads as runnable. Before
// start: none.
func (h *helpers) waiting() int {
	n := 0
	for i := range h.parked {
		if !h.parked[i].Load() {
			n++
		}
	}
	return n
}

// nudge wakes the helpers that are parked.
func (h *helpers) nudge() {
	for i := range h.parked {
		if h.parked[i].Load() {
			select {
			case h.wake[i] <- struct{}{}:
			default:
			}
		}
	}
}

// loop is helper w: it helps in each level it sees, until stop.
func (h *helpers) loop(w int, pan *atomic.Pointer[PanicError]) {
	var last *helpLevel
	for {
		since := time.Now()
		for spins := 0; ; spins++ {
			if h.quit.Load() {
				return
			}
			if lv := h.next.Load(); lv != last {
				last = lv
				break
			}
			if spins%64 == 63 && time.Since(since) > helperSpin {
				// Park, after checking once more: join stores the level
				// before it reads parked, and this stores parked before it
				// reads the level, so one of them sees the other.
				h.parked[w-1].Store(true)
				if h.next.Load() == last && !h.quit.Load() {
					<-h.wake[w-1]
				}
				h.parked[w-1].Store(false)
				since = time.Now()
				continue
			}
			runtime.Gosched()
		}
		last.help(w, pan)
	}
}
