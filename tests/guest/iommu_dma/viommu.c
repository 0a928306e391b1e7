// SPDX-License-Identifier: Apache-2.0
/* tests/guest/iommu_dma/viommu.c: a polling virtio-iommu driver (5.13). */
#include "viommu.h"

#include "rt.h"

/* Request types (5.13.6) and the status that means success. */
#define T_ATTACH	1
#define T_MAP		3
#define T_UNMAP		4
#define T_PROBE		5
#define S_OK		0

/* Property types (5.13.6.8): the low 12 bits of the first le16. */
#define PROBE_T_NONE	0
#define PROBE_T_RESV_MEM 1
#define PROBE_T_MASK	0x0fffu

/* virtio_iommu_config offsets (5.13.4). */
#define CFG_PAGE_SIZE_MASK	0
#define CFG_INPUT_START		8
#define CFG_INPUT_END		16
#define CFG_DOMAIN_START	24
#define CFG_DOMAIN_END		28
#define CFG_PROBE_SIZE		32
#define CFG_BYPASS		36

#define VRING_USED_F_NO_NOTIFY	1	/* 2.7.10 */

#define REQ_QSIZE	16
#define EVT_QSIZE	8
_Static_assert(VIOMMU_NR_EVENTS <= EVT_QSIZE, "one descriptor per event");

/* A bound on config generation retries: a device that keeps changing
 * its configuration is broken, not slow. */
#define CFG_RETRIES	16

struct req_head {
	uint8_t type;		/* T_* */
	uint8_t reserved[3];	/* zero */
};

struct req_tail {
	uint8_t status;		/* VIRTIO_IOMMU_S_*, device-written */
	uint8_t reserved[3];	/* ignored */
};

struct req_attach {
	struct req_head head;	/* T_ATTACH */
	uint32_t domain;	/* created on first attach */
	uint32_t endpoint;	/* the endpoint id (here: slot index) */
	uint32_t flags;		/* ATTACH_F_BYPASS or 0 */
	uint8_t reserved[4];	/* zero: the device MUST refuse others */
	struct req_tail tail;	/* device-writable */
};
_Static_assert(sizeof(struct req_attach) == 24, "virtio_iommu_req_attach");

struct req_map {
	struct req_head head;	/* T_MAP */
	uint32_t domain;	/* target domain */
	uint64_t virt_start;	/* first IOVA */
	uint64_t virt_end;	/* last IOVA (inclusive) */
	uint64_t phys_start;	/* guest-physical address of virt_start */
	uint32_t flags;		/* VIOMMU_MAP_F_* */
	struct req_tail tail;	/* device-writable */
};
_Static_assert(sizeof(struct req_map) == 40, "virtio_iommu_req_map");

struct req_unmap {
	struct req_head head;	/* T_UNMAP */
	uint32_t domain;	/* target domain */
	uint64_t virt_start;	/* first IOVA */
	uint64_t virt_end;	/* last IOVA (inclusive) */
	uint8_t reserved[4];	/* zero */
	struct req_tail tail;	/* device-writable */
};
_Static_assert(sizeof(struct req_unmap) == 32, "virtio_iommu_req_unmap");

/* The device-readable part of a PROBE; properties[probe_size] and the
 * tail follow in a device-writable buffer. */
struct req_probe {
	struct req_head head;	/* T_PROBE */
	uint32_t endpoint;	/* endpoint probed */
	uint8_t reserved[64];	/* zero */
};
_Static_assert(sizeof(struct req_probe) == 72, "virtio_iommu_req_probe");

/* Largest probe_size this driver takes. */
#define PROBE_MAX	4096

/* Request buffers and rings: one device per guest, one request at a
 * time, so one of each. */
static struct vio_ring req_ring, evt_ring;
static union {
	struct req_attach attach;
	struct req_map map;
	struct req_unmap unmap;
	struct req_probe probe;
} req __attribute__((aligned(64)));
static uint8_t probe_out[PROBE_MAX + sizeof(struct req_tail)]
	__attribute__((aligned(64)));
static uint8_t events[VIOMMU_NR_EVENTS][VIOMMU_EVENT_LEN]
	__attribute__((aligned(64)));

void viommu_kick(const struct vio_dev *d, struct vio_queue *q, uint64_t *sent,
		 uint64_t *saved)
{
	/*
	 * 2.7.10, without VIRTIO_F_EVENT_IDX: "If flags is 1, the driver
	 * SHOULD NOT send a notification. If flags is 0, the driver MUST
	 * send a notification." Read after the avail idx store: vio_add()
	 * ends with an mfence, which pairs with the device's barrier
	 * between clearing the flag and its last look at avail idx.
	 */
	if (*(volatile uint16_t *)&q->r->used.flags & VRING_USED_F_NO_NOTIFY) {
		if (saved)
			(*saved)++;
		return;
	}
	vio_notify(d, q);
	if (sent)
		(*sent)++;
}

uint64_t viommu_config64(const struct vio_dev *d, uint32_t off)
{
	uint32_t gen, lo = 0, hi = 0;

	for (unsigned int i = 0; i < CFG_RETRIES; i++) {
		gen = vio_read32(d, VIO_R_CONFIG_GEN);
		lo = vio_config32(d, off);
		hi = vio_config32(d, off + 4);
		if (vio_read32(d, VIO_R_CONFIG_GEN) == gen)
			break;
	}
	return lo | (uint64_t)hi << 32;
}

/* 4.2.2.2: "For the device-specific configuration space, the driver
 * MUST use 8 bit wide accesses for 8 bit wide fields". */
static uint8_t config8(const struct vio_dev *d, uint32_t off)
{
	return *(volatile uint8_t *)(uintptr_t)(d->base + VIO_R_CONFIG + off);
}

static void say_range(const struct vio_dev *d, const char *what, uint64_t a,
		      uint64_t b)
{
	rt_puts(d->name);
	rt_puts(": ");
	rt_puts(what);
	rt_puts(" 0x");
	rt_put_hex(a, 0);
	rt_puts("-0x");
	rt_put_hex(b, 0);
	rt_putc('\n');
}

static uint64_t offered_features(const struct vio_dev *d)
{
	uint64_t f;

	vio_write32(d, VIO_R_DEV_FEATURES_SEL, 0);
	f = vio_read32(d, VIO_R_DEV_FEATURES);
	vio_write32(d, VIO_R_DEV_FEATURES_SEL, 1);
	return f | (uint64_t)vio_read32(d, VIO_R_DEV_FEATURES) << 32;
}

static void read_config(struct viommu *v)
{
	const struct vio_dev *d = &v->dev;
	uint64_t f = d->features;

	v->page_size_mask = viommu_config64(d, CFG_PAGE_SIZE_MASK);
	v->input_start = 0;
	v->input_end = ~0ULL;
	if (f & VIOMMU_F_INPUT_RANGE) {
		v->input_start = viommu_config64(d, CFG_INPUT_START);
		v->input_end = viommu_config64(d, CFG_INPUT_END);
	}
	v->domain_start = 0;
	v->domain_end = ~0u;
	if (f & VIOMMU_F_DOMAIN_RANGE) {
		v->domain_start = vio_config32(d, CFG_DOMAIN_START);
		v->domain_end = vio_config32(d, CFG_DOMAIN_END);
	}
	v->probe_size = vio_config32(d, CFG_PROBE_SIZE);
	v->bypass = config8(d, CFG_BYPASS);
	rt_puts(d->name);
	rt_puts(": page_size_mask 0x");
	rt_put_hex(v->page_size_mask, 16);
	rt_putc('\n');
	say_range(d, "input_range", v->input_start, v->input_end);
	say_range(d, "domain_range", v->domain_start, v->domain_end);
	vio_say_dec(d, "probe_size", v->probe_size);
	vio_say_dec(d, "bypass", v->bypass);
}

int viommu_init(struct viommu *v, uint64_t base, const char *name)
{
	const uint64_t need = VIOMMU_F_MAP_UNMAP | VIOMMU_F_PROBE |
			      VIOMMU_F_BYPASS_CONFIG;
	uint64_t offered;

	memset(v, 0, sizeof(*v));
	if (vio_probe(&v->dev, base, VIOMMU_DEVICE_ID, name) ||
	    vio_negotiate(&v->dev, need | VIOMMU_F_INPUT_RANGE |
					   VIOMMU_F_DOMAIN_RANGE))
		return -1;
	offered = offered_features(&v->dev);
	if ((v->dev.features & need) != need) {
		vio_fail(&v->dev, "MAP_UNMAP, PROBE or BYPASS_CONFIG missing");
		return -1;
	}
	/* 5.13.3.2: "Devices SHOULD NOT offer both VIRTIO_IOMMU_F_BYPASS
	 * and VIRTIO_IOMMU_F_BYPASS_CONFIG." */
	if (offered & VIOMMU_F_BYPASS) {
		vio_fail(&v->dev, "offers both BYPASS and BYPASS_CONFIG");
		return -1;
	}
	read_config(v);
	/* 5.13.4.2: "The device MUST set at least one bit in
	 * page_size_mask"; the device MUST NOT present a bypass other than
	 * 0 or 1. */
	if (!v->page_size_mask || v->bypass > 1 ||
	    v->probe_size > PROBE_MAX || v->input_start > v->input_end ||
	    v->domain_start > v->domain_end) {
		vio_fail(&v->dev, "bad configuration");
		return -1;
	}
	if (vio_queue_setup(&v->dev, &v->req, 0, REQ_QSIZE, &req_ring) ||
	    vio_queue_setup(&v->dev, &v->evt, 1, EVT_QSIZE, &evt_ring) ||
	    vio_driver_ok(&v->dev))
		return -1;
	/* 5.13.6.9: "The driver initially populates the queue with
	 * device-writeable buffers." Descriptor i is event buffer i. */
	for (uint16_t i = 0; i < VIOMMU_NR_EVENTS; i++) {
		const struct vio_buf b = { events[i], VIOMMU_EVENT_LEN,
					   VIO_DESC_F_WRITE };

		vio_add(&v->evt, i, &b, 1);
	}
	viommu_kick(&v->dev, &v->evt, 0, 0);
	return 0;
}

/*
 * Sends the request at (rd) (device-readable, rd_len bytes) with its
 * device-writable part (wr, wr_len), waits for it: 0 with the used
 * length in (*used), or -1 when it never came back.
 */
static int send(struct viommu *v, const void *rd, uint32_t rd_len, void *wr,
		uint32_t wr_len, uint32_t *used)
{
	const struct vio_buf b[2] = {
		{ rd, rd_len, 0 },
		{ wr, wr_len, VIO_DESC_F_WRITE },
	};
	uint32_t id;

	vio_add(&v->req, 0, b, 2);
	viommu_kick(&v->dev, &v->req, &v->kicks, &v->kicks_saved);
	if (vio_wait(&v->req, &id, used) || id != 0)
		return -1;
	return 0;
}

/*
 * The loud ending of a request named (what): 0 if it came back (rc 0),
 * written (used > 0) and with status OK; else prints why and -1.
 */
static int check(struct viommu *v, const char *what, int rc, uint32_t used,
		 uint8_t status)
{
	vio_ack_irq(&v->dev);
	rt_puts(v->dev.name);
	rt_puts(": ");
	rt_puts(what);
	if (rc) {
		rt_puts(": no answer\n");
		return -1;
	}
	/* 5.13.6.2: "When a device uses a buffer without having written to
	 * it (i.e. used length is zero), the driver SHOULD interpret it as
	 * a request failure." */
	if (!used) {
		rt_puts(": returned unwritten (used length 0)\n");
		return -1;
	}
	if (status != S_OK) {
		rt_puts(": status ");
		rt_put_dec(status);
		rt_putc('\n');
		return -1;
	}
	rt_puts(" done\n");
	return 0;
}

static void fill_map(uint32_t domain, uint64_t iova, uint64_t gpa,
		     uint64_t size, uint32_t flags)
{
	memset(&req.map, 0, sizeof(req.map));
	req.map.head.type = T_MAP;
	req.map.domain = domain;
	req.map.virt_start = iova;
	req.map.virt_end = iova + size - 1;
	req.map.phys_start = gpa;
	req.map.flags = flags;
	req.map.tail.status = 0xff;
}

static void fill_unmap(uint32_t domain, uint64_t iova, uint64_t size)
{
	memset(&req.unmap, 0, sizeof(req.unmap));
	req.unmap.head.type = T_UNMAP;
	req.unmap.domain = domain;
	req.unmap.virt_start = iova;
	req.unmap.virt_end = iova + size - 1;
	req.unmap.tail.status = 0xff;
}

int viommu_map_quiet(struct viommu *v, uint32_t domain, uint64_t iova,
		     uint64_t gpa, uint64_t size, uint32_t flags)
{
	uint32_t used;

	fill_map(domain, iova, gpa, size, flags);
	if (send(v, &req.map, sizeof(req.map) - sizeof(struct req_tail),
		 &req.map.tail, sizeof(struct req_tail), &used) ||
	    !used)
		return -1;
	return *(volatile uint8_t *)&req.map.tail.status;
}

int viommu_unmap_quiet(struct viommu *v, uint32_t domain, uint64_t iova,
		       uint64_t size)
{
	uint32_t used;

	fill_unmap(domain, iova, size);
	if (send(v, &req.unmap, sizeof(req.unmap) - sizeof(struct req_tail),
		 &req.unmap.tail, sizeof(struct req_tail), &used) ||
	    !used)
		return -1;
	return *(volatile uint8_t *)&req.unmap.tail.status;
}

int viommu_attach(struct viommu *v, uint32_t domain, uint32_t endpoint)
{
	uint32_t used = 0;
	int rc;

	memset(&req.attach, 0, sizeof(req.attach));
	req.attach.head.type = T_ATTACH;
	req.attach.domain = domain;
	req.attach.endpoint = endpoint;
	req.attach.tail.status = 0xff;
	rc = send(v, &req.attach,
		  sizeof(req.attach) - sizeof(struct req_tail),
		  &req.attach.tail, sizeof(struct req_tail), &used);
	return check(v, "attach", rc, used,
		     *(volatile uint8_t *)&req.attach.tail.status);
}

int viommu_map(struct viommu *v, uint32_t domain, uint64_t iova, uint64_t gpa,
	       uint64_t size, uint32_t flags)
{
	uint32_t used = 0;
	int rc;

	fill_map(domain, iova, gpa, size, flags);
	rc = send(v, &req.map, sizeof(req.map) - sizeof(struct req_tail),
		  &req.map.tail, sizeof(struct req_tail), &used);
	return check(v, "map", rc, used,
		     *(volatile uint8_t *)&req.map.tail.status);
}

int viommu_unmap(struct viommu *v, uint32_t domain, uint64_t iova,
		 uint64_t size)
{
	uint32_t used = 0;
	int rc;

	fill_unmap(domain, iova, size);
	rc = send(v, &req.unmap, sizeof(req.unmap) - sizeof(struct req_tail),
		  &req.unmap.tail, sizeof(struct req_tail), &used);
	return check(v, "unmap", rc, used,
		     *(volatile uint8_t *)&req.unmap.tail.status);
}

/*
 * Walks the properties a PROBE returned (5.13.6.8): "The driver parses
 * all properties until it reaches an empty property (type is 0) or the
 * end of properties", each "(length + 4) bytes after the beginning" of
 * the one before. Returns the number of RESV_MEM properties, or -1.
 */
static int parse_props(struct viommu *v, const uint8_t *p, uint32_t size,
		       struct viommu_resv *out, unsigned int max)
{
	uint32_t off = 0;
	int n = 0;

	while (off + 4 <= size) {
		uint16_t word = rt_le16(p + off);
		uint16_t type = word & PROBE_T_MASK;
		uint16_t len = rt_le16(p + off + 2);
		const uint8_t *val = p + off + 4;

		if (type == PROBE_T_NONE)
			break;
		if (len > size - off - 4) {
			vio_say_dec(&v->dev, "probe: property overruns at",
				    off);
			return -1;
		}
		/* "The driver MUST ignore a property whose reserved field
		 * is not zero"; unknown types are ignored too. */
		if (!(word & ~PROBE_T_MASK) && type == PROBE_T_RESV_MEM) {
			/* subtype, reserved[3], start, end */
			if (len < 20) {
				vio_say_dec(&v->dev,
					    "probe: short RESV_MEM, length",
					    len);
				return -1;
			}
			if ((unsigned int)n < max) {
				out[n].subtype = val[0];
				out[n].start = rt_le64(val + 4);
				out[n].end = rt_le64(val + 12);
				if (out[n].start > out[n].end) {
					vio_say(&v->dev,
						"probe: RESV_MEM start > end");
					return -1;
				}
			}
			n++;
		}
		off += 4u + len;
	}
	return n;
}

int viommu_probe(struct viommu *v, uint32_t endpoint, struct viommu_resv *out,
		 unsigned int max)
{
	struct req_tail *tail = (struct req_tail *)&probe_out[v->probe_size];
	uint32_t used = 0;
	int rc;

	memset(&req.probe, 0, sizeof(req.probe));
	req.probe.head.type = T_PROBE;
	req.probe.endpoint = endpoint;
	/* Not zero: a device that leaves the list unterminated shows. */
	memset(probe_out, 0xee, sizeof(probe_out));
	tail->status = 0xff;
	/* 5.13.6.8.1: "The size of properties MUST be probe_size bytes." */
	rc = send(v, &req.probe, sizeof(req.probe), probe_out,
		  v->probe_size + (uint32_t)sizeof(*tail), &used);
	if (check(v, "probe", rc, used, *(volatile uint8_t *)&tail->status))
		return -1;
	return parse_props(v, probe_out, v->probe_size, out, max);
}

int viommu_next_event(struct viommu *v, uint64_t tsc, struct viommu_fault *f)
{
	uint32_t id, len;
	int rc = 1;

	if (vio_wait_tsc(&v->evt, tsc, &id, &len))
		return 0;
	if (id >= VIOMMU_NR_EVENTS) {
		vio_say_dec(&v->dev, "event: bad used id", id);
		return -1;
	}
	if (len < sizeof(*f) || len > VIOMMU_EVENT_LEN) {
		vio_say_dec(&v->dev, "event: used length", len);
		rc = -1;
	} else {
		memcpy(f, events[id], sizeof(*f));
	}
	/* "The driver consumes the report and adds a new buffer." */
	{
		const struct vio_buf b = { events[id], VIOMMU_EVENT_LEN,
					   VIO_DESC_F_WRITE };

		memset(events[id], 0, VIOMMU_EVENT_LEN);
		vio_add(&v->evt, (uint16_t)id, &b, 1);
		viommu_kick(&v->dev, &v->evt, 0, 0);
	}
	return rc;
}
