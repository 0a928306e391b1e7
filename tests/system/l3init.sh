#!/bin/busybox sh
# SPDX-License-Identifier: Apache-2.0
# tests/system/l3init.sh: /init of the inner guest: report what the cases check, reboot.
#
# Runs under ignis (or QEMU, for the boot-time figure) inside the outer
# guest. Every line it prints starts with "L3" so the outer guest's checks
# (cases.sh) find them among the kernel's messages. The kernel hands unknown
# "key=value" command-line words to /init as environment variables: with
# systest=bench it only says it is there and reboots, to time the boot alone;
# with systest=hang it never ends.
/bin/busybox mkdir -p /proc /sys /dev /bin /tmp
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
if [ "${systest:-}" != bench ]; then
	echo "L3 nproc=$(nproc)"
	echo "L3 online=$(cat /sys/devices/system/cpu/online)"
	echo "L3 cmdline=$(cat /proc/cmdline)"
	echo "L3 memtotal_kb=$(sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo)"
	echo "L3 clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
	# The memory map as the kernel read it from ignis (PVH memmap or the
	# zero page's e820): "L3 e820 [mem 0x...-0x...] usable".
	dmesg | sed -n 's/.*BIOS-e820: \(.*\)/L3 e820 \1/p'
	if [ "${systest:-}" = rng ]; then
		# virtio-rng on ignis: the kernel's hw_random core picked it, and
		# /dev/hwrng gives bytes that are not all zero.
		echo "L3 hwrng=$(cat /sys/class/misc/hw_random/rng_current 2>/dev/null)"
		dd if=/dev/hwrng of=/tmp/rng bs=64 count=1 2>/dev/null
		echo "L3 hwrng_bytes=$(wc -c </tmp/rng)"
		echo "L3 hwrng_nonzero=$(od -An -tx1 -v /tmp/rng | tr -d ' \n0' | wc -c)"
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
