// SPDX-License-Identifier: MIT
/*
 * memory_block.c - memory blocks, their state machine and their sysfs
 * files (drivers/base/memory.c, the online/offline parts of
 * drivers/base/core.c), and memory groups.
 *
 * The two ways user space changes a block differ, and tools depend on it:
 * writing the current state to "state" is -EINVAL, writing the current
 * value to "online" succeeds; "online" = 1 always means MMOP_ONLINE.
 */
#include "../lib/kstrtox.h"
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

struct memory_block *find_memory_block_by_id(struct memhp_machine *m, unsigned long id)
{
	if (id >= m->nr_block_ids ||
	    !atomic_load_explicit(&m->blocks[id].present, memory_order_acquire))
		return NULL;
	return &m->blocks[id];
}

unsigned long memhp_phys_to_block_id(const struct memhp_machine *m, uint64_t phys)
{
	return pfn_to_block_id(m, PHYS_PFN(phys));
}

static unsigned long block_start_pfn(const struct memhp_machine *m, const struct memory_block *mem)
{
	return section_nr_to_pfn(m, mem->start_section_nr);
}

/* ---- Memory groups -------------------------------------------------------- */

struct memory_group *memory_group_find_by_id(struct memhp_machine *m, int mgid)
{
	if (mgid < 0 || mgid >= MEMHP_MAX_MEMORY_GROUPS || !m->groups[mgid].used)
		return NULL;
	return &m->groups[mgid];
}

static int memory_group_register(struct memhp_machine *m, struct memory_group g)
{
	int id = -ENOSPC;

	if (g.nid < 0 || g.nid >= m->nr_node_ids)
		return -EINVAL;
	memhp_lock_device_hotplug(m);
	for (int i = 0; i < MEMHP_MAX_MEMORY_GROUPS; i++) {
		if (!m->groups[i].used) {
			m->groups[i] = g;
			m->groups[i].used = true;
			id = i;
			break;
		}
	}
	memhp_unlock_device_hotplug(m);
	return id;
}

int memhp_memory_group_register_static(struct memhp_machine *m, int nid, unsigned long max_pages)
{
	struct memory_group g = { .nid = nid, .max_pages = max_pages };

	if (!max_pages)
		return -EINVAL;
	return memory_group_register(m, g);
}

int memhp_memory_group_register_dynamic(struct memhp_machine *m, int nid, unsigned long unit_pages)
{
	struct memory_group g = { .nid = nid, .is_dynamic = true, .unit_pages = unit_pages };

	if (!unit_pages || (unit_pages & (unit_pages - 1)) || unit_pages < m->pages_per_block)
		return -EINVAL;
	return memory_group_register(m, g);
}

int memhp_memory_group_unregister(struct memhp_machine *m, int mgid)
{
	struct memory_group *g;
	int ret = 0;

	memhp_lock_device_hotplug(m);
	g = memory_group_find_by_id(m, mgid);
	if (!g)
		ret = -EINVAL;
	else if (g->nr_blocks)
		ret = -EBUSY;
	else
		memset(g, 0, sizeof(*g));
	memhp_unlock_device_hotplug(m);
	return ret;
}

/* ---- Creating and removing blocks ------------------------------------------- */

/* A block's event: the file tree sends its uevent on it. @zone: the one it
 * went online to, or left; NULL when it comes or goes. */
static void block_event(struct memhp_machine *m, struct memory_block *mem,
			enum memhp_event_type type, struct zone *zone)
{
	mhp_emit(m, type, block, .id = mem->id, .start_pfn = block_start_pfn(m, mem),
		 .nr_pages = m->pages_per_block, .zone = zone ? (int)zone->idx : -1,
		 .nid = atomic_load(&mem->nid));
}

static int add_memory_block(struct memhp_machine *m, unsigned long id, int state,
			    unsigned long nr_vmemmap_pages, struct memory_group *group, int nid,
			    bool early)
{
	struct memory_block *mem;

	if (id >= m->nr_block_ids)
		return -EINVAL;
	mem = &m->blocks[id];
	if (atomic_load(&mem->present))
		return -EEXIST;
	atomic_fetch_add_explicit(&mem->seq, 1, memory_order_acq_rel);
	atomic_store(&mem->state, state);
	mem->online_type = MEMHP_MMOP_OFFLINE;
	atomic_store(&mem->dev_offline, state == MEMHP_MEM_OFFLINE);
	mem->nid = nid;
	atomic_store(&mem->zone, NULL);
	mem->nr_vmemmap_pages = nr_vmemmap_pages;
	mem->group = group;
	mem->early = early;
	if (group)
		group->nr_blocks++;
	atomic_fetch_add_explicit(&mem->seq, 1, memory_order_release);
	atomic_store_explicit(&mem->present, true, memory_order_release);
	atomic_fetch_add(&m->nr_present_blocks, 1);
	block_event(m, mem, MEMHP_EV_BLOCK_ADD, NULL);
	return 0;
}

static void remove_memory_block(struct memhp_machine *m, struct memory_block *mem)
{
	struct memory_group *group = mem->group;

	atomic_fetch_add_explicit(&mem->seq, 1, memory_order_acq_rel);
	if (group)
		group->nr_blocks--;
	mem->group = NULL;
	atomic_store_explicit(&mem->present, false, memory_order_release);
	atomic_fetch_add_explicit(&mem->seq, 1, memory_order_release);
	atomic_fetch_sub(&m->nr_present_blocks, 1);
	block_event(m, mem, MEMHP_EV_BLOCK_REMOVE, NULL);
}

/* Returns 0, or -EEXIST with nothing created. */
int create_memory_block_devices(struct memhp_machine *m, uint64_t start, uint64_t size,
				unsigned long vmemmap_pages, struct memory_group *group, int nid)
{
	unsigned long first = memhp_phys_to_block_id(m, start);
	unsigned long last = memhp_phys_to_block_id(m, start + size - 1);
	int ret = 0;

	for (unsigned long id = first; id <= last; id++) {
		ret = add_memory_block(m, id, MEMHP_MEM_OFFLINE, vmemmap_pages, group, nid, false);
		if (ret) {
			while (id-- > first)
				remove_memory_block(m, &m->blocks[id]);
			break;
		}
	}
	return ret;
}

void remove_memory_block_devices(struct memhp_machine *m, uint64_t start, uint64_t size)
{
	unsigned long first = memhp_phys_to_block_id(m, start);
	unsigned long last = memhp_phys_to_block_id(m, start + size - 1);

	for (unsigned long id = first; id <= last; id++) {
		struct memory_block *mem = find_memory_block_by_id(m, id);

		if (mem)
			remove_memory_block(m, mem);
	}
}

/*
 * A boot block is online; its zone is the one zone its present pages are
 * in, or NULL when they are in several (then it cannot be offlined).
 */
int add_boot_memory_block(struct memhp_machine *m, unsigned long id)
{
	unsigned long start = id * m->pages_per_block;
	struct zone *zone = NULL;
	bool multi = false;
	int ret;

	for (unsigned int i = 0; i < m->cfg.nr_boot; i++) {
		unsigned long rs = PHYS_PFN(m->cfg.boot[i].start);
		unsigned long re = PHYS_PFN(m->cfg.boot[i].start + m->cfg.boot[i].size);
		unsigned long lo = MAX(rs, start), hi = MIN(re, start + m->pages_per_block);

		for (unsigned long pfn = lo; pfn < hi;
		     pfn = ALIGN_DOWN(pfn, m->pageblock_nr_pages) + m->pageblock_nr_pages) {
			struct zone *z = pfn_zone(m, pfn);

			if (zone && z != zone)
				multi = true;
			zone = z;
		}
	}
	/* Node boundaries are block aligned (config_validate_nodes()): the
	 * block's node is its zone's. */
	ret = add_memory_block(m, id, MEMHP_MEM_ONLINE, 0, NULL, zone ? zone_to_nid(zone) : 0,
			       true);
	if (!ret)
		atomic_store(&m->blocks[id].zone, multi ? NULL : zone);
	return ret;
}

void memory_blocks_destroy(struct memhp_machine *m)
{
	for (unsigned long id = 0; id < m->nr_block_ids; id++)
		pthread_mutex_destroy(&m->blocks[id].dev_lock);
	free(m->blocks);
	m->blocks = NULL;
}

/* ---- Online / offline ---------------------------------------------------------- */

/*
 * A block's state and zone change together: lock-free readers
 * (memhp_block_info) see both before or both after, never an online
 * block without its zone.
 */
static void memory_block_publish(struct memory_block *mem, int state, struct zone *zone)
{
	lockdep_assert_held(&mem->dev_lock);
	atomic_fetch_add_explicit(&mem->seq, 1, memory_order_acq_rel);
	atomic_store(&mem->zone, zone);
	atomic_store(&mem->state, state);
	atomic_fetch_add_explicit(&mem->seq, 1, memory_order_release);
}

/* On success *zonep is the zone the block went to. Returns 0 or an
 * errno. */
static int memory_block_online(struct memhp_machine *m, struct memory_block *mem,
			       struct zone **zonep)
{
	unsigned long start_pfn = block_start_pfn(m, mem);
	unsigned long nr_pages = m->pages_per_block;
	unsigned long nr_vmemmap = mem->nr_vmemmap_pages;
	struct zone *zone;
	int ret;

	lockdep_assert_held(&mem->dev_lock);
	zone = zone_for_pfn_range(m, mem->online_type, mem->nid, mem->group, start_pfn, nr_pages);
	mem_hotplug_begin(m);
	if (nr_vmemmap) {
		/* mhp_init_memmap_on_memory(): the block's own memmap pages
		 * join the zone, never the buddy. */
		move_pfn_range_to_zone(m, zone, start_pfn, nr_vmemmap, MIGRATE_UNMOVABLE, true);
		for (unsigned long i = 0; i < nr_vmemmap; i++)
			set_page_flag(pfn_to_page(m, start_pfn + i), PG_vmemmap_self_hosted);
		if (nr_vmemmap >= m->pages_per_section)
			online_mem_sections(
				m, start_pfn,
				ALIGN_DOWN(start_pfn + nr_vmemmap, m->pages_per_section));
	}
	ret = online_pages(m, start_pfn + nr_vmemmap, nr_pages - nr_vmemmap, zone, mem->group);
	if (ret) {
		if (nr_vmemmap) {
			if (nr_vmemmap >= m->pages_per_section)
				offline_mem_sections(
					m, start_pfn,
					ALIGN_DOWN(start_pfn + nr_vmemmap, m->pages_per_section));
			remove_pfn_range_from_zone(m, zone, start_pfn, nr_vmemmap);
		}
		goto out;
	}
	if (nr_vmemmap)
		adjust_present_page_count(m, start_pfn, mem->group, (long)nr_vmemmap);
	*zonep = zone;
out:
	mem_hotplug_done(m);
	return ret;
}

static int memory_block_offline(struct memhp_machine *m, struct memory_block *mem)
{
	unsigned long start_pfn = block_start_pfn(m, mem);
	unsigned long nr_pages = m->pages_per_block;
	unsigned long nr_vmemmap = mem->nr_vmemmap_pages;
	struct zone *zone = atomic_load(&mem->zone);
	int ret;

	lockdep_assert_held(&mem->dev_lock);
	if (!zone)
		return -EINVAL;
	mem_hotplug_begin(m);
	if (nr_vmemmap)
		adjust_present_page_count(m, start_pfn, mem->group, -(long)nr_vmemmap);
	ret = offline_pages(m, start_pfn + nr_vmemmap, nr_pages - nr_vmemmap, zone, mem->group);
	if (ret) {
		if (nr_vmemmap)
			adjust_present_page_count(m, start_pfn, mem->group, (long)nr_vmemmap);
		goto out;
	}
	if (nr_vmemmap) {
		if (nr_vmemmap >= m->pages_per_section)
			offline_mem_sections(
				m, start_pfn,
				ALIGN_DOWN(start_pfn + nr_vmemmap, m->pages_per_section));
		remove_pfn_range_from_zone(m, zone, start_pfn, nr_vmemmap);
	}
out:
	mem_hotplug_done(m);
	return ret;
}

static int memory_block_change_state(struct memhp_machine *m, struct memory_block *mem,
				     int to_state, int from_state_req)
{
	struct zone *zone = atomic_load(&mem->zone);
	int ret;

	if (atomic_load(&mem->state) != from_state_req)
		return -EINVAL;
	if (to_state == MEMHP_MEM_OFFLINE)
		atomic_store(&mem->state, MEMHP_MEM_GOING_OFFLINE);
	if (to_state == MEMHP_MEM_ONLINE)
		ret = memory_block_online(m, mem, &zone);
	else
		ret = memory_block_offline(m, mem);
	if (!ret && to_state == MEMHP_MEM_OFFLINE)
		zone = NULL;
	memory_block_publish(mem, ret ? from_state_req : to_state, zone);
	return ret;
}

static int memory_subsys_online(struct memhp_machine *m, struct memory_block *mem)
{
	int ret;

	if (atomic_load(&mem->state) == MEMHP_MEM_ONLINE)
		return 0;
	if (mem->online_type == MEMHP_MMOP_OFFLINE)
		mem->online_type = MEMHP_MMOP_ONLINE;
	ret = memory_block_change_state(m, mem, MEMHP_MEM_ONLINE, MEMHP_MEM_OFFLINE);
	mem->online_type = MEMHP_MMOP_OFFLINE;
	return ret;
}

static int memory_subsys_offline(struct memhp_machine *m, struct memory_block *mem)
{
	if (atomic_load(&mem->state) == MEMHP_MEM_OFFLINE)
		return 0;
	return memory_block_change_state(m, mem, MEMHP_MEM_OFFLINE, MEMHP_MEM_ONLINE);
}

/*
 * device_online() / device_offline(): 0 on success, 1 if the block already
 * was there, or the errno.
 */
int device_online(struct memhp_machine *m, struct memory_block *mem)
{
	int ret = 1;

	lockdep_assert_held(&m->device_hotplug_lock);
	pthread_mutex_lock(&mem->dev_lock);
	if (atomic_load(&mem->dev_offline)) {
		ret = memory_subsys_online(m, mem);
		if (!ret) {
			atomic_store(&mem->dev_offline, false);
			block_event(m, mem, MEMHP_EV_BLOCK_ONLINE, atomic_load(&mem->zone));
		}
	}
	pthread_mutex_unlock(&mem->dev_lock);
	check_after_op(m, "online", block_start_pfn(m, mem), m->pages_per_block);
	return ret;
}

int device_offline(struct memhp_machine *m, struct memory_block *mem)
{
	struct zone *zone;
	int ret = 1;

	lockdep_assert_held(&m->device_hotplug_lock);
	pthread_mutex_lock(&mem->dev_lock);
	if (!atomic_load(&mem->dev_offline)) {
		/* The block leaves its zone: the event tells which it was. */
		zone = atomic_load(&mem->zone);
		ret = memory_subsys_offline(m, mem);
		if (!ret) {
			atomic_store(&mem->dev_offline, true);
			block_event(m, mem, MEMHP_EV_BLOCK_OFFLINE, zone);
		}
	}
	pthread_mutex_unlock(&mem->dev_lock);
	check_after_op(m, "offline", block_start_pfn(m, mem), m->pages_per_block);
	return ret;
}

int memhp_block_online(struct memhp_machine *m, unsigned long id, enum memhp_online_type type)
{
	struct memory_block *mem;
	int ret;

	if ((unsigned)type > MEMHP_MMOP_ONLINE_MOVABLE)
		return -EINVAL;
	memhp_lock_device_hotplug(m);
	mem = find_memory_block_by_id(m, id);
	if (!mem) {
		ret = -ENODEV;
	} else {
		mem->online_type = type;
		ret = device_online(m, mem);
	}
	memhp_unlock_device_hotplug(m);
	return ret;
}

int memhp_block_offline(struct memhp_machine *m, unsigned long id)
{
	struct memory_block *mem;
	int ret;

	memhp_lock_device_hotplug(m);
	mem = find_memory_block_by_id(m, id);
	ret = mem ? device_offline(m, mem) : -ENODEV;
	memhp_unlock_device_hotplug(m);
	return ret;
}

/* ---- Queries ------------------------------------------------------------------- */

/*
 * A snapshot of one block, for lock-free readers (sysfs shows, readdir,
 * /proc/meminfo): a block removed and added again meanwhile is seen
 * whole, as one or the other. Returns 0, or -ENODEV if no block has this
 * id.
 */
int memhp_block_info(struct memhp_machine *m, unsigned long id, struct memhp_block_info *info)
{
	struct memory_block *mem;
	unsigned int seq;

	if (id >= m->nr_block_ids)
		return -ENODEV;
	mem = &m->blocks[id];
	do {
		struct memory_group *group;
		struct zone *zone;

		seq = atomic_load_explicit(&mem->seq, memory_order_acquire);
		if (seq & 1 || !atomic_load_explicit(&mem->present, memory_order_acquire)) {
			if (!(seq & 1))
				return -ENODEV;
			continue;
		}
		zone = atomic_load(&mem->zone);
		group = mem->group;
		info->id = id;
		info->start = PFN_PHYS(block_start_pfn(m, mem));
		info->state = (enum memhp_block_state)atomic_load(&mem->state);
		info->online = !atomic_load(&mem->dev_offline);
		info->boot = mem->early;
		info->nid = mem->nid;
		info->zone = zone ? (int)zone->idx : -1;
		info->nr_vmemmap_pages = mem->nr_vmemmap_pages;
		info->group = group ? (int)(group - m->groups) : -1;
		atomic_thread_fence(memory_order_acquire);
	} while (atomic_load_explicit(&mem->seq, memory_order_relaxed) != seq || seq & 1);
	return 0;
}

long memhp_next_block(struct memhp_machine *m, unsigned long from)
{
	for (unsigned long id = from; id < m->nr_block_ids; id++)
		if (atomic_load_explicit(&m->blocks[id].present, memory_order_acquire))
			return (long)id;
	return -1;
}

unsigned long memhp_nr_blocks(struct memhp_machine *m)
{
	return atomic_load(&m->nr_present_blocks);
}

/* ---- sysfs ---------------------------------------------------------------------- */

static const char *const online_type_to_str[] = {
	[MEMHP_MMOP_OFFLINE] = "offline",
	[MEMHP_MMOP_ONLINE] = "online",
	[MEMHP_MMOP_ONLINE_KERNEL] = "online_kernel",
	[MEMHP_MMOP_ONLINE_MOVABLE] = "online_movable",
};

const char *memhp_online_type_to_str(enum memhp_online_type type)
{
	return (unsigned)type < ARRAY_SIZE(online_type_to_str) ? online_type_to_str[type] : NULL;
}

/* A store's bytes as the kernel sees them: NUL-terminated, at most a page. */
struct store_buf {
	char s[MEMHP_SYSFS_BUF + 1];
};

static void store_buf_init(struct store_buf *b, const char *buf, size_t len)
{
	len = MIN(len, (size_t)MEMHP_SYSFS_BUF);
	memcpy(b->s, buf, len);
	b->s[len] = '\0';
}

static int online_type_from_cstr(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(online_type_to_str); i++)
		if (sysfs_streq(s, online_type_to_str[i]))
			return (int)i;
	return -EINVAL;
}

int memhp_online_type_from_str(const char *buf, size_t len)
{
	struct store_buf b;

	store_buf_init(&b, buf, len);
	return online_type_from_cstr(b.s);
}

static ssize_t emit(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static ssize_t emit(char *buf, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, MEMHP_SYSFS_BUF, fmt, ap);
	va_end(ap);
	return MIN(n, MEMHP_SYSFS_BUF - 1);
}

ssize_t memhp_show_block_size_bytes(struct memhp_machine *m, char *buf)
{
	return emit(buf, "%llx\n", (unsigned long long)memhp_block_size(m));
}

ssize_t memhp_show_auto_online_blocks(struct memhp_machine *m, char *buf)
{
	return emit(buf, "%s\n", online_type_to_str[READ_ONCE(m->auto_online_blocks)]);
}

ssize_t memhp_store_auto_online_blocks(struct memhp_machine *m, const char *buf, size_t len)
{
	int type = memhp_online_type_from_str(buf, len);

	if (type < 0)
		return -EINVAL;
	WRITE_ONCE(m->auto_online_blocks, type);
	return (ssize_t)len;
}

ssize_t memhp_show_state(struct memhp_machine *m, unsigned long id, char *buf)
{
	struct memory_block *mem = find_memory_block_by_id(m, id);
	int state;

	if (!mem)
		return -ENODEV;
	state = atomic_load(&mem->state);
	switch (state) {
	case MEMHP_MEM_ONLINE:
		return emit(buf, "online\n");
	case MEMHP_MEM_OFFLINE:
		return emit(buf, "offline\n");
	case MEMHP_MEM_GOING_OFFLINE:
		return emit(buf, "going-offline\n");
	}
	return emit(buf, "ERROR-UNKNOWN-%d\n", state);
}

/* lock_device_hotplug_sysfs(): the kernel restarts the write if the lock is
 * taken; here the caller chooses between -EAGAIN and waiting. */
static int lock_device_hotplug_sysfs(struct memhp_machine *m, bool nonblock)
{
	if (!pthread_mutex_trylock(&m->device_hotplug_lock))
		return 0;
	if (nonblock)
		return -EAGAIN;
	pthread_mutex_lock(&m->device_hotplug_lock);
	return 0;
}

ssize_t memhp_store_state(struct memhp_machine *m, unsigned long id, const char *buf, size_t len,
			  bool nonblock)
{
	const int online_type = memhp_online_type_from_str(buf, len);
	struct memory_block *mem;
	int ret;

	if (online_type < 0)
		return -EINVAL;
	ret = lock_device_hotplug_sysfs(m, nonblock);
	if (ret)
		return ret;
	mem = find_memory_block_by_id(m, id);
	if (!mem) {
		ret = -ENODEV;
	} else if (online_type == MEMHP_MMOP_OFFLINE) {
		ret = device_offline(m, mem);
	} else {
		mem->online_type = online_type;
		ret = device_online(m, mem);
	}
	memhp_unlock_device_hotplug(m);
	if (ret < 0)
		return ret;
	if (ret)
		return -EINVAL; /* already in that state */
	return (ssize_t)len;
}

/*
 * device_lock() for a show function: online_show() and uevent_show() take
 * the device lock, so their reads wait while device_online() or
 * device_offline() runs on the block. 0, or -EAGAIN with @nonblock while
 * it is held.
 */
static int show_device_lock(struct memory_block *mem, bool nonblock)
{
	if (!nonblock) {
		pthread_mutex_lock(&mem->dev_lock);
		return 0;
	}
	return pthread_mutex_trylock(&mem->dev_lock) ? -EAGAIN : 0;
}

ssize_t memhp_show_online(struct memhp_machine *m, unsigned long id, char *buf, bool nonblock)
{
	struct memory_block *mem = find_memory_block_by_id(m, id);
	bool online;
	int ret;

	if (!mem)
		return -ENODEV;
	ret = show_device_lock(mem, nonblock);
	if (ret)
		return ret;
	online = !atomic_load(&mem->dev_offline);
	pthread_mutex_unlock(&mem->dev_lock);
	return emit(buf, "%u\n", online);
}

ssize_t memhp_show_uevent(struct memhp_machine *m, unsigned long id, char *buf, bool nonblock)
{
	struct memory_block *mem = find_memory_block_by_id(m, id);
	int ret;

	if (!mem)
		return -ENODEV;
	/* The memory bus adds no keys (no uevent callback) and a block has
	 * no devt, type or driver: dev_uevent() adds nothing to show. */
	ret = show_device_lock(mem, nonblock);
	if (ret)
		return ret;
	pthread_mutex_unlock(&mem->dev_lock);
	buf[0] = '\0';
	return 0;
}

ssize_t memhp_store_online(struct memhp_machine *m, unsigned long id, const char *buf, size_t len,
			   bool nonblock)
{
	struct memory_block *mem;
	struct store_buf b;
	bool val;
	int ret;

	store_buf_init(&b, buf, len);
	ret = kstrtobool(b.s, &val);
	if (ret < 0)
		return ret;
	ret = lock_device_hotplug_sysfs(m, nonblock);
	if (ret)
		return ret;
	mem = find_memory_block_by_id(m, id);
	if (!mem)
		ret = -ENODEV;
	else
		ret = val ? device_online(m, mem) : device_offline(m, mem);
	memhp_unlock_device_hotplug(m);
	return ret < 0 ? ret : (ssize_t)len;
}

ssize_t memhp_show_phys_index(struct memhp_machine *m, unsigned long id, char *buf)
{
	struct memory_block *mem = find_memory_block_by_id(m, id);

	if (!mem)
		return -ENODEV;
	return emit(buf, "%08lx\n", mem->start_section_nr / m->sections_per_block);
}

ssize_t memhp_show_phys_device(struct memhp_machine *m, unsigned long id, char *buf)
{
	if (!find_memory_block_by_id(m, id))
		return -ENODEV;
	return emit(buf, "%d\n", 0);
}

ssize_t memhp_show_removable(struct memhp_machine *m, unsigned long id, char *buf)
{
	if (!find_memory_block_by_id(m, id))
		return -ENODEV;
	return emit(buf, "%d\n", 1);
}

ssize_t memhp_show_valid_zones(struct memhp_machine *m, unsigned long id, char *buf)
{
	struct memory_block *mem = find_memory_block_by_id(m, id);
	unsigned long start_pfn, nr_pages = m->pages_per_block;
	struct zone *default_zone, *z;
	int len;

	if (!mem)
		return -ENODEV;
	start_pfn = block_start_pfn(m, mem);
	/* An online block shows its zone, or "none" if it spans several; a
	 * block going offline is shown as if it were offline, as in 6.1. */
	if (atomic_load(&mem->state) == MEMHP_MEM_ONLINE) {
		default_zone = atomic_load(&mem->zone);
		if (!default_zone)
			return emit(buf, "%s\n", "none");
		return emit(buf, "%s\n", default_zone->name);
	}
	default_zone =
		zone_for_pfn_range(m, MEMHP_MMOP_ONLINE, mem->nid, mem->group, start_pfn, nr_pages);
	len = snprintf(buf, MEMHP_SYSFS_BUF, "%s", default_zone->name);
	z = zone_for_pfn_range(m, MEMHP_MMOP_ONLINE_KERNEL, mem->nid, mem->group, start_pfn,
			       nr_pages);
	if (z != default_zone)
		len += snprintf(buf + len, (size_t)(MEMHP_SYSFS_BUF - len), " %s", z->name);
	z = zone_for_pfn_range(m, MEMHP_MMOP_ONLINE_MOVABLE, mem->nid, mem->group, start_pfn,
			       nr_pages);
	if (z != default_zone)
		len += snprintf(buf + len, (size_t)(MEMHP_SYSFS_BUF - len), " %s", z->name);
	len += snprintf(buf + len, (size_t)(MEMHP_SYSFS_BUF - len), "\n");
	return len;
}

/* ---- memory_hotplug module parameters ------------------------------------------- */

ssize_t memhp_show_param(struct memhp_machine *m, const char *name, char *buf)
{
	if (!strcmp(name, "online_policy"))
		return emit(buf, "%s\n",
			    READ_ONCE(m->online_policy) == MEMHP_ONLINE_POLICY_AUTO_MOVABLE
				    ? "auto-movable"
				    : "contig-zones");
	if (!strcmp(name, "auto_movable_ratio"))
		return emit(buf, "%u\n", READ_ONCE(m->auto_movable_ratio));
	if (!strcmp(name, "auto_movable_numa_aware"))
		return emit(buf, "%c\n", READ_ONCE(m->auto_movable_numa_aware) ? 'Y' : 'N');
	if (!strcmp(name, "memmap_on_memory"))
		return emit(buf, "%c\n", m->cfg.memmap_on_memory ? 'Y' : 'N');
	return -ENOENT;
}

ssize_t memhp_store_param(struct memhp_machine *m, const char *name, const char *buf, size_t len)
{
	struct store_buf b;
	unsigned int v;
	bool bv;

	store_buf_init(&b, buf, len);
	if (!strcmp(name, "online_policy")) {
		if (sysfs_streq(b.s, "contig-zones"))
			WRITE_ONCE(m->online_policy, MEMHP_ONLINE_POLICY_CONTIG_ZONES);
		else if (sysfs_streq(b.s, "auto-movable"))
			WRITE_ONCE(m->online_policy, MEMHP_ONLINE_POLICY_AUTO_MOVABLE);
		else
			return -EINVAL;
		return (ssize_t)len;
	}
	if (!strcmp(name, "auto_movable_ratio")) {
		int ret = kstrtouint(b.s, 0, &v);

		if (ret)
			return ret;
		WRITE_ONCE(m->auto_movable_ratio, v);
		return (ssize_t)len;
	}
	if (!strcmp(name, "auto_movable_numa_aware")) {
		if (kstrtobool(b.s, &bv))
			return -EINVAL;
		WRITE_ONCE(m->auto_movable_numa_aware, bv);
		return (ssize_t)len;
	}
	if (!strcmp(name, "memmap_on_memory"))
		return -EACCES; /* 0444: a boot parameter */
	return -ENOENT;
}
