// SPDX-License-Identifier: Apache-2.0
/* vmm/config_vfio.c: --vfio, and how a host PCI function is named (issue 8). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#define VFIO_DEVICES_DIR "/sys/devices/"

/* What every refusal of a name says it expected. */
#define VFIO_EXPECTED                                                   \
	"expected a PCI address DDDD:BB:DD.F or BB:DD.F (hex), or its " \
	"directory under " CONFIG_VFIO_SYSFS_DIR "/ or " VFIO_DEVICES_DIR

/* A PCI function's address (the sysfs name's fields). */
struct vfio_bdf {
	unsigned int domain, bus, dev, fn;
};

/* The value of the hex digits (s)[0..n), or -1 when one is not a digit. */
static long hex_field(const char *s, size_t n)
{
	long v = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int d = c >= '0' && c <= '9' ? c - '0' :
			c >= 'a' && c <= 'f' ? c - 'a' + 10 :
			c >= 'A' && c <= 'F' ? c - 'A' + 10 :
					       -1;

		if (d < 0)
			return -1;
		v = v << 4 | d;
	}
	return v;
}

/*
 * The (n) bytes at (s) as "DDDD:BB:DD.F", or "BB:DD.F" when (domain_ok):
 * exactly those widths, as sysfs and lspci -D write them. 0, or -EINVAL
 * with the reason.
 */
static int bdf_parse(const char *s, size_t n, bool domain_ok,
		     struct vfio_bdf *b, char *why, size_t len)
{
	size_t d = n == 12 ? 5 : 0; /* where the bus starts */
	long dom = 0, bus = -1, dev = -1, fn = -1;

	if ((n == 12 || (n == 7 && domain_ok)) && (!d || s[4] == ':') &&
	    s[d + 2] == ':' && s[d + 5] == '.') {
		dom = d ? hex_field(s, 4) : 0;
		bus = hex_field(s + d, 2);
		dev = hex_field(s + d + 3, 2);
		fn = hex_field(s + d + 6, 1);
	}
	if (dom < 0 || bus < 0 || dev < 0 || fn < 0) {
		snprintf(why, len, "%s",
			 domain_ok ? VFIO_EXPECTED :
				     "the path does not end in a PCI "
				     "function's name, DDDD:BB:DD.F (hex)");
		return -EINVAL;
	}
	/* PCI's 5-bit device and 3-bit function numbers. */
	if (dev > 0x1f) {
		snprintf(why, len, "device %02lx out of range (at most 1f)",
			 dev);
		return -EINVAL;
	}
	if (fn > 7) {
		snprintf(why, len, "function %lx out of range (at most 7)", fn);
		return -EINVAL;
	}
	*b = (struct vfio_bdf){ (unsigned int)dom, (unsigned int)bus,
				(unsigned int)dev, (unsigned int)fn };
	return 0;
}

/* Whether (n) bytes at (s) are the path component "." or "..". */
static bool is_dots(const char *s, size_t n)
{
	return (n == 1 && s[0] == '.') ||
	       (n == 2 && s[0] == '.' && s[1] == '.');
}

/*
 * The last component of the absolute path (s), (n) bytes without trailing
 * slashes, into (*last) and (*last_len): under CONFIG_VFIO_SYSFS_DIR
 * directly, or at least two levels under VFIO_DEVICES_DIR (a host
 * bridge's directory first), every component non-empty and neither "."
 * nor "..". 0 or -EINVAL with the reason.
 */
static int sysfs_last(const char *s, size_t n, const char **last,
		      size_t *last_len, char *why, size_t len)
{
	static const char bus_dir[] = CONFIG_VFIO_SYSFS_DIR "/";
	size_t skip = 0, depth = 0;
	const char *p, *end = s + n, *c;

	if (n > sizeof(bus_dir) - 1 && !memcmp(s, bus_dir, sizeof(bus_dir) - 1))
		skip = sizeof(bus_dir) - 1;
	else if (n > sizeof(VFIO_DEVICES_DIR) - 1 &&
		 !memcmp(s, VFIO_DEVICES_DIR, sizeof(VFIO_DEVICES_DIR) - 1))
		skip = sizeof(VFIO_DEVICES_DIR) - 1;
	if (!skip) {
		snprintf(why, len, "%s", VFIO_EXPECTED);
		return -EINVAL;
	}
	for (p = s + skip;; p = c + 1) {
		c = memchr(p, '/', (size_t)(end - p));
		if (!c)
			c = end;
		if (c == p || is_dots(p, (size_t)(c - p))) {
			snprintf(why, len,
				 "an empty, '.' or '..' component "
				 "in the path");
			return -EINVAL;
		}
		*last = p;
		*last_len = (size_t)(c - p);
		depth++;
		if (c == end)
			break;
	}
	/* A function's directory sits right in the bus's list, and below a
	 * host bridge (pci0000:00) in /sys/devices. */
	if (skip == sizeof(bus_dir) - 1 ? depth != 1 : depth < 2) {
		snprintf(why, len, "no PCI function's directory: %s",
			 VFIO_EXPECTED);
		return -EINVAL;
	}
	return 0;
}

int config_vfio_path_parse(const char *s, size_t n,
			   char out[CONFIG_VFIO_PATH_SIZE], char *why,
			   size_t len)
{
	const char *bdf = s;
	size_t bdf_len = n;
	struct vfio_bdf b;
	int err;

	if (!n || memchr(s, '\0', n)) {
		snprintf(why, len, "%s", VFIO_EXPECTED);
		return -EINVAL;
	}
	if (s[0] == '/') {
		while (n > 1 && s[n - 1] == '/')
			n--;
		err = sysfs_last(s, n, &bdf, &bdf_len, why, len);
		if (err)
			return err;
	}
	err = bdf_parse(bdf, bdf_len, bdf == s, &b, why, len);
	if (err)
		return err;
	snprintf(out, CONFIG_VFIO_PATH_SIZE,
		 CONFIG_VFIO_SYSFS_DIR "/%04x:%02x:%02x.%x", b.domain, b.bus,
		 b.dev, b.fn);
	return 0;
}

bool config_vfio_id_ok(const char *id)
{
	size_t n = strlen(id);

	return n && n <= CONFIG_VFIO_ID_MAX &&
	       strspn(id, "abcdefghijklmnopqrstuvwxyz"
			  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == n;
}

int config_vfio_find(const struct vm_config *cfg, const char *key, bool by_id)
{
	for (unsigned int i = 0; i < cfg->nr_vfio; i++) {
		const char *v =
			by_id ? cfg->vfio[i].vfio_id : cfg->vfio[i].path;

		if (v && !strcmp(v, key))
			return (int)i;
	}
	return -1;
}

/* The items after PATH|BDF: "id=ID", "iommu=on|off", each at most once,
 * into (f). 0, or -EINVAL / -ENOMEM with the reason. */
static int vfio_items(const struct vm_config *cfg, const char *s,
		      struct vfio_config *f, char *why, size_t len)
{
	bool has_iommu = false;
	struct cli_kv kv;
	int ret;

	while ((ret = cli_kv_next(&s, &kv)) > 0) {
		if (cli_kv_is(&kv, "id") && !f->vfio_id) {
			f->vfio_id = cli_kv_value(&kv);
			if (!f->vfio_id)
				return -ENOMEM;
			if (!config_vfio_id_ok(f->vfio_id)) {
				snprintf(why, len,
					 "id is 1 to %d characters "
					 "of A-Z, a-z, 0-9 and _",
					 CONFIG_VFIO_ID_MAX);
				return -EINVAL;
			}
			if (config_vfio_find(cfg, f->vfio_id, true) >= 0) {
				snprintf(why, len, "id '%s' is already in use",
					 f->vfio_id);
				return -EINVAL;
			}
			continue;
		}
		if (cli_kv_is(&kv, "iommu") && !has_iommu &&
		    !cli_kv_switch(&kv, &f->iommu)) {
			has_iommu = true;
			continue;
		}
		snprintf(why, len,
			 "unknown or repeated item '%.*s' (expected "
			 "PATH|BDF[,id=ID][,iommu=off])",
			 (int)kv.key_len, kv.key);
		return -EINVAL;
	}
	if (ret)
		snprintf(why, len, "expected PATH|BDF[,id=ID][,iommu=off]");
	return ret;
}

/* "PATH|BDF[,id=ID][,iommu=on|off]" */
static int set_vfio(struct vm_config *cfg, const char *v, char *why, size_t len)
{
	struct vfio_config f = { .iommu = true };
	char path[CONFIG_VFIO_PATH_SIZE];
	size_t first = strcspn(v, ",");
	int ret;

	if (config_check_flag(cfg, why, len))
		return -EINVAL;
	if (cfg->nr_vfio == CONFIG_MAX_VFIO) {
		snprintf(why, len, "at most %d VFIO devices", CONFIG_MAX_VFIO);
		return -E2BIG;
	}
	ret = config_vfio_path_parse(v, first, path, why, len);
	if (ret)
		return ret;
	if (config_vfio_find(cfg, path, false) >= 0) {
		snprintf(why, len, "%s is already passed through", path);
		return -EINVAL;
	}
	/* "BDF," has an empty last item: refused, as cli_kv_next() does. */
	if (v[first] == ',' && !v[first + 1]) {
		snprintf(why, len, "expected PATH|BDF[,id=ID][,iommu=off]");
		ret = -EINVAL;
	} else if (v[first] == ',') {
		ret = vfio_items(cfg, v + first + 1, &f, why, len);
	}
	if (!ret)
		f.path = strdup(path);
	if (!ret && !f.path)
		ret = -ENOMEM;
	if (ret) {
		free(f.vfio_id);
		return ret;
	}
	cfg->vfio[cfg->nr_vfio++] = f;
	return 0;
}

static const struct cli_option config_vfio_options[] = {
	{ "vfio", "PATH|BDF[,id=ID][,iommu=off]",
	  "pass a host PCI function, bound to vfio-pci, to the guest "
	  "(repeatable); without --iommu (or with iommu=off) all guest RAM "
	  "is mapped for its DMA and pinned",
	  true, set_vfio },
};

const struct cli_group config_vfio_cli_group = {
	.title = "VFIO passthrough",
	.options = config_vfio_options,
	.nr_options =
		sizeof(config_vfio_options) / sizeof(config_vfio_options[0]),
};
