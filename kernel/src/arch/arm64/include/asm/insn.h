/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * patchcheck model source: arm64's instruction immediates.
 *
 * Follows arch/arm64/include/asm/insn.h at v6.16 (torvalds/linux
 * d51b9d81f788). aarch64_insn_adrp_get_offset() and
 * aarch64_insn_decode_immediate() are the port's decoders (arches/arm64,
 * ModelTransformPort.Value), run when compiling.
 */

enum aarch64_insn_imm_type {
	AARCH64_INSN_IMM_ADR,
	AARCH64_INSN_IMM_26,
	AARCH64_INSN_IMM_19,
	AARCH64_INSN_IMM_16,
	AARCH64_INSN_IMM_14,
	AARCH64_INSN_IMM_12,
	AARCH64_INSN_IMM_9,
	AARCH64_INSN_IMM_7,
	AARCH64_INSN_IMM_6,
	AARCH64_INSN_IMM_S,
	AARCH64_INSN_IMM_R,
	AARCH64_INSN_IMM_N,
	AARCH64_INSN_IMM_MAX
};

#define AARCH64_INSN_SIZE	4

enum aarch64_insn_branch_type {
	AARCH64_INSN_BRANCH_NOLINK,
	AARCH64_INSN_BRANCH_LINK,
	AARCH64_INSN_BRANCH_RETURN,
	AARCH64_INSN_BRANCH_COMP_ZERO,
	AARCH64_INSN_BRANCH_COMP_NONZERO,
};

/* enum aarch64_insn_register: the link register */
#define AARCH64_INSN_REG_LR	30

/*
 * asm/debug-monitors.h: AARCH64_BREAK_MON | (FAULT_BRK_IMM << 5), what the
 * generators return for an instruction they cannot encode.
 */
#define AARCH64_BREAK_FAULT	0xd4202000

/* enum aarch64_insn_register: x16, the intra-procedure-call register IP0 */
#define AARCH64_INSN_REG_16	16

enum aarch64_insn_variant {
	AARCH64_INSN_VARIANT_32BIT,
	AARCH64_INSN_VARIANT_64BIT
};

enum aarch64_insn_adsb_type {
	AARCH64_INSN_ADSB_ADD,
	AARCH64_INSN_ADSB_SUB,
	AARCH64_INSN_ADSB_ADD_SETFLAGS,
	AARCH64_INSN_ADSB_SUB_SETFLAGS
};

enum aarch64_insn_adr_type {
	AARCH64_INSN_ADR_TYPE_ADRP,
	AARCH64_INSN_ADR_TYPE_ADR,
};

/*
 * enum aarch64_insn_hint_cr_op: the hints the model's trampoline designs
 * generate (aarch64_insn_gen_hint(op) is the HINT encoding 0xd503201f | op,
 * the port's encoder): NOP and BTI C. The kernel's enum has the others
 * (YIELD, WFE, ..., BTIJ, BTIJC) between and after them.
 */
enum aarch64_insn_hint_cr_op {
	AARCH64_INSN_HINT_NOP	= 0x0 << 5,
	AARCH64_INSN_HINT_BTIC	= 0x22 << 5,
};
