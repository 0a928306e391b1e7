/* SPDX-License-Identifier: Apache-2.0 */
/* api/fc_devices.h: Firecracker's drive and network-interface bodies; ignis's VFIO. */
#ifndef IGNIS_FC_DEVICES_H
#define IGNIS_FC_DEVICES_H

#include <jansson.h>
#include <stddef.h>

#include "vmm/config.h"

/*
 * The work of fc_drive_apply() and fc_net_apply() (api/fc_config.h), on a
 * (cfg) that the caller throws away on error: a failure may leave it
 * half-changed. (where) prefixes reasons ("drives[2]"; NULL: none).
 */
int fc_drive_insert(struct vm_config *cfg, const json_t *b, const char *path_id,
		    const char *where, char *why, size_t len);
int fc_net_insert(struct vm_config *cfg, const json_t *b, const char *path_id,
		  const char *where, char *why, size_t len);
/* The work of fc_vfio_apply(); (cfg) is changed only on success. */
int fc_vfio_insert(struct vm_config *cfg, const json_t *b, const char *path_id,
		   const char *where, char *why, size_t len);

#endif
