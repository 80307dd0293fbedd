#!/bin/sh
# bench/pgo/run.sh: make cmd/patchcheck/default.pgo, the CPU profile that
# 'go build' uses for profile-guided optimization of patchcheck (Go's
# -pgo=auto: a default.pgo in the main package's directory).
#
# The profile is the merge of CPU profiles (check -cpuprofile) of the
# runs a user and this project's benchmarks make:
#   - the built-in catalogue (check -all, README's main job);
#   - bench/spin's scenario on 3 and 4 CPUs, exact and with fingerprints,
#     on one and two workers;
#   - x86-4cpu-2site-2upd without its reductions, on two workers, to
#     STATES states (issue #18's large search).
# The compiler uses it only to choose what to inline and lay out: the
# states, verdicts and IDs of every run are those of a build without it
# (docs/memory.md, "Profile-guided optimization").
#
# Usage: bench/pgo/run.sh            (from anywhere in the repository)
# Environment: STATES (default 10000000).
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
states=${STATES:-10000000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Built without a profile, so that the profile does not feed on itself.
(cd "$root" && go build -pgo=off -o "$work/patchcheck" ./cmd/patchcheck)
pc="$work/patchcheck"

. "$root/bench/spin/scenario.sh"

# prof ARGS: patchcheck check ARGS, profiled; a verdict's exit status is
# fine, bad input (2) is not.
n=0
prof() {
	n=$((n + 1))
	rc=0
	"$pc" check -q -cpuprofile "$work/$n.pprof" "$@" >/dev/null || rc=$?
	[ $rc -ne 2 ] || { echo "bench/pgo/run.sh: patchcheck check $*: bad input" >&2; exit 1; }
}

prof -all
for cpus in 3 4; do
	f=$(spin_scenario $cpus kernel "$work")
	for mode in -exact -exact=false; do
		for w in 1 2; do
			prof "$f" $mode -workers $w
		done
	done
done
grep -v '^explore' "$root/catalog/scenarios/x86-4cpu-2site-2upd.scn" >"$work/unreduced.scn"
prof "$work/unreduced.scn" -workers 2 -states "$states"

go tool pprof -proto "$work"/*.pprof >"$root/cmd/patchcheck/default.pgo"
echo "wrote cmd/patchcheck/default.pgo from $(ls "$work"/*.pprof | wc -l) profiles"
