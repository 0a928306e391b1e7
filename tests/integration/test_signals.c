// SPDX-License-Identifier: Apache-2.0
/* tests/integration/test_signals.c: SIGTERM/SIGINT stop a guest cleanly. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run.h"

#define SPIN		GUEST_DIR "/spin"
#define SPIN_LINE	"spin: spinning\n"

TestSuite(signals, .init = run_need_kvm, .timeout = 60);

/* Boots the spinning guest on (cpus) vCPUs, waits for its line, sends
 * (sig), and expects a clean exit 0 (a hang is killed after 5 s). */
static void stop_with(int sig, const char *cpus)
{
	const char *const args[] = { "--kernel", SPIN, "--cpus", cpus, NULL };
	struct run_result r;
	struct run_proc p;
	bool seen;

	cr_assert_eq(run_start(&p, args), 0, "cannot start " IGNIS_BIN);
	seen = run_wait_stdout(&p, SPIN_LINE, RUN_TIMEOUT_MS);
	if (!seen) {
		run_finish(&p, 0, &r);
		cr_assert_fail("the guest never printed its line\n"
			       "stdout:\n%s\nstderr:\n%s", r.out, r.err);
	}
	run_reset_clock(&p);
	cr_assert_eq(kill(p.pid, sig), 0);
	run_finish(&p, 5000, &r);
	cr_assert(!r.timed_out, "ignis still running 5 s after %s\nstderr:\n%s",
		  strsignal(sig), r.err);
	cr_assert(WIFEXITED(r.status), "ignis killed by signal %d\nstderr:\n%s",
		  WTERMSIG(r.status), r.err);
	cr_expect_eq(WEXITSTATUS(r.status), 0, "ignis exited %d\nstderr:\n%s",
		     WEXITSTATUS(r.status), r.err);
	cr_expect_str_eq(r.out, SPIN_LINE, "stdout:\n%s", r.out);
	run_result_free(&r);
}

Test(signals, sigterm_stops_guest)
{
	stop_with(SIGTERM, "1");
}

Test(signals, sigint_stops_guest)
{
	stop_with(SIGINT, "1");
}

/* The other vCPUs sit in KVM_RUN waiting for a SIPI: they must be kicked. */
Test(signals, sigterm_stops_all_vcpus)
{
	stop_with(SIGTERM, "4");
}

/*
 * The console's reader stalls: stdout is a full pipe nobody reads, so the
 * vCPU threads block writing the guest's bytes. SIGTERM must still stop
 * the VM: the kick interrupts the write. Two vCPUs: the second sits in
 * the kernel waiting for a SIPI and must be kicked out of KVM_RUN too.
 */
Test(signals, sigterm_stops_guest_with_stalled_console)
{
	int out[2], status = 0;
	pid_t pid, done = 0;

	cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
	/* One page of pipe: full after 4 KiB, well within the wait below
	 * even at this host's ~25 us per console byte. */
	cr_assert_geq(fcntl(out[1], F_SETPIPE_SZ, 4096), 4096);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		sigset_t none;
		int null_fd = open("/dev/null", O_RDWR);

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		dup2(null_fd, STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		dup2(null_fd, STDERR_FILENO);
		execl(IGNIS_BIN, IGNIS_BIN, "--kernel", GUEST_DIR "/flood",
		      "--memory", "64M", "--cpus", "2", (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	/* Let the pipe fill and both vCPUs block. */
	usleep(500 * 1000);
	cr_assert_eq(kill(pid, SIGTERM), 0);
	for (int i = 0; i < 100 && !done; i++) {
		done = waitpid(pid, &status, WNOHANG);
		if (!done)
			usleep(50 * 1000);
	}
	if (!done) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		cr_assert_fail("ignis did not stop within 5 s of SIGTERM "
			       "while its console reader stalled");
	}
	close(out[0]);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "status 0x%x", status);
}
