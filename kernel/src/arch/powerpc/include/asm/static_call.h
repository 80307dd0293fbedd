/* SPDX-License-Identifier: GPL-2.0 */
/*
 * patchcheck model source: powerpc's trampolines, their offsets and the
 * patching flags.
 *
 * PPC32 follows arch/powerpc/include/asm/static_call.h (v6.15) and
 * arch/powerpc/include/asm/code-patching.h, arch/powerpc/include/asm/ppc-opcode.h.
 * powerpc64 ELFv2 (CONFIG_PPC64_ELF_ABI_V2, which the powerpc64 port's
 * configuration #defines: kernel.ConfigPort) follows Benjamin Gray's
 * "powerpc/64: Add support for out-of-line static calls", v3 5/6 of
 * 2022-10-05 (the series "Out-of-line static calls for powerpc64 ELF V2",
 * not merged; read through the search tool), the design of its v3 and
 * v4: a trampoline of its own for vmlinux and for modules (#ifdef
 * MODULE: the port assembles a module's key's trampoline with MODULE
 * #defined, as the kernel's build passes -DMODULE). The series writes
 * "#elif defined(CONFIG_PPC32)" and an #error for other ABIs; the model
 * language has #ifdef and #else only.
 */

#ifdef CONFIG_PPC64_ELF_ABI_V2

/*
 * .localentry NAME, 1: the local and global entries are one, and r2 is
 * caller-saved (the series' TOOLCHAIN_SUPPORTS_LOCALENTRY1 help text), so
 * the linker and the module loader save and restore the caller's TOC
 * around every call (the port's stubs). The port assembles trampoline k
 * at its place in the image (vmlinux's .text or the module's), and each
 * .align holds there.
 */
#ifdef MODULE

/* mirrors: arch/powerpc/include/asm/static_call.h __PPC_SCT() (MODULE) of Benjamin Gray's v3 5/6 (2022-10-05) */
#define __PPC_SCT(name, inst)					\
	asm(".pushsection .text, \"ax\"				\n"	\
	    ".align 6						\n"	\
	    ".globl " STATIC_CALL_TRAMP_STR(name) "		\n"	\
	    ".localentry " STATIC_CALL_TRAMP_STR(name) ", 1	\n"	\
	    STATIC_CALL_TRAMP_STR(name) ":			\n"	\
	    "	mflr	11					\n"	\
	    "	bcl	20, 31, $+4				\n"	\
	    "0:	mflr	12					\n"	\
	    "	mtlr	11					\n"	\
	    "	addi	12, 12, (" STATIC_CALL_TRAMP_STR(name) " - 0b)	\n"	\
	    "	addis 2, 12, (.TOC.-" STATIC_CALL_TRAMP_STR(name) ")@ha	\n"	\
	    "	addi 2, 2, (.TOC.-" STATIC_CALL_TRAMP_STR(name) ")@l	\n"	\
	    "	" inst "					\n"	\
	    "	ld	12, (2f - " STATIC_CALL_TRAMP_STR(name) ")(12)	\n"	\
	    "	mtctr	12					\n"	\
	    "	bctr						\n"	\
	    "1:	li	3, 0					\n"	\
	    "	blr						\n"	\
	    ".balign 8						\n"	\
	    "2:	.8byte 0					\n"	\
	    ".type " STATIC_CALL_TRAMP_STR(name) ", @function	\n"	\
	    ".size " STATIC_CALL_TRAMP_STR(name) ", . - " STATIC_CALL_TRAMP_STR(name) " \n" \
	    ".popsection					\n")

#else /* KERNEL */

/* mirrors: arch/powerpc/include/asm/static_call.h __PPC_SCT() (KERNEL) of Benjamin Gray's v3 5/6 (2022-10-05) */
#define __PPC_SCT(name, inst)					\
	asm(".pushsection .text, \"ax\"				\n"	\
	    ".align 5						\n"	\
	    ".globl " STATIC_CALL_TRAMP_STR(name) "		\n"	\
	    ".localentry " STATIC_CALL_TRAMP_STR(name) ", 1	\n"	\
	    STATIC_CALL_TRAMP_STR(name) ":			\n"	\
	    "	ld	2, 16(13)				\n"	\
	    "	" inst "					\n"	\
	    "	addis	12, 2, 2f@toc@ha			\n"	\
	    "	ld	12, 2f@toc@l(12)			\n"	\
	    "	mtctr	12					\n"	\
	    "	bctr						\n"	\
	    "1:	li	3, 0					\n"	\
	    "	blr						\n"	\
	    ".balign 8						\n"	\
	    "2:	.8byte 0					\n"	\
	    ".type " STATIC_CALL_TRAMP_STR(name) ", @function	\n"	\
	    ".size " STATIC_CALL_TRAMP_STR(name) ", . - " STATIC_CALL_TRAMP_STR(name) " \n" \
	    ".popsection					\n")

#endif /* MODULE */

#define PPC_SCT_INST_MODULE		28		/* Offset of instruction to update */
#define PPC_SCT_RET0_MODULE		44		/* Offset of label 1 */
#define PPC_SCT_DATA_MODULE		56		/* Offset of label 2 (aligned) */

#define PPC_SCT_INST_KERNEL		4		/* Offset of instruction to update */
#define PPC_SCT_RET0_KERNEL		24		/* Offset of label 1 */
#define PPC_SCT_DATA_KERNEL		32		/* Offset of label 2 (aligned) */

/* mirrors: arch/powerpc/include/asm/static_call.h ARCH_DEFINE_STATIC_CALL_TRAMP() of Benjamin Gray's v3 5/6 (2022-10-05) */
#define ARCH_DEFINE_STATIC_CALL_TRAMP(name, func)	__PPC_SCT(name, "b " #func)
/* mirrors: arch/powerpc/include/asm/static_call.h ARCH_DEFINE_STATIC_CALL_NULL_TRAMP() of Benjamin Gray's v3 5/6 (2022-10-05) */
#define ARCH_DEFINE_STATIC_CALL_NULL_TRAMP(name)	__PPC_SCT(name, "blr")
/* mirrors: arch/powerpc/include/asm/static_call.h ARCH_DEFINE_STATIC_CALL_RET0_TRAMP() of Benjamin Gray's v3 5/6 (2022-10-05) */
#define ARCH_DEFINE_STATIC_CALL_RET0_TRAMP(name)	__PPC_SCT(name, "b 1f")

#else /* PPC32 (the series: #elif defined(CONFIG_PPC32)) */

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

#endif /* CONFIG_PPC64_ELF_ABI_V2 */

/* asm/code-patching.h */
#define BRANCH_SET_LINK		0x1

/* asm/ppc-opcode.h: general purpose register 3 */
#define _R3			3
