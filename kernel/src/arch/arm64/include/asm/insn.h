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
