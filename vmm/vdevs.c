// SPDX-License-Identifier: Apache-2.0
/* vmm/vdevs.c: a VM's virtio-mmio devices: slots, ioeventfds, irqfds, announcements. */
#include "vdevs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "arch.h"
#include "config.h"
#include "devices/virtio/mmio.h"
#include "kvm.h"
#include "log.h"
#include "size.h"
#include "vm.h"

/* Offset of QueueNotify in the virtio-mmio register file (4.2.2). */
#define VMMIO_QUEUE_NOTIFY 0x50

static int eventfd_kick(int fd)
{
	uint64_t one = 1;

	return write(fd, &one, sizeof(one)) == sizeof(one) ? 0 : -errno;
}

/* A QueueNotify that reached us (a width KVM's ioeventfd did not match):
 * hand it to the device's worker the same way KVM would. */
static void slot_on_notify(void *ctx, struct vdev *d, unsigned int queue)
{
	struct vdev_slot *s = ctx;

	if (queue < s->nr_queues)
		eventfd_kick(s->kick_fds[queue]);
}

/* The device's interrupt: an edge on its GSI through the irqfd, delivered
 * by KVM along the MSI route the IOAPIC keeps for that pin. */
static void slot_irq(void *ctx, uint32_t bits)
{
	struct vdev_slot *s = ctx;

	eventfd_kick(s->irq_fd);
}

static const struct vmmio_hooks slot_hooks = {
	.on_notify = slot_on_notify,
	.irq = slot_irq,
};

int vdevs_reserve(struct vm *vm, unsigned int nr_queues,
		  struct vdev_slot **out)
{
	struct vdevs *v = &vm->vdevs;
	struct vdev_slot *s;
	int err;

	if (v->nr == VDEVS_MAX || !nr_queues || nr_queues > VDEV_MAX_QUEUES) {
		log_error("no room for another virtio device (at most %d)",
			  VDEVS_MAX);
		return -ENOSPC;
	}
	s = &v->slots[v->nr];
	memset(s, 0, sizeof(*s));
	s->vm = vm;
	s->irq_fd = -1;
	for (unsigned int q = 0; q < VDEV_MAX_QUEUES; q++)
		s->kick_fds[q] = -1;
	v->nr++;	/* from here vdevs_destroy() cleans the slot up */

	err = arch_virtio_mmio_slot(v->nr - 1, &s->base, &s->gsi);
	if (err) {
		log_error("no MMIO window or interrupt for virtio device %u",
			  v->nr - 1);
		return err;
	}
	for (unsigned int q = 0; q < nr_queues; q++) {
		struct kvm_ioeventfd io = {
			.datamatch = q,
			.addr = s->base + VMMIO_QUEUE_NOTIFY,
			.len = 4,
			.flags = KVM_IOEVENTFD_FLAG_DATAMATCH,
		};

		s->kick_fds[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (s->kick_fds[q] < 0) {
			err = -errno;
			goto err_log;
		}
		s->nr_queues = q + 1;
		io.fd = s->kick_fds[q];
		err = kvm_ioctl(vm->kvm.vm_fd, KVM_IOEVENTFD, &io);
		if (err < 0)
			goto err_log;
	}
	s->irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->irq_fd < 0) {
		err = -errno;
		goto err_log;
	}
	err = kvm_ioctl(vm->kvm.vm_fd, KVM_IRQFD, &(struct kvm_irqfd){
		.fd = (uint32_t)s->irq_fd, .gsi = s->gsi });
	if (err < 0)
		goto err_log;
	*out = s;
	return 0;

err_log:
	log_error("cannot wire virtio device %u to KVM: %s", v->nr - 1,
		  strerror(-err));
	return err;
}

int vdevs_attach(struct vdev_slot *s, struct vdev *dev,
		 void (*destroy)(struct vdev *d))
{
	int err;

	s->dev = dev;
	s->destroy = destroy;
	if (dev->metrics)
		metrics_register(dev->metrics);
	err = vmmio_create(dev, &slot_hooks, s, &s->mmio);
	if (err) {
		log_error("virtio %s: cannot create its transport: %s",
			  dev->ops->name, strerror(-err));
		return err;
	}
	err = bus_add(&s->vm->mmio, &(struct bus_range){
		.base = s->base, .len = VMMIO_SIZE, .access = vmmio_access,
		.ctx = s->mmio, .name = dev->ops->name });
	if (err)
		log_error("virtio %s: cannot map it at 0x%llx: %s",
			  dev->ops->name, (unsigned long long)s->base,
			  strerror(-err));
	return err;
}

int vdevs_cmdline_append(const struct vdevs *v, char *buf, size_t size)
{
	for (unsigned int i = 0; i < v->nr; i++) {
		size_t len = strlen(buf);
		int n;

		if (v->slots[i].translated || v->slots[i].is_iommu)
			continue;

		if (len + 1 >= size)
			return -E2BIG;
		buf[len++] = ' ';
		buf[len] = '\0';
		n = vmmio_cmdline(buf + len, size - len, v->slots[i].base,
				  v->slots[i].gsi);
		if (n < 0)
			return -E2BIG;
	}
	return 0;
}

void vdevs_destroy(struct vdevs *v)
{
	for (unsigned int i = 0; i < v->nr; i++) {
		struct vdev_slot *s = &v->slots[i];

		/* The transport resets the device, which stops its worker,
		 * before the device and the eventfds it reads go away. */
		vmmio_destroy(s->mmio);
		if (s->dev && s->dev->metrics)
			metrics_unregister(s->dev->metrics);
		if (s->destroy && s->dev)
			s->destroy(s->dev);
		for (unsigned int q = 0; q < s->nr_queues; q++)
			if (s->kick_fds[q] >= 0)
				close(s->kick_fds[q]);
		if (s->irq_fd >= 0)
			close(s->irq_fd);
	}
	v->nr = 0;
}

/* "" or "iommu=on|off" (--rng=iommu=off) */
static int set_rng(struct vm_config *cfg, const char *v, char *why,
		   size_t len)
{
	struct cli_kv kv;
	bool iommu = true;
	int ret = 0;

	if (config_check_flag(cfg, why, len))
		return -EINVAL;
	if (v && !*v)
		ret = -EINVAL;	/* "--rng=" */
	while (v && ret == 0 && (ret = cli_kv_next(&v, &kv)) > 0) {
		ret = cli_kv_is(&kv, "iommu") && !cli_kv_switch(&kv, &iommu) ?
			      0 : -EINVAL;
	}
	if (ret) {
		snprintf(why, len, "expected --rng or --rng=iommu=off");
		return -EINVAL;
	}
	cfg->rng = true;
	cfg->rng_iommu = iommu;
	return 0;
}

/* "path=IMG[,readonly=on|off][,direct=on|off][,id=STR]" */
static int set_disk(struct vm_config *cfg, const char *v, char *why,
		    size_t len)
{
	struct disk_config d = { .iommu = true };
	struct cli_kv kv;
	const char *s = v;
	int ret;

	if (config_check_flag(cfg, why, len))
		return -EINVAL;
	if (cfg->nr_disks == CONFIG_MAX_DISKS) {
		snprintf(why, len, "at most %d disks", CONFIG_MAX_DISKS);
		return -E2BIG;
	}
	while ((ret = cli_kv_next(&s, &kv)) > 0) {
		char **field = NULL;

		if (cli_kv_is(&kv, "path"))
			field = &d.path;
		else if (cli_kv_is(&kv, "id"))
			field = &d.id;
		if (field) {
			if (*field) {
				snprintf(why, len, "%.*s given twice",
					 (int)kv.key_len, kv.key);
				ret = -EINVAL;
				break;
			}
			*field = cli_kv_value(&kv);
			if (!*field) {
				ret = -ENOMEM;
				break;
			}
			continue;
		}
		if ((cli_kv_is(&kv, "readonly") &&
		     !cli_kv_switch(&kv, &d.read_only)) ||
		    (cli_kv_is(&kv, "direct") &&
		     !cli_kv_switch(&kv, &d.direct)) ||
		    (cli_kv_is(&kv, "iommu") &&
		     !cli_kv_switch(&kv, &d.iommu)))
			continue;
		snprintf(why, len, "unknown or bad item '%.*s=%.*s' (expected "
			 "path=IMG[,readonly=on][,direct=on][,id=STR]"
			 "[,iommu=off])",
			 (int)kv.key_len, kv.key, (int)kv.val_len, kv.val);
		ret = -EINVAL;
		break;
	}
	if (ret == -EINVAL && !why[0])
		snprintf(why, len, "expected path=IMG[,readonly=on]"
			 "[,direct=on][,id=STR][,iommu=off]");
	if (!ret && !d.path) {
		snprintf(why, len, "path=IMG is required");
		ret = -EINVAL;
	}
	if (!ret && d.id && strlen(d.id) > CONFIG_DISK_ID_MAX) {
		snprintf(why, len, "id is at most %d bytes",
			 CONFIG_DISK_ID_MAX);
		ret = -EINVAL;
	}
	if (ret) {
		free(d.path);
		free(d.id);
		return ret;
	}
	cfg->disks[cfg->nr_disks++] = d;
	return 0;
}

/* "tap=NAME[,mac=MAC][,iommu=on|off]" */
static int set_net(struct vm_config *cfg, const char *v, char *why,
		   size_t len)
{
	struct net_config n = { .iommu = true };
	struct cli_kv kv;
	const char *s = v;
	int ret;

	if (config_check_flag(cfg, why, len))
		return -EINVAL;
	if (cfg->nr_nets == CONFIG_MAX_NETS) {
		snprintf(why, len, "at most %d network interfaces",
			 CONFIG_MAX_NETS);
		return -E2BIG;
	}
	while ((ret = cli_kv_next(&s, &kv)) > 0) {
		if (cli_kv_is(&kv, "tap") && !n.tap) {
			if (!config_tap_name_ok(kv.val, kv.val_len)) {
				snprintf(why, len, "a tap name is 1 to %d "
					 "characters, no '/', '%%', ':' or "
					 "spaces",
					 CONFIG_TAP_NAME_MAX);
				ret = -EINVAL;
				break;
			}
			n.tap = cli_kv_value(&kv);
			if (!n.tap) {
				ret = -ENOMEM;
				break;
			}
			continue;
		}
		if (cli_kv_is(&kv, "mac") && !n.has_mac) {
			if (config_mac_parse(kv.val, kv.val_len, n.mac)) {
				snprintf(why, len, "mac must be a unicast "
					 "address such as 06:00:ac:10:00:02");
				ret = -EINVAL;
				break;
			}
			n.has_mac = true;
			continue;
		}
		if (cli_kv_is(&kv, "iommu") && !cli_kv_switch(&kv, &n.iommu))
			continue;
		snprintf(why, len, "unknown or repeated item '%.*s' (expected "
			 "tap=NAME[,mac=MAC][,iommu=off])", (int)kv.key_len,
			 kv.key);
		ret = -EINVAL;
		break;
	}
	if (ret == -EINVAL && !why[0])
		snprintf(why, len, "expected tap=NAME[,mac=MAC][,iommu=off]");
	if (!ret && !n.tap) {
		snprintf(why, len, "tap=NAME is required");
		ret = -EINVAL;
	}
	if (ret) {
		free(n.tap);
		return ret;
	}
	cfg->nets[cfg->nr_nets++] = n;
	return 0;
}

/* "cid=N,uds=PATH[,iommu=on|off]" */
static int set_vsock(struct vm_config *cfg, const char *v, char *why,
		     size_t len)
{
	struct vsock_config vs = { .iommu = true };
	bool has_cid = false;
	struct cli_kv kv;
	const char *s = v;
	uint64_t cid;
	char *num;
	int ret;

	if (config_check_flag(cfg, why, len))
		return -EINVAL;
	while ((ret = cli_kv_next(&s, &kv)) > 0) {
		if (cli_kv_is(&kv, "cid") && !has_cid) {
			num = cli_kv_value(&kv);
			ret = num ? uint_parse(num, CONFIG_VSOCK_CID_MIN,
					       CONFIG_VSOCK_CID_MAX, &cid) :
				    -ENOMEM;
			free(num);
			if (ret == -ENOMEM)
				break;
			if (ret) {
				snprintf(why, len, "cid must be %u to %u (0, "
					 "1, 2 and 4294967295 are reserved)",
					 CONFIG_VSOCK_CID_MIN,
					 CONFIG_VSOCK_CID_MAX);
				ret = -EINVAL;
				break;
			}
			vs.cid = (uint32_t)cid;
			has_cid = true;
			continue;
		}
		if (cli_kv_is(&kv, "uds") && !vs.uds_path) {
			if (!config_vsock_path_ok(kv.val, kv.val_len)) {
				snprintf(why, len, "uds must be a path of 1 to "
					 "%d bytes", CONFIG_VSOCK_PATH_MAX);
				ret = -EINVAL;
				break;
			}
			vs.uds_path = cli_kv_value(&kv);
			if (!vs.uds_path) {
				ret = -ENOMEM;
				break;
			}
			continue;
		}
		if (cli_kv_is(&kv, "iommu") && !cli_kv_switch(&kv, &vs.iommu))
			continue;
		snprintf(why, len, "unknown or repeated item '%.*s' (expected "
			 "cid=N,uds=PATH[,iommu=off])", (int)kv.key_len,
			 kv.key);
		ret = -EINVAL;
		break;
	}
	if (ret == -EINVAL && !why[0])
		snprintf(why, len, "expected cid=N,uds=PATH[,iommu=off]");
	if (!ret && (!has_cid || !vs.uds_path)) {
		snprintf(why, len, "cid=N and uds=PATH are required");
		ret = -EINVAL;
	}
	if (ret) {
		free(vs.uds_path);
		return ret;
	}
	cfg->vsock = vs;
	return 0;
}

static int set_iommu(struct vm_config *cfg, const char *v, char *why,
		     size_t len)
{
	if (config_check_flag(cfg, why, len))
		return -EINVAL;
	cfg->iommu = true;
	return 0;
}

static int set_iommu_poll_us(struct vm_config *cfg, const char *v, char *why,
			     size_t len)
{
	uint64_t us;
	int err = uint_parse(v, 0, CONFIG_MAX_POLL_US, &us);

	if (config_check_flag(cfg, why, len))
		return -EINVAL;
	if (err) {
		snprintf(why, len, "expected microseconds from 0 to %d",
			 CONFIG_MAX_POLL_US);
		return err;
	}
	cfg->iommu_poll_us = (unsigned int)us;
	return 0;
}

static int set_no_cmdline_devices(struct vm_config *cfg, const char *v,
				  char *why, size_t len)
{
	if (config_check_flag(cfg, why, len))
		return -EINVAL;
	cfg->no_cmdline_devices = true;
	return 0;
}

static const struct cli_option vdevs_options[] = {
	{ "disk", "path=IMG[,readonly=on][,direct=on][,id=STR][,iommu=off]",
	  "a virtio-blk disk on a raw image (repeatable)", true, set_disk },
	{ "net", "tap=NAME[,mac=MAC][,iommu=off]",
	  "a virtio-net interface on a tap, made if missing (repeatable)", true,
	  set_net },
	{ "vsock", "cid=N,uds=PATH[,iommu=off]",
	  "a virtio-vsock device on Firecracker's Unix sockets: PATH for "
	  "host-initiated, PATH_<port> for guest-initiated connections",
	  false, set_vsock },
	{ "rng", "[=iommu=off]", "a virtio-rng device (entropy from the host)",
	  false, set_rng },
	{ "iommu", NULL,
	  "a virtio-iommu with every other virtio device behind it (a "
	  "device's iommu=off exempts it)", false,
	  set_iommu },
	{ "iommu-poll-us", "US",
	  "how long the iommu polls for the next request before it sleeps "
	  "(0: wait for notifications; default 50)", false, set_iommu_poll_us },
	{ "no-cmdline-devices", NULL,
	  "announce virtio devices in ACPI only, not as virtio_mmio.device=",
	  false, set_no_cmdline_devices },
};

const struct cli_group vdevs_cli_group = {
	.title = "Devices",
	.options = vdevs_options,
	.nr_options = sizeof(vdevs_options) / sizeof(vdevs_options[0]),
};
