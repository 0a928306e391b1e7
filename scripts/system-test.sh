#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# scripts/system-test.sh: Linux guests on ignis, in a nested KVM under QEMU TCG: set up, build, run, report.
#
# Usage: scripts/system-test.sh [--bench] [CTEST_ARGS...]
#
# Installs what is missing (scripts/setup.sh), configures build-system/
# (IGNIS_SYSTEM_BUILD overrides) with -DIGNIS_SYSTEM_TESTS=ON, and runs the
# system tests through ctest (label system): Debian's kernel and one of our
# own (built once, cached outside the repository in IGNIS_SYSTEM_CACHE, else
# ~/.cache/ignis/system) boot on ignis inside an outer guest that QEMU TCG
# emulates with an AMD CPU with SVM. Prints one line per case, the four
# figures (boot time, ignis vs QEMU microvm; Linux's dma_map_benchmark
# through ignis's virtio-iommu vs QEMU's virtio-iommu-pci, on a virtio
# device and on a passed-through NIC; a VFIO map and unmap through
# ignis's iommu vs the bare ioctl) and a summary.
# Exit 0 when every case passed or all were skipped (no QEMU, no archive),
# 1 otherwise. With --bench, only the figures (one outer guest, no ctest).
# The outer guest runs every case whatever ctest's -R picks;
# IGNIS_SYSTEM_SUITE=CASE,CASE... runs only those (the others are skipped).
# See tests/system/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

bench=0
if [ "${1:-}" = --bench ]; then
	bench=1
	shift
fi
build=${IGNIS_SYSTEM_BUILD:-build-system}
state="$build/tests/system"
t0=$(date +%s)

scripts/setup.sh
echo "== system tests: configure $build"
cmake -S . -B "$build" -DIGNIS_SYSTEM_TESTS=ON >/dev/null
cmake --build "$build" --target ignis_tsexec ignis_vsockcat ignis_guests -j "$(nproc)" >/dev/null

status=0
if [ $bench = 1 ]; then
	echo "== system tests: prepare (kernels, static ignis)"
	rc=0
	# The same bounds as the ctest tests (tests/system/CMakeLists.txt).
	timeout 1800 tests/system/prepare.sh . "$state" || rc=$?
	[ $rc -ne 77 ] || { echo "== skipped: $(cat "$state/skip")"; exit 0; }
	[ $rc -eq 0 ] || exit $rc
	echo "== system tests: one outer guest, the figures only (boot time, dma_map_benchmark)"
	timeout 720 tests/system/boot.sh . "$state" "$state/ignis_tsexec" bench || status=$?
else
	echo "== system tests: ctest -L system (the first run builds a kernel: ~5 min)"
	ctest --test-dir "$build" -L system --output-on-failure "$@" || status=$?
fi

log="$state/system.log"
echo
echo "== system tests: results"
if [ -f "$state/skip" ]; then
	echo "skipped: $(cat "$state/skip")"
	exit 0
fi
if [ -f "$state/kernels.env" ]; then
	# shellcheck source=/dev/null
	. "$state/kernels.env"
	if [ "$kernel_cached" = 1 ]; then
		echo "our kernel: cached ($kernel_dir; its build took ${kernel_build_seconds} s)"
	else
		echo "our kernel: built in ${kernel_build_seconds} s ($kernel_dir)"
	fi
fi
echo "system tests: $(($(date +%s) - t0)) s in all"
if [ ! -f "$log" ]; then
	echo "no log: the outer guest did not run"
	exit 1
fi
tr -d '\r' <"$log" | grep -E '^SYSTEM-(TEST|BENCH) ' || true
pass=$(tr -d '\r' <"$log" | grep -c '^SYSTEM-TEST [^ ]* PASS' || true)
fail=$(tr -d '\r' <"$log" | grep -c '^SYSTEM-TEST [^ ]* FAIL' || true)
[ "$fail" -eq 0 ] || status=1
echo "log: $log"
# Last, alone on its line: the summary CI reads.
echo "system: $pass passed, $fail failed"
exit $status
