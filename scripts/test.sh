#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# scripts/test.sh: set up, then build ignis twice (warnings as errors; and
# with ASan+UBSan) and run every test in both builds, then run each
# libFuzzer target briefly (scripts/fuzz.sh). Extra arguments go to ctest, e.g.
# scripts/test.sh -L unit.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
# The real-kernel tests skip (and say so) if the archive cannot be reached.
IGNIS_TEST_BZIMAGE=$(scripts/fetch-test-kernel.sh 2>/dev/null) || IGNIS_TEST_BZIMAGE=
export IGNIS_TEST_BZIMAGE
# So does the VIOT's iasl check without an iasl that knows the table.
IGNIS_IASL=$(scripts/fetch-iasl.sh 2>/dev/null) || IGNIS_IASL=
export IGNIS_IASL

jobs=$(nproc)
status=0
for variant in build build-asan; do
	flags=(-DIGNIS_WERROR=ON)
	[ "$variant" = build-asan ] && flags+=(-DIGNIS_SANITIZE=ON)
	echo "== $variant: configure and build"
	cmake -S . -B "$variant" "${flags[@]}" >/dev/null
	cmake --build "$variant" -j "$jobs" >/dev/null
	echo "== $variant: ctest"
	ctest --test-dir "$variant" --output-on-failure "$@" || status=1
done

# The libFuzzer targets (tests/fuzz), 10 s each from the committed
# corpus: every input in it is run again (the regression test), then a
# short search. scripts/fuzz.sh says how to run them for longer.
echo "== build-fuzz: libFuzzer"
fuzz=0
scripts/fuzz.sh all 10 || fuzz=$?
case $fuzz in
0) ;;
77) echo "== build-fuzz: skipped: no clang-14" ;;
*) status=1 ;;
esac
exit $status
