// SPDX-License-Identifier: Apache-2.0
/* api/fc_api_json.c: the API's JSON answers (faults, GET bodies). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fc_api_priv.h"

/* Compact, keys in the order built (Firecracker's serde order). */
static char *dump(json_t *v)
{
	char *text =
		v ? json_dumps(v, JSON_PRESERVE_ORDER | JSON_COMPACT) : NULL;

	json_decref(v);
	return text;
}

char *fc_api_fault(const char *msg)
{
	json_t *s = json_string(msg);
	char *safe;

	/* A message quoting the request's path may hold bytes that are not
	 * UTF-8 (the HTTP parser takes any byte above 0x7f in a URL), which
	 * jansson refuses: without this the client's mistake became a 500
	 * with no body. Such bytes become '?'. */
	if (!s && (safe = strdup(msg))) {
		for (char *p = safe; *p; p++)
			if ((unsigned char)*p > 0x7f)
				*p = '?';
		s = json_string(safe);
		free(safe);
	}
	return dump(s ? json_pack("{s:o}", "fault_message", s) : NULL);
}

char *fc_api_instance_info(const struct fc_api *api)
{
	/* Firecracker's default id, and its states. Kata polls for
	 * "Running". */
	return dump(json_pack("{s:s, s:s, s:s, s:s}", "id",
			      "anonymous-instance", "state",
			      !api->running ? "Not started" :
			      api->paused   ? "Paused" :
					      "Running",
			      "vmm_version", IGNIS_VERSION, "app_name",
			      "ignis"));
}

char *fc_api_version(void)
{
	/* The field is Firecracker's name for the VMM's version. */
	return dump(json_pack("{s:s}", "firecracker_version", IGNIS_VERSION));
}

static json_t *machine_config(const struct vm_config *cfg)
{
	return json_pack("{s:I, s:I, s:b, s:b, s:s}", "vcpu_count",
			 (json_int_t)cfg->nr_cpus, "mem_size_mib",
			 (json_int_t)(cfg->mem_size >> 20), "smt", 0,
			 "track_dirty_pages", 0, "huge_pages", "None");
}

char *fc_api_machine_config(const struct vm_config *cfg)
{
	return dump(machine_config(cfg));
}

/* A string, or JSON null for NULL. */
static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *boot_source(const struct vm_config *cfg)
{
	if (!cfg->kernel_path)
		return json_null();
	return json_pack("{s:s, s:o, s:s}", "kernel_image_path",
			 cfg->kernel_path, "initrd_path",
			 str_or_null(cfg->initrd_path), "boot_args",
			 cfg->cmdline);
}

static json_t *drives(const struct vm_config *cfg)
{
	json_t *a = json_array();

	for (unsigned int i = 0; a && i < cfg->nr_disks; i++) {
		const struct disk_config *d = &cfg->disks[i];
		char id[16];
		json_t *v;

		/* A --disk has no drive_id: name it by its place. */
		snprintf(id, sizeof(id), "disk%u", i);
		v = json_pack("{s:s, s:s, s:b, s:o, s:b, s:s, s:s, s:b}",
			      "drive_id", d->drive_id ? d->drive_id : id,
			      "path_on_host", d->path, "is_root_device",
			      (int)d->root, "partuuid",
			      str_or_null(d->partuuid), "is_read_only",
			      (int)d->read_only, "cache_type", "Writeback",
			      "io_engine", "Async", "iommu", (int)d->iommu);
		if (!v || json_array_append_new(a, v)) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *nets(const struct vm_config *cfg)
{
	json_t *a = json_array();

	for (unsigned int i = 0; a && i < cfg->nr_nets; i++) {
		const struct net_config *n = &cfg->nets[i];
		char id[16], mac[18];
		json_t *v;

		snprintf(id, sizeof(id), "net%u", i);
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x",
			 n->mac[0], n->mac[1], n->mac[2], n->mac[3], n->mac[4],
			 n->mac[5]);
		v = json_pack("{s:s, s:s, s:o, s:b}", "iface_id",
			      n->iface_id ? n->iface_id : id, "host_dev_name",
			      n->tap, "guest_mac",
			      n->has_mac ? json_string(mac) : json_null(),
			      "iommu", (int)n->iommu);
		if (!v || json_array_append_new(a, v)) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* ignis's "vfio" section: the functions, paths canonical. */
static json_t *vfio(const struct vm_config *cfg)
{
	json_t *a = json_array();

	for (unsigned int i = 0; a && i < cfg->nr_vfio; i++) {
		const struct vfio_config *f = &cfg->vfio[i];
		char id[16];
		json_t *v;

		/* A --vfio without id= is named by its place. */
		snprintf(id, sizeof(id), "vfio%u", i);
		v = json_pack("{s:s, s:s, s:b}", "vfio_id",
			      f->vfio_id ? f->vfio_id : id, "path", f->path,
			      "iommu", (int)f->iommu);
		if (!v || json_array_append_new(a, v)) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* Firecracker's level names, for the "logger" section. */
static const char *level_name(enum log_level l)
{
	switch (l) {
	case LOG_OFF:
		return "Off";
	case LOG_ERROR:
		return "Error";
	case LOG_WARN:
		return "Warn";
	case LOG_INFO:
		return "Info";
	case LOG_DEBUG:
		break;
	}
	return "Debug";
}

/* json_string() of (s), or null for NULL. */
static json_t *string_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *logger(const struct vm_config *cfg)
{
	const struct log_config *l = &cfg->log;

	return json_pack("{s:o, s:s, s:b, s:b, s:o}", "log_path",
			 string_or_null(l->path), "level",
			 level_name(l->level), "show_level", (int)l->show_level,
			 "show_log_origin", (int)l->show_origin, "module",
			 string_or_null(l->module));
}

static json_t *vsock(const struct vm_config *cfg)
{
	const struct vsock_config *v = &cfg->vsock;
	json_t *o;

	if (!v->uds_path)
		return json_null();
	o = json_pack("{s:I, s:s, s:b}", "guest_cid", (json_int_t)v->cid,
		      "uds_path", v->uds_path, "iommu", (int)v->iommu);
	if (o && v->vsock_id &&
	    json_object_set_new(o, "vsock_id", json_string(v->vsock_id))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

char *fc_api_vm_config(const struct vm_config *cfg)
{
	/* Firecracker's VmmConfig field order; ignis's "iommu" and "vfio"
	 * last. */
	return dump(json_pack(
		"{s:n, s:o, s:o, s:n, s:o, s:o, s:o, s:n, s:o, s:o, s:o, s:o, "
		"s:o}",
		"balloon", "drives", drives(cfg), "boot-source",
		boot_source(cfg), "cpu-config", "machine-config",
		machine_config(cfg), "logger", logger(cfg), "metrics",
		cfg->metrics.path ?
			json_pack("{s:s}", "metrics_path", cfg->metrics.path) :
			json_null(),
		"mmds-config", "network-interfaces", nets(cfg), "vsock",
		vsock(cfg), "entropy",
		cfg->rng ? json_pack("{s:b}", "iommu", (int)cfg->rng_iommu) :
			   json_null(),
		"iommu",
		cfg->iommu ? json_pack("{s:b, s:I}", "enabled", 1, "poll_us",
				       (json_int_t)cfg->iommu_poll_us) :
			     json_null(),
		"vfio", vfio(cfg)));
}
