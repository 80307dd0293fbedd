/*
 * textpokebp.pml -- the x86-64 text_poke_bp protocol as patchcheck models
 * it, for a side-by-side with SPIN (issue #8; docs/spin.md).
 *
 * Scenario (bench/spin/x86-Ncpu.scn, written by run.sh / `patchcheck
 * spinbench`):
 *
 *     arch x86-64                      fetch byte (the default)
 *     target f1 f2
 *     key foo init=f1
 *     site s1 key=foo kind=call        inline call site, 5 bytes
 *     cpu s1                           NCPU times: each CPU calls s1 once
 *     thread updater: update foo f2    static_call_update(&foo, f2)
 *
 * One Promela transition = one patchcheck step (docs/semantics.md section 2):
 * every transition below is a d_step, so SPIN stores exactly the states
 * between patchcheck steps. All machine state lives in global variables,
 * each a field of model.State; every process is a `do` loop whose only
 * control location is its head, so SPIN's process counters add nothing to
 * the state vector that patchcheck does not have. Scratch variables are
 * `hidden` (not in the state vector). The result: the two state graphs are
 * isomorphic, and `states, stored` equals patchcheck's `-exact` count.
 *
 * Compile-time options (spin -DNAME=... or -DNAME):
 *   NCPU      caller CPUs, 1 to 4 (default 1; patchcheck's MaxCPUs is 4)
 *   NOSYNC2   the known-bad variant no-sync2: text_poke_bp without the
 *             text_poke_sync() after the tail bytes (patchcheck: variant
 *             no-sync2, violates no-torn-insn)
 *
 * Abstraction of the bytes (exact for this scenario, see docs/spin.md):
 * a window's contents are one of four values, because every write of the
 * protocol turns one into the next:
 *
 *   site s1 (5 bytes)               trampoline __SCT__foo (8 bytes)
 *   0 OLD  e8 fb e0 ff ff           e9 fb f0 ff ff 0f b9 cc   call/jmp f1
 *   1 I3O  cc fb e0 ff ff           cc fb f0 ff ff 0f b9 cc   INT3 written
 *   2 I3N  cc 0b e1 ff ff           cc 0b f1 ff ff 0f b9 cc   tail written
 *   3 NEW  e8 0b e1 ff ff           e9 0b f1 ff ff 0f b9 cc   call/jmp f2
 *
 * Slots at and above N are 0, as patchcheck zeroes them (the count N
 * tells them from a held OLD).
 *
 * Byte 0 is the opcode (e8/e9 or cc); bytes 1 and 2 are the old or the new
 * displacement (they change together in every write); bytes 3..7 never
 * change. The byte-granule fetch rule (docs/semantics.md section 3) is
 * kept: byte 0, byte 1 and byte 2 are each read from any snapshot the CPU
 * may still see, independently, so a fetch may mix byte 1 of the old
 * displacement with byte 2 of the new one (torn).
 */

#ifndef NCPU
#define NCPU 1
#endif

#define MAXS 4          /* snapshots a window can hold here (OLD..NEW) */

/* window contents */
#define OLD 0
#define I3O 1
#define I3N 2
#define NEW 3
#define IS_OP(x)   ((x) == OLD || (x) == NEW)  /* byte 0 is e8 (site) / e9 (tramp) */
#define IS_CC(x)   ((x) == I3O || (x) == I3N)  /* byte 0 is cc (INT3) */
#define TAIL_OLD(x) ((x) == OLD || (x) == I3O) /* bytes 1-2: the old displacement */
#define TAIL_NEW(x) ((x) == I3N || (x) == NEW) /* bytes 1-2: the new displacement */

/* CPU modes (model.ModeIdle ...) */
#define IDLE    0
#define RUN     1
#define HANDLER 2
#define DONE    3

/* CPU PC (model.CPUState.PC), as the address it stands for */
#define P_NONE  0   /* 0: between calls (endCall clears the CPU) */
#define P_SITE  1   /* caller_s1 = s1: the site, the call's entry */
#define P_SITE1 2   /* s1+1: regs->ip after the INT3 at s1 (in the handler) */
#define P_CRET  3   /* caller_s1+5: ret */
#define P_F1    4   /* f1: mov $0x1002,%eax */
#define P_F1RET 5   /* f1+5: ret */
#define P_F2    6   /* f2: mov $0x1003,%eax */
#define P_F2RET 7   /* f2+5: ret */

/* %eax (Regs[0]) */
#define R_ZERO 0    /* a cleared CPU */
#define R_SENT 1    /* 0xdeadbeef, the harness sentinel (NULL reached) */
#define R_V1   2    /* 0x1002: f1 ran */
#define R_V2   3    /* 0x1003: f2 ran */

/* targets (model.Program.Targets): 0 NULL, 1 return0, 2 f1, 3 f2 */
#define T_F1 2
#define T_F2 3

/* bp_desc.addr */
#define BP_NONE  0
#define BP_TRAMP 1
#define BP_SITE  2

/* ---- model.State ---- */
/* windows: Win[0] = __SCT__foo, Win[1] = s1 */
byte wt[MAXS];  byte nt = 1;        /* trampoline snapshots, N */
byte ws[MAXS];  byte ns = 1;        /* site snapshots, N */
/* CPUs */
byte cmode[NCPU];
byte cpc[NCPU];
byte creg[NCPU];
byte csp[NCPU];     /* SP; Stack[0] = harness_return, Stack[1] = caller_s1+5 */
bit  csub[NCPU];    /* handler phase */
bit  ccall[NCPU];   /* Call: 0, then 1 once the call returned */
bit  cipi[NCPU];
byte callow[NCPU];  /* Allow: bit per target */
byte vt[NCPU];      /* View[0]: oldest trampoline snapshot the CPU may fetch */
byte vs[NCPU];      /* View[1]: oldest site snapshot */
/* kernel data */
byte bp_addr;       /* bp_desc: address (the code and length follow from it) */
byte bp_refs;       /* bp_desc.refs */
byte kfunc = T_F1;  /* key->func */
byte kstable = T_F1;/* key->func as of the last update that returned */
byte kever = 4;     /* 1 << T_F1: every target key->func held */
bit  mtx_sc;        /* static_call_mutex held (by the one thread) */
bit  mtx_text;      /* text_mutex held */
/* the kernel thread: index of its next op (model.ThreadState.PC; 37 = done) */
byte tpc;

/* scratch, not part of the state */
hidden byte i, k, low;
/* set just before an assert, so that pan's message names the property */
hidden byte no_torn_insn, old_or_new_target, no_kernel_bug, at_rest;

/* canon (model.Machine.canon) for one window: drop snapshots no running
 * CPU may fetch, rebase the views, clear finished CPUs' views. */
#define CANON1(w, n, v) \
	low = n - 1; \
	i = 0; \
	do \
	:: i < NCPU -> if :: cmode[i] != DONE && v[i] < low -> low = v[i] :: else fi; i++ \
	:: else -> break \
	od; \
	if \
	:: low > 0 -> \
		k = 0; \
		do \
		:: k < MAXS -> \
			if :: k + low < n -> w[k] = w[k + low] :: else -> w[k] = 0 fi; k++ \
		:: else -> break \
		od; \
		n = n - low \
	:: else \
	fi; \
	i = 0; \
	do \
	:: i < NCPU -> if :: cmode[i] == DONE -> v[i] = 0 :: else -> v[i] = v[i] - low fi; i++ \
	:: else -> break \
	od
/* (the final assignment keeps the d_step from ending in a loop) */
#define canon() CANON1(wt, nt, vt); CANON1(ws, ns, vs); i = 0

/* model.Machine.sync: CPU c fetches only current text from now on */
#define sync(c) vt[c] = nt - 1; vs[c] = ns - 1

/* model.Machine.poke: a new snapshot of window w */
#define poke(w, n, x) w[n] = x; n++

/* Fetch availability at s1 for CPU c. SNAP_IN_VIEW(j): snapshot j is one
 * CPU c may still fetch (View..N-1). SITE_CAN(P): some byte the CPU may
 * fetch satisfies P. SITE_HELD(x): contents x is a retained snapshot (the
 * torn check compares with every retained snapshot, by value). */
#define SNAP_IN_VIEW(c, j) ((j) >= vs[c] && (j) < ns)
#define SITE_CAN(c, P) ((SNAP_IN_VIEW(c,0) && P(ws[0])) || (SNAP_IN_VIEW(c,1) && P(ws[1])) || \
                        (SNAP_IN_VIEW(c,2) && P(ws[2])) || (SNAP_IN_VIEW(c,3) && P(ws[3])))
#define SITE_HELD(x) ((ns > 0 && ws[0] == (x)) || (ns > 1 && ws[1] == (x)) || \
                      (ns > 2 && ws[2] == (x)) || (ns > 3 && ws[3] == (x)))
/* an e8 with bytes 1-2 mixed, or with a displacement whose instruction is
 * no longer retained: no-torn-insn */
#define SITE_TORN(c) (SITE_CAN(c, IS_OP) && \
	((SITE_CAN(c, TAIL_OLD) && SITE_CAN(c, TAIL_NEW)) || \
	 (SITE_CAN(c, TAIL_OLD) && !SITE_HELD(OLD)) || (SITE_CAN(c, TAIL_NEW) && !SITE_HELD(NEW))))

/* a call returns to the harness (model.Machine.callDone, endCall): check
 * old-or-new-target / completion, then the CPU is done (one call each) */
#define RESULT(r) ((r) == R_V1 -> T_F1 : ((r) == R_V2 -> T_F2 : 0))
inline call_done(c) {
	old_or_new_target = !(callow[c] & (1 << RESULT(creg[c])));
	assert(!old_or_new_target);   /* old-or-new-target, completion */
	cmode[c] = DONE; cpc[c] = P_NONE; creg[c] = R_ZERO; csp[c] = 0; csub[c] = 0;
	ccall[c] = 1; cipi[c] = 0; callow[c] = 0
}

#if NCPU == 1
#define ALL_SYNCED (cipi[0] == 0)
#define ALL_DONE   (cmode[0] == DONE)
#elif NCPU == 2
#define ALL_SYNCED (cipi[0] == 0 && cipi[1] == 0)
#define ALL_DONE   (cmode[0] == DONE && cmode[1] == DONE)
#elif NCPU == 3
#define ALL_SYNCED (cipi[0] == 0 && cipi[1] == 0 && cipi[2] == 0)
#define ALL_DONE   (cmode[0] == DONE && cmode[1] == DONE && cmode[2] == DONE)
#elif NCPU == 4
#define ALL_SYNCED (cipi[0] == 0 && cipi[1] == 0 && cipi[2] == 0 && cipi[3] == 0)
#define ALL_DONE   (cmode[0] == DONE && cmode[1] == DONE && cmode[2] == DONE && cmode[3] == DONE)
#endif

active [NCPU] proctype cpu()
{
end:	do
	/* take the pending sync IPI at an instruction boundary:
	 * do_sync_core() and IRET (actorSteps, "cs.IPI != 0") */
	:: d_step { (cmode[_pid] == IDLE || cmode[_pid] == RUN) && cipi[_pid] ->
		cipi[_pid] = 0; sync(_pid); canon() }
	/* idle: start the call of s1 (startCall) */
	:: d_step { cmode[_pid] == IDLE ->
		cmode[_pid] = RUN; cpc[_pid] = P_SITE; csp[_pid] = 1; creg[_pid] = R_SENT;
		callow[_pid] = (1 << kstable) | (1 << kfunc); canon() }
	/* fetch at s1, outcome cc: int3 traps, enters poke_int3_handler */
	:: d_step { cmode[_pid] == RUN && cpc[_pid] == P_SITE && SITE_CAN(_pid, IS_CC) ->
		cmode[_pid] = HANDLER; csub[_pid] = 0; cpc[_pid] = P_SITE1; canon() }
	/* fetch at s1, outcome e8 fb e0 ff ff: call f1 */
	:: d_step { cmode[_pid] == RUN && cpc[_pid] == P_SITE && SITE_CAN(_pid, IS_OP) &&
	            SITE_CAN(_pid, TAIL_OLD) && SITE_HELD(OLD) ->
		csp[_pid] = 2; cpc[_pid] = P_F1; canon() }
	/* fetch at s1, outcome e8 0b e1 ff ff: call f2 */
	:: d_step { cmode[_pid] == RUN && cpc[_pid] == P_SITE && SITE_CAN(_pid, IS_OP) &&
	            SITE_CAN(_pid, TAIL_NEW) && SITE_HELD(NEW) ->
		csp[_pid] = 2; cpc[_pid] = P_F2; canon() }
	/* fetch at s1, any other e8 xx xx ff ff: a torn instruction */
	:: d_step { cmode[_pid] == RUN && cpc[_pid] == P_SITE && SITE_TORN(_pid) ->
		no_torn_insn = 1; assert(!no_torn_insn) }   /* no-torn-insn */
	/* f1: mov $0x1002,%eax */
	:: d_step { cmode[_pid] == RUN && cpc[_pid] == P_F1 ->
		creg[_pid] = R_V1; cpc[_pid] = P_F1RET; canon() }
	/* f2: mov $0x1003,%eax */
	:: d_step { cmode[_pid] == RUN && cpc[_pid] == P_F2 ->
		creg[_pid] = R_V2; cpc[_pid] = P_F2RET; canon() }
	/* f1/f2: ret to caller_s1+5 */
	:: d_step { cmode[_pid] == RUN && (cpc[_pid] == P_F1RET || cpc[_pid] == P_F2RET) ->
		csp[_pid] = 1; cpc[_pid] = P_CRET; canon() }
	/* caller_s1+5: ret to harness_return: the call is over */
	:: d_step { cmode[_pid] == RUN && cpc[_pid] == P_CRET ->
		call_done(_pid); canon() }
	/* poke_int3_handler step 1: smp_rmb(); try_get_desc() */
	:: d_step { cmode[_pid] == HANDLER && csub[_pid] == 0 ->
		no_kernel_bug = (bp_refs == 0);
		assert(!no_kernel_bug);   /* an INT3 nobody claims: die() */
		bp_refs++; csub[_pid] = 1; canon() }
	/* poke_int3_handler step 2: emulate call f2 (pushes s1+5), put_desc(), IRET */
	:: d_step { cmode[_pid] == HANDLER && csub[_pid] == 1 ->
		no_kernel_bug = (bp_addr != BP_SITE);
		assert(!no_kernel_bug);   /* bp_desc is for another address */
		cmode[_pid] = RUN; csub[_pid] = 0; csp[_pid] = 2; cpc[_pid] = P_F2;
		bp_refs--; sync(_pid); canon() }
	od
}

/* arch_static_call_transform(L) as the thread's ops B..B+15 (model source
 * kernel/src/arch/x86/kernel/static_call.c and alternative.c, v6.16), W/N
 * the window of L.
 *
 * mutex_lock(&text_mutex), __static_call_validate() and
 * __static_call_transform()'s memcmp(insn, code, size) are one step:
 * text is only written under text_mutex, so the thread's reads of it
 * while it holds the mutex fold into the step before (docs/language.md
 * rule 3). patchcheck folds the validation since commit 5dca965 and the
 * memcmp since f10227e; before, they were steps B+1 and B+2 of their own
 * (336 / 3,868 / 56,856 / 1,007,212 states on 1-4 CPUs, now 312 / 3,724 /
 * 55,992 / 1,002,028). B+1 and B+2 keep their numbers but the thread never
 * rests there. */
#define TRANSFORM(B, L, W, N) \
	:: d_step { tpc == B && !mtx_text ->                              /* mutex_lock(&text_mutex), */ \
		mtx_text = 1;                                                 /* then, folded (see above): */ \
		no_kernel_bug = (W[N-1] != OLD); assert(!no_kernel_bug);      /* __static_call_validate */ \
		tpc = B+3 }                                                   /* memcmp: text differs */ \
	:: d_step { tpc == B+3 -> bp_addr = L; bp_refs = 1; tpc++ }       /* bp_desc = {...}; refs = 1 */ \
	:: d_step { tpc == B+4 -> poke(W, N, I3O); tpc++; canon() }       /* text_poke(addr, INT3, 1) */ \
	SYNC(B+5) \
	:: d_step { tpc == B+7 -> poke(W, N, I3N); tpc = B+TAIL_NEXT; canon() } /* text_poke(addr+1, new+1, len-1) */ \
	SYNC2(B+8) \
	:: d_step { tpc == B+10 -> poke(W, N, NEW); tpc++; canon() }      /* text_poke(addr, new[0], 1) */ \
	SYNC(B+11) \
	:: d_step { tpc == B+13 -> assert(bp_refs > 0); bp_refs--; tpc++ }/* atomic_dec_and_test(&refs) */ \
	:: d_step { tpc == B+14 && bp_refs == 0 -> bp_addr = BP_NONE; tpc++ } /* wait for refs == 0 */ \
	:: d_step { tpc == B+15 -> mtx_text = 0; tpc++ }                  /* mutex_unlock(&text_mutex) */

/* text_poke_sync(): on_each_cpu(do_sync_core, NULL, 1) = OpSync, OpSyncWait */
#define SEND_IPI \
	i = 0; \
	do \
	:: i < NCPU -> if :: cmode[i] != DONE -> cipi[i] = 1 :: else fi; i++ \
	:: else -> break \
	od
#define SYNC(P) \
	:: d_step { tpc == P -> SEND_IPI; tpc++ }                         /* send the sync IPI */ \
	:: d_step { tpc == P+1 && ALL_SYNCED -> tpc++ }                   /* wait until every CPU ran it */
#ifdef NOSYNC2
#define SYNC2(P)          /* no text_poke_sync() after the tail */
#define TAIL_NEXT 10
#else
#define SYNC2(P) SYNC(P)
#define TAIL_NEXT 8
#endif

active proctype updater()
{
end:	do
	/* static_call_update(&foo, f2): ops 0-2 */
	:: d_step { tpc == 0 && !mtx_sc -> mtx_sc = 1; tpc++ }            /* mutex_lock(&static_call_mutex) */
	:: d_step { tpc == 1 -> tpc++ }                                   /* key->func == f2? no */
	:: d_step { tpc == 2 ->                                           /* key->func = f2 */
		kfunc = T_F2; kever = kever | (1 << T_F2);
		i = 0;
		do
		:: i < NCPU -> if :: cmode[i] == RUN || cmode[i] == HANDLER -> callow[i] = callow[i] | (1 << T_F2) :: else fi; i++
		:: else -> break
		od;
		tpc++ }
	/* ops 3-18: the trampoline; ops 19-34: the site */
	TRANSFORM(3, BP_TRAMP, wt, nt)
	TRANSFORM(19, BP_SITE, ws, ns)
	/* op 35: mutex_unlock(&static_call_mutex), and (folded) the return */
	:: d_step { tpc == 35 -> mtx_sc = 0; kstable = kfunc; tpc = 37 }
	od
}

/* no-deadlock and consistent-at-rest: in a state without successors every
 * actor is done and both windows hold only the new instruction. A state at
 * rest gets a self-loop here, so no state is added. */
active proctype atrest()
{
end:	do
	:: d_step { timeout ->
		at_rest = !(tpc == 37 && ALL_DONE &&
		            nt == 1 && wt[0] == NEW && ns == 1 && ws[0] == NEW);
		assert(!at_rest) }   /* no-deadlock, consistent-at-rest */
	od
}
