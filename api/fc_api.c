// SPDX-License-Identifier: Apache-2.0
/* api/fc_api.c: Firecracker's API on the VMM thread: the server's lifecycle, its options. */
#include "fc_api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fc_api_priv.h"
#include "fc_schema.h"
#include "http_server.h"
#include "vmm/log.h"
#include "vmm/size.h"

/* The largest --http-api-max-payload-size: every connection may hold a
 * body this big (Firecracker has no bound; ignis has no MMDS to fill). */
#define FC_API_MAX_PAYLOAD (16u << 20)

/* Process settings, set once while the command line is parsed. */
static struct fc_api_options fc_api_opts;

const struct fc_api_options *fc_api_options(void)
{
	return &fc_api_opts;
}

static int set_api_sock(struct vm_config *cfg, const char *v, char *why,
			size_t len)
{
	if (!v[0]) {
		snprintf(why, len, "expected a path");
		return -EINVAL;
	}
	/* argv outlives the process's use of it. */
	fc_api_opts.sock_path = v;
	return 0;
}

static int set_no_api(struct vm_config *cfg, const char *v, char *why,
		      size_t len)
{
	fc_api_opts.no_api = true;
	return 0;
}

static int set_max_payload(struct vm_config *cfg, const char *v, char *why,
			   size_t len)
{
	uint64_t n;

	if (uint_parse(v, 1, FC_API_MAX_PAYLOAD, &n)) {
		snprintf(why, len, "expected a byte count from 1 to %u",
			 FC_API_MAX_PAYLOAD);
		return -EINVAL;
	}
	fc_api_opts.max_payload = (size_t)n;
	return 0;
}

static const struct cli_option fc_api_cli_options[] = {
	{ "api-sock", "PATH",
	  "serve Firecracker's API on this Unix socket; without --kernel or "
	  "--config-file, wait there for the VM's configuration",
	  false, set_api_sock },
	{ "no-api", NULL,
	  "no API socket (Firecracker's flag; needs --config-file)", false,
	  set_no_api },
	{ "http-api-max-payload-size", "N",
	  "largest API request body in bytes (default 51200)", false,
	  set_max_payload },
};

const struct cli_group fc_api_cli_group = {
	.title = "Firecracker API",
	.options = fc_api_cli_options,
	.nr_options = ARRAY_LEN(fc_api_cli_options),
};

int fc_api_options_check(const struct vm_config *cfg, char *why, size_t len)
{
	if (fc_api_opts.no_api && !cfg->from_file) {
		snprintf(why, len, "--no-api needs --config-file");
		return -EINVAL;
	}
	if (fc_api_opts.no_api && fc_api_opts.sock_path) {
		snprintf(why, len,
			 "--no-api and --api-sock exclude each other");
		return -EINVAL;
	}
	return 0;
}

int fc_api_create(const struct fc_api_options *opts, struct vm_config *cfg,
		  bool running, const struct fc_api_hooks *hooks,
		  struct fc_api **out, char *why, size_t len)
{
	struct http_server_config sc = {
		.path = opts->sock_path,
		.max_body = opts->max_payload,
	};
	struct fc_api *api = calloc(1, sizeof(*api));
	int err;

	if (!api) {
		snprintf(why, len, "out of memory");
		return -ENOMEM;
	}
	api->cfg = cfg;
	api->running = running;
	api->hooks = *hooks;
	err = http_server_create(&sc, &api->srv);
	if (err) {
		snprintf(why, len, "%s",
			 err == -EEXIST ?
				 "a file that is not a socket is there" :
			 err == -EADDRINUSE ?
				 "another server is listening there" :
				 strerror(-err));
		free(api);
		return err;
	}
	err = http_server_start(api->srv);
	if (err) {
		snprintf(why, len, "cannot start the API thread: %s",
			 strerror(-err));
		http_server_destroy(api->srv);
		free(api);
		return err;
	}
	*out = api;
	return 0;
}

int fc_api_fd(const struct fc_api *api)
{
	return http_server_fd(api->srv);
}

void fc_api_serve(struct fc_api *api)
{
	struct http_request *req;

	while (!http_server_next(api->srv, &req)) {
		char *resp = NULL;
		int status;

		fc_api_handle(api, req->method, req->path, req->body,
			      req->body_len, &status, &resp);
		/* NULL body with an error status: out of memory; the
		 * server answers 500 for a failed copy the same way. */
		if (!resp && status != 204)
			status = 500;
		/* As Firecracker logs each request (at Info, the level a
		 * configured logger usually has); a fault says why. */
		log_info("API %s %s: %d%s%s", req->method, req->path, status,
			 status == 400 && resp ? " " : "",
			 status == 400 && resp ? resp : "");
		http_server_respond(api->srv, req, status, resp);
		free(resp);
	}
}

bool fc_api_is_running(const struct fc_api *api)
{
	return api->running;
}

void fc_api_destroy(struct fc_api *api)
{
	if (!api)
		return;
	/* Stops the thread, then removes the socket. */
	http_server_destroy(api->srv);
	free(api);
}
