package cli

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// searchHeapGoal is the heap goal below which the garbage collector
// leaves a search alone (searchHeap).
const searchHeapGoal = 64 << 20

// searchHeap has Go's garbage collector leave the searches of a command
// alone until their heap reaches size bytes. Its before, the searches'
// check.Options.BeforeSearch, collects the garbage left so far (of the
// start: the kernel's model sources parsed and the scenario compiled, 8
// MiB for bench/spin's scenario; and of the search before), so that the
// search reuses that memory rather than faulting in fresh pages, and then
// sets the heap goal to size while the live heap is under half of it; at
// or over half, GOGC is 100, the default. stop sets GOGC back to 100.
//
// By default the first goal is 4 MiB, and each collection sets the next at
// twice the live heap. A search's visited set, frontier and tree are
// nearly all live, and grow from nothing: bench/spin's 3-CPU search (about
// 20 MiB, 40 ms) went through a collection at each doubling, each with
// its stops and its mark workers taking the CPUs from the search's
// workers; with searchHeap it ran 1.09-1.26 times as fast, on one worker
// and on two, with fingerprints and exact (docs/memory.md, fourteenth
// round). With the goal raised from the process's start instead, the
// start's own garbage (25 MiB, in 4 MiB collections by default) took
// fresh pages too, and a small check took 17-25 ms longer from start to
// exit.
//
// The goal is set through GOGC: with GOGC at g, the runtime's goal is the
// live heap times 1+g/100, and at least heapMinimum times g/100 (Go 1.26,
// runtime/mgcpacer.go: gcControllerState.commit and setGCPercent). So g
// is the least of size/heapMinimum and size/live-1 (times 100), the live
// heap read again after each collection (/gc/heap/live:bytes, from a
// cleanup of an object made unreachable for it), until it is half of
// size. The technique is the Go compiler's (cmd/compile/internal/base,
// AdjustStartingHeap; golang.org/issue/56546).
//
// A GOGC set in the environment is left as it is: before then only
// collects. -max-memory sets the runtime's memory limit
// (internal/budget), which still makes the collector run as the heap
// nears it.
type searchHeap struct {
	size   uint64
	user   bool // GOGC is set in the environment
	mu     sync.Mutex
	on     bool // between before and stop
	armed  bool // an adjustment waits for the next collection
	sample []metrics.Sample
}

func newSearchHeap(size uint64) *searchHeap {
	_, user := os.LookupEnv("GOGC")
	return &searchHeap{size: size, user: user, sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
}

// before collects the garbage, then sets the heap goal for the search
// about to start.
func (h *searchHeap) before() {
	runtime.GC()
	if h.user {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.on = true
	h.adjust()
}

// stop ends the adjustments: GOGC is 100 again.
func (h *searchHeap) stop() {
	if h.user {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.on = false
	debug.SetGCPercent(100)
}

// adjust sets GOGC from the live heap, and has itself called again after
// the next collection while the goal is raised. h.mu is held.
func (h *searchHeap) adjust() {
	metrics.Read(h.sample)
	live := uint64(0)
	if h.sample[0].Value.Kind() == metrics.KindUint64 {
		live = h.sample[0].Value.Uint64()
	}
	if 2*live >= h.size {
		debug.SetGCPercent(100)
		return
	}
	debug.SetGCPercent(int(min(100*h.size/heapMinimum, 100*h.size/max(live, 1)-100)))
	if !h.armed {
		h.armed = true
		afterGC(func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.armed = false
			if h.on {
				h.adjust()
			}
		})
	}
}

// heapMinimum is the Go runtime's least heap goal at GOGC=100
// (defaultHeapMinimum, runtime/mgcpacer.go).
const heapMinimum = 4 << 20

// afterGC calls fn once, in a goroutine of its own, some time after the
// next garbage collection.
func afterGC(fn func()) {
	runtime.AddCleanup(new([32]byte), func(fn func()) { fn() }, fn) // [32]byte: not from the tiny allocator, whose blocks are shared
}
