// SPDX-License-Identifier: Apache-2.0
/* vmm/config.c: what the user asked for, validated, before anything is built. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "size.h"

int config_init(struct vm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->nr_cpus = 1;
	cfg->iommu_poll_us = CONFIG_IOMMU_POLL_US;
	cfg->mem_size = CONFIG_DEFAULT_MEM_SIZE;
	cfg->log = LOG_CONFIG_DEFAULT;
	cfg->metrics.period_ms = METRICS_DEFAULT_PERIOD_MS;
	cfg->cmdline = strdup(CONFIG_DEFAULT_CMDLINE);
	return cfg->cmdline ? 0 : -ENOMEM;
}

void config_free(struct vm_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->kernel_path);
	free(cfg->initrd_path);
	free(cfg->cmdline);
	for (unsigned int i = 0; i < cfg->nr_disks; i++) {
		free(cfg->disks[i].path);
		free(cfg->disks[i].id);
		free(cfg->disks[i].drive_id);
		free(cfg->disks[i].partuuid);
	}
	for (unsigned int i = 0; i < cfg->nr_nets; i++) {
		free(cfg->nets[i].tap);
		free(cfg->nets[i].iface_id);
	}
	free(cfg->vsock.uds_path);
	free(cfg->vsock.vsock_id);
	for (unsigned int i = 0; i < cfg->nr_vfio; i++) {
		free(cfg->vfio[i].path);
		free(cfg->vfio[i].vfio_id);
	}
	free(cfg->log.path);
	free(cfg->log.module);
	free(cfg->metrics.path);
	memset(cfg, 0, sizeof(*cfg));
}

/* Replaces (*field) with a copy of itself; NULL stays NULL. 0 or -ENOMEM
 * (then *field is NULL, so that config_free() can run). */
static int dup_in_place(char **field)
{
	if (!*field)
		return 0;
	*field = strdup(*field);
	return *field ? 0 : -ENOMEM;
}

int config_copy(struct vm_config *dst, const struct vm_config *src)
{
	int err = 0;

	*dst = *src;
	/* Every owned string gets its own copy. One that fails becomes NULL,
	 * the rest are still copied, and config_free() frees them all. */
	err |= dup_in_place(&dst->kernel_path);
	err |= dup_in_place(&dst->initrd_path);
	err |= dup_in_place(&dst->cmdline);
	for (unsigned int i = 0; i < dst->nr_disks; i++) {
		err |= dup_in_place(&dst->disks[i].path);
		err |= dup_in_place(&dst->disks[i].id);
		err |= dup_in_place(&dst->disks[i].drive_id);
		err |= dup_in_place(&dst->disks[i].partuuid);
	}
	for (unsigned int i = 0; i < dst->nr_nets; i++) {
		err |= dup_in_place(&dst->nets[i].tap);
		err |= dup_in_place(&dst->nets[i].iface_id);
	}
	err |= dup_in_place(&dst->vsock.uds_path);
	err |= dup_in_place(&dst->vsock.vsock_id);
	for (unsigned int i = 0; i < dst->nr_vfio; i++) {
		err |= dup_in_place(&dst->vfio[i].path);
		err |= dup_in_place(&dst->vfio[i].vfio_id);
	}
	err |= dup_in_place(&dst->log.path);
	err |= dup_in_place(&dst->log.module);
	err |= dup_in_place(&dst->metrics.path);
	if (err) {
		config_free(dst);
		return -ENOMEM;
	}
	return 0;
}

bool config_is_default(const struct vm_config *cfg)
{
	return !cfg->kernel_path && !cfg->initrd_path && cfg->cmdline &&
	       !strcmp(cfg->cmdline, CONFIG_DEFAULT_CMDLINE) &&
	       cfg->nr_cpus == 1 && cfg->mem_size == CONFIG_DEFAULT_MEM_SIZE &&
	       !cfg->rng && !cfg->no_cmdline_devices && !cfg->iommu &&
	       cfg->iommu_poll_us == CONFIG_IOMMU_POLL_US && !cfg->nr_disks &&
	       !cfg->nr_nets && !cfg->vsock.uds_path && !cfg->nr_vfio &&
	       !cfg->from_file;
}

bool config_vsock_path_ok(const char *s, size_t n)
{
	return n && n <= CONFIG_VSOCK_PATH_MAX && !memchr(s, '\0', n);
}

int config_root_args_append(const struct vm_config *cfg, char *buf,
			    size_t size)
{
	const struct disk_config *d = &cfg->disks[0];
	size_t used = strlen(buf);
	int n;

	if (!cfg->nr_disks || !d->root)
		return 0;
	/* Firecracker's order: the user's words, then root=, then how to
	 * find each device. The root drive is always the first: vda. */
	if (d->partuuid)
		n = snprintf(buf + used, size - used, "%sroot=PARTUUID=%s %s",
			     used ? " " : "", d->partuuid,
			     d->read_only ? "ro" : "rw");
	else
		n = snprintf(buf + used, size - used, "%sroot=/dev/vda %s",
			     used ? " " : "", d->read_only ? "ro" : "rw");
	if (n < 0 || (size_t)n >= size - used) {
		buf[used] = '\0';
		return -E2BIG;
	}
	return 0;
}

bool config_tap_name_ok(const char *s, size_t n)
{
	if (!n || n > CONFIG_TAP_NAME_MAX || (n == 1 && s[0] == '.') ||
	    (n == 2 && s[0] == '.' && s[1] == '.'))
		return false;
	/* strchr() finds the terminator too: no NUL inside either. */
	for (size_t i = 0; i < n; i++)
		if (strchr("/%: \t\n\r\v\f", s[i]))
			return false;
	return true;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int config_mac_parse(const char *s, size_t n, uint8_t mac[6])
{
	uint8_t any = 0;

	if (n != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		int hi = hex_digit(s[3 * i]), lo = hex_digit(s[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
		any |= mac[i];
	}
	return any && !(mac[0] & 1) ? 0 : -EINVAL;
}

int config_check_flag(const struct vm_config *cfg, char *why, size_t len)
{
	/* One source of truth, not a file quietly overridden by a flag. */
	if (!cfg->from_file)
		return 0;
	snprintf(why, len, "give either --config-file or the machine and "
		 "device flags, not both");
	return -EINVAL;
}

int config_set_string(char **field, const char *value, char *why, size_t len)
{
	char *copy;

	if (!value[0]) {
		snprintf(why, len, "must not be empty");
		return -EINVAL;
	}
	copy = strdup(value);
	if (!copy)
		return -ENOMEM;
	free(*field);
	*field = copy;
	return 0;
}

static int set_kernel(struct vm_config *cfg, const char *v, char *why,
		      size_t len)
{
	int err = config_check_flag(cfg, why, len);

	return err ? err : config_set_string(&cfg->kernel_path, v, why, len);
}

static int set_initrd(struct vm_config *cfg, const char *v, char *why,
		      size_t len)
{
	int err = config_check_flag(cfg, why, len);

	return err ? err : config_set_string(&cfg->initrd_path, v, why, len);
}

static int set_cmdline(struct vm_config *cfg, const char *v, char *why,
		       size_t len)
{
	char *copy;

	if (config_check_flag(cfg, why, len))
		return -EINVAL;
	copy = strdup(v);	/* an empty command line is allowed */
	if (!copy)
		return -ENOMEM;
	free(cfg->cmdline);
	cfg->cmdline = copy;
	return 0;
}

static int set_cpus(struct vm_config *cfg, const char *v, char *why,
		    size_t len)
{
	uint64_t n;
	int err = config_check_flag(cfg, why, len);

	if (err)
		return err;
	err = uint_parse(v, 1, CONFIG_MAX_CPUS, &n);
	if (err) {
		snprintf(why, len, "expected a number of vCPUs from 1 to %d",
			 CONFIG_MAX_CPUS);
		return err;
	}
	cfg->nr_cpus = (unsigned int)n;
	return 0;
}

static int set_memory(struct vm_config *cfg, const char *v, char *why,
		      size_t len)
{
	uint64_t size;
	int err = config_check_flag(cfg, why, len);

	if (err)
		return err;
	err = size_parse(v, &size);
	if (err) {
		snprintf(why, len, err == -ERANGE ? "size too large" :
			 "expected a size such as 128M or 1G");
		return err;
	}
	if (size < CONFIG_MIN_MEM_SIZE) {
		snprintf(why, len, "guest memory must be at least 2M");
		return -ERANGE;
	}
	if (size % 4096) {
		snprintf(why, len, "guest memory must be a multiple of 4K");
		return -EINVAL;
	}
	cfg->mem_size = size;
	return 0;
}

static const struct cli_option config_options[] = {
	{ "kernel", "PATH", "guest kernel: PVH ELF, vmlinux or bzImage",
	  false, set_kernel },
	{ "initrd", "PATH", "initial ramdisk", false, set_initrd },
	{ "cmdline", "STR",
	  "kernel command line (default \"" CONFIG_DEFAULT_CMDLINE "\")",
	  false, set_cmdline },
	{ "cpus", "N", "number of vCPUs (default 1)", false, set_cpus },
	{ "memory", "SIZE", "guest RAM, e.g. 512M, 2G (default 128M)", false,
	  set_memory },
};

const struct cli_group config_cli_group = {
	.title = "Machine",
	.options = config_options,
	.nr_options = sizeof(config_options) / sizeof(config_options[0]),
};
