#!/bin/busybox sh
# SPDX-License-Identifier: Apache-2.0
# tests/system/l3init.sh: /init of the inner guest: report what the cases check, reboot.
#
# Runs under ignis (or QEMU, for the boot-time figure) inside the outer
# guest. Every line it prints starts with "L3" so the outer guest's checks
# (cases.sh) find them among the kernel's messages. The kernel hands unknown
# "key=value" command-line words to /init as environment variables: with
# systest=bench it only says it is there and reboots, to time the boot alone;
# with systest=hang it never ends; with systest=lifecycle it reads its disk,
# then prints a heartbeat ("L3 tick N") until Ctrl-Alt-Del reboots it, and
# reads the disk again when its size changes (a new image under it); with
# systest=vsock it loads Linux's virtio-vsock modules and runs vsockcat.
/bin/busybox mkdir -p /proc /sys /dev /bin /tmp
/bin/busybox mount -t tmpfs tmp /tmp 2>/dev/null
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null

up() { cut -d' ' -f1 /proc/uptime; }

echo "L3-INIT uptime=$(up)"
if [ "${systest:-}" = hang ]; then
	# The harness's own test: a guest that never ends (PID 1 must not exit,
	# or the kernel panics and reboots).
	echo "L3-HANG until killed"
	while :; do sleep 3600; done
fi
if [ -s /lib/modules/order ]; then
	# A stock distro kernel's initrd: its virtio-mmio modules must load.
	while read -r ko; do
		if insmod "/lib/modules/$ko"; then
			echo "L3 module ${ko%.ko} loaded"
		else
			echo "L3 module ${ko%.ko} FAILED"
		fi
	done </lib/modules/order
fi
if [ "${systest:-}" = vsock ] && [ -s /lib/modules/vsock/order ]; then
	# vsock_linux: Linux's virtio-vsock driver, on top of virtio_mmio.
	while read -r ko; do
		if insmod "/lib/modules/vsock/$ko"; then
			echo "L3 module ${ko%.ko} loaded"
		else
			echo "L3 module ${ko%.ko} FAILED"
		fi
	done </lib/modules/vsock/order
fi
if [ "${systest:-}" != bench ]; then
	echo "L3 nproc=$(nproc)"
	echo "L3 online=$(cat /sys/devices/system/cpu/online)"
	echo "L3 cmdline=$(cat /proc/cmdline)"
	echo "L3 memtotal_kb=$(sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo)"
	echo "L3 clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
	# The memory map as the kernel read it from ignis (PVH memmap or the
	# zero page's e820): "L3 e820 [mem 0x...-0x...] usable".
	dmesg | sed -n 's/.*BIOS-e820: \(.*\)/L3 e820 \1/p'
	# Every virtio device the kernel registered, once each (a device that
	# was announced twice, on the command line and in ACPI, would show up
	# twice or fail to probe), and the Firecracker-style announcements.
	echo "L3 virtio_devices=$(ls /sys/bus/virtio/devices 2>/dev/null | wc -l)"
	echo "L3 virtio_ids=$(cat /sys/bus/virtio/devices/*/device 2>/dev/null | tr '\n' ' ')"
	echo "L3 mmio_words=$(tr ' ' '\n' </proc/cmdline | grep -c '^virtio_mmio.device=')"
	echo "L3 vda_sectors=$(cat /sys/block/vda/size 2>/dev/null)"
	if [ "${systest:-}" = iommu ]; then
		# The virtio-iommu: Linux's driver bound, the endpoints it found
		# through the VIOT put in iommu groups, the disk still read whole.
		echo "L3 viommu_bound=$(ls /sys/bus/virtio/drivers/virtio_iommu 2>/dev/null | grep -c '^virtio')"
		echo "L3 iommu_groups=$(ls /sys/kernel/iommu_groups 2>/dev/null | wc -l)"
		echo "L3 vda_md5=$(md5sum </dev/vda | cut -d' ' -f1)"
	fi
	if [ "${systest:-}" = strict ]; then
		# Every endpoint behind the iommu, its DMA through it: one line
		# per virtio device with its id, its driver, bit 33 of what it
		# negotiated (VIRTIO_F_ACCESS_PLATFORM: without it Linux's
		# virtio core bypasses the DMA API) and the iommu group of its
		# transport device; then blk, net and rng I/O through them.
		echo "L3 viommu_bound=$(ls /sys/bus/virtio/drivers/virtio_iommu 2>/dev/null | grep -c '^virtio')"
		echo "L3 iommu_groups=$(ls /sys/kernel/iommu_groups 2>/dev/null | wc -l)"
		echo "L3 iommu_policy=$(dmesg | sed -n 's/.*TLB invalidation policy: \([a-z]*\) mode.*/\1/p' | head -n 1)"
		for v in /sys/bus/virtio/devices/virtio*; do
			g=$(readlink "$v/../iommu_group" 2>/dev/null)
			d=$(readlink "$v/driver" 2>/dev/null)
			echo "L3 vdev ${v##*/} id=$(cat "$v/device") ap=$(cut -c34 "$v/features") group=${g##*/} type=$(cat "$v/../iommu_group/type" 2>/dev/null) driver=${d##*/}"
		done
		echo "L3 vda_md5=$(md5sum </dev/vda | cut -d' ' -f1)"
		# 64 KiB at 256 KiB into the disk, synced, read back after
		# dropping the page cache (the host compares its image too).
		yes ignis-strict-data | head -c 65536 >/tmp/pattern
		dd if=/tmp/pattern of=/dev/vda bs=4096 seek=64 conv=fsync 2>/dev/null
		echo "L3 data_md5=$(md5sum </tmp/pattern | cut -d' ' -f1)"
		echo 3 >/proc/sys/vm/drop_caches
		echo "L3 readback_md5=$(dd if=/dev/vda bs=4096 skip=64 count=16 2>/dev/null | md5sum | cut -d' ' -f1)"
		echo "L3 hwrng=$(cat /sys/class/misc/hw_random/rng_current 2>/dev/null)"
		dd if=/dev/hwrng of=/tmp/rng bs=64 count=1 2>/dev/null
		echo "L3 hwrng_bytes=$(wc -c </tmp/rng)"
		echo "L3 hwrng_nonzero=$(od -An -tx1 -v /tmp/rng | tr -d ' \n0' | wc -c)"
	fi
	if [ "${systest:-}" = vfio ]; then
		# A passed-through e1000e (cases.sh, case_vfio_e1000e): its
		# driver, its link, a ping to the outer guest's NIC.
		n=/sys/class/net/none
		for c in /sys/class/net/*; do
			d=$(readlink "$c/device/driver" 2>/dev/null)
			[ "${d##*/}" = e1000e ] && n=$c && break
		done
		d=$(readlink "$n/device/driver" 2>/dev/null)
		g=$(readlink "$n/device/iommu_group" 2>/dev/null)
		echo "L3 vfio_driver=${d##*/}"
		echo "L3 vfio_group=${g##*/}"
		echo "L3 vfio_lspci=$(cat /sys/bus/pci/devices/*/vendor /sys/bus/pci/devices/*/device 2>/dev/null | tr '\n' ' ')"
		ip addr add 10.0.2.2/24 dev "${n##*/}"
		ip link set "${n##*/}" up
		i=0
		while [ "$(cat "$n/carrier" 2>/dev/null)" != 1 ] && [ $i -lt 100 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		echo "L3 vfio_link=$(cat "$n/carrier" 2>/dev/null)"
		if ping -c 2 -W 3 10.0.2.1 >/dev/null 2>&1; then
			echo "L3 vfio_ping=1"
		else
			echo "L3 vfio_ping=0"
		fi
		# How its interrupts came: "IO-APIC ... fasteoi" for INTx
		# (pci=nomsi), "PCI-MSI" for MSI-X; and how many.
		echo "L3 vfio_irq=$(grep " ${n##*/}" /proc/interrupts | head -n 1 | tr -s ' ')"
	fi
	if [ "${systest:-}" = dmab ]; then
		# Linux's dma_map_benchmark on the rng's transport device (a
		# virtio-mmio platform device on ignis, a virtio PCI function
		# on QEMU), taken from its virtio driver, so that every
		# dma_map_single/dma_unmap_single goes through the iommu.
		# With dmab_nic=1, on the passed-through e1000e (8086:10d3)
		# instead, taken from e1000e: every map a VFIO map call.
		mount -t debugfs debugfs /sys/kernel/debug
		if [ "${dmab_nic:-}" = 1 ]; then
			for n in /sys/bus/pci/devices/*; do
				[ "$(cat "$n/vendor"):$(cat "$n/device")" = 0x8086:0x10d3 ] && break
			done
			t=${n##*/} bus=pci drv=e1000e
		else
			for v in /sys/bus/virtio/devices/virtio*; do
				[ "$(cat "$v/device")" = 0x0004 ] && break
			done
			t=$(readlink -f "$v/..")
			t=${t##*/}
			if [ -e "/sys/bus/platform/devices/$t" ]; then
				bus=platform drv=virtio-mmio
			else
				bus=pci drv=virtio-pci
			fi
		fi
		echo "L3 dmab_dev=$bus/$t"
		echo "$t" >"/sys/bus/$bus/drivers/$drv/unbind"
		echo dma_map_benchmark >"/sys/bus/$bus/devices/$t/driver_override"
		echo "$t" >"/sys/bus/$bus/drivers/dma_map_benchmark/bind"
		g=$(readlink "/sys/bus/$bus/devices/$t/iommu_group")
		echo "L3 dmab_group=${g##*/} type=$(cat "/sys/bus/$bus/devices/$t/iommu_group/type" 2>/dev/null)"
		d=$(readlink "/sys/bus/$bus/devices/$t/driver")
		echo "L3 dmab_driver=${d##*/}"
		dma_map_benchmark -t 1 -s "${dmab_secs:-10}" -g 1 >/tmp/dmab 2>&1
		echo "L3 dmab_rc=$?"
		sed 's/^/L3 dmab_out=/' /tmp/dmab
		sed -n 's/^average map latency(us):\([0-9.]*\) standard deviation:\([0-9.]*\)$/L3 dmab_map=\1 sd=\2/p' /tmp/dmab
		sed -n 's/^average unmap latency(us):\([0-9.]*\) standard deviation:\([0-9.]*\)$/L3 dmab_unmap=\1 sd=\2/p' /tmp/dmab
	fi
	if [ "${systest:-}" = blk ]; then
		# Root on virtio-blk (no initramfs): a file written and synced on
		# it, and 64 KiB written to the raw second disk with fsync, read
		# back after dropping the page cache.
		echo "L3 rootfs=$(awk '$2 == "/" { print $3 }' /proc/mounts)"
		echo "L3 vdb_md5_before=$(md5sum </dev/vdb | cut -d' ' -f1)"
		echo ignis-root-written >/written && sync && echo "L3 root_write=ok"
		yes ignis-blk-data | head -c 65536 >/tmp/pattern
		dd if=/tmp/pattern of=/dev/vdb bs=4096 conv=fsync 2>/dev/null
		echo "L3 data_md5=$(md5sum </tmp/pattern | cut -d' ' -f1)"
		echo 3 >/proc/sys/vm/drop_caches
		echo "L3 readback_md5=$(head -c 65536 /dev/vdb | md5sum | cut -d' ' -f1)"
	fi
	if [ "${systest:-}" = net ] || [ "${systest:-}" = strict ]; then
		# virtio-net: 172.16.0.2 pings the tap's side (retrying while
		# the host configures it), then sends 1 MiB over TCP to it.
		echo "L3 net_step=ip link set eth0 up"
		ip addr add 172.16.0.2/24 dev eth0 && ip link set eth0 up
		ok=0
		i=0
		while [ $i -lt 40 ]; do
			if ping -c 1 -W 1 172.16.0.1 >/dev/null 2>&1; then
				ok=1
				break
			fi
			i=$((i + 1))
		done
		echo "L3 ping=$ok"
		n=0
		for i in 1 2 3; do
			ping -c 1 -W 2 172.16.0.1 >/dev/null 2>&1 && n=$((n + 1))
		done
		echo "L3 pings=$n"
		dd if=/dev/urandom of=/tmp/tx bs=65536 count=16 2>/dev/null
		echo "L3 tcp_md5=$(md5sum </tmp/tx | cut -d' ' -f1)"
		nc 172.16.0.1 5000 </tmp/tx
		echo "L3 tcp_rc=$?"
	fi
	if [ "${systest:-}" = api ] || [ "${systest:-}" = lifecycle ]; then
		# Firecracker's interface (api_curl, api_config_file,
		# api_lifecycle): the drive read whole, and read-only as
		# is_read_only asked.
		echo "L3 vda_md5=$(md5sum </dev/vda | cut -d' ' -f1)"
		echo "L3 vda_ro=$(cat /sys/block/vda/ro 2>/dev/null)"
	fi
	if [ "${systest:-}" = vsock ]; then
		# vsock_linux: Linux's own virtio-vsock driver (Debian's
		# modules) on ignis's device, vsockcat (vsockcat.c) at both
		# ends, vsock_bytes each way per connection. First the host
		# connects (CONNECT 5000 on uds_path): accept it, read and
		# check, answer; then connect to the host (CID 2 port 5001:
		# its <uds_path>_5001), send, read and check; then to port
		# 5002, where nobody listens: refused. Each bounded (-s), so
		# that a failure still gets this far and to reboot -f.
		echo "L3 vsock_driver=$(ls /sys/bus/virtio/drivers/vmw_vsock_virtio_transport 2>/dev/null | grep -c '^virtio')"
		vsockcat -t 'L3 vsock_cid' cid
		vsockcat -s 30 -t 'L3 vsock_h2g' listen 5000 "${vsock_bytes:-1048576}"
		vsockcat -s 30 -t 'L3 vsock_g2h' connect 2 5001 "${vsock_bytes:-1048576}"
		vsockcat -s 10 -t 'L3 vsock_g2h_refused' connect 2 5002 refused
		# What the driver said (below "quiet"), for a failure.
		dmesg | grep -iE 'vsock|virtio' | grep -vE 'command line|systest=|vsock_bytes=' |
			sed 's/^\[ *[0-9.]*\] //; s/^/L3 vsock_dmesg /'
	fi
	if [ "${systest:-}" = rng ] || [ "${systest:-}" = blk ] || [ "${systest:-}" = api ] ||
		[ "${systest:-}" = lifecycle ]; then
		# virtio-rng on ignis: the kernel's hw_random core picked it, and
		# /dev/hwrng gives bytes that are not all zero.
		echo "L3 hwrng=$(cat /sys/class/misc/hw_random/rng_current 2>/dev/null)"
		dd if=/dev/hwrng of=/tmp/rng bs=64 count=1 2>/dev/null
		echo "L3 hwrng_bytes=$(wc -c </tmp/rng)"
		echo "L3 hwrng_nonzero=$(od -An -tx1 -v /tmp/rng | tr -d ' \n0' | wc -c)"
	fi
	if [ "${systest:-}" = lifecycle ]; then
		# api_lifecycle: the keyboard SendCtrlAltDel types on (atkbd
		# bound to the i8042's port, i8042.dumbkbd) and what the kernel
		# does with Ctrl-Alt-Del (1: restart at once); then a heartbeat
		# forever, which a pause must stop and a resume start again.
		# No reboot -f: only Ctrl-Alt-Del ends this guest. Builtins
		# only in the loop but sleep: a tick costs the guest little.
		echo "L3 atkbd=$(ls /sys/bus/serio/drivers/atkbd 2>/dev/null | grep -c '^serio')"
		echo "L3 kbd_name=$(sed -n 's/^N: Name="\(.*\)"$/\1/p' /proc/bus/input/devices | tr '\n' ' ')"
		echo "L3 cad=$(cat /proc/sys/kernel/ctrl-alt-del)"
		# What the kernel said about them ("quiet" keeps it off the
		# console), for when Ctrl-Alt-Del reaches nobody.
		dmesg | grep -iE 'i8042|serio|atkbd|input:' | sed 's/^/L3 kbd_dmesg /'
		grep i8042 /proc/interrupts | sed 's/^/L3 kbd_irq /'
		# Each tick also looks at vda's size: PATCH /drives/data puts
		# a new image (another size) under it, the device raises a
		# configuration change interrupt and virtio_blk sets the new
		# capacity (its "[vda] new size:" and the block layer's
		# "detected capacity change" are notices, below "quiet": read
		# from dmesg). Then the disk is read again, past the page
		# cache that still holds the old image's blocks.
		read -r sz </sys/block/vda/size
		n=0
		while :; do
			n=$((n + 1))
			read -r t _ </proc/uptime
			echo "L3 tick $n uptime=$t"
			read -r s </sys/block/vda/size
			if [ "$s" != "$sz" ]; then
				sz=$s
				echo "L3 vda2_sectors=$s"
				blockdev --flushbufs /dev/vda
				echo 3 >/proc/sys/vm/drop_caches
				echo "L3 vda2_ro=$(cat /sys/block/vda/ro)"
				echo "L3 vda2_md5=$(md5sum </dev/vda | cut -d' ' -f1)"
				# O_DIRECT too: no page cache at all, to tell a
				# stale cache here from the wrong image there.
				echo "L3 vda2_md5_direct=$(dd if=/dev/vda bs=65536 iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1)"
				# The block layer's line follows virtio_blk's
				# (set_capacity_and_notify()): at most 2 s.
				i=0
				while ! dmesg | grep -q 'vda: detected capacity change' && [ $i -lt 20 ]; do
					sleep 0.1
					i=$((i + 1))
				done
				dmesg | grep -E '\[vda\] new size|vda: detected capacity change' |
					sed 's/^\[ *[0-9.]*\] //; s/^/L3 vda2_dmesg /'
				echo "L3 vda2_end"
			fi
			sleep 0.2
		done
	fi
	echo "L3 sleep-start uptime=$(up)"
	sleep 1
	echo "L3 sleep-end uptime=$(up)"
fi
echo "L3-DONE uptime=$(up)"
reboot -f
# Only reached if reboot failed; the outer check sees no VMM exit.
echo "L3 reboot -f returned"
sleep 3600
