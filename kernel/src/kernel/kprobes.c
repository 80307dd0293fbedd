// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * patchcheck model source: kprobe registration, as far as static calls see
 * it.
 *
 * Each function follows kernel/kprobes.c at v6.16 (torvalds/linux
 * d51b9d81f788) for its statements. A scenario's `kprobe SITE` is
 * register_kprobe() of a kprobe at the start of SITE. Left out: the symbol
 * lookup of _kprobe_addr() (p->addr is the site), warn_kprobe_rereg() and
 * aggregated probes (the model registers one kprobe), the kprobe hash
 * table, ftrace-based kprobes and optprobes (CONFIG_OPTPROBES=n:
 * __arm_kprobe() is arch_arm_kprobe()), and kprobe_mutex, module_mutex and
 * jump_label_mutex, which no other thread of the model takes. The address
 * checks a site never meets (gate area, blacklist, jump label, BUG, CFI
 * preamble, ftrace location) are built-ins that say no.
 */

/* mirrors: kernel/kprobes.c check_kprobe_address_safe() v6.16 */
static int check_kprobe_address_safe(struct kprobe *p,
				     struct module **probed_mod)
{
	int ret;

	ret = check_ftrace_location(p);
	if (ret)
		return ret;

	guard(jump_label_lock)();

	/* Ensure the address is in a text area, and find a module if exists. */
	*probed_mod = NULL;
	if (!core_kernel_text((unsigned long) p->addr)) {
		guard(rcu)();
		*probed_mod = __module_text_address((unsigned long) p->addr);
		if (!(*probed_mod))
			return -EINVAL;

		/*
		 * We must hold a refcount of the probed module while updating
		 * its code to prohibit unexpected unloading.
		 */
		if (unlikely(!try_module_get(*probed_mod)))
			return -ENOENT;
	}
	/* Ensure it is not in reserved area. */
	if (in_gate_area_no_mm((unsigned long) p->addr) ||
	    within_kprobe_blacklist((unsigned long) p->addr) ||
	    jump_label_text_reserved(p->addr, p->addr) ||
	    static_call_text_reserved(p->addr, p->addr) ||
	    find_bug((unsigned long)p->addr) ||
	    is_cfi_preamble_symbol((unsigned long)p->addr)) {
		module_put(*probed_mod);
		return -EINVAL;
	}

	/* Get module refcount and reject __init functions for loaded modules. */
	if (IS_ENABLED(CONFIG_MODULES) && *probed_mod) {
		/*
		 * If the module freed '.init.text', we couldn't insert
		 * kprobes in there.
		 */
		if (within_module_init((unsigned long)p->addr, *probed_mod) &&
		    !module_is_coming(*probed_mod)) {
			module_put(*probed_mod);
			return -ENOENT;
		}
	}

	return 0;
}

/* mirrors: kernel/kprobes.c prepare_kprobe() v6.16 */
static int prepare_kprobe(struct kprobe *p)
{
	/* Must ensure p->addr is really on ftrace */
	if (kprobe_ftrace(p))
		return arch_prepare_kprobe_ftrace(p);

	return arch_prepare_kprobe(p);
}

/*
 * mirrors: kernel/kprobes.c __arm_kprobe() v6.16 without CONFIG_OPTPROBES
 * (#define __arm_kprobe(p) arch_arm_kprobe(p))
 */
static void __arm_kprobe(struct kprobe *p)
{
	arch_arm_kprobe(p);
}

/* mirrors: kernel/kprobes.c arm_kprobe() v6.16 */
static int arm_kprobe(struct kprobe *kp)
{
	if (unlikely(kprobe_ftrace(kp)))
		return arm_kprobe_ftrace(kp);

	guard(cpus_read_lock)();
	guard(mutex)(&text_mutex);
	__arm_kprobe(kp);
	return 0;
}

/* mirrors: kernel/kprobes.c __register_kprobe() v6.16 */
static int __register_kprobe(struct kprobe *p)
{
	int ret;
	struct kprobe *old_p;

	guard(mutex)(&kprobe_mutex);

	old_p = get_kprobe(p->addr);
	if (old_p)
		/* Since this may unoptimize 'old_p', locking 'text_mutex'. */
		return register_aggr_kprobe(old_p, p);

	scoped_guard(cpus_read_lock) {
		/* Prevent text modification */
		guard(mutex)(&text_mutex);
		ret = prepare_kprobe(p);
		if (ret)
			return ret;
	}

	INIT_HLIST_NODE(&p->hlist);
	hlist_add_head_rcu(&p->hlist,
		       &kprobe_table[hash_ptr(p->addr, KPROBE_HASH_BITS)]);

	if (!kprobes_all_disarmed && !kprobe_disabled(p)) {
		ret = arm_kprobe(p);
		if (ret) {
			hlist_del_rcu(&p->hlist);
			synchronize_rcu();
		}
	}

	/* Try to optimize kprobe */
	try_to_optimize_kprobe(p);
	return 0;
}

/*
 * mirrors: kernel/kprobes.c register_kprobe() v6.16, from
 * check_kprobe_address_safe() on (p->addr is the scenario's site).
 */
int register_kprobe(struct kprobe *p)
{
	int ret;
	struct module *probed_mod;

	ret = check_kprobe_address_safe(p, &probed_mod);
	if (ret)
		return ret;

	ret = __register_kprobe(p);

	if (probed_mod)
		module_put(probed_mod);

	return ret;
}
