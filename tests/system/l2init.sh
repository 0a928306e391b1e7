#!/bin/busybox sh
# SPDX-License-Identifier: Apache-2.0
# tests/system/l2init.sh: /init of the outer guest: load kvm-amd, run the cases, power off.
#
# The outer guest is Debian's generic kernel under QEMU TCG with an emulated
# AMD CPU with SVM, so /dev/kvm here is a normal KVM (nested, emulated).
# systest_suite (from the kernel command line, "all" unless given) picks
# the cases: "all", "tests" (none of the figures that boot QEMU) or "bench"
# (only those: boot time and dma_map_benchmark), or a comma-separated list
# of case names (IGNIS_SYSTEM_SUITE).
/bin/busybox mkdir -p /proc /sys /dev /tmp /bin /sbin /usr/bin /usr/sbin
/bin/busybox --install -s /bin
export PATH=/bin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
mount -t tmpfs tmp /tmp

echo "=== L2 INIT uptime $(cut -d' ' -f1 /proc/uptime) suite ${systest_suite:-all}"
while read -r ko; do
	insmod "/lib/modules/$ko" || echo "=== L2 insmod $ko FAILED"
done </lib/modules/order
if [ -c /dev/kvm ]; then
	. /systest/cases.sh
	systest_run "${systest_suite:-all}"
else
	dmesg | tail -20
	echo "SYSTEM-TEST-ABORT no /dev/kvm in the outer guest (kvm-amd did not load)"
fi
echo "=== L2 DONE uptime $(cut -d' ' -f1 /proc/uptime)"
poweroff -f
