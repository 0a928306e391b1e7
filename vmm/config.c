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
	}
	for (unsigned int i = 0; i < cfg->nr_nets; i++)
		free(cfg->nets[i].tap);
	memset(cfg, 0, sizeof(*cfg));
}

static int set_string(char **field, const char *value, char *why,
		      size_t len)
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
	return set_string(&cfg->kernel_path, v, why, len);
}

static int set_initrd(struct vm_config *cfg, const char *v, char *why,
		      size_t len)
{
	return set_string(&cfg->initrd_path, v, why, len);
}

static int set_cmdline(struct vm_config *cfg, const char *v, char *why,
		       size_t len)
{
	char *copy = strdup(v);	/* an empty command line is allowed */

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
	int err = uint_parse(v, 1, CONFIG_MAX_CPUS, &n);

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
	int err = size_parse(v, &size);

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
