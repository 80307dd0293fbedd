/* SPDX-License-Identifier: GPL-2.0 */
/*
 * patchcheck model source: x86's instruction constants.
 *
 * Follows arch/x86/include/asm/text-patching.h at v6.16 (torvalds/linux
 * d51b9d81f788). text_gen_insn() and __text_gen_insn() are the port's
 * encoder (arches/x86, ModelTransformPort.Gen), run when compiling.
 */

#define INT3_INSN_SIZE		1
#define INT3_INSN_OPCODE	0xCC

#define RET_INSN_SIZE		1
#define RET_INSN_OPCODE		0xC3

#define CALL_INSN_SIZE		5
#define CALL_INSN_OPCODE	0xE8

#define JMP32_INSN_SIZE		5
#define JMP32_INSN_OPCODE	0xE9

#define JMP8_INSN_SIZE		2
#define JMP8_INSN_OPCODE	0xEB
