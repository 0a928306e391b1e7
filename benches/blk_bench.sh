#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# benches/blk_bench.sh: virtio-blk reads: the host's own io_uring, ignis and
# QEMU microvm, side by side.
#
# Usage: benches/blk_bench.sh [build-dir] [rounds]
#
# One 256 MiB image (benches/blk_host make: every 4 KiB block starts with
# its number, the rest pseudo-random), read into the page cache with cat.
# Three contenders run the same three phases on it, [rounds] times each
# (default 3), interleaved; the table shows medians:
#
#   lat   4 KiB reads at queue depth 1: microseconds per round trip
#         (for the VMs: QueueNotify to the used entry, polled)
#   rand  4 KiB reads at random 4 KiB-aligned offsets, depth 32: IOPS
#   seq   128 KiB reads in disk order, depth 8: MB/s (10^6 bytes)
#
#   host   benches/blk_host: the phases in this process, one io_uring ring,
#          READV on a registered file: the physical limit of this host
#   ignis  tests/guest/blk_bench on --disk path=IMG,readonly=on
#   qemu   the same guest on qemu-system-x86_64 -M microvm, virtio-blk-device
#          on a raw drive with aio=io_uring,cache=writeback
#
# All three read through the host's page cache (no O_DIRECT): ignis by
# default, QEMU with cache=writeback (cache.direct=off), which is the same
# path: buffered READV from io_uring. The image lives on the build
# directory's file system (BLK_BENCH_DIR to change). BLK_BENCH_DIRECT=1
# adds rows for the host and ignis with O_DIRECT (direct=on): on a virtual
# disk that measures the disk, not the VMM.
#
# The guests are timed by this script: every line they print on the serial
# console is stamped with the host's clock as it arrives; a phase is the
# time from its "go" line to its "end" line (see blk_bench.c for why not the
# guest's TSC). Every read is checked (status, length, the block numbers in
# the data); a phase with an error fails the bench.
#
# Both VMs get 1 vCPU and 128 MiB; the guest polls the used ring with
# interrupts suppressed, so each needs two busy host CPUs (vCPU, I/O
# thread) where the host baseline needs one: run on a quiet machine. The
# "foreign load" line shows how many CPUs other processes took during
# the runs (the machine's busy time less this script's children's:
# benches/foreign_load.sh).
#
# Environment: LAT, RAND, SEQ (requests per phase), QEMU (binary).
# Needs /dev/kvm and qemu-system-x86_64. Timings, not assertions: the
# target lines report, they do not fail.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
rounds=${2:-3}
ignis=$build/ignis
guest=$build/tests/guest/blk_bench
host=$build/benches/blk_host
qemu=${QEMU:-qemu-system-x86_64}
lat=${LAT:-60000}
rand=${RAND:-1000000}
seq=${SEQ:-60000}
mib=256
# Targets of issue 4: random-read IOPS at least this fraction of the
# host's own; better than QEMU.
target=0.90

die() { echo "blk_bench: $*" >&2; exit 1; }
# shellcheck source=benches/foreign_load.sh
. "$root/benches/foreign_load.sh"

[[ $rounds =~ ^[1-9][0-9]*$ ]] || die "rounds must be a positive number: $rounds"
for n in "$lat" "$rand" "$seq"; do
	[[ $n =~ ^[1-9][0-9]*$ ]] || die "LAT, RAND, SEQ must be positive: $n"
done
[[ -x $ignis ]] || die "no ignis binary at $ignis (build first)"
[[ -f $guest ]] || die "no blk_bench guest at $guest (build with tests on)"
[[ -x $host ]] || die "no blk_host at $host (build with -DBUILD_BENCHES=ON)"
command -v "$qemu" >/dev/null || die "$qemu not found"
[[ -r /dev/kvm && -w /dev/kvm ]] || die "/dev/kvm is not usable"

tmp=$(mktemp -d "${BLK_BENCH_DIR:-$build}/blk_bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
img=$tmp/disk.img
cmdline="console=ttyS0 lat=$lat rand=$rand seq=$seq"

ignis_cmd=("$ignis" --kernel "$guest" --memory 128M --cpus 1
	--disk "path=$img,readonly=on" --cmdline "$cmdline")
ignis_direct_cmd=("$ignis" --kernel "$guest" --memory 128M --cpus 1
	--disk "path=$img,readonly=on,direct=on" --cmdline "$cmdline")
# microvm as in boot_bench.sh, plus: acpi=off, so QEMU announces the
# device as virtio_mmio.device= on the command line, where the guest looks
# for it; force-legacy=false for a version-2 (virtio 1.x) transport.
qemu_cmd=("$qemu" -M microvm,acpi=off -accel kvm -cpu qemu64 -m 128M
	-smp 1 -kernel "$guest" -append "$cmdline" -nographic -no-reboot
	-global virtio-mmio.force-legacy=false
	-drive "id=d0,file=$img,format=raw,if=none,readonly=on,aio=io_uring,cache=writeback"
	-device virtio-blk-device,drive=d0)

# stamp: copies stdin to stdout, each line prefixed by the time it came.
stamp() {
	local line
	while IFS= read -r line; do
		printf '%s %s\n' "$EPOCHREALTIME" "$line"
	done
}

# record NAME PHASE N SECONDS: the phase's figure into $tmp/res.
record() {
	awk -v c="$1" -v p="$2" -v n="$3" -v s="$4" 'BEGIN {
		if (p == "lat") v = s / n * 1e6
		else if (p == "rand") v = n / s
		else v = n * 131072 / s / 1e6
		printf "%s %s %.6f\n", c, p, v
	}' >>"$tmp/res"
}

# run_guest NAME CMD...: boots the bench guest, records its three phases.
run_guest() {
	local name=$1 out=$tmp/out status
	shift
	load_mark
	set +e
	"$@" </dev/null 2>"$tmp/err" | stamp >"$out"
	status=${PIPESTATUS[0]}
	set -e
	load_record "$name"
	[[ $status == 0 ]] ||
		die "$name exited $status: $(tail -n 3 "$tmp/err")"
	grep -q 'blk_bench: done' "$out" ||
		die "$name: the guest did not finish: $(tail -n 5 "$out")"
	awk -v c="$name" '
		$2 == "blk_bench:" && $4 == "go" { go[$3] = $1 }
		$2 == "blk_bench:" && $4 == "end" { end[$3] = $1 }
		$2 == "blk_bench:" && $4 == "n" {
			if ($7 != 0 || $9 != 0) {
				printf "%s: %s: %d errors, %d bad reads\n",
					c, $3, $7, $9 > "/dev/stderr"
				exit 1
			}
			n[$3] = $5
			k[$3] = $11
		}
		END {
			for (p in n)
				print p, n[p], end[p] - go[p], k[p]
		}' "$out" >"$tmp/phases" || die "$name: reads failed"
	[[ $(wc -l <"$tmp/phases") == 3 ]] ||
		die "$name: phases missing: $(cat "$out")"
	while read -r p n s k; do
		record "$name" "$p" "$n" "$s"
		echo "$name k$p $(awk -v k="$k" -v n="$n" \
			'BEGIN { printf "%.4f", k / n }')" >>"$tmp/res"
	done <"$tmp/phases"
}

# run_host NAME [direct]: the host baseline.
run_host() {
	local name=$1
	shift
	load_mark
	"$host" run "$img" "$lat" "$rand" "$seq" "$@" >"$tmp/out" ||
		die "blk_host failed"
	load_record "$name"
	while read -r _ p _ n _ e _ b _ s; do
		[[ $e == 0 && $b == 0 ]] ||
			die "$name: $p: $e errors, $b bad reads"
		record "$name" "$p" "$n" "$s"
	done <"$tmp/out"
}

echo "blk_bench: load before: $(uptime)"
"$host" make "$img" "$mib" || die "could not write $img"
cat "$img" >/dev/null
contenders=(host ignis qemu)
[[ ${BLK_BENCH_DIRECT:-0} == 1 ]] && contenders+=(host-direct ignis-direct)
for ((r = 0; r < rounds; r++)); do
	run_host host
	run_guest ignis "${ignis_cmd[@]}"
	run_guest qemu "${qemu_cmd[@]}"
	if [[ ${BLK_BENCH_DIRECT:-0} == 1 ]]; then
		run_host host-direct direct
		run_guest ignis-direct "${ignis_direct_cmd[@]}"
	fi
done
echo "blk_bench: load after:  $(uptime)"
echo

# Medians per contender and phase, then the table.
sort -k1,1 -k2,2 -k3,3g "$tmp/res" | awk '
	{ k = $1 " " $2; v[k, ++n[k]] = $3 }
	END {
		for (k in n) {
			m = n[k]
			if (m % 2)
				med = v[k, (m + 1) / 2]
			else
				med = (v[k, m / 2] + v[k, m / 2 + 1]) / 2
			print k, med
		}
	}' >"$tmp/med"

awk -v rounds="$rounds" -v mib="$mib" -v t="$target" \
	-v nlat="$lat" -v nrand="$rand" -v nseq="$seq" \
	-v extra="${BLK_BENCH_DIRECT:-0}" '
{ m[$1, $2] = $3 }
END {
	split("lat rand seq", ph, " ")
	label["lat"] = "lat   4K QD1  us/req"
	label["rand"] = "rand  4K QD32 IOPS"
	label["seq"] = "seq 128K QD8  MB/s"
	printf "blk_bench: %d MiB image in the page cache, 1 vCPU, median " \
		"of %d rounds;\nrequests per phase: lat %d, rand %d, seq %d\n\n",
		mib, rounds, nlat, nrand, nseq
	printf "%-22s %9s %10s %10s %11s %11s", "phase", "host", "ignis",
		"qemu", "ignis/host", "ignis/qemu"
	if (extra)
		printf " %12s %12s", "host-direct", "ignis-direct"
	printf "\n"
	for (i = 1; i <= 3; i++) {
		p = ph[i]
		h = m["host", p]; g = m["ignis", p]; q = m["qemu", p]
		printf "%-22s %9.1f %10.1f %10.1f %11.3f %11.3f",
			label[p], h, g, q, g / h, g / q
		if (extra)
			printf " %12.1f %12.1f", m["host-direct", p],
				m["ignis-direct", p]
		printf "\n"
	}
	for (i = 1; i <= 3; i++)
		printf "%-22s %9s %10.3f %10.3f\n", "  " ph[i] " kicks/req",
			"-", m["ignis", "k" ph[i]], m["qemu", "k" ph[i]]
	printf "%-22s %9.2f %10.2f %10.2f\n", "  foreign load (CPUs)",
		m["host", "load"], m["ignis", "load"], m["qemu", "load"]
	printf "\nlat: lower is better (ratios below 1 good); rand, seq: " \
		"higher is better.\nforeign load: CPUs that other processes " \
		"used during the runs (median);\nabove ~0.1 the figures " \
		"are not reliable.\n\n"
	r = m["ignis", "rand"] / m["host", "rand"]
	printf "target: rand IOPS >= %.2f x host: %s (%.3f)\n", t,
		(r >= t ? "met" : "NOT met"), r
	ok = m["ignis", "lat"] < m["qemu", "lat"] &&
		m["ignis", "rand"] > m["qemu", "rand"] &&
		m["ignis", "seq"] > m["qemu", "seq"]
	printf "target: better than QEMU in every phase: %s\n",
		ok ? "met" : "NOT met"
}' "$tmp/med"
