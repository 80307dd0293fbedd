/* SPDX-License-Identifier: GPL-2.0 */
/*
 * patchcheck model source: arm64's static call trampoline.
 *
 * Follows arch/arm64/include/asm/static_call.h as added by 54ac9ff8f119
 * ("arm64: Use static call trampolines when kCFI is enabled", 2026; read
 * at torvalds/linux 500af712f9cb through the search tool).
 * include/linux/static_call.h's DEFINE_STATIC_CALL(name, func) is
 * ARCH_DEFINE_STATIC_CALL_TRAMP(name, func), DEFINE_STATIC_CALL_NULL and
 * DEFINE_STATIC_CALL_RET0 the NULL and RET0 trampolines, which both load
 * __static_call_return0. The port assembles each key's trampoline at
 * layout (arches/arm64, asm.go): .static_call.text at the key's
 * trampoline slot, its literal in .rodata; STATIC_CALL_TRAMP_STR(name) is
 * __SCT__ and the key's name. arch_static_call_transform
 * (arch/arm64/kernel/static_call.c) finds the literal by decoding the
 * adrp and the ldr. A data directive's bytes (the .quad) are a data
 * window: loaded, never fetched.
 */

/* mirrors: arch/arm64/include/asm/static_call.h __ARCH_DEFINE_STATIC_CALL_TRAMP() 54ac9ff8f119 */
#define __ARCH_DEFINE_STATIC_CALL_TRAMP(name, target)		    \
	asm("	.pushsection .static_call.text, \"ax\"		\n" \
	    "	.align	4					\n" \
	    "	.globl	" name "				\n" \
	    name ":						\n" \
	    "	hint	34	/* BTI C */			\n" \
	    "	adrp	x16, 1f					\n" \
	    "	ldr	x16, [x16, :lo12:1f]			\n" \
	    "	br	x16					\n" \
	    "	.type	" name ", %function			\n" \
	    "	.size	" name ", . - " name "			\n" \
	    "	.popsection					\n" \
	    "	.pushsection .rodata, \"a\"			\n" \
	    "	.align	3					\n" \
	    "1:	.quad	" target "				\n" \
	    "	.popsection					\n")

/* mirrors: arch/arm64/include/asm/static_call.h ARCH_DEFINE_STATIC_CALL_TRAMP() 54ac9ff8f119 */
#define ARCH_DEFINE_STATIC_CALL_TRAMP(name, func)			\
	__ARCH_DEFINE_STATIC_CALL_TRAMP(STATIC_CALL_TRAMP_STR(name), #func)

/* mirrors: arch/arm64/include/asm/static_call.h ARCH_DEFINE_STATIC_CALL_NULL_TRAMP() 54ac9ff8f119 */
#define ARCH_DEFINE_STATIC_CALL_NULL_TRAMP(name)			\
	ARCH_DEFINE_STATIC_CALL_TRAMP(name, __static_call_return0)

/* mirrors: arch/arm64/include/asm/static_call.h ARCH_DEFINE_STATIC_CALL_RET0_TRAMP() 54ac9ff8f119 */
#define ARCH_DEFINE_STATIC_CALL_RET0_TRAMP(name)			\
	ARCH_DEFINE_STATIC_CALL_TRAMP(name, __static_call_return0)
