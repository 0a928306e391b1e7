#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# benches/boot_bench.sh: boot-to-exit time and peak RSS, ignis vs QEMU microvm.
#
# Usage: benches/boot_bench.sh [build-dir] [runs]
#
# Boots tests/guest/hello (a PVH ELF that prints one line and resets)
# [runs] times (default 10) on ignis and on QEMU's microvm machine, both
# with 64 MiB and one vCPU, and prints the median and minimum wall time
# (fork to exit) and peak RSS (GNU time's %M) of each, and the ratios.
# Both include the kernel's teardown of the VM at exit, which on some
# hosts is most of ignis's time.
# Needs /dev/kvm, qemu-system-x86_64 and GNU time (/usr/bin/time).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
runs=${2:-10}
ignis=$build/ignis
hello=$build/tests/guest/hello
qemu=${QEMU:-qemu-system-x86_64}
gnu_time=/usr/bin/time
# The target the project holds itself to, as a fraction of QEMU.
target=0.25

die() { echo "boot_bench: $*" >&2; exit 1; }

[[ $runs =~ ^[1-9][0-9]*$ ]] || die "runs must be a positive number: $runs"
[[ -x $ignis ]] || die "no ignis binary at $ignis (build first)"
[[ -f $hello ]] || die "no hello guest at $hello (build with tests on)"
[[ -x $gnu_time ]] || die "$gnu_time missing (apt-get install time)"
command -v "$qemu" >/dev/null || die "$qemu not found"
[[ -r /dev/kvm && -w /dev/kvm ]] || die "/dev/kvm is not usable"

# QEMU: microvm with its default firmware (qboot), which enters a PVH ELF
# given with -kernel; -cpu qemu64 because the host CPU model is not
# usable on every KVM; -no-reboot turns the guest's reset (or the triple
# fault that follows it, microvm having no i8042) into an exit.
qemu_cmd=("$qemu" -M microvm -accel kvm -cpu qemu64 -m 64M -smp 1
	-kernel "$hello" -nographic -no-reboot)
ignis_cmd=("$ignis" --kernel "$hello" --memory 64M --cpus 1)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# run_one NAME CMD...: boots twice, once bare for the wall time (fork to
# exit, so GNU time's own fork and wait do not count) and once under GNU
# time for the peak RSS; appends "wall_ms rss_kib" to $tmp/NAME.
run_one() {
	local name=$1 t0 t1
	shift
	t0=$EPOCHREALTIME
	"$@" </dev/null >"$tmp/out" 2>"$tmp/err" ||
		die "$name failed: $(tail -n 3 "$tmp/err")"
	t1=$EPOCHREALTIME
	grep -q 'Hello from an ignis guest!' "$tmp/out" ||
		die "$name: the guest printed nothing: $(head -c 200 "$tmp/out")"
	"$gnu_time" -f '%M' -o "$tmp/rss" "$@" </dev/null >/dev/null 2>&1 ||
		die "$name failed under $gnu_time"
	awk -v a="$t0" -v b="$t1" -v r="$(tail -n 1 "$tmp/rss")" \
		'BEGIN { printf "%.3f %d\n", (b - a) * 1000, r }' >>"$tmp/$name"
}

# stats FILE COLUMN: "median min" of a column.
stats() {
	sort -g -k "$2,$2" "$1" | awk -v c="$2" '
		{ v[NR] = $c }
		END {
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%s %s\n", m, v[1]
		}'
}

# One untimed boot each first: page cache, KVM module state.
run_one warm_ignis "${ignis_cmd[@]}"
run_one warm_qemu "${qemu_cmd[@]}"
for ((i = 0; i < runs; i++)); do
	run_one ignis "${ignis_cmd[@]}"
	run_one qemu "${qemu_cmd[@]}"
done

read -r iw_med iw_min < <(stats "$tmp/ignis" 1)
read -r ir_med ir_min < <(stats "$tmp/ignis" 2)
read -r qw_med qw_min < <(stats "$tmp/qemu" 1)
read -r qr_med qr_min < <(stats "$tmp/qemu" 2)

awk -v n="$runs" -v t="$target" \
	-v iwm="$iw_med" -v iwn="$iw_min" -v irm="$ir_med" -v irn="$ir_min" \
	-v qwm="$qw_med" -v qwn="$qw_min" -v qrm="$qr_med" -v qrn="$qr_min" '
BEGIN {
	printf "boot_bench: hello guest, 64 MiB, 1 vCPU, %d runs each\n\n", n
	printf "%-14s %12s %12s %14s %14s\n", "", "wall ms med", "wall ms min",
		"RSS KiB med", "RSS KiB min"
	printf "%-14s %12.2f %12.2f %14d %14d\n", "ignis", iwm, iwn, irm, irn
	printf "%-14s %12.2f %12.2f %14d %14d\n", "qemu microvm", qwm, qwn,
		qrm, qrn
	wr = iwm / qwm; rr = irm / qrm
	printf "%-14s %12.3f %12.3f %14.3f %14.3f\n\n", "ignis/qemu", wr,
		iwn / qwn, rr, irn / qrn
	ok = wr <= t && rr <= t
	printf "target: ignis <= %.2f x QEMU (medians) for wall time and RSS: " \
		"%s\n", t, ok ? "met" : "NOT met"
}'
