/* SPDX-License-Identifier: Apache-2.0 */
/* jail/policy.h: each thread class's allowed syscalls, as data. */
#ifndef IGNIS_JAIL_POLICY_H
#define IGNIS_JAIL_POLICY_H

#include <seccomp.h>
#include <stdint.h>

#include "jail.h"

#define JAIL_MAX_ARGS 2		/* argument checks in one rule */

/*
 * One allowed syscall, with up to JAIL_MAX_ARGS argument comparisons that
 * must all hold (none: any arguments). A syscall may appear in several
 * rules (an ioctl per request number): any rule that matches allows it.
 */
struct jail_rule {
	int nr;				/* SCMP_SYS(name) */
	unsigned int nr_args;		/* entries used in args */
	struct scmp_arg_cmp args[JAIL_MAX_ARGS];
};

/* A class's rules. */
struct jail_policy {
	const struct jail_rule *rules;
	unsigned int nr;
};

/* (cls)'s policy. */
const struct jail_policy *jail_policy(enum jail_class cls);

#endif
