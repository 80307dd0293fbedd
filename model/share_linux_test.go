package model

import (
	"fmt"
	"testing"
)

// TestCountCPUs: Linux CPU lists (/sys/devices/system/cpu/online) are
// counted, and malformed ones refused.
func TestCountCPUs(t *testing.T) {
	for _, tt := range []struct {
		list string
		n    int
		ok   bool
	}{
		{"0", 1, true},
		{"0-1", 2, true},
		{"0-3,5,7-8", 7, true},
		{"", 0, false},
		{"0-", 0, false},
		{"3-1", 0, false},
		{"a", 0, false},
	} {
		if n, ok := countCPUs(tt.list); n != tt.n || ok != tt.ok {
			t.Errorf("countCPUs(%q) = %d, %v; want %d, %v", tt.list, n, ok, tt.n, tt.ok)
		}
	}
}

// TestCPULoad: this machine's load can be read, and counts the reading
// thread.
func TestCPULoad(t *testing.T) {
	l := openCPULoad()
	if l == nil {
		t.Skip("/proc/loadavg cannot be read here")
	}
	defer l.close()
	if n, ok := l.runnable(); !ok || n < 1 || l.online < 1 {
		t.Errorf("runnable %d (%v), online %d", n, ok, l.online)
	}
}

// loadavgs is /proc/loadavg, read as its runnable threads: one count a
// read, the last repeated.
type loadavgs struct {
	runnable []int
	reads    int
}

func (l *loadavgs) ReadAt(p []byte, off int64) (int, error) {
	n := l.runnable[min(l.reads, len(l.runnable)-1)]
	l.reads++
	return copy(p, fmt.Sprintf("0.52 0.58 0.59 %d/163 2105\n", n)), nil
}

func (l *loadavgs) Close() error { return nil }

// TestCPULoadIdle: on a 2-CPU machine, busy does not count the caller's
// own threads, and idle takes the least of idleReads counts.
func TestCPULoadIdle(t *testing.T) {
	for _, tt := range []struct {
		runnable []int
		own      int
		busy     bool // on the first read
		idle     bool // on the reads after
	}{
		{[]int{1}, 0, false, true},
		{[]int{2}, 0, true, false},
		{[]int{2}, 1, false, false},
		{[]int{3}, 1, true, false},
		{[]int{2, 2, 2, 1, 2}, 0, true, true},
		{[]int{2, 2, 2, 2, 2, 1}, 0, true, false}, // past idleReads
		{[]int{2, 3, 2, 2, 2}, 0, true, false},
	} {
		l := &cpuLoad{f: &loadavgs{runnable: tt.runnable}, online: 2}
		if got := l.busy(tt.own); got != tt.busy {
			t.Errorf("%v: busy(%d) = %v, want %v", tt.runnable, tt.own, got, tt.busy)
		}
		if got := l.idle(); got != tt.idle {
			t.Errorf("%v: idle() after one read = %v, want %v", tt.runnable, got, tt.idle)
		}
	}
}
