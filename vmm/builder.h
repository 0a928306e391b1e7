/* SPDX-License-Identifier: Apache-2.0 */
/* vmm/builder.h: the one linear recipe that turns a config into a VM. */
#ifndef IGNIS_BUILDER_H
#define IGNIS_BUILDER_H

#include "cli.h"
#include "config.h"
#include "vm.h"

/* Every module's CLI options, NULL-terminated; a module with flags adds
 * one line here. */
extern const struct cli_group *const builder_cli_groups[];

/*
 * Builds (vm) from (cfg), which must outlive it: KVM, guest memory, the
 * irqchip, devices, the kernel and its boot tables, the vCPUs. Returns 0,
 * or -errno with one message logged; then builder_destroy() cleans up.
 */
int builder_build(struct vm *vm, const struct vm_config *cfg);

/* The virtio-blk device of (vm)'s disk (i) (cfg->disks[i]); NULL when
 * there is none. */
struct vdev *builder_disk(const struct vm *vm, unsigned int i);

/* Releases everything builder_build() made, also after a partial build. */
void builder_destroy(struct vm *vm);

#endif
