/* SPDX-License-Identifier: Apache-2.0 */
/* api/fc_api_priv.h: what the API's VMM-thread files share. */
#ifndef IGNIS_FC_API_PRIV_H
#define IGNIS_FC_API_PRIV_H

#include <jansson.h>
#include <stdbool.h>

#include "fc_api.h"

struct http_server;

/* The API's state, on the VMM thread. */
struct fc_api {
	struct http_server *srv; /* the "fc_api" thread's server */
	struct vm_config *cfg; /* edited until InstanceStart */
	bool running; /* InstanceStart succeeded */
	bool paused; /* PATCH /vm "Paused" (running only) */
	struct fc_api_hooks hooks; /* what InstanceStart calls */
};

/* Firecracker's messages (vmm/src/rpc_interface.rs, VmmActionError). */
#define FC_MSG_POST_BOOT \
	"The requested operation is not supported after starting the microVM."
#define FC_MSG_PRE_BOOT \
	"The requested operation is not supported before starting the microVM."

/* {"fault_message": (msg)} as JSON text (malloc'd; NULL without memory,
 * which the server turns into a 500). */
char *fc_api_fault(const char *msg);

/* GET /: Firecracker's InstanceInfo. */
char *fc_api_instance_info(const struct fc_api *api);

/* GET /version. */
char *fc_api_version(void);

/* GET /machine-config: Firecracker's MachineConfig. */
char *fc_api_machine_config(const struct vm_config *cfg);

/* GET /vm/config: Firecracker's full configuration (the config file's
 * format). */
char *fc_api_vm_config(const struct vm_config *cfg);

#define FC_API_WHY_LEN 320 /* a fault_message's reason, at most */

/* The methods Firecracker's API has; the rest are M_OTHER. */
enum method { M_GET, M_PUT, M_PATCH, M_OTHER };

/* One request being answered (api/fc_api_route.c). */
struct route {
	struct fc_api *api;
	enum method method; /* parsed from method_name */
	const char *method_name; /* as sent */
	const char *res; /* first path segment ("" for /) */
	const char *id; /* second one; NULL: none */
	bool extra; /* more segments after the id */
	const char *body; /* body_len bytes */
	size_t body_len; /* 0: no body */
	int status; /* the answer */
	char *resp; /* its JSON, malloc'd; NULL: none */
};

/* Sets the answer: (status), (json) (malloc'd; NULL: no body). */
void route_answer(struct route *r, int status, char *json);

/* 400 {"fault_message": <printf (fmt)>}: every error the API reports. */
void route_fault(struct route *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The body as a JSON object (a new reference), or a 400 and NULL. */
json_t *route_parse_body(struct route *r);

/* Whether the path's {id} is present and of Firecracker's characters;
 * if not, a 400. */
bool route_check_id(struct route *r);

/* PUT /actions. */
void route_actions(struct route *r);

/* PATCH /drives/{id} (drive) or /network-interfaces/{id}. */
void route_update_device(struct route *r, bool drive);

/* PATCH /vm. */
void route_patch_vm(struct route *r);

#endif
