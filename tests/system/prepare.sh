#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/system/prepare.sh: build or fetch everything the system tests boot.
#
# Usage: prepare.sh SOURCE_DIR STATE_DIR
#
# Leaves in the cache (IGNIS_SYSTEM_CACHE, else $XDG_CACHE_HOME/ignis/system,
# else ~/.cache/ignis/system; never the repository):
#   debian/<package>_<version>/  Debian's generic kernel: vmlinuz (bzImage),
#                                vmlinux (the ELF inside it, with the PVH
#                                note), config, modules/ (kvm-amd and what it
#                                needs, in insmod order: modules/order; the
#                                stock inner kernel's virtio-mmio modules in
#                                modules/inner/, its virtio-vsock ones on top
#                                of those in modules/vsock/, each with an order)
#   kernel/<hash>/               our kernel: bzImage, vmlinux, config,
#                                build-seconds; <hash> = fragment + source
#                                package version, so a second run builds nothing
#   tools/linux-source-<version>/dma_map_benchmark
#                                Linux's DMA map benchmark tool, static
# builds a static ignis and bench_vfio from SOURCE_DIR in STATE_DIR/ignis-static, and
# writes STATE_DIR/kernels.env naming them all for boot.sh. Exit 0 when all is
# there, 77 (and STATE_DIR/skip with the reason) when QEMU, the archive or the
# kernel source cannot be had, 1 on a real error.
set -euo pipefail

src=$(cd "$1" && pwd)
state=$2
mkdir -p "$state"
state=$(cd "$state" && pwd)
here="$src/tests/system"
fragment="$here/guest-kernel.fragment"
cache=${IGNIS_SYSTEM_CACHE:-${XDG_CACHE_HOME:-${HOME:?set HOME, XDG_CACHE_HOME or IGNIS_SYSTEM_CACHE}/.cache}/ignis/system}
jobs=$(nproc)

# A stale verdict from an earlier run must never be read as this run's.
rm -f "$state/skip" "$state/kernels.env" "$state/system.log"

log() { printf 'prepare: %s\n' "$*" >&2; }
skip() {
	log "SKIP: $*"
	printf '%s\n' "$*" >"$state/skip"
	exit 77
}

for tool in qemu-system-x86_64 cpio readelf mkfs.ext4 flock apt-get dpkg dpkg-deb depmod modprobe make cc curl; do
	command -v "$tool" >/dev/null 2>&1 || skip "needs $tool (run scripts/setup.sh)"
done
# The outer guest boots with TCG, so no /dev/kvm is needed here; but the
# initramfs has no libraries, so its busybox must be the static one.
if [ ! -x /bin/busybox ] || readelf -l /bin/busybox | grep -q 'program interpreter'; then
	skip "needs a static /bin/busybox (apt-get install busybox-static)"
fi
mkdir -p "$cache"
# One run at a time per cache: a second one waits (bounded). Holding the
# lock, the leftovers of a run that was killed (SIGKILL skips traps) can go.
exec 9>"$cache/lock"
flock -w 1800 9 || { log "$cache is busy (another run holds $cache/lock)"; exit 1; }
rm -rf "$cache"/debian.* "$cache"/kernel/build.* "$cache"/linux-source-*.tmp "$cache"/tools.*
# SIGINT/SIGTERM end the script through exit, so the EXIT traps below clean up.
trap 'exit 1' INT TERM

# apt-get download runs as _apt, which cannot write under /root: as root,
# fetch as root (as scripts/fetch-test-kernel.sh does).
apt_download() {
	local as_root=()
	[ "$(id -u)" != 0 ] || as_root=(-o APT::Sandbox::User=root)
	timeout 600 apt-get "${as_root[@]}" download "$1"
}

# ---- 1. ignis, statically linked, so it runs in a busybox initramfs.
# In this checkout's build tree, not the shared cache: the binary must be
# the code under test, and CMake ties a build dir to one source dir.
# The same build gives bench_vfio (benches/bench_vfio.c, case
# vfio_map_bench): CMake rebuilds whatever changed since the last run.
static_build="$state/ignis-static"
log "building a static ignis and bench_vfio in $static_build"
cmake -S "$src" -B "$static_build" -DBUILD_TESTING=OFF -DBUILD_BENCHES=ON \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_EXE_LINKER_FLAGS=-static >/dev/null
cmake --build "$static_build" --target ignis bench_vfio ignis-jailer -j "$jobs" >/dev/null
ignis_static="$static_build/ignis"
bench_vfio="$static_build/benches/bench_vfio"
jailer_static="$static_build/ignis-jailer"

# ---- 2. Debian's generic kernel: the outer guest's kernel and the stock inner one.

# Name and version of the package linux-image-amd64 depends on today, from
# the local package lists (no network); empty if the lists do not know it.
debian_package() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n 1
}

pkg=$(debian_package)
if [ -z "$pkg" ] && [ "$(id -u)" = 0 ]; then
	log "apt lists do not know linux-image-amd64; apt-get update"
	timeout 300 apt-get update -qq >&2 || true
	pkg=$(debian_package)
fi
debian_dir=
if [ -n "$pkg" ]; then
	ver=$(apt-cache show --no-all-versions "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | head -n 1)
	debian_dir="$cache/debian/${pkg}_$ver"
fi
# Fetched before this recipe knew the vfio, virtio and vsock modules: again.
if [ -n "$debian_dir" ] && { ! grep -qs '^tun' "$debian_dir/modules/order" ||
	! grep -qs '^e1000e' "$debian_dir/modules/order" ||
	! grep -qs '^virtio_blk' "$debian_dir/modules/inner/order" ||
	! grep -qs '^vmw_vsock_virtio_transport\.ko$' "$debian_dir/modules/vsock/order"; }; then
	rm -f "$debian_dir/modules/order"
fi
if [ -n "$debian_dir" ] && [ ! -s "$debian_dir/modules/order" ]; then
	log "fetching $pkg $ver"
	work=$(mktemp -d "$cache/debian.XXXXXX")
	trap 'rm -rf "$work"' EXIT
	(cd "$work" && apt_download "$pkg" >&2) ||
		skip "cannot download $pkg from Debian's archive"
	dpkg -x "$work"/"${pkg}"_*.deb "$work/root"
	kv=${pkg#linux-image-}
	depmod -b "$work/root" "$kv"
	mkdir -p "$work/out/modules"
	cp "$work/root/boot/vmlinuz-$kv" "$work/out/vmlinuz"
	cp "$work/root/boot/config-$kv" "$work/out/config"
	# Modules and their dependencies in load order, straight from
	# modules.dep: "modules_for DIR MODULE..." copies them into DIR and
	# lists them in DIR/order, each once.
	modules_for() {
		local dir=$1 m
		shift
		mkdir -p "$dir"
		for m in "$@"; do
			modprobe -d "$work/root" -S "$kv" --show-depends "$m" |
				sed -n 's/^insmod \([^ ]*\).*/\1/p' >"$work/modules.list"
			[ -s "$work/modules.list" ] || { log "no $m in $pkg"; exit 1; }
			while read -r ko; do
				grep -qx "$(basename "$ko")" "$dir/order" 2>/dev/null && continue
				cp "$ko" "$dir/"
				basename "$ko" >>"$dir/order"
			done <"$work/modules.list"
		done
	}
	# The outer guest: KVM, tun for the inner guests' taps, VFIO for
	# the passthrough cases and e1000e for their peer NIC.
	modules_for "$work/out/modules" kvm-amd vfio-pci vfio_iommu_type1 tun e1000e
	# The stock inner kernel's initrd: virtio-mmio is a module in Debian.
	modules_for "$work/out/modules/inner" virtio_mmio virtio_blk virtio-rng virtio_net
	# Linux's virtio-vsock driver, for the vsock case's initrd only (on
	# top of inner/: what that has already is left out).
	modules_for "$work/out/modules/vsock" vmw_vsock_virtio_transport
	while read -r ko; do
		if grep -qx "$ko" "$work/out/modules/inner/order"; then
			rm "$work/out/modules/vsock/$ko"
		else
			echo "$ko"
		fi
	done <"$work/out/modules/vsock/order" >"$work/vsock.order"
	mv "$work/vsock.order" "$work/out/modules/vsock/order"
	"$here/extract-vmlinux.sh" "$work/out/vmlinuz" "$work/out/vmlinux"
	mkdir -p "$cache/debian"
	rm -rf "$debian_dir"
	# Into place last: an interrupted run leaves no half directory.
	mv "$work/out" "$debian_dir"
	rm -rf "$work"
	trap - EXIT
fi
if [ -z "$debian_dir" ] || [ ! -s "$debian_dir/modules/order" ]; then
	# Offline and apt knows nothing: the newest kernel fetched before will do.
	debian_dir=$(find "$cache/debian" -mindepth 1 -maxdepth 1 -name 'linux-image-*' \
		2>/dev/null | sort -V | tail -n 1)
	if [ -z "$debian_dir" ] || [ ! -s "$debian_dir/modules/order" ]; then
		skip "Debian's generic kernel is neither in the apt lists nor cached"
	fi
fi
log "Debian kernel: $debian_dir"
grep -q '^CONFIG_X86_MPPARSE=y' "$debian_dir/config" ||
	log "warning: $debian_dir has no CONFIG_X86_MPPARSE; it cannot see ignis's CPUs"

# ---- 3. Our kernel: tinyconfig + the fragment, cached by what defines it.
tarball=/usr/src/linux-source-6.1.tar.xz
[ -s "$tarball" ] || skip "no $tarball (apt-get install linux-source-6.1)"
src_ver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
# The recipe's own version is in the key too: bump it when the steps change.
recipe=1
hash=$({ cat "$fragment"; echo "linux-source-6.1 $src_ver"; echo "recipe $recipe"; } |
	sha256sum | cut -c1-16)
kernel_dir="$cache/kernel/$hash"
if [ -s "$kernel_dir/vmlinux" ] && [ -s "$kernel_dir/bzImage" ]; then
	log "our kernel: cached in $kernel_dir (built in $(cat "$kernel_dir/build-seconds") s)"
	kernel_cached=1
else
	kernel_cached=0
	t0=$(date +%s)
	# The extracted tree stays pristine (builds go to O=), so a changed
	# fragment rebuilds without extracting again.
	tree="$cache/linux-source-$src_ver"
	if [ ! -f "$tree/Makefile" ]; then
		log "extracting $tarball"
		rm -rf "$tree" "$tree.tmp"
		mkdir -p "$tree.tmp"
		tar -xJf "$tarball" -C "$tree.tmp" --strip-components=1
		mv "$tree.tmp" "$tree"
	fi
	mkdir -p "$cache/kernel"
	obj=$(mktemp -d "$cache/kernel/build.XXXXXX")
	trap 'rm -rf "$obj"' EXIT
	log "building our kernel (tinyconfig + $(basename "$fragment")) in $obj"
	make -C "$tree" O="$obj" -s tinyconfig >/dev/null
	(cd "$tree" && scripts/kconfig/merge_config.sh -m -O "$obj" \
		"$obj/.config" "$fragment" >/dev/null)
	make -C "$tree" O="$obj" -s olddefconfig >&2
	# Every line of the fragment must have survived: a dependency that
	# Kconfig silently dropped would otherwise show up as a boot failure.
	missing=$(grep -E '^CONFIG_[A-Z0-9_]+=' "$fragment" | while read -r line; do
		grep -qxF "$line" "$obj/.config" || printf '%s ' "$line"
	done)
	if [ -n "$missing" ]; then
		log "the fragment asks for what olddefconfig dropped: $missing"
		exit 1
	fi
	make -C "$tree" O="$obj" -s -j "$jobs" bzImage >&2
	t1=$(date +%s)
	mkdir -p "$obj/out"
	cp "$obj/arch/x86/boot/bzImage" "$obj/vmlinux" "$obj/out/"
	cp "$obj/.config" "$obj/out/config"
	echo $((t1 - t0)) >"$obj/out/build-seconds"
	rm -rf "$kernel_dir"
	mv "$obj/out" "$kernel_dir"
	rm -rf "$obj"
	trap - EXIT
	log "our kernel: built in $((t1 - t0)) s -> $kernel_dir"
fi

# ---- 4. Linux's dma_map_benchmark tool (tools/testing/selftests/dma), static
# for the inner busybox initramfs, cached by the source version. Its ioctl
# structure is in include/linux/map_benchmark.h (not a uapi header in 6.1):
# that one header is copied beside the tool, so the rest of the kernel's
# include/ does not shadow the C library's.
tool_dir="$cache/tools/linux-source-$src_ver"
tool="$tool_dir/dma_map_benchmark"
if [ ! -x "$tool" ]; then
	log "building dma_map_benchmark from linux-source-$src_ver"
	work=$(mktemp -d "$cache/tools.XXXXXX")
	trap 'rm -rf "$work"' EXIT
	tree="$cache/linux-source-$src_ver"
	members=(tools/testing/selftests/dma/dma_map_benchmark.c include/linux/map_benchmark.h)
	mkdir -p "$work/src" "$work/inc/linux"
	if [ -f "$tree/Makefile" ]; then
		for m in "${members[@]}"; do
			mkdir -p "$work/src/$(dirname "$m")"
			cp "$tree/$m" "$work/src/$m"
		done
	else
		# Two files: no need to extract the whole tree for them.
		tar -xJf "$tarball" -C "$work/src" --strip-components=1 \
			"${members[@]/#/linux-source-6.1/}"
	fi
	cp "$work/src/include/linux/map_benchmark.h" "$work/inc/linux/"
	cc -O2 -static -I "$work/inc" -o "$work/dma_map_benchmark" \
		"$work/src/tools/testing/selftests/dma/dma_map_benchmark.c"
	mkdir -p "$tool_dir"
	mv "$work/dma_map_benchmark" "$tool"
	rm -rf "$work"
	trap - EXIT
fi
log "dma_map_benchmark: $tool"

cat >"$state/kernels.env" <<EOF
ignis_static=$ignis_static
bench_vfio=$bench_vfio
jailer_static=$jailer_static
debian_dir=$debian_dir
kernel_dir=$kernel_dir
kernel_cached=$kernel_cached
kernel_build_seconds=$(cat "$kernel_dir/build-seconds")
dmab_tool=$tool
EOF
log "ready: $state/kernels.env"
