/* SPDX-License-Identifier: Apache-2.0 */
/* vmm/config.h: what the user asked for, validated, before anything is built. */
#ifndef IGNIS_CONFIG_H
#define IGNIS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "log.h"
#include "metrics.h"

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
#define CONFIG_PARTUUID_MAX	36	/* a GPT GUID; MBR ones are shorter */
/* The most config_root_args_append() adds: " root=PARTUUID=<36> rw". */
#define CONFIG_ROOT_ARGS_MAX	(15 + CONFIG_PARTUUID_MAX + 3)
/* A guest CID: 0, 1, 2 (the host) and 0xffffffff are reserved (virtio
 * 1.2, 5.10.4); Firecracker asks for >= 3 too. */
#define CONFIG_VSOCK_CID_MIN	3
#define CONFIG_VSOCK_CID_MAX	0xfffffffeU
/* uds_path's longest: "<uds_path>_<port>" (a guest-initiated flow's host
 * socket) must fit sun_path's 108 bytes. */
#define CONFIG_VSOCK_PATH_MAX	96
#define CONFIG_MAX_VFIO		4	/* --vfio */
/* Where every PCI function is named: "<dir>/DDDD:BB:DD.F". */
#define CONFIG_VFIO_SYSFS_DIR	"/sys/bus/pci/devices"
/* A canonical VFIO path's bytes with its NUL: the directory, '/', and
 * "DDDD:BB:DD.F". */
#define CONFIG_VFIO_PATH_SIZE	(sizeof(CONFIG_VFIO_SYSFS_DIR) + 13)
/* A vfio_id: Firecracker's id characters, as many as the API's FC_ID_MAX. */
#define CONFIG_VFIO_ID_MAX	64

/* One --disk. */
struct disk_config {
	char *path;		/* raw image or block device; owned */
	char *id;		/* GET_ID string; NULL: derived; owned */
	bool read_only;		/* readonly=on */
	bool direct;		/* direct=on: O_DIRECT */
	bool iommu;		/* behind --iommu (default; iommu=off) */
	char *drive_id;		/* Firecracker's drive_id; NULL from --disk;
				 * owned */
	bool root;		/* Firecracker's is_root_device: root= on the
				 * command line; only disks[0] */
	char *partuuid;		/* root=PARTUUID= instead of /dev/vda; NULL:
				 * none; owned */
};

/* One --net. */
struct net_config {
	char *tap;		/* tap interface name; owned */
	uint8_t mac[6];		/* the guest's MAC when has_mac */
	bool has_mac;		/* mac= given */
	bool iommu;		/* behind --iommu (default; iommu=off) */
	char *iface_id;		/* Firecracker's iface_id; NULL from --net;
				 * owned */
};

/* The --vsock device, Firecracker's "vsock" (at most one). */
struct vsock_config {
	char *uds_path;		/* the host's Unix socket; NULL: no device;
				 * owned */
	uint32_t cid;		/* the guest's CID, CONFIG_VSOCK_CID_MIN..
				 * CONFIG_VSOCK_CID_MAX */
	bool iommu;		/* behind --iommu (default; iommu=off) */
	char *vsock_id;		/* Firecracker's deprecated vsock_id; NULL:
				 * none; owned */
};

/* One --vfio: a host PCI function bound to vfio-pci, passed to the
 * guest (issue 8). */
struct vfio_config {
	char *path;		/* its sysfs directory, canonical:
				 * CONFIG_VFIO_SYSFS_DIR "/DDDD:BB:DD.F"
				 * (lower-case hex); owned */
	char *vfio_id;		/* the API's vfio_id; NULL from --vfio
				 * without id=; owned */
	bool iommu;		/* behind --iommu (default; iommu=off):
				 * without it, all guest RAM is mapped */
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
	struct vsock_config vsock;	/* uds_path NULL: no vsock device */
	struct vfio_config vfio[CONFIG_MAX_VFIO];	/* [nr_vfio] */
	unsigned int nr_vfio;
	bool from_file;		/* set by --config-file: no other flags */
	struct log_config log;	/* the logger (stderr by default) */
	struct metrics_config metrics;	/* path NULL: no metrics */
};

/* Fills (cfg) with the defaults (1 vCPU, 128 MiB, console=ttyS0). 0 or
 * -ENOMEM. */
int config_init(struct vm_config *cfg);

/* Frees what (cfg) owns; accepts NULL. */
void config_free(struct vm_config *cfg);

/* Makes (dst) a deep copy of (src), so that a change can be tried on the
 * copy and swapped in whole or dropped. 0 or -ENOMEM ((dst) then holds
 * nothing to free). */
int config_copy(struct vm_config *dst, const struct vm_config *src);

/* For the set() of a machine or device flag: -EINVAL with the reason in
 * (why) when --config-file came before it (the file or the flags, not
 * both), else 0. */
int config_check_flag(const struct vm_config *cfg, char *why, size_t len);

/* Whether the (n) bytes at (s) name a tap as Linux's dev_valid_name()
 * allows: 1 to CONFIG_TAP_NAME_MAX bytes, not "." or "..", no '/', ':'
 * or whitespace (and no '%', which TUNSETIFF would expand). */
bool config_tap_name_ok(const char *s, size_t n);

/* Parses the (n) bytes at (s) as "aa:bb:cc:dd:ee:ff" into (mac): six
 * pairs of hex digits, a unicast address other than all zeros. 0 or
 * -EINVAL. */
int config_mac_parse(const char *s, size_t n, uint8_t mac[6]);

/* Whether the (n) bytes at (s) can be a vsock uds_path: 1 to
 * CONFIG_VSOCK_PATH_MAX bytes, no NUL. */
bool config_vsock_path_ok(const char *s, size_t n);

/*
 * Turns the (n) bytes at (s), a PCI function as a user names it, into its
 * canonical sysfs directory in (out) (NUL-terminated): a BDF
 * "DDDD:BB:DD.F" or "BB:DD.F" (domain 0000), hex digits of those widths,
 * device at most 0x1f, function at most 7; or an absolute path whose
 * last component (trailing slashes allowed) is a full "DDDD:BB:DD.F"
 * under CONFIG_VFIO_SYSFS_DIR "/" or "/sys/devices/" (a bridge's
 * directory, e.g. /sys/devices/pci0000:00/0000:00:1c.0/0000:01:00.0), with
 * no "." or ".." component. Syntax only: nothing is opened. 0, or -EINVAL
 * with the reason in (why).
 */
int config_vfio_path_parse(const char *s, size_t n,
			   char out[CONFIG_VFIO_PATH_SIZE], char *why,
			   size_t len);

/* Whether (id) can be a vfio_id: 1 to CONFIG_VFIO_ID_MAX characters of
 * [A-Za-z0-9_] (Firecracker's ids). */
bool config_vfio_id_ok(const char *id);

/* The index of the entry of (cfg)->vfio whose canonical path (by_id
 * false) or vfio_id (by_id true) is (key), or -1. */
int config_vfio_find(const struct vm_config *cfg, const char *key, bool by_id);

/* For a flag's set(): replaces the owned string (*field) with a copy of
 * (value), which must not be empty. 0, -EINVAL with the reason, or
 * -ENOMEM. */
int config_set_string(char **field, const char *value, char *why, size_t len);

/* Whether (cfg) is still what config_init() made: no flag has set it. */
bool config_is_default(const struct vm_config *cfg);

/*
 * Appends what Firecracker adds to the command line for a root drive
 * (disks[0] with root set): " root=/dev/vda" or " root=PARTUUID=<uuid>",
 * then " ro" or " rw", to the NUL-terminated (buf) of capacity (size).
 * Nothing without a root drive. 0 or -E2BIG.
 */
int config_root_args_append(const struct vm_config *cfg, char *buf,
			    size_t size);

/*
 * Opens the log and metrics files (cfg) names, as --log-path,
 * --metrics-path or the config file asked. 0, or -errno with the reason
 * in (why).
 */
int config_logging_apply(const struct vm_config *cfg, char *why, size_t len);

/* The CLI options of the logger and metrics (--log-path, --level, ...);
 * process settings that may go with --config-file. */
extern const struct cli_group config_log_cli_group;

/* --vfio (vmm/config_vfio.c): host PCI functions passed to the guest. */
extern const struct cli_group config_vfio_cli_group;

/* The CLI options that set machine and boot fields (--kernel, --initrd,
 * --cmdline, --cpus, --memory). */
extern const struct cli_group config_cli_group;

#endif
