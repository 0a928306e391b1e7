/* SPDX-License-Identifier: Apache-2.0 */
/* tests/fuzz/cfg_check.h: what every struct vm_config the API leaves must hold. */
#ifndef IGNIS_FUZZ_CFG_CHECK_H
#define IGNIS_FUZZ_CFG_CHECK_H

#include <stdbool.h>

#include "vmm/config.h"

/*
 * Whether (a) and (b) describe the same VM: the machine, boot and device
 * fields, strings by value. Fields that mean nothing are skipped (the
 * polling window of an IOMMU that is off, rng_iommu without an rng), so
 * that a configuration and its GET /vm/config loaded back compare equal.
 */
bool cfg_same_vm(const struct vm_config *a, const struct vm_config *b);

/* Aborts, saying which, unless (cfg) holds what a validated configuration
 * must: counts and sizes in range, ids valid and unique, at most one root
 * drive and that one first, unique taps and MACs, a command line that
 * takes the root drive's arguments. */
void cfg_check(const struct vm_config *cfg);

#endif
