// SPDX-License-Identifier: GPL-2.0-only
/*
 * patchcheck model source: kick_all_cpus_sync().
 *
 * Follows kernel/smp.c at v6.16 (torvalds/linux d51b9d81f788).
 * smp_call_function(do_nothing, NULL, 1) is a built-in: every other CPU
 * takes the IPI at an instruction boundary (exception entry and return
 * are context synchronising), and the caller waits for all of them.
 */

/* mirrors: kernel/smp.c kick_all_cpus_sync() v6.16 */
void kick_all_cpus_sync(void)
{
	/* Make sure the change is visible before we kick the cpus */
	smp_mb();
	smp_call_function(do_nothing, NULL, 1);
}
