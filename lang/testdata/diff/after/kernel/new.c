/* mirrors: kernel/new.c new() v6.16 */
void new(void)
{
	old_gone = 1;
}
