#!/usr/bin/env python3
# Regenerates the jump-label variant diffs from the model files (run after
# the model files' lines change). Same mechanics as x86variants.py.
import os, sys
from recipe import root, rd, sub, write_variants
JL = 'kernel/jump_label.c'
ALT = 'arch/x86/kernel/alternative.c'


# v6.11-rc1 (83ab38ef0a0b + 9bc2ff871f00, before 224fa3552029 and
# 1d7f856c2ca4): static_key_slow_try_dec, and atomic_cmpxchg(1, 0) taken as
# a truth value.
TRY_DEC_RC1 = """static bool static_key_slow_try_dec(struct static_key *key)
{
	int v;

	/*
	 * Go into the slow path if key::enabled is less than or equal than
	 * one. One is valid to shut down the key, anything less than one
	 * is an imbalance, which is handled at the call site.
	 *
	 * That includes the special case of '-1' which is set in
	 * static_key_slow_inc_cpuslocked(), but that's harmless as it is
	 * fully serialized in the slow path below. By the time this task
	 * acquires the jump label lock the value is back to one and the
	 * retry under the lock must succeed.
	 */
	v = atomic_read(&key->enabled);
	do {
		/*
		 * Warn about the '-1' case though; since that means a
		 * decrement is concurrent with a first (0->1) increment. IOW
		 * people are trying to disable something that wasn't yet fully
		 * enabled. This suggests an ordering problem on the user side.
		 */
		WARN_ON_ONCE(v < 0);
		if (v <= 1)
			return false;
	} while (!likely(atomic_try_cmpxchg(&key->enabled, &v, v - 1)));

	return true;
}
"""
DEC_NOT_ONE = rd(JL)[rd(JL).index("/* mirrors: kernel/jump_label.c static_key_dec_not_one() v6.16 */\n"):rd(JL).index("/* mirrors: kernel/jump_label.c __static_key_slow_dec_cpuslocked() v6.16 */\n")]
SLOW_DEC_NEW = """	if (static_key_dec_not_one(key))
		return;

	guard(mutex)(&jump_label_mutex);
	val = atomic_read(&key->enabled);
	/*
	 * It should be impossible to observe -1 with jump_label_mutex held,
	 * see static_key_slow_inc_cpuslocked().
	 */
	if (WARN_ON_ONCE(val == -1))
		return;
	/*
	 * Cannot already be 0, something went sideways.
	 */
	if (WARN_ON_ONCE(val == 0))
		return;

	if (atomic_dec_and_test(&key->enabled))
		jump_label_update(key);
}"""
def slow_dec(cmp):
    return """	if (static_key_slow_try_dec(key))
		return;

	guard(mutex)(&jump_label_mutex);
	if (atomic_cmpxchg(&key->enabled, 1, 0)%s)
		jump_label_update(key);
	else
		WARN_ON_ONCE(!static_key_slow_try_dec(key));
}""" % cmp

def rc(cmp):
    return {JL: [
        (DEC_NOT_ONE, TRY_DEC_RC1.replace("static bool static_key_slow_try_dec", "/* mirrors: kernel/jump_label.c static_key_slow_try_dec() v6.11-rc1 */\nstatic bool static_key_slow_try_dec") + "\n"),
        ("\tlockdep_assert_cpus_held();\n\tint val;\n\n", "\tlockdep_assert_cpus_held();\n\n"),
        (SLOW_DEC_NEW, slow_dec(cmp)),
        ("\tif (atomic_cmpxchg(&key->enabled, 1, 0) == 1)\n\t\tjump_label_update(key);\n\tjump_label_unlock();",
         "\tif (atomic_cmpxchg(&key->enabled, 1, 0)%s)\n\t\tjump_label_update(key);\n\tjump_label_unlock();" % cmp),
    ]}

V = {
 'jl-no-lock': ("jump labels: static_key_enable_cpuslocked without jump_label_lock(): two enablers can both see key->enabled == 0 and both patch the sites",
   {JL: [("\tjump_label_lock();\n\tif (atomic_read(&key->enabled) == 0) {", "\tif (atomic_read(&key->enabled) == 0) {"),
         ("\t\tatomic_set_release(&key->enabled, 1);\n\t}\n\tjump_label_unlock();\n}", "\t\tatomic_set_release(&key->enabled, 1);\n\t}\n}")]}),
 'jl-v6.11-rc1': ("jump labels: v6.11-rc1 (83ab38ef0a0b and 9bc2ff871f00, before 224fa3552029): atomic_cmpxchg(&key->enabled, 1, 0) taken as a truth value, so a failed cmpxchg (2) still calls jump_label_update()",
   rc("")),
 'jl-v6.11-rc2': ("jump labels: v6.11-rc2 (224fa3552029, before 1d7f856c2ca4): __static_key_slow_dec_cpuslocked's cmpxchg(1, 0) fails when a concurrent static_key_slow_inc made the count 2, and its retry WARNs when a second static_key_slow_dec took it back to 1",
   rc(" == 1")),
 'jl-batch-unsorted': ("x86 jump labels batched as v5.3 introduced it (a queue that never flushes on disorder), without 0f133021b's sort of each key's entries by code: the INT3 handler's bsearch of text_poke_array can miss a site",
   {JL: [("""	if (jump_entry_key(jea) > jump_entry_key(jeb))
		return 1;

	/*
	 * In the batching mode, entries should also be sorted by the code
	 * inside the already sorted list of entries, enabling a bsearch in
	 * the vector.
	 */
	if (jump_entry_code(jea) < jump_entry_code(jeb))
		return -1;

	if (jump_entry_code(jea) > jump_entry_code(jeb))
		return 1;

	return 0;""", """	if (jump_entry_key(jea) > jump_entry_key(jeb))
		return 1;

	return 0;""")],
    ALT: [("\tif (text_poke_array.nr_entries == TEXT_POKE_ARRAY_MAX || !text_poke_addr_ordered(addr))\n",
           "\tif (text_poke_array.nr_entries == TEXT_POKE_ARRAY_MAX)\n")]}),
 'batch-rounds-merged': ("x86: smp_text_poke_batch_finish writes every entry's INT3, tail and first byte in one go, with one sync at the end (the three rounds merged)",
   {ALT: [("\ttext_poke_array_int3();\n\n\tsmp_text_poke_sync_each_cpu();\n", "\ttext_poke_array_int3();\n"),
          ("""	if (text_poke_array_tail()) {
		/*
		 * According to Intel, this core syncing is very likely
		 * not necessary and we'd be safe even without it. But
		 * better safe than sorry (plus there's not only Intel).
		 */
		smp_text_poke_sync_each_cpu();
	}
""", "\ttext_poke_array_tail();\n")]}),
}

write_variants(V)
