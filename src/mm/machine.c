// SPDX-License-Identifier: MIT
/*
 * machine.c - a machine's life: creating it (its geometry, locks and
 * parts, then booting it, boot.c), destroying it, what it looks like from
 * outside; the attachments of code built on the API, the kernel's
 * ratelimit and the machine's random generator.
 *
 * The rest of what once lived here went by job: the configuration and boot
 * memory to boot.c, events and tracing to events.c, fault points and the
 * scheduling hook to fault.c, tasks and their signals to task.c.
 */
#include "internal.h"

#include <stdlib.h>
#include <time.h>

/* ---- Lifetime ---------------------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

int memhp_machine_create(const struct memhp_config *cfg_in, struct memhp_machine **out)
{
	struct memhp_machine *m;
	int64_t budget = 0;
	uint64_t seed;
	int ret;

	*out = NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->cfg = *cfg_in;
	ret = mhp_config_check(&m->cfg, &budget);
	atomic_store(&m->host_budget, budget);
	if (ret) {
		free(m);
		return ret;
	}

	m->section_shift = (unsigned)__builtin_ctzll(m->cfg.section_size) - MEMHP_PAGE_SHIFT;
	m->pages_per_section = 1UL << m->section_shift;
	m->sections_per_block = (unsigned long)(m->cfg.block_size / m->cfg.section_size);
	m->pages_per_block = m->pages_per_section * m->sections_per_block;
	m->pageblock_order = m->cfg.pageblock_order;
	m->pageblock_nr_pages = 1UL << m->pageblock_order;
	m->max_order = m->cfg.max_order;
	m->max_pfn = (unsigned long)PHYS_PFN(m->cfg.phys_size);
	m->nr_sections = m->max_pfn >> m->section_shift;
	m->nr_block_ids = m->nr_sections / m->sections_per_block;
	m->memmap_pages_per_section =
		m->pages_per_section * m->cfg.struct_page_size / MEMHP_PAGE_SIZE;

	mutex_init(&m->device_hotplug_lock, LOCK_RANK_DEVICE_HOTPLUG);
	init_rwsem(&m->mem_hotplug_lock, LOCK_RANK_MEM_HOTPLUG);
	mutex_init(&m->online_page_callback_lock, LOCK_RANK_ONLINE_PAGE_CALLBACK);
	init_rwsem(&m->page_offline_rwsem, LOCK_RANK_PAGE_OFFLINE);
	init_rwsem(&m->bulk_lock, LOCK_RANK_BULK);
	mutex_init(&m->misc_lock, LOCK_RANK_MISC);
	mutex_init(&m->mf_mutex, LOCK_RANK_MF_MUTEX);
	mutex_init(&m->slab_caches_lock, LOCK_RANK_SLAB_CACHES);
	notifier_head_init(&m->memory_chain);
	mhp_events_init(&m->events);
	violation_log_init(&m->violations);
	m->nr_cpus = m->cfg.nr_cpus ? m->cfg.nr_cpus : 1;
	m->nr_node_ids = m->cfg.nr_nodes > 1 ? (int)m->cfg.nr_nodes : 1;
	/* CPUs no node names are node 0's (QEMU 7.2 on a one-socket q35). */
	for (unsigned int cpu = 0; cpu < m->nr_cpus; cpu++)
		for (int nid = 1; nid < m->nr_node_ids; nid++)
			if (m->cfg.nodes[nid].cpus[cpu / 64] & (1ULL << (cpu % 64)))
				m->cpu_to_node[cpu] = nid;
	zones_init(m);
	/* A node with CPUs is online from boot, memory or not. */
	for (unsigned int cpu = 0; cpu < m->nr_cpus; cpu++)
		WRITE_ONCE(m->node_data[m->cpu_to_node[cpu]].n_online, true);
	ret = pcp_init(m);
	if (!ret)
		ret = lru_cache_init(m);
	if (!ret)
		ret = hugetlb_init(m);
	resource_init(m);
	atomic_store(&m->auto_online_blocks, m->cfg.auto_online_blocks);
	atomic_store(&m->online_policy, m->cfg.online_policy);
	atomic_store(&m->auto_movable_ratio, m->cfg.auto_movable_ratio);
	atomic_store(&m->auto_movable_numa_aware, m->cfg.auto_movable_numa_aware);
	seed = m->cfg.seed;
	for (int i = 0; i < 4; i++)
		m->rng[i] = splitmix64(&seed);

	m->sections = calloc(m->nr_sections, sizeof(*m->sections));
	m->pageblock_flags = calloc(m->max_pfn >> m->pageblock_order, 1);
	m->blocks = calloc(m->nr_block_ids, sizeof(*m->blocks));
	if (!m->sections || !m->pageblock_flags || !m->blocks) {
		ret = -ENOMEM;
		goto fail;
	}
	for (unsigned long id = 0; id < m->nr_block_ids; id++) {
		m->blocks[id].id = id;
		m->blocks[id].start_section_nr = id * m->sections_per_block;
		mutex_init(&m->blocks[id].dev_lock, LOCK_RANK_MEM_BLOCK_DEV);
	}
	if (!ret)
		ret = printk_init(m);
	if (!ret)
		ret = managed_ledger_init(m);
	if (!ret)
		acpi_numa_slit_init(m);
	if (!ret)
		ret = physmem_reserve(m);
	if (!ret)
		ret = vmemmap_reserve(m);
	if (!ret)
		ret = add_boot_memory(m);
	if (ret)
		goto fail;
	build_all_zonelists(m, true);
	ret = vm_sysctls_init(m);
	if (ret)
		goto fail;
	print_boot_memory(m);
	*out = m;
	return 0;
fail:
	memhp_machine_destroy(m);
	return ret;
}

void memhp_machine_destroy(struct memhp_machine *m)
{
	if (!m)
		return;
	for (int i = MEMHP_MAX_ATTACHMENTS - 1; i >= 0; i--)
		if (m->attached[i].key && m->attached[i].destroy)
			m->attached[i].destroy(m->attached[i].data);
	slab_destroy_all(m);
	if (m->sections)
		for (unsigned long nr = 0; nr < m->nr_sections; nr++) {
			free(m->sections[nr].memmap_chunks);
			free(m->sections[nr].memmap_chunk_orders);
		}
	vmemmap_release(m);
	physmem_release(m);
	if (m->blocks)
		memory_blocks_destroy(m);
	free(m->sections);
	free((void *)m->pageblock_flags);
	managed_ledger_destroy(m);
	resource_destroy(m);
	hugetlb_destroy(m);
	cma_destroy(m);
	lru_cache_destroy(m);
	pcp_destroy(m);
	zones_destroy(m);
	if (m->vm.reserve_nb.notifier_call)
		vm_sysctls_destroy(m);
	notifier_head_destroy(&m->memory_chain);
	pthread_mutex_destroy(&m->violations.lock);
	pthread_mutex_destroy(&m->mf_mutex);
	pthread_mutex_destroy(&m->slab_caches_lock);
	pthread_mutex_destroy(&m->misc_lock);
	pthread_rwlock_destroy(&m->page_offline_rwsem);
	pthread_rwlock_destroy(&m->bulk_lock);
	pthread_mutex_destroy(&m->online_page_callback_lock);
	pthread_rwlock_destroy(&m->mem_hotplug_lock);
	pthread_mutex_destroy(&m->device_hotplug_lock);
	printk_destroy(m);
	mhp_events_destroy(&m->events);
	free(m);
}

const struct memhp_config *memhp_machine_config(const struct memhp_machine *m)
{
	return &m->cfg;
}

enum memhp_protocol memhp_machine_protocol(const struct memhp_machine *m)
{
	return m->cfg.protocol;
}

uint64_t memhp_block_size(const struct memhp_machine *m)
{
	return m->cfg.block_size;
}

unsigned long memhp_pages_per_block(const struct memhp_machine *m)
{
	return m->pages_per_block;
}

unsigned long memhp_pages_per_section(const struct memhp_machine *m)
{
	return m->pages_per_section;
}

unsigned long memhp_pageblock_nr_pages(const struct memhp_machine *m)
{
	return m->pageblock_nr_pages;
}

unsigned int memhp_max_order(const struct memhp_machine *m)
{
	return m->max_order;
}

unsigned long memhp_max_pfn(const struct memhp_machine *m)
{
	return m->max_pfn;
}

void *memhp_phys_base(const struct memhp_machine *m)
{
	return m->phys;
}

const char *memhp_version(void)
{
	return MEMHP_VERSION;
}

/* ---- Attachments -------------------------------------------------------------------- */

int memhp_machine_attach(struct memhp_machine *m, const void *key, void *data,
			 void (*destroy)(void *data))
{
	int ret = -ENOSPC;

	pthread_mutex_lock(&m->misc_lock);
	for (int i = 0; i < MEMHP_MAX_ATTACHMENTS; i++)
		if (m->attached[i].key == key) {
			ret = -EEXIST;
			goto out;
		}
	for (int i = 0; i < MEMHP_MAX_ATTACHMENTS; i++) {
		if (!m->attached[i].key) {
			m->attached[i].key = key;
			m->attached[i].data = data;
			m->attached[i].destroy = destroy;
			ret = 0;
			break;
		}
	}
out:
	pthread_mutex_unlock(&m->misc_lock);
	return ret;
}

void *memhp_machine_attached(struct memhp_machine *m, const void *key)
{
	void *data = NULL;

	pthread_mutex_lock(&m->misc_lock);
	for (int i = 0; i < MEMHP_MAX_ATTACHMENTS; i++)
		if (m->attached[i].key == key)
			data = m->attached[i].data;
	pthread_mutex_unlock(&m->misc_lock);
	return data;
}

void *memhp_machine_detach(struct memhp_machine *m, const void *key)
{
	void *data = NULL;

	pthread_mutex_lock(&m->misc_lock);
	for (int i = 0; i < MEMHP_MAX_ATTACHMENTS; i++)
		if (m->attached[i].key == key) {
			data = m->attached[i].data;
			m->attached[i].key = NULL;
			m->attached[i].data = NULL;
			m->attached[i].destroy = NULL;
		}
	pthread_mutex_unlock(&m->misc_lock);
	return data;
}

/* The kernel's DEFAULT_RATELIMIT_INTERVAL (5 s) and _BURST (10). */
#define RATELIMIT_INTERVAL_NS (5ULL * 1000 * 1000 * 1000)
#define RATELIMIT_BURST 10

bool mhp_ratelimit(struct memhp_machine *m)
{
	struct timespec ts;
	uint64_t now;
	bool ok;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	pthread_mutex_lock(&m->misc_lock);
	if (!m->ratelimit.begin_ns || now - m->ratelimit.begin_ns >= RATELIMIT_INTERVAL_NS) {
		m->ratelimit.begin_ns = now;
		m->ratelimit.printed = 0;
	}
	ok = m->ratelimit.printed < RATELIMIT_BURST;
	m->ratelimit.printed += ok;
	pthread_mutex_unlock(&m->misc_lock);
	return ok;
}

/* ---- Random numbers ------------------------------------------------------------------ */

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t memhp_random(struct memhp_machine *m)
{
	uint64_t *s = m->rng, result, t;

	pthread_mutex_lock(&m->misc_lock);
	result = rotl(s[1] * 5, 7) * 9;
	t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	pthread_mutex_unlock(&m->misc_lock);
	return result;
}
