/* SPDX-License-Identifier: Apache-2.0 */
/* vmm/config.h: what the user asked for, validated, before anything is built. */
#ifndef IGNIS_CONFIG_H
#define IGNIS_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "cli.h"

#define CONFIG_DEFAULT_MEM_SIZE	(128ULL << 20)
#define CONFIG_DEFAULT_CMDLINE	"console=ttyS0"
#define CONFIG_MIN_MEM_SIZE	(2ULL << 20)	/* low boot area + a small kernel */
#define CONFIG_MAX_CPUS		254	/* xAPIC IDs, one left for the IOAPIC */
#define CONFIG_MAX_DISKS	8	/* --disk; all devices share 8 slots */
#define CONFIG_MAX_NETS		8	/* --net */
#define CONFIG_IOMMU_POLL_US	50	/* --iommu-poll-us default */
#define CONFIG_MAX_POLL_US	10000	/* a polling window's upper bound */
#define CONFIG_DISK_ID_MAX	20	/* virtio-blk GET_ID bytes */
#define CONFIG_TAP_NAME_MAX	15	/* IFNAMSIZ - 1 */

/* One --disk. */
struct disk_config {
	char *path;		/* raw image or block device; owned */
	char *id;		/* GET_ID string; NULL: derived; owned */
	bool read_only;		/* readonly=on */
	bool direct;		/* direct=on: O_DIRECT */
	bool iommu;		/* behind --iommu (default; iommu=off) */
};

/* One --net. */
struct net_config {
	char *tap;		/* tap interface name; owned */
	uint8_t mac[6];		/* the guest's MAC when has_mac */
	bool has_mac;		/* mac= given */
	bool iommu;		/* behind --iommu (default; iommu=off) */
};

/* One microVM's configuration. Strings are owned (malloc'd). */
struct vm_config {
	char *kernel_path;	/* guest kernel; required */
	char *initrd_path;	/* NULL: none */
	char *cmdline;		/* kernel command line */
	unsigned int nr_cpus;	/* vCPUs, 1..CONFIG_MAX_CPUS */
	uint64_t mem_size;	/* guest RAM bytes, page multiple */
	bool rng;		/* a virtio-rng device (--rng) */
	bool rng_iommu;		/* behind --iommu (default; iommu=off) */
	bool no_cmdline_devices;	/* --no-cmdline-devices: ACPI only */
	bool iommu;		/* --iommu: a virtio-iommu before the rest */
	unsigned int iommu_poll_us;	/* --iommu-poll-us: its polling window */
	struct disk_config disks[CONFIG_MAX_DISKS];	/* [nr_disks] */
	unsigned int nr_disks;
	struct net_config nets[CONFIG_MAX_NETS];	/* [nr_nets] */
	unsigned int nr_nets;
};

/* Fills (cfg) with the defaults (1 vCPU, 128 MiB, console=ttyS0). 0 or
 * -ENOMEM. */
int config_init(struct vm_config *cfg);

/* Frees what (cfg) owns; accepts NULL. */
void config_free(struct vm_config *cfg);

/* The CLI options that set machine and boot fields (--kernel, --initrd,
 * --cmdline, --cpus, --memory). */
extern const struct cli_group config_cli_group;

#endif
