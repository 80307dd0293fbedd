//go:build !purego

package model

import "unsafe"

func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
func xgetbv() (eax uint32)

//go:noescape
func packGroups(s unsafe.Pointer, groups []uint16, out, bm unsafe.Pointer) int

//go:noescape
func unpackGroups(in, bm unsafe.Pointer, groups []uint16, s unsafe.Pointer)

//go:noescape
func copyGroups(dst, src unsafe.Pointer, groups []uint16)

//go:noescape
func stripeHash(s unsafe.Pointer, stripes []uint32, keys unsafe.Pointer, acc, merge *[8]uint64, n int) uint64

//go:noescape
func stripeBases(s unsafe.Pointer, stripes []uint32, keys unsafe.Pointer, cpus []uint8, acc *[8]uint64, out *[MaxCPUs + 1][8]uint64)

//go:noescape
func encodeGroups(s, prev unsafe.Pointer, groups []uint16, own, out unsafe.Pointer) (n int, changed uint64)

//go:noescape
func decodeGroups(src unsafe.Pointer, changed uint64, groups []uint16, s unsafe.Pointer) (n int)

// haveAVX512 reports whether the CPU and the OS support the AVX-512
// instructions packGroups and unpackGroups use (AVX512F: VPCOMPRESSQ,
// VPEXPANDQ, VPTESTMQ; AVX512DQ: KMOVB; POPCNT).
var haveAVX512 = func() bool {
	max, _, _, _ := cpuid(0, 0)
	if max < 7 {
		return false
	}
	_, _, c1, _ := cpuid(1, 0)
	const osxsave, popcnt = 1 << 27, 1 << 23
	if c1&osxsave == 0 || c1&popcnt == 0 {
		return false
	}
	// XCR0: SSE, AVX, opmask, ZMM_Hi256 and Hi16_ZMM state enabled
	if xcr0 := xgetbv(); xcr0&0xe6 != 0xe6 {
		return false
	}
	_, b7, _, _ := cpuid(7, 0)
	const avx512f, avx512dq = 1 << 16, 1 << 17
	return b7&avx512f != 0 && b7&avx512dq != 0
}()

// haveVBMI2 reports whether the CPU also has the AVX-512 instructions
// encodeGroups and decodeGroups use (AVX512BW: VPTESTMB, KMOVQ;
// AVX512_VBMI2: VPCOMPRESSB, VPEXPANDB).
var haveVBMI2 = func() bool {
	if !haveAVX512 {
		return false
	}
	_, b7, c7, _ := cpuid(7, 0)
	const avx512bw, vbmi2 = 1 << 30, 1 << 6
	return b7&avx512bw != 0 && c7&vbmi2 != 0
}()

// prefetch asks the CPU to bring the cache line at p in (PREFETCHT0).
//
//go:noescape
func prefetch(p unsafe.Pointer)
