//go:build !amd64 || purego

package model

import "unsafe"

const haveAVX512, haveVBMI2 = false, false

func packGroups(s unsafe.Pointer, groups []uint16, out, bm unsafe.Pointer) int {
	panic("unreachable")
}

func unpackGroups(in, bm unsafe.Pointer, groups []uint16, s unsafe.Pointer) { panic("unreachable") }

func copyGroups(dst, src unsafe.Pointer, groups []uint16) { panic("unreachable") }

func encodeGroups(s, prev unsafe.Pointer, groups []uint16, own, out unsafe.Pointer) (int, uint64) {
	panic("unreachable")
}

func decodeGroups(src unsafe.Pointer, changed uint64, groups []uint16, s unsafe.Pointer) int {
	panic("unreachable")
}

func stripeHash(s unsafe.Pointer, stripes []uint32, keys unsafe.Pointer, acc, merge *[8]uint64, n int) uint64 {
	panic("unreachable")
}

func stripeBases(s unsafe.Pointer, stripes []uint32, keys unsafe.Pointer, cpus []uint8, acc *[8]uint64, out *[MaxCPUs + 1][8]uint64) {
	panic("unreachable")
}

func prefetch(p unsafe.Pointer) {}
