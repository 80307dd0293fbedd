// SPDX-License-Identifier: GPL-2.0
/*
 * patchcheck model source: the module notifier chain.
 *
 * The model's module_notify_list holds one notifier: static_call_init()
 * registers static_call_module_nb on it (register_module_notifier()). The
 * kernel's other notifiers on the chain (jump labels, ftrace, kprobes,
 * tracepoints, ...) are not modelled; docs/semantics.md lists this choice.
 */

/*
 * mirrors: kernel/notifier.c blocking_notifier_call_chain() v6.16, for the
 * chain of one notifier: notifier_call_chain() calls it; down_read() of
 * the chain's rwsem is left out (no thread changes the chain).
 */
int blocking_notifier_call_chain(struct blocking_notifier_head *nh,
		unsigned long val, void *v)
{
	return static_call_module_notify(&static_call_module_nb, val, v);
}

/*
 * mirrors: kernel/notifier.c blocking_notifier_call_chain_robust() v6.16,
 * for the chain of one notifier: when it fails, notifier_call_chain_robust()
 * calls the notifiers before it with val_down, and there are none.
 */
int blocking_notifier_call_chain_robust(struct blocking_notifier_head *nh,
		unsigned long val_up, unsigned long val_down, void *v)
{
	return static_call_module_notify(&static_call_module_nb, val_up, v);
}
