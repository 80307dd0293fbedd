//go:build !amd64 || purego

package model

import "unsafe"

const haveAVX512 = false

func packGroups(s unsafe.Pointer, groups []uint16, out, bm unsafe.Pointer) int {
	panic("unreachable")
}

func unpackGroups(in, bm unsafe.Pointer, groups []uint16, s unsafe.Pointer) { panic("unreachable") }

func copyGroups(dst, src unsafe.Pointer, groups []uint16) { panic("unreachable") }

func diffGroups(s, prev unsafe.Pointer, groups []uint16, masks unsafe.Pointer) uint64 {
	panic("unreachable")
}

func groupHash(s unsafe.Pointer, groups []uint16, secret unsafe.Pointer) uint64 {
	panic("unreachable")
}

func prefetch(p unsafe.Pointer) {}
