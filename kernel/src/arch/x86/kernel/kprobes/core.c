// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * patchcheck model source: x86's kprobe arming.
 *
 * Follows arch/x86/kernel/kprobes/core.c at v6.16 (torvalds/linux
 * d51b9d81f788). arch_prepare_kprobe() is a built-in: it copies the
 * instruction at p->addr (the site's call, jmp or Jcc).
 */

/* mirrors: arch/x86/kernel/kprobes/core.c arch_arm_kprobe() v6.16 */
void arch_arm_kprobe(struct kprobe *p)
{
	u8 int3 = INT3_INSN_OPCODE;

	text_poke(p->addr, &int3, 1);
	smp_text_poke_sync_each_cpu();
	perf_event_text_poke(p->addr, &p->opcode, 1, &int3, 1);
}
