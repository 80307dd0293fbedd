package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// startHeap is the heap goal below which the garbage collector leaves a
// patchcheck process alone (startingHeap).
const startHeap = 64 << 20

// startingHeap has Go's garbage collector set its heap goal to at least
// size bytes: until the live heap is half of size, it collects only when
// the heap reaches size; from then on as by default (GOGC=100: when the
// heap is twice what was live after the last collection).
//
// By default the first goal is 4 MiB, and each collection sets the next at
// twice the live heap. A search's visited set, frontier and tree are
// nearly all live, and grow from nothing: bench/spin's 3-CPU search (about
// 20 MiB, 40 ms) went through a collection at each doubling, each with
// its stops and its mark workers taking the CPUs from the search's
// workers. With this, and a collection just before each search
// (check.Options.BeforeSearch), so that the search reuses the memory of
// the start's garbage rather than faulting in fresh pages, that search ran
// 1.08-1.17 times as fast, on one worker and on two (docs/memory.md,
// fourteenth round). Without the collection before the search it was no
// faster on one worker: its fresh pages' faults cost what the collections
// had.
//
// The goal is set through GOGC: with GOGC at g, the runtime's goal is the
// live heap times 1+g/100, and at least heapMinimum times g/100 (Go 1.26,
// runtime/mgcpacer.go: gcControllerState.commit and setGCPercent). So g
// is the least of size/heapMinimum and size/live-1 (times 100), the live
// heap read after each collection (/gc/heap/live:bytes, from a cleanup
// of an object made unreachable for it), until GOGC=100 gives a goal of
// size or more.
// The technique is the Go compiler's (cmd/compile/internal/base,
// AdjustStartingHeap; golang.org/issue/56546).
//
// A user's GOGC (the environment variable) is left as it is. -max-memory
// sets the runtime's memory limit (internal/budget), which still makes
// the collector run as the heap nears it.
func startingHeap(size uint64) {
	if _, set := os.LookupEnv("GOGC"); set {
		return
	}
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	var adjust func()
	adjust = func() {
		metrics.Read(sample)
		live := uint64(0)
		if sample[0].Value.Kind() == metrics.KindUint64 {
			live = sample[0].Value.Uint64()
		}
		if 2*live >= size {
			debug.SetGCPercent(100)
			return
		}
		debug.SetGCPercent(int(min(100*size/heapMinimum, 100*size/max(live, 1)-100)))
		afterGC(adjust)
	}
	adjust()
}

// heapMinimum is the Go runtime's least heap goal at GOGC=100
// (defaultHeapMinimum, runtime/mgcpacer.go).
const heapMinimum = 4 << 20

// afterGC calls fn once, in a goroutine of its own, some time after the
// next garbage collection.
func afterGC(fn func()) {
	runtime.AddCleanup(new([32]byte), func(fn func()) { fn() }, fn) // [32]byte: not from the tiny allocator, whose blocks are shared
}
