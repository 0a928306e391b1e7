// SPDX-License-Identifier: Apache-2.0
/* api/fc_config.c: Firecracker's JSON configuration into a struct vm_config. */
#include "fc_config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fc_devices.h"
#include "fc_schema.h"

int fc_json_parse(const char *text, size_t len, json_t **out, char *why,
		  size_t len_why)
{
	json_error_t jerr;
	/* Duplicate keys: serde refuses them ("duplicate field"); NUL in a
	 * string is refused by jansson unless asked to allow it. */
	json_t *v = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);

	if (!v)
		return fc_fail(why, len_why, -EINVAL, NULL, NULL,
			       "line %d column %d: %s", jerr.line, jerr.column,
			       jerr.text);
	if (!json_is_object(v)) {
		json_decref(v);
		return fc_fail(why, len_why, -EINVAL, NULL, NULL,
			       "expected a JSON object");
	}
	*out = v;
	return 0;
}

/* Swaps (tmp) into (cfg) when (err) is 0, else drops it: every public
 * function works on a copy, so that nothing is ever half-applied. */
static int commit(struct vm_config *cfg, struct vm_config *tmp, int err)
{
	if (err) {
		config_free(tmp);
		return err;
	}
	config_free(cfg);
	*cfg = *tmp;
	return 0;
}

static int set_str(char **field, const char *value)
{
	char *copy = NULL;

	if (value) {
		copy = strdup(value);
		if (!copy)
			return -ENOMEM;
	}
	free(*field);
	*field = copy;
	return 0;
}

/* linux-loader's Cmdline takes printable ASCII only; a newline or a
 * control character has no place on a kernel command line. */
static bool is_printable(const char *s)
{
	for (; *s; s++)
		if (*s < ' ' || *s > '~')
			return false;
	return true;
}

static int boot_source(struct vm_config *cfg, const json_t *b,
		       const char *where, char *why, size_t len)
{
	static const struct fc_field fields[] = {
		{ "kernel_image_path", FC_T_STRING, true },
		{ "initrd_path", FC_T_STRING, false },
		{ "boot_args", FC_T_STRING, false },
	};
	const char *kernel, *initrd, *args;
	int err =
		fc_schema_check(b, where, fields, ARRAY_LEN(fields), why, len);

	if (err)
		return err;
	kernel = fc_string(b, "kernel_image_path");
	initrd = fc_string(b, "initrd_path");
	args = fc_string(b, "boot_args");
	if (!kernel[0])
		return fc_fail(why, len, -EINVAL, where, "kernel_image_path",
			       "must not be empty");
	if (initrd && !initrd[0])
		return fc_fail(why, len, -EINVAL, where, "initrd_path",
			       "must not be empty");
	if (args && !is_printable(args))
		return fc_fail(why, len, -EINVAL, where, "boot_args",
			       "must be printable ASCII");
	/* The whole boot source is replaced: an initrd not named now is
	 * gone, as in Firecracker. */
	err = set_str(&cfg->kernel_path, kernel);
	if (!err)
		err = set_str(&cfg->initrd_path, initrd);
	if (!err)
		err = set_str(&cfg->cmdline,
			      args ? args : FC_DEFAULT_BOOT_ARGS);
	if (err)
		return fc_fail(why, len, err, where, NULL, "out of memory");
	return 0;
}

int fc_boot_source_apply(struct vm_config *cfg, const json_t *body, char *why,
			 size_t len)
{
	struct vm_config tmp;

	if (config_copy(&tmp, cfg))
		return fc_fail(why, len, -ENOMEM, NULL, NULL, "out of memory");
	return commit(cfg, &tmp, boot_source(&tmp, body, NULL, why, len));
}

/* One enum field of which ignis honours only (ok) (an index into
 * (values)): another value is Firecracker's but not ours yet. */
static int only_value(const json_t *b, const char *name,
		      const char *const values[], int ok, const char *what,
		      const char *where, char *why, size_t len)
{
	int v = ok, err = fc_enum(b, name, values, false, &v, where, why, len);

	if (err < 0)
		return err;
	if (v != ok)
		return fc_fail(why, len, -ENOTSUP, where, name,
			       "\"%s\" is not supported by ignis yet (%s)",
			       values[v], what);
	return 0;
}

static int machine_config(struct vm_config *cfg, const json_t *b, bool partial,
			  const char *where, char *why, size_t len)
{
	static const char *const huge_pages[] = { "None", "Transparent", "2M",
						  NULL };
	/* clang-format off */
	static const char *const templates[] = {
		"None", "C3", "T2", "T2S", "T2CL", "T2A", "V1N1", NULL,
	};
	/* clang-format on */
	const struct fc_field fields[] = {
		{ "vcpu_count", FC_T_UINT, !partial },
		{ "mem_size_mib", FC_T_UINT, !partial },
		{ "smt", FC_T_BOOL, false },
		{ "track_dirty_pages", FC_T_BOOL, false },
		{ "huge_pages", FC_T_STRING, false },
		{ "cpu_template", FC_T_STRING, false },
	};
	uint64_t cpus = cfg->nr_cpus, mib = 0;
	int err =
		fc_schema_check(b, where, fields, ARRAY_LEN(fields), why, len);
	bool any = false, has_mib;

	if (err)
		return err;
	for (unsigned int i = 0; i < ARRAY_LEN(fields); i++)
		any |= fc_get(b, fields[i].name) != NULL;
	if (partial && !any)
		return fc_fail(why, len, -EINVAL, where, NULL,
			       "nothing to change: give at least one field");
	err = fc_uint(b, "vcpu_count", 1, CONFIG_MAX_CPUS, &cpus, where, why,
		      len);
	if (err < 0)
		return err;
	/* Bytes must fit 64 bits; the host's RAM is checked at build. */
	err = fc_uint(b, "mem_size_mib", CONFIG_MIN_MEM_SIZE >> 20,
		      UINT64_MAX >> 20, &mib, where, why, len);
	if (err < 0)
		return err;
	has_mib = err;
	if (fc_bool(b, "smt", false))
		return fc_fail(why, len, -ENOTSUP, where, "smt",
			       "true is not supported by ignis yet (each vCPU "
			       "is a core of its own)");
	if (fc_bool(b, "track_dirty_pages", false))
		return fc_fail(why, len, -ENOTSUP, where, "track_dirty_pages",
			       "true is not supported by ignis yet (no "
			       "snapshots)");
	err = only_value(b, "huge_pages", huge_pages, 0,
			 "guest memory is 4K pages", where, why, len);
	if (!err)
		err = only_value(b, "cpu_template", templates, 0,
				 "ignis has no CPU templates", where, why, len);
	if (err)
		return err;
	cfg->nr_cpus = (unsigned int)cpus;
	if (has_mib)
		cfg->mem_size = mib << 20;
	return 0;
}

int fc_machine_config_apply(struct vm_config *cfg, const json_t *body,
			    bool partial, char *why, size_t len)
{
	struct vm_config tmp;

	if (config_copy(&tmp, cfg))
		return fc_fail(why, len, -ENOMEM, NULL, NULL, "out of memory");
	return commit(cfg, &tmp,
		      machine_config(&tmp, body, partial, NULL, why, len));
}

int fc_drive_apply(struct vm_config *cfg, const json_t *body,
		   const char *path_id, char *why, size_t len)
{
	struct vm_config tmp;

	if (config_copy(&tmp, cfg))
		return fc_fail(why, len, -ENOMEM, NULL, NULL, "out of memory");
	return commit(cfg, &tmp,
		      fc_drive_insert(&tmp, body, path_id, NULL, why, len));
}

int fc_net_apply(struct vm_config *cfg, const json_t *body, const char *path_id,
		 char *why, size_t len)
{
	struct vm_config tmp;

	if (config_copy(&tmp, cfg))
		return fc_fail(why, len, -ENOMEM, NULL, NULL, "out of memory");
	return commit(cfg, &tmp,
		      fc_net_insert(&tmp, body, path_id, NULL, why, len));
}

int fc_vfio_apply(struct vm_config *cfg, const json_t *body,
		  const char *path_id, char *why, size_t len)
{
	/* fc_vfio_insert() changes (cfg) only once nothing can fail. */
	return fc_vfio_insert(cfg, body, path_id, NULL, why, len);
}

static int entropy(struct vm_config *cfg, const json_t *b, const char *where,
		   char *why, size_t len)
{
	static const struct fc_field fields[] = {
		{ "rate_limiter", FC_T_OBJECT, false },
		{ "iommu", FC_T_BOOL, false }, /* ignis: false exempts it */
	};
	int err =
		fc_schema_check(b, where, fields, ARRAY_LEN(fields), why, len);

	if (!err)
		err = fc_rate_limiter_check(fc_get(b, "rate_limiter"), where,
					    "rate_limiter", why, len);
	if (err)
		return err;
	cfg->rng = true;
	cfg->rng_iommu = fc_bool(b, "iommu", true);
	return 0;
}

int fc_entropy_apply(struct vm_config *cfg, const json_t *body, char *why,
		     size_t len)
{
	/* entropy() changes (cfg) only once nothing can fail. */
	return entropy(cfg, body, NULL, why, len);
}

static int iommu(struct vm_config *cfg, const json_t *b, const char *where,
		 char *why, size_t len)
{
	static const struct fc_field fields[] = {
		{ "enabled", FC_T_BOOL, false },
		{ "poll_us", FC_T_UINT, false },
	};
	uint64_t poll = cfg->iommu_poll_us;
	int err =
		fc_schema_check(b, where, fields, ARRAY_LEN(fields), why, len);

	if (!err)
		err = fc_uint(b, "poll_us", 0, CONFIG_MAX_POLL_US, &poll, where,
			      why, len);
	if (err < 0)
		return err;
	cfg->iommu = fc_bool(b, "enabled", true);
	cfg->iommu_poll_us = (unsigned int)poll;
	return 0;
}

int fc_iommu_apply(struct vm_config *cfg, const json_t *body, char *why,
		   size_t len)
{
	/* iommu() changes (cfg) only once nothing can fail. */
	return iommu(cfg, body, NULL, why, len);
}

/* Firecracker's VsockDeviceConfig: the one device; a new body replaces
 * it whole, as Firecracker's PUT /vsock does. */
static int vsock(struct vm_config *cfg, const json_t *b, const char *where,
		 char *why, size_t len)
{
	static const struct fc_field fields[] = {
		{ "vsock_id", FC_T_STRING, false }, /* deprecated, kept */
		{ "guest_cid", FC_T_UINT, true },
		{ "uds_path", FC_T_STRING, true },
		{ "iommu", FC_T_BOOL, false }, /* ignis: false exempts it */
	};
	char *path = NULL, *id = NULL;
	uint64_t cid = 0;
	int err =
		fc_schema_check(b, where, fields, ARRAY_LEN(fields), why, len);

	/* 0, 1, 2 (the host's) and 0xffffffff are reserved (virtio 1.2,
	 * 5.10.4); Firecracker asks for >= 3. */
	if (!err)
		err = fc_uint(b, "guest_cid", CONFIG_VSOCK_CID_MIN,
			      CONFIG_VSOCK_CID_MAX, &cid, where, why, len);
	if (err < 0)
		return err;
	if (!config_vsock_path_ok(fc_string(b, "uds_path"),
				  strlen(fc_string(b, "uds_path"))))
		return fc_fail(why, len, -EINVAL, where, "uds_path",
			       "must be 1 to %d bytes (uds_path_<port> must "
			       "fit a Unix socket address)",
			       CONFIG_VSOCK_PATH_MAX);
	path = strdup(fc_string(b, "uds_path"));
	if (fc_string(b, "vsock_id"))
		id = strdup(fc_string(b, "vsock_id"));
	if (!path || (fc_string(b, "vsock_id") && !id)) {
		free(path);
		free(id);
		return fc_fail(why, len, -ENOMEM, NULL, NULL, "out of memory");
	}
	free(cfg->vsock.uds_path);
	free(cfg->vsock.vsock_id);
	cfg->vsock = (struct vsock_config){
		.uds_path = path,
		.cid = (uint32_t)cid,
		.iommu = fc_bool(b, "iommu", true),
		.vsock_id = id,
	};
	return 0;
}

int fc_vsock_apply(struct vm_config *cfg, const json_t *body, char *why,
		   size_t len)
{
	/* vsock() changes (cfg) only once nothing can fail. */
	return vsock(cfg, body, NULL, why, len);
}

static int logger(struct vm_config *cfg, const json_t *b, const char *where,
		  char *why, size_t len)
{
	static const struct fc_field fields[] = {
		{ "log_path", FC_T_STRING, false },
		{ "level", FC_T_STRING, false },
		{ "show_level", FC_T_BOOL, false },
		{ "show_log_origin", FC_T_BOOL, false },
		{ "module", FC_T_STRING, false },
	};
	const char *level = NULL;
	struct log_config lc = cfg->log;
	char *path = NULL, *module = NULL;
	int err = fc_schema_check(b, where, fields, ARRAY_LEN(fields), why,
				  len);

	if (!err && (level = fc_string(b, "level")) &&
	    log_level_parse(level, &lc.level))
		/* Case-insensitive, "Warning" too (logger/logging.rs). */
		err = fc_fail(why, len, -EINVAL, where, "level",
			      "expected one of Off, Trace, Debug, Info, Warn, "
			      "Warning, Error");
	if (!err && fc_string(b, "log_path") && !fc_string(b, "log_path")[0])
		err = fc_fail(why, len, -EINVAL, where, "log_path",
			      "must not be empty");
	if (!err && ((fc_string(b, "log_path") &&
		      !(path = strdup(fc_string(b, "log_path")))) ||
		     (fc_string(b, "module") &&
		      !(module = strdup(fc_string(b, "module"))))))
		err = fc_fail(why, len, -ENOMEM, NULL, NULL, "out of memory");
	if (err) {
		free(path);
		free(module);
		return err;
	}
	free(lc.path);
	free(lc.module);
	lc.path = path;
	lc.module = module;
	lc.show_level = fc_bool(b, "show_level", false);
	lc.show_origin = fc_bool(b, "show_log_origin", false);
	cfg->log = lc;
	return 0;
}

int fc_logger_apply(struct vm_config *cfg, const json_t *body, char *why,
		    size_t len)
{
	/* logger() changes (cfg) only once nothing can fail. */
	return logger(cfg, body, NULL, why, len);
}

static int metrics(struct vm_config *cfg, const json_t *b, const char *where,
		   char *why, size_t len)
{
	static const struct fc_field fields[] = {
		{ "metrics_path", FC_T_STRING, true },
		{ "emit_id", FC_T_BOOL, false },
		{ "properties", FC_T_OBJECT, false },
	};
	const json_t *props;
	int err =
		fc_schema_check(b, where, fields, ARRAY_LEN(fields), why, len);

	if (err)
		return err;
	if (!fc_string(b, "metrics_path")[0])
		return fc_fail(why, len, -EINVAL, where, "metrics_path",
			       "must not be empty");
	if (fc_bool(b, "emit_id", false))
		return fc_fail(why, len, -ENOTSUP, where, "emit_id",
			       "true is not supported by ignis yet");
	props = fc_get(b, "properties");
	if (props && json_object_size(props))
		return fc_fail(why, len, -ENOTSUP, where, "properties",
			       "not supported by ignis yet");
	return set_str(&cfg->metrics.path, fc_string(b, "metrics_path")) ?
		       fc_fail(why, len, -ENOMEM, NULL, NULL,
			       "out of memory") :
		       0;
}

int fc_metrics_apply(struct vm_config *cfg, const json_t *body, char *why,
		     size_t len)
{
	/* metrics() changes (cfg) only once nothing can fail. */
	return metrics(cfg, body, NULL, why, len);
}

/* Each element of the array (a) (NULL: absent) through (insert), with
 * "<section>[i]" as where. */
static int each(struct vm_config *cfg, const json_t *a, const char *section,
		int (*insert)(struct vm_config *cfg, const json_t *body,
			      const char *path_id, const char *where, char *why,
			      size_t len),
		char *why, size_t len)
{
	size_t i;
	json_t *v;

	/* Cast: jansson's iteration macro takes a non-const array. */
	json_array_foreach((json_t *)a, i, v)
	{
		char where[64];
		int err;

		snprintf(where, sizeof(where), "%s[%zu]", section, i);
		err = insert(cfg, v, NULL, where, why, len);
		if (err)
			return err;
	}
	return 0;
}

/* A section ignis has no device or feature for yet: refused unless absent,
 * null or (an array) empty. */
static int unsupported(const json_t *root, const char *section, char *why,
		       size_t len)
{
	const json_t *v = fc_get(root, section);

	if (!v || (json_is_array(v) && !json_array_size(v)))
		return 0;
	return fc_fail(why, len, -ENOTSUP, section, NULL,
		       "not supported by ignis yet");
}

/* The whole file's sections, applied to (cfg) (a copy) in Firecracker's
 * order (resources.rs, VmResources::from_json), so that the first error
 * reported is the one Firecracker would report. */
static int apply_sections(struct vm_config *cfg, const json_t *root, char *why,
			  size_t len)
{
	static const struct fc_field sections[] = {
		{ "boot-source", FC_T_OBJECT, true },
		{ "drives", FC_T_ARRAY, true },
		{ "machine-config", FC_T_OBJECT, false },
		{ "network-interfaces", FC_T_ARRAY, false },
		{ "entropy", FC_T_OBJECT, false },
		{ "vsock", FC_T_OBJECT, false },
		{ "logger", FC_T_OBJECT, false },
		{ "metrics", FC_T_OBJECT, false },
		{ "balloon", FC_T_OBJECT, false },
		{ "mmds-config", FC_T_OBJECT, false },
		{ "cpu-config", FC_T_ANY, false }, /* a path or a template */
		{ "pmem", FC_T_ARRAY, false },
		{ "memory-hotplug", FC_T_OBJECT, false },
		{ "iommu", FC_T_OBJECT, false }, /* ignis's extension */
		{ "vfio", FC_T_ARRAY, false }, /* ignis's extension */
	};
	const json_t *v;
	int err = fc_schema_check(root, NULL, sections, ARRAY_LEN(sections),
				  why, len);

	if (err)
		return err;
	if ((v = fc_get(root, "logger")) &&
	    (err = logger(cfg, v, "logger", why, len)))
		return err;
	if ((v = fc_get(root, "metrics")) &&
	    (err = metrics(cfg, v, "metrics", why, len)))
		return err;
	if ((v = fc_get(root, "machine-config")) &&
	    (err = machine_config(cfg, v, false, "machine-config", why, len)))
		return err;
	err = unsupported(root, "cpu-config", why, len);
	if (!err)
		err = boot_source(cfg, fc_get(root, "boot-source"),
				  "boot-source", why, len);
	if (!err)
		err = each(cfg, fc_get(root, "drives"), "drives",
			   fc_drive_insert, why, len);
	if (!err)
		err = each(cfg, fc_get(root, "network-interfaces"),
			   "network-interfaces", fc_net_insert, why, len);
	if (err)
		return err;
	if ((v = fc_get(root, "vsock")) &&
	    (err = vsock(cfg, v, "vsock", why, len)))
		return err;
	err = unsupported(root, "balloon", why, len);
	if (!err)
		err = unsupported(root, "mmds-config", why, len);
	if (err)
		return err;
	if ((v = fc_get(root, "entropy")) &&
	    (err = entropy(cfg, v, "entropy", why, len)))
		return err;
	err = unsupported(root, "pmem", why, len);
	if (!err)
		err = unsupported(root, "memory-hotplug", why, len);
	if (!err && (v = fc_get(root, "iommu")))
		err = iommu(cfg, v, "iommu", why, len);
	if (!err)
		err = each(cfg, fc_get(root, "vfio"), "vfio", fc_vfio_insert,
			   why, len);
	return err;
}

int fc_config_apply(struct vm_config *cfg, const json_t *root, char *why,
		    size_t len)
{
	struct vm_config tmp;

	if (config_copy(&tmp, cfg))
		return fc_fail(why, len, -ENOMEM, NULL, NULL, "out of memory");
	return commit(cfg, &tmp, apply_sections(&tmp, root, why, len));
}

int fc_config_file_load(const char *path, struct vm_config *cfg, char *why,
			size_t len)
{
	json_error_t jerr;
	struct stat st;
	json_t *root;
	FILE *f;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fc_fail(why, len, -errno, NULL, NULL, "%s",
			       strerror(errno));
	err = fstat(fd, &st) ? -errno : S_ISDIR(st.st_mode) ? -EISDIR : 0;
	if (err) {
		close(fd);
		return fc_fail(why, len, err, NULL, NULL, "%s", strerror(-err));
	}
	f = fdopen(fd, "r");
	if (!f) {
		err = -errno;
		close(fd);
		return fc_fail(why, len, err, NULL, NULL, "%s", strerror(-err));
	}
	root = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
	fclose(f);
	if (!root)
		return fc_fail(why, len, -EINVAL, NULL, NULL,
			       "line %d column %d: %s", jerr.line, jerr.column,
			       jerr.text);
	if (json_is_object(root))
		err = fc_config_apply(cfg, root, why, len);
	else
		err = fc_fail(why, len, -EINVAL, NULL, NULL,
			      "expected a JSON object");
	json_decref(root);
	return err;
}

/* --config-file FILE: the whole VM from the file, or refused whole. */
static int set_config_file(struct vm_config *cfg, const char *v, char *why,
			   size_t len)
{
	int err;

	/* One source of truth: flags before it would be silently replaced
	 * by the file, and the machine flags refuse to follow it. */
	if (!config_is_default(cfg)) {
		snprintf(why, len,
			 "give either --config-file or the machine "
			 "and device flags, not both");
		return -EINVAL;
	}
	err = fc_config_file_load(v, cfg, why, len);
	if (err)
		return err;
	cfg->from_file = true;
	return 0;
}

static const struct cli_option fc_config_options[] = {
	{ "config-file", "FILE",
	  "the whole VM from a Firecracker-format JSON file (instead of the "
	  "flags above)",
	  false, set_config_file },
};

const struct cli_group fc_config_cli_group = {
	.title = "Firecracker config file",
	.options = fc_config_options,
	.nr_options = ARRAY_LEN(fc_config_options),
};
