// SPDX-License-Identifier: Apache-2.0
/*
 * tests/guest/virtio_iommu/virtio_iommu.c: a polling virtio-iommu driver
 * (virtio 1.2/1.3, 5.13) on the guest virtio core: checks, then timing.c.
 *
 * Finds the iommu among ignis's eight virtio-mmio slots (device id 23),
 * negotiates every feature it knows and is offered, sets up requestq (16
 * entries) and eventq (8 entries, 8 fault-report buffers posted), prints
 * the configuration space, then sends one request per check and prints
 * "virtio_iommu: NAME ok" or "virtio_iommu: NAME FAILED detail". The
 * statuses expected are ignis's choices where the spec leaves one open
 * (devices/iommu/viommu_req.c, viommu_ops.c): an overlapping MAP and a
 * MAP into a reserved region are INVAL, a splitting UNMAP is RANGE, an
 * UNMAP over nothing is OK, a request too short for its head is IOERR.
 *
 * Then the timing loop and the MMIO-exit yardstick (timing.c), and
 * "virtio_iommu: done N ok M failed". The word "bench" on the command
 * line makes the yardstick as long as the loop and adds every percentile
 * of each series (benches/iommu_bench.sh).
 * Requests go one at a time, as Linux's driver sends them (it waits for
 * each: __viommu_sync_req). Like Linux's requestq, which has no callback,
 * this one asks for no interrupts; kicks are sent only when the device
 * asks for them (EVENT_IDX's avail_event, 2.7.10). Nothing here needs the
 * rng: any device in front of the iommu makes it an endpoint (id 0).
 */
#include "cmdline.h"
#include "iommu.h"
#include "rt.h"
#include "vio.h"

#define NR_SLOTS	8
#define RQ_SIZE		16
#define EQ_SIZE		8
#define MAX_PROBE	4096	/* largest probe_size handled */

/* Every feature the driver knows (5.13.3). */
#define WANT (VIOMMU_F_INPUT_RANGE | VIOMMU_F_DOMAIN_RANGE | \
	      VIOMMU_F_MAP_UNMAP | VIOMMU_F_PROBE | VIOMMU_F_BYPASS_CONFIG | \
	      VIO_F_INDIRECT_DESC | VIO_F_EVENT_IDX)

#define AVAIL_F_NO_INTERRUPT	1
#define USED_F_NO_NOTIFY	1

#define IOVA		0x100000000ULL	/* the checks' mapping */

struct vio_dev iommu_dev;
unsigned int iommu_kicks;
static struct vio_queue rq, eq;
static struct vio_ring rq_ring, eq_ring;
static uint8_t events[EQ_SIZE][VIOMMU_FAULT_LEN] __attribute__((aligned(8)));
static uint8_t target[8192] __attribute__((aligned(4096)));
static uint8_t probe_out[MAX_PROBE + sizeof(struct viommu_req_tail)]
	__attribute__((aligned(8)));
static struct viommu_req_tail tail;
static unsigned int nr_ok, nr_failed;
static int broken;	/* a request timed out: the queue is unusable */

static const char *const status_names[] = {
	"OK", "IOERR", "UNSUPP", "DEVERR", "INVAL", "RANGE", "NOENT", "FAULT",
	"NOMEM",
};

static void put_status(unsigned int s)
{
	if (s < sizeof(status_names) / sizeof(status_names[0])) {
		rt_puts(status_names[s]);
	} else {
		rt_puts("0x");
		rt_put_hex(s, 2);
	}
}

void iommu_ok(const char *name)
{
	rt_puts("virtio_iommu: ");
	rt_puts(name);
	rt_puts(" ok\n");
	nr_ok++;
}

/* Starts "virtio_iommu: NAME FAILED "; the caller ends the line. */
static void fail_begin(const char *name)
{
	rt_puts("virtio_iommu: ");
	rt_puts(name);
	rt_puts(" FAILED ");
	nr_failed++;
}

void iommu_failed(const char *name, const char *why, uint64_t v)
{
	fail_begin(name);
	rt_puts(why);
	rt_puts(" 0x");
	rt_put_hex(v, 0);
	rt_putc('\n');
}

/* Where EVENT_IDX keeps used_event and avail_event for a queue of
 * q->size entries (2.7.6, 2.7.8): after the rings' q->size entries, not
 * after the VIO_QMAX that struct vio_ring has room for. */
static volatile uint16_t *used_event(const struct vio_queue *q)
{
	return &q->r->avail.ring[q->size];
}

static volatile uint16_t *avail_event(const struct vio_queue *q)
{
	return (volatile uint16_t *)&q->r->used.ring[q->size];
}

/* Whether the device wants a kick for avail entries old..new-1 (2.7.10;
 * Linux virtqueue_kick_prepare_split). vio_add() ended with a full
 * barrier between the avail->idx store and this read. */
static int need_kick(const struct vio_queue *q, uint16_t old)
{
	uint16_t now = q->avail_idx;

	if (iommu_dev.features & VIO_F_EVENT_IDX)
		return (uint16_t)(now - *avail_event(q) - 1) <
		       (uint16_t)(now - old);
	return !(*(volatile uint16_t *)&q->r->used.flags & USED_F_NO_NOTIFY);
}

/*
 * One request: (rdlen) device-readable bytes at (rd), (wrlen) writable at
 * (wr), in two descriptors. Waits for its used entry: 0 with its used
 * length in (*used) and the TSC ticks from avail to used in (*ticks), or
 * -1 (timeout, or an entry for another chain: the queue is then broken).
 */
static int submit(const void *rd, uint32_t rdlen, void *wr, uint32_t wrlen,
		  uint32_t *used, uint64_t *ticks)
{
	const struct vio_buf b[2] = {
		{ rd, rdlen, 0 },
		{ wr, wrlen, VIO_DESC_F_WRITE },
	};
	uint16_t old = rq.avail_idx;
	uint64_t t0, t1;
	uint32_t id;

	if (broken)
		return -1;
	/* No interrupt for this one: used_event half the ring space away. */
	*used_event(&rq) = (uint16_t)(rq.used_seen + 0x8000);
	t0 = rt_rdtsc();
	vio_add(&rq, 0, b, 2);
	if (need_kick(&rq, old)) {
		vio_notify(&iommu_dev, &rq);
		iommu_kicks++;
	}
	if (vio_wait(&rq, &id, used)) {
		broken = 1;
		vio_say_hex(&iommu_dev, "request timed out, status",
			    vio_status(&iommu_dev));
		return -1;
	}
	t1 = rt_rdtsc();
	if (id != 0) {
		broken = 1;
		vio_say_dec(&iommu_dev, "used id", id);
		return -1;
	}
	if (ticks)
		*ticks = t1 - t0;
	return 0;
}

int iommu_request(const void *rd, uint32_t rdlen, uint32_t *used,
		  uint64_t *ticks)
{
	tail = (struct viommu_req_tail){ .status = S_NONE,
					 .reserved = { 1, 1, 1 } };
	if (submit(rd, rdlen, &tail, sizeof(tail), used, ticks))
		return -1;
	return *(volatile uint8_t *)&tail.status;
}

/* One check: (rd) answered with status (want), used length 4 and the
 * tail's reserved bytes zeroed (5.13.6.2 SHOULD). */
static void expect(const char *name, const void *rd, uint32_t rdlen,
		   uint8_t want)
{
	uint32_t used = 0;
	int st = iommu_request(rd, rdlen, &used, NULL);

	if (st < 0) {
		iommu_failed(name, "no answer, broken", (uint64_t)broken);
		return;
	}
	if (st == want && used == sizeof(tail) && !tail.reserved[0] &&
	    !tail.reserved[1] && !tail.reserved[2]) {
		iommu_ok(name);
		return;
	}
	fail_begin(name);
	rt_puts("status ");
	put_status((unsigned int)st);
	rt_puts(" want ");
	put_status(want);
	rt_puts(" used ");
	rt_put_dec(used);
	rt_puts(" tail reserved ");
	rt_put_hex((uint32_t)tail.reserved[0] << 16 |
		   (uint32_t)tail.reserved[1] << 8 | tail.reserved[2], 6);
	rt_putc('\n');
}

static struct viommu_req_attach attach_req(uint8_t type, uint32_t domain,
					   uint32_t endpoint)
{
	return (struct viommu_req_attach){
		.type = type, .domain = domain, .endpoint = endpoint,
	};
}

struct viommu_req_map iommu_map_req(uint64_t iova, uint64_t len, uint64_t pa)
{
	return (struct viommu_req_map){
		.type = VIOMMU_T_MAP, .domain = DOMAIN, .virt_start = iova,
		.virt_end = iova + len - 1, .phys_start = pa,
		.flags = MAP_F_RW,
	};
}

struct viommu_req_unmap iommu_unmap_req(uint64_t iova, uint64_t len)
{
	return (struct viommu_req_unmap){
		.type = VIOMMU_T_UNMAP, .domain = DOMAIN, .virt_start = iova,
		.virt_end = iova + len - 1,
	};
}

/* The slot whose registers say virtio-mmio v2, device 23; -1 if none.
 * Quiet, unlike vio_probe(): empty slots are expected here. */
static int find_iommu(void)
{
	for (int n = 0; n < NR_SLOTS; n++) {
		uint64_t base = VIO_SLOT_BASE(n);

		if (vio_is_device(base, VIOMMU_DEVICE_ID))
			return n;
	}
	return -1;
}

static uint64_t config64(uint32_t off)
{
	return vio_config32(&iommu_dev, off) |
	       (uint64_t)vio_config32(&iommu_dev, off + 4) << 32;
}

static void say_range(const char *what, uint64_t a, uint64_t b)
{
	rt_puts("virtio_iommu: ");
	rt_puts(what);
	rt_puts(" 0x");
	rt_put_hex(a, 0);
	rt_puts("-0x");
	rt_put_hex(b, 0);
	rt_putc('\n');
}

/* Prints the configuration (5.13.4) and checks ignis's values; returns
 * probe_size. */
static uint32_t read_config(void)
{
	uint64_t mask = config64(VIOMMU_CFG_PAGE_SIZE_MASK);
	uint64_t in_start = config64(VIOMMU_CFG_INPUT_START);
	uint64_t in_end = config64(VIOMMU_CFG_INPUT_END);
	uint32_t dom_start = vio_config32(&iommu_dev, VIOMMU_CFG_DOMAIN_START);
	uint32_t dom_end = vio_config32(&iommu_dev, VIOMMU_CFG_DOMAIN_END);
	uint32_t probe_size = vio_config32(&iommu_dev, VIOMMU_CFG_PROBE_SIZE);
	uint32_t bypass = vio_config32(&iommu_dev, VIOMMU_CFG_BYPASS) & 0xff;

	/* Not vio_say_hex(): it prints two digits. */
	rt_puts("virtio_iommu: page_size_mask 0x");
	rt_put_hex(mask, 0);
	rt_putc('\n');
	say_range("input_range", in_start, in_end);
	say_range("domain_range", dom_start, dom_end);
	vio_say_dec(&iommu_dev, "probe_size", probe_size);
	vio_say_dec(&iommu_dev, "bypass", bypass);
	if (mask != ~0xfffULL)
		iommu_failed("config", "page_size_mask", mask);
	else if (in_start != 0 || in_end != (1ULL << 48) - 1)
		iommu_failed("config", "input_range.end", in_end);
	else if (dom_start != 0 || dom_end != 0xffffffffu)
		iommu_failed("config", "domain_range.end", dom_end);
	else if (probe_size != 512)
		iommu_failed("config", "probe_size", probe_size);
	else if (bypass != 1)
		iommu_failed("config", "bypass", bypass);
	else
		iommu_ok("config");
	return probe_size;
}

struct resv {
	uint8_t subtype;
	uint64_t start, end;
};

static const struct resv want_resv[] = {
	{ VIOMMU_RESV_T_RESERVED, 0xc0000000ULL, 0xfedfffffULL },
	{ VIOMMU_RESV_T_MSI, 0xfee00000ULL, 0xfeefffffULL },
	{ VIOMMU_RESV_T_RESERVED, 0xfef00000ULL, 0xffffffffULL },
};
#define NR_WANT_RESV (sizeof(want_resv) / sizeof(want_resv[0]))

/* "resv msi", "resv reserved" or "resv other", as the region's line
 * starts. */
static const char *resv_name(uint8_t subtype)
{
	if (subtype == VIOMMU_RESV_T_MSI)
		return "resv msi";
	if (subtype == VIOMMU_RESV_T_RESERVED)
		return "resv reserved";
	return "resv other";
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Walks the properties in probe_out[0, size): every RESV_MEM printed,
 * each one wanted found exactly once; what follows the NONE that ends
 * the list is zero (5.13.6.7.2 SHOULD). Returns NULL or what is wrong. */
static const char *parse_probe(uint32_t size, uint64_t *where)
{
	unsigned int seen[NR_WANT_RESV] = { 0 };
	uint32_t off = 0;

	for (;;) {
		uint16_t type, len;
		const uint8_t *p = probe_out + off;

		*where = off;
		if (off + 4 > size)
			return "no NONE property at";
		type = (uint16_t)((p[0] | p[1] << 8) & 0xfff);
		len = (uint16_t)(p[2] | p[3] << 8);
		if (type == VIOMMU_PROBE_T_NONE)
			break;
		if (off + 4 + len > size)
			return "property overruns probe_size at";
		if (type == VIOMMU_PROBE_T_RESV_MEM) {
			struct resv r = { p[4], get64(p + 8), get64(p + 16) };
			int hit = 0;

			if (len != VIOMMU_RESV_MEM_LEN)
				return "RESV_MEM length wrong at";
			if (p[5] | p[6] | p[7])
				return "RESV_MEM reserved not zero at";
			say_range(resv_name(r.subtype), r.start, r.end);
			for (unsigned int i = 0; i < NR_WANT_RESV; i++) {
				if (want_resv[i].subtype == r.subtype &&
				    want_resv[i].start == r.start &&
				    want_resv[i].end == r.end) {
					seen[i]++;
					hit = 1;
				}
			}
			if (!hit)
				return "unexpected RESV_MEM region at";
		}
		off += 4 + len;
	}
	for (unsigned int i = 0; i < NR_WANT_RESV; i++) {
		*where = want_resv[i].start;
		if (seen[i] != 1)
			return "region missing or repeated, start";
	}
	for (uint32_t i = off; i < size; i++) {
		*where = i;
		if (probe_out[i])
			return "non-zero byte after the list at";
	}
	return NULL;
}

static void check_probe(uint32_t probe_size)
{
	struct viommu_req_probe r = { .type = VIOMMU_T_PROBE, .endpoint = 0 };
	uint32_t used = 0;
	const char *why;
	uint64_t where;
	uint8_t st;

	if (probe_size > MAX_PROBE || probe_size < 4) {
		iommu_failed("probe", "probe_size", probe_size);
		return;
	}
	memset(probe_out, 0xa5, sizeof(probe_out));
	if (submit(&r, sizeof(r), probe_out, probe_size + sizeof(tail), &used,
		   NULL)) {
		iommu_failed("probe", "no answer, broken", (uint64_t)broken);
		return;
	}
	st = probe_out[probe_size];
	if (st != VIOMMU_S_OK || used != probe_size + sizeof(tail)) {
		fail_begin("probe");
		rt_puts("status ");
		put_status(st);
		rt_puts(" used ");
		rt_put_dec(used);
		rt_putc('\n');
		return;
	}
	why = parse_probe(probe_size, &where);
	if (why)
		iommu_failed("probe", why, where);
	else
		iommu_ok("probe");
}

static void checks(uint32_t probe_size, int bench)
{
	const uint64_t pa = (uintptr_t)target;
	struct viommu_req_attach a = attach_req(VIOMMU_T_ATTACH, DOMAIN, 0);
	struct viommu_req_attach a99 = attach_req(VIOMMU_T_ATTACH, DOMAIN, 99);
	struct viommu_req_attach det = attach_req(VIOMMU_T_DETACH, DOMAIN, 0);
	struct viommu_req_map m = iommu_map_req(IOVA, 8192, pa);
	struct viommu_req_map overlap = iommu_map_req(IOVA + 4096, 8192, pa);
	struct viommu_req_map msi = iommu_map_req(0xfee00000ULL, 4096, pa);
	struct viommu_req_unmap half = iommu_unmap_req(IOVA, 4096);
	struct viommu_req_unmap whole = iommu_unmap_req(IOVA, 8192);
	/* A request shorter than its head: ATTACH's type and one byte. */
	static const uint8_t runt[2] = { VIOMMU_T_ATTACH, 0 };

	expect("attach", &a, sizeof(a), VIOMMU_S_OK);
	check_probe(probe_size);
	expect("map", &m, sizeof(m), VIOMMU_S_OK);
	/* 5.13.6.5.2: "If a mapping already exists in the requested range,
	 * the device SHOULD reject the request and set status to
	 * VIRTIO_IOMMU_S_INVAL." */
	expect("map_overlap", &overlap, sizeof(overlap), VIOMMU_S_INVAL);
	/* 5.13.6.8.1.2: the device SHOULD reject a MAP that overlaps a
	 * RESV_MEM region; ignis names it INVAL, as for a taken range. */
	expect("map_msi", &msi, sizeof(msi), VIOMMU_S_INVAL);
	/* 5.13.6.6.2: an UNMAP that would split a mapping: RANGE, and
	 * nothing removed (the whole UNMAP below still finds it). */
	expect("unmap_split", &half, sizeof(half), VIOMMU_S_RANGE);
	expect("unmap", &whole, sizeof(whole), VIOMMU_S_OK);
	/* Nothing there any more: OK (5.13.6.6, example 1). */
	expect("unmap_again", &whole, sizeof(whole), VIOMMU_S_OK);
	expect("attach_unknown", &a99, sizeof(a99), VIOMMU_S_NOENT);
	expect("detach", &det, sizeof(det), VIOMMU_S_OK);
	/* ignis answers a chain whose readable part is shorter than the
	 * head with IOERR ("virtio communication error"). */
	expect("malformed", runt, sizeof(runt), VIOMMU_S_IOERR);
	expect("after_malformed", &a, sizeof(a), VIOMMU_S_OK);
	iommu_timing(pa, bench);
	iommu_exit_baseline(bench);
	/* No DMA happened, so no fault may have been reported. */
	if (*(volatile uint16_t *)&eq_ring.used.idx)
		iommu_failed("eventq", "events reported",
			     *(volatile uint16_t *)&eq_ring.used.idx);
	else
		iommu_ok("eventq");
}

static int setup(int slot)
{
	iommu_dev.base = VIO_SLOT_BASE(slot);
	iommu_dev.name = "virtio_iommu";
	iommu_dev.features = 0;
	vio_say_dec(&iommu_dev, "found at slot", (uint64_t)slot);
	if (vio_negotiate(&iommu_dev, WANT))
		return -1;
	if (iommu_dev.features != (WANT | VIO_F_VERSION_1))
		iommu_failed("features", "missing",
			     (WANT | VIO_F_VERSION_1) & ~iommu_dev.features);
	else
		iommu_ok("features");
	if (vio_queue_setup(&iommu_dev, &rq, 0, RQ_SIZE, &rq_ring) ||
	    vio_queue_setup(&iommu_dev, &eq, 1, EQ_SIZE, &eq_ring))
		return -1;
	/* Without EVENT_IDX, the flag asks for no interrupts; with it,
	 * "The driver MUST set flags to 0" and used_event does (2.7.7.1). */
	if (!(iommu_dev.features & VIO_F_EVENT_IDX))
		rq_ring.avail.flags = AVAIL_F_NO_INTERRUPT;
	if (vio_driver_ok(&iommu_dev))
		return -1;
	/* The eventq's buffers, each room for one fault report (5.13.6.9),
	 * posted ahead of any fault as Linux's driver does. */
	for (unsigned int i = 0; i < EQ_SIZE; i++) {
		const struct vio_buf b = { events[i], VIOMMU_FAULT_LEN,
					   VIO_DESC_F_WRITE };

		vio_add(&eq, (uint16_t)i, &b, 1);
	}
	vio_notify(&iommu_dev, &eq);
	return 0;
}

void guest_main(unsigned int proto, uint64_t info)
{
	int bench = cmdline_has(cmdline_get(proto, info), "bench");
	int slot = find_iommu();
	uint32_t probe_size;

	if (slot < 0) {
		rt_puts("virtio_iommu: no iommu found\n");
		return;
	}
	if (setup(slot)) {
		vio_say(&iommu_dev, "setup failed");
		return;
	}
	probe_size = read_config();
	checks(probe_size, bench);
	rt_puts("virtio_iommu: done ");
	rt_put_dec(nr_ok);
	rt_puts(" ok ");
	rt_put_dec(nr_failed);
	rt_puts(" failed\n");
	vio_reset(&iommu_dev);
}
