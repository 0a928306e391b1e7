/* SPDX-License-Identifier: Apache-2.0 */
/* api/fc_api.h: Firecracker's API on the VMM thread: requests to answers. */
#ifndef IGNIS_FC_API_H
#define IGNIS_FC_API_H

#include <stdbool.h>
#include <stddef.h>

#include "vmm/cli.h"
#include "vmm/config.h"

/*
 * The API's VMM-thread half: it takes the requests the "fc_api" thread
 * (api/http_server.h) queued, routes each (method, path, body) as
 * Firecracker does (src/firecracker/src/api_server/parsed_request.rs) and
 * answers it: 200 with JSON, 204, or 400 {"fault_message": "..."}. Before
 * InstanceStart requests edit (cfg) through api/fc_config.h, whole or not
 * at all; InstanceStart calls the start hook (the builder); after it, what
 * Firecracker allows only before boot is refused with its message.
 */

/* --api-sock, --no-api, --http-api-max-payload-size, as parsed. */
struct fc_api_options {
	const char *sock_path; /* --api-sock PATH; NULL: no API */
	bool no_api; /* --no-api */
	size_t max_payload; /* --http-api-max-payload-size; 0: default */
};

/* The API's CLI options; they are process settings, not the VM's, so the
 * group stores them in this module (read with fc_api_options()). */
extern const struct cli_group fc_api_cli_group;

/* What the command line said (zeroes if it said nothing). */
const struct fc_api_options *fc_api_options(void);

/*
 * Checks the options against each other and (cfg) once the command line
 * is parsed (--no-api needs --config-file and excludes --api-sock). 0, or
 * -EINVAL with the reason in (why).
 */
int fc_api_options_check(const struct vm_config *cfg, char *why, size_t len);

/* What the API calls into the VMM for; vmm/main.c fills it. */
struct fc_api_hooks {
	/* InstanceStart: builds and starts the VM from the configuration
	 * (ctx); 0, or -errno with a reason of at most (len) bytes in
	 * (why) for the 400's fault_message, having cleaned up after a
	 * failed build so that a later InstanceStart may try again. */
	int (*start)(void *ctx, char *why, size_t len);
	/* PATCH /vm: parks every vCPU (pause true) or lets them run;
	 * returns once done. After a successful start only. */
	void (*pause)(void *ctx, bool pause);
	/* SendCtrlAltDel: the keys, through the i8042 (x86). 0, or -errno
	 * with the reason in (why). After a successful start only. */
	int (*ctrl_alt_del)(void *ctx, char *why, size_t len);
	/* PATCH /drives/{id} path_on_host: the image at (path) under disk
	 * (index) of the running VM. 0, or -errno with the reason in
	 * (why): nothing changed. */
	int (*update_drive)(void *ctx, unsigned int index, const char *path,
			    char *why, size_t len);
	void *ctx; /* for each */
};

struct fc_api;

/*
 * Creates the socket at (opts)->sock_path and starts the "fc_api"
 * thread. (cfg) (which must outlive the API) is the configuration that
 * requests edit while the VM is not started; (running): the VM is built
 * already (--kernel or --config-file with --api-sock), so requests are
 * served as after InstanceStart. Returns 0 and *(out), or -errno with a
 * reason in (why). Call it on the VMM thread, before anything slow: a
 * client may connect from its return on.
 */
int fc_api_create(const struct fc_api_options *opts, struct vm_config *cfg,
		  bool running, const struct fc_api_hooks *hooks,
		  struct fc_api **out, char *why, size_t len);

/* The descriptor that is readable while requests wait: poll it on the VMM
 * thread, then call fc_api_serve(). */
int fc_api_fd(const struct fc_api *api);

/* Answers every request waiting, in order; one may be InstanceStart,
 * which runs the start hook. VMM thread only. */
void fc_api_serve(struct fc_api *api);

/* Whether InstanceStart succeeded (or the VM was running from the
 * start). */
bool fc_api_is_running(const struct fc_api *api);

/* Stops the server thread, removes the socket and frees (api). NULL is
 * accepted. VMM thread. */
void fc_api_destroy(struct fc_api *api);

/*
 * The router itself, for fc_api_serve() and the unit tests: answers one
 * request into (status) and (*body) (malloc'd JSON, or NULL for none: the
 * caller frees it). Pure but for the start hook: no socket involved.
 */
void fc_api_handle(struct fc_api *api, const char *method, const char *path,
		   const char *body, size_t body_len, int *status, char **resp);

#endif
