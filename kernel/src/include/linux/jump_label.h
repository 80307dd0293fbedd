/* SPDX-License-Identifier: GPL-2.0 */
/*
 * patchcheck model source: what the jump label core takes from
 * include/linux/jump_label.h at v6.16: enum jump_label_type,
 * static_key_enabled() and jump_entry_size().
 *
 * The accessors of struct jump_entry (jump_entry_code(), _target(),
 * _key(), _is_branch(), _is_init()) and of struct static_key
 * (static_key_entries(), static_key_linked()) are built-ins over the
 * scenario's __jump_table and static keys (docs/language.md).
 */

/* mirrors: include/linux/jump_label.h enum jump_label_type v6.16 */
enum jump_label_type {
	JUMP_LABEL_NOP = 0,
	JUMP_LABEL_JMP,
};

/*
 * mirrors: include/linux/jump_label.h static_key_enabled() v6.16, a macro
 * there: its __builtin_types_compatible_p() checks of the argument's type
 * are left out.
 */
static bool static_key_enabled(struct static_key *x)
{
	return static_key_count((struct static_key *)x) > 0;
}

/*
 * mirrors: include/linux/jump_label.h jump_entry_size() v6.16. x86 has no
 * JUMP_LABEL_NOP_SIZE (its sites are 2 or 5 bytes): arch_jump_entry_size()
 * is a built-in (docs/language.md). arm64 and powerpc define it in their
 * asm/jump_label.h; the model's copies of those headers do not, since only
 * x86's kprobes (addr_conflict()) call jump_entry_size().
 */
static inline int jump_entry_size(struct jump_entry *entry)
{
#ifdef JUMP_LABEL_NOP_SIZE
	return JUMP_LABEL_NOP_SIZE;
#else
	return arch_jump_entry_size(entry);
#endif
}
