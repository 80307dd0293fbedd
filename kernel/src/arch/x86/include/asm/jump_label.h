/* SPDX-License-Identifier: GPL-2.0 */
/*
 * patchcheck model source: what the jump label core takes from x86's
 * asm/jump_label.h.
 *
 * Mirrors arch/x86/include/asm/jump_label.h v6.16: x86 batches its
 * jump label updates (since v5.3), so kernel/jump_label.c's
 * __jump_label_update() is the HAVE_JUMP_LABEL_BATCH version. The
 * header's arch_static_branch() and arch_static_branch_jump() are the
 * port's layout of each jump site (arches/x86, layoutJumps).
 */

/* mirrors: arch/x86/include/asm/jump_label.h HAVE_JUMP_LABEL_BATCH v6.16 */
#define HAVE_JUMP_LABEL_BATCH
