package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

// gcPercent reads GOGC as the runtime has it now.
func gcPercent() int64 {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}

// heapGoal reads the runtime's heap goal now.
func heapGoal() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/goal:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// TestStartingHeap: with a small live heap, the heap goal is raised to
// the size asked for; once the live heap is half of it, GOGC is 100
// again; a GOGC of the user's is left as it is.
func TestStartingHeap(t *testing.T) {
	if _, set := os.LookupEnv("GOGC"); set {
		t.Skip("GOGC is set in this environment")
	}
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	const size = 64 << 20
	runtime.GC()
	startingHeap(size)
	if g := gcPercent(); g <= 100 {
		t.Fatalf("GOGC %d after startingHeap with a small heap, want more than 100", g)
	}
	if goal := heapGoal(); goal < size*9/10 || goal > size*11/10 {
		t.Errorf("heap goal %d MiB, want about %d", goal>>20, size>>20)
	}
	live := make([]byte, size*3/4) // written, so that it is live memory
	for i := range live {
		live[i] = byte(i)
	}
	deadline := time.Now().Add(10 * time.Second)
	for gcPercent() != 100 {
		if time.Now().After(deadline) {
			t.Fatalf("GOGC still %d with %d MiB live after collections", gcPercent(), len(live)>>20)
		}
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	runtime.KeepAlive(live)

	t.Setenv("GOGC", "300")
	debug.SetGCPercent(300)
	live = nil
	runtime.GC()
	startingHeap(size)
	if g := gcPercent(); g != 300 {
		t.Errorf("GOGC %d after startingHeap with GOGC=300 set, want 300", g)
	}
}
