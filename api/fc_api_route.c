// SPDX-License-Identifier: Apache-2.0
/* api/fc_api_route.c: Firecracker's API routes: (method, path, body) to an answer. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fc_api_priv.h"
#include "fc_config.h"
#include "fc_schema.h"
#include "vmm/log.h"
#include "vmm/metrics.h"

void route_answer(struct route *r, int status, char *json)
{
	r->status = status;
	r->resp = json;
}

/* 400 {"fault_message": ...}: every error Firecracker's API reports. */
void route_fault(struct route *r, const char *fmt, ...)
{
	char msg[FC_API_WHY_LEN + 128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	route_answer(r, 400, fc_api_fault(msg));
}

static void route_invalid_path(struct route *r)
{
	/* parsed_request.rs, RequestError::InvalidPathMethod. */
	route_fault(r, "Invalid request method and/or path: %s %s.",
		    r->method_name, r->res);
}

/* Endpoints of Firecracker's that ignis has no device or feature for. */
static void route_not_yet(struct route *r)
{
	route_fault(r, "%s %s: not supported by ignis yet.", r->method_name,
		    r->res);
}

/* The body as a JSON object, or a 400 and NULL. */
json_t *route_parse_body(struct route *r)
{
	char why[FC_API_WHY_LEN];
	json_t *b;

	if (fc_json_parse(r->body, r->body_len, &b, why, sizeof(why))) {
		route_fault(
			r,
			"An error occurred when deserializing the json body of "
			"a request: %s.",
			why);
		return NULL;
	}
	return b;
}

/* The {id} of /drives/{id}, /network-interfaces/{id}, /vfio/{id}: present
 * and Firecracker's characters (parsed_request.rs, checked_id()), or a
 * 400. */
bool route_check_id(struct route *r)
{
	if (!r->id || !r->id[0]) {
		route_fault(r, "The ID cannot be empty.");
		return false;
	}
	for (const char *c = r->id; *c; c++) {
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '_')) {
			route_fault(r,
				    "API Resource IDs can only contain "
				    "alphanumeric characters and underscores.");
			return false;
		}
	}
	return true;
}

/* The bodies that edit the configuration (api/fc_config.h). */
enum body_kind {
	B_BOOT_SOURCE,
	B_MACHINE_PUT,
	B_MACHINE_PATCH,
	B_DRIVE,
	B_NET,
	B_ENTROPY,
	B_IOMMU,
	B_VSOCK,
	B_LOGGER,
	B_METRICS,
	B_VFIO,
};

static int apply(struct vm_config *cfg, enum body_kind k, const json_t *b,
		 const char *id, char *why, size_t len)
{
	switch (k) {
	case B_BOOT_SOURCE:
		return fc_boot_source_apply(cfg, b, why, len);
	case B_MACHINE_PUT:
		return fc_machine_config_apply(cfg, b, false, why, len);
	case B_MACHINE_PATCH:
		return fc_machine_config_apply(cfg, b, true, why, len);
	case B_DRIVE:
		return fc_drive_apply(cfg, b, id, why, len);
	case B_NET:
		return fc_net_apply(cfg, b, id, why, len);
	case B_ENTROPY:
		return fc_entropy_apply(cfg, b, why, len);
	case B_IOMMU:
		return fc_iommu_apply(cfg, b, why, len);
	case B_VSOCK:
		return fc_vsock_apply(cfg, b, why, len);
	case B_LOGGER:
		return fc_logger_apply(cfg, b, why, len);
	case B_METRICS:
		return fc_metrics_apply(cfg, b, why, len);
	case B_VFIO:
		return fc_vfio_apply(cfg, b, id, why, len);
	}
	return -EINVAL;
}

/* The logger and metrics take effect when configured (Firecracker's do):
 * their files are opened from (c), a copy, before it is kept. */
static int activate(const struct vm_config *c, enum body_kind k, char *why,
		    size_t len)
{
	if (k == B_LOGGER)
		return log_configure(&c->log, why, len);
	if (k == B_METRICS)
		return metrics_configure(&c->metrics, why, len);
	return 0;
}

/*
 * A pre-boot body: applied whole, or a 400 naming the field. After boot,
 * Firecracker still parses the body first (its API thread does) and only
 * then refuses the operation, so a bad body gets its own reason either
 * way: here it is tried on a copy that is thrown away. A logger or metrics
 * body is tried on a copy too, kept once its file opened.
 */
static void configure(struct route *r, enum body_kind k)
{
	struct fc_api *api = r->api;
	struct vm_config scratch;
	char why[FC_API_WHY_LEN] = "";
	json_t *b;
	int err;

	if ((k == B_DRIVE || k == B_NET || k == B_VFIO) && !route_check_id(r))
		return;
	b = route_parse_body(r);
	if (!b)
		return;
	if (!api->running && k != B_LOGGER && k != B_METRICS) {
		err = apply(api->cfg, k, b, r->id, why, sizeof(why));
	} else if (config_copy(&scratch, api->cfg)) {
		err = -ENOMEM;
		snprintf(why, sizeof(why), "out of memory");
	} else {
		err = apply(&scratch, k, b, r->id, why, sizeof(why));
		if (!err && api->running) {
			err = -EPERM;
			snprintf(why, sizeof(why), "%s", FC_MSG_POST_BOOT);
		}
		if (!err)
			err = activate(&scratch, k, why, sizeof(why));
		if (err) {
			config_free(&scratch);
		} else {
			config_free(api->cfg);
			*api->cfg = scratch;
		}
	}
	json_decref(b);
	if (err)
		route_fault(r, "%s", why);
	else
		route_answer(r, 204, NULL);
}

static void route_get(struct route *r)
{
	const struct fc_api *api = r->api;

	if (!strcmp(r->res, "") && !r->id)
		route_answer(r, 200, fc_api_instance_info(api));
	else if (!strcmp(r->res, "version") && !r->id)
		route_answer(r, 200, fc_api_version());
	else if (!strcmp(r->res, "machine-config") && !r->id)
		route_answer(r, 200, fc_api_machine_config(api->cfg));
	else if (!strcmp(r->res, "vm") && r->id && !strcmp(r->id, "config") &&
		 !r->extra)
		route_answer(r, 200, fc_api_vm_config(api->cfg));
	else if (!strcmp(r->res, "balloon") || !strcmp(r->res, "mmds") ||
		 !strcmp(r->res, "hotplug"))
		route_not_yet(r);
	else
		route_invalid_path(r);
}

/* Firecracker's PUT endpoints that ignis has nothing behind yet. */
static const char *const put_not_yet[] = {
	"balloon", "cpu-config", "pmem",    "serial",
	"mmds",	   "snapshot",	 "hotplug", NULL,
};

static bool is_one_of(const char *s, const char *const list[])
{
	for (unsigned int i = 0; list[i]; i++)
		if (!strcmp(s, list[i]))
			return true;
	return false;
}

static void route_put(struct route *r)
{
	/* clang-format off */
	static const struct { const char *res; enum body_kind kind; } t[] = {
		{ "boot-source", B_BOOT_SOURCE }, { "machine-config", B_MACHINE_PUT },
		{ "drives", B_DRIVE }, { "network-interfaces", B_NET },
		{ "entropy", B_ENTROPY }, { "iommu", B_IOMMU },
		{ "vsock", B_VSOCK }, { "logger", B_LOGGER },
		{ "metrics", B_METRICS }, { "vfio", B_VFIO },
	};
	/* clang-format on */
	bool with_id = !strcmp(r->res, "drives") ||
		       !strcmp(r->res, "network-interfaces") ||
		       !strcmp(r->res, "vfio");

	if (is_one_of(r->res, put_not_yet)) {
		route_not_yet(r);
		return;
	}
	if (r->extra || (r->id && !with_id)) {
		route_invalid_path(r);
		return;
	}
	if (!strcmp(r->res, "actions")) {
		route_actions(r);
		return;
	}
	for (unsigned int i = 0; i < ARRAY_LEN(t); i++) {
		if (!strcmp(r->res, t[i].res)) {
			configure(r, t[i].kind);
			return;
		}
	}
	route_invalid_path(r);
}

static void route_patch(struct route *r)
{
	bool with_id = !strcmp(r->res, "drives") ||
		       !strcmp(r->res, "network-interfaces");

	if (!strcmp(r->res, "balloon") || !strcmp(r->res, "mmds") ||
	    !strcmp(r->res, "hotplug"))
		route_not_yet(r);
	else if (r->extra || (r->id && !with_id))
		route_invalid_path(r);
	else if (!strcmp(r->res, "machine-config"))
		configure(r, B_MACHINE_PATCH);
	else if (!strcmp(r->res, "drives"))
		route_update_device(r, true);
	else if (!strcmp(r->res, "network-interfaces"))
		route_update_device(r, false);
	else if (!strcmp(r->res, "vm"))
		route_patch_vm(r);
	else
		route_invalid_path(r);
}

static enum method method_of(const char *m)
{
	if (!strcmp(m, "GET"))
		return M_GET;
	if (!strcmp(m, "PUT"))
		return M_PUT;
	if (!strcmp(m, "PATCH"))
		return M_PATCH;
	return M_OTHER;
}

void fc_api_handle(struct fc_api *api, const char *method, const char *path,
		   const char *body, size_t body_len, int *status, char **resp)
{
	struct route r = {
		.api = api,
		.method = method_of(method),
		.method_name = method,
		.body = body,
		.body_len = body_len,
	};
	/* The path's segments, split in place in a copy; the query, which
	 * no endpoint takes, is dropped. */
	char *copy = strndup(path, strcspn(path, "?")), *p, *slash;

	if (!copy) {
		*status = 500;
		*resp = NULL;
		return;
	}
	for (p = copy; *p == '/'; p++)
		;
	r.res = p;
	slash = strchr(p, '/');
	if (slash) {
		*slash = '\0';
		r.id = slash + 1;
		slash = strchr(slash + 1, '/');
		if (slash) {
			*slash = '\0';
			/* "/drives/x/" is "/drives/x", as Firecracker's
			 * split_terminator() has it. */
			r.extra = slash[1] != '\0';
		}
		if (!r.id[0] && !r.extra)
			r.id = NULL; /* "/version/" is "/version" */
	}
	/* parsed_request.rs: a GET with a body, a PUT or PATCH without. */
	if (r.method == M_GET && body_len)
		route_fault(&r, "GET request cannot have a body.");
	else if (r.method == M_PUT && !body_len)
		route_fault(&r, "Empty PUT request.");
	else if (r.method == M_PATCH && !body_len)
		route_fault(&r, "Empty PATCH request.");
	else if (r.method == M_GET)
		route_get(&r);
	else if (r.method == M_PUT)
		route_put(&r);
	else if (r.method == M_PATCH)
		route_patch(&r);
	else
		route_invalid_path(&r);
	free(copy);
	*status = r.status;
	*resp = r.resp;
}
