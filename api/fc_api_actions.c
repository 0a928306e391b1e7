// SPDX-License-Identifier: Apache-2.0
/* api/fc_api_actions.c: PUT /actions (InstanceStart ...) and the PATCHes of a running VM. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fc_api_priv.h"
#include "fc_config.h"
#include "fc_schema.h"
#include "vmm/metrics.h"

static bool has_net(const struct vm_config *cfg, const char *id)
{
	for (unsigned int i = 0; i < cfg->nr_nets; i++)
		if (cfg->nets[i].iface_id && !strcmp(cfg->nets[i].iface_id, id))
			return true;
	return false;
}

/* The index of drive (id) in (cfg), or -1. */
static int drive_index(const struct vm_config *cfg, const char *id)
{
	for (unsigned int i = 0; i < cfg->nr_disks; i++)
		if (cfg->disks[i].drive_id && !strcmp(cfg->disks[i].drive_id, id))
			return (int)i;
	return -1;
}

/* PATCH /drives/{id} on the running VM: a new image under disk (i) (the
 * placeholder drive Kata and firecracker-containerd swap), kept in the
 * configuration once the device took it. */
static void update_drive(struct route *r, unsigned int i, const char *path)
{
	struct fc_api *api = r->api;
	struct disk_config *d = &api->cfg->disks[i];
	char why[FC_API_WHY_LEN] = "", *copy = strdup(path);
	int err = copy ? api->hooks.update_drive(api->hooks.ctx, i, path, why,
						  sizeof(why)) :
			 -ENOMEM;

	if (err) {
		free(copy);
		route_fault(r, "drive '%s': %s", r->id,
			    why[0] ? why : strerror(-err));
		return;
	}
	free(d->path);
	d->path = copy;
	route_answer(r, 204, NULL);
}

/*
 * PATCH /drives/{id} (drive_id, path_on_host, rate_limiter) and PATCH
 * /network-interfaces/{id} (iface_id, rx_rate_limiter, tx_rate_limiter):
 * changes to a running VM's device, which Firecracker refuses before
 * boot. A rate limiter that limits nothing is no change: ignis has none
 * (fc_rate_limiter_check() refuses one that would).
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
	int err, i = -1;

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
	if (!err && drive)
		err = fc_rate_limiter_check(fc_get(b, "rate_limiter"), NULL,
					    "rate_limiter", why, sizeof(why));
	if (!err && !drive)
		err = fc_rate_limiter_check(fc_get(b, "rx_rate_limiter"), NULL,
					    "rx_rate_limiter", why,
					    sizeof(why));
	if (!err && !drive)
		err = fc_rate_limiter_check(fc_get(b, "tx_rate_limiter"), NULL,
					    "tx_rate_limiter", why,
					    sizeof(why));
	if (drive)
		i = drive_index(r->api->cfg, r->id);
	if (err)
		route_fault(r, "%s", why);
	else if (strcmp(fc_string(b, idf), r->id))
		route_fault(r,
			    "The id from the path does not match the id from "
			    "the body!");
	else if (!r->api->running)
		route_fault(r, "%s", FC_MSG_PRE_BOOT);
	else if (drive && i < 0)
		route_fault(r, "drive '%s': no such drive", r->id);
	else if (drive && fc_string(b, "path_on_host"))
		update_drive(r, (unsigned int)i, fc_string(b, "path_on_host"));
	else if (!drive && !has_net(r->api->cfg, r->id))
		route_fault(r, "network interface '%s': no such interface",
			    r->id);
	else
		route_answer(r, 204, NULL);
	json_decref(b);
}

/* Pauses or resumes the running VM; again is no error, as in
 * Firecracker. */
static void vm_set_paused(struct route *r, bool pause)
{
	struct fc_api *api = r->api;

	if (api->paused != pause)
		api->hooks.pause(api->hooks.ctx, pause);
	api->paused = pause;
	route_answer(r, 204, NULL);
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
		vm_set_paused(r, state == 0);
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

/* FlushMetrics: a line now. Without PUT /metrics there is nowhere to
 * write it, which Firecracker answers with success too. */
static void flush_metrics(struct route *r)
{
	int err = metrics_flush();

	if (err)
		route_fault(r, "FlushMetrics: %s", strerror(-err));
	else
		route_answer(r, 204, NULL);
}

static void ctrl_alt_del(struct route *r)
{
	char why[FC_API_WHY_LEN] = "";
	int err = r->api->hooks.ctrl_alt_del(r->api->hooks.ctx, why,
					     sizeof(why));

	if (err)
		route_fault(r, "SendCtrlAltDel: %s",
			    why[0] ? why : strerror(-err));
	else
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
	else if (type == 0)
		flush_metrics(r);
	else if (type == 1)
		instance_start(r);
	else if (!r->api->running)
		route_fault(r, "%s", FC_MSG_PRE_BOOT);
	else
		ctrl_alt_del(r);
	json_decref(b);
}
