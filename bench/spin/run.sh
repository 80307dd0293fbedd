#!/bin/sh
# bench/spin/run.sh -- patchcheck side by side with SPIN (issue #8,
# docs/spin.md).
#
# For each number of CPUs in $CPUS (default "1 2 3"), it writes the
# patchcheck scenario (one key, one call site s1, each CPU calls s1 once,
# one updater: update foo f2), runs `patchcheck check -exact` on it (one
# worker, then -workers 2) and SPIN's verifier built from textpokebp.pml
# with -DNCPU=N, and prints the distinct states, verdict and states/s of
# each tool and the rate ratio, patchcheck's over SPIN's (above 1:
# patchcheck is faster). Then the known-bad variant (no-sync2) on 1 and 2
# CPUs: both must report a no-torn-insn violation. Then the fingerprint
# pair: patchcheck's 64-bit fingerprints (one and two workers) against
# pan's hash compaction (-DHC4, 32-bit compressed states, which may lose
# states to collisions: only verdicts must agree there). Last, for
# information, both tools with their partial-order reductions (the counts
# are not expected to agree).
#
# Each rate is the median of $RUNS runs (default 3) of the same search,
# for both tools, the two tools' runs alternating, row by row (the host's
# speed drifts over the minutes a table takes: on this project's 2-CPU
# virtual machine either tool's rate moved by a fifth or more between
# runs minutes apart); the states and verdicts are those of the last run.
#
# AGREE: for the exact rows, equal states and verdicts; for the no-sync2,
# fingerprint and reduction rows, equal verdicts (the counts are not
# comparable there). pan is built with pan_clock.h, which times its
# search to the microsecond (pan's own clock ticks 10 ms: a 70 ms search
# read 0.06-0.08 s); rates under 10 ms of pan's search are still "n/a"
# (too short to compare; the limit was 50 ms until December 8, 2026,
# when the host ran pan's 3-CPU searches in 41-46 ms and run.sh printed
# no ratio for them). All rates come from the one run; the machine's other
# load affects both tools alike only roughly, so compare ratios across runs
# with care.
#
# Exit status: 0 when every state count and verdict agrees, 1 otherwise,
# 2 when a tool could not be installed, built or run.
#
# SPIN verifier flags (docs/spin.md):
#   spin -a -DNCPU=N textpokebp.pml         generate pan.c
#   gcc -O2 -DSAFETY -DNOREDUCE             safety only (assertions, invalid
#                                           end states), no partial-order
#                                           reduction: the whole state space
#       -include pan_clock.h                pan's elapsed time to the
#                                           microsecond, not 10 ms
#   ./pan -m100000 -w24                     depth limit 100000 (never reached:
#                                           the graph is acyclic, depth < 100),
#                                           2^24-slot hash table
# In the exact rows both tools store whole states: patchcheck runs with
# -exact; pan's default is exact storage (no -DBITSTATE, no -DHC). In the
# fingerprint rows patchcheck stores 64-bit fingerprints and pan is built
# with -DHC4.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
CPUS=${CPUS:-"1 2 3"}
RUNS=${RUNS:-3}
BAD_CPUS=${BAD_CPUS:-"1 2"}
work=$(mktemp -d "${TMPDIR:-/tmp}/spinbench.XXXXXX")
trap 'rm -rf "$work"' EXIT

die() { echo "run.sh: $*" >&2; exit 2; }

# --- SPIN from Debian's packages ---
if ! command -v spin >/dev/null 2>&1; then
	echo "spin not found; installing it from Debian's packages"
	apt-cache policy spin || true
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get update && $sudo apt-get install -y spin || die "cannot install spin"
fi
command -v gcc >/dev/null 2>&1 || die "gcc is needed to build SPIN's verifier"
command -v go >/dev/null 2>&1 || die "go is needed to build patchcheck"

# --- patchcheck ---
(cd "$root" && go build -o "$work/patchcheck" ./cmd/patchcheck) || die "cannot build patchcheck"
pc="$work/patchcheck"

# scenario N VARIANT: the patchcheck scenario with N CPUs calling s1 once
# (scenario.sh), in $work
. "$here/scenario.sh"
scenario() { spin_scenario "$1" "$2" "$work"; }

# pc_once FILE FLAGS: one patchcheck run of FILE; appends its rate to
# $work/pc.rates and sets pc_states pc_verdict
pc_once() {
	"$pc" check "$1" -q -json -o "$work/cex" $2 >"$work/pc.json" 2>"$work/pc.err" || true
	[ -s "$work/pc.json" ] || { cat "$work/pc.err" >&2; die "patchcheck failed on $1"; }
	json "$work/pc.json" states_per_second >>"$work/pc.rates"
	pc_states=$(json "$work/pc.json" states)
	v=$(json "$work/pc.json" verdict)
	case "$v" in
	safe) pc_verdict=safe ;;
	violation*) pc_verdict="violation ${v#violation }" ;;
	*) pc_verdict="$v" ;;
	esac
}

# spin_build N DEFINES CFLAGS: builds pan in the directory it sets in d
# (once for each N, DEFINES and CFLAGS)
spin_build() {
	d="$work/spin-$1-$(echo "$2 $3" | tr -c 'A-Za-z0-9\n' _)"
	[ -x "$d/pan" ] && return 0
	mkdir -p "$d"
	cp "$here/textpokebp.pml" "$d/"
	(cd "$d" && spin -DNCPU="$1" $2 -a textpokebp.pml >spin.out 2>&1) || { cat "$d/spin.out" >&2; die "spin -a failed"; }
	(cd "$d" && gcc -O2 -DSAFETY $3 -include "$here/pan_clock.h" -o pan pan.c) || die "gcc pan.c failed"
}

# spin_once: one run of the pan in $d; appends its rate to $d/rates and
# sets sp_states sp_verdict
spin_once() {
	(cd "$d" && ./pan -m100000 -w24 >pan.out 2>&1) || true
	sp_states=$(sed -n 's/^ *\([0-9][0-9]*\) states, stored.*/\1/p' "$d/pan.out")
	errors=$(sed -n 's/.*errors: \([0-9][0-9]*\).*/\1/p' "$d/pan.out")
	secs=$(sed -n 's/^pan: elapsed time \([0-9.e+-]*\) seconds.*/\1/p' "$d/pan.out")
	[ -n "$sp_states" ] && [ -n "$errors" ] || { cat "$d/pan.out" >&2; die "pan failed"; }
	# under 10 ms of search the rate is not measured (pan_clock.h)
	awk -v n="$sp_states" -v s="${secs:-0}" 'BEGIN { if (s >= 0.01) printf "%.0f\n", n / s; else print "n/a" }' >>"$d/rates"
	if [ "$errors" = 0 ]; then
		sp_verdict=safe
	else
		# the assertion names the property (textpokebp.pml)
		case "$(grep -m1 'assertion violated' "$d/pan.out")" in
		*no_torn_insn*) sp_verdict="violation no-torn-insn" ;;
		*old_or_new_target*) sp_verdict="violation old-or-new-target" ;;
		*no_kernel_bug* | *bp_refs*) sp_verdict="violation no-kernel-bug" ;;
		*at_rest*) sp_verdict="violation consistent-at-rest" ;;
		*) sp_verdict="violation (unnamed assertion)" ;;
		esac
	fi
}

# pair N VARIANT PC_FLAGS SPIN_DEFINES SPIN_CFLAGS: $RUNS runs of each
# tool, alternating (pan, patchcheck, pan, ...), so that the host's speed
# drifting over the minutes a table takes moves both tools' medians
# alike. Sets pc_states pc_verdict pc_rate sp_states sp_verdict sp_rate
# (the rates the medians; states and verdicts those of the last runs).
pair() {
	f=$(scenario "$1" "$2")
	spin_build "$1" "$4" "$5"
	: >"$work/pc.rates"
	: >"$d/rates"
	i=0
	while [ $i -lt "$RUNS" ]; do
		spin_once
		pc_once "$f" "$3"
		i=$((i + 1))
	done
	pc_rate=$(median <"$work/pc.rates")
	sp_rate=$(median <"$d/rates")
}

# ratio PC_RATE SPIN_RATE: patchcheck's rate over SPIN's
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b != "n/a" && b + 0 > 0) printf "%.2f", a / b; else print "n/a" }'; }

status=0
row() { # label pc_states sp_states pc_verdict sp_verdict pc_rate sp_rate must_match_states
	same=yes
	[ "$8" != states ] || [ "$2" = "$3" ] || same=no
	[ "$4" = "$5" ] || same=no
	if [ "$8" = states ] && [ "$same" = no ]; then status=1; fi
	if [ "$8" = verdict ] && [ "$4" != "$5" ]; then status=1; fi
	printf '%-22s %10s %10s  %-26s %-26s %12.0f %12s %8s  %s\n' "$1" "$2" "$3" "$4" "$5" "$6" "$7" \
		"$(ratio "$6" "$7")" "$same"
}

# cpu_speeds: patchcheck's one-worker rate on the 3-CPU scenario pinned
# to each CPU in turn (taskset, from util-linux; the median of 3 runs
# each), and a warning when the fastest CPU is more than 1.15 times the
# slowest. A virtual machine's CPUs can differ in speed for minutes at a
# time, with no steal time shown to the guest (docs/memory.md, fourteenth
# round: one of this project's VM's two CPUs ran a loop 2.7 times slower
# than the other); a two-worker rate then depends on which CPU each
# worker ran on, and a one-worker rate on where the scheduler put it.
cpu_speeds() {
	command -v taskset >/dev/null 2>&1 || { echo "CPU speeds: not measured (no taskset)"; return 0; }
	f=$(scenario 3 kernel)
	line="" lo="" hi=""
	for c in $(seq 0 $(($(nproc) - 1))); do
		: >"$work/cpu.rates"
		for _ in 1 2 3; do
			taskset -c "$c" "$pc" check "$f" -q -json -o "$work/cex" >"$work/cpu.json" 2>/dev/null || true
			json "$work/cpu.json" states_per_second >>"$work/cpu.rates"
		done
		r=$(median <"$work/cpu.rates" | awk '{ printf "%.0f", $1 }')
		line="$line cpu$c $r"
		if [ -z "$lo" ] || [ "$r" -lt "$lo" ]; then lo=$r; fi
		if [ -z "$hi" ] || [ "$r" -gt "$hi" ]; then hi=$r; fi
	done
	spread=$(awk -v a="$hi" -v b="$lo" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
	echo "CPU speeds ($1; patchcheck states/s, 3-CPU fingerprint search, one worker pinned to each):$line; fastest/slowest $spread"
	if awk -v x="$spread" 'BEGIN { exit !(x != "n/a" && x > 1.15) }'; then
		echo "WARNING: the CPUs differ in speed: the table's rates depend on which CPU each worker ran on"
	fi
}

echo "patchcheck vs SPIN: x86-64 text_poke_bp, one call site, N CPUs call it once, one update"
echo "$(go version | cut -d' ' -f3), $(spin -V 2>&1 | head -n 1), gcc $(gcc -dumpversion), $(nproc) CPUs"
echo "exact: patchcheck check -exact (bfs; w1 one worker, w2 -workers 2); SPIN: pan -DSAFETY -DNOREDUCE, exact state storage"
echo "default: patchcheck check (64-bit fingerprints, one worker) against the same pan run"
echo "ratio = patchcheck states/s / SPIN states/s (above 1: patchcheck is faster); each rate the median of $RUNS runs, the tools' runs alternating"
echo
cpu_speeds before
echo
printf '%-22s %10s %10s  %-26s %-26s %12s %12s %8s  %s\n' RUN "PC STATES" "SPIN STATES" "PC VERDICT" \
	"SPIN VERDICT" "PC STATES/S" "SPIN STATES/S" RATIO "AGREE"
for n in $CPUS; do
	pair "$n" kernel -exact "" -DNOREDUCE
	row "${n}cpu exact w1" "$pc_states" "$sp_states" "$pc_verdict" "$sp_verdict" "$pc_rate" "$sp_rate" states
	pair "$n" kernel "-exact -workers 2" "" -DNOREDUCE
	row "${n}cpu exact w2" "$pc_states" "$sp_states" "$pc_verdict" "$sp_verdict" "$pc_rate" "$sp_rate" states
	# each tool's default exhaustive mode: patchcheck's 64-bit
	# fingerprints (which here store every state: the counts must be
	# equal) against pan's exact storage
	pair "$n" kernel "" "" -DNOREDUCE
	row "${n}cpu default w1" "$pc_states" "$sp_states" "$pc_verdict" "$sp_verdict" "$pc_rate" "$sp_rate" states
done
for n in $BAD_CPUS; do
	# a search that stops at the first violation counts the states it
	# stored by then, which depends on its order (BFS vs DFS): only the
	# verdicts must agree
	pair "$n" no-sync2 -exact -DNOSYNC2 -DNOREDUCE
	row "${n}cpu no-sync2" "$pc_states" "$sp_states" "$pc_verdict" "$sp_verdict" "$pc_rate" "$sp_rate" verdict
done
echo
echo "fingerprints: patchcheck 64-bit fingerprints (w1, w2) vs pan -DHC4 (hash compaction; it may lose states, so only verdicts must agree):"
for n in $CPUS; do
	pair "$n" kernel "" "" "-DNOREDUCE -DHC4"
	row "${n}cpu fp w1 / hc4" "$pc_states" "$sp_states" "$pc_verdict" "$sp_verdict" "$pc_rate" "$sp_rate" verdict
	pair "$n" kernel "-workers 2" "" "-DNOREDUCE -DHC4"
	row "${n}cpu fp w2 / hc4" "$pc_states" "$sp_states" "$pc_verdict" "$sp_verdict" "$pc_rate" "$sp_rate" verdict
done
echo
echo "with reductions (for information; each tool's own reduction, counts need not agree):"
for n in $CPUS; do
	pair "$n" kernel "-exact -reduce" "" ""
	row "${n}cpu por" "$pc_states" "$sp_states" "$pc_verdict" "$sp_verdict" "$pc_rate" "$sp_rate" verdict
done
echo
cpu_speeds after
echo
if [ $status -eq 0 ]; then
	echo "OK: equal state counts and verdicts"
else
	echo "MISMATCH: state counts or verdicts differ" >&2
fi
exit $status
