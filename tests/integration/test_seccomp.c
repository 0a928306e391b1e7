// SPDX-License-Identifier: Apache-2.0
/* tests/integration/test_seccomp.c: every thread of a running ignis is in its seccomp jail. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blk_image.h"
#include "run.h"

#define SPIN GUEST_DIR "/spin"

TestSuite(seccomp, .init = run_need_kvm, .timeout = 60);

/* One thread of the process: its name and its Seccomp mode. */
struct task {
	char name[32];
	int seccomp;
};

/* Reads every thread of (pid) into (t) (at most (max)); returns how many. */
static unsigned int read_tasks(pid_t pid, struct task *t, unsigned int max)
{
	char path[320], line[256];
	unsigned int n = 0;
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	cr_assert_not_null(d);
	while ((e = readdir(d)) && n < max) {
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/status", pid,
			 e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue; /* gone meanwhile */
		t[n].seccomp = -1;
		t[n].name[0] = '\0';
		while (fgets(line, sizeof(line), f)) {
			if (!strncmp(line, "Name:\t", 6)) {
				line[strcspn(line, "\n")] = '\0';
				snprintf(t[n].name, sizeof(t[n].name), "%.31s",
					 line + 6);
			}
			if (!strncmp(line, "Seccomp:\t", 9))
				t[n].seccomp = atoi(line + 9);
		}
		fclose(f);
		n++;
	}
	closedir(d);
	return n;
}

static bool has_task(const struct task *t, unsigned int n, const char *name)
{
	for (unsigned int i = 0; i < n; i++)
		if (!strncmp(t[i].name, name, strlen(name)))
			return true;
	return false;
}

/* Whether every thread of (names) is there and every thread shows
 * (want). */
static bool all_settled(const struct task *t, unsigned int n,
			const char *const *names, unsigned int nr_names,
			int want)
{
	for (unsigned int i = 0; i < nr_names; i++)
		if (!has_task(t, n, names[i]))
			return false;
	for (unsigned int i = 0; i < n; i++)
		if (t[i].seccomp != want)
			return false;
	return true;
}

/*
 * A VM with a thread of every class (vmm, api, two vCPUs, blk, net, rng,
 * vsock, iommu) while the guest runs: each shows a filter (Seccomp: 2);
 * with --seccomp=off none does. SIGTERM still stops it cleanly.
 */
static void every_thread(const char *mode, int want)
{
	static uint8_t orig[BLK_IMAGE_SIZE];
	char *img = blk_image_make(orig), disk[256], dir[] = "/tmp/ignis-sc-XXXXXX";
	char sock[64], vsock[96];
	const char *const args[] = {
		"--kernel", SPIN, "--cpus", "2", "--memory", "64M", "--disk",
		disk, "--net", "tap=ignis-sc0", "--rng", "--vsock", vsock,
		"--iommu", "--api-sock", sock, "--seccomp", mode, NULL,
	};
	static const char *const names[] = {
		"ignis", "fc_api", "fc_vcpu 0", "fc_vcpu 1", "virtio-blk0",
		"vnet-ignis-sc0", "virtio-rng", "virtio-vsock", "virtio-iommu",
	};
	struct task t[64];
	struct run_result r;
	struct run_proc p;
	unsigned int n;

	if (unshare(CLONE_NEWNET))
		cr_skip_test("no network namespace for the tap: %s",
			     strerror(errno));
	cr_assert_not_null(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/api.sock", dir);
	snprintf(vsock, sizeof(vsock), "cid=3,uds=%s/v.sock", dir);
	snprintf(disk, sizeof(disk), "path=%s", img);
	cr_assert_eq(run_start(&p, args), 0);
	cr_assert(run_wait_stdout(&p, "spin: spinning", RUN_TIMEOUT_MS),
		  "stderr: %s", p.res.err);
	/* The guest runs on vCPU 0 before vCPU 1 is started and the VMM
	 * thread jailed (the last step of the start): look until all are
	 * there, for 5 s at most. */
	for (int tries = 0; tries < 500; tries++) {
		n = read_tasks(p.pid, t, 64);
		if (all_settled(t, n, names, sizeof(names) / sizeof(names[0]),
				want))
			break;
		usleep(10000);
	}
	for (unsigned int i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		cr_expect(has_task(t, n, names[i]), "no thread %s", names[i]);
	for (unsigned int i = 0; i < n; i++)
		cr_expect_eq(t[i].seccomp, want, "thread %s: Seccomp %d",
			     t[i].name, t[i].seccomp);
	kill(p.pid, SIGTERM);
	run_finish(&p, RUN_TIMEOUT_MS, &r);
	run_expect_exit0(&r);
	run_result_free(&r);
	unlink(img);
	free(img);
	rmdir(dir);
}

Test(seccomp, every_thread_has_its_filter)
{
	every_thread("on", 2);
}

Test(seccomp, off_means_no_filter)
{
	every_thread("off", 0);
}
