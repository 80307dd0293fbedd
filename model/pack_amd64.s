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
