// SPDX-License-Identifier: Apache-2.0
/* jail/jail.c: the one place where every ignis thread enters its jail. */
#include "jail.h"

#include <errno.h>
#include <sys/prctl.h>

static const char *const jail_class_names[JAIL_CLASS_COUNT] = {
	[JAIL_VMM] = "vmm",
	[JAIL_VCPU] = "vcpu",
	[JAIL_VIRTIO] = "virtio",
	[JAIL_API] = "api",
};

const char *jail_class_name(enum jail_class cls)
{
	if ((unsigned int)cls >= JAIL_CLASS_COUNT)
		return "?";
	return jail_class_names[cls];
}

int jail_thread_enter(enum jail_class cls)
{
	if ((unsigned int)cls >= JAIL_CLASS_COUNT)
		return -EINVAL;
	/* No thread may gain privileges through exec, and a seccomp filter
	 * can only be installed by an unprivileged thread with this set. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return 0;
}
