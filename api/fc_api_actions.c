// SPDX-License-Identifier: Apache-2.0
/* api/fc_api_actions.c: PUT /actions (InstanceStart ...) and the PATCHes of a running VM. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fc_api_priv.h"
#include "fc_config.h"
#include "fc_schema.h"

static bool has_drive(const struct vm_config *cfg, const char *id)
{
	for (unsigned int i = 0; i < cfg->nr_disks; i++)
		if (cfg->disks[i].drive_id &&
		    !strcmp(cfg->disks[i].drive_id, id))
			return true;
	return false;
}

/*
 * PATCH /drives/{id} (drive_id, path_on_host, rate_limiter) and PATCH
 * /network-interfaces/{id} (iface_id, rx_rate_limiter, tx_rate_limiter):
 * changes to a running VM's device. Firecracker refuses them before boot;
 * ignis cannot swap a disk or change a limiter of a running VM yet.
 */
void route_update_device(struct route *r, bool drive)
{
	static const struct fc_field drive_fields[] = {
		{ "drive_id", FC_T_STRING, true },
		{ "path_on_host", FC_T_STRING, false },
		{ "rate_limiter", FC_T_OBJECT, false },
	};
	static const struct fc_field net_fields[] = {
		{ "iface_id", FC_T_STRING, true },
		{ "rx_rate_limiter", FC_T_OBJECT, false },
		{ "tx_rate_limiter", FC_T_OBJECT, false },
	};
	const char *idf = drive ? "drive_id" : "iface_id";
	char why[FC_API_WHY_LEN];
	json_t *b;
	int err;

	if (!route_check_id(r))
		return;
	b = route_parse_body(r);
	if (!b)
		return;
	err = drive ? fc_schema_check(b, NULL, drive_fields,
				      ARRAY_LEN(drive_fields), why,
				      sizeof(why)) :
		      fc_schema_check(b, NULL, net_fields,
				      ARRAY_LEN(net_fields), why, sizeof(why));
	if (err)
		route_fault(r, "%s", why);
	else if (strcmp(fc_string(b, idf), r->id))
		route_fault(r,
			    "The id from the path does not match the id from "
			    "the body!");
	else if (!r->api->running)
		route_fault(r, "%s", FC_MSG_PRE_BOOT);
	else if (drive && !has_drive(r->api->cfg, r->id))
		route_fault(r, "drive '%s': no such drive", r->id);
	else if (drive)
		route_fault(r,
			    "drive '%s': changing a drive of a running microVM "
			    "(path_on_host, rate_limiter) is not supported by "
			    "ignis yet",
			    r->id);
	else
		route_fault(
			r,
			"network interface '%s': changing the rate limiters "
			"of a running microVM is not supported by ignis yet",
			r->id);
	json_decref(b);
}

/* PATCH /vm {"state": "Paused" | "Resumed"}. */
void route_patch_vm(struct route *r)
{
	static const char *const states[] = { "Paused", "Resumed", NULL };
	static const struct fc_field fields[] = {
		{ "state", FC_T_STRING, true },
	};
	char why[FC_API_WHY_LEN];
	json_t *b = route_parse_body(r);
	int state;

	if (!b)
		return;
	if (fc_schema_check(b, NULL, fields, ARRAY_LEN(fields), why,
			    sizeof(why)) ||
	    fc_enum(b, "state", states, false, &state, NULL, why, sizeof(why)) <
		    0)
		route_fault(r, "%s", why);
	else if (!r->api->running)
		route_fault(r, "%s", FC_MSG_PRE_BOOT);
	else
		route_fault(r,
			    "pausing and resuming the microVM is not supported "
			    "by ignis yet");
	json_decref(b);
}

/* A file the VM will open, checked before building so that the 400 can
 * say which one does not open (the builder's own line goes to stderr). */
static int check_file(const char *what, const char *path, bool write, char *why,
		      size_t len)
{
	if (!path || !access(path, write ? R_OK | W_OK : R_OK))
		return 0;
	return fc_fail(why, len, -errno, what, NULL, "%s: %s", path,
		       strerror(errno));
}

static int check_files(const struct vm_config *cfg, char *why, size_t len)
{
	int err = check_file("kernel_image_path", cfg->kernel_path, false, why,
			     len);

	if (!err)
		err = check_file("initrd_path", cfg->initrd_path, false, why,
				 len);
	for (unsigned int i = 0; !err && i < cfg->nr_disks; i++) {
		char what[FC_ID_MAX + 32];

		snprintf(what, sizeof(what), "drives/%s: path_on_host",
			 cfg->disks[i].drive_id ? cfg->disks[i].drive_id : "?");
		err = check_file(what, cfg->disks[i].path,
				 !cfg->disks[i].read_only, why, len);
	}
	return err;
}

static void instance_start(struct route *r)
{
	struct fc_api *api = r->api;
	char why[FC_API_WHY_LEN] = "";
	int err;

	if (api->running) {
		route_fault(r, "%s", FC_MSG_POST_BOOT);
		return;
	}
	if (!api->cfg->kernel_path) {
		route_fault(r, "Start microvm error: no boot source: PUT "
			       "/boot-source first");
		return;
	}
	err = check_files(api->cfg, why, sizeof(why));
	if (!err)
		err = api->hooks.start ? api->hooks.start(api->hooks.ctx, why,
							  sizeof(why)) :
					 -ENOSYS;
	if (err) {
		route_fault(r, "Start microvm error: %s",
			    why[0] ? why : strerror(-err));
		return;
	}
	api->running = true;
	route_answer(r, 204, NULL);
}

/* PUT /actions {"action_type": ...} (request/actions.rs). */
void route_actions(struct route *r)
{
	static const char *const types[] = { "FlushMetrics", "InstanceStart",
					     "SendCtrlAltDel", NULL };
	static const struct fc_field fields[] = {
		{ "action_type", FC_T_STRING, true },
	};
	char why[FC_API_WHY_LEN];
	json_t *b = route_parse_body(r);
	int type = -1;

	if (!b)
		return;
	if (fc_schema_check(b, NULL, fields, ARRAY_LEN(fields), why,
			    sizeof(why)) ||
	    fc_enum(b, "action_type", types, false, &type, NULL, why,
		    sizeof(why)) < 0)
		route_fault(r, "%s", why);
	else if (type == 1)
		instance_start(r);
	else if (!r->api->running)
		route_fault(r, "%s", FC_MSG_PRE_BOOT);
	else if (type == 0)
		route_fault(r,
			    "FlushMetrics: metrics are not supported by ignis "
			    "yet");
	else
		route_fault(r, "SendCtrlAltDel is not supported by ignis yet");
	json_decref(b);
}
