#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/system/boot.sh: build the outer guest's initramfs and boot it once under QEMU TCG.
#
# Usage: boot.sh SOURCE_DIR STATE_DIR TSEXEC [SUITE]
#
# Reads STATE_DIR/kernels.env (from prepare.sh), packs an initramfs for the
# outer guest (busybox, kvm-amd, static ignis, tsexec and vsockcat (both
# built in TSEXEC's folder), the inner kernels and initramfs, curl for the
# API case, QEMU for the two figures) in a temporary folder, boots
# Debian's kernel on it under qemu-system-x86_64 -accel tcg with an emulated
# AMD CPU with SVM, and writes the console to STATE_DIR/system.log. The
# cases' verdicts are the "SYSTEM-TEST" lines in that log (verdict.sh reads
# them). SUITE: all (default), tests, bench, or a comma-separated list of
# case names (see cases.sh; IGNIS_SYSTEM_SUITE when not given). Exit 0 when the
# outer guest ran to its end, 77 when prepare.sh skipped, 1 otherwise.
set -euo pipefail

src=$(cd "$1" && pwd)
state=$(cd "$2" && pwd)
tsexec=$3
# vsockcat (vsockcat.c) is built beside tsexec.
vsockcat=$(dirname "$tsexec")/ignis_vsockcat
suite=${4:-${IGNIS_SYSTEM_SUITE:-all}}
here="$src/tests/system"
# The whole outer run: ~1.5 min expected; every inner boot has its own bound
# (cases.sh), and all of them together fit in this.
l1_secs=${IGNIS_SYSTEM_L1_TIMEOUT:-600}

rm -f "$state/system.log"
if [ -f "$state/skip" ]; then
	echo "boot: skipped: $(cat "$state/skip")"
	exit 77
fi
[ -f "$state/kernels.env" ] || { echo "boot: no $state/kernels.env: run prepare.sh first" >&2; exit 1; }
[ -x "$vsockcat" ] || { echo "boot: no $vsockcat: build the ignis_vsockcat target" >&2; exit 1; }
# shellcheck source=/dev/null
. "$state/kernels.env"

work=$(mktemp -d "${TMPDIR:-/tmp}/ignis-system.XXXXXX")
trap 'rm -rf "$work"' EXIT
# QEMU killed by timeout or ^C must not leave the image behind either.
trap 'exit 1' INT TERM

# ---- The inner guest's initramfs: busybox and /init, uncompressed (every
# kernel reads that, and it is the fastest to unpack).
r3="$work/l3"
mkdir -p "$r3/bin"
cp /bin/busybox "$r3/bin/busybox"
install -m 755 "$here/l3init.sh" "$r3/init"
(cd "$r3" && find . | cpio -o -H newc --quiet) >"$work/l3.cpio"
# The same tree as an ext4 root file system for the virtio-blk case.
mkfs.ext4 -q -F -L ignisroot -d "$r3" "$work/root.ext4" 16M
# The same plus Linux's dma_map_benchmark tool, for that figure only (the
# other boots keep the smaller initramfs).
cp "$dmab_tool" "$r3/bin/dma_map_benchmark"
(cd "$r3" && find . | cpio -o -H newc --quiet) >"$work/l3-dmab.cpio"
rm "$r3/bin/dma_map_benchmark"
# The same plus Debian's virtio-mmio modules, for Debian's stock kernel.
mkdir -p "$r3/lib/modules"
cp "$debian_dir"/modules/inner/* "$r3/lib/modules/"
(cd "$r3" && find . | cpio -o -H newc --quiet) >"$work/l3-debian.cpio"
# The same plus Linux's virtio-vsock modules (lib/modules/vsock, loaded
# with systest=vsock) and vsockcat, for vsock_linux; none if the cached
# kernel predates them (prepare.sh fetches it again when it can).
if [ -s "$debian_dir/modules/vsock/order" ]; then
	mkdir -p "$r3/lib/modules/vsock"
	cp "$debian_dir"/modules/vsock/* "$r3/lib/modules/vsock/"
	cp "$vsockcat" "$r3/bin/vsockcat"
	(cd "$r3" && find . | cpio -o -H newc --quiet) >"$work/l3-vsock.cpio"
fi

# ---- The outer guest's initramfs.
r2="$work/l2"

# pack_dynamic PROGRAM: a dynamically linked host program in the outer
# initramfs: its binary in /usr/bin and every library it links, at the
# paths ld.so looks in.
pack_dynamic() {
	local bin lib
	bin=$(command -v "$1")
	mkdir -p "$r2/usr/bin"
	cp "$bin" "$r2/usr/bin/$1"
	ldd "$bin" | awk '/=> \// { print $3 } /^\t\/lib/ { print $1 }' | while read -r lib; do
		mkdir -p "$r2$(dirname "$lib")"
		cp -L "$lib" "$r2$lib"
	done
}

mkdir -p "$r2/bin" "$r2/img" "$r2/systest" "$r2/lib/modules"
cp /bin/busybox "$r2/bin/busybox"
install -m 755 "$here/l2init.sh" "$r2/init"
cp "$here/cases.sh" "$r2/systest/"
cp "$ignis_static" "$r2/bin/ignis"
# bench_vfio (static, from prepare.sh's ignis build) for vfio_map_bench.
[ -x "${bench_vfio:-}" ] || { echo "boot: no bench_vfio in $state/kernels.env: run prepare.sh" >&2; exit 1; }
cp "$bench_vfio" "$r2/bin/bench_vfio"
# ignis-jailer (static, the same build) for vfio_jailed.
[ -x "${jailer_static:-}" ] || { echo "boot: no ignis-jailer in $state/kernels.env: run prepare.sh" >&2; exit 1; }
cp "$jailer_static" "$r2/bin/ignis-jailer"
cp "$tsexec" "$r2/bin/tsexec"
cp "$vsockcat" "$r2/bin/vsockcat"
cp "$debian_dir"/modules/*.ko "$debian_dir/modules/order" "$r2/lib/modules/"
cp "$work/l3-debian.cpio" "$r2/img/"
[ ! -f "$work/l3-vsock.cpio" ] || cp "$work/l3-vsock.cpio" "$r2/img/"
cp "$work/l3.cpio" "$work/l3-dmab.cpio" "$work/root.ext4" "$r2/img/"
cp "$kernel_dir/vmlinux" "$r2/img/tiny-vmlinux"
cp "$kernel_dir/bzImage" "$r2/img/tiny-bzImage"
# The freestanding test guest vfio_map_limit boots (tests/guest/vfio_flood),
# from this build tree's tests/guest (STATE_DIR is its tests/system;
# scripts/system-test.sh builds ignis_guests). Without it the one case
# fails and says why; the others run.
if [ "$suite" != bench ]; then
	if [ -f "$state/../guest/vfio_flood" ]; then
		cp "$state/../guest/vfio_flood" "$r2/img/vfio_flood"
	else
		echo "boot: no $state/../guest/vfio_flood: vfio_map_limit will fail" >&2
	fi
fi
if [ "$suite" != bench ]; then
	cp "$debian_dir/vmlinuz" "$r2/img/debian-vmlinuz"
	cp "$debian_dir/vmlinux" "$r2/img/debian-vmlinux"
	# curl, the API case's client (Firecracker's documented one); it
	# talks over the Unix socket only: no DNS, no network.
	pack_dynamic curl
fi
if [ "$suite" != tests ]; then
	# QEMU as the reference VMM: its binary, its libraries, and the
	# firmware microvm and q35 load (qboot, SeaBIOS, and the option ROMs
	# that start a PVH or bzImage kernel).
	pack_dynamic qemu-system-x86_64
	mkdir -p "$r2/usr/share/qemu"
	# Debian's QEMU finds SeaBIOS in /usr/share/seabios (its firmware
	# path); in the initramfs everything lies in /usr/share/qemu.
	for f in bios-microvm.bin qboot.rom bios-256k.bin pvh.bin linuxboot_dma.bin linuxboot.bin kvmvapic.bin; do
		for d in /usr/share/qemu /usr/share/seabios; do
			if [ -e "$d/$f" ]; then
				cp -L "$d/$f" "$r2/usr/share/qemu/"
				break
			fi
		done
	done
fi
(cd "$r2" && find . | cpio -o -H newc --quiet) >"$work/l2.cpio"
echo "boot: outer initramfs $(($(stat -c %s "$work/l2.cpio") / 1048576)) MiB; booting (bound ${l1_secs}s)"

# ---- The outer guest. TCG with EPYC + svm + npt gives kvm-amd nested
# paging; 3G holds the initramfs (unpacked) and the inner guests; one vCPU
# (MTTCG with two was no faster); -no-reboot and panic=-1 make any end of
# the outer kernel end QEMU; no display, no monitor. For the VFIO cases an
# emulated VT-d (intel_iommu=on: the outer kernel's VFIO needs a real
# IOMMU; split irqchip for its interrupt remapping) and two e1000e NICs
# joined by a QEMU hub, a wire with nothing else on it: 00:03.0 is passed
# through to an inner guest, 00:04.0 stays in the outer guest as its peer.
set +e
timeout -k 10 "$l1_secs" qemu-system-x86_64 \
	-accel tcg -machine q35,kernel-irqchip=split -cpu EPYC,+svm,+npt -smp 1 -m 3G \
	-device intel-iommu,intremap=on,caching-mode=on \
	-netdev hubport,id=wire0,hubid=0 -device e1000e,netdev=wire0,addr=03.0 \
	-netdev hubport,id=wire1,hubid=0 -device e1000e,netdev=wire1,addr=04.0 \
	-kernel "$debian_dir/vmlinuz" -initrd "$work/l2.cpio" \
	-append "console=ttyS0 panic=-1 mitigations=off intel_iommu=on systest_suite=$suite" \
	-nographic -no-reboot -monitor none -serial stdio -display none -nic none \
	</dev/null >"$state/system.log" 2>"$work/qemu.err"
rc=$?
set -e
# QEMU's TCG warns about CPUID bits it cannot emulate: noise, not news.
grep -v "TCG doesn't support requested feature" "$work/qemu.err" >&2 || true
if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
	echo "boot: the outer guest did not finish within ${l1_secs}s; log tail:" >&2
	tail -n 20 "$state/system.log" >&2
	exit 1
fi
if ! grep -q '^=== L2 DONE' "$state/system.log"; then
	echo "boot: the outer guest did not run to its end (QEMU rc $rc); log tail:" >&2
	tail -n 20 "$state/system.log" >&2
	exit 1
fi
echo "boot: done; $(grep -c '^SYSTEM-TEST ' "$state/system.log") verdicts in $state/system.log"
