// SPDX-License-Identifier: MIT
/*
 * test_lib.c - src/lib: the string parsers with the rules of Linux 6.1's
 * lib/kstrtox.c and sysfs_streq() (lib/string.c), which decide the errno
 * of every sysfs and procfs write; and the growable buffer the file tree
 * and QMP build their text in.
 *
 * The expected values are the kernel's, read from lib/kstrtox.c: the order
 * of its checks (64-bit overflow, then "no digits", then what follows the
 * digits, then the narrower type's range) is what the subtler cases pin.
 */
#include "harness.h"

#include "../src/lib/kstrtox.h"
#include "../src/lib/sbuf.h"

#include <limits.h>
#include <stdint.h>

/* A value a failed parse must leave alone. */
#define UNTOUCHED 77

static void kstrtoul_rejects_trailing_garbage_einval(void)
{
	static const char *const bad[] = {
		"12x", "12 ", "12\n\n", "12\nx", " 12", "", "\n", "+", "0x", "0xg", "1 2",
	};
	unsigned long v;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = UNTOUCHED;
		if (!EXPECT_ERR(kstrtoul(bad[i], 0, &v), -EINVAL))
			test_fail(__FILE__, __LINE__, "input \"%s\"", bad[i]);
		ASSERT_EQ(v, UNTOUCHED);
	}
}

static void kstrtoul_takes_one_trailing_newline_and_a_plus(void)
{
	unsigned long v = 0;

	ASSERT_OK(kstrtoul("12\n", 10, &v));
	ASSERT_EQ(v, 12);
	ASSERT_OK(kstrtoul("+7", 10, &v));
	ASSERT_EQ(v, 7);
	/* Unsigned: a minus sign is not a digit. */
	ASSERT_ERR(kstrtoul("-1", 10, &v), -EINVAL);
	ASSERT_ERR(kstrtoul("+-1", 10, &v), -EINVAL);
}

/* Base 0 decides by the prefix; "0x" counts only before a hex digit. */
static void base_0_reads_hex_and_octal_prefixes(void)
{
	unsigned long long v = 0;

	ASSERT_OK(kstrtoull("0x1f", 0, &v));
	ASSERT_EQ(v, 31);
	ASSERT_OK(kstrtoull("0X1F\n", 0, &v));
	ASSERT_EQ(v, 31);
	ASSERT_OK(kstrtoull("010", 0, &v));
	ASSERT_EQ(v, 8);
	ASSERT_OK(kstrtoull("0", 0, &v));
	ASSERT_EQ(v, 0);
	ASSERT_ERR(kstrtoull("08", 0, &v), -EINVAL);
	/* base 10 takes "010" as ten, base 16 skips a "0x" */
	ASSERT_OK(kstrtoull("010", 10, &v));
	ASSERT_EQ(v, 10);
	ASSERT_OK(kstrtoull("0x10", 16, &v));
	ASSERT_EQ(v, 16);
	ASSERT_OK(kstrtoull("ff", 16, &v));
	ASSERT_EQ(v, 255);
	ASSERT_ERR(kstrtoull("0x10", 10, &v), -EINVAL);
}

static void kstrtouint_overflow_is_erange(void)
{
	unsigned int v = UNTOUCHED;

	ASSERT_ERR(kstrtouint("4294967296", 0, &v), -ERANGE);
	ASSERT_ERR(kstrtouint("0x100000000\n", 0, &v), -ERANGE);
	ASSERT_EQ(v, UNTOUCHED);
	ASSERT_OK(kstrtouint("4294967295", 0, &v));
	ASSERT_EQ(v, UINT_MAX);
}

/* The 32-bit range is checked only once the whole string parsed: a value
 * that fits 64 bits with garbage after it is -EINVAL, not -ERANGE. */
static void kstrtouint_checks_the_string_before_the_32_bit_range(void)
{
	unsigned int v;

	ASSERT_ERR(kstrtouint("4294967296x", 0, &v), -EINVAL);
	ASSERT_ERR(kstrtouint("4294967296 ", 0, &v), -EINVAL);
}

/* A 64-bit overflow is found while reading the digits, before anything
 * after them is looked at: -ERANGE even with garbage behind. */
static void kstrtoull_64_bit_overflow_is_erange_before_trailing_garbage(void)
{
	unsigned long long v = UNTOUCHED;

	ASSERT_ERR(kstrtoull("18446744073709551616", 10, &v), -ERANGE);
	ASSERT_ERR(kstrtoull("99999999999999999999x", 10, &v), -ERANGE);
	ASSERT_ERR(kstrtoull("0x10000000000000000", 0, &v), -ERANGE);
	ASSERT_EQ(v, UNTOUCHED);
	ASSERT_OK(kstrtoull("18446744073709551615", 10, &v));
	ASSERT_EQ(v, ULLONG_MAX);
	ASSERT_OK(kstrtoull("0xffffffffffffffff\n", 0, &v));
	ASSERT_EQ(v, ULLONG_MAX);
}

static void signed_parsers_reach_the_minimum_and_no_further(void)
{
	long long ll = 0;
	long l = 0;
	int i = 0;

	ASSERT_OK(kstrtoll("-9223372036854775808", 10, &ll));
	ASSERT_EQ(ll, LLONG_MIN);
	ASSERT_ERR(kstrtoll("-9223372036854775809", 10, &ll), -ERANGE);
	ASSERT_ERR(kstrtoll("9223372036854775808", 10, &ll), -ERANGE);
	ASSERT_ERR(kstrtoll("-18446744073709551615", 10, &ll), -ERANGE);
	ASSERT_OK(kstrtoll("-0", 10, &ll));
	ASSERT_EQ(ll, 0);
	ASSERT_OK(kstrtol("-0x10\n", 0, &l));
	ASSERT_EQ(l, -16);
	ASSERT_OK(kstrtoint("-2147483648", 0, &i));
	ASSERT_EQ(i, INT_MIN);
	ASSERT_OK(kstrtoint("+2147483647", 0, &i));
	ASSERT_EQ(i, INT_MAX);
	ASSERT_ERR(kstrtoint("-2147483649", 0, &i), -ERANGE);
	ASSERT_ERR(kstrtoint("2147483648", 0, &i), -ERANGE);
	ASSERT_EQ(i, INT_MAX);
}

/* After a '-' comes the number itself: no second sign. */
static void signed_parsers_take_one_sign(void)
{
	long long ll;
	int i;

	ASSERT_ERR(kstrtoll("--1", 10, &ll), -EINVAL);
	ASSERT_ERR(kstrtoll("-+1", 10, &ll), -EINVAL);
	ASSERT_ERR(kstrtoll("+-1", 10, &ll), -EINVAL);
	ASSERT_ERR(kstrtoint("-", 0, &i), -EINVAL);
	ASSERT_ERR(kstrtoint("-1x", 0, &i), -EINVAL);
}

/* 6.1's kstrtobool() looks at one or two characters and ignores the rest;
 * "enable"/"disable", which later kernels take, are -EINVAL in 6.1. */
static void kstrtobool_reads_only_the_first_characters(void)
{
	static const struct {
		const char *s;
		bool v;
	} good[] = {
		{ "1", true },	  { "y", true },      { "Y", true },	{ "yes", true },
		{ "Yolo", true }, { "t", true },      { "True", true }, { "on", true },
		{ "ON\n", true }, { "0", false },     { "n", false },	{ "No", false },
		{ "f", false },	  { "false", false }, { "off", false }, { "oF", false },
		{ "10", true },	  { "0x1", false },
	};
	static const char *const bad[] = { "", "\n", "2", "o", "o\n", "enable", "disable", " y" };
	bool v;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = !good[i].v;
		if (!EXPECT_ERR(kstrtobool(good[i].s, &v), 0) || !EXPECT_EQ(v, good[i].v))
			test_fail(__FILE__, __LINE__, "input \"%s\"", good[i].s);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = true;
		if (!EXPECT_ERR(kstrtobool(bad[i], &v), -EINVAL))
			test_fail(__FILE__, __LINE__, "input \"%s\"", bad[i]);
		ASSERT_TRUE(v);
	}
}

static void sysfs_streq_ignores_one_trailing_newline(void)
{
	ASSERT_TRUE(sysfs_streq("online", "online"));
	ASSERT_TRUE(sysfs_streq("online\n", "online"));
	ASSERT_TRUE(sysfs_streq("online", "online\n"));
	ASSERT_TRUE(sysfs_streq("online\n", "online\n"));
	ASSERT_TRUE(sysfs_streq("", "\n"));
	ASSERT_FALSE(sysfs_streq("online\n\n", "online"));
	ASSERT_FALSE(sysfs_streq("online", "online\n\n"));
	ASSERT_FALSE(sysfs_streq("online", "online\nx"));
	ASSERT_FALSE(sysfs_streq("online ", "online"));
	ASSERT_FALSE(sysfs_streq(" online", "online"));
	ASSERT_FALSE(sysfs_streq("online\r\n", "online"));
	/* A prefix is not a match, either way round. */
	ASSERT_FALSE(sysfs_streq("online", "online_movable"));
	ASSERT_FALSE(sysfs_streq("online_movable\n", "online"));
	ASSERT_FALSE(sysfs_streq("Online", "online"));
}

/* ---- The buffer ---------------------------------------------------------------------- */

/* Runs when a test ends, failed or not (so @b must not be on its stack). */
static void free_sbuf(void *b)
{
	sbuf_free(b);
}

/* Appends of every kind land in order, and the text stays NUL-terminated
 * as it grows past each allocation (the first one is 64 bytes). */
static void sbuf_appends_stay_in_order_and_terminated_as_it_grows(void)
{
	char want[4096];
	size_t n = 0;
	static struct sbuf b; /* outlives the test, for free_sbuf() */

	sbuf_init(&b);
	tm_defer(free_sbuf, &b);
	for (int i = 0; i < 300; i++) {
		switch (i % 4) {
		case 0:
			sbuf_addf(&b, "%d,", i);
			n += (size_t)snprintf(want + n, sizeof(want) - n, "%d,", i);
			break;
		case 1:
			sbuf_adds(&b, "ab");
			n += (size_t)snprintf(want + n, sizeof(want) - n, "ab");
			break;
		case 2:
			sbuf_addc(&b, 'c');
			want[n++] = 'c';
			break;
		default:
			sbuf_add(&b, "xyz", 2);
			want[n++] = 'x';
			want[n++] = 'y';
			break;
		}
		want[n] = '\0';
		ASSERT_EQ(b.len, n);
		ASSERT_TRUE(b.len < b.cap);
		ASSERT_STREQ(b.p, want);
	}
	ASSERT_FALSE(b.oom);
}

/* A formatted append that exactly fills the room left, and the next one
 * that does not fit: both whole, and nothing past the NUL is lost. */
static void sbuf_addf_fills_the_room_exactly_then_grows(void)
{
	char want[256];
	static struct sbuf b; /* outlives the test, for free_sbuf() */
	size_t cap;

	sbuf_init(&b);
	tm_defer(free_sbuf, &b);
	ASSERT_TRUE(sbuf_reserve(&b, 1));
	cap = b.cap;
	ASSERT_TRUE(cap > 2 && cap < sizeof(want));
	/* cap - 1 bytes of text and the NUL: exactly full. */
	sbuf_addf(&b, "%0*d", (int)(cap - 1), 7);
	ASSERT_EQ(b.len, cap - 1);
	ASSERT_EQ(b.cap, cap);
	sbuf_addf(&b, "%s", "+more");
	snprintf(want, sizeof(want), "%0*d+more", (int)(cap - 1), 7);
	ASSERT_STREQ(b.p, want);
	ASSERT_EQ(b.len, strlen(want));
}

/* A size that cannot be represented is refused, not wrapped around; the
 * buffer then keeps what it had and drops every later append, so a caller
 * checks @oom once at the end. */
static void sbuf_refuses_a_size_that_overflows_and_stays_failed(void)
{
	static struct sbuf b; /* outlives the test, for free_sbuf() */

	sbuf_init(&b);
	tm_defer(free_sbuf, &b);
	sbuf_adds(&b, "kept");
	ASSERT_FALSE(sbuf_reserve(&b, SIZE_MAX - 2));
	ASSERT_TRUE(b.oom);
	sbuf_adds(&b, "dropped");
	sbuf_addf(&b, "%d", 42);
	sbuf_addc(&b, '!');
	ASSERT_EQ(b.len, 4);
	ASSERT_STREQ(b.p, "kept");
	sbuf_free(&b);
	ASSERT_FALSE(b.oom);
	ASSERT_TRUE(b.p == NULL);
	ASSERT_EQ(b.len, 0);
}

RUN_TESTS(T(kstrtoul_rejects_trailing_garbage_einval),
	  T(kstrtoul_takes_one_trailing_newline_and_a_plus), T(base_0_reads_hex_and_octal_prefixes),
	  T(kstrtouint_overflow_is_erange), T(kstrtouint_checks_the_string_before_the_32_bit_range),
	  T(kstrtoull_64_bit_overflow_is_erange_before_trailing_garbage),
	  T(signed_parsers_reach_the_minimum_and_no_further), T(signed_parsers_take_one_sign),
	  T(kstrtobool_reads_only_the_first_characters),
	  T(sysfs_streq_ignores_one_trailing_newline),
	  T(sbuf_appends_stay_in_order_and_terminated_as_it_grows),
	  T(sbuf_addf_fills_the_room_exactly_then_grows),
	  T(sbuf_refuses_a_size_that_overflows_and_stays_failed))
