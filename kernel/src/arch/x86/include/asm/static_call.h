/* SPDX-License-Identifier: GPL-2.0 */
/*
 * patchcheck model source: x86's early static call update. The macro is
 * written as a function of the key and the target.
 */

/*
 * mirrors: arch/x86/include/asm/static_call.h static_call_update_early()
 * v6.16 (a macro there)
 */
void static_call_update_early(struct static_call_key *key, void *tramp, void *func)
{
	if (static_call_initialized) {
		__static_call_update(key, tramp, func);
	} else {
		WRITE_ONCE(key->func, func);
		__static_call_update_early(tramp, func);
	}
}

/* mirrors: arch/x86/kernel/static_call.c __static_call_update_early() v6.16 */
void __static_call_update_early(void *tramp, void *func)
{
	BUG_ON(system_state != SYSTEM_BOOTING);
	BUG_ON(static_call_initialized);
	__text_gen_insn(tramp, JMP32_INSN_OPCODE, tramp, func, JMP32_INSN_SIZE);
	sync_core();
}
