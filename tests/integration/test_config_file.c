// SPDX-License-Identifier: Apache-2.0
/* tests/integration/test_config_file.c: guests booted from Firecracker-format config files. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blk_image.h"
#include "run.h"
#include "support/tmpfile.h"

#define BOOTINFO GUEST_DIR "/bootinfo"
#define VIRTIO_RNG GUEST_DIR "/virtio_rng"
#define VIRTIO_BLK GUEST_DIR "/virtio_blk"
#define IMG_SIZE	BLK_IMAGE_SIZE

TestSuite(config_file, .init = run_need_kvm, .timeout = 60);

/* A config file from (fmt) (printf-style); returns its path (malloc'd). */
static char *write_config(const char *fmt, ...)
{
	char text[4096];
	va_list ap;
	char *path;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	cr_assert(n > 0 && (size_t)n < sizeof(text));
	path = tmpfile_with(text, (size_t)n);
	cr_assert_not_null(path);
	return path;
}

/* Boots ignis --config-file (path) into (r), which must exit 0; then
 * removes the file. */
static void boot_file(char *path, struct run_result *r)
{
	const char *const args[] = { "--config-file", path, NULL };

	run_boot(r, args);
	unlink(path);
	free(path);
}

static void expect_no(const struct run_result *r, const char *text)
{
	cr_expect_null(strstr(r->out, text),
		       "\"%s\" in the guest's output:\n%s\nstderr:\n%s", text,
		       r->out, r->err);
}

/* The VM of tests/framework/vm_config.json, with the test guest for a
 * kernel and a scratch image for a root drive: the guest reads every
 * byte of it and writes sectors 8-15 through. */
Test(config_file, drive_from_the_file)
{
	static uint8_t orig[IMG_SIZE], after[IMG_SIZE];
	char *img = blk_image_make(orig), line[64];
	struct run_result r;
	int fd;

	boot_file(
		write_config(
			"{\n"
			"  \"boot-source\": {\"kernel_image_path\": \"%s\",\n"
			"    \"boot_args\": \"console=ttyS0 reboot=k panic=1\",\n"
			"    \"initrd_path\": null},\n"
			"  \"drives\": [{\"drive_id\": \"rootfs\", \"partuuid\": null,\n"
			"    \"is_root_device\": true, \"cache_type\": \"Unsafe\",\n"
			"    \"is_read_only\": false, \"path_on_host\": \"%s\",\n"
			"    \"io_engine\": \"Sync\", \"rate_limiter\": null,\n"
			"    \"socket\": null}],\n"
			"  \"machine-config\": {\"vcpu_count\": 1, \"mem_size_mib\": 64,\n"
			"    \"smt\": false, \"track_dirty_pages\": false,\n"
			"    \"huge_pages\": \"None\"},\n"
			"  \"cpu-config\": null, \"balloon\": null,\n"
			"  \"network-interfaces\": [], \"vsock\": null, \"logger\": null,\n"
			"  \"metrics\": null, \"mmds-config\": null, \"entropy\": null,\n"
			"  \"pmem\": [], \"memory-hotplug\": null\n"
			"}\n",
			VIRTIO_BLK, img),
		&r);
	run_expect_line(&r, "virtio_blk: capacity 2048");
	blk_image_fnv_line(orig, IMG_SIZE, line, sizeof(line));
	run_expect_line(&r, line);
	run_expect_line(&r, "virtio_blk: write ok");
	run_expect_line(&r, "virtio_blk: readback ok");
	run_expect_line(&r, "virtio_blk: status 0x0f");
	fd = open(img, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	cr_assert_eq(pread(fd, after, IMG_SIZE, 0), (ssize_t)IMG_SIZE);
	close(fd);
	cr_expect(memcmp(after, orig, 8 * 512) == 0, "sectors 0-7 unchanged");
	cr_expect(memcmp(after + 8 * 512, orig + 8 * 512, 4096) != 0,
		  "sectors 8-15 written");
	run_result_free(&r);
	unlink(img);
	free(img);
}

Test(config_file, read_only_drive)
{
	static uint8_t orig[IMG_SIZE];
	char *img = blk_image_make(orig);
	struct run_result r;

	boot_file(
		write_config(
			"{\"boot-source\": {\"kernel_image_path\": \"%s\"},\n"
			" \"drives\": [{\"drive_id\": \"data\", \"path_on_host\": \"%s\","
			" \"is_root_device\": false, \"is_read_only\": true}],\n"
			" \"machine-config\": {\"vcpu_count\": 1, \"mem_size_mib\": 64}}\n",
			VIRTIO_BLK, img),
		&r);
	run_expect_line(&r, "virtio_blk: read-only");
	run_expect_line(&r, "virtio_blk: write refused");
	run_result_free(&r);
	unlink(img);
	free(img);
}

/* "entropy" is the virtio-rng device; docs/entropy.md's config-file form
 * (without its rate limiter, which ignis refuses). */
Test(config_file, entropy_device)
{
	struct run_result r;

	boot_file(
		write_config(
			"{\"boot-source\": {\"kernel_image_path\": \"%s\","
			" \"boot_args\": \"console=ttyS0\"},\n"
			" \"drives\": [],\n"
			" \"machine-config\": {\"vcpu_count\": 2, \"mem_size_mib\": 64},\n"
			" \"entropy\": {\"rate_limiter\": null}}\n",
			VIRTIO_RNG),
		&r);
	run_expect_line(&r, "virtio_rng: found device");
	run_expect_line(&r, "virtio_rng: random ok");
	run_expect_line(&r, "virtio_rng: two reads differ");
	run_expect_line(&r, "virtio_rng: status 0x0f");
	expect_no(&r, "virtio_rng: no device");
	run_result_free(&r);
}

/* ignis's extension: "iommu" puts the rng behind a virtio-iommu, so it
 * offers and requires VIRTIO_F_ACCESS_PLATFORM, which this guest's
 * driver does not accept (as test_virtio's --iommu case). */
Test(config_file, iommu_extension)
{
	struct run_result r;

	boot_file(
		write_config(
			"{\"boot-source\": {\"kernel_image_path\": \"%s\"},\n"
			" \"drives\": [], \"entropy\": {},\n"
			" \"machine-config\": {\"vcpu_count\": 1, \"mem_size_mib\": 64},\n"
			" \"iommu\": {\"enabled\": true, \"poll_us\": 0}}\n",
			VIRTIO_RNG),
		&r);
	run_expect_line(&r, "virtio_rng: features 0000000330000000");
	run_expect_line(&r, "virtio_rng: features not accepted");
	run_result_free(&r);
	/* "iommu": false on the device keeps it out from behind it; with
	 * nothing behind it the iommu has no reason to be. */
	boot_file(
		write_config(
			"{\"boot-source\": {\"kernel_image_path\": \"%s\"},\n"
			" \"drives\": [], \"entropy\": {\"iommu\": false},\n"
			" \"machine-config\": {\"vcpu_count\": 1, \"mem_size_mib\": 64},\n"
			" \"iommu\": {\"enabled\": false}}\n",
			VIRTIO_RNG),
		&r);
	run_expect_line(&r, "virtio_rng: random ok");
	run_result_free(&r);
}

/* The command line the guest gets: boot_args, then Firecracker's root=
 * for the root drive, then the device announcements; without boot_args,
 * Firecracker's default. And mem_size_mib is the guest's RAM. */
Test(config_file, command_line_and_memory)
{
	static uint8_t orig[IMG_SIZE];
	char *img = blk_image_make(orig);
	struct run_result r;

	boot_file(
		write_config(
			"{\"boot-source\": {\"kernel_image_path\": \"%s\","
			" \"boot_args\": \"quiet\"},\n"
			" \"drives\": [{\"drive_id\": \"data\", \"path_on_host\": \"%s\","
			" \"is_root_device\": false, \"is_read_only\": true},\n"
			"   {\"drive_id\": \"rootfs\", \"path_on_host\": \"%s\","
			" \"is_root_device\": true, \"is_read_only\": true}],\n"
			" \"machine-config\": {\"vcpu_count\": 1, \"mem_size_mib\": 64}}\n",
			BOOTINFO, img, img),
		&r);
	run_expect_line(&r, "cmdline quiet root=/dev/vda ro "
			    "virtio_mmio.device=4K@0xd0000000:16 "
			    "virtio_mmio.device=4K@0xd0001000:17");
	run_expect_line(&r, "mem 0000000000100000 0000000003f00000 1");
	run_result_free(&r);

	boot_file(
		write_config(
			"{\"boot-source\": {\"kernel_image_path\": \"%s\"},\n"
			" \"drives\": [{\"drive_id\": \"rootfs\", \"path_on_host\": \"%s\","
			" \"is_root_device\": true, \"is_read_only\": true,"
			" \"partuuid\": \"0eaa91a0-01\"}],\n"
			" \"machine-config\": {\"vcpu_count\": 1, \"mem_size_mib\": 32}}\n",
			BOOTINFO, img),
		&r);
	run_expect_line(&r,
			"cmdline reboot=k panic=1 nomodule 8250.nr_uarts=0 "
			"i8042.noaux i8042.nomux i8042.dumbkbd swiotlb=noforce "
			"root=PARTUUID=0eaa91a0-01 ro "
			"virtio_mmio.device=4K@0xd0000000:16");
	run_expect_line(&r, "mem 0000000000100000 0000000001f00000 1");
	run_result_free(&r);
	unlink(img);
	free(img);
}
