# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash disable=SC2154 # $tmp: the caller's
# benches/foreign_load.sh: how many CPUs other processes took while a bench
# ran, for the benches whose figures need quiet CPUs (blk_bench.sh,
# iommu_bench.sh). Sourced, not run: the caller sets $tmp, a scratch
# directory, and gets "NAME load L" lines in $tmp/res.

# load_mark: remembers the machine's busy CPU time (/proc/stat), ours (the
# shell's children, as bash's times reports them) and the wall clock.
load_mark() {
	local u n s q sq
	read -r _ u n s _ _ q sq _ </proc/stat
	mark_busy=$((u + n + s + q + sq))
	times >"$tmp/times"
	mark_ours=$(awk 'NR == 2 {
		t = 0
		for (f = 1; f <= 2; f++) {
			split($f, a, /[ms]/)
			t += a[1] * 60 + a[2]
		}
		print t
	}' "$tmp/times")
	mark_wall=$EPOCHREALTIME
}

# load_record NAME: "NAME load L" into $tmp/res: CPUs that others used
# since load_mark (all busy time less ours, over the wall time), near 0 on
# a quiet machine. Not in a subshell: times would not see our children.
load_record() {
	local busy=$mark_busy ours=$mark_ours wall=$mark_wall
	load_mark
	awk -v c="$1" -v b=$((mark_busy - busy)) -v o0="$ours" \
		-v o1="$mark_ours" -v w0="$wall" -v w1="$mark_wall" 'BEGIN {
		v = (b / 100 - (o1 - o0)) / (w1 - w0)
		printf "%s load %.3f\n", c, v < 0 ? 0 : v
	}' >>"$tmp/res"
}
