// SPDX-License-Identifier: Apache-2.0
/* jail/jail.c: the one place where every ignis thread enters its jail. */
#include "jail.h"

#include <errno.h>
#include <jansson.h>
#include <malloc.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "policy.h"

static const char *const jail_class_names[JAIL_CLASS_COUNT] = {
	[JAIL_VMM] = "vmm",	[JAIL_VCPU] = "vcpu",	[JAIL_API] = "api",
	[JAIL_BLK] = "blk",	[JAIL_NET] = "net",	[JAIL_RNG] = "rng",
	[JAIL_VSOCK] = "vsock", [JAIL_IOMMU] = "iommu",
};

static enum jail_seccomp_mode seccomp_mode = JAIL_SECCOMP_ON;

/* For the SIGSYS handler, which may call nothing that is not
 * async-signal-safe: the thread's name and class, taken when it entered
 * its jail. */
static _Thread_local char jailed_name[16];
static _Thread_local enum jail_class jailed_class;

const char *jail_class_name(enum jail_class cls)
{
	if ((unsigned int)cls >= JAIL_CLASS_COUNT)
		return "?";
	return jail_class_names[cls];
}

enum jail_seccomp_mode jail_seccomp_mode(void)
{
	return seccomp_mode;
}

static int set_seccomp(struct vm_config *cfg, const char *v, char *why,
		       size_t len)
{
	if (!strcmp(v, "on"))
		seccomp_mode = JAIL_SECCOMP_ON;
	else if (!strcmp(v, "log"))
		seccomp_mode = JAIL_SECCOMP_LOG;
	else if (!strcmp(v, "off"))
		seccomp_mode = JAIL_SECCOMP_OFF;
	else {
		snprintf(why, len, "expected on, log or off");
		return -EINVAL;
	}
	return 0;
}

static const struct cli_option jail_cli_options[] = {
	{ "seccomp", "on|log|off",
	  "each thread's seccomp filter: on (a forbidden syscall stops ignis, "
	  "exit 148), log (the kernel logs it), off; for debugging only",
	  false, set_seccomp },
};

const struct cli_group jail_cli_group = {
	.title = "Jail",
	.options = jail_cli_options,
	.nr_options = sizeof(jail_cli_options) / sizeof(jail_cli_options[0]),
};

/* Appends decimal (v) at (p); returns the end. Async-signal-safe. */
static char *put_base(char *p, unsigned long v, unsigned int base)
{
	char tmp[24];
	int n = 0;

	do
		tmp[n++] = "0123456789abcdef"[v % base];
	while ((v /= base));
	while (n)
		*p++ = tmp[--n];
	return p;
}

static char *put_uint(char *p, unsigned long v)
{
	return put_base(p, v, 10);
}

/* The trapped call's second argument: an ioctl's request, which names
 * what was refused far better than "syscall 16". */
static unsigned long syscall_arg1(const void *uctx)
{
	const ucontext_t *uc = uctx;

#if defined(__x86_64__)
	return (unsigned long)uc->uc_mcontext.gregs[REG_RSI];
#elif defined(__aarch64__)
	return (unsigned long)uc->uc_mcontext.regs[1];
#else
	(void)uc;
	return 0;
#endif
}

static char *put_str(char *p, const char *s)
{
	while (*s)
		*p++ = *s++;
	return p;
}

/* SIGSYS from SECCOMP_RET_TRAP: one line, then the documented status. The
 * handler runs on the offending thread, under its own filter, so it uses
 * write and exit_group only, which every policy allows. */
static void on_sigsys(int sig, siginfo_t *si, void *uctx)
{
	char line[200], *p = line;

	(void)sig;
	p = put_str(p, "ignis: seccomp: thread '");
	p = put_str(p, jailed_name[0] ? jailed_name : "?");
	p = put_str(p, "' (");
	p = put_str(p, jail_class_name(jailed_class));
	p = put_str(p, ") made syscall ");
	p = put_uint(p, (unsigned long)si->si_syscall);
	p = put_str(p, " (second argument 0x");
	p = put_base(p, syscall_arg1(uctx), 16);
	p = put_str(p, "), which its policy forbids: stopping\n");
	if (write(STDERR_FILENO, line, (size_t)(p - line)) < 0)
		_exit(JAIL_EXIT_SECCOMP);
	_exit(JAIL_EXIT_SECCOMP);
}

int jail_init(void)
{
	struct sigaction sa = { .sa_sigaction = on_sigsys,
				.sa_flags = SA_SIGINFO };

	/* What the libraries would otherwise do lazily, behind a filter:
	 * jansson seeds its hash from /dev/urandom at the first object (a
	 * metrics flush on the jailed VMM thread), and glibc reads
	 * /proc/sys/vm/overcommit_memory when it first shrinks a thread's
	 * arena: one arena (the main heap, grown with brk) has none. */
	json_object_seed(0);
	mallopt(M_ARENA_MAX, 1);
	/* A log line's UTC time: glibc reads the time zone (TZ,
	 * /etc/localtime) at the first conversion, gmtime_r()'s too. */
	tzset();
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGSYS, &sa, NULL) ? -errno : 0;
}

unsigned int jail_policy_size(enum jail_class cls)
{
	const struct jail_policy *p = jail_policy(cls);
	unsigned int n = 0;

	/* Distinct syscalls: an ioctl allowed for five requests is one. */
	for (unsigned int i = 0; i < p->nr; i++) {
		unsigned int j;

		for (j = 0; j < i && p->rules[j].nr != p->rules[i].nr; j++)
			;
		n += j == i;
	}
	return n;
}

/* Builds and loads (cls)'s filter on the calling thread. */
static int load_filter(enum jail_class cls)
{
	const struct jail_policy *p = jail_policy(cls);
	uint32_t deny = seccomp_mode == JAIL_SECCOMP_LOG ? SCMP_ACT_LOG :
							  SCMP_ACT_TRAP;
	scmp_filter_ctx ctx = seccomp_init(deny);
	int err = ctx ? 0 : -ENOMEM;

	for (unsigned int i = 0; !err && i < p->nr; i++) {
		const struct jail_rule *r = &p->rules[i];

		err = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, r->nr,
					     r->nr_args, r->args);
	}
	if (!err)
		err = seccomp_load(ctx);
	seccomp_release(ctx);
	return err;
}

int jail_thread_enter(enum jail_class cls)
{
	if ((unsigned int)cls >= JAIL_CLASS_COUNT)
		return -EINVAL;
	/* No thread may gain privileges through exec, and a seccomp filter
	 * can only be installed by an unprivileged thread with this set. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (seccomp_mode == JAIL_SECCOMP_OFF)
		return 0;
	prctl(PR_GET_NAME, jailed_name, 0, 0, 0);
	jailed_class = cls;
	return load_filter(cls);
}
