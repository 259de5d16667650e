// SPDX-License-Identifier: MIT
/*
 * virtio_balloon_device.c - the virtio-balloon device, hypervisor side, as
 * QEMU 7.2 (hw/virtio/virtio-balloon.c, softmmu/balloon.c) behaves.
 *
 * The config space holds the host's target (num_pages) and what the guest
 * reached (actual), both in 4 KiB frames. QMP's "balloon" turns a target
 * size into num_pages against QEMU's RAM size, -m plus the plugged DIMMs,
 * which the VMM supplies; query-balloon and BALLOON_CHANGE report the RAM
 * size less actual. Inflated frames are discarded on the host
 * (MADV_DONTNEED, QEMU's ram_block_discard_range()), deflated ones hinted
 * with MADV_WILLNEED, as QEMU's balloon_deflate_page() does: nothing comes
 * back into the host's RSS until the guest touches the page again.
 *
 * Statistics: the guest leaves a buffer on the stats queue; the device
 * reads it, and holds it until its polling timer (guest-stats-polling-
 * interval seconds, on the device's thread) gives it back, which is the
 * guest's cue to refresh and return it.
 *
 * Locks, outer to inner: cb_lock (the guest's two interrupt functions),
 * listen_lock (the actual listeners), lock (everything else). Callbacks
 * and listeners run without lock held.
 */
#include <memhp/hotplug.h>
#include <memhp/virtio_balloon.h>

#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

/* One buffer of the inflate or deflate queue: the driver's 4 KiB array of
 * pfns (VIRTIO_BALLOON_ARRAY_PFNS_MAX on a 4 KiB-page guest uses 1 KiB). */
#define VBALLOON_MAX_PFNS_PER_BUFFER 1024
#define VBALLOON_ID_MAX 64
#define NSEC_PER_SEC 1000000000L
/* VIRTIO_F_VERSION_1: a modern device. */
#define VIRTIO_F_VERSION_1 32
#define PAGE_4K 4096ULL

struct memhp_vballoon_dev {
	struct memhp_machine *m;
	struct memhp_vballoon_dev_config cfg;
	char id[VBALLOON_ID_MAX];

	pthread_mutex_t cb_lock;
	memhp_vballoon_notify_fn config_changed, stats_request;
	void *config_priv, *stats_priv;

	pthread_mutex_t listen_lock;
	struct memhp_vballoon_listener *listeners;

	pthread_mutex_t lock;
	pthread_cond_t cond; /* the timer thread's */
	uint64_t features, acked;
	uint32_t num_pages, actual, poison_val;
	uint64_t stats[MEMHP_VIRTIO_BALLOON_S_NR];
	int64_t last_update;
	bool stats_held;       /* the guest's stats buffer is with the device */
	int64_t poll_interval; /* seconds, 0: off */
	bool timer_armed;
	struct timespec deadline;
	bool stop;
	pthread_t thread;
	struct memhp_vballoon_dev_stats st;
};

void memhp_vballoon_dev_config_init(struct memhp_vballoon_dev_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	/* DEFINE_PROP_BIT("page-poison", ..., true); the rest default off. */
	cfg->page_poison = true;
}

static void reset_stats(struct memhp_vballoon_dev *dev)
{
	for (int i = 0; i < MEMHP_VIRTIO_BALLOON_S_NR; i++)
		dev->stats[i] = UINT64_MAX;
}

static struct timespec after(int64_t seconds)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += (time_t)seconds;
	return t;
}

static bool due(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > deadline->tv_sec ||
	       (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec);
}

/* Arm the poll timer @seconds from now (balloon_stats_change_timer()).
 * Called with lock held. */
static void arm_timer(struct memhp_vballoon_dev *dev, int64_t seconds)
{
	dev->deadline = after(seconds);
	dev->timer_armed = true;
	pthread_cond_signal(&dev->cond);
}

static void notify_stats(struct memhp_vballoon_dev *dev)
{
	pthread_mutex_lock(&dev->cb_lock);
	if (dev->stats_request)
		dev->stats_request(dev, dev->stats_priv);
	pthread_mutex_unlock(&dev->cb_lock);
}

/* balloon_stats_poll_cb(): give the held buffer back, or try again an
 * interval later. */
static void *timer_thread(void *arg)
{
	struct memhp_vballoon_dev *dev = arg;

	pthread_mutex_lock(&dev->lock);
	while (!dev->stop) {
		bool give_back = false;

		if (!dev->timer_armed) {
			pthread_cond_wait(&dev->cond, &dev->lock);
			continue;
		}
		if (!due(&dev->deadline)) {
			pthread_cond_timedwait(&dev->cond, &dev->lock, &dev->deadline);
			continue;
		}
		dev->timer_armed = false;
		if (!dev->stats_held || !(dev->acked & (1ULL << MEMHP_VIRTIO_BALLOON_F_STATS_VQ))) {
			arm_timer(dev, dev->poll_interval);
		} else {
			dev->stats_held = false;
			dev->st.stats_polls++;
			give_back = true;
		}
		if (give_back) {
			pthread_mutex_unlock(&dev->lock);
			notify_stats(dev);
			pthread_mutex_lock(&dev->lock);
		}
	}
	pthread_mutex_unlock(&dev->lock);
	return NULL;
}

int memhp_vballoon_dev_create(struct memhp_machine *m, const struct memhp_vballoon_dev_config *cfg,
			      struct memhp_vballoon_dev **out)
{
	struct memhp_vballoon_dev *dev;
	pthread_condattr_t attr;
	int ret;

	if (!m || !cfg || !out)
		return -EINVAL;
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	dev->m = m;
	dev->cfg = *cfg;
	if (cfg->id)
		snprintf(dev->id, sizeof(dev->id), "%s", cfg->id);
	dev->cfg.id = cfg->id ? dev->id : NULL;
	/* virtio_balloon_get_features(): STATS_VQ is always offered. */
	dev->features = (1ULL << VIRTIO_F_VERSION_1) | (1ULL << MEMHP_VIRTIO_BALLOON_F_STATS_VQ);
	if (cfg->deflate_on_oom)
		dev->features |= 1ULL << MEMHP_VIRTIO_BALLOON_F_DEFLATE_ON_OOM;
	if (cfg->free_page_reporting)
		dev->features |= 1ULL << MEMHP_VIRTIO_BALLOON_F_REPORTING;
	if (cfg->page_poison)
		dev->features |= 1ULL << MEMHP_VIRTIO_BALLOON_F_PAGE_POISON;
	dev->acked = dev->features;
	reset_stats(dev);
	pthread_mutex_init(&dev->cb_lock, NULL);
	pthread_mutex_init(&dev->listen_lock, NULL);
	pthread_mutex_init(&dev->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&dev->cond, &attr);
	pthread_condattr_destroy(&attr);
	ret = -pthread_create(&dev->thread, NULL, timer_thread, dev);
	if (ret) {
		pthread_cond_destroy(&dev->cond);
		pthread_mutex_destroy(&dev->lock);
		pthread_mutex_destroy(&dev->listen_lock);
		pthread_mutex_destroy(&dev->cb_lock);
		free(dev);
		return ret;
	}
	*out = dev;
	return 0;
}

void memhp_vballoon_dev_destroy(struct memhp_vballoon_dev *dev)
{
	if (!dev)
		return;
	pthread_mutex_lock(&dev->lock);
	dev->stop = true;
	pthread_cond_signal(&dev->cond);
	pthread_mutex_unlock(&dev->lock);
	pthread_join(dev->thread, NULL);
	pthread_cond_destroy(&dev->cond);
	pthread_mutex_destroy(&dev->lock);
	pthread_mutex_destroy(&dev->listen_lock);
	pthread_mutex_destroy(&dev->cb_lock);
	free(dev);
}

const struct memhp_vballoon_dev_config *
memhp_vballoon_dev_get_config(struct memhp_vballoon_dev *dev)
{
	return dev ? &dev->cfg : NULL;
}

/* ---- The guest's view ------------------------------------------------------------ */

uint64_t memhp_vballoon_dev_features(struct memhp_vballoon_dev *dev)
{
	return dev ? dev->features : 0;
}

int memhp_vballoon_dev_ack_features(struct memhp_vballoon_dev *dev, uint64_t features)
{
	if (!dev || (features & ~dev->features))
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	dev->acked = features;
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

void memhp_vballoon_dev_read_config(struct memhp_vballoon_dev *dev,
				    struct memhp_virtio_balloon_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	pthread_mutex_lock(&dev->lock);
	cfg->num_pages = htole32(dev->num_pages);
	cfg->actual = htole32(dev->actual);
	cfg->poison_val = htole32(dev->poison_val);
	pthread_mutex_unlock(&dev->lock);
}

uint64_t memhp_vballoon_dev_ram_size(struct memhp_vballoon_dev *dev)
{
	struct memhp_meminfo mi;

	if (dev->cfg.ram_size)
		return dev->cfg.ram_size(dev->cfg.ram_size_priv);
	memhp_meminfo(dev->m, &mi);
	return (uint64_t)mi.present_pages << MEMHP_PAGE_SHIFT;
}

static void tell_listeners(struct memhp_vballoon_dev *dev, uint64_t logical)
{
	pthread_mutex_lock(&dev->listen_lock);
	for (struct memhp_vballoon_listener *l = dev->listeners; l; l = l->next)
		l->fn(dev, logical, l->priv);
	pthread_mutex_unlock(&dev->listen_lock);
}

/* virtio_balloon_set_config(). */
void memhp_vballoon_dev_write_config(struct memhp_vballoon_dev *dev,
				     const struct memhp_virtio_balloon_config *cfg)
{
	uint64_t ram = memhp_vballoon_dev_ram_size(dev);
	uint32_t old;
	bool changed;

	pthread_mutex_lock(&dev->lock);
	old = dev->actual;
	dev->actual = le32toh(cfg->actual);
	changed = dev->actual != old;
	dev->poison_val = 0;
	if (dev->acked & (1ULL << MEMHP_VIRTIO_BALLOON_F_PAGE_POISON))
		dev->poison_val = le32toh(cfg->poison_val);
	dev->st.config_writes++;
	old = dev->actual;
	pthread_mutex_unlock(&dev->lock);
	if (changed)
		tell_listeners(dev, ram - ((uint64_t)old << MEMHP_VIRTIO_BALLOON_PFN_SHIFT));
}

void memhp_vballoon_dev_set_config_changed(struct memhp_vballoon_dev *dev,
					   memhp_vballoon_notify_fn fn, void *priv)
{
	pthread_mutex_lock(&dev->cb_lock);
	dev->config_changed = fn;
	dev->config_priv = priv;
	pthread_mutex_unlock(&dev->cb_lock);
}

void memhp_vballoon_dev_set_stats_request(struct memhp_vballoon_dev *dev,
					  memhp_vballoon_notify_fn fn, void *priv)
{
	pthread_mutex_lock(&dev->cb_lock);
	dev->stats_request = fn;
	dev->stats_priv = priv;
	pthread_mutex_unlock(&dev->cb_lock);
}

/* A run of frames is RAM when the guest has System RAM there, as QEMU's
 * memory_region_find() finds a RAM region. */
static bool is_ram(struct memhp_vballoon_dev *dev, uint64_t pa, uint64_t size)
{
	return memhp_range_has_system_ram(dev->m, pa, size);
}

static void handle_run(struct memhp_vballoon_dev *dev, bool deflate, uint64_t pa, uint64_t size)
{
	char *host = (char *)memhp_phys_base(dev->m) + pa;

	if (deflate) {
		/* balloon_deflate_page(): a hint, failure is not fatal. */
		madvise(host, size, MADV_WILLNEED);
	} else {
		memhp_host_discard(dev->m, pa, size, false);
	}
}

/* virtio_balloon_handle_output(): frame by frame as QEMU goes, runs of
 * contiguous frames at a time as the host can. */
int memhp_vballoon_dev_tell(struct memhp_vballoon_dev *dev, bool deflate, const uint32_t *pfns,
			    size_t nr)
{
	unsigned long bad = 0;

	if (!dev || (nr && !pfns) || nr > VBALLOON_MAX_PFNS_PER_BUFFER)
		return -EINVAL;
	for (size_t i = 0; i < nr;) {
		uint64_t start = le32toh(pfns[i]), end = start + 1;

		for (i++; i < nr && le32toh(pfns[i]) == end; i++)
			end++;
		if (is_ram(dev, start * PAGE_4K, (end - start) * PAGE_4K)) {
			handle_run(dev, deflate, start * PAGE_4K, (end - start) * PAGE_4K);
			continue;
		}
		/* Partly outside RAM: frame by frame, skipping the bad ones. */
		for (uint64_t p = start; p < end; p++) {
			if (is_ram(dev, p * PAGE_4K, PAGE_4K))
				handle_run(dev, deflate, p * PAGE_4K, PAGE_4K);
			else
				bad++;
		}
	}
	pthread_mutex_lock(&dev->lock);
	if (deflate) {
		dev->st.deflate_requests++;
		dev->st.deflated_pages += nr - bad;
	} else {
		dev->st.inflate_requests++;
		dev->st.inflated_pages += nr - bad;
	}
	dev->st.bad_pfns += bad;
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

/* virtio_balloon_receive_stats(). */
int memhp_vballoon_dev_stats(struct memhp_vballoon_dev *dev,
			     const struct memhp_virtio_balloon_stat *stats, size_t nr)
{
	struct timespec wall;
	bool give_back = false;

	if (!dev || (nr && !stats))
		return -EINVAL;
	clock_gettime(CLOCK_REALTIME, &wall);
	pthread_mutex_lock(&dev->lock);
	/* A second buffer while one is held breaks the spec; QEMU gives the
	 * old one back. */
	give_back = dev->stats_held;
	dev->stats_held = true;
	reset_stats(dev);
	for (size_t i = 0; i < nr; i++) {
		uint16_t tag = le16toh(stats[i].tag);

		if (tag < MEMHP_VIRTIO_BALLOON_S_NR)
			dev->stats[tag] = le64toh(stats[i].val);
	}
	dev->last_update = wall.tv_sec;
	dev->st.stats_received++;
	if (dev->poll_interval > 0)
		arm_timer(dev, dev->poll_interval);
	pthread_mutex_unlock(&dev->lock);
	if (give_back)
		notify_stats(dev);
	return 0;
}

/* virtio_balloon_handle_report(). */
int memhp_vballoon_dev_report(struct memhp_vballoon_dev *dev,
			      const struct memhp_virtio_balloon_report *chunks, size_t nr)
{
	unsigned long bytes = 0;
	uint32_t poison;

	if (!dev || (nr && !chunks) || nr > MEMHP_VBALLOON_REPORTING_QUEUE_SIZE)
		return -EINVAL;
	if (!(dev->features & (1ULL << MEMHP_VIRTIO_BALLOON_F_REPORTING)))
		return -EOPNOTSUPP;
	pthread_mutex_lock(&dev->lock);
	poison = dev->poison_val;
	pthread_mutex_unlock(&dev->lock);
	/* A discarded page comes back zeroed: not if the guest expects its
	 * poison pattern in free pages. */
	for (size_t i = 0; i < nr && !poison; i++) {
		uint64_t addr = chunks[i].addr, len = chunks[i].len;

		if ((addr | len) % PAGE_4K || !len || !is_ram(dev, addr, len))
			continue;
		memhp_host_discard(dev->m, addr, len, false);
		bytes += len;
	}
	pthread_mutex_lock(&dev->lock);
	dev->st.reports++;
	dev->st.reported_bytes += bytes;
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

/* virtio_balloon_device_reset(). */
void memhp_vballoon_dev_reset(struct memhp_vballoon_dev *dev)
{
	pthread_mutex_lock(&dev->lock);
	dev->stats_held = false;
	dev->poison_val = 0;
	dev->acked = dev->features;
	pthread_mutex_unlock(&dev->lock);
}

/* ---- The host's view --------------------------------------------------------------- */

void memhp_vballoon_dev_set_target(struct memhp_vballoon_dev *dev, uint64_t target)
{
	uint64_t ram = memhp_vballoon_dev_ram_size(dev);

	if (target > ram)
		target = ram;
	if (!target)
		return;
	pthread_mutex_lock(&dev->lock);
	dev->num_pages = (uint32_t)((ram - target) >> MEMHP_VIRTIO_BALLOON_PFN_SHIFT);
	dev->st.config_changes++;
	pthread_mutex_unlock(&dev->lock);
	pthread_mutex_lock(&dev->cb_lock);
	if (dev->config_changed)
		dev->config_changed(dev, dev->config_priv);
	pthread_mutex_unlock(&dev->cb_lock);
}

uint64_t memhp_vballoon_dev_logical_size(struct memhp_vballoon_dev *dev)
{
	uint64_t ram = memhp_vballoon_dev_ram_size(dev);
	uint32_t actual;

	pthread_mutex_lock(&dev->lock);
	actual = dev->actual;
	pthread_mutex_unlock(&dev->lock);
	return ram - ((uint64_t)actual << MEMHP_VIRTIO_BALLOON_PFN_SHIFT);
}

void memhp_vballoon_dev_guest_stats(struct memhp_vballoon_dev *dev,
				    struct memhp_vballoon_guest_stats *st)
{
	pthread_mutex_lock(&dev->lock);
	memcpy(st->stats, dev->stats, sizeof(st->stats));
	st->last_update = dev->last_update;
	pthread_mutex_unlock(&dev->lock);
}

int64_t memhp_vballoon_dev_poll_interval(struct memhp_vballoon_dev *dev)
{
	int64_t v;

	pthread_mutex_lock(&dev->lock);
	v = dev->poll_interval;
	pthread_mutex_unlock(&dev->lock);
	return v;
}

/* balloon_stats_set_poll_interval(). */
int memhp_vballoon_dev_set_poll_interval(struct memhp_vballoon_dev *dev, int64_t seconds)
{
	if (seconds < 0)
		return -EINVAL;
	if (seconds > MEMHP_VBALLOON_MAX_POLL_INTERVAL)
		return -E2BIG;
	pthread_mutex_lock(&dev->lock);
	if (seconds != dev->poll_interval) {
		if (!seconds) {
			dev->timer_armed = false;
		} else {
			/* A new timer fires at once; a changed one an
			 * interval from now. */
			arm_timer(dev, dev->poll_interval ? seconds : 0);
		}
		dev->poll_interval = seconds;
	}
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

int memhp_vballoon_dev_add_listener(struct memhp_vballoon_dev *dev,
				    struct memhp_vballoon_listener *l)
{
	if (!dev || !l || !l->fn)
		return -EINVAL;
	pthread_mutex_lock(&dev->listen_lock);
	l->next = dev->listeners;
	dev->listeners = l;
	pthread_mutex_unlock(&dev->listen_lock);
	return 0;
}

void memhp_vballoon_dev_remove_listener(struct memhp_vballoon_dev *dev,
					struct memhp_vballoon_listener *l)
{
	if (!dev || !l)
		return;
	pthread_mutex_lock(&dev->listen_lock);
	for (struct memhp_vballoon_listener **p = &dev->listeners; *p; p = &(*p)->next) {
		if (*p == l) {
			*p = l->next;
			break;
		}
	}
	pthread_mutex_unlock(&dev->listen_lock);
}

void memhp_vballoon_dev_stats_get(struct memhp_vballoon_dev *dev,
				  struct memhp_vballoon_dev_stats *st)
{
	pthread_mutex_lock(&dev->lock);
	*st = dev->st;
	pthread_mutex_unlock(&dev->lock);
}
