// SPDX-License-Identifier: GPL-2.0-only
/*
 * patchcheck model source: arm64's text patching.
 *
 * Follows arch/arm64/kernel/patching.c at v6.16 (torvalds/linux
 * d51b9d81f788). aarch64_insn_write() (the store through the fixmap
 * alias, under patch_lock), caches_clean_inval_pou() (DC CVAU; DSB ISH;
 * IC IVAU; DSB ISH over the range, arch/arm64/mm/cache.S),
 * aarch64_insn_patch_text() (stop_machine: one step in which the last CPU
 * in writes and every CPU then runs isb) and
 * aarch64_insn_write_literal_u64() are built-ins (docs/language.md).
 */

/* mirrors: arch/arm64/kernel/patching.c aarch64_insn_patch_text_nosync() v6.16 */
int __kprobes aarch64_insn_patch_text_nosync(void *addr, u32 insn)
{
	u32 *tp = addr;
	int ret;

	/* A64 instructions must be word aligned */
	if ((uintptr_t)tp & 0x3)
		return -EINVAL;

	ret = aarch64_insn_write(tp, insn);
	if (ret == 0)
		caches_clean_inval_pou((uintptr_t)tp,
				     (uintptr_t)tp + AARCH64_INSN_SIZE);

	return ret;
}
