package model

import "testing"

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
