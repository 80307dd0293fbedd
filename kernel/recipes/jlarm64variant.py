#!/usr/bin/env python3
# Regenerates kernel/variants/jl-arm64-no-kick.diff from the model files
# (run after their lines change). Usage: jlarm64variant.py [KERNEL_DIR]
# (default: this repository's kernel/). Same mechanics as jlvariants.py.
#
# The variant is v6.16 with cfb00a357864 ("arm64: jump_label: Ensure
# patched jump_labels are visible to all CPUs", v6.11-rc2) reverted: the
# arm64 header loses HAVE_JUMP_LABEL_BATCH, so the core compiles the
# other __jump_label_update() (the #ifndef HAVE_JUMP_LABEL_BATCH one of
# kernel/jump_label.c), and arch/arm64/kernel/jump_label.c goes back to
# v6.10's arch_jump_label_transform(): aarch64_insn_patch_text_nosync
# alone, no arch_jump_label_transform_apply(), no kick_all_cpus_sync().
import os, sys
from recipe import root, rd, sub, write_variants
JL = 'kernel/jump_label.c'
ARM = 'arch/arm64/kernel/jump_label.c'
ARMH = 'arch/arm64/include/asm/jump_label.h'


BATCH = """/*
 * mirrors: kernel/jump_label.c __jump_label_update() v6.16, the
 * HAVE_JUMP_LABEL_BATCH version
 */
static void __jump_label_update(struct static_key *key,
				struct jump_entry *entry,
				struct jump_entry *stop,
				bool init)
{
	for (; (entry < stop) && (jump_entry_key(entry) == key); entry++) {

		if (!jump_label_can_update(entry, init))
			continue;

		if (!arch_jump_label_transform_queue(entry, jump_label_type(entry))) {
			/*
			 * Queue is full: Apply the current queue and try again.
			 */
			arch_jump_label_transform_apply();
			BUG_ON(!arch_jump_label_transform_queue(entry, jump_label_type(entry)));
		}
	}
	arch_jump_label_transform_apply();
}
"""
NOBATCH = """/*
 * mirrors: kernel/jump_label.c __jump_label_update() v6.16, the version
 * without HAVE_JUMP_LABEL_BATCH (arm64 before cfb00a357864, v6.11-rc2)
 */
static void __jump_label_update(struct static_key *key,
				struct jump_entry *entry,
				struct jump_entry *stop,
				bool init)
{
	for (; (entry < stop) && (jump_entry_key(entry) == key); entry++) {
		if (jump_label_can_update(entry, init))
			arch_jump_label_transform(entry, jump_label_type(entry));
	}
}
"""

V = {
 'jl-arm64-no-kick': ('arm64 jump labels before cfb00a357864 ("arm64: jump_label: Ensure patched jump_labels are visible to all CPUs", v6.11-rc2): no HAVE_JUMP_LABEL_BATCH, each site written by arch_jump_label_transform with aarch64_insn_patch_text_nosync alone, no kick_all_cpus_sync()',
   {ARMH: [("/* mirrors: arch/arm64/include/asm/jump_label.h HAVE_JUMP_LABEL_BATCH v6.16 */\n#define HAVE_JUMP_LABEL_BATCH\n", "")],
    ARM: [("""/* mirrors: arch/arm64/kernel/jump_label.c arch_jump_label_transform_queue() v6.16 */
bool arch_jump_label_transform_queue(struct jump_entry *entry,
				     enum jump_label_type type)
""", """/* mirrors: arch/arm64/kernel/jump_label.c arch_jump_label_transform() v6.10 */
void arch_jump_label_transform(struct jump_entry *entry,
			       enum jump_label_type type)
"""),
          ("""	aarch64_insn_patch_text_nosync(addr, insn);
	return true;
}

/* mirrors: arch/arm64/kernel/jump_label.c arch_jump_label_transform_apply() v6.16 */
void arch_jump_label_transform_apply(void)
{
	kick_all_cpus_sync();
}
""", """	aarch64_insn_patch_text_nosync(addr, insn);
}
""")]}),
}

write_variants(V)
