/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * patchcheck model source: what the jump label core takes from arm64's
 * asm/jump_label.h.
 *
 * Mirrors arch/arm64/include/asm/jump_label.h v6.16: arm64 batches its
 * jump label updates since cfb00a357864 (v6.11-rc2, "arm64: jump_label:
 * Ensure patched jump_labels are visible to all CPUs"), so
 * kernel/jump_label.c's __jump_label_update() is the
 * HAVE_JUMP_LABEL_BATCH version (also in 6.10-stable). Before it the
 * define was absent and the core called arch_jump_label_transform() per
 * entry.
 */

/* mirrors: arch/arm64/include/asm/jump_label.h HAVE_JUMP_LABEL_BATCH v6.16 */
#define HAVE_JUMP_LABEL_BATCH
