// SPDX-License-Identifier: MIT
/*
 * test_virtio_mem_driver.c - the virtio-mem guest driver against the
 * virtio-mem device, both on one machine.
 *
 * The driver runs in sync mode: work runs when the test calls
 * memhp_vmem_drv_process(), and its retry timer fires when the test
 * advances the driver clock. Nothing sleeps.
 */
#include "harness.h"

#include <memhp/virtio_mem.h>
#include <memhp/virtio_mem_driver.h>
#include <unistd.h>

#define DEV_ADDR (4 * MEMHP_GiB)
#define DEV_SIZE (4 * MEMHP_GiB)
#define B0 32 /* the first memory block of the device region */
#define BLOCK (128 * MEMHP_MiB)

struct rig {
	struct memhp_machine *m;
	struct memhp_vmem_dev *dev;
	struct memhp_vmem_drv *drv;
};

static void rig_down(struct rig *r);

/* For the next rig_up(): memory_hotplug.memmap_on_memory, and the driver's
 * force_bbm parameter. */
static bool rig_memmap_on_memory, rig_force_bbm;

static bool drv_broken(struct memhp_vmem_drv *drv)
{
	struct memhp_vmem_drv_info info;

	memhp_vmem_drv_info(drv, &info);
	return info.broken;
}

static void rig_down_deferred(void *arg)
{
	rig_down(arg);
}

static bool rig_up(struct rig *r, enum memhp_online_type auto_online, enum memhp_protocol proto,
		   uint64_t device_block)
{
	struct memhp_config cfg;
	struct memhp_vmem_dev_config dc = {
		.id = "vm0",
		.addr = DEV_ADDR,
		.region_size = DEV_SIZE,
		.block_size = device_block,
	};
	struct memhp_vmem_drv_params p;

	tm_config(&cfg);
	cfg.auto_online_blocks = auto_online;
	cfg.protocol = proto;
	cfg.memmap_on_memory = rig_memmap_on_memory;
	r->dev = NULL;
	r->drv = NULL;
	r->m = tm_create(&cfg);
	if (!r->m)
		return false;
	tm_defer(rig_down_deferred, r);
	/* Removing the driver with memory still added warns, as in 6.1. */
	tm_expect_violations(r->m, MEMHP_RULE_VIRTIO_MEM_MEMORY_LEFT);
	if (memhp_vmem_dev_create(r->m, &dc, &r->dev))
		return false;
	memhp_vmem_drv_params_init(&p);
	p.sync = true;
	p.force_bbm = rig_force_bbm;
	if (memhp_vmem_drv_probe(r->m, r->dev, &p, &r->drv))
		return false;
	memhp_vmem_drv_process(r->drv);
	return true;
}

static void rig_down(struct rig *r)
{
	/* Whatever the test did, driver, device and memmap must agree. */
	if (r->drv && !drv_broken(r->drv))
		EXPECT_EQ(memhp_vmem_drv_check(r->drv), 0);
	memhp_vmem_drv_remove(r->drv);
	memhp_vmem_dev_destroy(r->dev);
	r->drv = NULL;
	r->dev = NULL;
}

static int resize(struct rig *r, uint64_t size)
{
	int rc = memhp_vmem_dev_set_requested_size(r->dev, size);

	/* The config-change interrupt comes from the device's thread. */
	memhp_vmem_dev_flush(r->dev);
	memhp_vmem_drv_process(r->drv);
	return rc;
}

static uint64_t dev_plugged(struct rig *r)
{
	struct memhp_virtio_mem_config c;

	memhp_vmem_dev_read_config(r->dev, &c);
	return c.plugged_size;
}

static unsigned long plugged_device_blocks(struct rig *r)
{
	unsigned long n = 0;

	for (uint64_t i = 0; i < memhp_vmem_dev_nr_blocks(r->dev); i++)
		n += memhp_vmem_dev_block_plugged(r->dev, i);
	return n;
}

static unsigned long memtotal(struct memhp_machine *m)
{
	struct memhp_meminfo mi;

	memhp_meminfo(m, &mi);
	return mi.total_pages;
}

/* ---- Plugging ------------------------------------------------------------------------ */

static void plugging_1g_with_2m_blocks_uses_sbm_and_onlines_per_auto_online_blocks(void)
{
	static struct rig r; /* rig_down() runs after the test returns */
	struct memhp_vmem_drv_info info;
	struct memhp_block_info bi;
	unsigned long total0;

	ASSERT_TRUE(rig_up(&r, MEMHP_MMOP_ONLINE_MOVABLE, MEMHP_PROTOCOL_6_1, 0));
	total0 = memtotal(r.m);
	ASSERT_OK(resize(&r, 1 * MEMHP_GiB));

	memhp_vmem_drv_info(r.drv, &info);
	ASSERT_TRUE(info.sbm);
	ASSERT_EQ(info.sb_size, 2 * MEMHP_MiB);
	ASSERT_EQ(info.plugged_size, 1 * MEMHP_GiB);
	ASSERT_EQ(dev_plugged(&r), 1 * MEMHP_GiB);
	ASSERT_EQ(plugged_device_blocks(&r), 512);
	ASSERT_EQ(info.count[MEMHP_VMEM_SBM_MOVABLE], 8);
	for (int i = 0; i < 8; i++) {
		ASSERT_OK(memhp_block_info(r.m, B0 + i, &bi));
		ASSERT_EQ(bi.state, MEMHP_MEM_ONLINE);
		ASSERT_EQ(bi.zone, MEMHP_ZONE_MOVABLE);
	}
	ASSERT_ERR(memhp_block_info(r.m, B0 + 8, &bi), -ENODEV);
	ASSERT_EQ(memtotal(r.m) - total0, 1 * MEMHP_GiB / MEMHP_PAGE_SIZE);
	ASSERT_EQ(info.last_rc, 0);
}

static void a_partial_plug_fills_a_block_from_its_first_sub_block(void)
{
	static struct rig r; /* rig_down() runs after the test returns */
	struct memhp_vmem_drv_info info;
	const unsigned long pfn = B0 * (BLOCK / MEMHP_PAGE_SIZE);

	ASSERT_TRUE(rig_up(&r, MEMHP_MMOP_ONLINE_MOVABLE, MEMHP_PROTOCOL_6_1, 0));
	ASSERT_OK(resize(&r, 64 * MEMHP_MiB));
	memhp_vmem_drv_info(r.drv, &info);
	ASSERT_EQ(info.count[MEMHP_VMEM_SBM_MOVABLE_PARTIAL], 1);
	ASSERT_TRUE(memhp_vmem_dev_block_plugged(r.dev, 0));
	ASSERT_TRUE(memhp_vmem_dev_block_plugged(r.dev, 31));
	ASSERT_TRUE(!memhp_vmem_dev_block_plugged(r.dev, 32));
	/* The unplugged half is fake-offline: PageOffline, refcount 1. */
	{
		struct memhp_page *p = memhp_pfn_to_online_page(r.m, pfn + 32 * 512);

		ASSERT_TRUE(p && memhp_PageOffline(p) && memhp_page_count(p) == 1 &&
			    !memhp_PageReserved(p));
		ASSERT_TRUE(!memhp_PageOffline(memhp_pfn_to_page(r.m, pfn)));
	}
	/* Growing fills the same block first. */
	ASSERT_OK(resize(&r, 128 * MEMHP_MiB));
	memhp_vmem_drv_info(r.drv, &info);
	ASSERT_EQ(info.count[MEMHP_VMEM_SBM_MOVABLE], 1);
	ASSERT_EQ(info.count[MEMHP_VMEM_SBM_MOVABLE_PARTIAL], 0);
	ASSERT_TRUE(!memhp_PageOffline(memhp_pfn_to_page(r.m, pfn + 32 * 512)));
}

static void plugging_stops_at_the_offline_threshold_until_memory_is_onlined(void)
{
	static struct rig r; /* rig_down() runs after the test returns */
	struct memhp_vmem_drv_info info;

	ASSERT_TRUE(rig_up(&r, MEMHP_MMOP_OFFLINE, MEMHP_PROTOCOL_6_1, 0));
	ASSERT_OK(resize(&r, 2 * MEMHP_GiB));
	memhp_vmem_drv_info(r.drv, &info);
	/* 1 GiB of offline memory is the threshold. */
	ASSERT_EQ(info.plugged_size, 1 * MEMHP_GiB);
	ASSERT_EQ(info.last_rc, -ENOSPC);
	ASSERT_TRUE(!info.timer_armed);
	ASSERT_EQ(info.count[MEMHP_VMEM_SBM_OFFLINE], 8);
	/* User space onlines four blocks: half the threshold is free, the
	 * driver is kicked and goes on. */
	for (int i = 0; i < 4; i++)
		ASSERT_ERR(memhp_store_state(r.m, B0 + i, "online_movable", 14, false), 14);
	memhp_vmem_drv_process(r.drv);
	memhp_vmem_drv_info(r.drv, &info);
	ASSERT_EQ(info.plugged_size, 1 * MEMHP_GiB + 512 * MEMHP_MiB);
}

static void unplug_all_is_sent_at_probe_when_memory_is_still_plugged(void)
{
	struct memhp_config cfg;
	struct memhp_machine *m;
	struct memhp_vmem_dev *dev;
	struct memhp_vmem_drv *drv;
	struct memhp_vmem_dev_config dc = { .id = "vm0",
					    .addr = DEV_ADDR,
					    .region_size = DEV_SIZE,
					    .requested_size = 64 * MEMHP_MiB };
	struct memhp_virtio_mem_req req = { .type = MEMHP_VIRTIO_MEM_REQ_PLUG,
					    .addr = DEV_ADDR + 128 * MEMHP_MiB,
					    .nb_blocks = 16 };
	struct memhp_virtio_mem_resp resp;
	struct memhp_vmem_dev_stats st;
	struct memhp_vmem_drv_params p;

	tm_config(&cfg);
	cfg.auto_online_blocks = MEMHP_MMOP_ONLINE_MOVABLE;
	m = tm_create(&cfg);
	ASSERT_TRUE(m);
	tm_expect_violations(m, MEMHP_RULE_VIRTIO_MEM_MEMORY_LEFT);
	ASSERT_OK(memhp_vmem_dev_create(m, &dc, &dev));
	/* A previous kernel left 32 MiB plugged. */
	ASSERT_OK(memhp_vmem_dev_request(dev, &req, sizeof(req), &resp, sizeof(resp)));
	ASSERT_EQ(resp.type, MEMHP_VIRTIO_MEM_RESP_ACK);
	memhp_vmem_drv_params_init(&p);
	p.sync = true;
	ASSERT_OK(memhp_vmem_drv_probe(m, dev, &p, &drv));
	memhp_vmem_drv_process(drv);
	memhp_vmem_dev_stats(dev, &st);
	ASSERT_EQ(st.requests[MEMHP_VIRTIO_MEM_REQ_UNPLUG_ALL], 1);
	ASSERT_TRUE(!memhp_vmem_dev_block_plugged(dev, 64));
	ASSERT_TRUE(memhp_vmem_dev_block_plugged(dev, 0));
	{
		struct memhp_virtio_mem_config c;

		memhp_vmem_dev_read_config(dev, &c);
		ASSERT_EQ(c.plugged_size, 64 * MEMHP_MiB);
	}
	memhp_vmem_drv_remove(drv);
	memhp_vmem_dev_destroy(dev);
}

/* Can the host read this address? write(2) to a pipe copies from it and
 * says EFAULT instead of faulting. */
static bool host_readable(const void *addr)
{
	int fds[2];
	char c;
	bool ok;

	if (pipe(fds))
		return false;
	ok = write(fds[1], addr, 1) == 1;
	if (ok && read(fds[0], &c, 1) != 1)
		ok = false;
	close(fds[0]);
	close(fds[1]);
	return ok;
}

static void adding_memory_does_not_expose_unplugged_device_blocks(void)
{
	static struct rig r; /* rig_down() runs after the test returns */
	struct memhp_config cfg;
	struct memhp_vmem_dev_config dc = { .id = "vm0",
					    .addr = DEV_ADDR,
					    .region_size = DEV_SIZE,
					    .unplugged_inaccessible = true };
	struct memhp_vmem_drv_params p;
	const uint8_t *block;

	tm_config(&cfg);
	cfg.auto_online_blocks = MEMHP_MMOP_ONLINE_MOVABLE;
	r.m = tm_create(&cfg);
	ASSERT_TRUE(r.m);
	tm_defer(rig_down_deferred, &r);
	tm_expect_violations(r.m, MEMHP_RULE_VIRTIO_MEM_MEMORY_LEFT);
	ASSERT_OK(memhp_vmem_dev_create(r.m, &dc, &r.dev));
	memhp_vmem_drv_params_init(&p);
	p.sync = true;
	ASSERT_OK(memhp_vmem_drv_probe(r.m, r.dev, &p, &r.drv));
	ASSERT_OK(resize(&r, 64 * MEMHP_MiB));
	/* The guest added and onlined the whole memory block; the device
	 * still decides what the host maps. */
	block = (const uint8_t *)memhp_phys_base(r.m) + DEV_ADDR;
	ASSERT_TRUE(host_readable(block));
	ASSERT_TRUE(host_readable(block + 64 * MEMHP_MiB - 1));
	ASSERT_TRUE(!host_readable(block + 64 * MEMHP_MiB));
	ASSERT_TRUE(!host_readable(block + BLOCK - 1));
}

/* ---- Unplugging ---------------------------------------------------------------------------- */

static void unplug_migrates_movable_data_and_returns_host_memory(void)
{
	static struct rig r; /* rig_down() runs after the test returns */
	struct memhp_vmem_drv_info info;
	struct memhp_data *d;
	unsigned long verified, resident0, resident1;

	ASSERT_TRUE(rig_up(&r, MEMHP_MMOP_ONLINE_MOVABLE, MEMHP_PROTOCOL_6_1, 0));
	ASSERT_OK(resize(&r, 1 * MEMHP_GiB));
	ASSERT_OK(memhp_data_create(r.m, &d));
	/* 640 MiB of data in ZONE_MOVABLE, the device's memory: the lowest
	 * five blocks fill first, so unplugging the top four must move one. */
	ASSERT_EQ(memhp_data_alloc(d, 5 * BLOCK / MEMHP_PAGE_SIZE, 0), 5 * BLOCK / MEMHP_PAGE_SIZE);
	resident0 = memhp_host_resident(r.m, DEV_ADDR, DEV_SIZE);
	ASSERT_GT(resident0, 0);

	ASSERT_OK(resize(&r, 512 * MEMHP_MiB));

	memhp_vmem_drv_info(r.drv, &info);
	ASSERT_EQ(info.plugged_size, 512 * MEMHP_MiB);
	ASSERT_EQ(dev_plugged(&r), 512 * MEMHP_MiB);
	ASSERT_EQ(plugged_device_blocks(&r), 256);
	ASSERT_EQ(info.last_rc, 0);
	ASSERT_EQ(memhp_nr_blocks(r.m), 4 + 4); /* boot + what is left */
	ASSERT_EQ(memhp_data_verify(d, &verified), 0);
	ASSERT_EQ(verified, memhp_data_nr_pages(d));
	ASSERT_GT(memhp_data_nr_migrated(d), 0);
	resident1 = memhp_host_resident(r.m, DEV_ADDR, DEV_SIZE);
	ASSERT_TRUE(resident1 < resident0);
	/* Nothing of the unplugged upper half is still resident. */
	ASSERT_EQ(memhp_host_resident(r.m, DEV_ADDR + 512 * MEMHP_MiB, 512 * MEMHP_MiB), 0);
	memhp_data_destroy(d);
}

static void kernel_memory_in_zone_normal_stops_unplug_short_with_backoff(void)
{
	/* cloud-hypervisor #1884: requested 0, plugged stays above it. */
	static struct rig r; /* rig_down() runs after the test returns */
	struct memhp_vmem_drv_info info;
	struct memhp_kalloc *k;
	const uint64_t expected_periods[] = { 50000, 100000, 200000, 300000, 300000 };

	ASSERT_TRUE(rig_up(&r, MEMHP_MMOP_ONLINE_KERNEL, MEMHP_PROTOCOL_6_1, 0));
	ASSERT_OK(resize(&r, 512 * MEMHP_MiB));
	ASSERT_OK(memhp_kalloc_create(r.m, &k));
	/* Kernel allocations prefer ZONE_NORMAL: the device's memory. */
	ASSERT_GT(memhp_kalloc_alloc(k, 2 * BLOCK / MEMHP_PAGE_SIZE, MEMHP_GFP_KERNEL), 0);

	ASSERT_OK(resize(&r, 0));

	memhp_vmem_drv_info(r.drv, &info);
	ASSERT_EQ(info.last_rc, -EBUSY);
	ASSERT_GT(info.plugged_size, 0);
	ASSERT_TRUE(info.plugged_size < 512 * MEMHP_MiB); /* the free part went */
	ASSERT_TRUE(info.timer_armed);
	for (size_t i = 0; i < sizeof(expected_periods) / sizeof(expected_periods[0]); i++) {
		unsigned int runs;

		memhp_vmem_drv_info(r.drv, &info);
		ASSERT_EQ(info.timer_due_ms - info.now_ms, expected_periods[i]);
		memhp_vmem_drv_advance(r.drv, expected_periods[i] - 1);
		ASSERT_EQ(memhp_vmem_drv_process(r.drv), 0); /* not yet */
		memhp_vmem_drv_advance(r.drv, 1);
		runs = memhp_vmem_drv_process(r.drv);
		ASSERT_EQ(runs, 1);
	}
	memhp_kalloc_destroy(k);
	/* The kernel memory is gone: the next retry unplugs everything. */
	memhp_vmem_drv_info(r.drv, &info);
	memhp_vmem_drv_advance(r.drv, info.timer_due_ms - info.now_ms);
	memhp_vmem_drv_process(r.drv);
	memhp_vmem_drv_info(r.drv, &info);
	ASSERT_EQ(info.plugged_size, 0);
	ASSERT_EQ(info.retry_timer_ms, 50000);
}

static void device_busy_makes_the_driver_retry_later(void)
{
	static struct rig r; /* rig_down() runs after the test returns */
	struct memhp_vmem_drv_info info;

	ASSERT_TRUE(rig_up(&r, MEMHP_MMOP_ONLINE_MOVABLE, MEMHP_PROTOCOL_6_1, 0));
	memhp_vmem_dev_inject(r.dev, MEMHP_VMEM_FAULT_BUSY, 1);
	ASSERT_OK(resize(&r, 256 * MEMHP_MiB));
	memhp_vmem_drv_info(r.drv, &info);
	ASSERT_EQ(info.last_rc, -ETXTBSY);
	ASSERT_EQ(info.plugged_size, 0);
	ASSERT_TRUE(info.timer_armed);
	memhp_vmem_drv_advance(r.drv, MEMHP_VMEM_RETRY_TIMER_MIN_MS);
	memhp_vmem_drv_process(r.drv);
	memhp_vmem_drv_info(r.drv, &info);
	ASSERT_EQ(info.plugged_size, 256 * MEMHP_MiB);
	ASSERT_TRUE(!info.broken);
}

static void device_error_marks_the_driver_broken(void)
{
	static struct rig r; /* rig_down() runs after the test returns */
	struct memhp_vmem_drv_info info;
	unsigned int runs;

	ASSERT_TRUE(rig_up(&r, MEMHP_MMOP_ONLINE_MOVABLE, MEMHP_PROTOCOL_6_1, 0));
	tm_expect_violations(r.m, MEMHP_RULE_VIRTIO_MEM_BROKEN);
	memhp_vmem_dev_inject(r.dev, MEMHP_VMEM_FAULT_ERROR, 1);
	ASSERT_OK(resize(&r, 256 * MEMHP_MiB));
	memhp_vmem_drv_info(r.drv, &info);
	ASSERT_TRUE(info.broken);
	ASSERT_EQ(info.last_rc, -EINVAL);
	ASSERT_EQ(tm_violations(r.m, MEMHP_RULE_VIRTIO_MEM_BROKEN), 1);
	/* It never talks to the device again. */
	runs = info.runs;
	ASSERT_OK(resize(&r, 512 * MEMHP_MiB));
	memhp_vmem_drv_info(r.drv, &info);
	ASSERT_EQ(info.runs, runs);
	ASSERT_EQ(info.plugged_size, 0);
}

/* A request the device leaves unanswered fails with the device's errno, not
 * a made-up one, and is retried with the timer as Linux retries it. */
static void an_unanswered_request_is_eio_and_retried_with_backoff(void)
{
	static struct rig r; /* rig_down() runs after the test returns */
	uint8_t req[MEMHP_VIRTIO_MEM_REQ_SIZE] = { 0 }, resp[MEMHP_VIRTIO_MEM_RESP_SIZE];
	struct memhp_vmem_drv_info info;

	ASSERT_TRUE(rig_up(&r, MEMHP_MMOP_ONLINE_MOVABLE, MEMHP_PROTOCOL_6_1, 0));
	/* A malformed request breaks the device: nothing is answered until a
	 * reset. */
	ASSERT_ERR(memhp_vmem_dev_request(r.dev, req, sizeof(req) - 1, resp, sizeof(resp)), -EIO);
	ASSERT_OK(resize(&r, 256 * MEMHP_MiB));
	memhp_vmem_drv_info(r.drv, &info);
	ASSERT_EQ(info.last_rc, -EIO);
	ASSERT_TRUE(!info.broken);
	ASSERT_TRUE(info.timer_armed);
	ASSERT_EQ(info.plugged_size, 0);
	memhp_vmem_dev_reset(r.dev);
	memhp_vmem_drv_advance(r.drv, MEMHP_VMEM_RETRY_TIMER_MIN_MS);
	memhp_vmem_drv_process(r.drv);
	memhp_vmem_drv_info(r.drv, &info);
	ASSERT_EQ(info.last_rc, 0);
	ASSERT_EQ(info.plugged_size, 256 * MEMHP_MiB);
	ASSERT_EQ(dev_plugged(&r), 256 * MEMHP_MiB);
}

/* ---- Probe failures -------------------------------------------------------------------------- */

/* 6.1: memory left added by a removed driver keeps the region busy, and
 * reloading the driver fails ("could not reserve device region"). */
static void probing_again_with_memory_left_added_fails_ebusy(void)
{
	static struct rig r; /* rig_down() runs after the test returns */
	struct memhp_vmem_drv_params p;
	struct memhp_vmem_drv *drv;
	unsigned long total;

	ASSERT_TRUE(rig_up(&r, MEMHP_MMOP_ONLINE_MOVABLE, MEMHP_PROTOCOL_6_1, 0));
	total = memtotal(r.m);
	ASSERT_OK(resize(&r, 256 * MEMHP_MiB));
	memhp_vmem_drv_remove(r.drv);
	r.drv = NULL;
	memhp_vmem_drv_params_init(&p);
	p.sync = true;
	ASSERT_ERR(memhp_vmem_drv_probe(r.m, r.dev, &p, &drv), -EBUSY);
	ASSERT_TRUE(drv == NULL);
	/* The memory is still there, and still online. */
	ASSERT_EQ(memtotal(r.m), total + (256 * MEMHP_MiB >> MEMHP_PAGE_SHIFT));
}

static void count_region_claims(const struct memhp_resource *res, void *priv)
{
	unsigned int *n = priv;

	*n += res->start == DEV_ADDR && res->end == DEV_ADDR + DEV_SIZE - 1;
}

static unsigned int region_claims(struct memhp_machine *m)
{
	unsigned int n = 0;

	memhp_walk_iomem(m, count_region_claims, &n);
	return n;
}

/* A probe that fails after claiming the region (no memory group left)
 * releases it: once a group is free, the next probe succeeds. */
static void a_probe_failing_after_the_region_claim_releases_it(void)
{
	struct memhp_config cfg;
	struct memhp_machine *m;
	struct memhp_vmem_dev *dev;
	struct memhp_vmem_drv *drv;
	struct memhp_vmem_dev_config dc = { .id = "vm0",
					    .addr = DEV_ADDR,
					    .region_size = DEV_SIZE };
	struct memhp_vmem_drv_params p;
	int mgid, last = -1;

	tm_config(&cfg);
	m = tm_create(&cfg);
	ASSERT_TRUE(m);
	ASSERT_OK(memhp_vmem_dev_create(m, &dc, &dev));
	while ((mgid = memhp_memory_group_register_dynamic(m, 0, BLOCK >> MEMHP_PAGE_SHIFT)) >= 0)
		last = mgid;
	ASSERT_EQ(mgid, -ENOSPC);
	ASSERT_TRUE(last >= 0);
	memhp_vmem_drv_params_init(&p);
	p.sync = true;
	ASSERT_ERR(memhp_vmem_drv_probe(m, dev, &p, &drv), -ENOSPC);
	ASSERT_EQ(region_claims(m), 0);
	ASSERT_OK(memhp_memory_group_unregister(m, last));
	ASSERT_OK(memhp_vmem_drv_probe(m, dev, &p, &drv));
	ASSERT_EQ(region_claims(m), 1);
	memhp_vmem_drv_remove(drv);
	ASSERT_EQ(region_claims(m), 0);
	memhp_vmem_dev_destroy(dev);
}

/* ---- Offlining by hand --------------------------------------------------------------------- */

static bool unplugged_half_is(struct rig *r, bool offline, int refcount)
{
	const unsigned long pfn = B0 * (BLOCK / MEMHP_PAGE_SIZE) + 32 * 512;

	for (unsigned long i = 0; i < 32 * 512; i += 97) {
		struct memhp_page *p = memhp_pfn_to_online_page(r->m, pfn + i);

		if (!p || memhp_PageOffline(p) != offline ||
		    (refcount >= 0 && memhp_page_count(p) != refcount))
			return false;
	}
	return true;
}

static void offlining_a_partially_plugged_block_by_hand_succeeds_and_reonline_remarks(void)
{
	static struct rig r; /* rig_down() runs after the test returns */
	struct memhp_zone_info z0, z1;

	ASSERT_TRUE(rig_up(&r, MEMHP_MMOP_ONLINE_MOVABLE, MEMHP_PROTOCOL_6_1, 0));
	ASSERT_OK(resize(&r, 64 * MEMHP_MiB));
	memhp_zone_info(r.m, 0, MEMHP_ZONE_MOVABLE, &z0);
	ASSERT_ERR(memhp_store_state(r.m, B0, "offline", 7, false), 7);
	ASSERT_EQ(memhp_vmem_drv_block_state(r.drv, B0), MEMHP_VMEM_SBM_OFFLINE_PARTIAL);
	memhp_zone_info(r.m, 0, MEMHP_ZONE_MOVABLE, &z1);
	/* Only the plugged half was managed; only it left. */
	ASSERT_EQ(z0.managed_pages - z1.managed_pages, 32 * 512);
	ASSERT_ERR(memhp_store_state(r.m, B0, "online_movable", 14, false), 14);
	ASSERT_EQ(memhp_vmem_drv_block_state(r.drv, B0), MEMHP_VMEM_SBM_MOVABLE_PARTIAL);
	ASSERT_TRUE(unplugged_half_is(&r, true, 1));
}

static void a_later_veto_restores_the_fake_offline_references_and_managed_count(void)
{
	static struct rig r; /* rig_down() runs after the test returns */
	AUTO_EVENT_LOG veto = { .veto_on = MEMHP_MEM_GOING_OFFLINE,
				.veto_ret = memhp_notifier_from_errno(-ENOMEM) };
	struct memhp_zone_info z0, z1;

	ASSERT_TRUE(rig_up(&r, MEMHP_MMOP_ONLINE_MOVABLE, MEMHP_PROTOCOL_6_1, 0));
	ASSERT_OK(resize(&r, 64 * MEMHP_MiB));
	event_log_register(r.m, &veto, -10); /* after the driver dropped its refs */
	memhp_zone_info(r.m, 0, MEMHP_ZONE_MOVABLE, &z0);
	ASSERT_ERR(memhp_store_state(r.m, B0, "offline", 7, false), -ENOMEM);
	memhp_zone_info(r.m, 0, MEMHP_ZONE_MOVABLE, &z1);
	ASSERT_EQ(z1.managed_pages, z0.managed_pages);
	ASSERT_TRUE(unplugged_half_is(&r, true, 1));
	ASSERT_EQ(memhp_vmem_drv_block_state(r.drv, B0), MEMHP_VMEM_SBM_MOVABLE_PARTIAL);
	event_log_unregister(&veto);
}

static void onlining_a_block_the_driver_does_not_expect_is_denied(void)
{
	static struct rig r; /* rig_down() runs after the test returns */

	ASSERT_TRUE(rig_up(&r, MEMHP_MMOP_OFFLINE, MEMHP_PROTOCOL_6_1, 0));
	ASSERT_OK(resize(&r, 128 * MEMHP_MiB));
	ASSERT_ERR(memhp_store_state(r.m, B0, "online_movable", 14, false), 14);
	/* Someone else adds memory inside the device's region (the region is
	 * claimed but not busy, so that works, as in 6.1): onlining it is
	 * refused with NOTIFY_BAD, "memory block onlining denied". */
	ASSERT_OK(memhp_add_memory(r.m, 0, DEV_ADDR + 8 * BLOCK, BLOCK, 0));
	ASSERT_ERR(memhp_store_state(r.m, B0 + 8, "online", 6, false), -EPERM);
	ASSERT_OK(memhp_remove_memory(r.m, DEV_ADDR + 8 * BLOCK, BLOCK));
}

/* ---- Big Block Mode ------------------------------------------------------------------------- */

static void a_1g_device_block_selects_big_block_mode(void)
{
	static struct rig r; /* rig_down() runs after the test returns */
	struct memhp_vmem_drv_info info;
	struct memhp_data *d;

	ASSERT_TRUE(rig_up(&r, MEMHP_MMOP_ONLINE_MOVABLE, MEMHP_PROTOCOL_6_1, 1 * MEMHP_GiB));
	ASSERT_OK(resize(&r, 2 * MEMHP_GiB));
	memhp_vmem_drv_info(r.drv, &info);
	ASSERT_TRUE(!info.sbm);
	ASSERT_EQ(info.bb_size, 1 * MEMHP_GiB);
	ASSERT_EQ(info.plugged_size, 2 * MEMHP_GiB);
	ASSERT_EQ(info.count[MEMHP_VMEM_BBM_ADDED], 2);
	ASSERT_EQ(memhp_nr_blocks(r.m), 4 + 16); /* one BB covers 8 blocks */
	ASSERT_OK(memhp_data_create(r.m, &d));
	ASSERT_GT(memhp_data_alloc(d, BLOCK / MEMHP_PAGE_SIZE, 0), 0);
	ASSERT_OK(resize(&r, 1 * MEMHP_GiB));
	memhp_vmem_drv_info(r.drv, &info);
	ASSERT_EQ(info.plugged_size, 1 * MEMHP_GiB);
	ASSERT_EQ(info.count[MEMHP_VMEM_BBM_ADDED], 1);
	ASSERT_EQ(memhp_nr_blocks(r.m), 4 + 8);
	ASSERT_EQ(memhp_data_verify(d, NULL), 0);
	memhp_data_destroy(d);
}

/*
 * 6.1's driver adds its big blocks with MHP_MERGE_RESOURCE | MHP_NID_IS_MGID
 * and never MHP_MEMMAP_ON_MEMORY (virtio_mem_add_memory()): with the
 * parameter on and a big block of exactly one memory block, which
 * mhp_supports_memmap_on_memory() would allow, the memmap still comes from
 * kernel memory and the block has no vmemmap pages.
 */
static void bbm_never_carries_its_memmap_even_with_memmap_on_memory(void)
{
	static struct rig r; /* rig_down() runs after the test returns */
	struct memhp_block_info bi;
	struct memhp_meminfo mi0, mi1;
	struct memhp_page *p;
	bool up;

	rig_memmap_on_memory = rig_force_bbm = true;
	up = rig_up(&r, MEMHP_MMOP_ONLINE_MOVABLE, MEMHP_PROTOCOL_6_1, 2 * MEMHP_MiB);
	rig_memmap_on_memory = rig_force_bbm = false;
	ASSERT_TRUE(up);
	ASSERT_TRUE(memhp_mhp_supports_memmap_on_memory(r.m, BLOCK),
		    "a one-block hot-add could carry its memmap");
	memhp_meminfo(r.m, &mi0);
	ASSERT_OK(resize(&r, BLOCK));
	memhp_meminfo(r.m, &mi1);
	ASSERT_OK(memhp_block_info(r.m, B0, &bi));
	ASSERT_EQ(bi.nr_vmemmap_pages, 0);
	ASSERT_EQ(mi1.total_pages - mi0.total_pages, BLOCK / MEMHP_PAGE_SIZE,
		  "the whole block is managed: its memmap is elsewhere");
	p = memhp_pfn_to_online_page(r.m, DEV_ADDR / MEMHP_PAGE_SIZE);
	ASSERT_TRUE(p && !memhp_PageVmemmapSelfHosted(p));
}

/* ---- Both protocols ------------------------------------------------------------------------- */

struct end_state {
	uint64_t plugged;
	unsigned long total, free_pages, blocks, managed_movable;
	int rc;
};

static void unplug_scenario(enum memhp_protocol proto, struct end_state *e)
{
	static struct rig r; /* rig_down() runs after the test returns */
	struct memhp_vmem_drv_info info;
	struct memhp_zone_info z;
	struct memhp_meminfo mi;

	if (!rig_up(&r, MEMHP_MMOP_ONLINE_MOVABLE, proto, 0))
		return;
	resize(&r, 1 * MEMHP_GiB);
	resize(&r, 320 * MEMHP_MiB); /* two blocks and a half */
	/* A partially plugged block goes offline and comes back by hand. */
	memhp_store_state(r.m, B0 + 2, "offline", 7, false);
	memhp_store_state(r.m, B0 + 2, "online_movable", 14, false);
	memhp_vmem_drv_info(r.drv, &info);
	memhp_meminfo(r.m, &mi);
	memhp_zone_info(r.m, 0, MEMHP_ZONE_MOVABLE, &z);
	*e = (struct end_state){ info.plugged_size,    mi.total_pages,	mi.free_pages,
				 memhp_nr_blocks(r.m), z.managed_pages, info.last_rc };
	rig_down(&r); /* the next scenario reuses the rig */
}

static void the_same_unplug_ends_in_the_same_state_under_both_protocols(void)
{
	struct end_state a = { 0 }, b = { 0 };

	unplug_scenario(MEMHP_PROTOCOL_6_1, &a);
	unplug_scenario(MEMHP_PROTOCOL_2025, &b);
	ASSERT_EQ(a.plugged, 320 * MEMHP_MiB);
	ASSERT_EQ(a.rc, 0);
	ASSERT_TRUE(!memcmp(&a, &b, sizeof(a)));
}

/* A tool (memhp demo, a Lua scenario) reads the driver's state while its
 * worker plugs: TSan must find nothing to say. */
#define CONCURRENT_READS 2000
static void info_and_block_state_may_be_read_while_the_worker_runs(void)
{
	struct memhp_config cfg;
	struct memhp_machine *m;
	struct memhp_vmem_dev *dev;
	struct memhp_vmem_drv *drv;
	struct memhp_vmem_dev_config dc = { .id = "vm0",
					    .addr = DEV_ADDR,
					    .region_size = DEV_SIZE };
	struct memhp_vmem_drv_params p;
	struct memhp_vmem_drv_info info;
	unsigned long known = 0;

	tm_config(&cfg);
	cfg.auto_online_blocks = MEMHP_MMOP_ONLINE_MOVABLE;
	m = tm_create(&cfg);
	ASSERT_TRUE(m);
	tm_expect_violations(m, MEMHP_RULE_VIRTIO_MEM_MEMORY_LEFT);
	ASSERT_OK(memhp_vmem_dev_create(m, &dc, &dev));
	memhp_vmem_drv_params_init(&p);
	p.sync = false;
	ASSERT_OK(memhp_vmem_drv_probe(m, dev, &p, &drv));
	ASSERT_OK(memhp_vmem_dev_set_requested_size(dev, 512 * MEMHP_MiB));
	for (int i = 0; i < CONCURRENT_READS; i++) {
		memhp_vmem_drv_info(drv, &info);
		known += memhp_vmem_drv_block_state(drv, B0) >= 0;
	}
	memhp_vmem_drv_wait_idle(drv);
	memhp_vmem_drv_info(drv, &info);
	EXPECT_EQ(info.plugged_size, 512 * MEMHP_MiB);
	EXPECT_EQ(info.next_id, B0 + 4);
	EXPECT_TRUE(info.last_usable_id >= B0 + 3);
	EXPECT_TRUE(known <= CONCURRENT_READS);
	memhp_vmem_drv_remove(drv);
	memhp_vmem_dev_destroy(dev);
}

/*
 * The sequence a program writes from the headers alone: set the size, run
 * the driver. The config-change interrupt comes from the device's thread;
 * process() and wait_idle() wait for it to arrive instead of looking at
 * an empty queue, so no memhp_vmem_dev_flush() is needed in between. Each
 * size change is a fresh chance to lose the race.
 */
#define RACE_ROUNDS 40

static void process_right_after_set_requested_size_sees_the_new_size(void)
{
	static struct rig r; /* rig_down() runs after the test returns */
	struct memhp_vmem_drv_info info;

	ASSERT_TRUE(rig_up(&r, MEMHP_MMOP_ONLINE_MOVABLE, MEMHP_PROTOCOL_6_1, 0));
	for (int i = 0; i < RACE_ROUNDS; i++) {
		const uint64_t size = (uint64_t)(i % 2 ? 2 : 4) * BLOCK;

		ASSERT_OK(memhp_vmem_dev_set_requested_size(r.dev, size));
		memhp_vmem_drv_process(r.drv);
		memhp_vmem_drv_info(r.drv, &info);
		ASSERT_EQ(info.plugged_size, size);
	}
}

static void wait_idle_right_after_set_requested_size_sees_the_new_size(void)
{
	struct memhp_config cfg;
	struct memhp_machine *m;
	struct memhp_vmem_dev *dev;
	struct memhp_vmem_drv *drv;
	struct memhp_vmem_dev_config dc = { .id = "vm0",
					    .addr = DEV_ADDR,
					    .region_size = DEV_SIZE };
	struct memhp_vmem_drv_params p;
	struct memhp_vmem_drv_info info;
	int wrong = 0;

	tm_config(&cfg);
	cfg.auto_online_blocks = MEMHP_MMOP_ONLINE_MOVABLE;
	m = tm_create(&cfg);
	ASSERT_TRUE(m);
	tm_expect_violations(m, MEMHP_RULE_VIRTIO_MEM_MEMORY_LEFT);
	ASSERT_OK(memhp_vmem_dev_create(m, &dc, &dev));
	memhp_vmem_drv_params_init(&p);
	p.sync = false;
	ASSERT_OK(memhp_vmem_drv_probe(m, dev, &p, &drv));
	for (int i = 0; i < RACE_ROUNDS; i++) {
		const uint64_t size = (uint64_t)(i % 2 ? 2 : 4) * BLOCK;

		ASSERT_OK(memhp_vmem_dev_set_requested_size(dev, size));
		memhp_vmem_drv_wait_idle(drv);
		memhp_vmem_drv_info(drv, &info);
		wrong += info.plugged_size != size;
	}
	EXPECT_EQ(wrong, 0);
	memhp_vmem_drv_remove(drv);
	memhp_vmem_dev_destroy(dev);
}

/*
 * virtio_mem_sbm_unplug_request(): partially plugged blocks first, offline
 * before online, ZONE_MOVABLE before kernel zones, and within a state the
 * highest block first. Five blocks: 32, 33 offline, 34 kernel, 35 and 36
 * movable; each 2 MiB step shows which block gives.
 */
static void unplug_takes_partial_offline_movable_then_kernel_blocks_highest_first(void)
{
	static struct rig r; /* rig_down() runs after the test returns */
	const uint64_t sb = 2 * MEMHP_MiB;
	struct memhp_block_info bi;
	uint64_t size = 5 * BLOCK;

	ASSERT_TRUE(rig_up(&r, MEMHP_MMOP_OFFLINE, MEMHP_PROTOCOL_6_1, 0));
	ASSERT_OK(resize(&r, size));
	ASSERT_ERR(memhp_store_state(r.m, B0 + 2, "online_kernel", 13, false), 13);
	ASSERT_ERR(memhp_store_state(r.m, B0 + 3, "online_movable", 14, false), 14);
	ASSERT_ERR(memhp_store_state(r.m, B0 + 4, "online_movable", 14, false), 14);
	memhp_vmem_drv_process(r.drv);
	ASSERT_EQ(memhp_vmem_drv_block_state(r.drv, B0), MEMHP_VMEM_SBM_OFFLINE);
	ASSERT_EQ(memhp_vmem_drv_block_state(r.drv, B0 + 2), MEMHP_VMEM_SBM_KERNEL);

	/* Offline blocks first, the highest: 33. */
	ASSERT_OK(resize(&r, size -= sb));
	ASSERT_EQ(memhp_vmem_drv_block_state(r.drv, B0 + 1), MEMHP_VMEM_SBM_OFFLINE_PARTIAL);
	ASSERT_EQ(memhp_vmem_drv_block_state(r.drv, B0), MEMHP_VMEM_SBM_OFFLINE);
	/* A partial one before a full one: 33 again, from its end (device
	 * blocks 64-127 are 33's). */
	ASSERT_OK(resize(&r, size -= sb));
	ASSERT_EQ(memhp_vmem_drv_block_state(r.drv, B0), MEMHP_VMEM_SBM_OFFLINE);
	ASSERT_TRUE(!memhp_vmem_dev_block_plugged(r.dev, 127));
	ASSERT_TRUE(!memhp_vmem_dev_block_plugged(r.dev, 126));
	ASSERT_TRUE(memhp_vmem_dev_block_plugged(r.dev, 125));
	/* All offline memory goes, and its blocks with it, before any online. */
	ASSERT_OK(resize(&r, size = 3 * BLOCK));
	ASSERT_ERR(memhp_block_info(r.m, B0, &bi), -ENODEV);
	ASSERT_ERR(memhp_block_info(r.m, B0 + 1, &bi), -ENODEV);
	ASSERT_EQ(memhp_vmem_drv_block_state(r.drv, B0), MEMHP_VMEM_SBM_UNUSED);
	ASSERT_EQ(memhp_vmem_drv_block_state(r.drv, B0 + 1), MEMHP_VMEM_SBM_UNUSED);
	ASSERT_EQ(memhp_vmem_drv_block_state(r.drv, B0 + 2), MEMHP_VMEM_SBM_KERNEL);
	ASSERT_EQ(memhp_vmem_drv_block_state(r.drv, B0 + 4), MEMHP_VMEM_SBM_MOVABLE);
	/* Then ZONE_MOVABLE, the highest: 36, and again 36, now partial. */
	ASSERT_OK(resize(&r, size -= sb));
	ASSERT_EQ(memhp_vmem_drv_block_state(r.drv, B0 + 4), MEMHP_VMEM_SBM_MOVABLE_PARTIAL);
	ASSERT_EQ(memhp_vmem_drv_block_state(r.drv, B0 + 3), MEMHP_VMEM_SBM_MOVABLE);
	ASSERT_OK(resize(&r, size -= sb));
	ASSERT_EQ(memhp_vmem_drv_block_state(r.drv, B0 + 3), MEMHP_VMEM_SBM_MOVABLE);
	ASSERT_EQ(memhp_vmem_drv_block_state(r.drv, B0 + 2), MEMHP_VMEM_SBM_KERNEL);
	/* The kernel block goes last: down to one block, it is what is left. */
	ASSERT_OK(resize(&r, size = BLOCK));
	ASSERT_EQ(memhp_vmem_drv_block_state(r.drv, B0 + 3), MEMHP_VMEM_SBM_UNUSED);
	ASSERT_EQ(memhp_vmem_drv_block_state(r.drv, B0 + 4), MEMHP_VMEM_SBM_UNUSED);
	ASSERT_EQ(memhp_vmem_drv_block_state(r.drv, B0 + 2), MEMHP_VMEM_SBM_KERNEL);
	ASSERT_OK(resize(&r, size -= sb));
	ASSERT_EQ(memhp_vmem_drv_block_state(r.drv, B0 + 2), MEMHP_VMEM_SBM_KERNEL_PARTIAL);
	ASSERT_EQ(dev_plugged(&r), BLOCK - sb);
}

/*
 * The check torture runs after every operation: an unplugged sub-block of
 * an online block whose page is no longer PageOffline is found while the
 * driver works, and a PFN walker's reference on top of the driver's is no
 * finding (the whole check, for a quiet machine, wants exactly 1).
 */
static void a_fake_offline_page_the_driver_lost_is_found_while_it_works(void)
{
	static struct rig r; /* rig_down() runs after the test returns */
	struct memhp_page *p = NULL;

	ASSERT_TRUE(rig_up(&r, MEMHP_MMOP_ONLINE_MOVABLE, MEMHP_PROTOCOL_6_1, 0));
	ASSERT_OK(resize(&r, 256 * MEMHP_MiB));
	ASSERT_OK(resize(&r, 248 * MEMHP_MiB));
	for (unsigned long pfn = DEV_ADDR >> MEMHP_PAGE_SHIFT;
	     !p && pfn < (DEV_ADDR + 256 * MEMHP_MiB) >> MEMHP_PAGE_SHIFT; pfn++) {
		struct memhp_page *q = memhp_pfn_to_online_page(r.m, pfn);

		if (q && memhp_PageOffline(q))
			p = q;
	}
	ASSERT_TRUE(p);
	ASSERT_EQ(memhp_vmem_drv_check_fake_offline(r.drv), 0);
	memhp_page_ref_inc(p);
	ASSERT_EQ(memhp_vmem_drv_check_fake_offline(r.drv), 0);
	memhp_put_page(p);
	tm_expect_violations(r.m, MEMHP_RULE_VIRTIO_MEM_CHECK);
	ASSERT_OK(memhp_ClearPageOffline(p));
	ASSERT_EQ(memhp_vmem_drv_check_fake_offline(r.drv), 1);
	ASSERT_OK(memhp_SetPageOffline(p));
	ASSERT_EQ(memhp_vmem_drv_check_fake_offline(r.drv), 0);
}

RUN_TESTS(T(plugging_1g_with_2m_blocks_uses_sbm_and_onlines_per_auto_online_blocks),
	  T(a_fake_offline_page_the_driver_lost_is_found_while_it_works),
	  T(a_partial_plug_fills_a_block_from_its_first_sub_block),
	  T(unplug_takes_partial_offline_movable_then_kernel_blocks_highest_first),
	  T(plugging_stops_at_the_offline_threshold_until_memory_is_onlined),
	  T(unplug_all_is_sent_at_probe_when_memory_is_still_plugged),
	  T(adding_memory_does_not_expose_unplugged_device_blocks),
	  T(unplug_migrates_movable_data_and_returns_host_memory),
	  T(kernel_memory_in_zone_normal_stops_unplug_short_with_backoff),
	  T(device_busy_makes_the_driver_retry_later), T(device_error_marks_the_driver_broken),
	  T(an_unanswered_request_is_eio_and_retried_with_backoff),
	  T(probing_again_with_memory_left_added_fails_ebusy),
	  T(a_probe_failing_after_the_region_claim_releases_it),
	  T(offlining_a_partially_plugged_block_by_hand_succeeds_and_reonline_remarks),
	  T(a_later_veto_restores_the_fake_offline_references_and_managed_count),
	  T(onlining_a_block_the_driver_does_not_expect_is_denied),
	  T(a_1g_device_block_selects_big_block_mode),
	  T(bbm_never_carries_its_memmap_even_with_memmap_on_memory),
	  T(the_same_unplug_ends_in_the_same_state_under_both_protocols),
	  T(info_and_block_state_may_be_read_while_the_worker_runs),
	  T(process_right_after_set_requested_size_sees_the_new_size),
	  T(wait_idle_right_after_set_requested_size_sees_the_new_size))
