// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * patchcheck model source: the module loader, as far as static calls see
 * it.
 *
 * Each function follows kernel/module/main.c at v6.16 (torvalds/linux
 * d51b9d81f788) for the statements that change what static calls see: the
 * module's state, the module notifier calls, the running of mod->init and
 * the freeing of the module's memory. The rest (ELF parsing, symbols,
 * sysfs, module_mutex, reference counts, parameters, livepatch, ftrace)
 * is left out, and said so where it is; docs/semantics.md lists these
 * choices. A scenario's `load M` is load_module(), its `unload M` is the
 * delete_module system call.
 */

/*
 * mirrors: kernel/module/main.c __module_address() v6.16: mod_find() looks
 * the address up in the scenario's module layout (the mod_tree bounds test
 * before it is the same lookup).
 */
struct module *__module_address(unsigned long addr)
{
	struct module *mod;

	mod = mod_find(addr, &mod_tree);
	if (mod) {
		BUG_ON(!within_module(addr, mod));
		if (mod->state == MODULE_STATE_UNFORMED)
			mod = NULL;
	}
	return mod;
}

/* mirrors: kernel/module/main.c __module_text_address() v6.16 */
struct module *__module_text_address(unsigned long addr)
{
	struct module *mod = __module_address(addr);
	if (mod) {
		/* Make sure it's within the text section. */
		if (!within_module_mem_type(addr, mod, MOD_TEXT) &&
		    !within_module_mem_type(addr, mod, MOD_INIT_TEXT))
			mod = NULL;
	}
	return mod;
}

/*
 * mirrors: kernel/module/main.c prepare_coming_module() v6.16
 */
static int prepare_coming_module(struct module *mod)
{
	int err;

	ftrace_module_enable(mod);
	err = klp_module_coming(mod);
	if (err)
		return err;

	err = blocking_notifier_call_chain_robust(&module_notify_list,
			MODULE_STATE_COMING, MODULE_STATE_GOING, mod);
	err = notifier_to_errno(err);
	if (err)
		klp_module_going(mod);

	return err;
}

/*
 * mirrors: kernel/module/main.c load_module() v6.16, from
 * complete_formation() (which sets MODULE_STATE_COMING under
 * module_mutex) to do_init_module(), with the error path a failure of
 * prepare_coming_module() takes (bug_cleanup to module_deallocate()).
 */
static int load_module(struct module *mod)
{
	int err;

	err = module_unload_init(mod);
	if (err)
		goto unlink_mod;

	/* complete_formation(): */
	mod->state = MODULE_STATE_COMING;

	err = prepare_coming_module(mod);
	if (err)
		goto bug_cleanup;

	return do_init_module(mod);

 bug_cleanup:
	mod->state = MODULE_STATE_GOING;
	module_bug_cleanup(mod);
	ftrace_release_mod(mod);
	synchronize_rcu();
	module_deallocate(mod, info);
 unlink_mod:
	return err;
}

/*
 * mirrors: kernel/module/main.c do_init_module() v6.16. The model's
 * mod->init returns 0, and the kmalloc of freeinit does not fail. The
 * freeing of the init text, which do_free_init() runs from a workqueue
 * after synchronize_rcu(), runs on the loading thread, at the end.
 */
static noinline int do_init_module(struct module *mod)
{
	int ret = 0;

	/* Start the module */
	if (mod->init != NULL)
		ret = do_one_initcall(mod->init);
	if (ret < 0) {
		goto fail;
	}

	/* Now it's a first class citizen! */
	mod->state = MODULE_STATE_LIVE;
	blocking_notifier_call_chain(&module_notify_list,
				     MODULE_STATE_LIVE, mod);

	/* Drop initial reference. */
	module_put(mod);

	/* do_free_init(), queued by schedule_work(&init_free_wq): */
	module_memfree_init(mod);

	return 0;

fail:
	/* Try to protect us from buggy refcounters. */
	mod->state = MODULE_STATE_GOING;
	synchronize_rcu();
	blocking_notifier_call_chain(&module_notify_list,
				     MODULE_STATE_GOING, mod);
	klp_module_going(mod);
	ftrace_release_mod(mod);
	free_module(mod);

	return ret;
}

/*
 * mirrors: kernel/module/main.c try_stop_module() v6.16.
 * try_release_module_ref() is a built-in (an atomic test of the refcnt);
 * MODULE_STATE_GOING also waits, in the machine, until no CPU runs the
 * module's text (the references its callers would hold).
 */
static int try_stop_module(struct module *mod, int flags, int *forced)
{
	/* If it's not unused, quit unless we're forcing. */
	if (try_release_module_ref(mod) != 0) {
		*forced = try_force_unload(flags);
		if (!(*forced))
			return -EWOULDBLOCK;
	}

	/* Mark it as dying. */
	mod->state = MODULE_STATE_GOING;

	return 0;
}

/*
 * mirrors: kernel/module/main.c free_module() v6.16: the state change and
 * the freeing of the module's memory.
 */
static void free_module(struct module *mod)
{
	/*
	 * We leave it in list to prevent duplicate loads, but make sure
	 * that no one uses it while it's being deconstructed.
	 */
	mod->state = MODULE_STATE_UNFORMED;

	free_mod_mem(mod);
}

/*
 * mirrors: kernel/module/main.c SYSCALL_DEFINE2(delete_module) v6.16, from
 * the state check (under module_mutex, which the model leaves out) to
 * free_module().
 */
int delete_module(struct module *mod, unsigned int flags)
{
	int ret, forced = 0;

	/* Doing init or already dying? */
	if (mod->state != MODULE_STATE_LIVE) {
		/* FIXME: if (force), slam module count damn the torpedoes */
		pr_debug("%s already dying\n", mod->name);
		ret = -EBUSY;
		goto out;
	}

	ret = try_stop_module(mod, flags, &forced);
	if (ret != 0)
		goto out;

	/* Final destruction now no one is using it. */
	blocking_notifier_call_chain(&module_notify_list,
				     MODULE_STATE_GOING, mod);
	klp_module_going(mod);
	ftrace_release_mod(mod);

	async_synchronize_full();

	free_module(mod);
	return 0;
out:
	return ret;
}
