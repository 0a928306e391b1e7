// SPDX-License-Identifier: Apache-2.0
/*
 * tests/guest/iommu_hostile/short.c: requests of the wrong shape: heads
 * and bodies too short, no room for the tail, tails split, bodies too
 * long, unknown types. ignis's rules (devices/iommu/viommu_req.c): fewer
 * than 4 writable bytes or an unknown type get used length 0 and nothing
 * written (5.13.6: "the device cannot find the tail ... returns the
 * buffers without writing to them";
 * 5.13.6.2: an unknown type "SHOULD NOT write the buffer and SHOULD set
 * the used length to zero"); fewer readable bytes than the head or than
 * the type's fields: IOERR; bytes past the type's struct, readable or
 * writable, are ignored, the used length counting only the tail.
 */
#include "ih.h"

#define DOM 10 /* these checks' domain */

static uint8_t raw[128] __attribute__((aligned(8)));
static uint8_t wr[128] __attribute__((aligned(8)));

/* A readable part of (n) bytes: the first (n) of (req), padded with
 * (pad) up to (n) when (req) is shorter. */
static const void *shaped(const void *req, uint32_t req_len, uint32_t n,
			  uint8_t pad)
{
	memset(raw, pad, sizeof(raw));
	memcpy(raw, req, req_len < n ? req_len : n);
	return raw;
}

/* Sends the chain of (n) buffers (b), whose writable ones lie in wr,
 * preset to S_NONE: 0 with the used length in (*used), or -1 after
 * fail(). */
static int send_chain(const struct vio_buf *b, unsigned int n, uint32_t *used)
{
	memset(wr, S_NONE, sizeof(wr));
	return ih_chain(b, n, used);
}

/* The MAP (m) sent in a shape the device must refuse was not done: the
 * whole MAP fits now. */
static void expect_map_not_done(const struct viommu_req_map *m)
{
	must(m, sizeof(*m), VIOMMU_S_OK, "MAP after (was it done?), status");
}

/* The MAP (m) sent in an odd but valid shape was done: the same MAP
 * again overlaps it. */
static void expect_map_done(const struct viommu_req_map *m)
{
	must(m, sizeof(*m), VIOMMU_S_INVAL, "MAP again (was it done?), status");
}

/* A head of 2 bytes: not even the type's reserved bytes. */
static void head_short(void)
{
	static const uint8_t runt[2] = { VIOMMU_T_ATTACH, 0 };

	expect(runt, sizeof(runt), VIOMMU_S_IOERR);
}

/* No readable byte at all: a chain of only the tail. */
static void head_missing(void)
{
	const struct vio_buf b = { &wr, 4, VIO_DESC_F_WRITE };
	uint32_t used;

	if (send_chain(&b, 1, &used))
		return;
	if (wr[0] != VIOMMU_S_IOERR || used != 4 || !all_are(wr + 1, 3, 0))
		fail_hex("want IOERR, used 4; status", wr[0]);
}

/* One byte short of the type's fields: IOERR, and nothing done. */
static void attach_short(void)
{
	struct viommu_req_attach a = attach_req(DOM + 1, EP);
	struct viommu_req_map m = map_req(DOM + 1, IOVA, PAGE, ih_pa);

	if (fresh_domain(DOM) || expect(&a, sizeof(a) - 1, VIOMMU_S_IOERR))
		return;
	/* Not attached there: the domain was never made. */
	must(&m, sizeof(m), VIOMMU_S_NOENT, "MAP into it after, status");
}

static void detach_short(void)
{
	struct viommu_req_attach d = detach_req(DOM, EP);
	struct viommu_req_map m = map_req(DOM, IOVA, PAGE, ih_pa);

	if (fresh_domain(DOM) || expect(&d, sizeof(d) - 1, VIOMMU_S_IOERR))
		return;
	/* Still attached: the domain lives. */
	must(&m, sizeof(m), VIOMMU_S_OK, "MAP into it after, status");
}

static void map_short(void)
{
	struct viommu_req_map m = map_req(DOM, IOVA, PAGE, ih_pa);

	if (fresh_domain(DOM) || expect(&m, sizeof(m) - 1, VIOMMU_S_IOERR))
		return;
	/* Nothing mapped: the whole MAP now fits. */
	must(&m, sizeof(m), VIOMMU_S_OK, "whole MAP after, status");
}

static void unmap_short(void)
{
	struct viommu_req_map m = map_req(DOM, IOVA, PAGE, ih_pa);
	struct viommu_req_unmap u = unmap_req(DOM, IOVA, PAGE);

	if (fresh_domain(DOM) ||
	    must(&m, sizeof(m), VIOMMU_S_OK, "MAP, status") ||
	    expect(&u, sizeof(u) - 1, VIOMMU_S_IOERR))
		return;
	/* Still mapped: a second MAP overlaps (INVAL). */
	must(&m, sizeof(m), VIOMMU_S_INVAL, "MAP again after, status");
}

/* The headers alone, for each type: the body is missing, not short. */
static void body_missing(void)
{
	static const uint8_t types[] = { VIOMMU_T_ATTACH, VIOMMU_T_DETACH,
					 VIOMMU_T_MAP, VIOMMU_T_UNMAP };
	uint8_t head[4] = { 0 };

	for (unsigned int i = 0; i < sizeof(types) && !failed(); i++) {
		head[0] = types[i];
		expect(head, sizeof(head), VIOMMU_S_IOERR);
	}
}

/* PROBE's readable part one byte short: IOERR, but in PROBE's tail
 * (after probe_size bytes, zeroed: no property). */
static void probe_short(void)
{
	const struct viommu_req_probe r = probe_req(EP);
	const uint32_t len = PROBE_SIZE + 4;
	uint32_t used;
	uint8_t *p = probe_into(&r, sizeof(r) - 1, &len, 1, &used);

	if (!p)
		return;
	if (p[PROBE_SIZE] != VIOMMU_S_IOERR || used != len)
		fail_hex("want IOERR used 516; status", p[PROBE_SIZE]);
	else if (!all_are(p, PROBE_SIZE, 0))
		fail("properties not zeroed");
}

/* A MAP with no writable buffer: used 0, not done, its buffer intact. */
static void readable_only(void)
{
	struct viommu_req_map m = map_req(DOM, IOVA, PAGE, ih_pa);
	const struct vio_buf b = { raw, sizeof(m), 0 };
	uint32_t used = 1;

	if (fresh_domain(DOM))
		return;
	shaped(&m, sizeof(m), sizeof(m), 0);
	if (ih_chain(&b, 1, &used))
		return;
	if (used != 0)
		fail_hex("used length", used);
	else if (memcmp(raw, &m, sizeof(m)))
		fail("readable buffer written");
	else
		expect_map_not_done(&m);
}

/* Three writable bytes: no room for a tail. Used 0, none written. */
static void tail_3_bytes(void)
{
	struct viommu_req_map m = map_req(DOM, IOVA, PAGE, ih_pa);
	const struct vio_buf b[2] = {
		{ &m, sizeof(m), 0 },
		{ wr, 3, VIO_DESC_F_WRITE },
	};
	uint32_t used = 1;

	if (fresh_domain(DOM) || send_chain(b, 2, &used))
		return;
	if (used != 0)
		fail_hex("used length", used);
	else if (!all_are(wr, sizeof(wr), S_NONE))
		fail("tail written");
	else
		expect_map_not_done(&m);
}

/* The request in three readable pieces, the tail in 1 + 3 bytes: OK,
 * the status in the first piece, reserved zeroed in the second. */
static void split_everywhere(void)
{
	struct viommu_req_map m = map_req(DOM, IOVA, PAGE, ih_pa);
	const uint8_t *p = (const uint8_t *)&m;
	const struct vio_buf b[5] = {
		{ p, 3, 0 },
		{ p + 3, 17, 0 },
		{ p + 20, 16, 0 },
		{ wr, 1, VIO_DESC_F_WRITE },
		{ wr + 64, 3, VIO_DESC_F_WRITE },
	};
	uint32_t used;

	if (fresh_domain(DOM) || send_chain(b, 5, &used))
		return;
	if (wr[0] != VIOMMU_S_OK || used != 4)
		fail_hex("want OK used 4; status", wr[0]);
	else if (!all_are(wr + 64, 3, 0) || !all_are(wr + 1, 63, S_NONE) ||
		 !all_are(wr + 67, sizeof(wr) - 67, S_NONE))
		fail("tail pieces");
	else
		expect_map_done(&m);
}

/* A MAP one byte per descriptor, its tail too: 40 buffers. */
static void map_bytewise(void)
{
	static struct vio_buf b[40];
	struct viommu_req_map m = map_req(DOM, IOVA, PAGE, ih_pa);
	const uint8_t *p = (const uint8_t *)&m;
	uint32_t used;

	for (unsigned int i = 0; i < 36; i++)
		b[i] = (struct vio_buf){ p + i, 1, 0 };
	for (unsigned int i = 0; i < 4; i++)
		b[36 + i] = (struct vio_buf){ wr + 8 * i, 1, VIO_DESC_F_WRITE };
	if (fresh_domain(DOM) || send_chain(b, 40, &used))
		return;
	if (wr[0] != VIOMMU_S_OK || wr[8] || wr[16] || wr[24] || used != 4)
		fail_hex("want OK used 4; status", wr[0]);
	else
		expect_map_done(&m);
}

/* Zero-length descriptors are skipped (devices/virtio/queue.h): one as
 * the only writable buffer leaves no tail (used 0, nothing done); one
 * amid the readable pieces changes nothing. */
static void zero_len_tail(void)
{
	struct viommu_req_map m = map_req(DOM, IOVA, PAGE, ih_pa);
	const struct vio_buf b[2] = {
		{ &m, sizeof(m), 0 },
		{ wr, 0, VIO_DESC_F_WRITE },
	};
	uint32_t used = 1;

	if (fresh_domain(DOM) || send_chain(b, 2, &used))
		return;
	if (used != 0 || wr[0] != S_NONE)
		fail_hex("used length", used);
	else
		expect_map_not_done(&m);
}

static void zero_len_amid(void)
{
	struct viommu_req_map m = map_req(DOM, IOVA, PAGE, ih_pa);
	const uint8_t *p = (const uint8_t *)&m;
	const struct vio_buf b[5] = {
		{ p, 8, 0 },
		{ raw, 0, 0 },
		{ p + 8, 28, 0 },
		{ wr + 64, 0, VIO_DESC_F_WRITE },
		{ wr, 4, VIO_DESC_F_WRITE },
	};
	uint32_t used;

	if (fresh_domain(DOM) || send_chain(b, 5, &used))
		return;
	if (wr[0] != VIOMMU_S_OK || used != 4)
		fail_hex("want OK used 4; status", wr[0]);
	else
		expect_map_done(&m);
}

/* The tail in 2 + 2 bytes. */
static void tail_split(void)
{
	struct viommu_req_attach a = attach_req(DOM, EP);
	const struct vio_buf b[3] = {
		{ &a, sizeof(a), 0 },
		{ wr, 2, VIO_DESC_F_WRITE },
		{ wr + 8, 2, VIO_DESC_F_WRITE },
	};
	uint32_t used;

	if (send_chain(b, 3, &used))
		return;
	if (wr[0] != VIOMMU_S_OK || wr[1] || wr[8] || wr[9] || used != 4)
		fail_hex("want OK used 4; status", wr[0]);
	else if (!all_are(wr + 2, 6, S_NONE) || !all_are(wr + 10, 8, S_NONE))
		fail("bytes outside the tail written");
}

/* PROBE with fewer writable bytes than probe_size + 4 (5.13.6.7.2: "If
 * the properties list is smaller than probe_size, the device SHOULD NOT
 * write any property. It SHOULD reject the request and set status to
 * VIRTIO_IOMMU_S_INVAL"): the tail ends the writable part, zeros before
 * it, the used length all of it. */
static void probe_room(uint32_t len)
{
	const struct viommu_req_probe r = probe_req(EP);
	uint32_t used;
	uint8_t *p = probe_into(&r, sizeof(r), &len, 1, &used);

	if (!p)
		return;
	if (used != len || p[len - 4] != VIOMMU_S_INVAL)
		fail_hex("want INVAL at the end; used", used);
	else if (!all_are(p, len - 4, 0) || !all_are(p + len - 3, 3, 0))
		fail("bytes before the tail not zeroed");
	else if (!all_are(p + len, 64, 0xa5))
		fail("written past the buffers");
}

static void probe_room_4(void)
{
	probe_room(4);
}

static void probe_room_100(void)
{
	probe_room(100);
}

static void probe_room_515(void)
{
	probe_room(PROBE_SIZE + 3);
}

/* PROBE's properties and tail over four buffers: all of it right. */
static void probe_split(void)
{
	const struct viommu_req_probe r = probe_req(EP);
	/* The last two hold the tail's halves. */
	const uint32_t lens[4] = { 30, 300, PROBE_SIZE + 2 - 330, 2 };
	uint32_t used;
	uint8_t *p = probe_into(&r, sizeof(r), lens, 4, &used);

	if (p)
		expect_probe_list(p, used, "want OK used 516; status");
}

/* Writable room past the tail: left alone, not counted. */
static void probe_room_more(void)
{
	const struct viommu_req_probe r = probe_req(EP);
	const uint32_t len = 1024;
	uint32_t used;
	uint8_t *p = probe_into(&r, sizeof(r), &len, 1, &used);

	if (!p)
		return;
	if (used != PROBE_SIZE + 4 || p[PROBE_SIZE] != VIOMMU_S_OK)
		fail_hex("want OK used 516; used", used);
	else if (probe_list_bad(p))
		fail(probe_list_bad(p));
	else if (!all_are(p + PROBE_SIZE + 4, len - PROBE_SIZE - 4, 0xa5))
		fail("written past the tail");
}

/* Readable bytes past the type's struct: ignored ("as padding for
 * future fields would be"), the request done. */
static void map_long(void)
{
	struct viommu_req_map m = map_req(DOM, IOVA, PAGE, ih_pa);

	if (fresh_domain(DOM) ||
	    expect(shaped(&m, sizeof(m), 96, 0xff), 96, VIOMMU_S_OK))
		return;
	expect_map_done(&m);
}

static void attach_long(void)
{
	struct viommu_req_attach a = attach_req(DOM + 1, EP);
	struct viommu_req_map m = map_req(DOM + 1, IOVA, PAGE, ih_pa);

	if (fresh_domain(DOM) ||
	    expect(shaped(&a, sizeof(a), 64, 0xff), 64, VIOMMU_S_OK))
		return;
	must(&m, sizeof(m), VIOMMU_S_OK, "MAP into it (was it done?), status");
}

static void unmap_long(void)
{
	struct viommu_req_map m = map_req(DOM, IOVA, PAGE, ih_pa);
	struct viommu_req_unmap u = unmap_req(DOM, IOVA, PAGE);

	if (fresh_domain(DOM) ||
	    must(&m, sizeof(m), VIOMMU_S_OK, "MAP, status") ||
	    expect(shaped(&u, sizeof(u), 100, 0xff), 100, VIOMMU_S_OK))
		return;
	must(&m, sizeof(m), VIOMMU_S_OK, "MAP again (was it done?), status");
}

/* A MAP's tail in 64 writable bytes: status at 0, used 4, rest intact. */
static void map_room_more(void)
{
	struct viommu_req_map m = map_req(DOM, IOVA, PAGE, ih_pa);
	const struct vio_buf b[2] = {
		{ &m, sizeof(m), 0 },
		{ wr, 64, VIO_DESC_F_WRITE },
	};
	uint32_t used;

	if (fresh_domain(DOM) || send_chain(b, 2, &used))
		return;
	if (wr[0] != VIOMMU_S_OK || used != 4 || !all_are(wr + 1, 3, 0))
		fail_hex("want OK used 4; used", used);
	else if (!all_are(wr + 4, sizeof(wr) - 4, S_NONE))
		fail("written past the tail");
}

/* Unknown types: used 0 and the tail untouched (5.13.6.2). */
static void unknown_type(uint8_t type)
{
	struct viommu_req_map m = map_req(DOM, IOVA, PAGE, ih_pa);
	const struct vio_buf b[2] = {
		{ &m, sizeof(m), 0 },
		{ wr, 4, VIO_DESC_F_WRITE },
	};
	uint32_t used = 1;

	m.type = type;
	if (fresh_domain(DOM) || send_chain(b, 2, &used))
		return;
	if (used != 0)
		fail_hex("used length", used);
	else if (!all_are(wr, sizeof(wr), S_NONE))
		fail("tail written");
}

static void type_0(void)
{
	unknown_type(0);
}

static void type_6(void)
{
	unknown_type(6);
}

static void type_ff(void)
{
	unknown_type(0xff);
}

/* Unknown type with a chain too short for any head. */
static void type_6_short(void)
{
	static const uint8_t b1[1] = { 6 };
	const struct vio_buf b[2] = {
		{ b1, 1, 0 },
		{ wr, 4, VIO_DESC_F_WRITE },
	};
	uint32_t used = 1;

	if (send_chain(b, 2, &used))
		return;
	/* Too short for a head: IOERR comes before the type is read. */
	if (used != 4 || wr[0] != VIOMMU_S_IOERR)
		fail_hex("want IOERR used 4; status", wr[0]);
}

static const struct ih_check checks[] = {
	{ "head_short", head_short, 0 },
	{ "head_missing", head_missing, 0 },
	{ "body_missing", body_missing, 0 },
	{ "attach_short", attach_short, 0 },
	{ "detach_short", detach_short, 0 },
	{ "map_short", map_short, 0 },
	{ "unmap_short", unmap_short, 0 },
	{ "probe_short", probe_short, 0 },
	{ "readable_only", readable_only, 0 },
	{ "tail_3_bytes", tail_3_bytes, 0 },
	{ "split_everywhere", split_everywhere, 0 },
	{ "tail_split", tail_split, 0 },
	{ "map_bytewise", map_bytewise, 0 },
	{ "zero_len_tail", zero_len_tail, 0 },
	{ "zero_len_amid", zero_len_amid, 0 },
	{ "probe_room_4", probe_room_4, 0 },
	{ "probe_room_100", probe_room_100, 0 },
	{ "probe_room_515", probe_room_515, 0 },
	{ "probe_split", probe_split, 0 },
	{ "probe_room_more", probe_room_more, 0 },
	{ "map_long", map_long, 0 },
	{ "attach_long", attach_long, 0 },
	{ "unmap_long", unmap_long, 0 },
	{ "map_room_more", map_room_more, 0 },
	{ "type_0", type_0, 0 },
	{ "type_6", type_6, 0 },
	{ "type_ff", type_ff, 0 },
	{ "type_6_short", type_6_short, 0 },
};

void short_checks(void)
{
	ih_run(checks, sizeof(checks) / sizeof(checks[0]));
}
