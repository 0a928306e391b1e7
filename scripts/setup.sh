#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# scripts/setup.sh: install every Debian package ignis needs to build, test
# and bench, and fetch the real kernel the boot-protocol tests read.
# Idempotent: a second run installs nothing and downloads nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
	build-essential cmake pkg-config	# the build
	libcriterion-dev			# unit and integration tests
	libhttp-parser-dev curl			# the API server's HTTP parser; its tests' client
	acpica-tools				# iasl and acpiexec check the ACPI tables (test_acpi)
	liburing-dev libseccomp-dev libfdt-dev libjansson-dev	# device threads, jail, aarch64 DT, API
	clang-14 libclang-rt-14-dev		# scripts/fuzz.sh: libFuzzer and the sanitizers' runtimes
	xz-utils zstd gzip lz4			# unpacking Debian's kernel in the tests
	qemu-system-x86 time			# the reference peer of the boot bench
	gnuplot-nox				# benches/iommu_bench.sh draws its plot
	busybox-static cpio kmod		# system tests: initramfs images, Debian's kvm modules
	bc bison flex libelf-dev libssl-dev	# system tests: building the guest kernel of our own
	linux-source-6.1			# system tests: that kernel's source (a tarball in /usr/src)
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}"
	sudo_cmd=()
	[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
	"${sudo_cmd[@]}" apt-get update -qq
	DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Debian's cloud kernel, for the boot-protocol unit tests (never committed).
# Without the archive those tests skip and say so; setup goes on.
scripts/fetch-test-kernel.sh >/dev/null ||
	echo "setup: could not fetch the test kernel; the tests that read it will skip"
