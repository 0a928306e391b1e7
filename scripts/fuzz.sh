#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# scripts/fuzz.sh: build the libFuzzer targets (tests/fuzz) with clang and
# fuzz them, starting from the committed corpus.
#
#   scripts/fuzz.sh [TARGET|all] [SECONDS] [libFuzzer flags...]
#       TARGET   one of targets_all below, or all (the default)
#       SECONDS  per target (default 60); 0: no time limit, e.g. with -runs=
#   scripts/fuzz.sh fuzz_http 0 -runs=10000000     the longer run (minutes)
#   scripts/fuzz.sh --merge [TARGET|all]            keep what the runs found
#
# What a run finds goes to build-fuzz/corpus/TARGET, never to the repo;
# --merge adds the inputs among them that reach new code to
# tests/fuzz/corpus/TARGET. A broken invariant, a sanitizer report or a
# leak is saved as build-fuzz/findings/TARGET-crash-<sha1> and fails the
# run (exit 1); reproduce it with build-fuzz/tests/fuzz/TARGET FILE.
# Exit 77 (skipped) without clang. IGNIS_FUZZ_BUILD overrides build-fuzz.
set -euo pipefail
cd "$(dirname "$0")/.."

# The API's (what a client or a config file sends), then the guest's
# (rings, registers, requests) and the user's kernel image: README.md.
targets_all=(fuzz_http fuzz_fc_json fuzz_virtq fuzz_mmio fuzz_blk_req
	fuzz_net_hdr fuzz_viommu fuzz_boot fuzz_vsock fuzz_vfio_pci)
build=${IGNIS_FUZZ_BUILD:-build-fuzz}

merge=false
if [ "${1:-}" = --merge ]; then
	merge=true
	shift
fi
target=${1:-all}
seconds=${2:-60}
shift $(($# < 2 ? $# : 2))

if [ "$target" = all ]; then
	targets=("${targets_all[@]}")
elif [[ " ${targets_all[*]} " == *" $target "* ]]; then
	targets=("$target")
else
	echo "fuzz: unknown target '$target' (${targets_all[*]}, all)" >&2
	exit 2
fi

# libFuzzer comes with clang only; Debian 12's is clang-14 (setup.sh).
cc=$(command -v clang-14 || command -v clang || true)
if [ -z "$cc" ]; then
	echo "fuzz: skipped: no clang (scripts/setup.sh installs clang-14)" >&2
	exit 77
fi

if [ ! -f "$build/CMakeCache.txt" ]; then
	CC=$cc cmake -S . -B "$build" -DIGNIS_FUZZ=ON >/dev/null
fi
cmake --build "$build" -j "$(nproc)" --target "${targets[@]}" >/dev/null

# Per target: its dictionary, and inputs long enough to matter. HTTP
# streams longer than the connection's 4 KiB buffer, so that reads refill
# it; config-file and request sequences of a few KiB; a few hundred ring,
# register or request operations; kernel images with setup sectors and
# some protected-mode code after them.
flags_for() {
	case "$1" in
	fuzz_http) echo "-dict=tests/fuzz/http.dict -max_len=16384" ;;
	fuzz_fc_json) echo "-dict=tests/fuzz/fc_json.dict -max_len=8192" ;;
	fuzz_boot) echo "-dict=tests/fuzz/boot.dict -max_len=8192" ;;
	*) echo "-max_len=4096" ;;
	esac
}

status=0
for t in "${targets[@]}"; do
	bin=$build/tests/fuzz/$t
	found=$build/corpus/$t
	read -r -a tflags <<<"$(flags_for "$t")"
	mkdir -p "$found" "$build/findings"
	if $merge; then
		echo "== $t: merging $found into tests/fuzz/corpus/$t"
		# Edges only (no hit counts): a small corpus to commit.
		"$bin" -merge=1 -use_counters=0 "${tflags[@]}" \
			"tests/fuzz/corpus/$t" "$found" \
			2>"$build/$t-merge.log" || status=1
		grep -E '^MERGE-OUTER: [0-9]+ new files' "$build/$t-merge.log" || true
		continue
	fi
	echo "== $t: ${seconds}s${*:+ $*}"
	# The first directory takes the new inputs; the committed corpus is
	# only read. 77 is libFuzzer's default for a finding, and "skipped"
	# to ctest: say 1.
	"$bin" "${tflags[@]}" -max_total_time="$seconds" -timeout=10 \
		-error_exitcode=1 -timeout_exitcode=1 -print_final_stats=1 \
		-artifact_prefix="$build/findings/$t-" "$@" \
		"$found" "tests/fuzz/corpus/$t" 2>"$build/$t.log" || {
		status=1
		grep -E 'invariant broken|ERROR|runtime error|SUMMARY|Test unit' \
			"$build/$t.log" >&2 || tail -n 20 "$build/$t.log" >&2
		echo "fuzz: $t: a finding; see $build/$t.log and $build/findings/" >&2
		continue
	}
	grep -E '^#[0-9]+[[:space:]]+DONE|stat::average_exec_per_sec' "$build/$t.log" || true
done
exit $status
