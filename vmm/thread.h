/* SPDX-License-Identifier: Apache-2.0 */
/* vmm/thread.h: every thread ignis starts, named and jailed in one place. */
#ifndef IGNIS_THREAD_H
#define IGNIS_THREAD_H

#include <pthread.h>

#include "jail/jail.h"

/*
 * Starts (fn)(arg) on a new thread named (name) (at most 15 characters,
 * visible in ps/top and to orchestrators that pin threads by name), which
 * enters the jail of (cls) before calling (fn). If the jail cannot be
 * entered, (fn) never runs and the thread returns THREAD_JAIL_FAILED.
 * The thread inherits the caller's signal mask. Returns 0 or -errno.
 */
int thread_spawn(pthread_t *thread, const char *name, enum jail_class cls,
		 void *(*fn)(void *), void *arg);

/* What a thread that could not enter its jail returns to pthread_join. */
#define THREAD_JAIL_FAILED ((void *)-1)

#endif
