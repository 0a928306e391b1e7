/* SPDX-License-Identifier: Apache-2.0 */
/* api/fc_config.h: Firecracker's JSON configuration into a struct vm_config. */
#ifndef IGNIS_FC_CONFIG_H
#define IGNIS_FC_CONFIG_H

#include <jansson.h>
#include <stddef.h>

#include "vmm/cli.h"
#include "vmm/config.h"

/*
 * One function per Firecracker body, shared by --config-file (one section
 * of the file each) and the API (one endpoint's body each), so that both
 * build the same validated struct vm_config that the CLI flags build.
 *
 * The rules, Firecracker's (src/vmm/src/vmm_config/, its swagger file):
 * field names and JSON types exactly as Firecracker's; an unknown field
 * is refused (serde's deny_unknown_fields); an optional field given as
 * null is as if absent (Flintlock sends nulls); ids are 1 to
 * FC_ID_MAX characters of [A-Za-z0-9_]. What ignis cannot honour yet (a
 * rate limiter that limits, balloon, ...) is refused with
 * -ENOTSUP and "... is not supported by ignis yet", never ignored.
 *
 * Every function: (body) is the parsed JSON (borrowed); on success the
 * change is made to (cfg) whole and 0 is returned; on error (cfg) is left
 * exactly as it was, a reason naming the field (e.g. "vcpu_count: expected
 * an integer from 1 to 254") of at most (len) bytes is written to (why),
 * and -EINVAL (bad body), -ENOTSUP (not supported by ignis yet), -E2BIG
 * (too many devices) or -ENOMEM is returned. Only fc_config_file_load()
 * touches the file system (to read the file): the paths in the bodies are
 * opened when the VM is built. Any thread, one (cfg) at a time.
 */

#define FC_ID_MAX 64 /* drive_id, iface_id: ours; Firecracker has none */

/* Parses (len) bytes of (text) as one JSON object, refusing duplicate keys
 * (serde does) and NUL in strings. On success (*out) is a new reference.
 * 0, or -EINVAL with "line L column C: ..." in (why). */
int fc_json_parse(const char *text, size_t len, json_t **out, char *why,
		  size_t len_why);

/* PUT /boot-source, the file's "boot-source": kernel_image_path
 * (required), initrd_path, boot_args (absent or null: Firecracker's
 * default command line, FC_DEFAULT_BOOT_ARGS). Replaces the whole boot
 * source, as Firecracker does. */
int fc_boot_source_apply(struct vm_config *cfg, const json_t *body, char *why,
			 size_t len);

/* PUT /machine-config (partial false: vcpu_count and mem_size_mib
 * required) or PATCH /machine-config (partial true: any field, at least
 * one), the file's "machine-config". */
int fc_machine_config_apply(struct vm_config *cfg, const json_t *body,
			    bool partial, char *why, size_t len);

/* PUT /drives/{id}, one of the file's "drives": adds the drive, or
 * replaces the one with the same drive_id in its place, as Firecracker
 * does; a root drive goes first (vda), and there is at most one.
 * (path_id): the id from the URL, which must equal drive_id; NULL for
 * the file. */
int fc_drive_apply(struct vm_config *cfg, const json_t *body,
		   const char *path_id, char *why, size_t len);

/* PUT /network-interfaces/{id}, one of the file's "network-interfaces":
 * adds the interface, or replaces the one with the same iface_id
 * (Firecracker's order: the old one is swap-removed, the new one goes
 * last). (path_id) as for fc_drive_apply(). */
int fc_net_apply(struct vm_config *cfg, const json_t *body, const char *path_id,
		 char *why, size_t len);

/* PUT /entropy, the file's "entropy": the virtio-rng device. */
int fc_entropy_apply(struct vm_config *cfg, const json_t *body, char *why,
		     size_t len);

/* PUT /iommu, the file's "iommu" (ignis's extension): {"enabled": bool,
 * "poll_us": 0..CONFIG_MAX_POLL_US}, both optional; enabled defaults to
 * true. */
int fc_iommu_apply(struct vm_config *cfg, const json_t *body, char *why,
		   size_t len);

/* PUT /vfio/{id}, one of the file's "vfio" (ignis's extension, issue 8):
 * {"vfio_id": id, "path": a host PCI function, "iommu": bool}. path is
 * what config_vfio_path_parse() takes (a BDF or its sysfs directory) and
 * is kept canonical; iommu (default true) false keeps it out from behind
 * the iommu. Adds the function, or replaces the one with the same vfio_id
 * in its place; one function at most once, CONFIG_MAX_VFIO at most.
 * (path_id) as for fc_drive_apply(). Nothing is opened here. */
int fc_vfio_apply(struct vm_config *cfg, const json_t *body,
		  const char *path_id, char *why, size_t len);

/* PUT /vsock, the file's "vsock": the virtio-vsock device (Firecracker's
 * guest_cid >= 3 and uds_path required, deprecated vsock_id kept;
 * ignis's "iommu": false exempts it from --iommu). Replaces the device's
 * configuration whole. */
int fc_vsock_apply(struct vm_config *cfg, const json_t *body, char *why,
		   size_t len);
/* PUT /logger, /metrics: the bodies are checked as Firecracker
 * checks them, then refused with -ENOTSUP: ignis has no
 * Firecracker-style logger or metrics yet. */
int fc_logger_apply(struct vm_config *cfg, const json_t *body, char *why,
		    size_t len);
int fc_metrics_apply(struct vm_config *cfg, const json_t *body, char *why,
		     size_t len);

/* A whole Firecracker config file's object (kebab-case sections:
 * "boot-source" and "drives" required, as in Firecracker), applied in
 * Firecracker's order; reasons are prefixed with the section
 * ("drives[1].is_root_device: ..."). */
int fc_config_apply(struct vm_config *cfg, const json_t *root, char *why,
		    size_t len);

/* Reads the file at (path) and fc_config_apply()s it; -errno from opening
 * or reading it (reason: strerror), -EINVAL for bad JSON. */
int fc_config_file_load(const char *path, struct vm_config *cfg, char *why,
			size_t len);

/* Firecracker's default kernel command line (vmm_config/boot_source.rs),
 * used when a boot source has no boot_args. */
#define FC_DEFAULT_BOOT_ARGS                                                 \
	"reboot=k panic=1 nomodule 8250.nr_uarts=0 i8042.noaux i8042.nomux " \
	"i8042.dumbkbd swiotlb=noforce"

/* --config-file FILE. */
extern const struct cli_group fc_config_cli_group;

#endif
