// SPDX-License-Identifier: GPL-2.0
/*
 * patchcheck model source: the steps of boot that static calls see.
 */

/*
 * mirrors: init/main.c rest_init() v6.16: the kthreads it starts are the
 * scenario's other threads, which wait for SYSTEM_SCHEDULING.
 */
void rest_init(void)
{
	system_state = SYSTEM_SCHEDULING;
}

/* mirrors: kernel/smp.c smp_init() v6.16: the caller CPUs come online */
void smp_init(void)
{
	bringup_nonboot_cpus(setup_max_cpus);
}

/*
 * mirrors: init/main.c kernel_init() v6.16, from
 * async_synchronize_full() (the machine lets no CPU run init code past
 * it) to system_state = SYSTEM_RUNNING. kprobe_free_init_mem(),
 * ftrace_free_init_mem(), kgdb_free_init_mem(), exit_boot_config(),
 * mark_readonly() and pti_finalize() are not modelled: none touches
 * static calls (kprobe_free_init_mem(): docs/semantics.md §11 row 38).
 */
int kernel_init(void *unused)
{
	system_state = SYSTEM_FREEING_INITMEM;
	free_initmem();
	system_state = SYSTEM_RUNNING;
	return 0;
}
