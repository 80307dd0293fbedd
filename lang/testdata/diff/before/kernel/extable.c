/* mirrors: kernel/extable.c kernel_text_address() v6.16 */
int kernel_text_address(unsigned long addr)
{
	if (core_kernel_text(addr))
		return 1;

	return is_module_text_address(addr);
}
