// SPDX-License-Identifier: Apache-2.0
/* tests/fuzz/fuzz_fc_json.c: Firecracker requests and config files onto one vm_config. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "api/fc_api_priv.h"
#include "api/fc_config.h"
#include "api/fc_schema.h"
#include "cfg_check.h"
#include "fuzz.h"

/*
 * The input: blocks separated by a line "%%", each either
 *     <METHOD> <PATH>\n<body>     one request, as fc_api_serve() routes it
 *     @config-file\n<JSON>        a --config-file, read from a file
 * applied in order to one configuration that starts as config_init()
 * makes it, so that sequences are reached: a drive replaced in place, a
 * second root drive, a ninth drive, a PUT after InstanceStart.
 *
 * After each block: a refusal, a GET or a request to a running VM left
 * the configuration exactly as it was (bit for bit: "whole or not at
 * all", api/fc_config.h), but for the image PATCH /drives/{id} swaps on
 * a running VM; what was
 * accepted still validates (cfg_check.c); every answer is the status and
 * JSON the router promises; and GET /vm/config, loaded back as a config
 * file, is the same VM.
 */
#define FUZZ_MAX_BLOCKS 16
#define FUZZ_SEP "\n%%\n"

/* The VMM behind the hooks (vmm/main.c's), reduced to what the API may
 * ask of it and when. */
struct fake_vmm {
	struct fc_api *api;
	bool paused; /* what the last pause hook said */
};

/* InstanceStart gets this far only with a kernel and files that open. */
static int start_hook(void *ctx, char *why, size_t len)
{
	struct fake_vmm *vmm = ctx;

	FUZZ_CHECK(!vmm->api->running, "started twice");
	FUZZ_CHECK(vmm->api->cfg->kernel_path, "started without a kernel");
	cfg_check(vmm->api->cfg);
	return 0;
}

static void pause_hook(void *ctx, bool pause)
{
	struct fake_vmm *vmm = ctx;

	FUZZ_CHECK(vmm->api->running, "paused before the start");
	FUZZ_CHECK(pause != vmm->paused, "pause %d twice", pause);
	vmm->paused = pause;
}

static int ctrl_alt_del_hook(void *ctx, char *why, size_t len)
{
	struct fake_vmm *vmm = ctx;

	FUZZ_CHECK(vmm->api->running, "Ctrl-Alt-Del before the start");
	return 0;
}

static int fake_open(const char *path, char *why, size_t len);

static int update_drive_hook(void *ctx, unsigned int index, const char *path,
			     char *why, size_t len)
{
	struct fake_vmm *vmm = ctx;

	FUZZ_CHECK(vmm->api->running, "drive swapped before the start");
	FUZZ_CHECK(index < vmm->api->cfg->nr_disks, "drive %u of %u", index,
		   vmm->api->cfg->nr_disks);
	return fake_open(path, why, len);
}

/*
 * PUT /logger and /metrics open the files they name, and FlushMetrics
 * writes one: not for a fuzzer to do to the machine it runs on, as root,
 * at any path it makes up. The link (-Wl,--wrap in CMakeLists.txt) sends
 * the API's calls here instead (ld's names, hence the underscores). A
 * path under /nonexistent/ plays one that does not open, and so does ""
 * (as open("") fails).
 */
int __wrap_log_configure(const struct log_config *lc, char *why, size_t len);
int __wrap_metrics_configure(const struct metrics_config *mc, char *why,
			     size_t len);
int __wrap_metrics_flush(void);

static int fake_open(const char *path, char *why, size_t len)
{
	if (path && (!path[0] ||
		     !strncmp(path, "/nonexistent/", strlen("/nonexistent/"))))
		return fc_fail(why, len, -ENOENT, NULL, NULL, "%s: %s", path,
			       strerror(ENOENT));
	return 0;
}

int __wrap_log_configure(const struct log_config *lc, char *why, size_t len)
{
	return fake_open(lc->path, why, len);
}

int __wrap_metrics_configure(const struct metrics_config *mc, char *why,
			     size_t len)
{
	FUZZ_CHECK(mc->path, "metrics without a path");
	return fake_open(mc->path, why, len);
}

int __wrap_metrics_flush(void)
{
	return 0;
}

/* GET /vm/config, loaded back as a config file, is the same VM. */
static void check_round_trip(const struct vm_config *cfg)
{
	char *text = fc_api_vm_config(cfg), why[FC_API_WHY_LEN];
	struct vm_config back;
	json_t *root;
	int err;

	FUZZ_CHECK(text, "GET /vm/config failed");
	err = fc_json_parse(text, strlen(text), &root, why, sizeof(why));
	FUZZ_CHECK(!err, "GET /vm/config is not a JSON object: %s", why);
	/* Without a kernel, "boot-source" is null, which a config file may
	 * not be (Firecracker requires it): nothing to load back. */
	if (cfg->kernel_path) {
		FUZZ_CHECK(!config_init(&back), "out of memory");
		err = fc_config_apply(&back, root, why, sizeof(why));
		FUZZ_CHECK(!err, "GET /vm/config does not load back: %s\n%s",
			   why, text);
		FUZZ_CHECK(cfg_same_vm(cfg, &back),
			   "GET /vm/config loads back as another VM:\n%s",
			   text);
		config_free(&back);
	}
	json_decref(root);
	free(text);
}

/* The answer is what fc_api_handle() promises (fc_api.h): 204 and no
 * body, 200 and a JSON object (GET only), or 400 {"fault_message": ...}. */
static void check_answer(const char *method, int status, const char *resp)
{
	json_error_t jerr;
	json_t *v;

	FUZZ_CHECK(status == 200 || status == 204 || status == 400, "status %d",
		   status);
	FUZZ_CHECK(status != 200 || !strcmp(method, "GET"), "200 to a %s",
		   method);
	if (status == 204) {
		FUZZ_CHECK(!resp, "204 with a body: %s", resp);
		return;
	}
	/* NULL: fc_api_serve() would turn it into a 500, for the client's
	 * own mistake. */
	FUZZ_CHECK(resp, "status %d without a body", status);
	v = json_loads(resp, 0, &jerr);
	FUZZ_CHECK(json_is_object(v), "answer is not a JSON object: %s", resp);
	if (status == 400)
		FUZZ_CHECK(json_object_size(v) == 1 &&
				   json_string_length(
					   json_object_get(v, "fault_message")),
			   "400 without a fault_message: %s", resp);
	json_decref(v);
}

/*
 * Whether (cfg) is (before) bit for bit, a refusal must not touch even a
 * pointer, or, when (swap): but for one drive's path_on_host, which PATCH
 * /drives/{id} changes on a running VM.
 */
static bool unchanged(const struct vm_config *before,
		      const struct vm_config *cfg, bool swap)
{
	struct vm_config c;
	unsigned int swapped = 0;

	memcpy(&c, cfg, sizeof(c));
	for (unsigned int i = 0; swap && i < CONFIG_MAX_DISKS; i++) {
		if (c.disks[i].path != before->disks[i].path) {
			c.disks[i].path = before->disks[i].path;
			swapped++;
		}
	}
	return swapped <= 1 && !memcmp(&c, before, sizeof(c));
}

/* What the HTTP layer hands over as a method: a token of capitals
 * (http_method_str()). */
static bool method_ok(const char *m)
{
	return m[0] && strspn(m, "ABCDEFGHIJKLMNOPQRSTUVWXYZ-") == strlen(m);
}

static void request(struct fc_api *api, char *line, const char *body,
		    size_t len)
{
	struct vm_config *cfg = api->cfg, before;
	char *path = strchr(line, ' '), *resp = NULL;
	bool was_running = api->running;
	int status = 0;

	if (path)
		*path++ = '\0';
	if (!method_ok(line))
		return;
	memcpy(&before, cfg, sizeof(before));
	fc_api_handle(api, line, path ? path : "", body, len, &status, &resp);
	check_answer(line, status, resp);
	if (status != 204 || was_running || !strcmp(line, "GET"))
		FUZZ_CHECK(unchanged(&before, cfg,
				     status == 204 && was_running &&
					     !strcmp(line, "PATCH")),
			   "%s %s: config changed with status %d%s", line,
			   path ? path : "", status,
			   was_running ? " while running" : "");
	FUZZ_CHECK(api->running == was_running ||
			   (status == 204 && !strcmp(line, "PUT")),
		   "running %d -> %d with status %d", was_running, api->running,
		   status);
	FUZZ_CHECK(!api->paused || api->running, "paused but not running");
	cfg_check(cfg);
	if (status == 204 && memcmp(&before, cfg, sizeof(before)))
		check_round_trip(cfg);
	free(resp);
}

/* A file that config_file() rewrites for each config-file block. */
static int memfd = -1;

static void config_file(struct vm_config *cfg, const char *text, size_t len)
{
	struct vm_config before, alt;
	char path[64], why[FC_API_WHY_LEN], alt_why[FC_API_WHY_LEN];
	json_t *root;
	int err, alt_err;

	if (memfd < 0)
		memfd = memfd_create("fuzz_fc_json", MFD_CLOEXEC);
	FUZZ_CHECK(memfd >= 0 && !ftruncate(memfd, 0) &&
			   pwrite(memfd, text, len, 0) == (ssize_t)len,
		   "cannot write the config file");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	/* The same text through the API's parser, on a copy: the file and
	 * a buffer must read the same (nothing lost or added by reading). */
	FUZZ_CHECK(!config_copy(&alt, cfg), "out of memory");
	alt_err = fc_json_parse(text, len, &root, alt_why, sizeof(alt_why));
	if (!alt_err) {
		alt_err = fc_config_apply(&alt, root, alt_why, sizeof(alt_why));
		json_decref(root);
	}
	memcpy(&before, cfg, sizeof(before));
	why[0] = '\0';
	err = fc_config_file_load(path, cfg, why, sizeof(why));
	FUZZ_CHECK(err == alt_err, "file: %d (%s), buffer: %d (%s)", err, why,
		   alt_err, alt_why);
	if (err) {
		FUZZ_CHECK(why[0], "refused without a reason");
		FUZZ_CHECK(!memcmp(&before, cfg, sizeof(before)),
			   "config file refused (%s) but applied", why);
	} else {
		FUZZ_CHECK(cfg_same_vm(cfg, &alt), "file and buffer differ");
		cfg_check(cfg);
		check_round_trip(cfg);
	}
	config_free(&alt);
}

/* One block: its first line says what it is, the rest is the body. */
static void block(struct fc_api *api, const char *b, size_t len)
{
	const char *nl = memchr(b, '\n', len);
	size_t line_len = nl ? (size_t)(nl - b) : len;
	size_t body_len = nl ? len - line_len - 1 : 0;
	/* As the HTTP layer hands bodies over: NUL-terminated. */
	char *line = strndup(b, line_len), *body = malloc(body_len + 1);

	FUZZ_CHECK(line && body, "out of memory");
	memcpy(body, nl ? nl + 1 : "", body_len);
	body[body_len] = '\0';
	if (!strcmp(line, "@config-file"))
		config_file(api->cfg, body, body_len);
	else
		request(api, line, body, body_len);
	free(line);
	free(body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	struct vm_config cfg;
	struct fake_vmm vmm = { 0 };
	struct fc_api api = {
		.cfg = &cfg,
		.hooks = { .start = start_hook,
			   .pause = pause_hook,
			   .ctrl_alt_del = ctrl_alt_del_hook,
			   .update_drive = update_drive_hook,
			   .ctx = &vmm },
	};

	vmm.api = &api;
	FUZZ_CHECK(!config_init(&cfg), "out of memory");
	for (int i = 0; i < FUZZ_MAX_BLOCKS && p < end; i++) {
		const char *sep = memmem(p, (size_t)(end - p), FUZZ_SEP,
					 strlen(FUZZ_SEP));
		const char *stop = sep ? sep : end;

		block(&api, p, (size_t)(stop - p));
		p = sep ? sep + strlen(FUZZ_SEP) : end;
	}
	config_free(&cfg);
	return 0;
}
