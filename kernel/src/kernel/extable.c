// SPDX-License-Identifier: GPL-2.0
/*
 * patchcheck model source: which addresses are kernel text.
 *
 * The model's text is vmlinux's .text and .init.text and the modules'
 * text; kernel_text_address() has no BPF, ftrace or kprobe trampolines to
 * look at, because no static call site lives in them.
 */

/* mirrors: kernel/extable.c core_kernel_text() v6.16 */
int notrace core_kernel_text(unsigned long addr)
{
	if (is_kernel_text(addr))
		return 1;

	if (system_state < SYSTEM_FREEING_INITMEM &&
	    is_kernel_inittext(addr))
		return 1;
	return 0;
}

/*
 * mirrors: kernel/extable.c kernel_text_address() v6.16, without
 * is_ftrace_trampoline(), is_kprobe_*_slot(), is_bpf_text_address() and
 * the RCU watching around them.
 */
int kernel_text_address(unsigned long addr)
{
	if (core_kernel_text(addr))
		return 1;

	return is_module_text_address(addr);
}
