# bench/spin/scenario.sh, sourced by bench/spin/run.sh,
# bench/spin/load.sh and bench/pgo/run.sh: the scenario, and the helpers
# that read patchcheck's results.
#
# spin_scenario N VARIANT DIR: writes bench/spin's patchcheck scenario
# with N CPUs calling the inline site s1 once while one thread updates
# its key (VARIANT: kernel, or a known-bad variant) to
# DIR/x86-Ncpu-VARIANT.scn, and prints its path.
spin_scenario() {
	n=$1 variant=$2 f="$3/x86-$1cpu-$2.scn"
	{
		echo "# patchcheck scenario"
		echo "scenario spin-x86-${n}cpu-$variant"
		echo "doc bench/spin: $n CPU(s) call inline site s1 once while text_poke_bp retargets it from f1 to f2"
		echo "arch x86-64"
		[ "$variant" = kernel ] || echo "variant $variant"
		echo "target f1 f2"
		echo "key foo init=f1"
		echo "site s1 key=foo kind=call"
		i=0
		while [ $i -lt "$n" ]; do echo "cpu s1"; i=$((i + 1)); done
		echo "thread updater: update foo f2"
	} >"$f"
	echo "$f"
}

# json FILE KEY: a top-level scalar of patchcheck's -json output
json() { sed -n "s/^  \"$2\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}\$/\1/p" "$1" | head -n 1; }

# median: the median of the numbers on stdin, one a line ("n/a" if any is,
# or if there are none)
median() { sort -n | awk '{ a[NR] = $1 } /n\/a/ { na = 1 } END { if (na || NR == 0) print "n/a"; else print a[int((NR + 1) / 2)] }'; }
