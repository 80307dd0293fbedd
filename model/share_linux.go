package model

import (
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
