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

/*
 * The trampolines, as arch/x86/include/asm/static_call.h writes them at
 * v6.16 (read at a copy of the file with static_call_update_early(),
 * v6.13+, and CONFIG_MITIGATION_RETHUNK, v6.9+; torvalds/linux's
 * history: the ud1 signature replaced "SCT" in v5.19, the NULL
 * trampoline's int3 is from v5.17). include/linux/static_call.h's
 * DEFINE_STATIC_CALL(name, func) is ARCH_DEFINE_STATIC_CALL_TRAMP(name,
 * func), DEFINE_STATIC_CALL_NULL and DEFINE_STATIC_CALL_RET0 the NULL and
 * RET0 trampolines. The port assembles each key's at layout (arches/x86,
 * asm.go), one after the other in .static_call.text, and
 * STATIC_CALL_TRAMP_STR(name) is __SCT__ and the key's name.
 */

/*
 * include/linux/objtool.h: ANNOTATE_NOENDBR is a note objtool reads from
 * a .discard section; it puts no byte into the trampoline, and is
 * written here as empty.
 */
#define ANNOTATE_NOENDBR

/* mirrors: arch/x86/include/asm/static_call.h __ARCH_DEFINE_STATIC_CALL_TRAMP() v6.16 */
#define __ARCH_DEFINE_STATIC_CALL_TRAMP(name, insns)			\
	asm(".pushsection .static_call.text, \"ax\"		\n"	\
	    ".align 4						\n"	\
	    ".globl " STATIC_CALL_TRAMP_STR(name) "		\n"	\
	    STATIC_CALL_TRAMP_STR(name) ":			\n"	\
	    ANNOTATE_NOENDBR						\
	    insns "						\n"	\
	    ".byte 0x0f, 0xb9, 0xcc				\n"	\
	    ".type " STATIC_CALL_TRAMP_STR(name) ", @function	\n"	\
	    ".size " STATIC_CALL_TRAMP_STR(name) ", . - " STATIC_CALL_TRAMP_STR(name) " \n" \
	    ".popsection					\n")

/* mirrors: arch/x86/include/asm/static_call.h ARCH_DEFINE_STATIC_CALL_TRAMP() v6.16 */
#define ARCH_DEFINE_STATIC_CALL_TRAMP(name, func)			\
	__ARCH_DEFINE_STATIC_CALL_TRAMP(name, ".byte 0xe9; .long " #func " - (. + 4)")

#ifdef CONFIG_MITIGATION_RETHUNK
/* mirrors: arch/x86/include/asm/static_call.h ARCH_DEFINE_STATIC_CALL_NULL_TRAMP() v6.16 */
#define ARCH_DEFINE_STATIC_CALL_NULL_TRAMP(name)			\
	__ARCH_DEFINE_STATIC_CALL_TRAMP(name, "jmp __x86_return_thunk")
#else
/* mirrors: arch/x86/include/asm/static_call.h ARCH_DEFINE_STATIC_CALL_NULL_TRAMP() v6.16 */
#define ARCH_DEFINE_STATIC_CALL_NULL_TRAMP(name)			\
	__ARCH_DEFINE_STATIC_CALL_TRAMP(name, "ret; int3; nop; nop; nop")
#endif

/* mirrors: arch/x86/include/asm/static_call.h ARCH_DEFINE_STATIC_CALL_RET0_TRAMP() v6.16 */
#define ARCH_DEFINE_STATIC_CALL_RET0_TRAMP(name)			\
	ARCH_DEFINE_STATIC_CALL_TRAMP(name, __static_call_return0)
