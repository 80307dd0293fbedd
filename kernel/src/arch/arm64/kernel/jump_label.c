// SPDX-License-Identifier: GPL-2.0-only
/*
 * patchcheck model source: arm64's jump label patching.
 *
 * Each function follows arch/arm64/kernel/jump_label.c at v6.16 line by
 * line (the batch version of commit cfb00a357864, "arm64: jump_label:
 * Ensure patched jump_labels are visible to all CPUs", v6.11-rc2; the
 * text of v6.13 and later, whose only difference from v6.11 is
 * <asm/text-patching.h> for <asm/patching.h>). arm64 defines
 * HAVE_JUMP_LABEL_BATCH (arch/arm64/include/asm/jump_label.h), so the
 * core's __jump_label_update() queues every entry of the key, then
 * applies once. The "queue" writes at once: it never defers and never
 * fails.
 *
 * aarch64_insn_gen_branch_imm() and aarch64_insn_gen_nop() are the
 * port's encoders (arches/arm64, ModelTransformPort.Value), run when
 * compiling; aarch64_insn_patch_text_nosync() is model source
 * (arch/arm64/kernel/patching.c), kick_all_cpus_sync() too
 * (kernel/smp.c).
 */

/* mirrors: arch/arm64/kernel/jump_label.c arch_jump_label_transform_queue() v6.16 */
bool arch_jump_label_transform_queue(struct jump_entry *entry,
				     enum jump_label_type type)
{
	void *addr = (void *)jump_entry_code(entry);
	u32 insn;

	if (type == JUMP_LABEL_JMP) {
		insn = aarch64_insn_gen_branch_imm(jump_entry_code(entry),
						   jump_entry_target(entry),
						   AARCH64_INSN_BRANCH_NOLINK);
	} else {
		insn = aarch64_insn_gen_nop();
	}

	aarch64_insn_patch_text_nosync(addr, insn);
	return true;
}

/* mirrors: arch/arm64/kernel/jump_label.c arch_jump_label_transform_apply() v6.16 */
void arch_jump_label_transform_apply(void)
{
	kick_all_cpus_sync();
}
