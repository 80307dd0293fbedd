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
func hugePages[T any](s []T) {
	n := uintptr(len(s)) * unsafe.Sizeof(*new(T))
	if n < 2<<20 {
		return
	}
	b := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), n)
	skip := -uintptr(unsafe.Pointer(&b[0])) & 4095 // madvise wants a page-aligned start
	_ = syscall.Madvise(b[skip:], 14 /* MADV_HUGEPAGE */)
}
