// SPDX-License-Identifier: MIT
/*
 * virtio_balloon.c - the virtio part of Linux 6.1's virtio-balloon driver
 * (drivers/virtio/virtio_balloon.c) on a memhp virtio-balloon device: the
 * features it accepts, the size work that follows the device's target,
 * the statistics it reports, the OOM notifier, free page reporting. The
 * pages themselves are a memhp_balloon of kind MEMHP_BALLOON_VIRTIO
 * (balloon.c: fill_balloon(), leak_balloon(), balloon compaction), whose
 * requests go to the device's inflate and deflate queues.
 *
 * Work runs as on system_freezable_wq: one worker thread, or, in sync
 * mode, whoever calls memhp_vballoon_drv_process(). The size work does one
 * fill_balloon() or leak_balloon() of at most 256 pages, writes "actual",
 * and queues itself again while the target is not reached, exactly as
 * update_balloon_size_func() does; so the host sees actual move in steps
 * of 1 MiB.
 */
#include <memhp/hotplug.h>
#include <memhp/page_reporting.h>
#include <memhp/printk.h>
#include <memhp/sysctl.h>
#include <memhp/virtio_balloon.h>

#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* VIRTIO_BALLOON_ARRAY_PFNS_MAX, VIRTIO_BALLOON_OOM_NR_PAGES */
#define VB_ARRAY_PFNS_MAX 256
#define VB_OOM_NR_PAGES 256
/* fill_balloon()'s msleep(200) when the allocator is out of pages. */
#define VB_OUT_OF_PUFF_MS 200
/* PAGE_POISON: the byte page poisoning writes into free pages. */
#define VB_PAGE_POISON 0xaa
#define VIRTIO_F_VERSION_1 32
#define VB_RATELIMIT_INTERVAL_S 5
#define VB_RATELIMIT_BURST 10
#define VB_NAME_MAX 16
/* Free page reporting's trigger: a pageblock's worth of pages freed (on
 * x86, pageblock_order 9), where Linux's is one freed chunk that large. */
#define VB_REPORT_TRIGGER_PAGES 512

#define BIT(n) (1ULL << (n))
/* The features the 6.1 driver knows (its features[] table). */
#define VB_DRIVER_FEATURES                                                                         \
	(BIT(MEMHP_VIRTIO_BALLOON_F_MUST_TELL_HOST) | BIT(MEMHP_VIRTIO_BALLOON_F_STATS_VQ) |       \
	 BIT(MEMHP_VIRTIO_BALLOON_F_DEFLATE_ON_OOM) | BIT(MEMHP_VIRTIO_BALLOON_F_FREE_PAGE_HINT) | \
	 BIT(MEMHP_VIRTIO_BALLOON_F_PAGE_POISON) | BIT(MEMHP_VIRTIO_BALLOON_F_REPORTING) |         \
	 BIT(VIRTIO_F_VERSION_1))

enum vb_work {
	VB_WORK_SIZE = 1u << 0,
	VB_WORK_STATS = 1u << 1,
};

struct memhp_vballoon_drv {
	struct memhp_machine *m;
	struct memhp_vballoon_dev *dev;
	struct memhp_vballoon_drv_params params;
	struct memhp_balloon *b;
	uint64_t features;

	/* vb->balloon_lock: fill, leak and num_pages. */
	pthread_mutex_t balloon_lock;
	unsigned long num_pages;

	/* The workqueue: pending work, the worker, stop_update. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned int pending;
	bool running, stop_update, stop_worker, have_worker;
	pthread_t worker;

	char name[VB_NAME_MAX]; /* the virtio device: "virtio0" */
	time_t rl_begin;	/* the ratelimit's window, under lock */
	unsigned int rl_printed;

	struct memhp_virtio_balloon_stat stats[MEMHP_VIRTIO_BALLOON_S_NR];
	_Atomic unsigned long size_updates, stats_updates, out_of_puff, reports;

	/* Free page reporting (VIRTIO_BALLOON_F_REPORTING). */
	struct memhp_page_reporting_dev_info prdev;
	bool reporting;
	/* pgfree when the last pass started, under lock */
	long pgfree_at_report;
	bool reported_once;
};

void memhp_vballoon_drv_params_init(struct memhp_vballoon_drv_params *p)
{
	memset(p, 0, sizeof(*p));
}

static bool has(const struct memhp_vballoon_drv *drv, int bit)
{
	return drv->features & BIT(bit);
}

/* ---- The queues --------------------------------------------------------------------- */

/* tell_host(): one buffer on the inflate or deflate queue, answered before
 * the driver goes on (it waits for the ack). */
static void tell_host(void *priv, bool deflate, const uint32_t *pfns, unsigned long nr)
{
	struct memhp_vballoon_drv *drv = priv;
	uint32_t le[VB_ARRAY_PFNS_MAX];

	while (nr) {
		unsigned long n = nr < VB_ARRAY_PFNS_MAX ? nr : VB_ARRAY_PFNS_MAX;

		for (unsigned long i = 0; i < n; i++)
			le[i] = htole32(pfns[i]);
		memhp_vballoon_dev_tell(drv->dev, deflate, le, n);
		pfns += n;
		nr -= n;
	}
}

/* update_balloon_size(): write "actual". */
static void update_balloon_size(struct memhp_vballoon_drv *drv)
{
	struct memhp_virtio_balloon_config cfg;
	unsigned long actual;

	pthread_mutex_lock(&drv->balloon_lock);
	actual = drv->num_pages;
	pthread_mutex_unlock(&drv->balloon_lock);
	memhp_vballoon_dev_read_config(drv->dev, &cfg);
	cfg.actual = htole32((uint32_t)actual);
	memhp_vballoon_dev_write_config(drv->dev, &cfg);
}

/* towards_target(). */
static long long towards_target(struct memhp_vballoon_drv *drv)
{
	struct memhp_virtio_balloon_config cfg;
	long long diff;

	memhp_vballoon_dev_read_config(drv->dev, &cfg);
	pthread_mutex_lock(&drv->balloon_lock);
	diff = (long long)le32toh(cfg.num_pages) - (long long)drv->num_pages;
	pthread_mutex_unlock(&drv->balloon_lock);
	return diff;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec t = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&t, &t))
		;
}

/* dev_info_ratelimited(): DEFAULT_RATELIMIT_BURST messages per
 * DEFAULT_RATELIMIT_INTERVAL. */
static bool ratelimit_ok(struct memhp_vballoon_drv *drv)
{
	struct timespec now;
	bool ok;

	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&drv->lock);
	if (!drv->rl_begin || now.tv_sec - drv->rl_begin >= VB_RATELIMIT_INTERVAL_S) {
		drv->rl_begin = now.tv_sec ? now.tv_sec : 1;
		drv->rl_printed = 0;
	}
	ok = drv->rl_printed++ < VB_RATELIMIT_BURST;
	pthread_mutex_unlock(&drv->lock);
	return ok;
}

/* fill_balloon(): one array's worth. */
static unsigned long fill_balloon(struct memhp_vballoon_drv *drv, unsigned long num)
{
	long n;

	if (num > VB_ARRAY_PFNS_MAX)
		num = VB_ARRAY_PFNS_MAX;
	pthread_mutex_lock(&drv->balloon_lock);
	n = memhp_balloon_inflate(drv->b, num);
	if (n > 0)
		drv->num_pages += (unsigned long)n;
	pthread_mutex_unlock(&drv->balloon_lock);
	if (n < (long)num) {
		/* "Out of puff! Can't get 1 pages", then a 200 ms nap. */
		atomic_fetch_add(&drv->out_of_puff, 1);
		if (ratelimit_ok(drv))
			memhp_dev_printk(drv->m, MEMHP_KERN_INFO, "virtio_balloon", "virtio",
					 drv->name, "Out of puff! Can't get 1 pages");
		if (!drv->params.sync)
			sleep_ms(VB_OUT_OF_PUFF_MS);
	}
	return n > 0 ? (unsigned long)n : 0;
}

/* leak_balloon(): one array's worth, never more than the balloon has. */
static unsigned long leak_balloon(struct memhp_vballoon_drv *drv, unsigned long num)
{
	long n;

	if (num > VB_ARRAY_PFNS_MAX)
		num = VB_ARRAY_PFNS_MAX;
	pthread_mutex_lock(&drv->balloon_lock);
	if (num > drv->num_pages)
		num = drv->num_pages;
	n = num ? memhp_balloon_deflate(drv->b, num) : 0;
	if (n > 0)
		drv->num_pages -= (unsigned long)n;
	pthread_mutex_unlock(&drv->balloon_lock);
	return n > 0 ? (unsigned long)n : 0;
}

/* ---- Statistics ---------------------------------------------------------------------- */

/* si_mem_available() as /proc/meminfo computes it: free pages beyond
 * totalreserve_pages, no page cache to reclaim, and the reclaimable slab
 * less what must stay (half of it, at most the low watermarks). */
static unsigned long mem_available(struct memhp_machine *m, unsigned long free)
{
	long slab = memhp_vmstat(m, MEMHP_NR_SLAB_RECLAIMABLE);
	unsigned long wmark_low = 0;
	long avail;

	for (int z = 0; z < MEMHP_NR_ZONES; z++)
		wmark_low += memhp_zone_watermark(m, 0, (enum memhp_zone_type)z, MEMHP_WMARK_LOW);
	if (slab < 0)
		slab = 0;
	avail = (long)free - (long)memhp_totalreserve_pages(m);
	avail += slab -
		 (long)((unsigned long)slab / 2 < wmark_low ? (unsigned long)slab / 2 : wmark_low);
	return avail > 0 ? (unsigned long)avail : 0;
}

static void set_stat(struct memhp_vballoon_drv *drv, unsigned int idx, uint16_t tag, uint64_t val)
{
	drv->stats[idx].tag = htole16(tag);
	drv->stats[idx].val = htole64(val);
}

/*
 * update_balloon_stats(), in 6.1's order (Debian's kernel has
 * CONFIG_VM_EVENT_COUNTERS and CONFIG_HUGETLB_PAGE). memhp has no swap, no
 * page faults and no hugetlb: those are 0.
 */
static unsigned int update_balloon_stats(struct memhp_vballoon_drv *drv)
{
	struct memhp_meminfo mi;
	unsigned int idx = 0;
	long file;

	memhp_meminfo(drv->m, &mi);
	file = memhp_vmstat(drv->m, MEMHP_NR_FILE_PAGES);
	set_stat(drv, idx++, MEMHP_VIRTIO_BALLOON_S_SWAP_IN, 0);
	set_stat(drv, idx++, MEMHP_VIRTIO_BALLOON_S_SWAP_OUT, 0);
	set_stat(drv, idx++, MEMHP_VIRTIO_BALLOON_S_MAJFLT, 0);
	set_stat(drv, idx++, MEMHP_VIRTIO_BALLOON_S_MINFLT, 0);
	set_stat(drv, idx++, MEMHP_VIRTIO_BALLOON_S_HTLB_PGALLOC, 0);
	set_stat(drv, idx++, MEMHP_VIRTIO_BALLOON_S_HTLB_PGFAIL, 0);
	set_stat(drv, idx++, MEMHP_VIRTIO_BALLOON_S_MEMFREE,
		 (uint64_t)mi.free_pages << MEMHP_PAGE_SHIFT);
	set_stat(drv, idx++, MEMHP_VIRTIO_BALLOON_S_MEMTOT,
		 (uint64_t)mi.total_pages << MEMHP_PAGE_SHIFT);
	set_stat(drv, idx++, MEMHP_VIRTIO_BALLOON_S_AVAIL,
		 (uint64_t)mem_available(drv->m, mi.free_pages) << MEMHP_PAGE_SHIFT);
	set_stat(drv, idx++, MEMHP_VIRTIO_BALLOON_S_CACHES,
		 (uint64_t)(file > 0 ? file : 0) << MEMHP_PAGE_SHIFT);
	return idx;
}

/* stats_handle_request(): refresh the buffer and give it back. */
static void stats_handle_request(struct memhp_vballoon_drv *drv)
{
	unsigned int n = update_balloon_stats(drv);

	memhp_vballoon_dev_stats(drv->dev, drv->stats, n);
	atomic_fetch_add(&drv->stats_updates, 1);
}

/* ---- Free page reporting --------------------------------------------------------------- */

/* virtballoon_free_page_report(): the chunks as one buffer of the
 * reporting queue, answered before the mm puts them back. */
static int free_page_report(struct memhp_page_reporting_dev_info *prdev, const unsigned long *pfns,
			    const unsigned int *orders, unsigned int nr)
{
	struct memhp_vballoon_drv *drv = prdev->priv;
	struct memhp_virtio_balloon_report chunks[MEMHP_PAGE_REPORTING_CAPACITY];

	for (unsigned int i = 0; i < nr; i++) {
		chunks[i].addr = (uint64_t)pfns[i] << MEMHP_PAGE_SHIFT;
		chunks[i].len = (uint32_t)((1UL << orders[i]) << MEMHP_PAGE_SHIFT);
	}
	atomic_fetch_add(&drv->reports, 1);
	return memhp_vballoon_dev_report(drv->dev, chunks, nr);
}

/* ---- The workqueue -------------------------------------------------------------------- */

static void queue_work(struct memhp_vballoon_drv *drv, unsigned int work)
{
	pthread_mutex_lock(&drv->lock);
	if (!drv->stop_update) {
		drv->pending |= work;
		pthread_cond_broadcast(&drv->cond);
	}
	pthread_mutex_unlock(&drv->lock);
}

/* update_balloon_size_func(). Returns false when it ran out of puff:
 * queued again, but not worth running before time has passed. */
static bool update_balloon_size_func(struct memhp_vballoon_drv *drv)
{
	long long diff = towards_target(drv), want = diff;

	if (!diff)
		return true;
	if (diff > 0)
		diff -= (long long)fill_balloon(drv, (unsigned long)diff);
	else
		diff += (long long)leak_balloon(drv, (unsigned long)-diff);
	update_balloon_size(drv);
	atomic_fetch_add(&drv->size_updates, 1);
	if (diff)
		queue_work(drv, VB_WORK_SIZE);
	return !diff || diff != want;
}

/* Take one pending item (size work first, as it was queued first in any
 * race that matters); called with lock held. */
static unsigned int take_work(struct memhp_vballoon_drv *drv)
{
	unsigned int w = drv->pending & VB_WORK_SIZE ? VB_WORK_SIZE : drv->pending & VB_WORK_STATS;

	drv->pending &= ~w;
	return w;
}

/* Returns false when the work made no progress and waits for time. */
static bool run_work(struct memhp_vballoon_drv *drv, unsigned int w)
{
	if (w == VB_WORK_SIZE)
		return update_balloon_size_func(drv);
	if (w == VB_WORK_STATS)
		stats_handle_request(drv);
	return true;
}

/* When the next free page reporting pass is due. */
static struct timespec report_due(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += MEMHP_PAGE_REPORTING_DELAY_MS / 1000;
	t.tv_nsec += (MEMHP_PAGE_REPORTING_DELAY_MS % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

static void *worker(void *arg)
{
	struct memhp_vballoon_drv *drv = arg;
	struct timespec due = report_due();

	pthread_mutex_lock(&drv->lock);
	for (;;) {
		unsigned int w;

		while (!drv->pending && !drv->stop_worker) {
			if (!drv->reporting) {
				pthread_cond_wait(&drv->cond, &drv->lock);
			} else if (pthread_cond_timedwait(&drv->cond, &drv->lock, &due) ==
				   ETIMEDOUT) {
				/* page_reporting_process() runs
				 * PAGE_REPORTING_DELAY after the guest freed a
				 * chunk of pageblock order: memhp looks every
				 * PAGE_REPORTING_DELAY whether a pageblock's
				 * worth of pages was freed (pgfree) since. */
				long freed = memhp_vmstat(drv->m, MEMHP_PGFREE);

				if (!drv->reported_once ||
				    freed - drv->pgfree_at_report >= VB_REPORT_TRIGGER_PAGES) {
					drv->running = true;
					pthread_mutex_unlock(&drv->lock);
					memhp_page_reporting_process(drv->m);
					pthread_mutex_lock(&drv->lock);
					drv->running = false;
					drv->reported_once = true;
					drv->pgfree_at_report = freed;
					pthread_cond_broadcast(&drv->cond);
				}
				due = report_due();
			}
		}
		if (drv->stop_worker)
			break;
		w = take_work(drv);
		drv->running = true;
		pthread_mutex_unlock(&drv->lock);
		run_work(drv, w);
		pthread_mutex_lock(&drv->lock);
		drv->running = false;
		pthread_cond_broadcast(&drv->cond);
	}
	pthread_mutex_unlock(&drv->lock);
	return NULL;
}

unsigned int memhp_vballoon_drv_process(struct memhp_vballoon_drv *drv)
{
	unsigned int ran = 0;

	if (!drv || !drv->params.sync)
		return 0;
	for (;;) {
		unsigned int w;

		pthread_mutex_lock(&drv->lock);
		w = take_work(drv);
		pthread_mutex_unlock(&drv->lock);
		if (!w)
			return ran;
		ran++;
		/* The 200 ms nap after "Out of puff": the next call retries. */
		if (!run_work(drv, w))
			return ran;
	}
}

void memhp_vballoon_drv_wait_idle(struct memhp_vballoon_drv *drv)
{
	if (!drv || drv->params.sync)
		return;
	pthread_mutex_lock(&drv->lock);
	while ((drv->pending || drv->running) && !drv->stop_update)
		pthread_cond_wait(&drv->cond, &drv->lock);
	pthread_mutex_unlock(&drv->lock);
}

/* The device's interrupts. */
static void virtballoon_changed(struct memhp_vballoon_dev *dev, void *priv)
{
	(void)dev;
	queue_work(priv, VB_WORK_SIZE);
}

static void stats_request(struct memhp_vballoon_dev *dev, void *priv)
{
	(void)dev;
	queue_work(priv, VB_WORK_STATS);
}

/* ---- Probe and remove -------------------------------------------------------------------- */

/* virtballoon_validate() and the feature negotiation. */
static uint64_t negotiate(const struct memhp_vballoon_drv_params *params, uint64_t offered)
{
	uint64_t f = offered & VB_DRIVER_FEATURES;

	/* Without page poisoning or init_on_free the host must not be told
	 * of a poison value; reporting would otherwise change free pages'
	 * contents under a guest that checks them. */
	if (!params->page_poisoning)
		f &= ~BIT(MEMHP_VIRTIO_BALLOON_F_PAGE_POISON);
	else if (!(f & BIT(MEMHP_VIRTIO_BALLOON_F_PAGE_POISON)))
		f &= ~BIT(MEMHP_VIRTIO_BALLOON_F_REPORTING);
	return f;
}

int memhp_vballoon_drv_probe(struct memhp_machine *m, struct memhp_vballoon_dev *dev,
			     const struct memhp_vballoon_drv_params *params,
			     struct memhp_vballoon_drv **out)
{
	struct memhp_vballoon_drv *drv;
	pthread_condattr_t attr;
	int ret;

	if (!m || !dev || !out)
		return -EINVAL;
	drv = calloc(1, sizeof(*drv));
	if (!drv)
		return -ENOMEM;
	drv->m = m;
	drv->dev = dev;
	snprintf(drv->name, sizeof(drv->name), "virtio%u", params ? params->virtio_index : 0);
	if (params)
		drv->params = *params;
	pthread_mutex_init(&drv->balloon_lock, NULL);
	pthread_mutex_init(&drv->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&drv->cond, &attr);
	pthread_condattr_destroy(&attr);

	drv->features = negotiate(&drv->params, memhp_vballoon_dev_features(dev));
	ret = memhp_vballoon_dev_ack_features(dev, drv->features);
	if (ret)
		goto fail;
	ret = memhp_balloon_create(m, MEMHP_BALLOON_VIRTIO, &drv->b);
	if (ret)
		goto fail;
	/* Without DEFLATE_ON_OOM the pages leave managed_pages. */
	memhp_balloon_set_deflate_on_oom(drv->b, has(drv, MEMHP_VIRTIO_BALLOON_F_DEFLATE_ON_OOM));
	memhp_balloon_set_host(drv->b, tell_host, drv);
	if (has(drv, MEMHP_VIRTIO_BALLOON_F_PAGE_POISON)) {
		struct memhp_virtio_balloon_config cfg;

		memhp_vballoon_dev_read_config(dev, &cfg);
		memset(&cfg.poison_val, VB_PAGE_POISON, sizeof(cfg.poison_val));
		memhp_vballoon_dev_write_config(dev, &cfg);
	}
	if (has(drv, MEMHP_VIRTIO_BALLOON_F_REPORTING)) {
		drv->prdev.report = free_page_report;
		drv->prdev.priv = drv;
		ret = memhp_page_reporting_register(m, &drv->prdev);
		if (ret)
			goto fail;
		drv->reporting = true;
	}
	memhp_vballoon_dev_set_config_changed(dev, virtballoon_changed, drv);
	memhp_vballoon_dev_set_stats_request(dev, stats_request, drv);
	if (!drv->params.sync) {
		ret = -pthread_create(&drv->worker, NULL, worker, drv);
		if (ret)
			goto fail_callbacks;
		drv->have_worker = true;
	}
	/* init_vqs(): the stats queue is primed with a buffer at once, so
	 * the host can signal through it later. */
	if (has(drv, MEMHP_VIRTIO_BALLOON_F_STATS_VQ))
		stats_handle_request(drv);
	if (towards_target(drv))
		queue_work(drv, VB_WORK_SIZE);
	*out = drv;
	return 0;

fail_callbacks:
	memhp_vballoon_dev_set_config_changed(dev, NULL, NULL);
	memhp_vballoon_dev_set_stats_request(dev, NULL, NULL);
	if (drv->reporting)
		memhp_page_reporting_unregister(m, &drv->prdev);
fail:
	memhp_balloon_destroy(drv->b);
	pthread_cond_destroy(&drv->cond);
	pthread_mutex_destroy(&drv->lock);
	pthread_mutex_destroy(&drv->balloon_lock);
	free(drv);
	return ret;
}

void memhp_vballoon_drv_remove(struct memhp_vballoon_drv *drv)
{
	if (!drv)
		return;
	/* No new work, then the worker goes. */
	pthread_mutex_lock(&drv->lock);
	drv->stop_update = true;
	drv->stop_worker = true;
	drv->pending = 0;
	pthread_cond_broadcast(&drv->cond);
	pthread_mutex_unlock(&drv->lock);
	memhp_vballoon_dev_set_config_changed(drv->dev, NULL, NULL);
	memhp_vballoon_dev_set_stats_request(drv->dev, NULL, NULL);
	if (drv->have_worker)
		pthread_join(drv->worker, NULL);
	if (drv->reporting)
		memhp_page_reporting_unregister(drv->m, &drv->prdev);
	/* remove_common(): give every page back, telling the host. */
	for (;;) {
		unsigned long left;

		pthread_mutex_lock(&drv->balloon_lock);
		left = drv->num_pages;
		pthread_mutex_unlock(&drv->balloon_lock);
		if (!left || !leak_balloon(drv, left))
			break;
	}
	update_balloon_size(drv);
	memhp_vballoon_dev_reset(drv->dev);
	memhp_balloon_destroy(drv->b);
	pthread_cond_destroy(&drv->cond);
	pthread_mutex_destroy(&drv->lock);
	pthread_mutex_destroy(&drv->balloon_lock);
	free(drv);
}

struct memhp_balloon *memhp_vballoon_drv_balloon(struct memhp_vballoon_drv *drv)
{
	return drv ? drv->b : NULL;
}

long memhp_vballoon_drv_oom_notify(struct memhp_vballoon_drv *drv)
{
	unsigned long freed;

	if (!drv)
		return -EINVAL;
	if (!has(drv, MEMHP_VIRTIO_BALLOON_F_DEFLATE_ON_OOM))
		return -EOPNOTSUPP;
	freed = leak_balloon(drv, VB_OOM_NR_PAGES);
	update_balloon_size(drv);
	return (long)freed;
}

long memhp_vballoon_drv_report_free_pages(struct memhp_vballoon_drv *drv)
{
	if (!drv)
		return -EINVAL;
	if (!has(drv, MEMHP_VIRTIO_BALLOON_F_REPORTING))
		return -EOPNOTSUPP;
	return memhp_page_reporting_process(drv->m);
}

void memhp_vballoon_drv_info(struct memhp_vballoon_drv *drv, struct memhp_vballoon_drv_info *info)
{
	memset(info, 0, sizeof(*info));
	if (!drv)
		return;
	pthread_mutex_lock(&drv->balloon_lock);
	info->num_pages = drv->num_pages;
	pthread_mutex_unlock(&drv->balloon_lock);
	info->features = drv->features;
	info->size_updates = atomic_load(&drv->size_updates);
	info->stats_updates = atomic_load(&drv->stats_updates);
	info->out_of_puff = atomic_load(&drv->out_of_puff);
	info->reports = atomic_load(&drv->reports);
}
