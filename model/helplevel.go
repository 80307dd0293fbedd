package model

import "sync/atomic"

// helpLevel is a level of parallelBFS as its helpers see it.
type helpLevel struct {
	// claim[c] says who has chunk c: no one, a helper (working on it, or
	// done), or the main worker (its own, or taken over).
	claim []atomic.Int32
	back  atomic.Int64 // the helpers take chunks from here down
	// gate counts the helpers in the level, and has gateClosed set once
	// the main worker is done with it: a helper that comes after that
	// (its thread was slow to run) leaves at once, touching nothing, and
	// the main worker waits only for those inside (left: the last one
	// out).
	gate atomic.Int64
	left chan struct{}
	// chunk has helper w expand chunk c, claimed; it reports whether the
	// helper finished it (false: the main worker took it over).
	chunk func(w, c int) bool
}

// help is helper w's work in the level: chunks from the level's end, as
// long as there are some nobody has taken.
func (lv *helpLevel) help(w int, pan *atomic.Pointer[PanicError]) {
	for {
		v := lv.gate.Load()
		if v&gateClosed != 0 {
			return
		}
		if lv.gate.CompareAndSwap(v, v+1) {
			break
		}
	}
	defer func() {
		if lv.gate.Add(-1) == gateClosed {
			lv.left <- struct{}{}
		}
	}()
	defer recoverPanic(pan)
	for {
		c := int(lv.back.Add(-1))
		if c < 0 || !lv.claim[c].CompareAndSwap(chunkFree, chunkHelper) || !lv.chunk(w, c) {
			return
		}
	}
}

// close waits for the helpers in the level to leave it, and keeps the
// others out.
func (lv *helpLevel) close() {
	if lv.gate.Add(gateClosed) != gateClosed {
		<-lv.left
	}
}

// gateClosed is the bit of a helpLevel's gate that closes it.
const gateClosed = 1 << 32
