// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * patchcheck model source: powerpc's jump label patching.
 *
 * Follows arch/powerpc/kernel/jump_label.c at v6.16 line by line: the
 * function as the context lines of Andrew Donnellan's "[PATCH RFC]
 * powerpc: Panic on jump label code patching failure" (linuxppc-dev,
 * 2025-09-05, against blob 2659e1ac8604) show it. That RFC's check of
 * the result and its panic() are not v6.16's: v6.16 ignores a failed
 * patch_branch() or patch_instruction().
 *
 * powerpc does not define HAVE_JUMP_LABEL_BATCH: kernel/jump_label.c's
 * __jump_label_update() calls arch_jump_label_transform() for each entry,
 * and each entry is one patch_branch() or patch_instruction()
 * (arch/powerpc/lib/code-patching.c, built-ins: one store of the word,
 * with the dcbst; sync; icbi; sync; isync of the patching CPU only; no
 * other CPU is sent anything). No text_mutex is taken here. The
 * encodings (create_branch(), PPC_RAW_NOP()) are the port's (arches/ppc);
 * the site is the port's layout of arch_static_branch() (nop) and
 * arch_static_branch_jump() (b l_yes) from asm/jump_label.h.
 */

/* mirrors: arch/powerpc/kernel/jump_label.c arch_jump_label_transform() v6.16 */
void arch_jump_label_transform(struct jump_entry *entry,
			       enum jump_label_type type)
{
	u32 *addr = (u32 *)jump_entry_code(entry);

	if (type == JUMP_LABEL_JMP)
		patch_branch(addr, jump_entry_target(entry), 0);
	else
		patch_instruction(addr, ppc_inst(PPC_RAW_NOP()));
}
