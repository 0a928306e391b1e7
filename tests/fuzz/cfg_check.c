// SPDX-License-Identifier: Apache-2.0
/* tests/fuzz/cfg_check.c: what every struct vm_config the API leaves must hold. */
#include "cfg_check.h"

#include <string.h>

#include "api/fc_schema.h"
#include "fuzz.h"

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static bool disk_same(const struct disk_config *x, const struct disk_config *y)
{
	return str_eq(x->path, y->path) && str_eq(x->id, y->id) &&
	       str_eq(x->drive_id, y->drive_id) &&
	       str_eq(x->partuuid, y->partuuid) &&
	       x->read_only == y->read_only && x->root == y->root &&
	       x->direct == y->direct && x->iommu == y->iommu;
}

static bool net_same(const struct net_config *x, const struct net_config *y)
{
	return str_eq(x->tap, y->tap) && str_eq(x->iface_id, y->iface_id) &&
	       x->has_mac == y->has_mac && x->iommu == y->iommu &&
	       (!x->has_mac || !memcmp(x->mac, y->mac, sizeof(x->mac)));
}

static bool vfio_same(const struct vfio_config *x, const struct vfio_config *y)
{
	return str_eq(x->path, y->path) && str_eq(x->vfio_id, y->vfio_id) &&
	       x->iommu == y->iommu;
}

bool cfg_same_vm(const struct vm_config *a, const struct vm_config *b)
{
	if (!str_eq(a->kernel_path, b->kernel_path) ||
	    !str_eq(a->initrd_path, b->initrd_path) ||
	    !str_eq(a->cmdline, b->cmdline) || a->nr_cpus != b->nr_cpus ||
	    a->mem_size != b->mem_size || a->rng != b->rng ||
	    (a->rng && a->rng_iommu != b->rng_iommu) || a->iommu != b->iommu ||
	    (a->iommu && a->iommu_poll_us != b->iommu_poll_us) ||
	    a->no_cmdline_devices != b->no_cmdline_devices ||
	    a->nr_disks != b->nr_disks || a->nr_nets != b->nr_nets ||
	    a->nr_vfio != b->nr_vfio)
		return false;
	for (unsigned int i = 0; i < a->nr_disks; i++)
		if (!disk_same(&a->disks[i], &b->disks[i]))
			return false;
	for (unsigned int i = 0; i < a->nr_nets; i++)
		if (!net_same(&a->nets[i], &b->nets[i]))
			return false;
	for (unsigned int i = 0; i < a->nr_vfio; i++)
		if (!vfio_same(&a->vfio[i], &b->vfio[i]))
			return false;
	return true;
}

/* linux-loader's rule, which boot_args must follow (fc_config.c). */
static bool printable(const char *s)
{
	for (; *s; s++)
		if (*s < ' ' || *s > '~')
			return false;
	return true;
}

static void check_disks(const struct vm_config *cfg)
{
	char buf[CONFIG_ROOT_ARGS_MAX + 1] = "";

	FUZZ_CHECK(cfg->nr_disks <= CONFIG_MAX_DISKS, "%u disks",
		   cfg->nr_disks);
	for (unsigned int i = 0; i < cfg->nr_disks; i++) {
		const struct disk_config *d = &cfg->disks[i];

		FUZZ_CHECK(d->path && d->path[0], "disk %u: no path", i);
		FUZZ_CHECK(d->drive_id && fc_id_is_valid(d->drive_id),
			   "disk %u: bad drive_id", i);
		FUZZ_CHECK(!d->root || i == 0, "disk %u is a root drive", i);
		FUZZ_CHECK(!d->partuuid || (strlen(d->partuuid) <=
						    CONFIG_PARTUUID_MAX &&
					    strspn(d->partuuid,
						   "0123456789abcdefABCDEF-") ==
						    strlen(d->partuuid)),
			   "disk %u: partuuid '%s'", i, d->partuuid);
		for (unsigned int j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(cfg->disks[j].drive_id, d->drive_id),
				   "disks %u and %u: drive_id '%s' twice", j, i,
				   d->drive_id);
	}
	/* The builder appends the root's words to the command line into a
	 * buffer sized by this bound: it must hold. */
	FUZZ_CHECK(!config_root_args_append(cfg, buf, sizeof(buf)),
		   "root arguments longer than CONFIG_ROOT_ARGS_MAX");
}

static void check_nets(const struct vm_config *cfg)
{
	FUZZ_CHECK(cfg->nr_nets <= CONFIG_MAX_NETS, "%u nets", cfg->nr_nets);
	for (unsigned int i = 0; i < cfg->nr_nets; i++) {
		const struct net_config *n = &cfg->nets[i];

		FUZZ_CHECK(n->tap && config_tap_name_ok(n->tap, strlen(n->tap)),
			   "net %u: bad tap", i);
		FUZZ_CHECK(n->iface_id && fc_id_is_valid(n->iface_id),
			   "net %u: bad iface_id", i);
		FUZZ_CHECK(!n->has_mac || (!(n->mac[0] & 1) &&
					   (n->mac[0] | n->mac[1] | n->mac[2] |
					    n->mac[3] | n->mac[4] | n->mac[5])),
			   "net %u: MAC not unicast", i);
		for (unsigned int j = 0; j < i; j++) {
			const struct net_config *o = &cfg->nets[j];

			FUZZ_CHECK(strcmp(o->iface_id, n->iface_id),
				   "nets %u and %u: one iface_id", j, i);
			FUZZ_CHECK(strcmp(o->tap, n->tap),
				   "nets %u and %u: one tap", j, i);
			FUZZ_CHECK(!o->has_mac || !n->has_mac ||
					   memcmp(o->mac, n->mac, 6),
				   "nets %u and %u: one MAC", j, i);
		}
	}
}

/* ignis's VFIO entries: the API always names them; paths canonical. */
static void check_vfio(const struct vm_config *cfg)
{
	FUZZ_CHECK(cfg->nr_vfio <= CONFIG_MAX_VFIO, "%u vfio", cfg->nr_vfio);
	for (unsigned int i = 0; i < cfg->nr_vfio; i++) {
		const struct vfio_config *f = &cfg->vfio[i];
		char canon[CONFIG_VFIO_PATH_SIZE], why[160];

		FUZZ_CHECK(f->vfio_id && fc_id_is_valid(f->vfio_id),
			   "vfio %u: bad vfio_id", i);
		FUZZ_CHECK(f->path &&
				   !config_vfio_path_parse(f->path,
							   strlen(f->path),
							   canon, why,
							   sizeof(why)) &&
				   !strcmp(canon, f->path),
			   "vfio %u: path not canonical", i);
		for (unsigned int j = 0; j < i; j++) {
			FUZZ_CHECK(strcmp(cfg->vfio[j].vfio_id, f->vfio_id),
				   "vfio %u and %u: one vfio_id", j, i);
			FUZZ_CHECK(strcmp(cfg->vfio[j].path, f->path),
				   "vfio %u and %u: one function", j, i);
		}
	}
}

void cfg_check(const struct vm_config *cfg)
{
	FUZZ_CHECK(cfg->nr_cpus >= 1 && cfg->nr_cpus <= CONFIG_MAX_CPUS,
		   "%u vCPUs", cfg->nr_cpus);
	FUZZ_CHECK(cfg->mem_size >= CONFIG_MIN_MEM_SIZE &&
			   !(cfg->mem_size & ((1ULL << 20) - 1)),
		   "mem_size %llu", (unsigned long long)cfg->mem_size);
	FUZZ_CHECK(cfg->cmdline && printable(cfg->cmdline),
		   "command line missing or not printable");
	FUZZ_CHECK(!cfg->kernel_path || cfg->kernel_path[0], "empty kernel");
	FUZZ_CHECK(!cfg->initrd_path ||
			   (cfg->initrd_path[0] && cfg->kernel_path),
		   "initrd empty or without a kernel");
	FUZZ_CHECK(cfg->iommu_poll_us <= CONFIG_MAX_POLL_US, "poll_us %u",
		   cfg->iommu_poll_us);
	FUZZ_CHECK(!cfg->rng_iommu || cfg->rng, "rng_iommu without an rng");
	check_disks(cfg);
	check_nets(cfg);
	check_vfio(cfg);
}
