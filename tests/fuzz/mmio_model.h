/* SPDX-License-Identifier: Apache-2.0 */
/* tests/fuzz/mmio_model.h: what a virtio-mmio device must look like to a driver. */
#ifndef IGNIS_FUZZ_MMIO_MODEL_H
#define IGNIS_FUZZ_MMIO_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/virtio/device.h"

/*
 * fuzz_mmio's model of one transport: the register file of 4.2.2 and the
 * status sequence of 3.1.1, written from the spec and mmio.h's contract,
 * apart from mmio.c. The target applies every access to both and compares
 * what the driver reads and what the device was told.
 */
struct mm_model {
	/* The device, as created. */
	uint16_t nr_queues, max_queue_size;
	uint64_t offered; /* ops features | offered | VERSION_1 */
	uint32_t config_size;
	bool behind_iommu; /* needs ACCESS_PLATFORM */
	/* The driver's view. */
	uint8_t status;
	enum vdev_state state;
	uint64_t features;
	uint32_t dev_sel, drv_sel, queue_sel;
	bool beyond; /* accepted a bit above 63 */
	struct vdev_queue_cfg queues[VDEV_MAX_QUEUES];
	uint32_t int_status;
	uint32_t config_gen;
	bool needs_reset; /* the device thread's report */
	/* What the device should have seen. */
	bool active; /* activate() ok, no reset since */
	unsigned int activations, resets;
};

/* Status 0 (vmmio_create(), a write of 0). */
void mm_clear(struct mm_model *m);

/* What a 4-byte read of register (off) < 0x100 returns. */
uint32_t mm_read_reg(const struct mm_model *m, uint32_t off);

/*
 * A 4-byte write of (v) to register (off) < 0x100. Sets (*activate) when
 * the device must be asked to activate (DRIVER_OK over a valid queue
 * set: the caller then calls mm_activated() with its answer), (*reset)
 * when it must be reset, (*notify) to the queue notified or -1.
 */
void mm_write_reg(struct mm_model *m, uint32_t off, uint32_t v, bool *activate,
		  bool *reset, int *notify);

/* activate() answered (ret). */
void mm_activated(struct mm_model *m, int ret);

/* Before each access: a device-reported error becomes part of Status. */
void mm_fold(struct mm_model *m);

/* Whether queue (q) is what DRIVER_OK may take (4.2.3.2, 2.7). */
bool mm_queue_ok(const struct mm_model *m, const struct vdev_queue_cfg *q);

/* Whether the negotiated features pass FEATURES_OK (2.2.1, 6.1). */
bool mm_features_ok(const struct mm_model *m, uint64_t features);

#endif
