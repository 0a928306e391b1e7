/* SPDX-License-Identifier: Apache-2.0 */
/* vmm/cli.h: command-line parsing from option tables that modules own. */
#ifndef IGNIS_CLI_H
#define IGNIS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct vm_config;

/*
 * One option. A module declares a table of these in its own file and the
 * builder lists the module's group; the parser never changes when a
 * module adds a flag.
 */
struct cli_option {
	const char *name;	/* long name without the dashes */
	const char *arg;	/* placeholder for its value; NULL: a switch;
				 * in brackets ("[k=v]"): optional, given
				 * only as --name=value (NULL to set()
				 * when absent) */
	const char *help;	/* one line for --help */
	bool repeatable;	/* may appear more than once (--disk ...) */
	/* Stores (value) (NULL for a switch) in (cfg). Returns 0, or -errno
	 * and writes a reason of at most (len) bytes to (why). */
	int (*set)(struct vm_config *cfg, const char *value, char *why,
		   size_t len);
};

/* A module's options, shown together under (title) in --help. */
struct cli_group {
	const char *title;			/* heading in --help */
	const struct cli_option *options;	/* the table */
	unsigned int nr_options;		/* its length */
};

enum cli_result {
	CLI_RUN,	/* options parsed: build and run the VM */
	CLI_DONE,	/* --help or --version printed: exit 0 */
};

/*
 * Parses (argv) with the options of the NULL-terminated (groups) into
 * (cfg). Accepts "--name value" and "--name=value"; -h and -V as short
 * forms of --help and --version. Returns a cli_result, or -EINVAL after
 * printing one "ignis: ..." line on stderr for bad usage.
 */
int cli_parse(int argc, char *const argv[],
	      const struct cli_group *const groups[], struct vm_config *cfg);

/* One item of an option value written as "key=value,key=value" (--disk,
 * --net); points into that value, not NUL-terminated. */
struct cli_kv {
	const char *key, *val;
	size_t key_len, val_len;
};

/*
 * Takes the next "key=value" item of the list at (*s) into (kv) and moves
 * (*s) past it and its comma. Returns 1, 0 at the end of the list, or
 * -EINVAL for an item without '=' or with an empty key or value.
 */
int cli_kv_next(const char **s, struct cli_kv *kv);

/* Whether the item's key is (key). */
bool cli_kv_is(const struct cli_kv *kv, const char *key);

/* The item's value as a switch: "on" or "off". 0 or -EINVAL. */
int cli_kv_switch(const struct cli_kv *kv, bool *out);

/* A NUL-terminated copy of the item's value, or NULL (no memory). */
char *cli_kv_value(const struct cli_kv *kv);

/* Prints the usage text built from (groups) to (out). */
void cli_usage(FILE *out, const struct cli_group *const groups[]);

#endif
