// SPDX-License-Identifier: GPL-2.0-only
/*
 * patchcheck model source: x86's text patching for static calls.
 *
 * Follows arch/x86/kernel/alternative.c at v6.16 (Ingo Molnar's 2025
 * rework: smp_text_poke_*; text read at torvalds/linux ff0faeed3ddd, with
 * 2aebf5ee43bf "x86/alternatives: Fix int3 handling failure from broken
 * text_poke array" of v6.16-rc3 applied: smp_text_poke_single() adds its
 * entry with smp_text_poke_batch_add(), which flushes an unsorted queue).
 *
 * text_poke_array and its per-CPU text_poke_array_refs are the machine's
 * (model/); smp_text_poke_int3_handler() is compiled into the routine a
 * CPU runs when it traps on an INT3. The loops of
 * smp_text_poke_batch_finish() over text_poke_array.vec[] and over every
 * possible CPU are built-ins of the language, one each (docs/language.md
 * quotes the kernel's loop beside each); text_poke_array_tail() and
 * text_poke_array_first() return the loop's do_sync. __smp_text_poke_batch_add() is
 * the machine's add of an entry, with the emulated instruction
 * (insn_decode_kernel and the opcode map are the machine's).
 *
 * Left out: perf_event_text_poke() and the .old byte it records,
 * cond_resched(), lockdep, and interrupts of the patching thread. The
 * model's CPU has no NX feature: text_poke_early() takes its second
 * branch for module text too, which differs only by sync_core() on the
 * patching CPU (docs/semantics.md §11).
 */

/*
 * TEXT_POKE_ARRAY_MAX is PAGE_SIZE / sizeof(struct smp_text_poke_loc) in
 * the kernel: 4096 / 16. The model's text_poke_array holds MaxPokes (4)
 * entries and stops a run that queues more (docs/semantics.md §11).
 */
#define TEXT_POKE_ARRAY_MAX	256

/* mirrors: arch/x86/kernel/alternative.c text_poke_early() v6.16 */
void __init_or_module text_poke_early(void *addr, const void *opcode,
				      size_t len)
{
	unsigned long flags;

	if (boot_cpu_has(X86_FEATURE_NX) &&
	    is_module_text_address((unsigned long)addr)) {
		/*
		 * Modules text is marked initially as non-executable, so the
		 * code cannot be running and speculative code-fetches are
		 * prevented. Just change the code.
		 */
		memcpy(addr, opcode, len);
	} else {
		local_irq_save(flags);
		memcpy(addr, opcode, len);
		sync_core();
		local_irq_restore(flags);

		/*
		 * Could also do a CLFLUSH here to speed up CPU recovery; but
		 * that causes hangs on some VIA CPUs.
		 */
	}
}

/* mirrors: arch/x86/kernel/alternative.c do_sync_core() v6.16 */
static void do_sync_core(void *info)
{
	sync_core();
}

/* mirrors: arch/x86/kernel/alternative.c smp_text_poke_sync_each_cpu() v6.16 */
void smp_text_poke_sync_each_cpu(void)
{
	on_each_cpu(do_sync_core, NULL, 1);
}

/*
 * mirrors: arch/x86/kernel/alternative.c smp_text_poke_int3_handler() v6.16
 *
 * A CPU runs it when it traps on an INT3 (exc_int3); a return of 0 lets
 * exc_int3 try the kprobe handler, then die(). try_get_text_poke_array()
 * and put_text_poke_array() are the machine's atomic_inc_not_zero() and
 * atomic_dec() of this CPU's text_poke_array_refs; the first ends the
 * CPU's step, the rest of the handler and its IRET is the next step.
 * The handler's language (docs/language.md) is what this function uses.
 */
noinstr int smp_text_poke_int3_handler(struct pt_regs *regs)
{
	struct smp_text_poke_loc *tpl;
	int ret = 0;
	void *ip;

	if (user_mode(regs))
		return 0;

	/*
	 * Having observed our INT3 instruction, we now must observe
	 * text_poke_array with non-zero refcount:
	 *
	 *	text_poke_array_refs = 1		INT3
	 *	WMB			RMB
	 *	write INT3		if (text_poke_array_refs != 0)
	 */
	smp_rmb();

	if (!try_get_text_poke_array())
		return 0;

	/*
	 * Discount the INT3. See smp_text_poke_batch_finish().
	 */
	ip = (void *) regs->ip - INT3_INSN_SIZE;

	/*
	 * Skip the binary search if there is a single member in the vector.
	 */
	if (unlikely(text_poke_array.nr_entries > 1)) {
		tpl = __inline_bsearch(ip, text_poke_array.vec, text_poke_array.nr_entries,
				      sizeof(struct smp_text_poke_loc),
				      patch_cmp);
		if (!tpl)
			goto out_put;
	} else {
		tpl = text_poke_array.vec;
		if (text_poke_addr(tpl) != ip)
			goto out_put;
	}

	ip += tpl->len;

	switch (tpl->opcode) {
	case INT3_INSN_OPCODE:
		/*
		 * Someone poked an explicit INT3, they'll want to handle it,
		 * do not consume.
		 */
		goto out_put;

	case RET_INSN_OPCODE:
		int3_emulate_ret(regs);
		break;

	case CALL_INSN_OPCODE:
		int3_emulate_call(regs, (long)ip + tpl->disp);
		break;

	case JMP32_INSN_OPCODE:
	case JMP8_INSN_OPCODE:
		int3_emulate_jmp(regs, (long)ip + tpl->disp);
		break;

	case 0x70 ... 0x7f: /* Jcc */
		int3_emulate_jcc(regs, tpl->opcode & 0xf, (long)ip, tpl->disp);
		break;

	default:
		BUG();
	}

	ret = 1;

out_put:
	put_text_poke_array();
	return ret;
}

/*
 * mirrors: arch/x86/kernel/alternative.c smp_text_poke_batch_finish() v6.16
 *
 * The way it is done:
 *	- For each entry in the vector:
 *		- add an INT3 trap to the address that will be patched
 *	- SMP sync all CPUs
 *	- For each entry in the vector:
 *		- update all but the first byte of the patched range
 *	- SMP sync all CPUs
 *	- For each entry in the vector:
 *		- replace the first byte (INT3) by the first byte of the
 *		  replacing opcode
 *	- SMP sync all CPUs
 */
void smp_text_poke_batch_finish(void)
{
	if (!text_poke_array.nr_entries)
		return;

	lockdep_assert_held(&text_mutex);

	/*
	 * Corresponds to the implicit memory barrier in try_get_text_poke_array() to
	 * ensure reading a non-zero refcount provides up to date text_poke_array data.
	 */
	text_poke_array_refs_set();

	cond_resched();

	/*
	 * Corresponding read barrier in INT3 notifier for making sure the
	 * text_poke_array.nr_entries and handler are correctly ordered wrt. patching.
	 */
	smp_wmb();

	/*
	 * First step: add a INT3 trap to the address that will be patched.
	 */
	text_poke_array_int3();

	smp_text_poke_sync_each_cpu();

	/*
	 * Second step: update all but the first byte of the patched range.
	 */
	if (text_poke_array_tail()) {
		/*
		 * According to Intel, this core syncing is very likely
		 * not necessary and we'd be safe even without it. But
		 * better safe than sorry (plus there's not only Intel).
		 */
		smp_text_poke_sync_each_cpu();
	}

	/*
	 * Third step: replace the first byte (INT3) by the first byte of the
	 * replacing opcode.
	 */
	if (text_poke_array_first())
		smp_text_poke_sync_each_cpu();

	/*
	 * Remove and wait for refs to be zero.
	 *
	 * Notably, if after step-3 above the INT3 got removed, then the
	 * smp_text_poke_sync_each_cpu() will have serialized against any running INT3
	 * handlers and the below spin-wait will not happen.
	 *
	 * IOW. unless the replacement instruction is INT3, this case goes
	 * unused.
	 */
	text_poke_array_refs_put();
	text_poke_array_refs_wait();

	/* They are all completed: */
	text_poke_array.nr_entries = 0;
}

/* mirrors: arch/x86/kernel/alternative.c smp_text_poke_batch_add() v6.16 */
void __ref smp_text_poke_batch_add(void *addr, const void *opcode, size_t len, const void *emulate)
{
	if (text_poke_array.nr_entries == TEXT_POKE_ARRAY_MAX || !text_poke_addr_ordered(addr))
		smp_text_poke_batch_finish();
	__smp_text_poke_batch_add(addr, opcode, len, emulate);
}

/* mirrors: arch/x86/kernel/alternative.c smp_text_poke_single() v6.16 */
void __ref smp_text_poke_single(void *addr, const void *opcode, size_t len, const void *emulate)
{
	smp_text_poke_batch_add(addr, opcode, len, emulate);
	smp_text_poke_batch_finish();
}
