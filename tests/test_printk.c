// SPDX-License-Identifier: MIT
/*
 * test_printk.c - the machine's kernel log: the printk ring, what the core
 * and the drivers print into it and at which level, and /dev/kmsg's
 * read, seek, poll and write rules (kernel/printk/printk.c, devkmsg_*).
 *
 * The machine: 512 MiB of boot RAM below 4 GiB; blocks are hot-added at
 * 4 GiB (memory32 onwards).
 */
#include "harness.h"

#include <memhp/sysctl.h>

#include <memhp/virtio_mem.h>
#include <memhp/virtio_mem_driver.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#define ARRAY_SIZE_T(a) (sizeof(a) / sizeof((a)[0]))
#define HOT (4 * MEMHP_GiB)
#define B0 32 /* block id at HOT */

/* The newest record whose text is @text, or -1: its seq. */
static long long find_record(struct memhp_machine *m, const char *text,
			     struct memhp_printk_record *out)
{
	struct memhp_printk_record *r = malloc(sizeof(*r));
	long long found = -1;

	for (uint64_t seq = memhp_printk_first_seq(m); r && !memhp_printk_read(m, seq, r);
	     seq = r->seq + 1) {
		if (!strcmp(r->text, text)) {
			found = (long long)r->seq;
			if (out)
				*out = *r;
		}
	}
	free(r);
	return found;
}

static unsigned int count_records(struct memhp_machine *m, const char *text)
{
	struct memhp_printk_record *r = malloc(sizeof(*r));
	unsigned int n = 0;

	for (uint64_t seq = memhp_printk_first_seq(m); r && !memhp_printk_read(m, seq, r);
	     seq = r->seq + 1)
		n += !strcmp(r->text, text);
	free(r);
	return n;
}

static void records_are_numbered_from_0_and_read_by_seq(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_printk_record r;
	uint64_t next;

	ASSERT_TRUE(m);
	ASSERT_EQ(memhp_printk_first_seq(m), 0);
	ASSERT_OK(memhp_printk_read(m, 0, &r));
	ASSERT_EQ(r.seq, 0);
	next = memhp_printk_next_seq(m);
	ASSERT_GT(next, 0); /* the boot lines */
	ASSERT_EQ(memhp_printk(m, MEMHP_KERN_NOTICE, "hello %d", 42), 8);
	ASSERT_EQ(memhp_printk_next_seq(m), next + 1);
	ASSERT_OK(memhp_printk_read(m, next, &r));
	ASSERT_EQ(r.seq, next);
	ASSERT_EQ(r.level, MEMHP_KERN_NOTICE);
	ASSERT_EQ(r.facility, MEMHP_LOG_KERN);
	ASSERT_EQ(r.text_len, 8);
	ASSERT_STREQ(r.text, "hello 42");
	ASSERT_ERR(memhp_printk_read(m, next + 1, &r), -EAGAIN);
}

static void printk_levels_are_0_to_7_and_the_default_is_kern_warning(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_printk_record r;

	ASSERT_TRUE(m);
	ASSERT_ERR(memhp_printk(m, 8, "x"), -EINVAL);
	ASSERT_ERR(memhp_printk(m, -2, "x"), -EINVAL);
	ASSERT_OK(memhp_printk(m, MEMHP_LOGLEVEL_DEFAULT, "no level") < 0);
	ASSERT_TRUE(find_record(m, "no level", &r) >= 0);
	ASSERT_EQ(r.level, MEMHP_KERN_WARNING);
	ASSERT_OK(memhp_printk(m, MEMHP_KERN_EMERG, "emerg") < 0);
	ASSERT_TRUE(find_record(m, "emerg", &r) >= 0);
	ASSERT_EQ(r.level, 0);
}

static void one_trailing_newline_is_dropped_and_long_lines_are_cut(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_printk_record r;
	char *longer = malloc(2 * MEMHP_LOG_LINE_MAX);

	ASSERT_TRUE(m && longer);
	tm_defer(free, longer);
	ASSERT_EQ(memhp_printk(m, MEMHP_KERN_INFO, "two\n\n"), 4);
	ASSERT_TRUE(find_record(m, "two\n", &r) >= 0);
	memset(longer, 'x', 2 * MEMHP_LOG_LINE_MAX - 1);
	longer[2 * MEMHP_LOG_LINE_MAX - 1] = '\0';
	ASSERT_EQ(memhp_printk(m, MEMHP_KERN_INFO, "%s", longer), MEMHP_LOG_LINE_MAX - 1);
	ASSERT_OK(memhp_printk_read(m, memhp_printk_next_seq(m) - 1, &r));
	ASSERT_EQ(r.text_len, MEMHP_LOG_LINE_MAX - 1);
}

static void timestamps_count_microseconds_from_creation_and_never_go_back(void)
{
	struct memhp_printk_record r;
	struct memhp_machine *m;
	struct timespec t0, t1;
	uint64_t last = 0, elapsed_usec;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	m = tm_create(NULL);
	ASSERT_TRUE(m);
	for (int i = 0; i < 100; i++)
		memhp_printk(m, MEMHP_KERN_INFO, "tick %d", i);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	elapsed_usec = (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000 +
		       (uint64_t)(t1.tv_nsec - t0.tv_nsec) / 1000;
	for (uint64_t seq = 0; !memhp_printk_read(m, seq, &r); seq = r.seq + 1) {
		ASSERT_TRUE(r.ts_usec >= last);
		last = r.ts_usec;
	}
	/* The clock started when the machine was created, not at boot of
	 * the host: the last record is younger than this test. */
	ASSERT_TRUE(last <= elapsed_usec);
}

/* The boot log of tm_config()'s machine, as free_area_init() and
 * probe_memory_block_size() print it on a 512 MiB q35 guest. */
static void the_boot_log_shows_the_zone_ranges_as_6_1_prints_them(void)
{
	static const char *const want[] = {
		"Zone ranges:",
		"  DMA      [mem 0x0000000000001000-0x0000000000ffffff]",
		"  DMA32    [mem 0x0000000001000000-0x000000001ffdffff]",
		"  Normal   empty",
		"  Device   empty",
		"Movable zone start for each node",
		"Early memory node ranges",
		"  node   0: [mem 0x0000000000001000-0x000000000009efff]",
		"  node   0: [mem 0x0000000000100000-0x000000001ffdffff]",
		"Initmem setup node 0 [mem 0x0000000000001000-0x000000001ffdffff]",
		"x86/mm: Memory block size: 128MB",
	};
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_printk_record r;

	ASSERT_TRUE(m);
	ASSERT_EQ(memhp_printk_next_seq(m), ARRAY_SIZE_T(want));
	for (uint64_t i = 0; i < ARRAY_SIZE_T(want); i++) {
		ASSERT_OK(memhp_printk_read(m, i, &r));
		ASSERT_STREQ(r.text, want[i]);
		ASSERT_EQ(r.level, MEMHP_KERN_INFO);
		ASSERT_EQ(r.facility, MEMHP_LOG_KERN);
	}
}

/* ---- What the core prints -------------------------------------------------------- */

static void a_successful_offline_logs_offlined_pages_at_kern_debug(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_printk_record r;

	ASSERT_TRUE(m);
	ASSERT_OK(tm_add_blocks(m, HOT, 2));
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	ASSERT_OK(memhp_block_online(m, B0 + 1, MEMHP_MMOP_ONLINE_MOVABLE));
	ASSERT_OK(memhp_block_offline(m, B0 + 1));
	/* pr_debug() in 6.1's offline_pages(). */
	ASSERT_TRUE(find_record(m, "Offlined Pages 32768", &r) >= 0);
	ASSERT_EQ(r.level, MEMHP_KERN_DEBUG);
	ASSERT_EQ(r.facility, MEMHP_LOG_KERN);
}

static void a_failed_offline_logs_its_reason_at_kern_debug(void)
{
	struct memhp_machine *m = tm_create(NULL);
	AUTO_EVENT_LOG log = { .veto_on = MEMHP_MEM_GOING_OFFLINE, .veto_ret = 0 };
	struct memhp_printk_record r;

	ASSERT_TRUE(m);
	log.veto_ret = memhp_notifier_from_errno(-EBUSY);
	ASSERT_OK(tm_add_blocks(m, HOT, 1));
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	event_log_register(m, &log, 0);
	ASSERT_ERR(memhp_block_offline(m, B0), -EBUSY);
	event_log_unregister(&log);
	ASSERT_TRUE(find_record(m,
				"memory offlining [mem 0x100000000-0x107ffffff] "
				"failed due to notifier failure",
				&r) >= 0);
	ASSERT_EQ(r.level, MEMHP_KERN_DEBUG);
	ASSERT_EQ(find_record(m, "Offlined Pages 32768", NULL), -1);
}

static void a_failed_online_logs_its_range_at_kern_debug(void)
{
	struct memhp_machine *m = tm_create(NULL);
	AUTO_EVENT_LOG log = { .veto_on = MEMHP_MEM_GOING_ONLINE, .veto_ret = 0 };
	struct memhp_printk_record r;

	ASSERT_TRUE(m);
	log.veto_ret = memhp_notifier_from_errno(-ENOMEM);
	ASSERT_OK(tm_add_blocks(m, HOT, 1));
	event_log_register(m, &log, 0);
	ASSERT_ERR(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE), -ENOMEM);
	event_log_unregister(&log);
	ASSERT_TRUE(find_record(m, "online_pages [mem 0x100000000-0x107ffffff] failed", &r) >= 0);
	ASSERT_EQ(r.level, MEMHP_KERN_DEBUG);
}

static void a_failed_isolation_dumps_the_unmovable_page_at_kern_warning(void)
{
	struct memhp_printk_record r;
	struct memhp_config cfg;
	struct memhp_machine *m;

	tm_config(&cfg);
	memhp_config_init(&cfg, 4 * MEMHP_GiB);
	cfg.phys_size = 64 * MEMHP_GiB;
	cfg.check_after_ops = true;
	m = tm_create(&cfg);
	ASSERT_TRUE(m);
	/* The boot memmap is at the top of RAM: memory47. */
	ASSERT_ERR(memhp_store_state(m, 47, "offline", 7, false), -EBUSY);
	ASSERT_OK(memhp_printk_read(m, memhp_printk_next_seq(m) - 2, &r));
	/* dump_page() prints with pr_warn(). */
	ASSERT_TRUE(strstr(r.text, ": unmovable page") != NULL);
	ASSERT_EQ(r.level, MEMHP_KERN_WARNING);
	ASSERT_OK(memhp_printk_read(m, r.seq + 1, &r));
	ASSERT_STREQ(r.text, "memory offlining [mem 0x178000000-0x17fffffff] failed due to "
			     "failure to isolate range");
	ASSERT_EQ(r.level, MEMHP_KERN_DEBUG);
}

static void removing_an_online_block_logs_a_kern_warning(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_printk_record r;

	ASSERT_TRUE(m);
	ASSERT_OK(tm_add_blocks(m, HOT, 1));
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	ASSERT_ERR(memhp_remove_memory(m, HOT, 128 * MEMHP_MiB), -EBUSY);
	ASSERT_TRUE(find_record(m,
				"removing memory fails, because memory [0x100000000-0x107ffffff] "
				"is onlined",
				&r) >= 0);
	ASSERT_EQ(r.level, MEMHP_KERN_WARNING);
}

static void adding_a_misaligned_range_logs_a_kern_err(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_printk_record r;

	ASSERT_TRUE(m);
	ASSERT_ERR(memhp_add_memory(m, 0, HOT, 64 * MEMHP_MiB, 0), -EINVAL);
	ASSERT_TRUE(
		find_record(m,
			    "Block size [0x8000000] unaligned hotplug range: start 0x100000000, "
			    "size 0x4000000",
			    &r) >= 0);
	ASSERT_EQ(r.level, MEMHP_KERN_ERR);
}

static void the_first_block_of_a_zone_rebuilds_the_zonelists_and_says_so(void)
{
	const char *built = "Built 1 zonelists, mobility grouping on.  Total pages: ";
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_printk_record r;
	struct memhp_meminfo mi;
	char want[128];

	unsigned long highs = 0;

	ASSERT_TRUE(m);
	ASSERT_OK(tm_add_blocks(m, HOT, 2));
	/* Total pages: nr_free_zone_pages(), the managed pages above each
	 * zone's high watermark as it was before the online (Linux, case g:
	 * 245295 for 1 GiB, maxmem 16 GiB and the first Movable block). */
	for (int z = 0; z < MEMHP_NR_ZONES; z++)
		highs += memhp_zone_watermark(m, 0, (enum memhp_zone_type)z, MEMHP_WMARK_HIGH);
	ASSERT_GT(highs, 0);
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	memhp_meminfo(m, &mi);
	snprintf(want, sizeof(want), "%s%lu", built, mi.total_pages - highs);
	ASSERT_TRUE(find_record(m, want, &r) >= 0);
	ASSERT_EQ(r.level, MEMHP_KERN_INFO);
	/* Nothing above DMA32 has memory: ZONE_MOVABLE never counts. */
	ASSERT_TRUE(find_record(m, "Policy zone: DMA32", NULL) >= 0);
	/* ZONE_MOVABLE is populated now: no rebuild for the second block. */
	ASSERT_OK(memhp_block_online(m, B0 + 1, MEMHP_MMOP_ONLINE_MOVABLE));
	ASSERT_EQ(count_records(m, "Policy zone: DMA32"), 1);
	/* The zone empties: rebuilt again. */
	ASSERT_OK(memhp_block_offline(m, B0 + 1));
	ASSERT_EQ(count_records(m, "Policy zone: DMA32"), 1);
	ASSERT_OK(memhp_block_offline(m, B0));
	ASSERT_EQ(count_records(m, "Policy zone: DMA32"), 2);
}

static void findings_are_logged_at_kern_err_with_the_memhp_prefix(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_printk_record r;

	ASSERT_TRUE(m);
	tm_expect_violations(m, MEMHP_RULE_SCENARIO);
	memhp_report_named(m, 0x1234, "test-rule", "what %s", "happened");
	memhp_report_named(m, MEMHP_NO_PFN, "test-rule", "no page");
	ASSERT_TRUE(find_record(m, "memhp: test-rule at pfn 0x1234: what happened", &r) >= 0);
	ASSERT_EQ(r.level, MEMHP_KERN_ERR);
	ASSERT_EQ(r.facility, MEMHP_LOG_KERN);
	ASSERT_TRUE(find_record(m, "memhp: test-rule: no page", &r) >= 0);
	ASSERT_EQ(r.level, MEMHP_KERN_ERR);
}

static void a_bad_page_is_logged_at_kern_alert_as_bad_page_does(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_printk_record r;
	struct memhp_page *p;
	char want[96];

	ASSERT_TRUE(m);
	tm_expect_violations(m, MEMHP_RULE_BAD_PAGE);
	p = memhp_alloc_pages(m, MEMHP_GFP_KERNEL, 0);
	ASSERT_TRUE(p);
	ASSERT_OK(memhp_SetPageOffline(p));
	memhp_put_page(p);
	ASSERT_OK(memhp_printk_read(m, memhp_printk_next_seq(m) - 2, &r));
	snprintf(want, sizeof(want), "  pfn:%05lx", memhp_page_to_pfn(p));
	ASSERT_TRUE(!strncmp(r.text, "BUG: Bad page state in process ", 31));
	ASSERT_TRUE(strstr(r.text, want) != NULL);
	ASSERT_EQ(r.level, MEMHP_KERN_ALERT);
	/* Then the finding itself. */
	ASSERT_OK(memhp_printk_read(m, r.seq + 1, &r));
	ASSERT_TRUE(!strncmp(r.text, "memhp: bad-page at pfn ", 23));
}

struct messages {
	char lines[8][MEMHP_LOG_LINE_MAX];
	int n;
};

static void collect_messages(struct memhp_machine *m, const struct memhp_event *ev, void *priv)
{
	struct messages *msgs = priv;

	(void)m;
	if (msgs->n < 8 && strstr(ev->printk.text, "Offlined"))
		snprintf(msgs->lines[msgs->n++], sizeof(msgs->lines[0]), "%s", ev->printk.text);
}

static void tracers_still_see_the_core_lines_as_messages(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct messages msgs = { .n = 0 };
	AUTO_REG sub = { 0 };

	ASSERT_TRUE(m);
	ASSERT_OK(tm_add_blocks(m, HOT, 1));
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	ASSERT_OK(tm_event_subscribe(&sub, m, MEMHP_EVENT_BIT(MEMHP_TP_PRINTK), collect_messages,
				     &msgs));
	ASSERT_OK(memhp_block_offline(m, B0));
	tm_unregister(&sub);
	ASSERT_EQ(msgs.n, 1);
	ASSERT_STREQ(msgs.lines[0], "Offlined Pages 32768");
}

static void printk_of_drivers_goes_to_the_ring_only(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct messages msgs = { .n = 0 };
	AUTO_REG sub = { 0 };

	ASSERT_TRUE(m);
	ASSERT_OK(tm_event_subscribe(&sub, m, MEMHP_EVENT_BIT(MEMHP_TP_PRINTK), collect_messages,
				     &msgs));
	memhp_printk(m, MEMHP_KERN_INFO, "Offlined nothing");
	tm_unregister(&sub);
	ASSERT_EQ(msgs.n, 0);
	ASSERT_TRUE(find_record(m, "Offlined nothing", NULL) >= 0);
}

/* ---- Drivers ------------------------------------------------------------------------ */

static void dev_printk_prefixes_the_device_and_adds_its_dictionary(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_printk_record r;
	char buf[MEMHP_KMSG_RECORD_MAX];
	size_t len;

	ASSERT_TRUE(m);
	ASSERT_EQ(memhp_dev_printk(m, MEMHP_KERN_INFO, "virtio_mem", "virtio", "virtio7",
				   "plugged size: 0x%x", 0),
		  sizeof("virtio_mem virtio7: plugged size: 0x0") - 1);
	ASSERT_OK(memhp_printk_read(m, memhp_printk_next_seq(m) - 1, &r));
	ASSERT_STREQ(r.text, "virtio_mem virtio7: plugged size: 0x0");
	len = memhp_kmsg_format(&r, buf, sizeof(buf));
	buf[len] = '\0';
	ASSERT_TRUE(strstr(buf, ";virtio_mem virtio7: plugged size: 0x0\n"
				" SUBSYSTEM=virtio\n DEVICE=+virtio:virtio7\n") != NULL);
}

static void virtio_mem_logs_its_probe_and_config_as_6_1s_dev_info(void)
{
	struct memhp_config cfg;
	struct memhp_vmem_dev_config dc = {
		.id = "vm0",
		.addr = HOT,
		.region_size = 4 * MEMHP_GiB,
		.block_size = 2 * MEMHP_MiB,
		.requested_size = 256 * MEMHP_MiB,
	};
	struct memhp_vmem_drv_params p;
	struct memhp_vmem_dev *dev;
	struct memhp_vmem_drv *drv;
	struct memhp_machine *m;
	struct memhp_printk_record r;
	char name[32], line[128];
	const char *const lines[] = {
		"start address: 0x100000000",
		"region size: 0x100000000",
		"device block size: 0x200000",
		"nid: 0",
		"memory block size: 0x8000000",
		"subblock size: 0x200000",
		"plugged size: 0x0",
		"requested size: 0x10000000",
	};

	tm_config(&cfg);
	m = tm_create(&cfg);
	ASSERT_TRUE(m);
	/* Removing the driver with memory still added warns, as in 6.1. */
	tm_expect_violations(m, MEMHP_RULE_VIRTIO_MEM_MEMORY_LEFT);
	ASSERT_OK(memhp_vmem_dev_create(m, &dc, &dev));
	memhp_vmem_drv_params_init(&p);
	p.sync = true;
	ASSERT_OK(memhp_vmem_drv_probe(m, dev, &p, &drv));
	memhp_vmem_drv_process(drv);
	/* The name the driver got (virtioN, numbered across the process):
	 * from its first line. */
	name[0] = '\0';
	for (uint64_t seq = 0; !memhp_printk_read(m, seq, &r); seq = r.seq + 1)
		if (sscanf(r.text, "virtio_mem %31[^:]: start address", name) == 1)
			break;
	ASSERT_TRUE(!strncmp(name, "virtio", 6));
	for (size_t i = 0; i < ARRAY_SIZE_T(lines); i++) {
		snprintf(line, sizeof(line), "virtio_mem %s: %s", name, lines[i]);
		if (!EXPECT_TRUE(find_record(m, line, &r) >= 0))
			test_fail(__FILE__, __LINE__, "no \"%s\"", line);
		EXPECT_EQ(r.level, MEMHP_KERN_INFO);
	}
	memhp_vmem_drv_remove(drv);
	memhp_vmem_dev_destroy(dev);
}

static void the_xen_balloon_logs_its_initialisation_as_balloon_init_does(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_printk_record r;
	struct memhp_balloon *b;

	ASSERT_TRUE(m);
	ASSERT_OK(memhp_balloon_create(m, MEMHP_BALLOON_VIRTIO, &b));
	memhp_balloon_destroy(b);
	ASSERT_EQ(find_record(m, "xen:balloon: Initialising balloon driver", NULL), -1);
	ASSERT_OK(memhp_balloon_create(m, MEMHP_BALLOON_XEN, &b));
	memhp_balloon_destroy(b);
	ASSERT_TRUE(find_record(m, "xen:balloon: Initialising balloon driver", &r) >= 0);
	ASSERT_EQ(r.level, MEMHP_KERN_INFO);
}

/* ---- /dev/kmsg ------------------------------------------------------------------------ */

static struct memhp_kmsg *kmsg_open(struct memhp_machine *m)
{
	struct memhp_kmsg *k;

	if (memhp_kmsg_open(m, &k))
		return NULL;
	tm_defer((void (*)(void *))memhp_kmsg_close, k);
	return k;
}

static void kmsg_read_returns_one_record_as_prefix_seq_usec_flags_text(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_kmsg *k = m ? kmsg_open(m) : NULL;
	struct memhp_printk_record r;
	char buf[MEMHP_KMSG_RECORD_MAX], want[128];
	uint64_t seq;
	ssize_t n;

	ASSERT_TRUE(k);
	ASSERT_OK(memhp_kmsg_llseek(k, 0, SEEK_END));
	seq = memhp_printk_next_seq(m);
	memhp_printk(m, MEMHP_KERN_ERR, "first");
	memhp_printk(m, MEMHP_KERN_INFO, "second");
	ASSERT_OK(memhp_printk_read(m, seq, &r));
	n = memhp_kmsg_read(k, buf, sizeof(buf), true, NULL);
	snprintf(want, sizeof(want), "3,%llu,%llu,-;first\n", (unsigned long long)seq,
		 (unsigned long long)r.ts_usec);
	ASSERT_EQ(n, strlen(want));
	buf[n] = '\0';
	ASSERT_STREQ(buf, want);
	/* Exactly one record per read. */
	n = memhp_kmsg_read(k, buf, sizeof(buf), true, NULL);
	ASSERT_GT(n, 0);
	buf[n] = '\0';
	ASSERT_TRUE(!strncmp(buf, "6,", 2) && strstr(buf, ",-;second\n") && buf[n - 1] == '\n' &&
		    !memchr(buf, '\n', (size_t)n - 1));
	ASSERT_ERR(memhp_kmsg_read(k, buf, sizeof(buf), true, NULL), -EAGAIN);
}

static void kmsg_escapes_control_bytes_the_backslash_and_bytes_from_127(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_kmsg *k = m ? kmsg_open(m) : NULL;
	char buf[MEMHP_KMSG_RECORD_MAX];
	ssize_t n;

	ASSERT_TRUE(k);
	ASSERT_OK(memhp_kmsg_llseek(k, 0, SEEK_END));
	memhp_printk(m, MEMHP_KERN_INFO, "a\tb\\c\x7f\xe9 d\ne");
	n = memhp_kmsg_read(k, buf, sizeof(buf), true, NULL);
	ASSERT_GT(n, 0);
	buf[n] = '\0';
	ASSERT_TRUE(strstr(buf, ";a\\x09b\\x5cc\\x7f\\xe9 d\\x0ae\n") != NULL);
}

static void kmsg_read_into_a_short_buffer_is_einval_and_skips_the_record(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_kmsg *k = m ? kmsg_open(m) : NULL;
	char buf[MEMHP_KMSG_RECORD_MAX];
	ssize_t n;

	ASSERT_TRUE(k);
	ASSERT_OK(memhp_kmsg_llseek(k, 0, SEEK_END));
	memhp_printk(m, MEMHP_KERN_INFO, "a record longer than ten bytes");
	memhp_printk(m, MEMHP_KERN_INFO, "next");
	ASSERT_ERR(memhp_kmsg_read(k, buf, 10, true, NULL), -EINVAL);
	n = memhp_kmsg_read(k, buf, sizeof(buf), true, NULL);
	ASSERT_GT(n, 0);
	buf[n] = '\0';
	ASSERT_TRUE(strstr(buf, ";next\n") != NULL);
}

/* Fill the ring until @seq is gone. */
static void overwrite(struct memhp_machine *m, uint64_t seq)
{
	char text[200];

	memset(text, 'o', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	while (memhp_printk_first_seq(m) <= seq)
		memhp_printk(m, MEMHP_KERN_DEBUG, "%s", text);
}

static void kmsg_reader_overtaken_by_the_ring_gets_epipe_once_then_the_oldest(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_kmsg *k = m ? kmsg_open(m) : NULL;
	char buf[MEMHP_KMSG_RECORD_MAX], want[32];
	struct memhp_printk_record r;
	ssize_t n;

	ASSERT_TRUE(k);
	ASSERT_EQ(memhp_kmsg_poll(k), POLLIN | POLLRDNORM);
	overwrite(m, 0);
	ASSERT_EQ(memhp_kmsg_poll(k), POLLIN | POLLRDNORM | POLLERR | POLLPRI);
	ASSERT_ERR(memhp_kmsg_read(k, buf, sizeof(buf), true, NULL), -EPIPE);
	ASSERT_EQ(memhp_kmsg_poll(k), POLLIN | POLLRDNORM);
	n = memhp_kmsg_read(k, buf, sizeof(buf), true, NULL);
	ASSERT_GT(n, 0);
	ASSERT_OK(memhp_printk_read(m, memhp_printk_first_seq(m), &r));
	snprintf(want, sizeof(want), "%u,%llu,", r.level, (unsigned long long)r.seq);
	ASSERT_TRUE(!strncmp(buf, want, strlen(want)));
}

static void the_ring_holds_its_buffer_of_text_and_drops_the_oldest_first(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_printk_record r;
	uint64_t first, next, kept;

	ASSERT_TRUE(m);
	overwrite(m, 1000);
	first = memhp_printk_first_seq(m);
	next = memhp_printk_next_seq(m);
	kept = next - first;
	/* 199 bytes of text and a word of header, rounded to a word: 208
	 * bytes each; a wasted tail at the wrap may cost one record. */
	ASSERT_TRUE(kept * 208 <= MEMHP_LOG_BUF_LEN);
	ASSERT_TRUE((kept + 2) * 208 > MEMHP_LOG_BUF_LEN);
	/* A dropped record reads as the oldest one kept. */
	ASSERT_OK(memhp_printk_read(m, first - 1, &r));
	ASSERT_EQ(r.seq, first);
	ASSERT_EQ(r.text_len, 199);
}

static void the_ring_keeps_at_most_one_descriptor_per_32_bytes(void)
{
	struct memhp_machine *m = tm_create(NULL);

	ASSERT_TRUE(m);
	for (unsigned int i = 0; i < MEMHP_LOG_DESCS + 100; i++)
		memhp_printk(m, MEMHP_KERN_DEBUG, "%s", "");
	ASSERT_EQ(memhp_printk_next_seq(m) - memhp_printk_first_seq(m), MEMHP_LOG_DESCS);
}

static void kmsg_seek_set_data_and_end_move_the_reader(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_kmsg *k = m ? kmsg_open(m) : NULL;
	char buf[MEMHP_KMSG_RECORD_MAX];
	ssize_t n;

	ASSERT_TRUE(k);
	ASSERT_ERR(memhp_kmsg_llseek(k, 1, SEEK_SET), -ESPIPE);
	ASSERT_ERR(memhp_kmsg_llseek(k, 0, SEEK_CUR), -EINVAL);
	/* Nothing cleared yet: SEEK_DATA is the first record. */
	ASSERT_OK(memhp_kmsg_llseek(k, 0, SEEK_DATA));
	n = memhp_kmsg_read(k, buf, sizeof(buf), true, NULL);
	ASSERT_TRUE(n > 0 && !strncmp(buf, "6,0,", 4));
	memhp_printk(m, MEMHP_KERN_INFO, "before clear");
	memhp_printk_clear(m);
	memhp_printk(m, MEMHP_KERN_INFO, "after clear");
	ASSERT_OK(memhp_kmsg_llseek(k, 0, SEEK_DATA));
	n = memhp_kmsg_read(k, buf, sizeof(buf), true, NULL);
	ASSERT_GT(n, 0);
	buf[n] = '\0';
	ASSERT_TRUE(strstr(buf, ";after clear\n") != NULL);
	/* Clearing deletes nothing: SEEK_SET still finds the first record. */
	ASSERT_OK(memhp_kmsg_llseek(k, 0, SEEK_SET));
	n = memhp_kmsg_read(k, buf, sizeof(buf), true, NULL);
	ASSERT_TRUE(n > 0 && !strncmp(buf, "6,0,", 4));
	ASSERT_OK(memhp_kmsg_llseek(k, 0, SEEK_END));
	ASSERT_EQ(memhp_kmsg_poll(k), 0);
	ASSERT_ERR(memhp_kmsg_read(k, buf, sizeof(buf), true, NULL), -EAGAIN);
}

static void kmsg_write_takes_a_syslog_prefix_and_is_user_facility_otherwise(void)
{
	static const struct {
		const char *in;
		const char *text;
		int facility, level;
	} cases[] = {
		{ "plain\n", "plain", MEMHP_LOG_USER, MEMHP_KERN_WARNING },
		{ "<3>an error", "an error", MEMHP_LOG_USER, MEMHP_KERN_ERR },
		{ "<14>user info", "user info", MEMHP_LOG_USER, MEMHP_KERN_INFO },
		{ "<30>daemon", "daemon", 3, MEMHP_KERN_INFO },
		{ "<>empty prefix", "empty prefix", MEMHP_LOG_USER, MEMHP_KERN_EMERG },
		{ "<1x>not a prefix", "<1x>not a prefix", MEMHP_LOG_USER, MEMHP_KERN_WARNING },
		{ "< 1>not either", "< 1>not either", MEMHP_LOG_USER, MEMHP_KERN_WARNING },
	};
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_printk_record r;
	char big[MEMHP_LOG_LINE_MAX + 1];

	ASSERT_TRUE(m);
	for (size_t i = 0; i < ARRAY_SIZE_T(cases); i++) {
		size_t len = strlen(cases[i].in);

		ASSERT_EQ(memhp_kmsg_write(m, cases[i].in, len), len);
		ASSERT_OK(memhp_printk_read(m, memhp_printk_next_seq(m) - 1, &r));
		ASSERT_STREQ(r.text, cases[i].text);
		ASSERT_EQ(r.facility, cases[i].facility);
		ASSERT_EQ(r.level, cases[i].level);
	}
	/* The text stops at a NUL; the whole write counts. */
	ASSERT_EQ(memhp_kmsg_write(m, "<6>ab\0cd", 8), 8);
	ASSERT_OK(memhp_printk_read(m, memhp_printk_next_seq(m) - 1, &r));
	ASSERT_STREQ(r.text, "ab");
	memset(big, 'b', sizeof(big));
	ASSERT_ERR(memhp_kmsg_write(m, big, MEMHP_LOG_LINE_MAX + 1), -EINVAL);
	ASSERT_EQ(memhp_kmsg_write(m, big, MEMHP_LOG_LINE_MAX), MEMHP_LOG_LINE_MAX);
	ASSERT_OK(memhp_printk_read(m, memhp_printk_next_seq(m) - 1, &r));
	ASSERT_EQ(r.text_len, MEMHP_LOG_LINE_MAX - 1);
}

struct blocked_reader {
	struct memhp_kmsg *k;
	struct memhp_printk_waiter *w;
	char buf[MEMHP_KMSG_RECORD_MAX];
	ssize_t ret;
};

static void *blocked_read(void *arg)
{
	struct blocked_reader *br = arg;

	br->ret = memhp_kmsg_read(br->k, br->buf, sizeof(br->buf), false, br->w);
	return NULL;
}

static void a_blocking_reader_wakes_for_the_next_record(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_kmsg *k = m ? kmsg_open(m) : NULL;
	struct blocked_reader br = { .k = k };
	pthread_t t;

	ASSERT_TRUE(k);
	ASSERT_OK(memhp_kmsg_llseek(k, 0, SEEK_END));
	ASSERT_OK(pthread_create(&t, NULL, blocked_read, &br));
	memhp_printk(m, MEMHP_KERN_INFO, "wake up");
	pthread_join(t, NULL);
	ASSERT_GT(br.ret, 0);
	br.buf[br.ret] = '\0';
	ASSERT_TRUE(strstr(br.buf, ";wake up\n") != NULL);
}

static void an_interrupted_reader_gives_up_with_eintr(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_kmsg *k = m ? kmsg_open(m) : NULL;
	struct blocked_reader br = { .k = k };
	pthread_t t;

	ASSERT_TRUE(k);
	br.w = memhp_printk_waiter_new(m);
	ASSERT_TRUE(br.w);
	tm_defer((void (*)(void *))memhp_printk_waiter_free, br.w);
	ASSERT_OK(memhp_kmsg_llseek(k, 0, SEEK_END));
	ASSERT_OK(pthread_create(&t, NULL, blocked_read, &br));
	memhp_printk_waiter_interrupt(br.w);
	pthread_join(t, NULL);
	ASSERT_ERR(br.ret, -EINTR);
	/* The interrupt is final for its waiter; the record is still there
	 * for the next read. */
	memhp_printk(m, MEMHP_KERN_INFO, "later");
	ASSERT_ERR(memhp_printk_wait(m, memhp_printk_next_seq(m), br.w), -EINTR);
	ASSERT_GT(memhp_kmsg_read(k, br.buf, sizeof(br.buf), false, NULL), 0);
}

#define WRITERS 4
#define WRITES 500

static void *write_lines(void *arg)
{
	struct memhp_machine *m = arg;

	for (int i = 0; i < WRITES; i++)
		memhp_printk(m, MEMHP_KERN_INFO, "line %d", i);
	return NULL;
}

static void concurrent_printks_get_consecutive_seqs_and_a_reader_sees_each_once(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_kmsg *k = m ? kmsg_open(m) : NULL;
	char buf[MEMHP_KMSG_RECORD_MAX];
	pthread_t t[WRITERS];
	uint64_t start;
	unsigned int seen = 0;

	ASSERT_TRUE(k);
	ASSERT_OK(memhp_kmsg_llseek(k, 0, SEEK_END));
	start = memhp_printk_next_seq(m);
	for (int i = 0; i < WRITERS; i++)
		ASSERT_OK(pthread_create(&t[i], NULL, write_lines, m));
	/* The reader runs alongside and blocks when it catches up. */
	while (seen < WRITERS * WRITES) {
		ssize_t n = memhp_kmsg_read(k, buf, sizeof(buf), false, NULL);

		ASSERT_GT(n, 0);
		seen++;
	}
	for (int i = 0; i < WRITERS; i++)
		pthread_join(t[i], NULL);
	ASSERT_EQ(memhp_printk_next_seq(m) - start, WRITERS * WRITES);
	ASSERT_ERR(memhp_kmsg_read(k, buf, sizeof(buf), true, NULL), -EAGAIN);
}

RUN_TESTS(T(records_are_numbered_from_0_and_read_by_seq),
	  T(printk_levels_are_0_to_7_and_the_default_is_kern_warning),
	  T(one_trailing_newline_is_dropped_and_long_lines_are_cut),
	  T(timestamps_count_microseconds_from_creation_and_never_go_back),
	  T(the_boot_log_shows_the_zone_ranges_as_6_1_prints_them),
	  T(a_successful_offline_logs_offlined_pages_at_kern_debug),
	  T(a_failed_offline_logs_its_reason_at_kern_debug),
	  T(a_failed_online_logs_its_range_at_kern_debug),
	  T(a_failed_isolation_dumps_the_unmovable_page_at_kern_warning),
	  T(removing_an_online_block_logs_a_kern_warning),
	  T(adding_a_misaligned_range_logs_a_kern_err),
	  T(the_first_block_of_a_zone_rebuilds_the_zonelists_and_says_so),
	  T(findings_are_logged_at_kern_err_with_the_memhp_prefix),
	  T(a_bad_page_is_logged_at_kern_alert_as_bad_page_does),
	  T(tracers_still_see_the_core_lines_as_messages),
	  T(printk_of_drivers_goes_to_the_ring_only),
	  T(dev_printk_prefixes_the_device_and_adds_its_dictionary),
	  T(virtio_mem_logs_its_probe_and_config_as_6_1s_dev_info),
	  T(the_xen_balloon_logs_its_initialisation_as_balloon_init_does),
	  T(kmsg_read_returns_one_record_as_prefix_seq_usec_flags_text),
	  T(kmsg_escapes_control_bytes_the_backslash_and_bytes_from_127),
	  T(kmsg_read_into_a_short_buffer_is_einval_and_skips_the_record),
	  T(kmsg_reader_overtaken_by_the_ring_gets_epipe_once_then_the_oldest),
	  T(the_ring_holds_its_buffer_of_text_and_drops_the_oldest_first),
	  T(the_ring_keeps_at_most_one_descriptor_per_32_bytes),
	  T(kmsg_seek_set_data_and_end_move_the_reader),
	  T(kmsg_write_takes_a_syslog_prefix_and_is_user_facility_otherwise),
	  T(a_blocking_reader_wakes_for_the_next_record),
	  T(an_interrupted_reader_gives_up_with_eintr),
	  T(concurrent_printks_get_consecutive_seqs_and_a_reader_sees_each_once))
