/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * patchcheck model source: powerpc64's function entries, as
 * arch/powerpc/include/asm/code-patching.h (v6.16) decodes them.
 *
 * The kernel #defines LIS_R2, ADDIS_R2_R12 and ADDI_R2_R2 as
 * PPC_RAW_LIS(_R2, 0), PPC_RAW_ADDIS(_R2, _R12, 0) and
 * PPC_RAW_ADDI(_R2, _R2, 0); a #define of the model language is a
 * constant expression of numbers, so they are written as the words those
 * make (the ISA's D-form: opcode 15 or 14, RT, RA). OP_SI_MASK is the
 * series' (Benjamin Gray's v3 5/6, 2022-10-05).
 */

#define OP_RT_RA_MASK	0xffff0000UL
#define OP_SI_MASK	0x0000ffffUL
#define LIS_R2		0x3c400000	/* PPC_RAW_LIS(_R2, 0) */
#define ADDIS_R2_R12	0x3c4c0000	/* PPC_RAW_ADDIS(_R2, _R12, 0) */
#define ADDI_R2_R2	0x38420000	/* PPC_RAW_ADDI(_R2, _R2, 0) */

/*
 * The text of a function is read when compiling (kernel.TextPort): a
 * target's global entry is text no thread patches. The kernel's
 * CONFIG_PPC64_ELF_ABI_V1 branch (function descriptors) is not modelled.
 */
/* mirrors: arch/powerpc/include/asm/code-patching.h ppc_function_entry() v6.16 */
static inline unsigned long ppc_function_entry(void *func)
{
#ifdef CONFIG_PPC64_ELF_ABI_V2
	u32 *insn = func;

	/*
	 * A PPC64 ABIv2 function may have a local and a global entry
	 * point. We need to use the local entry point when patching
	 * functions, so identify and step over the global entry point
	 * sequence.
	 *
	 * The global entry point sequence is always of the form:
	 *
	 * addis r2,r12,XXXX
	 * addi  r2,r2,XXXX
	 *
	 * A linker optimisation may convert the addis to lis:
	 *
	 * lis   r2,XXXX
	 * addi  r2,r2,XXXX
	 */
	if ((((*insn & OP_RT_RA_MASK) == ADDIS_R2_R12) ||
	     ((*insn & OP_RT_RA_MASK) == LIS_R2)) &&
	    ((*(insn+1) & OP_RT_RA_MASK) == ADDI_R2_R2))
		return (unsigned long)(insn + 2);
	else
		return (unsigned long)func;
#else
	return (unsigned long)func;
#endif
}
