/* SPDX-License-Identifier: GPL-2.0 */
/*
 * patchcheck model source: PPC32's trampoline offsets and patching flags.
 *
 * Follows arch/powerpc/include/asm/static_call.h (PPC32, v6.15) and
 * arch/powerpc/include/asm/code-patching.h, arch/powerpc/include/asm/ppc-opcode.h.
 */

#define PPC_SCT_RET0		20		/* Offset of label 1 */
#define PPC_SCT_DATA		28		/* Offset of label 2 */

/* asm/code-patching.h */
#define BRANCH_SET_LINK		0x1

/* asm/ppc-opcode.h: general purpose register 3 */
#define _R3			3
