// SPDX-License-Identifier: MIT
/*
 * test_sysfs.c - the bytes of drivers/base/memory.c's attributes and the
 * parsing of what is written to them.
 */
#include "harness.h"

#include <pthread.h>

#define HOT (4 * MEMHP_GiB)
#define B0 32

static struct memhp_machine *with_blocks(unsigned long nr)
{
	struct memhp_machine *m = tm_create(NULL);

	if (!m || tm_add_blocks(m, HOT, nr))
		return NULL;
	return m;
}

static void block_size_bytes_is_hex_without_a_prefix(void)
{
	struct memhp_config cfg;
	struct memhp_machine *m = tm_create(NULL), *big;
	char buf[MEMHP_SYSFS_BUF];

	ASSERT_TRUE(m);
	ASSERT_EQ(memhp_show_block_size_bytes(m, buf), 8);
	ASSERT_STREQ(buf, "8000000\n");
	tm_config(&cfg);
	cfg.block_size = 2 * MEMHP_GiB;
	big = tm_create(&cfg);
	ASSERT_TRUE(big);
	memhp_show_block_size_bytes(big, buf);
	ASSERT_STREQ(buf, "80000000\n");
}

static void phys_index_is_the_block_id_in_eight_hex_digits(void)
{
	struct memhp_machine *m = with_blocks(1);
	char buf[MEMHP_SYSFS_BUF];

	ASSERT_TRUE(m);
	memhp_show_phys_index(m, B0, buf);
	ASSERT_STREQ(buf, "00000020\n");
	memhp_show_phys_index(m, 1, buf);
	ASSERT_STREQ(buf, "00000001\n");
	memhp_show_removable(m, B0, buf);
	ASSERT_STREQ(buf, "1\n");
	memhp_show_phys_device(m, B0, buf);
	ASSERT_STREQ(buf, "0\n");
	ASSERT_ERR(memhp_show_state(m, B0 + 1, buf), -ENODEV);
}

static void state_store_takes_exactly_one_optional_trailing_newline(void)
{
	struct memhp_machine *m = with_blocks(1);

	ASSERT_TRUE(m);
	ASSERT_ERR(memhp_store_state(m, B0, "online ", 7, false), -EINVAL);
	ASSERT_ERR(memhp_store_state(m, B0, "online\n\n", 8, false), -EINVAL);
	ASSERT_ERR(memhp_store_state(m, B0, "Online", 6, false), -EINVAL);
	ASSERT_ERR(memhp_store_state(m, B0, "", 0, false), -EINVAL);
	ASSERT_ERR(memhp_store_state(m, B0, "onl", 3, false), -EINVAL);
	ASSERT_ERR(memhp_store_state(m, B0, "online_movable\n", 15, false), 15);
	/* After online_movable a read shows plain "online". */
	{
		char buf[MEMHP_SYSFS_BUF];

		memhp_show_state(m, B0, buf);
		ASSERT_STREQ(buf, "online\n");
	}
}

static void online_store_parses_like_kstrtobool(void)
{
	struct memhp_machine *m = with_blocks(1);
	const char *yes[] = { "1", "y", "Y", "t", "T", "on", "ON", "yes", "1abc" };
	const char *no[] = { "0", "n", "N", "f", "F", "off", "Off", "no" };
	const char *bad[] = { "", "2", "o", "ox", "-1", " 1", "\n" };

	ASSERT_TRUE(m);
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		ASSERT_ERR(memhp_store_online(m, B0, yes[i], strlen(yes[i]), false),
			   (long)strlen(yes[i]));
		ASSERT_ERR(memhp_store_online(m, B0, no[i % 8], strlen(no[i % 8]), false),
			   (long)strlen(no[i % 8]));
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ASSERT_ERR(memhp_store_online(m, B0, bad[i], strlen(bad[i]), false), -EINVAL);
}

static void a_write_is_read_up_to_its_length_and_a_nul_ends_it(void)
{
	struct memhp_machine *m = with_blocks(1);

	ASSERT_TRUE(m);
	/* Bytes past the write's length never count... */
	ASSERT_ERR(memhp_store_state(m, B0, "online_movableXYZ", 6, false), 6);
	/* ...and an embedded NUL ends the string, as in kernfs. */
	ASSERT_ERR(memhp_store_state(m, B0, "offline\0junk", 12, false), 12);
}

static void auto_online_blocks_reads_back_what_was_written(void)
{
	struct memhp_machine *m = tm_create(NULL);
	const char *types[] = { "offline", "online", "online_kernel", "online_movable" };
	char buf[MEMHP_SYSFS_BUF], want[32];

	ASSERT_TRUE(m);
	memhp_show_auto_online_blocks(m, buf);
	ASSERT_STREQ(buf, "offline\n");
	for (int i = 3; i >= 0; i--) {
		ASSERT_ERR(memhp_store_auto_online_blocks(m, types[i], strlen(types[i])),
			   (long)strlen(types[i]));
		memhp_show_auto_online_blocks(m, buf);
		snprintf(want, sizeof(want), "%s\n", types[i]);
		ASSERT_STREQ(buf, want);
	}
	ASSERT_ERR(memhp_store_auto_online_blocks(m, "movable", 7), -EINVAL);
}

static void memory_hotplug_parameters_parse_as_6_1_does(void)
{
	struct memhp_machine *m = tm_create(NULL);
	char buf[MEMHP_SYSFS_BUF];

	ASSERT_TRUE(m);
	memhp_show_param(m, "online_policy", buf);
	ASSERT_STREQ(buf, "contig-zones\n");
	ASSERT_ERR(memhp_store_param(m, "online_policy", "auto-movable\n", 13), 13);
	memhp_show_param(m, "online_policy", buf);
	ASSERT_STREQ(buf, "auto-movable\n");
	ASSERT_ERR(memhp_store_param(m, "online_policy", "auto", 4), -EINVAL);
	memhp_show_param(m, "auto_movable_ratio", buf);
	ASSERT_STREQ(buf, "301\n");
	ASSERT_ERR(memhp_store_param(m, "auto_movable_ratio", "0x10\n", 5), 5);
	memhp_show_param(m, "auto_movable_ratio", buf);
	ASSERT_STREQ(buf, "16\n");
	ASSERT_ERR(memhp_store_param(m, "auto_movable_ratio", "-1", 2), -EINVAL);
	ASSERT_ERR(memhp_store_param(m, "auto_movable_ratio", "99999999999", 11), -ERANGE);
	memhp_show_param(m, "auto_movable_numa_aware", buf);
	ASSERT_STREQ(buf, "Y\n");
	ASSERT_ERR(memhp_store_param(m, "auto_movable_numa_aware", "n", 1), 1);
	memhp_show_param(m, "memmap_on_memory", buf);
	ASSERT_STREQ(buf, "N\n");
	ASSERT_ERR(memhp_store_param(m, "memmap_on_memory", "Y", 1), -EACCES);
	ASSERT_ERR(memhp_show_param(m, "nope", buf), -ENOENT);
}

static void auto_movable_policy_keeps_the_movable_to_kernel_ratio(void)
{
	/* 301% of the ~511 MiB of boot memory allows 12 movable blocks. */
	struct memhp_machine *m = with_blocks(14);
	struct memhp_block_info bi;
	char buf[MEMHP_SYSFS_BUF];

	ASSERT_TRUE(m);
	ASSERT_ERR(memhp_store_param(m, "online_policy", "auto-movable", 12), 12);
	memhp_show_valid_zones(m, B0, buf);
	ASSERT_STREQ(buf, "Movable Normal\n");
	for (int i = 0; i < 14; i++)
		ASSERT_ERR(memhp_store_online(m, B0 + i, "1", 1, false), 1);
	for (int i = 0; i < 14; i++) {
		memhp_block_info(m, B0 + i, &bi);
		ASSERT_EQ(bi.zone, i < 12 ? MEMHP_ZONE_MOVABLE : MEMHP_ZONE_NORMAL);
	}
}

static void a_busy_hotplug_lock_makes_nonblocking_stores_eagain(void)
{
	struct memhp_machine *m = with_blocks(1);

	ASSERT_TRUE(m);
	memhp_lock_device_hotplug(m);
	ASSERT_ERR(memhp_store_state(m, B0, "online", 6, true), -EAGAIN);
	ASSERT_ERR(memhp_store_online(m, B0, "1", 1, true), -EAGAIN);
	memhp_unlock_device_hotplug(m);
	ASSERT_ERR(memhp_store_state(m, B0, "online", 6, true), 6);
	ASSERT_ERR(memhp_store_state(m, B0 + 1, "online", 6, true), -ENODEV);
}

struct racer {
	struct memhp_machine *m;
	int ok, einval, other;
	const char *word;
};

static void *race(void *arg)
{
	struct racer *r = arg;

	for (int i = 0; i < 50; i++) {
		ssize_t ret = memhp_store_state(r->m, B0, r->word, strlen(r->word), false);

		if (ret == (ssize_t)strlen(r->word))
			r->ok++;
		else if (ret == -EINVAL)
			r->einval++;
		else
			r->other++;
	}
	return NULL;
}

static void concurrent_writers_are_serialised(void)
{
	struct memhp_machine *m = with_blocks(1);
	struct racer on = { .m = m, .word = "online_movable" }, off = { .m = m, .word = "offline" };
	pthread_t a, b;
	struct memhp_block_info bi;

	ASSERT_TRUE(m);
	pthread_create(&a, NULL, race, &on);
	pthread_create(&b, NULL, race, &off);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	ASSERT_EQ(on.other + off.other, 0);
	ASSERT_EQ(on.ok + on.einval, 50);
	/* Every successful online was followed by at most one offline. */
	memhp_block_info(m, B0, &bi);
	ASSERT_EQ(on.ok - off.ok, bi.state == MEMHP_MEM_ONLINE ? 1 : 0);
}

RUN_TESTS(T(block_size_bytes_is_hex_without_a_prefix),
	  T(phys_index_is_the_block_id_in_eight_hex_digits),
	  T(state_store_takes_exactly_one_optional_trailing_newline),
	  T(online_store_parses_like_kstrtobool),
	  T(a_write_is_read_up_to_its_length_and_a_nul_ends_it),
	  T(auto_online_blocks_reads_back_what_was_written),
	  T(memory_hotplug_parameters_parse_as_6_1_does),
	  T(auto_movable_policy_keeps_the_movable_to_kernel_ratio),
	  T(a_busy_hotplug_lock_makes_nonblocking_stores_eagain),
	  T(concurrent_writers_are_serialised))
