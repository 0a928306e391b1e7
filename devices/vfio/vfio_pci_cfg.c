// SPDX-License-Identifier: Apache-2.0
/* devices/vfio/vfio_pci_cfg.c: a VFIO PCI function's config space as the
 * guest sees it: the capability list re-linked, the config hooks, the
 * command register and MSI-X's Message Control. */
#include "devices/vfio/vfio_pci_priv.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

/* Config space facts (PCI Local Bus 3.0, 6.1, 6.2, 6.7, 6.8). */
#define CFG_HEADER_END 0x40 /* type 0 header */
#define CMD_IO 0x1 /* Command: I/O Space */
#define CAP_ID_MSI 0x05
#define MSI_CTRL_64 0x0080 /* MSI Message Control: 64-bit address */
#define MSI_CTRL_PVM 0x0100 /* ... per-vector masking */
#define MSI_MAX_LEN 24 /* 64-bit with masking (6.8.1) */

/* ---- config space layout ---- */

/* The MSI capability's length from its Message Control (6.8.1). */
static unsigned int msi_len(const uint8_t *cfg, unsigned int at)
{
	uint16_t ctrl = at + 3 < CFG_STD ? le16(cfg + at + 2) : 0;

	return 10 + (ctrl & MSI_CTRL_64 ? 4 : 0) +
	       (ctrl & MSI_CTRL_PVM ? 10 : 0);
}

static void set_src(struct vfio_pci *vp, unsigned int off, unsigned int len,
		    enum cfg_src s)
{
	for (unsigned int i = off; i < off + len && i < CFG_STD; i++)
		vp->src[i] = (uint8_t)s;
}

/* Whether no capability laid out so far claims [off, off + len). */
static bool src_is_free(const struct vfio_pci *vp, unsigned int off,
			unsigned int len)
{
	for (unsigned int i = off; i < off + len && i < CFG_STD; i++)
		if (vp->src[i] != SRC_HW)
			return false;
	return true;
}

/* Makes what is still the hardware's in [off, off + len) read-only: a
 * capability dropped must not take bytes another one laid out (its
 * Next, MSI-X's), or the guest would read the hardware's link there. */
static void set_ro(struct vfio_pci *vp, unsigned int off, unsigned int len)
{
	for (unsigned int i = off; i < off + len && i < CFG_STD; i++)
		if (vp->src[i] == SRC_HW)
			vp->src[i] = SRC_HW_RO;
}

/*
 * Walks the hardware's capability list in (cfg) and lays config space
 * out. The list is not trusted: a pointer into the header or past 0xfc
 * ends it, and so does one seen before (a loop), so the walk takes 48
 * steps at most and the guest's list always ends; so does a header
 * inside a capability laid out before (overlapping capabilities, which
 * would otherwise swap links). The caps kept are
 * re-linked through virt[] in the hardware's order: MSI is dropped
 * (the guest then uses MSI-X, whose vectors ignis can route), and so is
 * an MSI-X that ignis does not emulate.
 */
void vfio_pci_cfg_layout(struct vfio_pci *vp, const uint8_t *cfg)
{
	bool seen[CFG_STD / 4] = { false };
	unsigned int prev = PCI_CAP_PTR, ptr;

	memset(vp->src, SRC_HW, sizeof(vp->src));
	set_src(vp, PCI_COMMAND, 2, SRC_CMD);
	set_src(vp, PCI_HEADER_TYPE, 1, SRC_EMU);
	set_src(vp, PCI_BAR0, 4 * PCI_NR_BARS, SRC_EMU);
	set_src(vp, PCI_ROM_ADDRESS, 4, SRC_EMU);
	set_src(vp, PCI_CAP_PTR, 1, SRC_VIRT);
	set_src(vp, PCI_CAP_PTR + 1, 7, SRC_ZERO); /* reserved */
	set_src(vp, PCI_INTERRUPT_LINE, 1, SRC_EMU);
	/* The kernel's pin (vfio-pci virtualises it), or none. */
	set_src(vp, PCI_INTERRUPT_PIN, 1, vp->intx_pin ? SRC_HW_RO : SRC_ZERO);
	vp->virt[PCI_CAP_PTR] = 0;
	if (!(cfg[PCI_STATUS] & PCI_STATUS_CAP_LIST))
		return;
	for (ptr = cfg[PCI_CAP_PTR] & 0xfc; ptr; ptr = cfg[ptr + 1] & 0xfc) {
		if (ptr < CFG_HEADER_END || ptr > CFG_STD - 4 || seen[ptr / 4])
			break;
		seen[ptr / 4] = true;
		/* A header inside a capability laid out before (overlapping
		 * capabilities) ends the list too: its link would be theirs,
		 * and theirs its. */
		if (!src_is_free(vp, ptr, 2) ||
		    (ptr == vp->msix_cap &&
		     !src_is_free(vp, ptr, MSIX_CAP_LEN)))
			break;
		if (cfg[ptr] == CAP_ID_MSI) {
			/* Unlinked, and its writes dropped: the guest has no
			 * business there, and MSI on in the hardware would
			 * take the device off MSI-X. */
			set_ro(vp, ptr, msi_len(cfg, ptr));
			continue;
		}
		if (cfg[ptr] == MSIX_CAP_ID && ptr != vp->msix_cap) {
			set_ro(vp, ptr, MSIX_CAP_LEN);
			continue;
		}
		if (ptr == vp->msix_cap) {
			/* ID, Table and PBA Offset/BIR read-only as the
			 * hardware has them; Message Control ours. */
			memcpy(vp->virt + ptr, cfg + ptr, MSIX_CAP_LEN);
			set_src(vp, ptr, MSIX_CAP_LEN, SRC_VIRT);
			set_src(vp, ptr + MSIX_CAP_CTRL, 2, SRC_MSIX);
		}
		vp->virt[prev] = (uint8_t)ptr;
		set_src(vp, prev, 1, SRC_VIRT);
		prev = ptr + 1;
	}
	vp->virt[prev] = 0;
	set_src(vp, prev, 1, SRC_VIRT);
}

/* ---- config accesses ---- */

/* Reads run [off, off + n) of one source into (p). */
static void cfg_read_run(struct vfio_pci *vp, uint32_t off, uint8_t *p,
			 uint32_t n)
{
	uint8_t emu;
	uint16_t ctrl;
	int err;

	switch (vp->src[off]) {
	case SRC_HW:
	case SRC_HW_RO:
	case SRC_CMD:
		err = vfio_device_config_read(vp->dev, off, p, n);
		if (err) {
			vp_error(vp, "config read at %#x: %s", off,
				 strerror(-err));
			memset(p, 0xff, n);
			return;
		}
		if (vp->src[off] == SRC_CMD && off == PCI_COMMAND) {
			/* Memory Space is the emulation's, I/O Space 0. */
			pci_dev_cfg_read(vp->pdev, PCI_COMMAND, &emu, 1);
			p[0] = (uint8_t)((p[0] &
					  ~(CMD_IO | PCI_COMMAND_MEMORY)) |
					 (emu & PCI_COMMAND_MEMORY));
		}
		return;
	case SRC_EMU:
		pci_dev_cfg_read(vp->pdev, off, p, n);
		return;
	case SRC_VIRT:
		memcpy(p, vp->virt + off, n);
		return;
	case SRC_MSIX:
		ctrl = msix_ctrl_read(vp->msix);
		for (uint32_t i = 0; i < n; i++)
			p[i] = (uint8_t)(ctrl >> 8 * (off + i - vp->msix_cap -
						      MSIX_CAP_CTRL));
		return;
	default:
		memset(p, 0, n);
	}
}

/* The command register: Memory Space is the emulation's bookkeeping
 * (it maps the BARs), and the hardware needs it too, or vfio-pci
 * refuses BAR accesses and its mmaps fault with SIGBUS (Linux
 * drivers/vfio/pci/vfio_pci_core.c, vfio_pci_mmap_fault(), and
 * vfio_pci_rdwr.c, __vfio_pci_memory_enabled()). So decode goes on in
 * the hardware before KVM slots point at it, and off after they are
 * gone; if the hardware refuses the write, decode stays off here too.
 * Bus Master and the rest are the hardware's; I/O Space stays 0. */
static void cfg_write_cmd(struct vfio_pci *vp, uint32_t off, const uint8_t *p,
			  uint32_t n)
{
	uint8_t hw[2];
	bool mem_on = off == PCI_COMMAND && (p[0] & PCI_COMMAND_MEMORY);
	int err;

	memcpy(hw, p, n);
	if (off == PCI_COMMAND)
		hw[0] &= (uint8_t)~CMD_IO;
	if (!mem_on)
		pci_dev_cfg_write(vp->pdev, off, p, n);
	err = vfio_device_config_write(vp->dev, off, hw, n);
	if (err)
		vp_error(vp, "command write: %s", strerror(-err));
	if (mem_on && err) {
		/* The hardware may not decode: no slots over it. */
		memcpy(hw, p, n);
		hw[0] &= (uint8_t)~PCI_COMMAND_MEMORY;
		pci_dev_cfg_write(vp->pdev, off, hw, n);
	} else if (mem_on) {
		pci_dev_cfg_write(vp->pdev, off, p, n);
	}
}

/* INTx on or off in the kernel, which takes it only while MSI-X is off
 * (and MSI-X only while INTx is). Lock held. */
static void intx_switch(struct vfio_pci *vp, bool on)
{
	int err;

	if (!vp->intx_pin || vp->intx_on == on)
		return;
	err = on ? vfio_device_set_intx(vp->dev, vp->intx_trigger,
					vp->intx_unmask) :
		   vfio_device_disable_intx(vp->dev);
	if (err)
		vp_error(vp, "INTx %s: %s", on ? "on" : "off", strerror(-err));
	else
		vp->intx_on = on;
}

/*
 * A write to MSI-X's Message Control. The kernel gets every vector's
 * eventfd at once when the guest enables MSI-X: Linux 6.1 cannot grow
 * an enabled set (VFIO_IRQ_INFO_NORESIZE), and an eventfd nobody routes
 * yet only counts. INTx is off while MSI-X is on, as on the hardware.
 * Failures leave msix_on as it was, so the guest's next write of the
 * same bit tries again. Lock held.
 */
static void cfg_write_msix(struct vfio_pci *vp, uint32_t off, const uint8_t *p,
			   uint32_t n)
{
	uint16_t ctrl = msix_ctrl_read(vp->msix);
	bool want;
	int err;

	for (uint32_t i = 0; i < n; i++) {
		unsigned int sh = 8 * (off + i - vp->msix_cap - MSIX_CAP_CTRL);

		ctrl = (uint16_t)((ctrl & ~(0xff << sh)) | p[i] << sh);
	}
	want = ctrl & MSIX_CTRL_ENABLE;
	if (want && !vp->msix_on) {
		/* With INTx still on, the kernel would refuse MSI-X. */
		intx_switch(vp, false);
		err = vp->intx_on ? -EBUSY :
				    vfio_device_set_msix(vp->dev, 0,
							 vp->nr_vectors,
							 vp->efds);
		if (err)
			vp_error(vp, "MSI-X enable: %s", strerror(-err));
		else
			vp->msix_on = true;
	}
	msix_ctrl_write(vp->msix, ctrl);
	if (!want && vp->msix_on) {
		err = vfio_device_disable_msix(vp->dev);
		if (err)
			vp_error(vp, "MSI-X disable: %s", strerror(-err));
		else
			vp->msix_on = false;
	}
	if (!vp->msix_on)
		intx_switch(vp, true);
}

static void cfg_write_run(struct vfio_pci *vp, uint32_t off, const uint8_t *p,
			  uint32_t n)
{
	int err;

	switch (vp->src[off]) {
	case SRC_HW:
		err = vfio_device_config_write(vp->dev, off, p, n);
		if (err)
			vp_error(vp, "config write at %#x: %s", off,
				 strerror(-err));
		return;
	case SRC_EMU:
		pci_dev_cfg_write(vp->pdev, off, p, n);
		return;
	case SRC_CMD:
		cfg_write_cmd(vp, off, p, n);
		return;
	case SRC_MSIX:
		cfg_write_msix(vp, off, p, n);
		return;
	default:
		return; /* read-only */
	}
}

/* Splits (off, len) into runs of one source each. (off, len) lie in one
 * aligned dword, as the bus promises; anything else is refused here
 * too, since a guest's access must never reach past the array. */
static void cfg_access(struct vfio_pci *vp, uint32_t off, uint8_t *data,
		       uint32_t len, bool is_write)
{
	uint32_t i, j;

	if ((len != 1 && len != 2 && len != 4) || off % len ||
	    off >= PCI_CFG_SIZE) {
		if (!is_write)
			memset(data, 0xff, len > 4 ? 4 : len);
		return;
	}
	/* Extended config space (0x100-0xfff) is empty: its capabilities
	 * (AER, SR-IOV, Resizable BAR, ...) would act on the hardware
	 * behind the BARs and MSI-X that ignis emulates, and the device
	 * sits on a conventional bus with no root port to report to. A 0
	 * header at 0x100 ends the guest's walk (PCIe Base 4.0, 7.6.3). */
	if (off >= CFG_STD) {
		if (!is_write)
			memset(data, 0, len);
		return;
	}
	for (i = 0; i < len; i = j) {
		for (j = i + 1; j < len && vp->src[off + j] == vp->src[off + i];
		     j++)
			;
		if (is_write)
			cfg_write_run(vp, off + i, data + i, j - i);
		else
			cfg_read_run(vp, off + i, data + i, j - i);
	}
	/* No list left (all of it was MSI): say so in Status too. */
	if (!is_write && !vp->virt[PCI_CAP_PTR] && off <= PCI_STATUS &&
	    PCI_STATUS < off + len)
		data[PCI_STATUS - off] &= (uint8_t)~PCI_STATUS_CAP_LIST;
}

void vfio_pci_cfg_read(void *ctx, struct pci_dev *d, uint32_t off,
		       uint8_t *data, uint32_t len)
{
	(void)d;
	cfg_access(ctx, off, data, len, false);
}

/* Writes are serialised: the command register must end up the same in
 * the emulation and the hardware, and MSI-X enable with SET_IRQS. */
void vfio_pci_cfg_write(void *ctx, struct pci_dev *d, uint32_t off,
			const uint8_t *data, uint32_t len)
{
	struct vfio_pci *vp = ctx;
	uint8_t buf[4];

	(void)d;
	memcpy(buf, data, len > 4 ? 4 : len);
	pthread_mutex_lock(&vp->lock);
	cfg_access(vp, off, buf, len, true);
	pthread_mutex_unlock(&vp->lock);
}
