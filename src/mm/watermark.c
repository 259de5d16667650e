// SPDX-License-Identifier: MIT
/*
 * watermark.c - min_free_kbytes, the zone watermarks, the lowmem reserves
 * and totalreserve_pages (mm/page_alloc.c), and khugepaged's raising of
 * min_free_kbytes (mm/khugepaged.c).
 *
 * 6.1 recomputes all of them at boot and after every online and offline
 * (init_per_zone_wmark_min()), and the sysctls recompute their part when
 * written. They shape what a guest reports (MemAvailable, zoneinfo's
 * min/low/high and protection) and, through the per-cpu lists' high mark,
 * how allocation behaves.
 *
 * Readers (zoneinfo, meminfo, allocators) read the values lock-free; the
 * writers serialise on wmark_lock, as setup_per_zone_wmarks()'s spinlock
 * does.
 */
#include "internal.h"

#include <memhp/sysctl.h>

/* calculate_min_free_kbytes()'s bounds. */
#define MIN_FREE_KBYTES_FLOOR 128
#define MIN_FREE_KBYTES_CEIL 262144
/* set_recommended_min_free_kbytes(): at most a
 * twentieth of lowmem. */
#define RECOMMENDED_MIN_LOWMEM_DIVISOR 20
/* hugepage_init(): no THP by default below this much RAM (totalram). */
#define THP_MIN_TOTALRAM_BYTES (512 * MEMHP_MiB)
/* watermark_scale_factor is in parts of this. */
#define WATERMARK_SCALE_UNIT 10000

#define KB_PER_PAGE (MEMHP_PAGE_SIZE >> 10)

static unsigned long managed(const struct zone *z)
{
	long v = READ_ONCE(((struct zone *)z)->managed_pages);

	return v > 0 ? (unsigned long)v : 0;
}

/* int_sqrt(): the largest r with r * r <= x. */
static unsigned long int_sqrt(unsigned long x)
{
	unsigned long r = 0, bit = 1UL << (sizeof(x) * 8 - 2);

	while (bit > x)
		bit >>= 2;
	while (bit) {
		if (x >= r + bit) {
			x -= r + bit;
			r = (r >> 1) + bit;
		} else {
			r >>= 1;
		}
		bit >>= 2;
	}
	return r;
}

/*
 * nr_free_buffer_pages(): the pages above the high watermark in the zones
 * GFP_USER may use (up to ZONE_NORMAL).
 */
static unsigned long nr_free_buffer_pages(struct memhp_machine *m)
{
	unsigned long sum = 0;

	for_each_zone(m, zone)
	{
		unsigned long size = managed(zone), high = high_wmark_pages(zone);

		if (zone->idx <= ZONE_NORMAL && size > high)
			sum += size - high;
	}
	return sum;
}

/* calculate_totalreserve_pages(): per zone, its largest lowmem reserve
 * plus its high watermark, at most what it manages. */
static void calculate_totalreserve_pages(struct memhp_machine *m)
{
	unsigned long total = 0;

	for_each_zone(m, zone)
	{
		unsigned long max = 0;

		for (int j = zone->idx; j < NR_RESERVE_ZONES; j++)
			max = MAX(max, (unsigned long)READ_ONCE(zone->lowmem_reserve[j]));
		max += high_wmark_pages(zone);
		total += MIN(max, managed(zone));
	}
	WRITE_ONCE(m->vm.totalreserve_pages, total);
}

/*
 * setup_per_zone_lowmem_reserve(): zone i keeps back, from an allocation
 * whose highest zone is j, the managed pages of zones i+1..j divided by
 * its lowmem_reserve_ratio; nothing if the ratio is 0 or it manages
 * nothing. ZONE_DEVICE, the last index, never manages pages.
 */
static void setup_per_zone_lowmem_reserve(struct memhp_machine *m)
{
	for_each_zone(m, zone)
	{
		const int i = zone->idx;
		long ratio = READ_ONCE(m->vm.lowmem_reserve_ratio[i]);
		bool clear = ratio <= 0 || !managed(zone);
		unsigned long upper = 0;

		/* Within the zone's own node (for_each_online_pgdat()). */
		for (int j = i + 1; j < NR_RESERVE_ZONES; j++) {
			if (j < MAX_NR_ZONES)
				upper += managed(&zone->zone_pgdat->node_zones[j]);
			WRITE_ONCE(zone->lowmem_reserve[j],
				   clear ? 0 : upper / (unsigned long)ratio);
		}
	}
	calculate_totalreserve_pages(m);
}

/*
 * __setup_per_zone_wmarks(): min_free_kbytes shared among the zones by
 * their managed pages (x86_64 has no highmem), then low and high each a
 * quarter of min, or watermark_scale_factor of the zone, above the last.
 */
static void setup_per_zone_wmarks_locked(struct memhp_machine *m)
{
	unsigned long pages_min = (unsigned long)READ_ONCE(m->vm.min_free_kbytes) / KB_PER_PAGE;
	unsigned long scale = (unsigned long)READ_ONCE(m->vm.watermark_scale_factor);
	unsigned long lowmem = 0;

	for_each_zone(m, zone) lowmem += managed(zone);
	for_each_zone(m, zone)
	{
		unsigned long size = managed(zone);
		unsigned long min =
			lowmem ? (unsigned long)((uint64_t)pages_min * size / lowmem) : 0;
		/* mult_frac(), which avoids the product's overflow. */
		unsigned long frac = size / WATERMARK_SCALE_UNIT * scale +
				     size % WATERMARK_SCALE_UNIT * scale / WATERMARK_SCALE_UNIT;
		unsigned long step = MAX(min >> 2, frac);

		WRITE_ONCE(zone->watermark[WMARK_MIN], min);
		WRITE_ONCE(zone->watermark[WMARK_LOW], min + step);
		WRITE_ONCE(zone->watermark[WMARK_HIGH], min + 2 * step);
	}
	calculate_totalreserve_pages(m);
}

/* The per-cpu lists' high follows the low watermark: after every change,
 * outside wmark_lock, as setup_per_zone_wmarks() does. */
static void zone_pcp_update_all(struct memhp_machine *m)
{
	for_each_zone(m, zone) zone_pcp_update(m, zone, 0);
}

void setup_per_zone_wmarks(struct memhp_machine *m)
{
	pthread_mutex_lock(&m->vm.wmark_lock);
	setup_per_zone_wmarks_locked(m);
	pthread_mutex_unlock(&m->vm.wmark_lock);
	zone_pcp_update_all(m);
}

/*
 * calculate_min_free_kbytes(): sqrt(16 * lowmem in kB), within its bounds,
 * unless the user wrote a larger value, which stays.
 */
static void calculate_min_free_kbytes(struct memhp_machine *m)
{
	unsigned long lowmem_kb = nr_free_buffer_pages(m) * KB_PER_PAGE;
	long new_min = (long)int_sqrt(lowmem_kb * 16);
	long user = READ_ONCE(m->vm.user_min_free_kbytes);

	if (new_min > user)
		WRITE_ONCE(m->vm.min_free_kbytes,
			   CLAMP(new_min, MIN_FREE_KBYTES_FLOOR, MIN_FREE_KBYTES_CEIL));
	else
		memhp_printk(m, MEMHP_KERN_WARNING,
			     "min_free_kbytes is not updated to %ld because user defined value "
			     "%ld is preferred\n",
			     new_min, user);
}

/*
 * set_recommended_min_free_kbytes(), khugepaged's: with transparent huge
 * pages enabled, min_free_kbytes is at least enough for two free
 * pageblocks per zone below ZONE_MOVABLE and one of each pcp type for each
 * of the others, at most a twentieth of lowmem.
 */
static void set_recommended_min_free_kbytes(struct memhp_machine *m)
{
	unsigned long nr_zones = 0, recommended;
	long min_free = READ_ONCE(m->vm.min_free_kbytes);

	for_each_zone(m, zone) nr_zones += zone->idx <= ZONE_NORMAL && populated_zone(zone);
	recommended = m->pageblock_nr_pages * nr_zones * 2 +
		      m->pageblock_nr_pages * nr_zones * MIGRATE_PCPTYPES * MIGRATE_PCPTYPES;
	recommended = MIN(recommended, nr_free_buffer_pages(m) / RECOMMENDED_MIN_LOWMEM_DIVISOR);
	recommended *= KB_PER_PAGE;
	if ((long)recommended > min_free) {
		if (READ_ONCE(m->vm.user_min_free_kbytes) >= 0)
			memhp_printk(m, MEMHP_KERN_INFO,
				     "raising min_free_kbytes from %ld to %lu to help transparent "
				     "hugepage allocations\n",
				     min_free, recommended);
		WRITE_ONCE(m->vm.min_free_kbytes, (long)recommended);
	}
	setup_per_zone_wmarks_locked(m);
}

/*
 * init_per_zone_wmark_min(): at boot and after each online and offline.
 * khugepaged runs when transparent huge pages are enabled ("always" in
 * Debian's 6.1, or "madvise"), and has the last word.
 */
void init_per_zone_wmark_min(struct memhp_machine *m)
{
	pthread_mutex_lock(&m->vm.wmark_lock);
	calculate_min_free_kbytes(m);
	setup_per_zone_wmarks_locked(m);
	setup_per_zone_lowmem_reserve(m);
	/* khugepaged_min_free_kbytes_update() */
	if (READ_ONCE(m->vm.thp_mode) != MEMHP_THP_NEVER && m->vm.khugepaged_running)
		set_recommended_min_free_kbytes(m);
	pthread_mutex_unlock(&m->vm.wmark_lock);
	zone_pcp_update_all(m);
}

/* start_stop_khugepaged(): with THP on, khugepaged runs and recommends;
 * off, it stops. */
static void start_stop_khugepaged(struct memhp_machine *m)
{
	lockdep_assert_held(&m->vm.wmark_lock);
	if (READ_ONCE(m->vm.thp_mode) != MEMHP_THP_NEVER) {
		m->vm.khugepaged_running = true;
		set_recommended_min_free_kbytes(m);
	} else {
		m->vm.khugepaged_running = false;
	}
}

/* At boot: the initcalls' order, then hugepage_init() starts khugepaged. */
void watermark_init(struct memhp_machine *m)
{
	WRITE_ONCE(m->vm.thp_mode, (int)m->cfg.transparent_hugepage);
	init_per_zone_wmark_min(m);
	pthread_mutex_lock(&m->vm.wmark_lock);
	/* hugepage_init(): on a small machine the TLB savings do not pay for
	 * the memory THP and khugepaged's reserve take, so every flag is
	 * cleared, the command line's too (a 512 MiB q35 guest has 457 MiB
	 * of totalram: THP off, min_free_kbytes 2696 in Debian's 6.1). */
	if ((uint64_t)READ_ONCE(m->totalram_pages) * MEMHP_PAGE_SIZE < THP_MIN_TOTALRAM_BYTES) {
		WRITE_ONCE(m->vm.thp_mode, (int)MEMHP_THP_NEVER);
		m->vm.thp_small_system = true;
	}
	start_stop_khugepaged(m);
	pthread_mutex_unlock(&m->vm.wmark_lock);
	zone_pcp_update_all(m);
}

int memhp_set_transparent_hugepage(struct memhp_machine *m, enum memhp_thp_mode mode)
{
	if ((unsigned)mode > MEMHP_THP_NEVER)
		return -EINVAL;
	pthread_mutex_lock(&m->vm.wmark_lock);
	WRITE_ONCE(m->vm.thp_mode, (int)mode);
	start_stop_khugepaged(m);
	pthread_mutex_unlock(&m->vm.wmark_lock);
	zone_pcp_update_all(m);
	return 0;
}

enum memhp_thp_mode memhp_transparent_hugepage(struct memhp_machine *m)
{
	return (enum memhp_thp_mode)READ_ONCE(m->vm.thp_mode);
}

bool memhp_thp_disabled_at_boot(struct memhp_machine *m)
{
	return m->vm.thp_small_system;
}

/* The sysctl handlers' side (sysctl.c): the user's min_free_kbytes. */
void watermark_set_min_free_kbytes(struct memhp_machine *m, long kbytes)
{
	pthread_mutex_lock(&m->vm.wmark_lock);
	WRITE_ONCE(m->vm.min_free_kbytes, kbytes);
	WRITE_ONCE(m->vm.user_min_free_kbytes, kbytes);
	setup_per_zone_wmarks_locked(m);
	pthread_mutex_unlock(&m->vm.wmark_lock);
	zone_pcp_update_all(m);
}

void watermark_update_lowmem_reserve(struct memhp_machine *m)
{
	pthread_mutex_lock(&m->vm.wmark_lock);
	setup_per_zone_lowmem_reserve(m);
	pthread_mutex_unlock(&m->vm.wmark_lock);
}

unsigned long memhp_zone_watermark(struct memhp_machine *m, int nid, enum memhp_zone_type zone,
				   enum memhp_wmark w)
{
	if (nid < 0 || nid >= m->nr_node_ids || (unsigned)zone >= MAX_NR_ZONES ||
	    (unsigned)w >= MEMHP_NR_WMARK)
		return 0;
	return READ_ONCE(NODE_DATA_M(m, nid)->node_zones[zone].watermark[w]);
}

unsigned long memhp_zone_lowmem_reserve(struct memhp_machine *m, int nid, enum memhp_zone_type zone,
					unsigned int upper)
{
	if (nid < 0 || nid >= m->nr_node_ids || (unsigned)zone >= MAX_NR_ZONES ||
	    upper >= NR_RESERVE_ZONES)
		return 0;
	return READ_ONCE(NODE_DATA_M(m, nid)->node_zones[zone].lowmem_reserve[upper]);
}

int memhp_min_free_kbytes(struct memhp_machine *m)
{
	return (int)READ_ONCE(m->vm.min_free_kbytes);
}

unsigned long memhp_totalreserve_pages(struct memhp_machine *m)
{
	return READ_ONCE(m->vm.totalreserve_pages);
}
