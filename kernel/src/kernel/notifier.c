// SPDX-License-Identifier: GPL-2.0
/*
 * patchcheck model source: the module notifier chain.
 *
 * The model's module_notify_list holds two notifiers, in the order
 * notifier_chain_register() keeps them (by priority, highest first:
 * "if (n->priority > (*nl)->priority) break;"): jump_label_module_nb
 * (kernel/jump_label.c, .priority = 1, "higher than tracepoints"), then
 * static_call_module_nb (kernel/static_call_inline.c, no .priority: 0).
 * The kernel's other notifiers on the chain (ftrace, kprobes,
 * tracepoints, ...) are not modelled; docs/semantics.md lists this
 * choice. notifier_call_chain()'s loop over the chain is written out for
 * these two, each nb->notifier_call(nb, val, v) as a call through the
 * field of the notifier_block its file defines (both notifier_calls are
 * static there); down_read() of the chain's rwsem is left out (no thread
 * changes the chain).
 */

/*
 * mirrors: kernel/notifier.c blocking_notifier_call_chain() v6.16, for the
 * chain of two: notifier_call_chain() calls each notifier in turn,
 *
 *	ret = nb->notifier_call(nb, val, v);
 *	...
 *	if (ret & NOTIFY_STOP_MASK)
 *		break;
 *
 * and returns the last ret.
 */
int blocking_notifier_call_chain(struct blocking_notifier_head *nh,
		unsigned long val, void *v)
{
	int ret;

	ret = jump_label_module_nb.notifier_call(&jump_label_module_nb, val, v);
	if (ret & NOTIFY_STOP_MASK)
		return ret;
	return static_call_module_nb.notifier_call(&static_call_module_nb, val, v);
}

/*
 * mirrors: kernel/notifier.c blocking_notifier_call_chain_robust() v6.16,
 * for the chain of two. notifier_call_chain_robust() runs
 *
 *	ret = notifier_call_chain(nl, val_up, v, -1, &nr);
 *	if (ret & NOTIFY_STOP_MASK)
 *		notifier_call_chain(nl, val_down, v, nr-1, NULL);
 *
 * and notifier_call_chain() counts a notifier (nr) before it tests its
 * ret, so the roll-back calls the nr-1 notifiers before the one that
 * failed, from the head of the chain: none when jump_label_module_notify
 * fails, jump_label_module_notify(val_down) when static_call_module_notify
 * does.
 */
int blocking_notifier_call_chain_robust(struct blocking_notifier_head *nh,
		unsigned long val_up, unsigned long val_down, void *v)
{
	int ret;

	ret = jump_label_module_nb.notifier_call(&jump_label_module_nb, val_up, v);
	if (ret & NOTIFY_STOP_MASK)
		return ret;
	ret = static_call_module_nb.notifier_call(&static_call_module_nb, val_up, v);
	if (ret & NOTIFY_STOP_MASK)
		jump_label_module_nb.notifier_call(&jump_label_module_nb, val_down, v);
	return ret;
}
