// SPDX-License-Identifier: MIT
/*
 * test_virtio_balloon.c - the virtio-balloon device (QEMU 7.2's) and the
 * Linux 6.1 driver on it: targets, "actual", the host's memory, statistics,
 * DEFLATE_ON_OOM, free page reporting, migration under offlining.
 *
 * What real QEMU 7.2 and Linux 6.1 did, from tests/guest/balloon-dimm-qmp.sh
 * (docs/linux-comparison.md, case j), is quoted where a test pins it.
 *
 * The machine: 512 MiB of boot RAM; the device's RAM size is that, as
 * QEMU's is -m without DIMMs. The driver runs in sync mode: the test runs
 * its work with memhp_vballoon_drv_process().
 */
#include "harness.h"

#include <memhp/virtio_balloon.h>

#include <endian.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RAM (512 * MEMHP_MiB)
#define HOT (4 * MEMHP_GiB)
#define B0 32
/* A wait for the device's timer thread that takes this long is a hang. */
#define DEADLINE_MS 10000

struct rig {
	struct memhp_machine *m;
	struct memhp_vballoon_dev *dev;
	struct memhp_vballoon_drv *drv;
	struct memhp_vballoon_listener l;
	/* What BALLOON_CHANGE would have said, in order. */
	uint64_t actual[64];
	_Atomic int nr_actual;
};

static uint64_t ram_size(void *priv)
{
	(void)priv;
	return RAM;
}

static void on_actual(struct memhp_vballoon_dev *dev, uint64_t logical, void *priv)
{
	struct rig *r = priv;
	int n = atomic_fetch_add(&r->nr_actual, 1);

	(void)dev;
	if (n < 64)
		r->actual[n] = logical;
}

static void rig_down(void *arg)
{
	struct rig *r = arg;

	memhp_vballoon_drv_remove(r->drv);
	if (r->dev) {
		memhp_vballoon_dev_remove_listener(r->dev, &r->l);
		memhp_vballoon_dev_destroy(r->dev);
	}
	free(r);
}

/* A machine with @nr_blocks movable blocks at 4 GiB, a device, a driver
 * (@poisoning: the guest poisons free pages). */
static struct rig *rig_up_poison(unsigned long nr_blocks, bool deflate_on_oom, bool reporting,
				 bool poisoning)
{
	struct memhp_vballoon_dev_config cfg;
	struct memhp_vballoon_drv_params p;
	struct rig *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->m = tm_create(NULL);
	if (!r->m || (nr_blocks && tm_add_blocks(r->m, HOT, nr_blocks))) {
		free(r);
		return NULL;
	}
	for (unsigned long i = 0; i < nr_blocks; i++)
		if (memhp_block_online(r->m, B0 + i, MEMHP_MMOP_ONLINE_MOVABLE)) {
			free(r);
			return NULL;
		}
	memhp_vballoon_dev_config_init(&cfg);
	cfg.id = "balloon0";
	cfg.deflate_on_oom = deflate_on_oom;
	cfg.free_page_reporting = reporting;
	cfg.ram_size = ram_size;
	if (memhp_vballoon_dev_create(r->m, &cfg, &r->dev)) {
		free(r);
		return NULL;
	}
	r->l.fn = on_actual;
	r->l.priv = r;
	memhp_vballoon_dev_add_listener(r->dev, &r->l);
	memhp_vballoon_drv_params_init(&p);
	p.sync = true;
	p.page_poisoning = poisoning;
	if (memhp_vballoon_drv_probe(r->m, r->dev, &p, &r->drv)) {
		memhp_vballoon_dev_destroy(r->dev);
		free(r);
		return NULL;
	}
	tm_defer(rig_down, r);
	return r;
}

static struct rig *rig_up(unsigned long nr_blocks, bool deflate_on_oom, bool reporting)
{
	return rig_up_poison(nr_blocks, deflate_on_oom, reporting, false);
}

static uint32_t config_actual(struct rig *r)
{
	struct memhp_virtio_balloon_config c;

	memhp_vballoon_dev_read_config(r->dev, &c);
	return le32toh(c.actual);
}

static unsigned long total_pages(struct memhp_machine *m)
{
	struct memhp_meminfo mi;

	memhp_meminfo(m, &mi);
	return mi.total_pages;
}

static uint64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* ---- Targets and actual ------------------------------------------------------------- */

static void target_inflates_in_1mib_steps_each_written_to_actual(void)
{
	struct rig *r = rig_up(0, false, false);
	unsigned long total0;
	unsigned int ran;

	ASSERT_TRUE(r);
	total0 = total_pages(r->m);
	ASSERT_EQ(memhp_vballoon_dev_logical_size(r->dev), RAM);

	memhp_vballoon_dev_set_target(r->dev, RAM - 4 * MEMHP_MiB);
	ran = memhp_vballoon_drv_process(r->drv);

	/* update_balloon_size_func() runs once per 256 pages, and queues
	 * itself again until the target is reached. */
	ASSERT_EQ(ran, 4);
	ASSERT_EQ(config_actual(r), 1024);
	ASSERT_EQ(memhp_vballoon_dev_logical_size(r->dev), RAM - 4 * MEMHP_MiB);
	/* QEMU 7.2 + Linux 6.1: the first BALLOON_CHANGE says 1 MiB less. */
	ASSERT_EQ(atomic_load(&r->nr_actual), 4);
	for (int i = 0; i < 4; i++)
		ASSERT_EQ(r->actual[i], RAM - (uint64_t)(i + 1) * MEMHP_MiB);
	/* Linux 6.1: MemTotal falls by the balloon (262144 kB for 256 MiB). */
	ASSERT_EQ(total0 - total_pages(r->m), 1024);
	ASSERT_EQ(memhp_vmstat(r->m, MEMHP_BALLOON_INFLATE), 1024);

	memhp_vballoon_dev_set_target(r->dev, RAM);
	memhp_vballoon_drv_process(r->drv);
	ASSERT_EQ(config_actual(r), 0);
	ASSERT_EQ(total_pages(r->m), total0);
	ASSERT_EQ(memhp_vmstat(r->m, MEMHP_BALLOON_DEFLATE), 1024);
}

static void target_above_ram_means_an_empty_balloon_and_zero_changes_nothing(void)
{
	struct rig *r = rig_up(0, false, false);
	struct memhp_virtio_balloon_config c;

	ASSERT_TRUE(r);
	memhp_vballoon_dev_set_target(r->dev, RAM - MEMHP_MiB);
	memhp_vballoon_drv_process(r->drv);
	ASSERT_EQ(config_actual(r), 256);

	/* virtio_balloon_to_target(): a target above the RAM size is the RAM
	 * size; 0 leaves num_pages alone. */
	memhp_vballoon_dev_set_target(r->dev, 0);
	memhp_vballoon_dev_read_config(r->dev, &c);
	ASSERT_EQ(le32toh(c.num_pages), 256);
	memhp_vballoon_dev_set_target(r->dev, 64 * MEMHP_GiB);
	memhp_vballoon_dev_read_config(r->dev, &c);
	ASSERT_EQ(le32toh(c.num_pages), 0);
	memhp_vballoon_drv_process(r->drv);
	ASSERT_EQ(config_actual(r), 0);
}

static void unreachable_target_stops_out_of_puff_and_tries_again(void)
{
	struct rig *r = rig_up(0, false, false);
	struct memhp_vballoon_drv_info info;
	struct memhp_meminfo mi;

	ASSERT_TRUE(r);
	memhp_meminfo(r->m, &mi);
	/* More than is free: fill_balloon() runs dry and the work is queued
	 * again, for ever (in Linux every 200 ms). */
	memhp_vballoon_dev_set_target(r->dev, RAM - ((uint64_t)mi.free_pages + 512) * 4096);
	for (int i = 0; i < 3; i++)
		memhp_vballoon_drv_process(r->drv);
	memhp_vballoon_drv_info(r->drv, &info);
	ASSERT_EQ(info.num_pages, mi.free_pages);
	ASSERT_GT(info.out_of_puff, 0);
	memhp_meminfo(r->m, &mi);
	ASSERT_EQ(mi.free_pages, 0);
	ASSERT_EQ(config_actual(r), info.num_pages);
	memhp_vballoon_dev_set_target(r->dev, RAM);
	memhp_vballoon_drv_process(r->drv);
	ASSERT_EQ(config_actual(r), 0);
}

/* ---- The host's memory -------------------------------------------------------------- */

static void inflated_pages_leave_the_host_and_deflate_only_hints(void)
{
	struct rig *r = rig_up(1, false, false);
	struct memhp_balloon *b;
	unsigned long pfns[1024], nr;

	ASSERT_TRUE(r);
	b = memhp_vballoon_drv_balloon(r->drv);
	/* The guest used the whole block once: every page is resident. */
	memset((char *)memhp_phys_base(r->m) + HOT, 0x5a, memhp_block_size(r->m));
	ASSERT_EQ(memhp_host_resident(r->m, HOT, memhp_block_size(r->m)),
		  memhp_block_size(r->m) / 4096);

	memhp_vballoon_dev_set_target(r->dev, RAM - 4 * MEMHP_MiB);
	memhp_vballoon_drv_process(r->drv);

	nr = memhp_balloon_host_pfns(b, pfns, 1024);
	ASSERT_EQ(nr, 1024);
	for (unsigned long i = 0; i < nr; i++)
		ASSERT_EQ(memhp_host_resident(r->m, (uint64_t)pfns[i] << 12, 4096), 0);
	ASSERT_EQ(memhp_host_resident(r->m, HOT, memhp_block_size(r->m)),
		  memhp_block_size(r->m) / 4096 - 1024);

	/* QEMU's balloon_deflate_page() only says MADV_WILLNEED: the pages
	 * come back when the guest touches them, not before. */
	memhp_vballoon_dev_set_target(r->dev, RAM);
	memhp_vballoon_drv_process(r->drv);
	for (unsigned long i = 0; i < nr; i++)
		ASSERT_EQ(memhp_host_resident(r->m, (uint64_t)pfns[i] << 12, 4096), 0);
}

static void pfns_that_are_not_ram_are_skipped(void)
{
	struct rig *r = rig_up(0, false, false);
	struct memhp_vballoon_dev_stats st;
	uint32_t pfns[3] = { htole32(0x1000), htole32(0x80000000u), htole32(0x1001) };

	ASSERT_TRUE(r);
	ASSERT_OK(memhp_vballoon_dev_tell(r->dev, false, pfns, 3));
	memhp_vballoon_dev_stats_get(r->dev, &st);
	ASSERT_EQ(st.inflated_pages, 2);
	ASSERT_EQ(st.bad_pfns, 1);
	ASSERT_ERR(memhp_vballoon_dev_tell(r->dev, false, NULL, 1), -EINVAL);
	ASSERT_ERR(memhp_vballoon_dev_tell(r->dev, false, pfns, 1025), -EINVAL);
}

/* ---- Offlining ----------------------------------------------------------------------- */

static void offlining_migrates_balloon_pages_and_tells_the_device(void)
{
	struct rig *r = rig_up(2, false, false);
	struct memhp_vballoon_dev_stats st0, st1;
	struct memhp_balloon_stats bs;
	struct memhp_balloon *b;
	unsigned long pfns[2048], nr;

	ASSERT_TRUE(r);
	b = memhp_vballoon_drv_balloon(r->drv);
	ASSERT_OK(memhp_block_offline(r->m, B0 + 1));
	memhp_vballoon_dev_set_target(r->dev, RAM - 8 * MEMHP_MiB);
	memhp_vballoon_drv_process(r->drv);
	/* GFP_HIGHUSER_MOVABLE: all of it from ZONE_MOVABLE, memory32. */
	nr = memhp_balloon_host_pfns(b, pfns, 2048);
	ASSERT_EQ(nr, 2048);
	for (unsigned long i = 0; i < nr; i++)
		ASSERT_EQ(memhp_phys_to_block_id(r->m, (uint64_t)pfns[i] << 12), B0);
	ASSERT_OK(memhp_block_online(r->m, B0 + 1, MEMHP_MMOP_ONLINE_MOVABLE));
	memhp_vballoon_dev_stats_get(r->dev, &st0);

	ASSERT_OK(memhp_block_offline(r->m, B0));

	/* Linux 6.1: balloon_migrate counts them; the balloon keeps its size
	 * and the host its "actual". */
	memhp_balloon_stats(b, &bs);
	ASSERT_EQ(bs.migrated, 2048);
	ASSERT_EQ(memhp_vmstat(r->m, MEMHP_BALLOON_MIGRATE), 2048);
	ASSERT_EQ(config_actual(r), 2048);
	ASSERT_EQ(memhp_vballoon_dev_logical_size(r->dev), RAM - 8 * MEMHP_MiB);
	memhp_vballoon_dev_stats_get(r->dev, &st1);
	ASSERT_EQ(st1.inflated_pages - st0.inflated_pages, 2048);
	ASSERT_EQ(st1.deflated_pages - st0.deflated_pages, 2048);
	nr = memhp_balloon_host_pfns(b, pfns, 2048);
	for (unsigned long i = 0; i < nr; i++) {
		ASSERT_EQ(memhp_phys_to_block_id(r->m, (uint64_t)pfns[i] << 12), B0 + 1);
		ASSERT_EQ(memhp_host_resident(r->m, (uint64_t)pfns[i] << 12, 4096), 0);
	}
}

/* ---- DEFLATE_ON_OOM ----------------------------------------------------------------- */

static void deflate_on_oom_keeps_memtotal_and_the_oom_notifier_gives_256(void)
{
	struct rig *r = rig_up(0, true, false);
	struct rig *plain = rig_up(0, false, false);
	unsigned long total0;

	ASSERT_TRUE(r && plain);
	total0 = total_pages(r->m);
	memhp_vballoon_dev_set_target(r->dev, RAM - 4 * MEMHP_MiB);
	memhp_vballoon_drv_process(r->drv);
	ASSERT_EQ(config_actual(r), 1024);
	ASSERT_EQ(total_pages(r->m), total0);

	ASSERT_EQ(memhp_vballoon_drv_oom_notify(r->drv), 256);
	ASSERT_EQ(config_actual(r), 768);
	ASSERT_ERR(memhp_vballoon_drv_oom_notify(plain->drv), -EOPNOTSUPP);
}

/* ---- Statistics ---------------------------------------------------------------------- */

static void guest_stats_are_unknown_until_the_driver_sends_them(void)
{
	struct memhp_vballoon_dev_config cfg;
	struct memhp_vballoon_guest_stats gs;
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_vballoon_dev *dev;

	ASSERT_TRUE(m);
	memhp_vballoon_dev_config_init(&cfg);
	ASSERT_OK(memhp_vballoon_dev_create(m, &cfg, &dev));
	memhp_vballoon_dev_guest_stats(dev, &gs);
	/* QEMU 7.2 before the guest: every stat 18446744073709551615,
	 * last-update 0. */
	for (int i = 0; i < MEMHP_VIRTIO_BALLOON_S_NR; i++)
		EXPECT_EQ(gs.stats[i] == UINT64_MAX, 1);
	EXPECT_EQ(gs.last_update, 0);
	ASSERT_EQ(memhp_vballoon_dev_poll_interval(dev), 0);
	ASSERT_ERR(memhp_vballoon_dev_set_poll_interval(dev, -1), -EINVAL);
	ASSERT_ERR(memhp_vballoon_dev_set_poll_interval(dev, 0x100000000LL), -E2BIG);
	ASSERT_OK(memhp_vballoon_dev_set_poll_interval(dev, 0xffffffffLL));
	ASSERT_EQ(memhp_vballoon_dev_poll_interval(dev), 0xffffffffLL);
	memhp_vballoon_dev_destroy(dev);
}

static void polling_gives_the_stats_buffer_back_and_the_guest_refreshes_it(void)
{
	struct rig *r = rig_up(0, false, false);
	struct memhp_vballoon_dev_stats st;
	struct memhp_vballoon_guest_stats gs;
	struct memhp_meminfo mi;
	uint64_t deadline;

	ASSERT_TRUE(r);
	/* The probe primed the stats queue: the device has values already. */
	memhp_vballoon_dev_stats_get(r->dev, &st);
	ASSERT_EQ(st.stats_received, 1);
	memhp_vballoon_dev_set_target(r->dev, RAM - 2 * MEMHP_MiB);
	memhp_vballoon_drv_process(r->drv);

	/* A new timer fires at once: the device gives the buffer back. */
	ASSERT_OK(memhp_vballoon_dev_set_poll_interval(r->dev, 1));
	deadline = now_ms() + DEADLINE_MS;
	do {
		memhp_vballoon_drv_process(r->drv);
		memhp_vballoon_dev_stats_get(r->dev, &st);
	} while (st.stats_received < 2 && now_ms() < deadline);
	ASSERT_EQ(st.stats_received, 2);
	ASSERT_EQ(st.stats_polls, 1);
	memhp_vballoon_dev_guest_stats(r->dev, &gs);
	memhp_meminfo(r->m, &mi);
	/* Linux 6.1 reports MemTotal and MemFree in bytes. */
	ASSERT_EQ(gs.stats[MEMHP_VIRTIO_BALLOON_S_MEMTOT], (uint64_t)mi.total_pages * 4096);
	ASSERT_EQ(gs.stats[MEMHP_VIRTIO_BALLOON_S_MEMFREE], (uint64_t)mi.free_pages * 4096);
	ASSERT_TRUE(gs.stats[MEMHP_VIRTIO_BALLOON_S_AVAIL] <= (uint64_t)mi.free_pages * 4096);
	ASSERT_EQ(gs.stats[MEMHP_VIRTIO_BALLOON_S_SWAP_IN], 0);
	ASSERT_GT(gs.last_update, 0);
	ASSERT_OK(memhp_vballoon_dev_set_poll_interval(r->dev, 0));
}

/* ---- Free page reporting ------------------------------------------------------------ */

static void free_page_reporting_gives_the_host_free_memory_the_guest_touched(void)
{
	struct rig *r = rig_up(1, false, true);
	struct memhp_vballoon_dev_stats st;
	struct memhp_meminfo mi0, mi1;
	long reported;
	uint64_t bs;

	ASSERT_TRUE(r);
	bs = memhp_block_size(r->m);
	/* The guest wrote the free block once (a file written and removed,
	 * in the Linux run of case k): resident on the host. */
	memset((char *)memhp_phys_base(r->m) + HOT, 0x5a, bs);
	ASSERT_EQ(memhp_host_resident(r->m, HOT, bs), bs / 4096);
	memhp_meminfo(r->m, &mi0);

	reported = memhp_vballoon_drv_report_free_pages(r->drv);

	/* Every free chunk of the block (of 2 MiB or more) went to the host
	 * and came back; the guest's free memory is what it was. */
	ASSERT_GT(reported, 0);
	ASSERT_EQ(memhp_host_resident(r->m, HOT, bs), 0);
	memhp_meminfo(r->m, &mi1);
	ASSERT_EQ(mi1.free_pages, mi0.free_pages);
	memhp_vballoon_dev_stats_get(r->dev, &st);
	ASSERT_EQ(st.reported_bytes, (unsigned long)reported * 4096);
	/* Untouched since: nothing to report the next time. */
	ASSERT_EQ(memhp_vballoon_drv_report_free_pages(r->drv), 0);
	ASSERT_EQ(memhp_check(r->m, NULL), 0);
}

static void free_page_reporting_keeps_poisoned_pages(void)
{
	struct rig *r = rig_up_poison(1, false, true, true);
	struct rig *none = rig_up(0, false, false);
	struct memhp_virtio_balloon_config c;
	uint64_t bs;

	ASSERT_TRUE(r && none);
	bs = memhp_block_size(r->m);
	/* With page poisoning the driver keeps PAGE_POISON and tells the
	 * device its pattern; QEMU then does not discard reported pages (a
	 * discarded page would come back zeroed). */
	memhp_vballoon_dev_read_config(r->dev, &c);
	ASSERT_EQ(le32toh(c.poison_val), 0xaaaaaaaau);
	memset((char *)memhp_phys_base(r->m) + HOT, 0xaa, bs);
	ASSERT_GT(memhp_vballoon_drv_report_free_pages(r->drv), 0);
	ASSERT_EQ(memhp_host_resident(r->m, HOT, bs), bs / 4096);
	/* Without the feature there is nothing to report with. */
	ASSERT_ERR(memhp_vballoon_drv_report_free_pages(none->drv), -EOPNOTSUPP);
}

RUN_TESTS(T(target_inflates_in_1mib_steps_each_written_to_actual),
	  T(target_above_ram_means_an_empty_balloon_and_zero_changes_nothing),
	  T(unreachable_target_stops_out_of_puff_and_tries_again),
	  T(inflated_pages_leave_the_host_and_deflate_only_hints),
	  T(pfns_that_are_not_ram_are_skipped),
	  T(offlining_migrates_balloon_pages_and_tells_the_device),
	  T(deflate_on_oom_keeps_memtotal_and_the_oom_notifier_gives_256),
	  T(guest_stats_are_unknown_until_the_driver_sends_them),
	  T(polling_gives_the_stats_buffer_back_and_the_guest_refreshes_it),
	  T(free_page_reporting_gives_the_host_free_memory_the_guest_touched),
	  T(free_page_reporting_keeps_poisoned_pages))
