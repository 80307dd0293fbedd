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
// It also asks Linux to fault the whole range in at once (populate): the
// tables are filled anyway, and one call costs far less than a page fault
// per 4 KiB page (in a virtual machine each fault is an exit: on this
// project's 2-core VM the faults of a fresh arena were a fifth of a short
// run's time).
func hugePages[T any](s []T) {
	adviseHuge(s)
	populate(s)
}

// adviseHuge is hugePages without the populate: for memory filled from
// its start, populated as it fills (arena.room).
func adviseHuge[T any](s []T) {
	b := asBytes(s)
	if len(b) < 2<<20 {
		return
	}
	skip := -uintptr(unsafe.Pointer(&b[0])) & 4095 // madvise wants a page-aligned start
	_ = syscall.Madvise(b[skip:], 14 /* MADV_HUGEPAGE */)
}

// populate asks Linux to fault in the whole pages of s now
// (madvise(MADV_POPULATE_WRITE), Linux 5.14). A hint: errors are
// ignored.
func populate[T any](s []T) {
	b := asBytes(s)
	if len(b) < 64<<10 {
		return
	}
	skip := -uintptr(unsafe.Pointer(&b[0])) & 4095
	end := uintptr(len(b)) - (uintptr(unsafe.Pointer(&b[len(b)-1]))+1)&4095
	if end > skip {
		_ = syscall.Madvise(b[skip:end], 23 /* MADV_POPULATE_WRITE */)
	}
}

func asBytes[T any](s []T) []byte {
	n := uintptr(len(s)) * unsafe.Sizeof(*new(T))
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), n)
}

// release gives the whole blocks of align bytes (a power of two, 4 KiB
// or more) within b back to the system (madvise(MADV_DONTNEED)): their
// contents are then lost, read as zeros. On huge pages, align 2 MiB
// frees whole huge pages, which a new table's faults can take again
// without compaction. A hint: errors are ignored.
func release(b []byte, align uintptr) {
	if len(b) == 0 {
		return
	}
	skip := -uintptr(unsafe.Pointer(&b[0])) & (align - 1)
	end := uintptr(len(b)) - (uintptr(unsafe.Pointer(&b[len(b)-1]))+1)&(align-1)
	if end > skip {
		_ = syscall.Madvise(b[skip:end], 4 /* MADV_DONTNEED */)
	}
}
