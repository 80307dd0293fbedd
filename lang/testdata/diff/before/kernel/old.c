/* mirrors: kernel/old.c old() v6.16 */
void old(void)
{
}
