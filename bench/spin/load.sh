#!/bin/sh
# bench/spin/load.sh -- two workers against one on bench/spin's scenario,
# on an idle machine and beside other load (issue #18, docs/memory.md).
#
# For each number of CPUs in $CPUS (default 3), each storage (exact and
# 64-bit fingerprints) and each load in $LOADS (default "idle half
# full"), it runs `patchcheck check` on one worker and on two, $RUNS
# times each (default 21), the two alternating, and prints the median
# rates (states/s) and their ratio, two workers' over one's (above 1:
# two workers are faster). The loads, started before a row's runs and
# stopped after them:
#
#   idle   nothing else
#   half   one thread busy 5 ms of each 10 ms (bench/spin/busy -duty 0.5)
#   full   one thread busy all the time (bench/spin/busy -duty 1, as
#          `yes > /dev/null`)
#
# On a 2-CPU machine a loaded row leaves the search one and a half CPUs
# or one. The rates are the search's own (patchcheck's -json
# states_per_second), not the process's. Run it on a machine with
# nothing else running: other work is load too.
#
# Exit status: 0, or 2 when patchcheck or busy cannot be built or run.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
CPUS=${CPUS:-3}
RUNS=${RUNS:-21}
LOADS=${LOADS:-"idle half full"}
work=$(mktemp -d "${TMPDIR:-/tmp}/spinload.XXXXXX")
busy_pid=""
stop_load() {
	if [ -n "$busy_pid" ]; then
		kill "$busy_pid" 2>/dev/null || true
		wait "$busy_pid" 2>/dev/null || true
		busy_pid=""
	fi
}
trap 'stop_load; rm -rf "$work"' EXIT
trap 'exit 2' INT TERM

die() { echo "load.sh: $*" >&2; exit 2; }

command -v go >/dev/null 2>&1 || die "go is needed to build patchcheck"
(cd "$root" && go build -o "$work/patchcheck" ./cmd/patchcheck) || die "cannot build patchcheck"
(cd "$root" && go build -o "$work/busy" ./bench/spin/busy) || die "cannot build bench/spin/busy"
pc="$work/patchcheck"

. "$here/scenario.sh"

# start_load LOAD: starts LOAD's busy thread, if any
start_load() {
	case "$1" in
	idle) return 0 ;;
	half) "$work/busy" -duty 0.5 & ;;
	full) "$work/busy" -duty 1 & ;;
	*) die "unknown load $1 (want idle, half or full)" ;;
	esac
	busy_pid=$!
	sleep 0.5
}

# once FILE FLAGS OUT: one run's rate, appended to OUT
once() {
	"$pc" check "$1" -q -json $2 >"$work/pc.json" 2>"$work/pc.err" || true
	r=$(json "$work/pc.json" states_per_second)
	[ -n "$r" ] || { cat "$work/pc.err" >&2; die "patchcheck failed on $1"; }
	echo "$r" >>"$3"
}

echo "patchcheck on bench/spin's scenario: two workers (-workers 2) against one, idle and beside other load"
echo "$(go version | cut -d' ' -f3), $(getconf _NPROCESSORS_ONLN) CPUs; each rate the median of $RUNS runs, one and two workers alternating"
echo
printf '%-24s %14s %14s %8s\n' RUN "W1 STATES/S" "W2 STATES/S" "W2/W1"
for n in $CPUS; do
	f=$(spin_scenario "$n" kernel "$work")
	for mode in exact fp; do
		flags=""
		[ "$mode" = exact ] && flags="-exact"
		for load in $LOADS; do
			: >"$work/w1" && : >"$work/w2"
			start_load "$load"
			i=0
			while [ $i -lt "$RUNS" ]; do
				if [ $((i % 2)) -eq 0 ]; then
					once "$f" "$flags" "$work/w1"
					once "$f" "$flags -workers 2" "$work/w2"
				else
					once "$f" "$flags -workers 2" "$work/w2"
					once "$f" "$flags" "$work/w1"
				fi
				i=$((i + 1))
			done
			stop_load
			a=$(median <"$work/w1")
			b=$(median <"$work/w2")
			printf '%-24s %14.0f %14.0f %8.2f\n' "${n}cpu $mode $load" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN { print b / a }')"
		done
	done
done
