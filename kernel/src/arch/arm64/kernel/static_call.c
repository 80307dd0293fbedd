// SPDX-License-Identifier: GPL-2.0
/*
 * patchcheck model source: arm64's arch_static_call_transform.
 *
 * Follows arch/arm64/kernel/static_call.c (Ard Biesheuvel's out-of-line
 * static calls, 2026, 54ac9ff8f119; read through the search tool). The
 * trampoline (asm/static_call.h) is the port's layout: bti c; adrp x16,
 * literal; ldr x16, [x16, :lo12:literal]; br x16, with the literal in
 * .rodata. le32_to_cpup() of the trampoline's adrp and ldr reads the
 * image when compiling (no thread patches them); the decoders are the
 * port's (arches/arm64). aarch64_insn_write_literal_u64() is a built-in:
 * one 64-bit store to the literal through the fixmap, under patch_lock
 * (arch/arm64/kernel/patching.c).
 *
 * The unmerged designs and inline sites patched like jump labels are
 * diffs to this file and the header (kernel/variants/*.diff).
 */

/* include/linux/sizes.h */
#define SZ_4K	0x00001000

/* mirrors: arch/arm64/kernel/static_call.c arch_static_call_transform() v6.16 */
void arch_static_call_transform(void *site, void *tramp, void *func, bool tail)
{
	u64 literal;
	int ret;

	if (!func)
		func = __static_call_return0;

	/* decode the instructions to discover the literal address */
	literal = ALIGN_DOWN((u64)tramp + 4, SZ_4K) +
		  aarch64_insn_adrp_get_offset(le32_to_cpup(tramp + 4)) +
		  8 * aarch64_insn_decode_immediate(AARCH64_INSN_IMM_12,
						    le32_to_cpup(tramp + 8));

	ret = aarch64_insn_write_literal_u64((void *)literal, (u64)func);
	WARN_ON_ONCE(ret);
}
