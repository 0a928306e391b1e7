// SPDX-License-Identifier: Apache-2.0
/* jail/policy.c: each thread class's allowed syscalls, as data. */
#include "policy.h"

#include <fcntl.h>
#include <linux/io_uring.h>
#include <linux/fs.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <linux/vfio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>

#define ALLOW(name) { .nr = SCMP_SYS(name) }
/* Allowed when argument (arg) equals (val): an ioctl's request. */
#define ALLOW_EQ(name, arg, val)                                              \
	{ .nr = SCMP_SYS(name), .nr_args = 1,                                 \
	  .args = { SCMP_CMP(arg, SCMP_CMP_EQ, (val), 0) } }
/* Allowed when argument (arg) has none of the bits (mask). */
#define ALLOW_NONE_OF(name, arg, mask)                                        \
	{ .nr = SCMP_SYS(name), .nr_args = 1,                                 \
	  .args = { SCMP_CMP(arg, SCMP_CMP_MASKED_EQ, (mask), 0) } }

/*
 * Sanitizer builds only (-DIGNIS_SANITIZE=ON, which the tests also run):
 * LeakSanitizer's check at exit stops the world from a traced clone
 * (clone, ptrace, wait4, /proc/self/task read with open and getdents),
 * and a report from any thread reads /proc/self/maps to name its frames.
 * Never in the binary users run.
 */
#ifdef IGNIS_SANITIZED
#define SANITIZER_RULES                                                       \
	, ALLOW(clone), ALLOW(ptrace), ALLOW(wait4), ALLOW(prctl),            \
	ALLOW(open), ALLOW(openat), ALLOW(read), ALLOW(close),                \
	ALLOW(getdents), ALLOW(getdents64), ALLOW(lseek), ALLOW(readlink),    \
	ALLOW(newfstatat), ALLOW(getppid), ALLOW(getpid), ALLOW(gettid),      \
	ALLOW(rt_sigaction), ALLOW(tgkill), ALLOW(kill), ALLOW(pread64)
#else
#define SANITIZER_RULES
#endif

/*
 * Every thread: what the C library and the runtime need whatever the
 * thread does. Memory is never mapped or made executable (mmap, mprotect
 * without PROT_EXEC), so a hijacked thread cannot load code.
 */
#define COMMON_RULES                                                          \
	ALLOW(exit),		/* a thread returns */                        \
	ALLOW(exit_group),	/* the SIGSYS handler's _exit, main's exit */ \
	ALLOW(futex),		/* mutexes, condition variables, joins */     \
	ALLOW(write),		/* log lines; eventfd wake-ups */             \
	ALLOW(rt_sigreturn),	/* a signal handler returns */                \
	ALLOW(rt_sigprocmask),	/* a thread's exit blocks signals */          \
	ALLOW(madvise),		/* free() and a thread's exit give memory */  \
	ALLOW(munmap),		/* free() of a large block */                 \
	ALLOW(brk),		/* malloc() grows the heap */                 \
	ALLOW_NONE_OF(mmap, 2, PROT_EXEC),	/* malloc() of a large block */ \
	ALLOW_NONE_OF(mprotect, 2, PROT_EXEC),	/* malloc()'s arenas */       \
	ALLOW(restart_syscall),	/* a futex wait resumed after a signal */     \
	ALLOW(sched_yield),	/* spinning locks (ASan's, libc's) */         \
	ALLOW_EQ(prctl, 0, PR_GET_NAME),	/* a log line's thread name */ \
	ALLOW(sigaltstack)	/* ASan's signal stack, undone at exit */       \
	SANITIZER_RULES

/* The VMM thread once the VM runs: the event loop, the API's post-boot
 * requests, teardown. */
static const struct jail_rule vmm_rules[] = {
	COMMON_RULES,
	ALLOW(read),		/* signalfd, eventfds, timerfd, stdin */
	ALLOW(poll),		/* the event loop */
	ALLOW(close),		/* teardown */
	ALLOW(tgkill),		/* vcpu_kick(): pthread_kill() */
	ALLOW(getpid),		/* pthread_kill()'s tgkill argument */
	ALLOW_EQ(ioctl, 1, TCSETS),	/* the terminal restored */
	ALLOW_EQ(ioctl, 1, TCGETS),	/* isatty() */
	ALLOW_EQ(ioctl, 1, KVM_SIGNAL_MSI),	/* SendCtrlAltDel, a VFIO INTx line */
	/* PATCH /drives/{id}: the new image (never created), its size, its
	 * lock, and into the disk's ring (blk_update_image()). */
	ALLOW_NONE_OF(openat, 2, O_CREAT),
	ALLOW(newfstatat),
	ALLOW_EQ(ioctl, 1, BLKGETSIZE64),
	ALLOW(flock),
	ALLOW_EQ(io_uring_register, 1, IORING_REGISTER_FILES_UPDATE),
	ALLOW(unlink),		/* the API's and vsock's sockets, at exit */
	ALLOW_EQ(fcntl, 1, F_GETFD),	/* IGNIS_CHECK_FDS at exit */
	ALLOW(readlink),	/* ... naming a leaked fd */
	/* A passed-through device's teardown (vfio_pci_destroy(),
	 * vfio_device_close()): its BARs' KVM slots, its vectors' irqfds
	 * and routes, MSI-X off, the reset (found by the vfio_e1000e
	 * system test). */
	ALLOW_EQ(ioctl, 1, KVM_SET_USER_MEMORY_REGION),
	ALLOW_EQ(ioctl, 1, KVM_IRQFD),
	ALLOW_EQ(ioctl, 1, KVM_SET_GSI_ROUTING),
	ALLOW_EQ(ioctl, 1, VFIO_DEVICE_SET_IRQS),
	ALLOW_EQ(ioctl, 1, VFIO_DEVICE_RESET),
	/* ... and the iommu's teardown, which unmaps what the guest had
	 * mapped for it (viommu_destroy()). */
	ALLOW_EQ(ioctl, 1, VFIO_IOMMU_UNMAP_DMA),
};

/* The API thread: its socket and connections, the queue's eventfd. */
static const struct jail_rule api_rules[] = {
	COMMON_RULES,
	ALLOW(epoll_wait),
	ALLOW(epoll_ctl),
	ALLOW(accept4),		/* a client */
	ALLOW(recvfrom),	/* its bytes (recv) */
	ALLOW(sendto),		/* the answers (send) */
	ALLOW(shutdown),	/* a refused client */
	ALLOW(read),		/* the VMM's answer eventfd */
	ALLOW(close),		/* a finished connection */
};

/* A vCPU: KVM_RUN and the exits it handles itself. */
static const struct jail_rule vcpu_rules[] = {
	COMMON_RULES,
	ALLOW_EQ(ioctl, 1, KVM_RUN),
	ALLOW_EQ(ioctl, 1, KVM_GET_REGS),	/* where a failed guest was */
	ALLOW_EQ(ioctl, 1, KVM_GET_SREGS),
	ALLOW_EQ(ioctl, 1, KVM_SIGNAL_MSI),	/* the IOAPIC's pins */
	ALLOW_EQ(ioctl, 1, KVM_SET_GSI_ROUTING),	/* its redirections,
						 * MSI-X vectors */
	/* A passed-through device (devices/vfio/vfio_pci.c): config
	 * space and its BARs' trapped parts through the device fd, a BAR
	 * moved or turned on (its KVM slot), a vector masked or unmasked
	 * (its irqfd), MSI-X or INTx turned on or off, an INTx unmasked. */
	ALLOW(pread64),
	ALLOW(pwrite64),
	ALLOW_EQ(ioctl, 1, KVM_SET_USER_MEMORY_REGION),
	ALLOW_EQ(ioctl, 1, KVM_IRQFD),
	ALLOW_EQ(ioctl, 1, VFIO_DEVICE_SET_IRQS),
	/* The guest resetting the virtio-iommu (a status write, handled on
	 * the vCPU): every endpoint detached, boot bypass mapping RAM again
	 * (viommu_reset_op(); found by the vfio_e1000e_iommu system test). */
	ALLOW_EQ(ioctl, 1, VFIO_IOMMU_MAP_DMA),
	ALLOW_EQ(ioctl, 1, VFIO_IOMMU_UNMAP_DMA),
};

/* Device workers: their ring, and what each backend needs outside it. */
static const struct jail_rule blk_rules[] = {
	COMMON_RULES,
	ALLOW(io_uring_enter),
};

static const struct jail_rule net_rules[] = {
	COMMON_RULES,
	ALLOW(io_uring_enter),
	ALLOW_EQ(ioctl, 1, TUNSETOFFLOAD),	/* the negotiated offloads */
};

static const struct jail_rule rng_rules[] = {
	COMMON_RULES,
	ALLOW(io_uring_enter),
	ALLOW_EQ(getrandom, 2, 0),	/* the entropy, blocking until ready */
};

static const struct jail_rule vsock_rules[] = {
	COMMON_RULES,
	ALLOW(io_uring_enter),	/* every socket operation is on the ring */
};

static const struct jail_rule iommu_rules[] = {
	COMMON_RULES,
	ALLOW(io_uring_enter),
	/* A passed-through device's DMA, as the guest maps it. */
	ALLOW_EQ(ioctl, 1, VFIO_IOMMU_MAP_DMA),
	ALLOW_EQ(ioctl, 1, VFIO_IOMMU_UNMAP_DMA),
};

#define POLICY(a) { a, sizeof(a) / sizeof((a)[0]) }

static const struct jail_policy policies[JAIL_CLASS_COUNT] = {
	[JAIL_VMM] = POLICY(vmm_rules),	    [JAIL_VCPU] = POLICY(vcpu_rules),
	[JAIL_API] = POLICY(api_rules),	    [JAIL_BLK] = POLICY(blk_rules),
	[JAIL_NET] = POLICY(net_rules),	    [JAIL_RNG] = POLICY(rng_rules),
	[JAIL_VSOCK] = POLICY(vsock_rules), [JAIL_IOMMU] = POLICY(iommu_rules),
};

const struct jail_policy *jail_policy(enum jail_class cls)
{
	return &policies[cls];
}
