#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# scripts/demo.sh: set up, build, and boot the bundled demo guest on ignis.
# Extra arguments go to ignis (e.g. --cpus 2).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
cmake -S . -B build >/dev/null
cmake --build build -j "$(nproc)" --target ignis ignis_guests >/dev/null
set -x
exec build/ignis --kernel build/tests/guest/hello --memory 64M \
	--cmdline console=ttyS0 "$@"
