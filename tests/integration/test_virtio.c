// SPDX-License-Identifier: Apache-2.0
/* tests/integration/test_virtio.c: a polling guest driver against --rng. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest_output.h"
#include "blk_image.h"
#include "run.h"
#include "support/tmpfile.h"

#define VIRTIO_RNG	GUEST_DIR "/virtio_rng"
#define VIRTIO_BLK	GUEST_DIR "/virtio_blk"
#define VIRTIO_NET	GUEST_DIR "/virtio_net"
#define TAP		"ignis-t0"
#define IMG_SIZE	BLK_IMAGE_SIZE

TestSuite(virtio, .init = run_need_kvm, .timeout = 60);


static void expect_no(const struct run_result *r, const char *text)
{
	cr_expect_null(strstr(r->out, text),
		       "\"%s\" in the guest's output:\n%s\nstderr:\n%s", text,
		       r->out, r->err);
}

/* The device found, initialized, read twice, left at status 0x0f. */
static void expect_rng_works(const struct run_result *r)
{
	run_expect_line(r, "virtio_rng: found device");
	run_expect_line(r, "virtio_rng: got 64 bytes");
	run_expect_line(r, "virtio_rng: random ok");
	run_expect_line(r, "virtio_rng: two reads differ");
	run_expect_line(r, "virtio_rng: status 0x0f");
	expect_no(r, "virtio_rng: timeout");
	expect_no(r, "virtio_rng: all zero");
	expect_no(r, "virtio_rng: no device");
}

Test(virtio, rng_reads_random_bytes)
{
	const char *const args[] = { "--kernel", VIRTIO_RNG, "--memory", "64M",
				     "--rng", NULL };
	struct run_result r;

	run_boot(&r, args);
	expect_rng_works(&r);
	run_result_free(&r);
}

Test(virtio, rng_with_two_cpus)
{
	const char *const args[] = { "--kernel", VIRTIO_RNG, "--memory", "64M",
				     "--rng", "--cpus", "2", NULL };
	struct run_result r;

	run_boot(&r, args);
	expect_rng_works(&r);
	run_result_free(&r);
}

static void read_image(const char *path, uint8_t *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	cr_assert_geq(fd, 0);
	cr_assert_eq(pread(fd, out, IMG_SIZE, 0), (ssize_t)IMG_SIZE);
	close(fd);
}

/* What the guest wrote at sectors 8-15. */
static uint8_t written_byte(unsigned int i)
{
	return (uint8_t)((i * 13 + 5) ^ 0xa5);
}

Test(virtio, blk_reads_the_image_and_writes_through)
{
	static uint8_t orig[IMG_SIZE], after[IMG_SIZE];
	char *img = blk_image_make(orig), disk[256], line[64];
	const char *const args[] = { "--kernel", VIRTIO_BLK, "--memory", "64M",
				     "--disk", disk, NULL };
	struct run_result r;

	snprintf(disk, sizeof(disk), "path=%s,id=ignis-test-disk", img);
	run_boot(&r, args);
	run_expect_line(&r, "virtio_blk: capacity 2048");
	run_expect_line(&r, "virtio_blk: id ignis-test-disk");
	blk_image_fnv_line(orig, IMG_SIZE, line, sizeof(line));
	run_expect_line(&r, line);	/* every byte of the image, in order */
	run_expect_line(&r, "virtio_blk: write ok");
	run_expect_line(&r, "virtio_blk: readback ok");
	run_expect_line(&r, "virtio_blk: flush ok");
	run_expect_line(&r, "virtio_blk: bad sector refused");
	run_expect_line(&r, "virtio_blk: status 0x0f");
	/* On the host: sectors 8-15 hold what the guest wrote, the rest is
	 * as it was. */
	read_image(img, after);
	for (unsigned int i = 0; i < 4096; i++)
		orig[8 * 512 + i] = written_byte(i);
	cr_assert_arr_eq(after, orig, IMG_SIZE);
	run_result_free(&r);
	unlink(img);
	free(img);
}

/*
 * Behind --iommu a device offers VIRTIO_F_ACCESS_PLATFORM (bit 33) and
 * refuses a driver that does not accept it (it would hand us addresses
 * past the iommu); a disk with iommu=off is not behind it and serves
 * such a driver as before.
 */
Test(virtio, iommu_endpoints_require_access_platform)
{
	const char *const rng_args[] = { "--kernel", VIRTIO_RNG, "--memory",
					 "64M", "--rng", "--iommu", NULL };
	static uint8_t orig[IMG_SIZE];
	char *img = blk_image_make(orig), disk[256], line[64];
	const char *const blk_args[] = { "--kernel", VIRTIO_BLK, "--memory",
					 "64M", "--disk", disk, "--rng",
					 "--iommu", NULL };
	struct run_result r;

	run_boot(&r, rng_args);
	run_expect_line(&r, "virtio_rng: features 0000000330000000");
	run_expect_line(&r, "virtio_rng: features not accepted");
	expect_no(&r, "virtio_rng: got 64 bytes");
	run_result_free(&r);

	snprintf(disk, sizeof(disk), "path=%s,iommu=off", img);
	run_boot(&r, blk_args);
	blk_image_fnv_line(orig, IMG_SIZE, line, sizeof(line));
	run_expect_line(&r, line);
	run_expect_line(&r, "virtio_blk: status 0x0f");
	run_result_free(&r);
	unlink(img);
	free(img);
}

Test(virtio, blk_read_only_refuses_writes)
{
	static uint8_t orig[IMG_SIZE], after[IMG_SIZE];
	char *img = blk_image_make(orig), disk[256], line[64];
	const char *const args[] = { "--kernel", VIRTIO_BLK, "--memory", "64M",
				     "--disk", disk, NULL };
	struct run_result r;

	snprintf(disk, sizeof(disk), "path=%s,readonly=on", img);
	run_boot(&r, args);
	run_expect_line(&r, "virtio_blk: read-only");
	blk_image_fnv_line(orig, IMG_SIZE, line, sizeof(line));
	run_expect_line(&r, line);
	run_expect_line(&r, "virtio_blk: write refused");
	read_image(img, after);
	cr_assert_arr_eq(after, orig, IMG_SIZE, "image unchanged");
	run_result_free(&r);
	unlink(img);
	free(img);
}

/* Whether a thread of (pid) is named (name). */
static bool has_thread(pid_t pid, const char *name)
{
	char dir[64], path[340], comm[32];
	struct dirent *e;
	bool found = false;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
	d = opendir(dir);
	cr_assert_not_null(d);
	while (!found && (e = readdir(d))) {
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/comm", dir, e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f)) {
			comm[strcspn(comm, "\n")] = '\0';
			found = !strcmp(comm, name);
		}
		fclose(f);
	}
	closedir(d);
	return found;
}

/* Done-when of issue 4: each device thread is named after its device. */
Test(virtio, device_threads_are_named)
{
	static uint8_t orig[IMG_SIZE];
	char *img = blk_image_make(orig), disk[256];
	const char *const args[] = { "--kernel", VIRTIO_BLK, "--memory", "64M",
				     "--disk", disk, "--cmdline", "hold",
				     NULL };
	struct run_proc p;
	struct run_result r;

	snprintf(disk, sizeof(disk), "path=%s", img);
	cr_assert_eq(run_start(&p, args), 0);
	cr_assert(run_wait_stdout(&p, "virtio_blk: holding", RUN_TIMEOUT_MS));
	cr_expect(has_thread(p.pid, "virtio-blk0"));
	cr_expect(has_thread(p.pid, "fc_vcpu 0"));
	kill(p.pid, SIGTERM);
	run_finish(&p, RUN_TIMEOUT_MS, &r);
	run_expect_exit0(&r);
	run_result_free(&r);
	unlink(img);
	free(img);
}

/* Without --rng nothing answers at 0xd0000000: the guest must notice. */
Test(virtio, no_rng_no_device)
{
	const char *const args[] = { "--kernel", VIRTIO_RNG, "--memory", "64M",
				     NULL };
	struct run_result r;

	run_boot(&r, args);
	run_expect_line(&r, "virtio_rng: no device");
	expect_no(&r, "virtio_rng: found device");
	run_result_free(&r);
}

/*
 * In a network namespace of this test's own (Criterion runs each test in a
 * child process): a persistent tap (so ignis can attach to it) with
 * 10.0.0.1/24, up. Skips when namespaces or /dev/net/tun are missing.
 */
static void make_tap(void)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	int fd, sock;

	if (unshare(CLONE_NEWNET))
		cr_skip_test("no network namespace: %s", strerror(errno));
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		cr_skip_test("no /dev/net/tun: %s", strerror(errno));
	strcpy(ifr.ifr_name, TAP);
	cr_assert_eq(ioctl(fd, TUNSETIFF, &ifr), 0, "TUNSETIFF: %s",
		     strerror(errno));
	cr_assert_eq(ioctl(fd, TUNSETPERSIST, 1), 0);
	close(fd);
	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(sock, 0);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, TAP);
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, "10.0.0.1", &sin->sin_addr);
	cr_assert_eq(ioctl(sock, SIOCSIFADDR, &ifr), 0);
	inet_pton(AF_INET, "255.255.255.0", &sin->sin_addr);
	cr_assert_eq(ioctl(sock, SIOCSIFNETMASK, &ifr), 0);
	cr_assert_eq(ioctl(sock, SIOCGIFFLAGS, &ifr), 0);
	ifr.ifr_flags |= IFF_UP;
	cr_assert_eq(ioctl(sock, SIOCSIFFLAGS, &ifr), 0);
	close(sock);
}

/* The guest ARPs for the tap's address and pings it: the host's stack
 * answers through the device, both ways. */
Test(virtio, net_arp_and_ping_through_the_tap)
{
	const char *const args[] = { "--kernel", VIRTIO_NET, "--memory", "64M",
				     "--net", "tap=" TAP ",mac=06:00:0a:00:00:02",
				     NULL };
	struct run_result r;

	make_tap();
	run_boot(&r, args);
	run_expect_line(&r, "virtio_net: found device");
	run_expect_line(&r, "virtio_net: mac low byte 0x02");
	run_expect_line(&r, "virtio_net: link 0x01");
	run_expect_line(&r, "virtio_net: arp reply from 10.0.0.1");
	run_expect_line(&r, "virtio_net: echo replies 3");
	run_expect_line(&r, "virtio_net: status 0x0f");
	run_result_free(&r);
}

/* A tap that is not there and cannot be made is an error at start. */
Test(virtio, net_tap_in_use_is_refused)
{
	const char *const args[] = { "--kernel", VIRTIO_NET, "--memory", "64M",
				     "--net", "tap=" TAP, NULL };
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
	struct run_result r;
	int fd;

	make_tap();
	/* Attached elsewhere (single-queue tap): ignis must not take it. */
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	strcpy(ifr.ifr_name, TAP);
	cr_assert_eq(ioctl(fd, TUNSETIFF, &ifr), 0);
	cr_assert_eq(run_ignis(args, &r), 0);
	cr_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 1,
		  "stderr: %s", r.err);
	/* One line, from the device, saying which tap and why. */
	cr_assert_eq(run_count_lines(r.err), 1, "%s", r.err);
	cr_assert_not_null(strstr(r.err, "ignis: net " TAP ": cannot attach: "),
			   "%s", r.err);
	run_result_free(&r);
	close(fd);
}
