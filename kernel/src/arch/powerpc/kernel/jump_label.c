// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * patchcheck model source: powerpc's jump label patching.
 *
 * Follows arch/powerpc/kernel/jump_label.c at v6.16 line by line (the
 * text of the newest tree read, which includes <asm/text-patching.h>, so
 * v6.13 or later; docs/semantics.md names it). powerpc does not define
 * HAVE_JUMP_LABEL_BATCH: kernel/jump_label.c's __jump_label_update()
 * calls arch_jump_label_transform() for each entry, and each entry is one
 * patch_branch() or patch_instruction() (arch/powerpc/lib/code-patching.c,
 * built-ins: one store of the word, with the dcbst; sync; icbi; sync;
 * isync of the patching CPU only; no other CPU is sent anything). The
 * encodings (create_branch(), PPC_RAW_NOP()) are the port's (arches/ppc).
 * The site is the port's layout of arch_static_branch() (nop) and
 * arch_static_branch_jump() (b l_yes) from asm/jump_label.h.
 */

/* mirrors: arch/powerpc/kernel/jump_label.c arch_jump_label_transform() v6.16 */
void arch_jump_label_transform(struct jump_entry *entry,
			       enum jump_label_type type)
{
	u32 *addr = (u32 *)jump_entry_code(entry);
	int err;

	if (type == JUMP_LABEL_JMP)
		err = patch_branch(addr, jump_entry_target(entry), 0);
	else
		err = patch_instruction(addr, ppc_inst(PPC_RAW_NOP()));

	if (err)
		panic("%s: patching failed, err %d, type %d, addr %pS, target %pS\n",
		      __func__, err, type, addr, (void *)jump_entry_target(entry));
}
