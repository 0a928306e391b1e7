// SPDX-License-Identifier: Apache-2.0
/* tests/devices/vfio/test_vfio_host.c: vfio_sys_host on the host's own VFIO. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <linux/vfio.h>
#include <string.h>
#include <unistd.h>

#include "devices/vfio/vfio_container.h"
#include "devices/vfio/vfio_sys.h"

/*
 * The real path, wherever the kernel has VFIO (the nested system tests'
 * L2 has; most development hosts have not). Opening /dev/vfio/vfio needs
 * no device bound to vfio-pci. Where every test here skipped, the binary
 * exits 77, so that ctest reports it skipped rather than passed.
 */
static bool all_skipped;

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
	all_skipped =
		stats->nb_tests && stats->tests_skipped == stats->nb_tests;
}

int main(int argc, char *argv[])
{
	struct criterion_test_set *tests = criterion_initialize();
	int ret = 0;

	if (criterion_handle_args(argc, argv, true))
		ret = !criterion_run_all_tests(tests);
	criterion_finalize(tests);
	return !ret && all_skipped ? 77 : ret;
}

static void need_vfio(void)
{
	if (access("/dev/vfio/vfio", F_OK))
		cr_skip_test("no /dev/vfio/vfio on this host");
	if (access("/dev/vfio/vfio", R_OK | W_OK))
		cr_skip_test("/dev/vfio/vfio: %s", strerror(errno));
}

Test(vfio_host, api_version)
{
	int fd;

	need_vfio();
	fd = vfio_sys_open(&vfio_sys_host, "/dev/vfio/vfio", O_RDWR);
	cr_assert_geq(fd, 0, "open: %s", strerror(-fd));
	cr_expect_eq(
		vfio_sys_ioctl(&vfio_sys_host, fd, VFIO_GET_API_VERSION, 0),
		VFIO_API_VERSION);
	cr_expect_eq(vfio_sys_close(&vfio_sys_host, fd), 0);
}

Test(vfio_host, container_opens)
{
	struct vfio_container *c = NULL;
	char why[256] = "";
	int ret;

	need_vfio();
	ret = vfio_container_create(&vfio_sys_host, NULL, &c, why, sizeof(why));
	/* A kernel without type1v2 (no IOMMU driver) says so cleanly. */
	if (ret == -ENOTSUP)
		cr_skip_test("%s", why);
	cr_assert_eq(ret, 0, "%s", why);
	cr_expect_null(vfio_container_limits(c));
	vfio_container_destroy(c);
}
