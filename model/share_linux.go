package model

import (
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

// threadCPU returns the calling thread's ID and the CPU time it has used
// (clock_gettime(CLOCK_THREAD_CPUTIME_ID): the scheduler's own count, to
// the nanosecond; getrusage(RUSAGE_THREAD) is sampled at the tick, too
// coarse for a window of a few milliseconds), and whether they could be
// read. A goroutine that is not locked to its thread can be moved to
// another between two calls: the IDs tell.
func threadCPU() (tid int, cpu time.Duration, ok bool) {
	var ts syscall.Timespec
	if _, _, e := syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTimeID, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		return 0, 0, false
	}
	return syscall.Gettid(), time.Duration(ts.Nano()), true
}

// clockThreadCPUTimeID is CLOCK_THREAD_CPUTIME_ID
// (include/uapi/linux/time.h).
const clockThreadCPUTimeID = 3

// cpuLoad reads how many threads the whole machine has runnable now: the
// fourth field of /proc/loadavg, "runnable/total" (nr_running(): every
// CPU's run queue, the reading thread's included; fs/proc/loadavg.c),
// against the CPUs online (/sys/devices/system/cpu/online).
type cpuLoad struct {
	f interface {
		io.ReaderAt
		io.Closer
	} // /proc/loadavg
	buf    [128]byte
	online int
}

// openCPULoad returns the machine's cpuLoad, or nil if it cannot be read.
func openCPULoad() *cpuLoad {
	f, err := os.Open("/proc/loadavg")
	if err != nil {
		return nil
	}
	l := &cpuLoad{f: f, online: runtime.NumCPU()}
	if b, err := os.ReadFile("/sys/devices/system/cpu/online"); err == nil {
		if n, ok := countCPUs(strings.TrimSpace(string(b))); ok {
			l.online = n
		}
	}
	if _, ok := l.runnable(); !ok {
		f.Close()
		return nil
	}
	return l
}

// countCPUs counts the CPUs of a Linux CPU list ("0-3,5,7-8").
func countCPUs(list string) (int, bool) {
	n := 0
	for _, r := range strings.Split(list, ",") {
		lo, hi, isRange := strings.Cut(r, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			return 0, false
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return 0, false
			}
		}
		n += b - a + 1
	}
	return n, n > 0
}

// runnable returns the machine's runnable threads now.
func (l *cpuLoad) runnable() (int, bool) {
	k, err := l.f.ReadAt(l.buf[:], 0)
	if k == 0 && err != nil {
		return 0, false
	}
	f := strings.Fields(string(l.buf[:k]))
	if len(f) < 4 {
		return 0, false
	}
	r, _, _ := strings.Cut(f[3], "/")
	n, err := strconv.Atoi(r)
	return n, err == nil
}

// busy reports whether the machine has no CPU free: as many runnable
// threads as CPUs online, or more (the caller's thread among them), not
// counting own threads of the caller's.
func (l *cpuLoad) busy(own int) bool {
	n, ok := l.runnable()
	return ok && n-own >= l.online
}

// idle reports whether the machine has a CPU free in any of idleReads
// counts read one after the other: a thread that is runnable for a
// moment (a kernel worker's) is not load.
func (l *cpuLoad) idle() bool {
	for range idleReads {
		if n, ok := l.runnable(); ok && n < l.online {
			return true
		}
	}
	return false
}

// idleReads is how many counts cpuLoad.idle reads: on this project's idle
// 2-core machine, 0.4% of single reads counted a second runnable thread.
const idleReads = 4

func (l *cpuLoad) close() { l.f.Close() }
