//go:build !purego

#include "textflag.h"

// func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL eaxArg+0(FP), AX
	MOVL ecxArg+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func xgetbv() (eax uint32)
TEXT ·xgetbv(SB), NOSPLIT, $0-4
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	RET

// func packGroups(s unsafe.Pointer, groups []uint16, out, bm unsafe.Pointer) int
//
// For each group j: load the 8 words at s+8*groups[j], set bm[j] to the
// mask of the non-zero ones, store them compressed at out (a whole 64-byte
// store: the words past the non-zero ones are scratch) and move out on.
// Returns the words stored.
TEXT ·packGroups(SB), NOSPLIT, $0-56
	MOVQ s+0(FP), SI
	MOVQ groups_base+8(FP), BX
	MOVQ groups_len+16(FP), CX
	MOVQ out+32(FP), DI
	MOVQ bm+40(FP), R8
	MOVQ DI, R9
	XORQ DX, DX
	TESTQ CX, CX
	JE pdone
ploop:
	MOVWQZX (BX)(DX*2), AX
	VMOVDQU64 (SI)(AX*8), Z0
	VPTESTMQ Z0, Z0, K1
	VPCOMPRESSQ Z0, K1, Z1
	VMOVDQU64 Z1, (DI)
	KMOVB K1, AX
	MOVB AX, (R8)(DX*1)
	POPCNTL AX, AX
	LEAQ (DI)(AX*8), DI
	INCQ DX
	CMPQ DX, CX
	JLT ploop
pdone:
	SUBQ R9, DI
	SHRQ $3, DI
	MOVQ DI, ret+48(FP)
	VZEROUPPER
	RET

// func unpackGroups(in, bm unsafe.Pointer, groups []uint16, s unsafe.Pointer)
//
// The inverse of packGroups: for each group j, expand the next
// popcount(bm[j]) words of in to the lanes set in bm[j] (zero elsewhere)
// and store the 8 words at s+8*groups[j].
TEXT ·unpackGroups(SB), NOSPLIT, $0-48
	MOVQ in+0(FP), SI
	MOVQ bm+8(FP), R8
	MOVQ groups_base+16(FP), BX
	MOVQ groups_len+24(FP), CX
	MOVQ s+40(FP), DI
	XORQ DX, DX
	TESTQ CX, CX
	JE udone
uloop:
	MOVWQZX (BX)(DX*2), AX
	MOVBLZX (R8)(DX*1), R10
	KMOVB R10, K1
	VPEXPANDQ.Z (SI), K1, Z0
	VMOVDQU64 Z0, (DI)(AX*8)
	POPCNTL R10, R10
	LEAQ (SI)(R10*8), SI
	INCQ DX
	CMPQ DX, CX
	JLT uloop
udone:
	VZEROUPPER
	RET

// func prefetch(p unsafe.Pointer)
TEXT ·prefetch(SB), NOSPLIT, $0-8
	MOVQ p+0(FP), AX
	PREFETCHT0 (AX)
	RET

// func encodeGroups(s, prev unsafe.Pointer, groups []uint16, own, out unsafe.Pointer) (n int, changed uint64)
//
// coder.encode's groups: for each group j whose words at s+8*groups[j]
// (those in own[j]) differ from prev's, bit j of changed is set and out
// gets the mask of its changed words, their masks of changed bytes and
// the changed bytes (VPCOMPRESSB); n is the bytes written. Each group's
// bytes are stored 64 at a time: out has room for 64 bytes past the end.
TEXT ·encodeGroups(SB), NOSPLIT, $0-72
	MOVQ s+0(FP), SI
	MOVQ prev+8(FP), DI
	MOVQ groups_base+16(FP), BX
	MOVQ groups_len+24(FP), CX
	MOVQ own+40(FP), R8
	MOVQ out+48(FP), R10
	MOVQ R10, R12
	XORQ DX, DX
	XORQ R9, R9
	TESTQ CX, CX
	JE edone
eloop:
	MOVWQZX (BX)(DX*2), AX
	VMOVDQU64 (SI)(AX*8), Z0
	VPXORQ (DI)(AX*8), Z0, Z0
	KMOVB (R8)(DX*1), K2
	VPTESTMQ Z0, Z0, K2, K1 // the group's changed words, of its own
	KORTESTB K1, K1
	JEQ enext
	BTSQ DX, R9
	VMOVDQU64.Z Z0, K1, Z0 // the words of an earlier group cleared
	VPTESTMB Z0, Z0, K3    // its changed bytes
	KMOVB K1, AX
	MOVB AX, (R10)
	KMOVQ K3, R11
	VMOVQ R11, X3
	VPCOMPRESSB.Z X3, K1, X4 // the changed words' byte masks
	VMOVDQU X4, 1(R10)
	POPCNTL AX, AX
	LEAQ 1(R10)(AX*1), R10
	VPCOMPRESSB.Z Z0, K3, Z5 // the changed bytes
	VMOVDQU64 Z5, (R10)
	POPCNTQ R11, R11
	ADDQ R11, R10
enext:
	INCQ DX
	CMPQ DX, CX
	JLT eloop
edone:
	SUBQ R12, R10
	MOVQ R10, n+56(FP)
	MOVQ R9, changed+64(FP)
	VZEROUPPER
	RET

// func decodeGroups(src unsafe.Pointer, changed uint64, groups []uint16, s unsafe.Pointer) (n int)
//
// coder.decode's groups: for each bit j of changed, the group's entry at
// src (encodeGroups's) is expanded (VPEXPANDB) and exclusive-ored into the
// 8 words at s+8*groups[j]; n is the bytes read.
TEXT ·decodeGroups(SB), NOSPLIT, $0-56
	MOVQ src+0(FP), SI
	MOVQ changed+8(FP), R9
	MOVQ groups_base+16(FP), BX
	MOVQ s+40(FP), DI
	MOVQ SI, R12
	TESTQ R9, R9
	JE xdone
xloop:
	BSFQ R9, DX
	BTRQ DX, R9
	MOVWQZX (BX)(DX*2), AX
	MOVBQZX (SI), CX
	KMOVB CX, K1
	VPEXPANDB.Z 1(SI), K1, X3 // the byte masks, each at its word's byte
	POPCNTL CX, CX
	LEAQ 1(SI)(CX*1), SI
	VMOVQ X3, R11
	KMOVQ R11, K3
	VPEXPANDB.Z (SI), K3, Z1 // the changed bytes, in place
	POPCNTQ R11, R11
	ADDQ R11, SI
	VPXORQ (DI)(AX*8), Z1, Z1
	VMOVDQU64 Z1, (DI)(AX*8)
	TESTQ R9, R9
	JNE xloop
xdone:
	SUBQ R12, SI
	MOVQ SI, n+48(FP)
	VZEROUPPER
	RET

// func copyGroups(dst, src unsafe.Pointer, groups []uint16)
//
// For each group j: copy the 8 words at src+8*groups[j] to dst+8*groups[j]
// (one 64-byte load and store).
TEXT ·copyGroups(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ groups_base+16(FP), BX
	MOVQ groups_len+24(FP), CX
	XORQ DX, DX
	TESTQ CX, CX
	JE cdone
cloop:
	MOVWQZX (BX)(DX*2), AX
	VMOVDQU64 (SI)(AX*8), Z0
	VMOVDQU64 Z0, (DI)(AX*8)
	INCQ DX
	CMPQ DX, CX
	JLT cloop
cdone:
	VZEROUPPER
	RET

// STRIPE adds to the accumulators Z1 the fingerprint's stripe e =
// stripes[DX] (BX: the stripes, SI: the state, R8: the keys): the group of
// 8 words of s from word e&0xffff, keyed with the 64 bytes of keys from
// byte 64*(e>>16), is XXH3_accumulate_512's stripe: swap(data) +
// lo32(data^key) * hi32(data^key), made in Z2 before it is added (one
// addition a stripe on the accumulators' chain), as zeebo/xxh3's
// accumAVX512. It uses AX, R9, Z3 and Z4 and leaves the stripe in Z2.
#define STRIPE \
	MOVL (BX)(DX*4), AX; \
	MOVWQZX AX, R9; \
	SHRL $16, AX; \
	SHLQ $6, AX; \
	VMOVDQU64 (SI)(R9*8), Z3; \
	VPXORQ (R8)(AX*1), Z3, Z2; \
	VPSHUFD $0x31, Z2, Z4; \
	VPMULUDQ Z2, Z4, Z2; \
	VPSHUFD $0x4e, Z3, Z3; \
	VPADDQ Z2, Z3, Z2; \
	VPADDQ Z1, Z2, Z1

// func stripeHash(s unsafe.Pointer, stripes []uint32, keys unsafe.Pointer, acc *[8]uint64, merge *[8]uint64, n int) uint64
//
// The fingerprint of s from the accumulators acc (unchanged) and the
// stripes of s (STRIPE), with XXH3_mergeAccs (merge:
// the secret's words it reads, the length 64*n bytes times
// XXH3_PRIME64_1) and XXH3_avalanche, on the accumulators taken from the
// register: mergeAcc in assembly.
TEXT ·stripeHash(SB), NOSPLIT, $0-72
	MOVQ s+0(FP), SI
	MOVQ stripes_base+8(FP), BX
	MOVQ stripes_len+16(FP), CX
	MOVQ keys+32(FP), R8
	MOVQ acc+40(FP), DI
	MOVQ merge+48(FP), R11
	VMOVDQU64 (DI), Z1
	XORQ DX, DX
	TESTQ CX, CX
	JEQ hmerge
hloop:
	STRIPE
	INCQ DX
	CMPQ DX, CX
	JLT hloop
hmerge:
	MOVQ n+56(FP), R9
	SHLQ $6, R9
	MOVQ $0x9E3779B185EBCA87, R10
	IMULQ R10, R9
	VEXTRACTI32X4 $1, Z1, X2
	VEXTRACTI32X4 $2, Z1, X3
	VEXTRACTI32X4 $3, Z1, X4
	VMOVQ X1, AX
	VPEXTRQ $1, X1, R10
	XORQ 0(R11), AX
	XORQ 8(R11), R10
	MULQ R10
	XORQ DX, AX
	ADDQ AX, R9
	VMOVQ X2, AX
	VPEXTRQ $1, X2, R10
	XORQ 16(R11), AX
	XORQ 24(R11), R10
	MULQ R10
	XORQ DX, AX
	ADDQ AX, R9
	VMOVQ X3, AX
	VPEXTRQ $1, X3, R10
	XORQ 32(R11), AX
	XORQ 40(R11), R10
	MULQ R10
	XORQ DX, AX
	ADDQ AX, R9
	VMOVQ X4, AX
	VPEXTRQ $1, X4, R10
	XORQ 48(R11), AX
	XORQ 56(R11), R10
	MULQ R10
	XORQ DX, AX
	ADDQ AX, R9
	// XXH3_avalanche
	MOVQ R9, AX
	SHRQ $37, AX
	XORQ AX, R9
	MOVQ $0x165667919E3779F9, AX
	IMULQ AX, R9
	MOVQ R9, AX
	SHRQ $32, AX
	XORQ AX, R9
	MOVQ R9, ret+64(FP)
	VZEROUPPER
	RET

// func stripeBases(s unsafe.Pointer, stripes []uint32, keys unsafe.Pointer, cpus []uint8, acc *[8]uint64, out *[MaxCPUs + 1][8]uint64)
//
// The accumulators of s for Machine.nextFingerprint, in one pass over its
// stripes (STRIPE): out[MaxCPUs] is acc plus every stripe, and
// out[c] the same less the stripes whose bit c is set in cpus (one byte a
// stripe: the CPUs whose words its group covers). MaxCPUs is 4.
TEXT ·stripeBases(SB), NOSPLIT, $0-80
	MOVQ s+0(FP), SI
	MOVQ stripes_base+8(FP), BX
	MOVQ stripes_len+16(FP), CX
	MOVQ keys+32(FP), R8
	MOVQ cpus_base+40(FP), R12
	MOVQ acc+64(FP), DI
	MOVQ out+72(FP), R11
	VMOVDQU64 (DI), Z1
	VPXORQ Z5, Z5, Z5
	VPXORQ Z6, Z6, Z6
	VPXORQ Z7, Z7, Z7
	VPXORQ Z8, Z8, Z8
	XORQ DX, DX
	TESTQ CX, CX
	JEQ bdone
bloop:
	STRIPE
	MOVBQZX (R12)(DX*1), R10
	TESTQ R10, R10
	JEQ bnext
	TESTQ $1, R10
	JEQ b1
	VPADDQ Z5, Z2, Z5
b1:
	TESTQ $2, R10
	JEQ b2
	VPADDQ Z6, Z2, Z6
b2:
	TESTQ $4, R10
	JEQ b3
	VPADDQ Z7, Z2, Z7
b3:
	TESTQ $8, R10
	JEQ bnext
	VPADDQ Z8, Z2, Z8
bnext:
	INCQ DX
	CMPQ DX, CX
	JLT bloop
bdone:
	VPSUBQ Z5, Z1, Z5
	VPSUBQ Z6, Z1, Z6
	VPSUBQ Z7, Z1, Z7
	VPSUBQ Z8, Z1, Z8
	VMOVDQU64 Z5, 0(R11)
	VMOVDQU64 Z6, 64(R11)
	VMOVDQU64 Z7, 128(R11)
	VMOVDQU64 Z8, 192(R11)
	VMOVDQU64 Z1, 256(R11)
	VZEROUPPER
	RET
