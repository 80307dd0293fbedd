/* SPDX-License-Identifier: GPL-2.0 */
/*
 * patchcheck model source: PPC32's trampoline, its offsets and the
 * patching flags.
 *
 * Follows arch/powerpc/include/asm/static_call.h (PPC32, v6.15) and
 * arch/powerpc/include/asm/code-patching.h, arch/powerpc/include/asm/ppc-opcode.h.
 */

/*
 * The trampoline, as arch/powerpc/include/asm/static_call.h writes it
 * for PPC32 (v5.16's out-of-line static calls; RET0 since v5.17; the same
 * text at v6.16). include/linux/static_call.h's DEFINE_STATIC_CALL(name,
 * func) is ARCH_DEFINE_STATIC_CALL_TRAMP(name, func), DEFINE_STATIC_CALL_NULL
 * and DEFINE_STATIC_CALL_RET0 the NULL and RET0 trampolines. The port
 * assembles each key's at layout (arches/ppc, asm.go), one after the other
 * in .text; STATIC_CALL_TRAMP_STR(name) is __SCT__ and the key's name.
 * arch_static_call_transform finds label 1 and label 2 by PPC_SCT_RET0 and
 * PPC_SCT_DATA below, not by the labels: the two must agree.
 */

/* mirrors: arch/powerpc/include/asm/static_call.h __PPC_SCT() v6.16 (PPC32) */
#define __PPC_SCT(name, inst)					\
	asm(".pushsection .text, \"ax\"				\n"	\
	    ".align 5						\n"	\
	    ".globl " STATIC_CALL_TRAMP_STR(name) "		\n"	\
	    STATIC_CALL_TRAMP_STR(name) ":			\n"	\
	    inst "						\n"	\
	    "	lis	12,2f@ha				\n"	\
	    "	lwz	12,2f@l(12)				\n"	\
	    "	mtctr	12					\n"	\
	    "	bctr						\n"	\
	    "1:	li	3, 0					\n"	\
	    "	blr						\n"	\
	    "2:	.long 0						\n"	\
	    ".type " STATIC_CALL_TRAMP_STR(name) ", @function	\n"	\
	    ".size " STATIC_CALL_TRAMP_STR(name) ", . - " STATIC_CALL_TRAMP_STR(name) " \n" \
	    ".popsection					\n")

#define PPC_SCT_RET0		20		/* Offset of label 1 */
#define PPC_SCT_DATA		28		/* Offset of label 2 */

/* mirrors: arch/powerpc/include/asm/static_call.h ARCH_DEFINE_STATIC_CALL_TRAMP() v6.16 */
#define ARCH_DEFINE_STATIC_CALL_TRAMP(name, func)	__PPC_SCT(name, "b " #func)
/* mirrors: arch/powerpc/include/asm/static_call.h ARCH_DEFINE_STATIC_CALL_NULL_TRAMP() v6.16 */
#define ARCH_DEFINE_STATIC_CALL_NULL_TRAMP(name)	__PPC_SCT(name, "blr")
/* mirrors: arch/powerpc/include/asm/static_call.h ARCH_DEFINE_STATIC_CALL_RET0_TRAMP() v6.16 */
#define ARCH_DEFINE_STATIC_CALL_RET0_TRAMP(name)	__PPC_SCT(name, "b .+20")

/* asm/code-patching.h */
#define BRANCH_SET_LINK		0x1

/* asm/ppc-opcode.h: general purpose register 3 */
#define _R3			3
