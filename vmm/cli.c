// SPDX-License-Identifier: Apache-2.0
/* vmm/cli.c: command-line parsing from option tables that modules own. */
#include "cli.h"

#include <errno.h>
#include <string.h>

#include "log.h"

#define CLI_MAX_OPTIONS 128	/* all groups together, for duplicate checks */

struct cli_found {
	const struct cli_option *opt;	/* the option matched */
	unsigned int index;		/* its position across all groups */
};

static bool cli_find(const struct cli_group *const groups[], const char *name,
		     size_t name_len, struct cli_found *found)
{
	unsigned int index = 0;

	for (unsigned int g = 0; groups[g]; g++) {
		for (unsigned int i = 0; i < groups[g]->nr_options; i++, index++) {
			const struct cli_option *o = &groups[g]->options[i];

			if (strlen(o->name) == name_len &&
			    !strncmp(o->name, name, name_len)) {
				found->opt = o;
				found->index = index;
				return true;
			}
		}
	}
	return false;
}

/* An option whose value may be left out (its placeholder in brackets). */
static bool cli_arg_optional(const struct cli_option *o)
{
	return o->arg && o->arg[0] == '[';
}

void cli_usage(FILE *out, const struct cli_group *const groups[])
{
	fprintf(out,
		"Usage: ignis --kernel PATH [OPTION]...\n"
		"Boot a microVM on KVM. Guest serial output goes to stdout.\n");
	for (unsigned int g = 0; groups[g]; g++) {
		fprintf(out, "\n%s:\n", groups[g]->title);
		for (unsigned int i = 0; i < groups[g]->nr_options; i++) {
			const struct cli_option *o = &groups[g]->options[i];
			char left[64];

			snprintf(left, sizeof(left), "--%s%s%s", o->name,
				 !o->arg || cli_arg_optional(o) ? "" : " ",
				 o->arg ? o->arg : "");
			fprintf(out, "  %-24s %s\n", left, o->help);
		}
	}
	fprintf(out,
		"\nOther:\n"
		"  %-24s %s\n  %-24s %s\n"
		"\nExit status: 0 when the guest resets or powers off, or on\n"
		"SIGINT/SIGTERM; 1 on an error; 2 on bad usage.\n",
		"-h, --help", "show this help and exit",
		"-V, --version", "show the version and exit");
}

static int cli_apply(const struct cli_option *opt, const char *value,
		     struct vm_config *cfg)
{
	char why[160] = "";
	int err = opt->set(cfg, value, why, sizeof(why));

	if (err) {
		if (value)
			log_error("--%s %s: %s", opt->name, value,
				  why[0] ? why : strerror(-err));
		else
			log_error("--%s: %s", opt->name,
				  why[0] ? why : strerror(-err));
	}
	return err;
}

int cli_parse(int argc, char *const argv[],
	      const struct cli_group *const groups[], struct vm_config *cfg)
{
	bool seen[CLI_MAX_OPTIONS] = { false };

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *name, *eq, *value = NULL;
		struct cli_found found;
		size_t name_len;

		if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
			cli_usage(stdout, groups);
			return CLI_DONE;
		}
		if (!strcmp(arg, "-V") || !strcmp(arg, "--version")) {
			printf("ignis %s\n", IGNIS_VERSION);
			return CLI_DONE;
		}
		if (strncmp(arg, "--", 2) || !arg[2]) {
			log_error("unexpected argument '%s' (try --help)", arg);
			return -EINVAL;
		}
		name = arg + 2;
		eq = strchr(name, '=');
		name_len = eq ? (size_t)(eq - name) : strlen(name);
		if (!cli_find(groups, name, name_len, &found) ||
		    found.index >= CLI_MAX_OPTIONS) {
			log_error("unknown option '%.*s' (try --help)",
				  (int)(name_len + 2), arg);
			return -EINVAL;
		}
		if (seen[found.index] && !found.opt->repeatable) {
			log_error("--%s given more than once", found.opt->name);
			return -EINVAL;
		}
		seen[found.index] = true;
		if (found.opt->arg) {
			if (eq) {
				value = eq + 1;
			} else if (cli_arg_optional(found.opt)) {
				value = NULL;
			} else if (i + 1 < argc) {
				value = argv[++i];
			} else {
				log_error("--%s needs a value (%s)",
					  found.opt->name, found.opt->arg);
				return -EINVAL;
			}
		} else if (eq) {
			log_error("--%s takes no value", found.opt->name);
			return -EINVAL;
		}
		if (cli_apply(found.opt, value, cfg))
			return -EINVAL;
	}
	return CLI_RUN;
}

int cli_kv_next(const char **s, struct cli_kv *kv)
{
	const char *p = *s, *end, *eq;

	if (!*p)
		return 0;
	end = strchr(p, ',');
	if (!end)
		end = p + strlen(p);
	eq = memchr(p, '=', (size_t)(end - p));
	if (!eq || eq == p || eq + 1 == end)
		return -EINVAL;
	kv->key = p;
	kv->key_len = (size_t)(eq - p);
	kv->val = eq + 1;
	kv->val_len = (size_t)(end - eq - 1);
	*s = *end ? end + 1 : end;
	/* "a=1," leaves an empty last item: refuse it rather than ignore. */
	return *end && !end[1] ? -EINVAL : 1;
}

bool cli_kv_is(const struct cli_kv *kv, const char *key)
{
	return strlen(key) == kv->key_len && !memcmp(kv->key, key, kv->key_len);
}

int cli_kv_switch(const struct cli_kv *kv, bool *out)
{
	if (kv->val_len == 2 && !memcmp(kv->val, "on", 2))
		*out = true;
	else if (kv->val_len == 3 && !memcmp(kv->val, "off", 3))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

char *cli_kv_value(const struct cli_kv *kv)
{
	return strndup(kv->val, kv->val_len);
}
