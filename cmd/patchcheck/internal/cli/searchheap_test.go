package cli

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

// TestSearchHeap: with a small live heap, before raises the heap goal to
// the size asked for; once the live heap is half of it, GOGC is 100
// again, and so after stop; a GOGC of the user's is left as it is.
func TestSearchHeap(t *testing.T) {
	if _, set := os.LookupEnv("GOGC"); set {
		t.Skip("GOGC is set in this environment")
	}
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	const size = 64 << 20
	h := newSearchHeap(size)
	h.before()
	if g := gcPercent(); g <= 100 {
		t.Fatalf("GOGC %d after before with a small heap, want more than 100", g)
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
	live = nil

	h.before() // the live heap small again: raised again
	if g := gcPercent(); g <= 100 {
		t.Errorf("GOGC %d at a second search's start, want more than 100", g)
	}
	h.stop()
	if g := gcPercent(); g != 100 {
		t.Errorf("GOGC %d after stop, want 100", g)
	}
	runtime.GC() // an adjustment still armed does nothing after stop
	time.Sleep(10 * time.Millisecond)
	if g := gcPercent(); g != 100 {
		t.Errorf("GOGC %d after stop and a collection, want 100", g)
	}

	t.Setenv("GOGC", "300")
	debug.SetGCPercent(300)
	h = newSearchHeap(size)
	h.before()
	h.stop()
	if g := gcPercent(); g != 300 {
		t.Errorf("GOGC %d with GOGC=300 set, want 300", g)
	}
}
