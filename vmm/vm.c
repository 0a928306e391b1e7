// SPDX-License-Identifier: Apache-2.0
/* vmm/vm.c: one microVM: stop requests and the VMM thread's event loop. */
#include "vm.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "devices/legacy/serial.h"
#include "jail/jail.h"
#include "log.h"
#include "term.h"
#include "vcpu.h"

void vm_request_stop(struct vm *vm, enum vm_stop_reason reason)
{
	int expected = VM_STOP_NONE;
	uint64_t one = 1;

	if (!atomic_compare_exchange_strong(&vm->stop_reason, &expected,
					    (int)reason))
		return;
	/* Parked vCPUs see the stop too. */
	pthread_mutex_lock(&vm->pause_lock);
	pthread_cond_broadcast(&vm->pause_cond);
	pthread_mutex_unlock(&vm->pause_lock);
	/* The eventfd counter cannot overflow from one write per VM. */
	if (write(vm->stop_fd, &one, sizeof(one)) < 0)
		log_error("cannot wake the VMM thread: %s", strerror(errno));
}

bool vm_is_stopping(const struct vm *vm)
{
	return atomic_load(&vm->stop_reason) != VM_STOP_NONE;
}

void vm_pause_init(struct vm *vm)
{
	pthread_condattr_t attr;

	pthread_mutex_init(&vm->pause_lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&vm->pause_cond, &attr);
	pthread_condattr_destroy(&attr);
	atomic_init(&vm->pause_wanted, false);
	vm->nr_parked = 0;
}

void vm_pause_fini(struct vm *vm)
{
	pthread_cond_destroy(&vm->pause_cond);
	pthread_mutex_destroy(&vm->pause_lock);
}

void vm_pause_point(struct vm *vm)
{
	if (!atomic_load(&vm->pause_wanted))
		return;
	pthread_mutex_lock(&vm->pause_lock);
	vm->nr_parked++;
	pthread_cond_broadcast(&vm->pause_cond);
	while (atomic_load(&vm->pause_wanted) && !vm_is_stopping(vm))
		pthread_cond_wait(&vm->pause_cond, &vm->pause_lock);
	vm->nr_parked--;
	pthread_mutex_unlock(&vm->pause_lock);
}

void vm_pause(struct vm *vm)
{
	unsigned int started = 0;

	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		started += vm->vcpus[i].started;
	atomic_store(&vm->pause_wanted, true);
	pthread_mutex_lock(&vm->pause_lock);
	while (vm->nr_parked < started && !vm_is_stopping(vm)) {
		struct timespec t;

		/* A kick can be swallowed (see vcpu_join()): kick again
		 * until every vCPU has parked. The pause flag is set before
		 * each kick, so a vCPU between its check and KVM_RUN gets
		 * EINTR from the next KVM_RUN (immediate_exit). */
		pthread_mutex_unlock(&vm->pause_lock);
		for (unsigned int i = 0; i < vm->nr_vcpus; i++)
			vcpu_kick(&vm->vcpus[i]);
		pthread_mutex_lock(&vm->pause_lock);
		clock_gettime(CLOCK_MONOTONIC, &t);
		t.tv_nsec += 20 * 1000 * 1000;
		if (t.tv_nsec >= 1000000000L) {
			t.tv_sec++;
			t.tv_nsec -= 1000000000L;
		}
		if (vm->nr_parked < started && !vm_is_stopping(vm))
			pthread_cond_timedwait(&vm->pause_cond, &vm->pause_lock,
					       &t);
	}
	pthread_mutex_unlock(&vm->pause_lock);
}

void vm_resume(struct vm *vm)
{
	pthread_mutex_lock(&vm->pause_lock);
	atomic_store(&vm->pause_wanted, false);
	pthread_cond_broadcast(&vm->pause_cond);
	pthread_mutex_unlock(&vm->pause_lock);
}

int vm_add_poll_source(struct vm *vm, int fd, void (*fn)(void *ctx),
		       void *ctx)
{
	for (unsigned int i = 0; i < VM_MAX_POLL_SOURCES; i++) {
		if (!vm->extra[i].fn) {
			vm->extra[i] = (struct vm_poll_source){ fd, fn, ctx };
			return 0;
		}
	}
	return -ENOSPC;
}

static void vm_handle_signal(struct vm *vm, int sig_fd)
{
	struct signalfd_siginfo si;

	if (read(sig_fd, &si, sizeof(si)) != sizeof(si))
		return;
	log_info("%s: stopping the VM", strsignal((int)si.ssi_signo));
	vm_request_stop(vm, VM_STOP_SIGNAL);
}

/* Moves what the user typed into the UART's bounded receive buffer. */
static void vm_handle_stdin(struct vm *vm, bool *stdin_open)
{
	uint8_t buf[SERIAL_RX_SIZE];
	size_t room = serial_rx_room(vm->serial);
	ssize_t n;

	if (!room)
		return;
	n = read(STDIN_FILENO, buf, room < sizeof(buf) ? room : sizeof(buf));
	if (n <= 0) {
		if (n == 0 || (errno != EINTR && errno != EAGAIN))
			*stdin_open = false;
		return;
	}
	serial_input(vm->serial, buf, (size_t)n);
}

static int vm_exit_status(const struct vm *vm)
{
	switch (atomic_load(&vm->stop_reason)) {
	case VM_STOP_RESET:
	case VM_STOP_SHUTDOWN:
	case VM_STOP_SIGNAL:
		return 0;
	default:
		return 1;
	}
}

int vm_run(struct vm *vm, int sig_fd)
{
	bool stdin_open = term_raw_enter(STDIN_FILENO);
	int err = 0;

	for (unsigned int i = 0; i < vm->nr_vcpus && !err; i++) {
		err = vcpu_start(&vm->vcpus[i]);
		if (err) {
			log_error("cannot start vCPU %u: %s", i, strerror(-err));
			vm_request_stop(vm, VM_STOP_ERROR);
		}
	}
	/* Jailed once the last thread is made: a thread inherits the
	 * filter of the thread that creates it. */
	if (!err && (err = jail_thread_enter(JAIL_VMM))) {
		log_error("cannot enter the vmm jail: %s", strerror(-err));
		vm_request_stop(vm, VM_STOP_ERROR);
	}
	while (!vm_is_stopping(vm)) {
		struct pollfd fds[3 + VM_MAX_POLL_SOURCES] = {
			{ .fd = vm->stop_fd, .events = POLLIN },
			{ .fd = sig_fd, .events = POLLIN },
			{ .fd = stdin_open ? STDIN_FILENO : -1, .events = POLLIN },
		};
		/* A full receive buffer: look again shortly rather than spin. */
		int timeout = stdin_open && !serial_rx_room(vm->serial) ? 10 : -1;

		if (timeout > 0)
			fds[2].fd = -1;
		for (unsigned int i = 0; i < VM_MAX_POLL_SOURCES; i++) {
			fds[3 + i].fd = vm->extra[i].fn ? vm->extra[i].fd : -1;
			fds[3 + i].events = POLLIN;
		}
		if (poll(fds, 3 + VM_MAX_POLL_SOURCES, timeout) < 0) {
			if (errno == EINTR)
				continue;
			log_error("poll: %s", strerror(errno));
			vm_request_stop(vm, VM_STOP_ERROR);
			break;
		}
		if (fds[1].revents & POLLIN)
			vm_handle_signal(vm, sig_fd);
		if (fds[2].revents & (POLLIN | POLLHUP | POLLERR))
			vm_handle_stdin(vm, &stdin_open);
		for (unsigned int i = 0; i < VM_MAX_POLL_SOURCES; i++)
			if (fds[3 + i].revents & POLLIN)
				vm->extra[i].fn(vm->extra[i].ctx);
	}
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		vcpu_kick(&vm->vcpus[i]);
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		if (vcpu_join(&vm->vcpus[i]))
			atomic_store(&vm->stop_reason, VM_STOP_ERROR);
	}
	term_restore();
	return vm_exit_status(vm);
}
