// SPDX-License-Identifier: Apache-2.0
/* vmm/thread.c: every thread ignis starts, named and jailed in one place. */
#include "thread.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

struct thread_start {
	char name[16];		/* pthread names are 15 chars + NUL */
	enum jail_class cls;	/* policy to enter */
	void *(*fn)(void *);	/* body */
	void *arg;		/* its argument */
};

static void *thread_trampoline(void *p)
{
	struct thread_start start = *(struct thread_start *)p;
	int err;

	free(p);
	pthread_setname_np(pthread_self(), start.name);
	err = jail_thread_enter(start.cls);
	if (err) {
		log_error("thread %s: cannot enter the %s jail: %s", start.name,
			  jail_class_name(start.cls), strerror(-err));
		return THREAD_JAIL_FAILED;
	}
	return start.fn(start.arg);
}

int thread_spawn(pthread_t *thread, const char *name, enum jail_class cls,
		 void *(*fn)(void *), void *arg)
{
	struct thread_start *start = calloc(1, sizeof(*start));
	int err;

	if (!start)
		return -ENOMEM;
	strncpy(start->name, name, sizeof(start->name) - 1);
	start->cls = cls;
	start->fn = fn;
	start->arg = arg;
	err = pthread_create(thread, NULL, thread_trampoline, start);
	if (err) {
		free(start);
		return -err;
	}
	return 0;
}
