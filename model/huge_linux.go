package model

import (
	"syscall"
	"unsafe"
)

// hugePages asks Linux to back the memory of s with transparent huge
// pages (madvise(MADV_HUGEPAGE): this system's THP policy is often
// "madvise"). The visited set's tables are probed at random, so with 4
// KiB pages nearly every probe also misses the TLB. A hint: errors are
// ignored.
//
// It also asks Linux to fault the whole range in at once
// (madvise(MADV_POPULATE_WRITE), Linux 5.14): the tables are filled
// anyway, and one call costs far less than a page fault per 4 KiB page
// (in a virtual machine each fault is an exit: on this project's 2-core
// VM the faults of a fresh arena were a fifth of a short run's time).
func hugePages[T any](s []T) {
	n := uintptr(len(s)) * unsafe.Sizeof(*new(T))
	if n < 64<<10 {
		return
	}
	b := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), n)
	skip := -uintptr(unsafe.Pointer(&b[0])) & 4095 // madvise wants a page-aligned start
	if n >= 2<<20 {
		_ = syscall.Madvise(b[skip:], 14 /* MADV_HUGEPAGE */)
	}
	end := uintptr(len(b)) - (uintptr(unsafe.Pointer(&b[len(b)-1]))+1)&4095
	if end > skip {
		_ = syscall.Madvise(b[skip:end], 23 /* MADV_POPULATE_WRITE */)
	}
}
