// SPDX-License-Identifier: Apache-2.0
/* api/fc_devices.c: Firecracker's drive and network-interface bodies; ignis's VFIO. */
#include "fc_devices.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fc_config.h"
#include "fc_schema.h"

/* Room for config_vfio_path_parse()'s reason. */
#define FC_VFIO_WHY_LEN 160

/* The id rules and the URL's id (PUT /drives/{id}): Firecracker answers a
 * mismatch with 400 before looking at anything else. */
static int check_id(const char *id, const char *name, const char *path_id,
		    const char *where, char *why, size_t len)
{
	if (!fc_id_is_valid(id))
		return fc_fail(why, len, -EINVAL, where, name,
			       "expected 1 to %d characters of A-Z, a-z, "
			       "0-9 and _",
			       FC_ID_MAX);
	if (path_id && strcmp(path_id, id))
		return fc_fail(why, len, -EINVAL, where, name,
			       "the id from the path does not match the id "
			       "from the body");
	return 0;
}

/* A partition UUID as root=PARTUUID= takes it: "0eaa91a0-01" (MBR) or a
 * GPT GUID; hex digits and '-' only, so it cannot add words to the
 * command line. */
static bool partuuid_is_valid(const char *s)
{
	size_t n = strlen(s);

	return n && n <= CONFIG_PARTUUID_MAX &&
	       strspn(s, "0123456789abcdefABCDEF-") == n;
}

static int drive_find(const struct vm_config *cfg, const char *id)
{
	for (unsigned int i = 0; i < cfg->nr_disks; i++)
		if (cfg->disks[i].drive_id &&
		    !strcmp(cfg->disks[i].drive_id, id))
			return (int)i;
	return -1;
}

static void disk_free(struct disk_config *d)
{
	free(d->path);
	free(d->id);
	free(d->drive_id);
	free(d->partuuid);
}

/* Firecracker's BlockBuilder::insert(): a new drive goes last, or first
 * when it is the root; one with a known id replaces the old in place, and
 * a root that lands elsewhere is swapped with the first. */
static void drive_place(struct vm_config *cfg, int pos,
			const struct disk_config *d)
{
	struct disk_config first;

	if (pos < 0 && d->root) {
		memmove(&cfg->disks[1], &cfg->disks[0],
			cfg->nr_disks * sizeof(cfg->disks[0]));
		cfg->disks[0] = *d;
		cfg->nr_disks++;
	} else if (pos < 0) {
		cfg->disks[cfg->nr_disks++] = *d;
	} else {
		disk_free(&cfg->disks[pos]);
		cfg->disks[pos] = *d;
		if (pos && d->root) {
			first = cfg->disks[0];
			cfg->disks[0] = cfg->disks[pos];
			cfg->disks[pos] = first;
		}
	}
}

/* The fields that say how a drive is served; ignis honours every value
 * but a vhost-user socket. */
static int drive_backend(const json_t *b, const char *where, char *why,
			 size_t len)
{
	/* Unsafe: Firecracker offers no flush. ignis always offers it and
	 * fsyncs (Writeback): safer, never less. */
	static const char *const cache[] = { "Unsafe", "Writeback", NULL };
	/* ignis's disks always run on io_uring on their own thread. */
	static const char *const engines[] = { "Sync", "Async", NULL };
	int v, err = fc_enum(b, "cache_type", cache, false, &v, where, why,
			     len);

	if (err >= 0)
		err = fc_enum(b, "io_engine", engines, false, &v, where, why,
			      len);
	if (err >= 0)
		err = fc_rate_limiter_check(fc_get(b, "rate_limiter"), where,
					    "rate_limiter", why, len);
	if (err < 0)
		return err;
	if (fc_get(b, "socket") && fc_get(b, "path_on_host"))
		return fc_fail(why, len, -EINVAL, where, NULL,
			       "give either path_on_host or socket");
	if (fc_get(b, "socket"))
		return fc_fail(why, len, -ENOTSUP, where, "socket",
			       "vhost-user drives are not supported by ignis "
			       "yet");
	if (!fc_string(b, "path_on_host"))
		return fc_fail(why, len, -EINVAL, where, NULL,
			       "missing field 'path_on_host'");
	if (!fc_string(b, "path_on_host")[0])
		return fc_fail(why, len, -EINVAL, where, "path_on_host",
			       "must not be empty");
	return 0;
}

int fc_drive_insert(struct vm_config *cfg, const json_t *b, const char *path_id,
		    const char *where, char *why, size_t len)
{
	static const struct fc_field fields[] = {
		{ "drive_id", FC_T_STRING, true },
		{ "is_root_device", FC_T_BOOL, true },
		{ "path_on_host", FC_T_STRING, false },
		{ "is_read_only", FC_T_BOOL, false },
		{ "partuuid", FC_T_STRING, false },
		{ "cache_type", FC_T_STRING, false },
		{ "io_engine", FC_T_STRING, false },
		{ "rate_limiter", FC_T_OBJECT, false },
		{ "socket", FC_T_STRING, false },
		{ "iommu", FC_T_BOOL, false }, /* ignis: false exempts it */
	};
	struct disk_config d = { .iommu = true };
	const char *id, *partuuid;
	int pos, err;

	err = fc_schema_check(b, where, fields, ARRAY_LEN(fields), why, len);
	if (err)
		return err;
	id = fc_string(b, "drive_id");
	partuuid = fc_string(b, "partuuid");
	err = check_id(id, "drive_id", path_id, where, why, len);
	if (!err)
		err = drive_backend(b, where, why, len);
	if (err)
		return err;
	if (partuuid && !partuuid_is_valid(partuuid))
		return fc_fail(why, len, -EINVAL, where, "partuuid",
			       "expected 1 to %d hex digits and dashes",
			       CONFIG_PARTUUID_MAX);
	d.root = fc_bool(b, "is_root_device", false);
	pos = drive_find(cfg, id);
	/* Updating the root in place is fine; a second root is not. */
	if (d.root && cfg->nr_disks && cfg->disks[0].root && pos != 0)
		return fc_fail(why, len, -EINVAL, where, "is_root_device",
			       "a root drive is already configured ('%s')",
			       cfg->disks[0].drive_id ? cfg->disks[0].drive_id :
							"");
	if (pos < 0 && cfg->nr_disks == CONFIG_MAX_DISKS)
		return fc_fail(why, len, -E2BIG, where, NULL,
			       "at most %d drives", CONFIG_MAX_DISKS);
	d.read_only = fc_bool(b, "is_read_only", false);
	d.iommu = fc_bool(b, "iommu", true);
	d.path = strdup(fc_string(b, "path_on_host"));
	d.drive_id = strdup(id);
	d.partuuid = partuuid ? strdup(partuuid) : NULL;
	if (!d.path || !d.drive_id || (partuuid && !d.partuuid)) {
		disk_free(&d);
		return fc_fail(why, len, -ENOMEM, where, NULL, "out of memory");
	}
	drive_place(cfg, pos, &d);
	return 0;
}

/* Another interface (not (id)) already on (tap) or with (mac). */
static int net_conflict(const struct vm_config *cfg, const char *id,
			const char *tap, const uint8_t *mac, const char *where,
			char *why, size_t len)
{
	for (unsigned int i = 0; i < cfg->nr_nets; i++) {
		const struct net_config *n = &cfg->nets[i];

		if (n->iface_id && !strcmp(n->iface_id, id))
			continue;
		if (mac && n->has_mac && !memcmp(n->mac, mac, 6))
			return fc_fail(why, len, -EINVAL, where, "guest_mac",
				       "the MAC address is already in use");
		if (!strcmp(n->tap, tap))
			return fc_fail(why, len, -EINVAL, where,
				       "host_dev_name",
				       "'%s' is already in use", tap);
	}
	return 0;
}

int fc_net_insert(struct vm_config *cfg, const json_t *b, const char *path_id,
		  const char *where, char *why, size_t len)
{
	static const struct fc_field fields[] = {
		{ "iface_id", FC_T_STRING, true },
		{ "host_dev_name", FC_T_STRING, true },
		{ "guest_mac", FC_T_STRING, false },
		{ "mtu", FC_T_UINT, false },
		{ "rx_rate_limiter", FC_T_OBJECT, false },
		{ "tx_rate_limiter", FC_T_OBJECT, false },
		{ "iommu", FC_T_BOOL, false }, /* ignis: false exempts it */
	};
	struct net_config n = { .iommu = true };
	const char *id, *tap, *mac;
	int err;

	err = fc_schema_check(b, where, fields, ARRAY_LEN(fields), why, len);
	if (err)
		return err;
	id = fc_string(b, "iface_id");
	tap = fc_string(b, "host_dev_name");
	mac = fc_string(b, "guest_mac");
	err = check_id(id, "iface_id", path_id, where, why, len);
	if (err)
		return err;
	if (!config_tap_name_ok(tap, strlen(tap)))
		return fc_fail(why, len, -EINVAL, where, "host_dev_name",
			       "expected an interface name of 1 to %d "
			       "characters, no '/', '%%', ':' or spaces",
			       CONFIG_TAP_NAME_MAX);
	if (mac && config_mac_parse(mac, strlen(mac), n.mac))
		return fc_fail(why, len, -EINVAL, where, "guest_mac",
			       "expected a unicast MAC such as "
			       "06:00:ac:10:00:02");
	n.has_mac = mac != NULL;
	err = fc_rate_limiter_check(fc_get(b, "rx_rate_limiter"), where,
				    "rx_rate_limiter", why, len);
	if (!err)
		err = fc_rate_limiter_check(fc_get(b, "tx_rate_limiter"), where,
					    "tx_rate_limiter", why, len);
	if (!err && fc_get(b, "mtu"))
		err = fc_fail(
			why, len, -ENOTSUP, where, "mtu",
			"not supported by ignis yet (no VIRTIO_NET_F_MTU)");
	if (!err)
		err = net_conflict(cfg, id, tap, n.has_mac ? n.mac : NULL,
				   where, why, len);
	if (err)
		return err;
	for (unsigned int i = 0; i < cfg->nr_nets; i++) {
		if (!cfg->nets[i].iface_id || strcmp(cfg->nets[i].iface_id, id))
			continue;
		/* Firecracker's NetBuilder::build(): the old one is
		 * swap-removed, the new one is pushed. */
		free(cfg->nets[i].tap);
		free(cfg->nets[i].iface_id);
		cfg->nets[i] = cfg->nets[--cfg->nr_nets];
		break;
	}
	if (cfg->nr_nets == CONFIG_MAX_NETS)
		return fc_fail(why, len, -E2BIG, where, NULL,
			       "at most %d network interfaces",
			       CONFIG_MAX_NETS);
	n.iommu = fc_bool(b, "iommu", true);
	n.tap = strdup(tap);
	n.iface_id = strdup(id);
	if (!n.tap || !n.iface_id) {
		free(n.tap);
		free(n.iface_id);
		return fc_fail(why, len, -ENOMEM, where, NULL, "out of memory");
	}
	cfg->nets[cfg->nr_nets++] = n;
	return 0;
}

/* One id rule for the CLI's id= and the API's vfio_id. */
_Static_assert(CONFIG_VFIO_ID_MAX == FC_ID_MAX, "vfio_id is an FC id");

int fc_vfio_insert(struct vm_config *cfg, const json_t *b, const char *path_id,
		   const char *where, char *why, size_t len)
{
	static const struct fc_field fields[] = {
		{ "vfio_id", FC_T_STRING, true },
		{ "path", FC_T_STRING, true },
		{ "iommu", FC_T_BOOL, false },
	};
	char path[CONFIG_VFIO_PATH_SIZE], reason[FC_VFIO_WHY_LEN];
	struct vfio_config f = { .iommu = true };
	const char *id, *given;
	int pos, other, err;

	err = fc_schema_check(b, where, fields, ARRAY_LEN(fields), why, len);
	if (err)
		return err;
	id = fc_string(b, "vfio_id");
	given = fc_string(b, "path");
	err = check_id(id, "vfio_id", path_id, where, why, len);
	if (err)
		return err;
	if (config_vfio_path_parse(given, strlen(given), path, reason,
				   sizeof(reason)))
		return fc_fail(why, len, -EINVAL, where, "path", "%s", reason);
	/* A known id is replaced in its place; a function is given once. */
	pos = config_vfio_find(cfg, id, true);
	other = config_vfio_find(cfg, path, false);
	if (other >= 0 && other != pos && cfg->vfio[other].vfio_id)
		return fc_fail(why, len, -EINVAL, where, "path",
			       "%s is already passed through ('%s')", path,
			       cfg->vfio[other].vfio_id);
	if (other >= 0 && other != pos) /* a --vfio without id= */
		return fc_fail(why, len, -EINVAL, where, "path",
			       "%s is already passed through", path);
	if (pos < 0 && cfg->nr_vfio == CONFIG_MAX_VFIO)
		return fc_fail(why, len, -E2BIG, where, NULL,
			       "at most %d VFIO devices", CONFIG_MAX_VFIO);
	f.iommu = fc_bool(b, "iommu", true);
	f.path = strdup(path);
	f.vfio_id = strdup(id);
	if (!f.path || !f.vfio_id) {
		free(f.path);
		free(f.vfio_id);
		return fc_fail(why, len, -ENOMEM, where, NULL, "out of memory");
	}
	if (pos < 0) {
		cfg->vfio[cfg->nr_vfio++] = f;
	} else {
		free(cfg->vfio[pos].path);
		free(cfg->vfio[pos].vfio_id);
		cfg->vfio[pos] = f;
	}
	return 0;
}
