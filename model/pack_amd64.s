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

// func diffGroups(s, prev unsafe.Pointer, groups []uint16, masks unsafe.Pointer) uint64
//
// For each group j: masks[j] = the mask of the words of the group at
// s+8*groups[j] that differ from prev's; bit j of the result is set if
// that mask is not zero (groups has at most 64 groups).
TEXT ·diffGroups(SB), NOSPLIT, $0-56
	MOVQ s+0(FP), SI
	MOVQ prev+8(FP), DI
	MOVQ groups_base+16(FP), BX
	MOVQ groups_len+24(FP), CX
	MOVQ masks+40(FP), R8
	XORQ DX, DX
	XORQ R9, R9
	TESTQ CX, CX
	JE ddone
dloop:
	MOVWQZX (BX)(DX*2), AX
	VMOVDQU64 (SI)(AX*8), Z0
	VPCMPUQ $4, (DI)(AX*8), Z0, K1
	KMOVB K1, AX
	MOVB AX, (R8)(DX*1)
	MOVQ R9, R11
	BTSQ DX, R11
	TESTB AX, AX
	CMOVQNE R11, R9
	INCQ DX
	CMPQ DX, CX
	JLT dloop
ddone:
	MOVQ R9, ret+48(FP)
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

// XXH3's initial accumulators (XXH3_INIT_ACC), for groupHash.
DATA xxInitAcc<>+0(SB)/8, $0x00000000C2B2AE3D
DATA xxInitAcc<>+8(SB)/8, $0x9E3779B185EBCA87
DATA xxInitAcc<>+16(SB)/8, $0xC2B2AE3D27D4EB4F
DATA xxInitAcc<>+24(SB)/8, $0x165667B19E3779F9
DATA xxInitAcc<>+32(SB)/8, $0x85EBCA77C2B2AE63
DATA xxInitAcc<>+40(SB)/8, $0x0000000085EBCA77
DATA xxInitAcc<>+48(SB)/8, $0x27D4EB2F165667C5
DATA xxInitAcc<>+56(SB)/8, $0x000000009E3779B1
GLOBL xxInitAcc<>(SB), RODATA|NOPTR, $64

// func groupHash(s unsafe.Pointer, groups []uint16, secret unsafe.Pointer) uint64
//
// XXH3's long-input loop (XXH3_hashLong_internal_loop, 64-bit, default
// secret) over the groups of s as one input of 64 bytes a group (at least
// xxLongGroups groups): the groups but the last are the stripes, 16 a
// block, the accumulators scrambled after each block (XXH3_scrambleAcc,
// the secret from byte 128 on); the last group is the last stripe (the
// secret from byte 121 on). Stripe k of a block is keyed with the secret
// from byte 8k on. The accumulators start as XXH3's (xxInitAcc). As
// zeebo/xxh3's accumAVX512, a stripe is XXH3_accumulate_512: acc +=
// swap(data) + lo32(data^key) * hi32(data^key), the stripe's sum made
// before it is added (one addition a stripe on the accumulators'
// chain). Then XXH3_mergeAccs (the secret from byte 11 on, the length
// times XXH3_PRIME64_1) and XXH3_avalanche, on the accumulators taken
// from the register (stored and loaded back, the loads would wait for
// the 64-byte store): the hash.
TEXT ·groupHash(SB), NOSPLIT, $0-48
	MOVQ s+0(FP), SI
	MOVQ groups_base+8(FP), BX
	MOVQ groups_len+16(FP), CX
	MOVQ secret+32(FP), R8
	VMOVDQU64 xxInitAcc<>+0(SB), Z1
	MOVQ $0x9e3779b1, AX
	VPBROADCASTQ AX, Z0
	VMOVDQU64 128(R8), Z21
	DECQ CX                       // the stripes: all groups but the last
	XORQ DX, DX
	MOVQ R8, R10                  // the stripe's key
hloop:
	MOVWQZX (BX)(DX*2), AX
	VMOVDQU64 (SI)(AX*8), Z3
	VPXORQ (R10), Z3, Z2
	VPSHUFD $0x31, Z2, Z4
	VPMULUDQ Z2, Z4, Z2
	VPSHUFD $0x4e, Z3, Z3
	VPADDQ Z2, Z3, Z2
	VPADDQ Z1, Z2, Z1
	ADDQ $8, R10
	INCQ DX
	TESTQ $15, DX
	JNE hnext
	// a block done: scramble
	VPSRLQ $47, Z1, Z2
	VPTERNLOGD $0x96, Z1, Z21, Z2
	VPMULUDQ Z0, Z2, Z1
	VPSHUFD $0xf5, Z2, Z2
	VPMULUDQ Z0, Z2, Z2
	VPSLLQ $32, Z2, Z2
	VPADDQ Z1, Z2, Z1
	MOVQ R8, R10
hnext:
	CMPQ DX, CX
	JLT hloop
	// the last stripe: the last group
	MOVWQZX (BX)(CX*2), AX
	VMOVDQU64 (SI)(AX*8), Z3
	VPXORQ 121(R8), Z3, Z2
	VPSHUFD $0x31, Z2, Z4
	VPMULUDQ Z2, Z4, Z2
	VPSHUFD $0x4e, Z3, Z3
	VPADDQ Z2, Z3, Z2
	VPADDQ Z1, Z2, Z1
	// XXH3_mergeAccs: h = 64*len(groups)*PRIME64_1 + the sum over lane
	// pairs i of fold(acc[2i]^secret64(11+16i), acc[2i+1]^secret64(19+16i))
	MOVQ groups_len+16(FP), R9
	SHLQ $6, R9
	MOVQ $0x9E3779B185EBCA87, R10
	IMULQ R10, R9
	VEXTRACTI32X4 $1, Z1, X2
	VEXTRACTI32X4 $2, Z1, X3
	VEXTRACTI32X4 $3, Z1, X4
	VMOVQ X1, AX
	VPEXTRQ $1, X1, R10
	XORQ 11(R8), AX
	XORQ 19(R8), R10
	MULQ R10
	XORQ DX, AX
	ADDQ AX, R9
	VMOVQ X2, AX
	VPEXTRQ $1, X2, R10
	XORQ 27(R8), AX
	XORQ 35(R8), R10
	MULQ R10
	XORQ DX, AX
	ADDQ AX, R9
	VMOVQ X3, AX
	VPEXTRQ $1, X3, R10
	XORQ 43(R8), AX
	XORQ 51(R8), R10
	MULQ R10
	XORQ DX, AX
	ADDQ AX, R9
	VMOVQ X4, AX
	VPEXTRQ $1, X4, R10
	XORQ 59(R8), AX
	XORQ 67(R8), R10
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
	MOVQ R9, ret+40(FP)
	VZEROUPPER
	RET
