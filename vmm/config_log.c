// SPDX-License-Identifier: Apache-2.0
/* vmm/config_log.c: the logger's and metrics' settings from the command line (Firecracker's flags). */
#include <errno.h>
#include <stdio.h>

#include "config.h"
#include "size.h"

/* The most --metrics-period-ms: a day. */
#define CONFIG_MAX_METRICS_PERIOD_MS (24u * 3600 * 1000)

static int set_log_path(struct vm_config *cfg, const char *v, char *why,
			size_t len)
{
	return config_set_string(&cfg->log.path, v, why, len);
}

static int set_level(struct vm_config *cfg, const char *v, char *why,
		     size_t len)
{
	if (log_level_parse(v, &cfg->log.level)) {
		snprintf(why, len, "expected Off, Error, Warn, Info, Debug or "
				   "Trace");
		return -EINVAL;
	}
	return 0;
}

static int set_show_level(struct vm_config *cfg, const char *v, char *why,
			  size_t len)
{
	cfg->log.show_level = true;
	return 0;
}

static int set_show_origin(struct vm_config *cfg, const char *v, char *why,
			   size_t len)
{
	cfg->log.show_origin = true;
	return 0;
}

static int set_module(struct vm_config *cfg, const char *v, char *why,
		      size_t len)
{
	return config_set_string(&cfg->log.module, v, why, len);
}

static int set_metrics_path(struct vm_config *cfg, const char *v, char *why,
			    size_t len)
{
	return config_set_string(&cfg->metrics.path, v, why, len);
}

static int set_metrics_period(struct vm_config *cfg, const char *v, char *why,
			      size_t len)
{
	uint64_t ms;

	if (uint_parse(v, 1, CONFIG_MAX_METRICS_PERIOD_MS, &ms)) {
		snprintf(why, len, "expected milliseconds from 1 to %u",
			 CONFIG_MAX_METRICS_PERIOD_MS);
		return -EINVAL;
	}
	cfg->metrics.period_ms = (unsigned int)ms;
	return 0;
}

static const struct cli_option config_log_options[] = {
	{ "log-path", "PATH",
	  "write the log to this file or FIFO (errors still go to stderr)",
	  false, set_log_path },
	{ "level", "LEVEL",
	  "Off, Error, Warn, Info, Debug or Trace (default Warn)", false,
	  set_level },
	{ "show-level", NULL, "the level in each log file line", false,
	  set_show_level },
	{ "show-log-origin", NULL,
	  "the source file and line in each log file line", false,
	  set_show_origin },
	{ "module", "PATH",
	  "log only from sources under this path, e.g. devices/virtio", false,
	  set_module },
	{ "metrics-path", "PATH",
	  "write Firecracker-style metrics to this file or FIFO, one JSON "
	  "line per flush",
	  false, set_metrics_path },
	{ "metrics-period-ms", "MS",
	  "between timed metrics flushes (default 60000, Firecracker's)", false,
	  set_metrics_period },
};

const struct cli_group config_log_cli_group = {
	.title = "Logging and metrics",
	.options = config_log_options,
	.nr_options = sizeof(config_log_options) / sizeof(config_log_options[0]),
};

int config_logging_apply(const struct vm_config *cfg, char *why, size_t len)
{
	int err = log_configure(&cfg->log, why, len);

	if (!err && cfg->metrics.path && !metrics_configured())
		err = metrics_configure(&cfg->metrics, why, len);
	return err;
}
