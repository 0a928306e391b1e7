// SPDX-License-Identifier: Apache-2.0
/* tests/vmm/test_size.c: sizes and numbers as users write them. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>

#include "vmm/size.h"

static uint64_t parsed(const char *s)
{
	uint64_t v = 0;

	cr_assert_eq(size_parse(s, &v), 0, "size_parse(\"%s\") failed", s);
	return v;
}

Test(size, suffixes)
{
	cr_assert_eq(parsed("4096"), 4096);
	cr_assert_eq(parsed("64M"), 64ULL << 20);
	cr_assert_eq(parsed("64m"), 64ULL << 20);
	cr_assert_eq(parsed("1G"), 1ULL << 30);
	cr_assert_eq(parsed("512K"), 512ULL << 10);
	cr_assert_eq(parsed("2T"), 2ULL << 40);
	cr_assert_eq(parsed("1GiB"), 1ULL << 30);
	cr_assert_eq(parsed("1MB"), 1ULL << 20);
	cr_assert_eq(parsed("0"), 0);
}

Test(size, rejects_garbage)
{
	static const char *const bad[] = {
		"", "M", "12Q", "-5M", "+5M", " 5M", "5M ", "5 M", "0x10",
		"1.5G", "5MM", "5MiBs", "G1",
	};
	uint64_t v;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(size_parse(bad[i], &v), -EINVAL, "accepted \"%s\"",
			     bad[i]);
	cr_assert_eq(size_parse(NULL, &v), -EINVAL);
}

Test(size, rejects_overflow)
{
	uint64_t v;

	cr_assert_eq(size_parse("99999999999999999999", &v), -ERANGE);
	cr_assert_eq(size_parse("18446744073709551615", &v), 0);
	cr_assert_eq(v, UINT64_MAX);
	cr_assert_eq(size_parse("18446744073709551616", &v), -ERANGE);
	cr_assert_eq(size_parse("16777216T", &v), -ERANGE);
	cr_assert_eq(size_parse("16777215T", &v), 0);
}

Test(uint, range_and_syntax)
{
	uint64_t v;

	cr_assert_eq(uint_parse("4", 1, 8, &v), 0);
	cr_assert_eq(v, 4);
	cr_assert_eq(uint_parse("0", 1, 8, &v), -ERANGE);
	cr_assert_eq(uint_parse("9", 1, 8, &v), -ERANGE);
	cr_assert_eq(uint_parse("abc", 1, 8, &v), -EINVAL);
	cr_assert_eq(uint_parse("4x", 1, 8, &v), -EINVAL);
	cr_assert_eq(uint_parse("-1", 1, 8, &v), -EINVAL);
	cr_assert_eq(uint_parse("", 1, 8, &v), -EINVAL);
}
