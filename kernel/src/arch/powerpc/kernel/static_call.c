// SPDX-License-Identifier: GPL-2.0
/*
 * patchcheck model source: powerpc's arch_static_call_transform.
 *
 * PPC32 follows arch/powerpc/kernel/static_call.c after f50b45626e05
 * (v6.15, "powerpc/32: Implement static_call_inline"; read through the
 * search tool). powerpc64 ELFv2 (CONFIG_PPC64_ELF_ABI_V2) follows
 * Benjamin Gray's "powerpc/64: Add support for out-of-line static
 * calls", v3 5/6 of 2022-10-05 (not merged; read through the search
 * tool), the design of the series' v3 and v4, whose transform is of the
 * v6.0 file that PPC32's inline sites later rewrote. patch_instruction(),
 * patch_ulong() (8 bytes on powerpc64) and patch_branch()
 * (arch/powerpc/lib/code-patching.c) are built-ins: one store each, with
 * the cache flush and isync of the patching CPU (docs/semantics.md §9);
 * the encodings (PPC_RAW_*, create_branch) and
 * is_offset_in_branch_range() are the port's (arches/ppc), when
 * compiling, as are core_kernel_text() and the reads of a function's
 * words (kernel.TextPort). The trampolines are asm/static_call.h's.
 */

#ifdef CONFIG_PPC64_ELF_ABI_V2

/* mirrors: arch/powerpc/kernel/static_call.c sign_extend_long() of Benjamin Gray's v3 5/6 (2022-10-05) */
static long sign_extend_long(unsigned long value, int index)
{
	if (sizeof(long) == 8)
		return sign_extend64(value, index);
	else
		return sign_extend32(value, index);
}

/* mirrors: arch/powerpc/kernel/static_call.c ppc_function_toc() of Benjamin Gray's v3 5/6 (2022-10-05) */
static void *ppc_function_toc(u32 *func)
{
	if (IS_ENABLED(CONFIG_PPC64_ELF_ABI_V2)) {
		/* There are two common global entry sequences we handle below
		 *
		 * 1. addis r2, r12, SI1
		 *    addi r2, SI2
		 *
		 * 2. lis r2, SI1
		 *    addi r2, SI2
		 *
		 * Where r12 contains the global entry point address (it is otherwise
		 * uninitialised, so doesn't matter what value we use if this is not
		 * a separate global entry point).
		 *
		 * Here we simulate running the given sequence and return the result it
		 * would calculate. If the sequence is not recognised we return NULL.
		 */
		u32 insn1 = *func;
		u32 insn2 = *(func + 1);
		unsigned long op_regs1 = insn1 & OP_RT_RA_MASK;
		unsigned long op_regs2 = insn2 & OP_RT_RA_MASK;
		unsigned long si1 = insn1 & OP_SI_MASK;
		unsigned long si2 = insn2 & OP_SI_MASK;
		unsigned long imm1 = sign_extend_long(si1 << 16, 31);
		unsigned long imm2 = sign_extend_long(si2, 15);
		unsigned long addr = 0;

		/* Simulate the first instruction */
		if (op_regs1 == ADDIS_R2_R12)
			addr += (unsigned long)func + imm1;
		else if (op_regs1 == LIS_R2)
			addr += imm1;
		else
			return NULL;

		/* Simulate the second instruction */
		if (op_regs2 == ADDI_R2_R2)
			addr += imm2;
		else
			return NULL;

		return (void *)addr;
	}

	return NULL;
}

/* mirrors: arch/powerpc/kernel/static_call.c shares_toc() of Benjamin Gray's v3 5/6 (2022-10-05) */
static bool shares_toc(void *func1, void *func2)
{
	if (IS_ENABLED(CONFIG_PPC64_ELF_ABI_V2)) {
		void *func1_toc;
		void *func2_toc;

		if (func1 == NULL || func2 == NULL)
			return false;

		/* Assume the kernel only uses a single TOC */
		if (core_kernel_text((unsigned long)func1) &&
		    core_kernel_text((unsigned long)func2))
			return true;

		/* Fall back to calculating the TOC from common patterns
		 * if modules are involved
		 */
		func1_toc = ppc_function_toc(func1);
		func2_toc = ppc_function_toc(func2);
		return func1_toc != NULL && func2_toc != NULL && func1_toc == func2_toc;
	}

	return true;
}

/* mirrors: arch/powerpc/kernel/static_call.c get_inst_addr() of Benjamin Gray's v3 5/6 (2022-10-05) */
static void *get_inst_addr(void *tramp)
{
	return tramp + (core_kernel_text((unsigned long)tramp)
				? PPC_SCT_INST_KERNEL
				: PPC_SCT_INST_MODULE);
}

/* mirrors: arch/powerpc/kernel/static_call.c get_ret0_addr() of Benjamin Gray's v3 5/6 (2022-10-05) */
static void *get_ret0_addr(void *tramp)
{
	return tramp + (core_kernel_text((unsigned long)tramp)
				? PPC_SCT_RET0_KERNEL
				: PPC_SCT_RET0_MODULE);
}

/* mirrors: arch/powerpc/kernel/static_call.c get_data_addr() of Benjamin Gray's v3 5/6 (2022-10-05) */
static void *get_data_addr(void *tramp)
{
	return tramp + (core_kernel_text((unsigned long) tramp)
				? PPC_SCT_DATA_KERNEL
				: PPC_SCT_DATA_MODULE);
}

/* mirrors: arch/powerpc/kernel/static_call.c arch_static_call_transform() of Benjamin Gray's v3 5/6 (2022-10-05) */
void arch_static_call_transform(void *site, void *tramp, void *func, bool tail)
{
	int err;
	bool is_ret0 = (func == __static_call_return0);
	bool is_short;
	void *target = is_ret0 ? get_ret0_addr(tramp) : func;
	void *tramp_inst = get_inst_addr(tramp);

	if (!tramp)
		return;

	if (is_ret0)
		is_short = true;
	else if (shares_toc(tramp, target))
		is_short = is_offset_in_branch_range(
			(long)ppc_function_entry(target) - (long)tramp_inst);
	else
		/* Combine out-of-range with not sharing a TOC. Though it's possible
		 * an out-of-range target shares a TOC, handling this separately
		 * complicates the trampoline. It's simpler to always use the global
		 * entry point in this case.
		 */
		is_short = false;

	mutex_lock(&text_mutex);

	if (func && !is_short) {
		err = patch_ulong(get_data_addr(tramp), (unsigned long)target);
		if (err)
			goto out;
	}

	if (!func)
		err = patch_instruction(tramp_inst, ppc_inst(PPC_RAW_BLR()));
	else if (is_short)
		err = patch_branch(tramp_inst, ppc_function_entry(target), 0);
	else
		err = patch_instruction(tramp_inst, ppc_inst(PPC_RAW_NOP()));

out:
	mutex_unlock(&text_mutex);

	if (err)
		panic("%s: patching failed %pS at %pS\n", __func__, func, tramp);
}

#else /* PPC32 */

/* mirrors: arch/powerpc/kernel/static_call.c arch_static_call_transform() v6.15 */
void arch_static_call_transform(void *site, void *tramp, void *func, bool tail)
{
	int err;
	bool is_ret0 = (func == __static_call_return0);
	unsigned long _tramp = (unsigned long)tramp;
	unsigned long _func = (unsigned long)func;
	unsigned long _ret0 = _tramp + PPC_SCT_RET0;
	bool is_short = is_offset_in_branch_range((long)func - (long)(site ? : tramp));

	mutex_lock(&text_mutex);

	if (site && tail) {
		if (!func)
			err = patch_instruction(site, ppc_inst(PPC_RAW_BLR()));
		else if (is_ret0)
			err = patch_branch(site, _ret0, 0);
		else if (is_short)
			err = patch_branch(site, _func, 0);
		else if (tramp)
			err = patch_branch(site, _tramp, 0);
		else
			err = 0;
	} else if (site) {
		if (!func)
			err = patch_instruction(site, ppc_inst(PPC_RAW_NOP()));
		else if (is_ret0)
			err = patch_instruction(site, ppc_inst(PPC_RAW_LI(_R3, 0)));
		else if (is_short)
			err = patch_branch(site, _func, BRANCH_SET_LINK);
		else if (tramp)
			err = patch_branch(site, _tramp, BRANCH_SET_LINK);
		else
			err = 0;
	} else if (tramp) {
		if (func && !is_short) {
			err = patch_ulong(tramp + PPC_SCT_DATA, _func);
			if (err)
				goto out;
		}

		if (!func)
			err = patch_instruction(tramp, ppc_inst(PPC_RAW_BLR()));
		else if (is_ret0)
			err = patch_branch(tramp, _ret0, 0);
		else if (is_short)
			err = patch_branch(tramp, _func, 0);
		else
			err = patch_instruction(tramp, ppc_inst(PPC_RAW_NOP()));
	} else {
		err = 0;
	}

out:
	mutex_unlock(&text_mutex);

	if (err)
		panic("%s: patching failed %pS at %pS\n", __func__, func, tramp);
}

#endif /* CONFIG_PPC64_ELF_ABI_V2 */
