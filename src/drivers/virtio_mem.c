// SPDX-License-Identifier: MIT
/*
 * virtio_mem.c - the virtio-mem guest driver of Linux 6.1, on the memhp
 * public API (drivers/virtio/virtio_mem.c).
 *
 * Sub-Block Mode tracks each Linux memory block (MB) with a state and a
 * bitmap of plugged sub-blocks (SBs); Big Block Mode tracks big blocks (BBs)
 * of one or more memory blocks. Plugging fills partially plugged blocks
 * first, then adds new ones; unplugging prefers offline blocks, then
 * partially plugged ones, then ZONE_MOVABLE, highest ids first, and takes
 * online memory with alloc_contig_range() ("fake-offline").
 *
 * Where memhp's driver differs from the kernel's in ways nobody outside can
 * see, it says so: tracking arrays are sized for the whole region at probe,
 * and a page's PageOffline mark and the managed-count change that goes with
 * it happen together inside page_offline_begin()/end(), so the checker
 * never sees half of it.
 *
 * Functions carry the names of their Linux counterparts and stand in the
 * same order, so the two files read side by side; docs/architecture.md
 * lists the few that differ or have none.
 */
#include "../lib/lockdep.h"
#include "drivers.h"

#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define VMEM_DEFAULT_OFFLINE_THRESHOLD (1 * MEMHP_GiB)
/* virtio_mem_fake_offline() tries this often in ZONE_MOVABLE. */
#define VMEM_FAKE_OFFLINE_TRIES 5
#define VMEM_RESOURCE_NAME "System RAM (virtio_mem)"
#define BITS_PER_LONG_ (8 * sizeof(unsigned long))
/* dev_warn_ratelimited(): DEFAULT_RATELIMIT_INTERVAL (5 s) and _BURST. */
#define VMEM_RATELIMIT_INTERVAL_NS (5ULL * 1000 * 1000 * 1000)
#define VMEM_RATELIMIT_BURST 10

struct vmem_module;

/* "virtio%u", as the device core names it. */
#define VMEM_NAME_MAX 32

struct memhp_vmem_drv {
	struct memhp_machine *m;
	struct memhp_vmem_dev *dev;
	struct memhp_vmem_drv_params p;
	struct vmem_module *mod;
	struct memhp_vmem_drv *next; /* in the module's device list */
	char name[VMEM_NAME_MAX];
	unsigned int index; /* the N of virtioN, per machine */
	/* unplug_online, a module parameter (0644) user space may change while
	 * the work reads it. */
	_Atomic bool unplug_online;

	/* From the config space. */
	uint64_t device_block_size, addr, region_size;
	_Atomic uint64_t plugged_size, requested_size;
	int nid;

	bool in_sbm;
	uint64_t sb_size; /* SBM */
	unsigned int sbs_per_mb;
	uint64_t bb_size; /* BBM */
	uint64_t mb_size;
	unsigned long first_id, nr_ids;
	/* The work changes these while memhp_vmem_drv_info() and
	 * memhp_vmem_drv_block_state() may read them from other threads. */
	_Atomic unsigned long next_id, last_usable_id;
	_Atomic uint8_t *states; /* by id - first_id */
	_Atomic unsigned long count[MEMHP_VMEM_SBM_NR_STATES];
	_Atomic unsigned long *sb_bitmap; /* SBM: sbs_per_mb bits per MB */

	uint64_t offline_threshold;
	_Atomic int64_t offline_size;
	int mgid;

	/* Held from MEM_GOING_* to MEM_ONLINE/OFFLINE/CANCEL_*. */
	struct mutex hotplug_mutex;
	bool hotplug_active;
	struct memhp_notifier_block nb;

	_Atomic bool config_changed;
	_Atomic bool wq_active;
	_Atomic bool unplug_all_required;
	_Atomic bool broken;
	struct mutex removal_lock;
	bool removing;

	/* The state of the one ratelimited message. */
	struct mutex ratelimit_lock;
	uint64_t ratelimit_begin_ns;
	unsigned int ratelimit_printed;

	/* The workqueue and the retry timer. */
	struct mutex wq_lock;
	pthread_cond_t wq_cond;
	bool work_pending, work_running, stop;
	bool have_worker;
	pthread_t worker;
	uint64_t now_ms;
	bool timer_armed;
	uint64_t timer_due_ms;
	uint64_t retry_timer_ms;
	_Atomic int last_rc;
	_Atomic unsigned int runs;
};

/* ---- One online_page callback per machine, shared by its devices ------------ */

/* The devices of one machine, kept with the machine (an attachment). */
struct vmem_module {
	struct memhp_machine *m;
	struct memhp_vmem_drv *devices;
};

static DEFINE_MUTEX(virtio_mem_mutex, VIRTIO_MEM_MUTEX);
static const char module_key;
/* The next virtio device index of a machine: its virtio bus numbers its
 * devices from 0 (only virtio-mem devices are on it). */
static const char index_key;

/*
 * The virtio bus's index for the next device of @m.
 *
 * Return: the index, or -ENOMEM.
 */
static int next_device_index(struct memhp_machine *m)
{
	unsigned int *next;
	int ret = -ENOMEM;

	pthread_mutex_lock(&virtio_mem_mutex);
	next = memhp_machine_attached(m, &index_key);
	if (!next) {
		next = calloc(1, sizeof(*next));
		if (next && memhp_machine_attach(m, &index_key, next, free)) {
			free(next);
			next = NULL;
		}
	}
	if (next)
		ret = (int)(*next)++;
	pthread_mutex_unlock(&virtio_mem_mutex);
	return ret;
}

static void virtio_mem_online_page_cb(struct memhp_page *page, unsigned int order, void *priv);
static void virtio_mem_fake_offline_going_offline(struct memhp_vmem_drv *vm, unsigned long pfn,
						  unsigned long nr);
static void virtio_mem_fake_offline_cancel_offline(struct memhp_vmem_drv *vm, unsigned long pfn,
						   unsigned long nr);
static void virtio_mem_retry(struct memhp_vmem_drv *vm);
static int virtio_mem_create_resource(struct memhp_vmem_drv *vm);
static void virtio_mem_delete_resource(struct memhp_vmem_drv *vm);
static void virtio_mem_deinit_hotplug(struct memhp_vmem_drv *vm);
static void virtio_mem_config_changed(struct memhp_vmem_dev *dev, void *priv);

/*
 * Put @vm on its machine's device list, installing the online_page
 * callback for the machine's first device.
 *
 * Return: 0, -EINVAL (another driver owns the online_page callback),
 * -ENOMEM, -EEXIST or -ENOSPC (the machine's attachment failed).
 */
static int register_virtio_mem_device(struct memhp_vmem_drv *vm)
{
	struct vmem_module *mod;
	int rc = 0;

	pthread_mutex_lock(&virtio_mem_mutex);
	mod = memhp_machine_attached(vm->m, &module_key);
	if (!mod) {
		mod = calloc(1, sizeof(*mod));
		if (!mod) {
			rc = -ENOMEM;
			goto out;
		}
		mod->m = vm->m;
		rc = memhp_set_online_page_callback(vm->m, virtio_mem_online_page_cb, mod);
		if (!rc)
			rc = memhp_machine_attach(vm->m, &module_key, mod, free);
		if (rc) {
			memhp_restore_online_page_callback(vm->m, virtio_mem_online_page_cb);
			free(mod);
			goto out;
		}
	}
	memhp_get_online_mems(vm->m); /* the callback reads the list */
	vm->next = mod->devices;
	mod->devices = vm;
	vm->mod = mod;
	memhp_put_online_mems(vm->m);
out:
	pthread_mutex_unlock(&virtio_mem_mutex);
	return rc;
}

static void unregister_virtio_mem_device(struct memhp_vmem_drv *vm)
{
	struct vmem_module *mod = vm->mod;
	struct memhp_vmem_drv **dp;

	pthread_mutex_lock(&virtio_mem_mutex);
	memhp_get_online_mems(vm->m);
	for (dp = &mod->devices; *dp; dp = &(*dp)->next)
		if (*dp == vm) {
			*dp = vm->next;
			break;
		}
	memhp_put_online_mems(vm->m);
	if (!mod->devices) {
		memhp_restore_online_page_callback(vm->m, virtio_mem_online_page_cb);
		memhp_machine_detach(vm->m, &module_key);
		free(mod);
	}
	vm->mod = NULL;
	pthread_mutex_unlock(&virtio_mem_mutex);
}

/* ---- Ids and states --------------------------------------------------------------- */

static uint64_t virtio_mem_mb_id_to_phys(struct memhp_vmem_drv *vm, unsigned long id)
{
	return (uint64_t)id * vm->mb_size;
}

static unsigned long virtio_mem_phys_to_mb_id(struct memhp_vmem_drv *vm, uint64_t addr)
{
	return (unsigned long)(addr / vm->mb_size);
}

static uint64_t virtio_mem_bb_id_to_phys(struct memhp_vmem_drv *vm, unsigned long id)
{
	return (uint64_t)id * vm->bb_size;
}

static unsigned long virtio_mem_phys_to_bb_id(struct memhp_vmem_drv *vm, uint64_t addr)
{
	return (unsigned long)(addr / vm->bb_size);
}

static unsigned long virtio_mem_phys_to_sb_id(struct memhp_vmem_drv *vm, uint64_t addr)
{
	return (unsigned long)((addr % vm->mb_size) / vm->sb_size);
}

/*
 * One array of states serves both modes, indexed by memory block (SBM) or
 * big block (BBM) id: the kernel keeps vm->sbm.mb_states and
 * vm->bbm.bb_states apart, memhp has the accessors of both on one array.
 */
static int virtio_mem_get_state(struct memhp_vmem_drv *vm, unsigned long id)
{
	return atomic_load_explicit(&vm->states[id - vm->first_id], memory_order_relaxed);
}

static void virtio_mem_set_state(struct memhp_vmem_drv *vm, unsigned long id, int state)
{
	int old = virtio_mem_get_state(vm, id);

	atomic_store_explicit(&vm->states[id - vm->first_id], (uint8_t)state, memory_order_relaxed);
	atomic_fetch_sub(&vm->count[old], 1);
	atomic_fetch_add(&vm->count[state], 1);
	memhp_event_emit(
		vm->m,
		&(const struct memhp_event){
			.type = MEMHP_EV_VMEM_BLOCK_STATE,
			.vmem_block = {
				.id = id,
				.start_pfn = (unsigned long)(id * (vm->in_sbm ? vm->mb_size
									      : vm->bb_size) >>
							     MEMHP_PAGE_SHIFT),
				.big_block = !vm->in_sbm,
				.state = state,
				.state_name = vm->in_sbm ? memhp_vmem_sbm_state_name(state)
							 : memhp_vmem_bbm_state_name(state),
			} });
}

static void virtio_mem_bbm_set_bb_state(struct memhp_vmem_drv *vm, unsigned long bb_id,
					enum memhp_vmem_bbm_state state)
{
	virtio_mem_set_state(vm, bb_id, state);
}

static enum memhp_vmem_bbm_state virtio_mem_bbm_get_bb_state(struct memhp_vmem_drv *vm,
							     unsigned long bb_id)
{
	return (enum memhp_vmem_bbm_state)virtio_mem_get_state(vm, bb_id);
}

static void virtio_mem_sbm_set_mb_state(struct memhp_vmem_drv *vm, unsigned long mb_id, int state)
{
	virtio_mem_set_state(vm, mb_id, state);
}

static int virtio_mem_sbm_get_mb_state(struct memhp_vmem_drv *vm, unsigned long mb_id)
{
	return virtio_mem_get_state(vm, mb_id);
}

/* Ids in @state, lowest (highest) first, while any id is left in it. */
#define virtio_mem_for_each_id(vm, id, state)                                                 \
	for ((id) = (vm)->first_id; (id) < (vm)->next_id && atomic_load(&(vm)->count[state]); \
	     (id)++)                                                                          \
		if (virtio_mem_get_state(vm, id) == (state))
#define virtio_mem_for_each_id_rev(vm, id, state)                                             \
	for ((id) = (vm)->next_id - 1; (id) >= (vm)->first_id && (id) + 1 > (vm)->first_id && \
				       atomic_load(&(vm)->count[state]);                      \
	     (id)--)                                                                          \
		if (virtio_mem_get_state(vm, id) == (state))
#define virtio_mem_sbm_for_each_mb(vm, mb_id, state) virtio_mem_for_each_id(vm, mb_id, state)
#define virtio_mem_sbm_for_each_mb_rev(vm, mb_id, state) \
	virtio_mem_for_each_id_rev(vm, mb_id, state)
#define virtio_mem_bbm_for_each_bb(vm, bb_id, state) virtio_mem_for_each_id(vm, bb_id, state)
#define virtio_mem_bbm_for_each_bb_rev(vm, bb_id, state) \
	virtio_mem_for_each_id_rev(vm, bb_id, state)

static unsigned long virtio_mem_sbm_sb_state_bit_nr(struct memhp_vmem_drv *vm, unsigned long mb_id,
						    unsigned long sb_id)
{
	return (mb_id - vm->first_id) * vm->sbs_per_mb + sb_id;
}

static bool test_bit_(struct memhp_vmem_drv *vm, unsigned long bit)
{
	return atomic_load_explicit(&vm->sb_bitmap[bit / BITS_PER_LONG_], memory_order_relaxed) &
	       (1UL << (bit % BITS_PER_LONG_));
}

static void virtio_mem_sbm_set_sb_plugged(struct memhp_vmem_drv *vm, unsigned long mb_id,
					  unsigned long sb_id, unsigned long count)
{
	for (unsigned long i = 0; i < count; i++) {
		unsigned long bit = virtio_mem_sbm_sb_state_bit_nr(vm, mb_id, sb_id + i);

		atomic_fetch_or(&vm->sb_bitmap[bit / BITS_PER_LONG_],
				1UL << (bit % BITS_PER_LONG_));
	}
}

static void virtio_mem_sbm_set_sb_unplugged(struct memhp_vmem_drv *vm, unsigned long mb_id,
					    unsigned long sb_id, unsigned long count)
{
	for (unsigned long i = 0; i < count; i++) {
		unsigned long bit = virtio_mem_sbm_sb_state_bit_nr(vm, mb_id, sb_id + i);

		atomic_fetch_and(&vm->sb_bitmap[bit / BITS_PER_LONG_],
				 ~(1UL << (bit % BITS_PER_LONG_)));
	}
}

static bool virtio_mem_sbm_test_sb_plugged(struct memhp_vmem_drv *vm, unsigned long mb_id,
					   unsigned long sb_id, unsigned long count)
{
	for (unsigned long i = 0; i < count; i++)
		if (!test_bit_(vm, virtio_mem_sbm_sb_state_bit_nr(vm, mb_id, sb_id + i)))
			return false;
	return true;
}

static bool virtio_mem_sbm_test_sb_unplugged(struct memhp_vmem_drv *vm, unsigned long mb_id,
					     unsigned long sb_id, unsigned long count)
{
	for (unsigned long i = 0; i < count; i++)
		if (test_bit_(vm, virtio_mem_sbm_sb_state_bit_nr(vm, mb_id, sb_id + i)))
			return false;
	return true;
}

static unsigned long virtio_mem_sbm_first_unplugged_sb(struct memhp_vmem_drv *vm,
						       unsigned long mb_id)
{
	unsigned long sb;

	for (sb = 0;
	     sb < vm->sbs_per_mb && test_bit_(vm, virtio_mem_sbm_sb_state_bit_nr(vm, mb_id, sb));
	     sb++)
		;
	return sb;
}

/* ---- Adding and removing memory ------------------------------------------------- */

static bool virtio_mem_could_add_memory(struct memhp_vmem_drv *vm, uint64_t size)
{
	if (size > vm->offline_threshold)
		return false;
	return (uint64_t)atomic_load(&vm->offline_size) + size <= vm->offline_threshold;
}

/* dev_info() and friends: "virtio_mem virtioN: ..." in the machine's log. */
#define vmem_printk(vm, level, ...) \
	memhp_dev_printk((vm)->m, level, "virtio_mem", "virtio", (vm)->name, __VA_ARGS__)
#define vmem_info(vm, ...) vmem_printk(vm, MEMHP_KERN_INFO, __VA_ARGS__)
#define vmem_warn(vm, ...) vmem_printk(vm, MEMHP_KERN_WARNING, __VA_ARGS__)
#define vmem_err(vm, ...) vmem_printk(vm, MEMHP_KERN_ERR, __VA_ARGS__)

/* __ratelimit(): true while fewer than the burst were printed in the
 * current interval. */
static bool vmem_ratelimit(struct memhp_vmem_drv *vm)
{
	struct timespec ts;
	uint64_t now;
	bool ok;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	pthread_mutex_lock(&vm->ratelimit_lock);
	if (!vm->ratelimit_begin_ns || now - vm->ratelimit_begin_ns >= VMEM_RATELIMIT_INTERVAL_NS) {
		vm->ratelimit_begin_ns = now;
		vm->ratelimit_printed = 0;
	}
	ok = vm->ratelimit_printed < VMEM_RATELIMIT_BURST;
	vm->ratelimit_printed += ok;
	pthread_mutex_unlock(&vm->ratelimit_lock);
	return ok;
}

/*
 * add_memory_driver_managed() in our group; the range counts as offline
 * until the notifier sees it online. Must not be called with
 * hotplug_mutex held: onlining re-enters the notifier.
 *
 * Return: 0, or memhp_add_memory_driver_managed()'s error: -EINVAL,
 * -E2BIG, -EEXIST, -ENOMEM.
 */
static int virtio_mem_add_memory(struct memhp_vmem_drv *vm, uint64_t addr, uint64_t size)
{
	int rc;

	lockdep_assert_not_held(&vm->hotplug_mutex);
	/* The memory might get onlined at once. */
	atomic_fetch_add(&vm->offline_size, (int64_t)size);
	rc = memhp_add_memory_driver_managed(vm->m, vm->mgid, addr, size, VMEM_RESOURCE_NAME,
					     MEMHP_MHP_MERGE_RESOURCE | MEMHP_MHP_NID_IS_MGID);
	if (rc) {
		atomic_fetch_sub(&vm->offline_size, (int64_t)size);
		memhp_event_emit(vm->m, &(const struct memhp_event){
						.type = MEMHP_EV_VMEM_ADD_MEMORY_FAILED,
						.vmem_work = { .addr = addr, .ret = rc } });
		vmem_warn(vm, "adding memory failed: %d", rc);
	}
	return rc;
}

/* Return: 0, or virtio_mem_add_memory()'s error. */
static int virtio_mem_sbm_add_mb(struct memhp_vmem_drv *vm, unsigned long mb_id)
{
	return virtio_mem_add_memory(vm, virtio_mem_mb_id_to_phys(vm, mb_id), vm->mb_size);
}

/* Return: 0, or virtio_mem_add_memory()'s error. */
static int virtio_mem_bbm_add_bb(struct memhp_vmem_drv *vm, unsigned long bb_id)
{
	return virtio_mem_add_memory(vm, virtio_mem_bb_id_to_phys(vm, bb_id), vm->bb_size);
}

/*
 * Remove offline memory we added; success may let the work unplug more.
 *
 * Return: 0, -EBUSY (a block is not offline), -EINVAL.
 */
static int virtio_mem_remove_memory(struct memhp_vmem_drv *vm, uint64_t addr, uint64_t size)
{
	int rc = memhp_remove_memory(vm->m, addr, size);

	if (!rc) {
		atomic_fetch_sub(&vm->offline_size, (int64_t)size);
		/* That may have freed up memory we can unplug now. */
		virtio_mem_retry(vm);
	}
	return rc;
}

/* Return: 0, or virtio_mem_remove_memory()'s error. */
static int virtio_mem_sbm_remove_mb(struct memhp_vmem_drv *vm, unsigned long mb_id)
{
	return virtio_mem_remove_memory(vm, virtio_mem_mb_id_to_phys(vm, mb_id), vm->mb_size);
}

/*
 * Offline, then remove, memory we added; if either fails, the core onlines
 * again what it offlined.
 *
 * Return: 0, -EINVAL, or offline_pages()'s error: -EBUSY (an unmovable
 * page), -EINTR (a signal), or the errno of a notifier's veto.
 */
static int virtio_mem_offline_and_remove_memory(struct memhp_vmem_drv *vm, uint64_t addr,
						uint64_t size)
{
	int rc = memhp_offline_and_remove_memory(vm->m, addr, size);

	if (!rc) {
		atomic_fetch_sub(&vm->offline_size, (int64_t)size);
		virtio_mem_retry(vm);
	}
	return rc;
}

/* Return: 0, or virtio_mem_offline_and_remove_memory()'s error. */
static int virtio_mem_sbm_offline_and_remove_mb(struct memhp_vmem_drv *vm, unsigned long mb_id)
{
	return virtio_mem_offline_and_remove_memory(vm, virtio_mem_mb_id_to_phys(vm, mb_id),
						    vm->mb_size);
}

/* Return: 0, or virtio_mem_offline_and_remove_memory()'s error. */
static int virtio_mem_bbm_offline_and_remove_bb(struct memhp_vmem_drv *vm, unsigned long bb_id)
{
	return virtio_mem_offline_and_remove_memory(vm, virtio_mem_bb_id_to_phys(vm, bb_id),
						    vm->bb_size);
}

static bool virtio_mem_overlaps_range(struct memhp_vmem_drv *vm, uint64_t start, uint64_t size)
{
	return start < vm->addr + vm->region_size && vm->addr < start + size;
}

static bool virtio_mem_contains_range(struct memhp_vmem_drv *vm, uint64_t start, uint64_t size)
{
	return start >= vm->addr && start + size <= vm->addr + vm->region_size;
}

/* ---- The memory notifier --------------------------------------------------------------- */

static bool virtio_mem_skippable_protocol(struct memhp_vmem_drv *vm)
{
	return memhp_machine_protocol(vm->m) == MEMHP_PROTOCOL_2025;
}

/*
 * Only blocks tracked as offline may go online: one marked UNUSED is on
 * its way out (virtio_mem_sbm_unplug_any_sb_offline()).
 *
 * Return: MEMHP_NOTIFY_OK, or MEMHP_NOTIFY_BAD (denied, warned about at a
 * limited rate).
 */
static int virtio_mem_sbm_notify_going_online(struct memhp_vmem_drv *vm, unsigned long mb_id,
					      unsigned long start_pfn)
{
	switch (virtio_mem_sbm_get_mb_state(vm, mb_id)) {
	case MEMHP_VMEM_SBM_OFFLINE_PARTIAL:
	case MEMHP_VMEM_SBM_OFFLINE:
		return MEMHP_NOTIFY_OK;
	}
	memhp_event_emit(vm->m, &(const struct memhp_event){
					.type = MEMHP_EV_VMEM_ONLINING_DENIED,
					.vmem_block = { .id = mb_id, .start_pfn = start_pfn } });
	if (vmem_ratelimit(vm))
		vmem_warn(vm, "memory block onlining denied");
	return MEMHP_NOTIFY_BAD;
}

static void virtio_mem_sbm_notify_offline(struct memhp_vmem_drv *vm, unsigned long id)
{
	switch (virtio_mem_sbm_get_mb_state(vm, id)) {
	case MEMHP_VMEM_SBM_KERNEL_PARTIAL:
	case MEMHP_VMEM_SBM_MOVABLE_PARTIAL:
		virtio_mem_sbm_set_mb_state(vm, id, MEMHP_VMEM_SBM_OFFLINE_PARTIAL);
		break;
	case MEMHP_VMEM_SBM_KERNEL:
	case MEMHP_VMEM_SBM_MOVABLE:
		virtio_mem_sbm_set_mb_state(vm, id, MEMHP_VMEM_SBM_OFFLINE);
		break;
	default:
		memhp_report_bug(vm->m, MEMHP_NO_PFN, MEMHP_RULE_VIRTIO_MEM_STATE,
				 "virtio_mem: memory%lu went offline in state %s (kernel: BUG)", id,
				 memhp_vmem_sbm_state_name(virtio_mem_sbm_get_mb_state(vm, id)));
	}
}

static void virtio_mem_sbm_notify_online(struct memhp_vmem_drv *vm, unsigned long id,
					 unsigned long pfn)
{
	const bool movable =
		memhp_page_zonenum(memhp_pfn_to_page(vm->m, pfn)) == MEMHP_ZONE_MOVABLE;

	switch (virtio_mem_sbm_get_mb_state(vm, id)) {
	case MEMHP_VMEM_SBM_OFFLINE_PARTIAL:
		virtio_mem_sbm_set_mb_state(vm, id,
					    movable ? MEMHP_VMEM_SBM_MOVABLE_PARTIAL
						    : MEMHP_VMEM_SBM_KERNEL_PARTIAL);
		break;
	case MEMHP_VMEM_SBM_OFFLINE:
		virtio_mem_sbm_set_mb_state(
			vm, id, movable ? MEMHP_VMEM_SBM_MOVABLE : MEMHP_VMEM_SBM_KERNEL);
		break;
	default:
		memhp_report_bug(vm->m, MEMHP_NO_PFN, MEMHP_RULE_VIRTIO_MEM_STATE,
				 "virtio_mem: memory%lu went online in state %s (kernel: BUG)", id,
				 memhp_vmem_sbm_state_name(virtio_mem_sbm_get_mb_state(vm, id)));
	}
}

/* Call @fn on each unplugged sub-block of memory block @mb_id. */
static void virtio_mem_sbm_for_each_unplugged_sb(struct memhp_vmem_drv *vm, unsigned long mb_id,
						 void (*fn)(struct memhp_vmem_drv *, unsigned long,
							    unsigned long))
{
	const unsigned long nr = vm->sb_size >> MEMHP_PAGE_SHIFT;

	for (unsigned long sb = 0; sb < vm->sbs_per_mb; sb++) {
		if (virtio_mem_sbm_test_sb_plugged(vm, mb_id, sb, 1))
			continue;
		fn(vm,
		   (unsigned long)((virtio_mem_mb_id_to_phys(vm, mb_id) + sb * vm->sb_size) >>
				   MEMHP_PAGE_SHIFT),
		   nr);
	}
}

static void virtio_mem_sbm_notify_going_offline(struct memhp_vmem_drv *vm, unsigned long mb_id)
{
	virtio_mem_sbm_for_each_unplugged_sb(vm, mb_id, virtio_mem_fake_offline_going_offline);
}

static void virtio_mem_sbm_notify_cancel_offline(struct memhp_vmem_drv *vm, unsigned long mb_id)
{
	virtio_mem_sbm_for_each_unplugged_sb(vm, mb_id, virtio_mem_fake_offline_cancel_offline);
}

/* A fake-offline big block is all ours where it is online; else none of it is. */
static void virtio_mem_bbm_notify_going_offline(struct memhp_vmem_drv *vm, unsigned long bb_id,
						unsigned long pfn, unsigned long nr_pages)
{
	if (virtio_mem_bbm_get_bb_state(vm, bb_id) != MEMHP_VMEM_BBM_FAKE_OFFLINE)
		return;
	virtio_mem_fake_offline_going_offline(vm, pfn, nr_pages);
}

static void virtio_mem_bbm_notify_cancel_offline(struct memhp_vmem_drv *vm, unsigned long bb_id,
						 unsigned long pfn, unsigned long nr_pages)
{
	if (virtio_mem_bbm_get_bb_state(vm, bb_id) != MEMHP_VMEM_BBM_FAKE_OFFLINE)
		return;
	virtio_mem_fake_offline_cancel_offline(vm, pfn, nr_pages);
}

/*
 * Runs from the core's memory notifier chain; GOING_* takes hotplug_mutex
 * and ONLINE, OFFLINE and CANCEL_* release it.
 *
 * Return: MEMHP_NOTIFY_DONE (not our memory), MEMHP_NOTIFY_OK,
 * MEMHP_NOTIFY_BAD (onlining denied, or a range that is not one block),
 * or memhp_notifier_from_errno(-EBUSY) while the driver is being removed.
 */
static int virtio_mem_memory_notifier_cb(struct memhp_notifier_block *nb, unsigned long action,
					 void *arg)
{
	struct memhp_vmem_drv *vm = nb->priv;
	struct memhp_memory_notify *mhp = arg;
	const uint64_t start = (uint64_t)mhp->start_pfn << MEMHP_PAGE_SHIFT;
	const uint64_t size = (uint64_t)mhp->nr_pages << MEMHP_PAGE_SHIFT;
	const bool legacy = !virtio_mem_skippable_protocol(vm);
	int rc = MEMHP_NOTIFY_OK;
	unsigned long id;

	if (!virtio_mem_overlaps_range(vm, start, size))
		return MEMHP_NOTIFY_DONE;
	if (vm->in_sbm) {
		id = virtio_mem_phys_to_mb_id(vm, start);
		/* SBM adds memory one block at a time and expects it to be
		 * onlined and offlined that way. */
		if (size != vm->mb_size || start % vm->mb_size)
			return MEMHP_NOTIFY_BAD;
	} else {
		id = virtio_mem_phys_to_bb_id(vm, start);
		if (id != virtio_mem_phys_to_bb_id(vm, start + size - 1))
			return MEMHP_NOTIFY_BAD;
	}

	/* hotplug_mutex is held from one call down the chain to another,
	 * each under the chain's lock, which lockdep would take for an
	 * inversion; the device hotplug lock rules the deadlock out (as the
	 * kernel, which turns lockdep off here too, and tests/tsan.supp). */
	lockdep_off();
	switch (action) {
	case MEMHP_MEM_GOING_OFFLINE:
		pthread_mutex_lock(&vm->hotplug_mutex);
		if (vm->removing) {
			rc = memhp_notifier_from_errno(-EBUSY);
			pthread_mutex_unlock(&vm->hotplug_mutex);
			break;
		}
		vm->hotplug_active = true;
		if (!legacy)
			break;
		if (vm->in_sbm)
			virtio_mem_sbm_notify_going_offline(vm, id);
		else
			virtio_mem_bbm_notify_going_offline(vm, id, mhp->start_pfn, mhp->nr_pages);
		break;
	case MEMHP_MEM_GOING_ONLINE:
		pthread_mutex_lock(&vm->hotplug_mutex);
		if (vm->removing) {
			rc = memhp_notifier_from_errno(-EBUSY);
			pthread_mutex_unlock(&vm->hotplug_mutex);
			break;
		}
		vm->hotplug_active = true;
		if (vm->in_sbm)
			rc = virtio_mem_sbm_notify_going_online(vm, id, mhp->start_pfn);
		break;
	case MEMHP_MEM_OFFLINE:
		if (vm->in_sbm)
			virtio_mem_sbm_notify_offline(vm, id);
		atomic_fetch_add(&vm->offline_size, (int64_t)size);
		if (!atomic_load(&vm->unplug_online))
			virtio_mem_retry(vm);
		vm->hotplug_active = false;
		pthread_mutex_unlock(&vm->hotplug_mutex);
		break;
	case MEMHP_MEM_ONLINE:
		if (vm->in_sbm)
			virtio_mem_sbm_notify_online(vm, id, mhp->start_pfn);
		atomic_fetch_sub(&vm->offline_size, (int64_t)size);
		/* Add more once half of the threshold is online, unless this is
		 * our own add being onlined right now. */
		if (!atomic_load(&vm->wq_active) &&
		    virtio_mem_could_add_memory(vm, vm->offline_threshold / 2))
			virtio_mem_retry(vm);
		vm->hotplug_active = false;
		pthread_mutex_unlock(&vm->hotplug_mutex);
		break;
	case MEMHP_MEM_CANCEL_OFFLINE:
		if (!vm->hotplug_active)
			break;
		if (legacy && vm->in_sbm)
			virtio_mem_sbm_notify_cancel_offline(vm, id);
		else if (legacy)
			virtio_mem_bbm_notify_cancel_offline(vm, id, mhp->start_pfn, mhp->nr_pages);
		vm->hotplug_active = false;
		pthread_mutex_unlock(&vm->hotplug_mutex);
		break;
	case MEMHP_MEM_CANCEL_ONLINE:
		if (!vm->hotplug_active)
			break;
		vm->hotplug_active = false;
		pthread_mutex_unlock(&vm->hotplug_mutex);
		break;
	}
	lockdep_on();
	return rc;
}

/* ---- PageOffline: fake-offline and fake-online ------------------------------------- */

/*
 * Mark pages PageOffline; pages never given to the buddy get PageDirty
 * and lose PG_reserved. Under the 2025 protocol they become skippable.
 * The core does the range in one pass while no PFN walker can see the
 * pages in between, page by page otherwise. Caller holds
 * page_offline_begin().
 */
static void virtio_mem_set_fake_offline(struct memhp_vmem_drv *vm, unsigned long pfn,
					unsigned long nr, bool onlined)
{
	memhp_SetPageOffline_range(
		vm->m, pfn, nr,
		(virtio_mem_skippable_protocol(vm) ? MEMHP_PAGE_OFFLINE_SKIPPABLE : 0) |
			(onlined ? 0 : MEMHP_PAGE_OFFLINE_UNUSED));
}

static void virtio_mem_clear_fake_offline(struct memhp_vmem_drv *vm, unsigned long pfn,
					  unsigned long nr, bool onlined)
{
	memhp_ClearPageOffline_range(vm->m, pfn, nr, onlined ? 0 : MEMHP_PAGE_OFFLINE_UNUSED);
}

/* Give fake-offline pages to the buddy (plug into online memory, rollback). */
static void virtio_mem_fake_online(struct memhp_vmem_drv *vm, unsigned long pfn, unsigned long nr)
{
	unsigned int order = memhp_max_order(vm->m);

	while ((pfn | nr) & ((1UL << order) - 1))
		order--;
	for (unsigned long i = 0; i < nr; i += 1UL << order) {
		struct memhp_page *page = memhp_pfn_to_page(vm->m, pfn + i);

		memhp_page_offline_begin(vm->m);
		if (memhp_PageDirty(page)) {
			/* Kept back when the block was onlined: its first time. */
			virtio_mem_clear_fake_offline(vm, pfn + i, 1UL << order, false);
			memhp_generic_online_page(page, order);
		} else {
			virtio_mem_clear_fake_offline(vm, pfn + i, 1UL << order, true);
			memhp_free_contig_range(vm->m, pfn + i, 1UL << order);
			memhp_adjust_managed_page_count(page, (long)(1UL << order));
		}
		memhp_page_offline_end(vm->m);
	}
}

/*
 * Take an online range from Linux with alloc_contig_range() and keep it
 * PageOffline. In ZONE_MOVABLE, try a few times: pages there may be pinned
 * only for a moment.
 *
 * Return: 0, -ENOMEM, or -EBUSY (any other failure of
 * alloc_contig_range(), after the tries in ZONE_MOVABLE).
 */
static int virtio_mem_fake_offline(struct memhp_vmem_drv *vm, unsigned long pfn, unsigned long nr)
{
	const bool is_movable =
		memhp_page_zonenum(memhp_pfn_to_page(vm->m, pfn)) == MEMHP_ZONE_MOVABLE;
	int rc;

	for (int retry = 0; retry < VMEM_FAKE_OFFLINE_TRIES; retry++) {
		rc = memhp_alloc_contig_range(vm->m, pfn, pfn + nr, MEMHP_GFP_KERNEL);
		if (rc == -ENOMEM)
			return rc;
		else if (rc && !is_movable)
			break;
		else if (rc)
			continue;
		memhp_page_offline_begin(vm->m);
		virtio_mem_set_fake_offline(vm, pfn, nr, true);
		memhp_adjust_managed_page_count(memhp_pfn_to_page(vm->m, pfn), -(long)nr);
		memhp_page_offline_end(vm->m);
		return 0;
	}
	return -EBUSY;
}

static void virtio_mem_fake_offline_still_referenced(struct memhp_page *page, void *priv)
{
	struct memhp_vmem_drv *vm = priv;

	memhp_report(vm->m, memhp_page_to_pfn(page), MEMHP_RULE_FAKE_OFFLINE_REFERENCED,
		     "virtio_mem: fake-offline page referenced (refcount %d)",
		     memhp_page_count(page));
}

/* 6.1: let offlining skip our pages, and give them back to managed so that
 * offline_pages() can subtract the whole range. */
static void virtio_mem_fake_offline_going_offline(struct memhp_vmem_drv *vm, unsigned long pfn,
						  unsigned long nr)
{
	memhp_adjust_managed_page_count(memhp_pfn_to_page(vm->m, pfn), (long)nr);
	memhp_page_ref_dec_range(vm->m, pfn, nr, virtio_mem_fake_offline_still_referenced, vm);
}

static void virtio_mem_fake_offline_cancel_offline(struct memhp_vmem_drv *vm, unsigned long pfn,
						   unsigned long nr)
{
	memhp_adjust_managed_page_count(memhp_pfn_to_page(vm->m, pfn), -(long)nr);
	memhp_page_ref_inc_range(vm->m, pfn, nr);
}

/* ---- The online_page callback ------------------------------------------------------- */

static void virtio_mem_online_page(struct memhp_vmem_drv *vm, struct memhp_page *page,
				   unsigned int order)
{
	const uint64_t start = (uint64_t)memhp_page_to_pfn(page) << MEMHP_PAGE_SHIFT;
	const uint64_t end = start + ((uint64_t)MEMHP_PAGE_SIZE << order);
	bool do_online;

	/* A chunk of mixed plugged and unplugged sub-blocks is processed
	 * sub-block by sub-block: the order drops once. */
	for (uint64_t addr = start; addr < end;) {
		uint64_t next = addr + ((uint64_t)MEMHP_PAGE_SIZE << order);

		if (vm->in_sbm) {
			unsigned long id = virtio_mem_phys_to_mb_id(vm, addr);
			unsigned long sb_id = virtio_mem_phys_to_sb_id(vm, addr);
			unsigned long count = virtio_mem_phys_to_sb_id(vm, next - 1) - sb_id + 1;

			if (virtio_mem_sbm_test_sb_plugged(vm, id, sb_id, count)) {
				do_online = true;
			} else if (count == 1 ||
				   virtio_mem_sbm_test_sb_unplugged(vm, id, sb_id, count)) {
				do_online = false;
			} else {
				order = (unsigned)__builtin_ctzll(vm->sb_size) - MEMHP_PAGE_SHIFT;
				continue;
			}
		} else {
			do_online = virtio_mem_bbm_get_bb_state(
					    vm, virtio_mem_phys_to_bb_id(vm, addr)) !=
				    MEMHP_VMEM_BBM_FAKE_OFFLINE;
		}
		if (do_online) {
			memhp_generic_online_page(
				memhp_pfn_to_page(vm->m, (unsigned long)(addr >> MEMHP_PAGE_SHIFT)),
				order);
		} else {
			memhp_page_offline_begin(vm->m);
			virtio_mem_set_fake_offline(vm, (unsigned long)(addr >> MEMHP_PAGE_SHIFT),
						    1UL << order, false);
			memhp_page_offline_end(vm->m);
		}
		addr = next;
	}
}

/* Called with mem_hotplug_lock held for write: the device list is stable. */
static void virtio_mem_online_page_cb(struct memhp_page *page, unsigned int order, void *priv)
{
	struct vmem_module *mod = priv;
	const uint64_t addr = (uint64_t)memhp_page_to_pfn(page) << MEMHP_PAGE_SHIFT;

	for (struct memhp_vmem_drv *vm = mod->devices; vm; vm = vm->next) {
		if (!virtio_mem_contains_range(vm, addr, (uint64_t)MEMHP_PAGE_SIZE << order))
			continue;
		virtio_mem_online_page(vm, page, order);
		return;
	}
	/* Not virtio-mem memory (a DIMM, say): online it. */
	memhp_generic_online_page(page, order);
}

/* ---- Talking to the device --------------------------------------------------------------- */

/*
 * One request on the guest-request queue, waiting for its answer.
 *
 * Return: the response type (MEMHP_VIRTIO_MEM_RESP_*), or the queue's
 * errno: -EIO (a broken device, or a reset dropped the request), -ENODEV (the
 * device is going away), -EDEADLK (called from the device's thread).
 */
static int virtio_mem_send_request(struct memhp_vmem_drv *vm, uint16_t type, uint64_t addr,
				   uint16_t nb_blocks)
{
	struct memhp_virtio_mem_req req = { 0 };
	struct memhp_virtio_mem_resp resp = { 0 };
	int rc;

	req.type = htole16(type);
	req.addr = htole64(addr);
	req.nb_blocks = htole16(nb_blocks);
	memhp_event_emit(
		vm->m,
		&(const struct memhp_event){
			.type = MEMHP_EV_VMEM_REQUEST,
			.vmem_request = { .type = type, .addr = addr, .nr_blocks = nb_blocks } });
	rc = memhp_vmem_dev_request(vm->dev, &req, sizeof(req), &resp, sizeof(resp));
	if (rc < 0)
		return rc;
	memhp_event_emit(vm->m,
			 &(const struct memhp_event){ .type = MEMHP_EV_VMEM_RESPONSE,
						      .vmem_request = { .type = type,
									.resp = le16toh(resp.type),
									.addr = addr,
									.nr_blocks = nb_blocks } });
	return le16toh(resp.type);
}

/*
 * Plug [@addr, @addr + @size) and count it in plugged_size. Not sent while
 * a config change waits: the work must look at the new config first.
 *
 * Return: 0, -EAGAIN (the config changed, or NACK), -ETXTBSY (BUSY),
 * -EINVAL (ERROR), -ENOMEM (an answer Linux does not know), or the
 * queue's errno (-EIO, -ENODEV, -EDEADLK).
 */
static int virtio_mem_send_plug_request(struct memhp_vmem_drv *vm, uint64_t addr, uint64_t size)
{
	int rc;

	if (atomic_load(&vm->config_changed))
		return -EAGAIN;
	rc = virtio_mem_send_request(vm, MEMHP_VIRTIO_MEM_REQ_PLUG, addr,
				     (uint16_t)(size / vm->device_block_size));
	switch (rc) {
	case MEMHP_VIRTIO_MEM_RESP_ACK:
		atomic_fetch_add(&vm->plugged_size, size);
		return 0;
	case MEMHP_VIRTIO_MEM_RESP_NACK:
		return -EAGAIN;
	case MEMHP_VIRTIO_MEM_RESP_BUSY:
		return -ETXTBSY;
	case MEMHP_VIRTIO_MEM_RESP_ERROR:
		return -EINVAL;
	}
	return rc < 0 ? rc : -ENOMEM;
}

/*
 * Unplug [@addr, @addr + @size) and take it off plugged_size.
 *
 * Return: 0, -EAGAIN (the config changed), -ETXTBSY (BUSY), -EINVAL
 * (ERROR), -ENOMEM (NACK, or an answer Linux does not know), or the
 * queue's errno (-EIO, -ENODEV, -EDEADLK).
 */
static int virtio_mem_send_unplug_request(struct memhp_vmem_drv *vm, uint64_t addr, uint64_t size)
{
	int rc;

	if (atomic_load(&vm->config_changed))
		return -EAGAIN;
	rc = virtio_mem_send_request(vm, MEMHP_VIRTIO_MEM_REQ_UNPLUG, addr,
				     (uint16_t)(size / vm->device_block_size));
	switch (rc) {
	case MEMHP_VIRTIO_MEM_RESP_ACK:
		atomic_fetch_sub(&vm->plugged_size, size);
		return 0;
	case MEMHP_VIRTIO_MEM_RESP_BUSY:
		return -ETXTBSY;
	case MEMHP_VIRTIO_MEM_RESP_ERROR:
		return -EINVAL;
	}
	/* A NACK to an unplug is not expected: try later. */
	return rc < 0 ? rc : -ENOMEM;
}

/*
 * Unplug all; the usable region may have shrunk, so the config is read
 * again.
 *
 * Return: 0, -ETXTBSY (BUSY), -ENOMEM (any other answer), or the queue's
 * errno (-EIO, -ENODEV, -EDEADLK).
 */
static int virtio_mem_send_unplug_all_request(struct memhp_vmem_drv *vm)
{
	int rc = virtio_mem_send_request(vm, MEMHP_VIRTIO_MEM_REQ_UNPLUG_ALL, 0, 0);

	switch (rc) {
	case MEMHP_VIRTIO_MEM_RESP_ACK:
		atomic_store(&vm->unplug_all_required, false);
		atomic_store(&vm->plugged_size, 0);
		/* The usable region may have shrunk. */
		atomic_store(&vm->config_changed, true);
		return 0;
	case MEMHP_VIRTIO_MEM_RESP_BUSY:
		return -ETXTBSY;
	}
	return rc < 0 ? rc : -ENOMEM;
}

/*
 * Plug @count sub-blocks of block @mb_id from @sb_id and mark them in the
 * bitmap; the block's state is the caller's.
 *
 * Return: 0, or virtio_mem_send_plug_request()'s error.
 */
static int virtio_mem_sbm_plug_sb(struct memhp_vmem_drv *vm, unsigned long mb_id,
				  unsigned long sb_id, unsigned long count)
{
	int rc = virtio_mem_send_plug_request(
		vm, virtio_mem_mb_id_to_phys(vm, mb_id) + sb_id * vm->sb_size, count * vm->sb_size);

	if (!rc)
		virtio_mem_sbm_set_sb_plugged(vm, mb_id, sb_id, count);
	return rc;
}

/*
 * Unplug @count sub-blocks of block @mb_id from @sb_id and clear them in
 * the bitmap; the block's state is the caller's.
 *
 * Return: 0, or virtio_mem_send_unplug_request()'s error.
 */
static int virtio_mem_sbm_unplug_sb(struct memhp_vmem_drv *vm, unsigned long mb_id,
				    unsigned long sb_id, unsigned long count)
{
	int rc = virtio_mem_send_unplug_request(
		vm, virtio_mem_mb_id_to_phys(vm, mb_id) + sb_id * vm->sb_size, count * vm->sb_size);

	if (!rc)
		virtio_mem_sbm_set_sb_unplugged(vm, mb_id, sb_id, count);
	return rc;
}

/* Return: 0, or virtio_mem_send_unplug_request()'s error. */
static int virtio_mem_bbm_unplug_bb(struct memhp_vmem_drv *vm, unsigned long bb_id)
{
	return virtio_mem_send_unplug_request(vm, virtio_mem_bb_id_to_phys(vm, bb_id), vm->bb_size);
}

/* Return: 0, or virtio_mem_send_plug_request()'s error. */
static int virtio_mem_bbm_plug_bb(struct memhp_vmem_drv *vm, unsigned long bb_id)
{
	return virtio_mem_send_plug_request(vm, virtio_mem_bb_id_to_phys(vm, bb_id), vm->bb_size);
}

/* ---- Plugging ---------------------------------------------------------------------------- */

/*
 * Unplug up to *@nb_sb plugged sub-blocks of an offline or not added
 * block, highest first, batching neighbours; *@nb_sb goes down by what
 * was unplugged. Stops at the first failure.
 *
 * Return: 0, or virtio_mem_sbm_unplug_sb()'s error.
 */
static int virtio_mem_sbm_unplug_any_sb_raw(struct memhp_vmem_drv *vm, unsigned long mb_id,
					    uint64_t *nb_sb)
{
	long sb_id = (long)vm->sbs_per_mb - 1;
	int rc;

	while (*nb_sb) {
		unsigned long count = 1;

		while (sb_id >= 0 &&
		       virtio_mem_sbm_test_sb_unplugged(vm, mb_id, (unsigned long)sb_id, 1))
			sb_id--;
		if (sb_id < 0)
			break;
		while (count < *nb_sb && sb_id > 0 &&
		       virtio_mem_sbm_test_sb_plugged(vm, mb_id, (unsigned long)sb_id - 1, 1)) {
			count++;
			sb_id--;
		}
		rc = virtio_mem_sbm_unplug_sb(vm, mb_id, (unsigned long)sb_id, count);
		if (rc)
			return rc;
		*nb_sb -= count;
		sb_id--;
	}
	return 0;
}

/* Return: 0, or virtio_mem_sbm_unplug_sb()'s error. */
static int virtio_mem_sbm_unplug_mb(struct memhp_vmem_drv *vm, unsigned long mb_id)
{
	uint64_t nb_sb = vm->sbs_per_mb;

	return virtio_mem_sbm_unplug_any_sb_raw(vm, mb_id, &nb_sb);
}

/*
 * The next block id to add, counted as UNUSED.
 *
 * Return: 0, or -ENOSPC (beyond the usable region, or the tracking).
 */
static int virtio_mem_sbm_prepare_next_mb(struct memhp_vmem_drv *vm, unsigned long *mb_id)
{
	if (vm->next_id > vm->last_usable_id || vm->last_usable_id + 1 <= vm->first_id ||
	    vm->next_id - vm->first_id >= vm->nr_ids)
		return -ENOSPC;
	atomic_fetch_add(&vm->count[MEMHP_VMEM_SBM_UNUSED], 1);
	*mb_id = vm->next_id++;
	return 0;
}

/*
 * Plug the first sub-blocks of unused block @mb_id, up to *@nb_sb, and add
 * the block; on failure what was plugged is unplugged again, or the block
 * is left PLUGGED for the work to unplug later.
 *
 * Return: 0, virtio_mem_sbm_plug_sb()'s or virtio_mem_add_memory()'s
 * error.
 */
static int virtio_mem_sbm_plug_and_add_mb(struct memhp_vmem_drv *vm, unsigned long mb_id,
					  uint64_t *nb_sb)
{
	const unsigned long count = (unsigned long)MIN(*nb_sb, (uint64_t)vm->sbs_per_mb);
	int rc;

	/* Plug before adding, so that onlining onlines what is plugged, and
	 * set the state before adding, so that the notifier finds it. */
	rc = virtio_mem_sbm_plug_sb(vm, mb_id, 0, count);
	if (rc)
		return rc;
	virtio_mem_sbm_set_mb_state(vm, mb_id,
				    count == vm->sbs_per_mb ? MEMHP_VMEM_SBM_OFFLINE
							    : MEMHP_VMEM_SBM_OFFLINE_PARTIAL);
	rc = virtio_mem_sbm_add_mb(vm, mb_id);
	if (rc) {
		virtio_mem_sbm_set_mb_state(vm, mb_id,
					    virtio_mem_sbm_unplug_sb(vm, mb_id, 0, count)
						    ? MEMHP_VMEM_SBM_PLUGGED
						    : MEMHP_VMEM_SBM_UNUSED);
		return rc;
	}
	*nb_sb -= count;
	return 0;
}

/*
 * Plug unplugged sub-blocks of added block @mb_id, up to *@nb_sb; in an
 * online block the new memory goes to the buddy at once.
 *
 * Return: 0, or virtio_mem_sbm_plug_sb()'s error.
 */
static int virtio_mem_sbm_plug_any_sb(struct memhp_vmem_drv *vm, unsigned long mb_id,
				      uint64_t *nb_sb)
{
	const int old_state = virtio_mem_sbm_get_mb_state(vm, mb_id);
	int rc;

	lockdep_assert_held(&vm->hotplug_mutex);
	while (*nb_sb) {
		unsigned long sb_id = virtio_mem_sbm_first_unplugged_sb(vm, mb_id), count = 1;

		if (sb_id >= vm->sbs_per_mb)
			break;
		while (count < *nb_sb && sb_id + count < vm->sbs_per_mb &&
		       !virtio_mem_sbm_test_sb_plugged(vm, mb_id, sb_id + count, 1))
			count++;
		rc = virtio_mem_sbm_plug_sb(vm, mb_id, sb_id, count);
		if (rc)
			return rc;
		*nb_sb -= count;
		if (old_state == MEMHP_VMEM_SBM_OFFLINE_PARTIAL)
			continue;
		/* The block is online: hand the new memory to the buddy. */
		virtio_mem_fake_online(vm,
				       (unsigned long)((virtio_mem_mb_id_to_phys(vm, mb_id) +
							sb_id * vm->sb_size) >>
						       MEMHP_PAGE_SHIFT),
				       (unsigned long)((count * vm->sb_size) >> MEMHP_PAGE_SHIFT));
	}
	if (virtio_mem_sbm_test_sb_plugged(vm, mb_id, 0, vm->sbs_per_mb))
		virtio_mem_sbm_set_mb_state(vm, mb_id, old_state - 1); /* X_PARTIAL -> X */
	return 0;
}

/*
 * Plug @diff bytes: partially plugged blocks first, then unused and new
 * ones, while the offline threshold allows.
 *
 * Return: 0, -ENOSPC (the threshold or the usable region is reached), or
 * the error of a plug (virtio_mem_send_plug_request()) or of an add
 * (virtio_mem_add_memory()).
 */
static int virtio_mem_sbm_plug_request(struct memhp_vmem_drv *vm, uint64_t diff)
{
	static const int mb_states[] = {
		MEMHP_VMEM_SBM_KERNEL_PARTIAL,
		MEMHP_VMEM_SBM_MOVABLE_PARTIAL,
		MEMHP_VMEM_SBM_OFFLINE_PARTIAL,
	};
	uint64_t nb_sb = diff / vm->sb_size;
	unsigned long mb_id;
	int rc = 0;

	if (!nb_sb)
		return 0;
	/* Partially plugged blocks first; they may be online: hold off
	 * onlining and offlining meanwhile. */
	pthread_mutex_lock(&vm->hotplug_mutex);
	for (size_t i = 0; i < ARRAY_SIZE_(mb_states); i++) {
		virtio_mem_sbm_for_each_mb(vm, mb_id, mb_states[i])
		{
			rc = virtio_mem_sbm_plug_any_sb(vm, mb_id, &nb_sb);
			if (rc || !nb_sb)
				goto out_unlock;
		}
	}
	pthread_mutex_unlock(&vm->hotplug_mutex);

	virtio_mem_sbm_for_each_mb(vm, mb_id, MEMHP_VMEM_SBM_UNUSED)
	{
		if (!virtio_mem_could_add_memory(vm, vm->mb_size))
			return -ENOSPC;
		rc = virtio_mem_sbm_plug_and_add_mb(vm, mb_id, &nb_sb);
		if (rc || !nb_sb)
			return rc;
	}
	while (nb_sb) {
		if (!virtio_mem_could_add_memory(vm, vm->mb_size))
			return -ENOSPC;
		rc = virtio_mem_sbm_prepare_next_mb(vm, &mb_id);
		if (rc)
			return rc;
		rc = virtio_mem_sbm_plug_and_add_mb(vm, mb_id, &nb_sb);
		if (rc)
			return rc;
	}
	return 0;
out_unlock:
	pthread_mutex_unlock(&vm->hotplug_mutex);
	return rc;
}

/*
 * Plug and add unused big block @bb_id; on a failed add it is unplugged
 * again, or left PLUGGED.
 *
 * Return: 0, -EINVAL (not UNUSED), virtio_mem_bbm_plug_bb()'s or
 * virtio_mem_add_memory()'s error.
 */
static int virtio_mem_bbm_plug_and_add_bb(struct memhp_vmem_drv *vm, unsigned long bb_id)
{
	int rc;

	if (virtio_mem_bbm_get_bb_state(vm, bb_id) != MEMHP_VMEM_BBM_UNUSED)
		return -EINVAL;
	rc = virtio_mem_bbm_plug_bb(vm, bb_id);
	if (rc)
		return rc;
	virtio_mem_bbm_set_bb_state(vm, bb_id, MEMHP_VMEM_BBM_ADDED);
	rc = virtio_mem_bbm_add_bb(vm, bb_id);
	if (rc) {
		virtio_mem_bbm_set_bb_state(vm, bb_id,
					    virtio_mem_bbm_unplug_bb(vm, bb_id)
						    ? MEMHP_VMEM_BBM_PLUGGED
						    : MEMHP_VMEM_BBM_UNUSED);
		return rc;
	}
	return 0;
}

/*
 * The next big block id to add, counted as UNUSED.
 *
 * Return: 0, or -ENOSPC (beyond the usable region, or the tracking).
 */
static int virtio_mem_bbm_prepare_next_bb(struct memhp_vmem_drv *vm, unsigned long *bb_id)
{
	if (vm->next_id > vm->last_usable_id || vm->last_usable_id + 1 <= vm->first_id ||
	    vm->next_id - vm->first_id >= vm->nr_ids)
		return -ENOSPC;
	atomic_fetch_add(&vm->count[MEMHP_VMEM_BBM_UNUSED], 1);
	*bb_id = vm->next_id++;
	return 0;
}

/*
 * Plug @diff bytes in whole big blocks, unused ones first.
 *
 * Return: as virtio_mem_sbm_plug_request(), with -EINVAL from
 * virtio_mem_bbm_plug_and_add_bb().
 */
static int virtio_mem_bbm_plug_request(struct memhp_vmem_drv *vm, uint64_t diff)
{
	uint64_t nb_bb = diff / vm->bb_size;
	unsigned long bb_id;
	int rc;

	if (!nb_bb)
		return 0;
	virtio_mem_bbm_for_each_bb(vm, bb_id, MEMHP_VMEM_BBM_UNUSED)
	{
		if (!virtio_mem_could_add_memory(vm, vm->bb_size))
			return -ENOSPC;
		rc = virtio_mem_bbm_plug_and_add_bb(vm, bb_id);
		if (!rc)
			nb_bb--;
		if (rc || !nb_bb)
			return rc;
	}
	while (nb_bb) {
		if (!virtio_mem_could_add_memory(vm, vm->bb_size))
			return -ENOSPC;
		rc = virtio_mem_bbm_prepare_next_bb(vm, &bb_id);
		if (rc)
			return rc;
		rc = virtio_mem_bbm_plug_and_add_bb(vm, bb_id);
		if (rc)
			return rc;
		nb_bb--;
	}
	return 0;
}

/* Return: virtio_mem_sbm_plug_request()'s or virtio_mem_bbm_plug_request()'s. */
static int virtio_mem_plug_request(struct memhp_vmem_drv *vm, uint64_t diff)
{
	if (vm->in_sbm)
		return virtio_mem_sbm_plug_request(vm, diff);
	return virtio_mem_bbm_plug_request(vm, diff);
}

/* ---- Unplugging -------------------------------------------------------------------------- */

/*
 * Unplug up to *@nb_sb sub-blocks of offline block @mb_id, and remove the
 * block once none is left plugged. Caller holds hotplug_mutex; it is
 * dropped around the removal.
 *
 * Return: 0, or virtio_mem_sbm_unplug_sb()'s error. A failed removal is
 * reported, not returned: 6.1 BUG()s there.
 */
static int virtio_mem_sbm_unplug_any_sb_offline(struct memhp_vmem_drv *vm, unsigned long mb_id,
						uint64_t *nb_sb)
{
	int rc;

	lockdep_assert_held(&vm->hotplug_mutex);
	rc = virtio_mem_sbm_unplug_any_sb_raw(vm, mb_id, nb_sb);
	if (!virtio_mem_sbm_test_sb_plugged(vm, mb_id, 0, vm->sbs_per_mb))
		virtio_mem_sbm_set_mb_state(vm, mb_id, MEMHP_VMEM_SBM_OFFLINE_PARTIAL);
	if (rc)
		return rc;
	if (virtio_mem_sbm_test_sb_unplugged(vm, mb_id, 0, vm->sbs_per_mb)) {
		/* Mark it unused first, so a racing GOING_ONLINE is denied,
		 * then remove it with the mutex dropped. */
		virtio_mem_sbm_set_mb_state(vm, mb_id, MEMHP_VMEM_SBM_UNUSED);
		pthread_mutex_unlock(&vm->hotplug_mutex);
		rc = virtio_mem_sbm_remove_mb(vm, mb_id);
		if (rc)
			memhp_report_bug(
				vm->m, MEMHP_NO_PFN, MEMHP_RULE_VIRTIO_MEM_STATE,
				"virtio_mem: removing offline memory%lu failed: %d (kernel: BUG)",
				mb_id, rc);
		pthread_mutex_lock(&vm->hotplug_mutex);
	}
	return 0;
}

/*
 * Fake-offline @count sub-blocks of online block @mb_id from @sb_id, then
 * unplug them; a failed unplug gives the pages back.
 *
 * Return: 0, -ENOMEM or -EBUSY (virtio_mem_fake_offline()), or
 * virtio_mem_sbm_unplug_sb()'s error.
 */
static int virtio_mem_sbm_unplug_sb_online(struct memhp_vmem_drv *vm, unsigned long mb_id,
					   unsigned long sb_id, unsigned long count)
{
	const unsigned long nr_pages = (unsigned long)((vm->sb_size * count) >> MEMHP_PAGE_SHIFT);
	const unsigned long start_pfn =
		(unsigned long)((virtio_mem_mb_id_to_phys(vm, mb_id) + sb_id * vm->sb_size) >>
				MEMHP_PAGE_SHIFT);
	const int old_state = virtio_mem_sbm_get_mb_state(vm, mb_id);
	int rc;

	rc = virtio_mem_fake_offline(vm, start_pfn, nr_pages);
	if (rc)
		return rc;
	rc = virtio_mem_sbm_unplug_sb(vm, mb_id, sb_id, count);
	if (rc) {
		virtio_mem_fake_online(vm, start_pfn, nr_pages);
		return rc;
	}
	if (old_state == MEMHP_VMEM_SBM_KERNEL)
		virtio_mem_sbm_set_mb_state(vm, mb_id, MEMHP_VMEM_SBM_KERNEL_PARTIAL);
	else if (old_state == MEMHP_VMEM_SBM_MOVABLE)
		virtio_mem_sbm_set_mb_state(vm, mb_id, MEMHP_VMEM_SBM_MOVABLE_PARTIAL);
	return 0;
}

/*
 * Unplug up to *@nb_sb sub-blocks of online block @mb_id, the whole block
 * at once if it can, else one at a time skipping busy ones; an emptied
 * block is offlined and removed. Caller holds hotplug_mutex; it is
 * dropped around the removal.
 *
 * Return: 0 (also when some were busy, or the removal was refused), or
 * virtio_mem_sbm_unplug_sb_online()'s error other than -EBUSY.
 */
static int virtio_mem_sbm_unplug_any_sb_online(struct memhp_vmem_drv *vm, unsigned long mb_id,
					       uint64_t *nb_sb)
{
	int rc;

	lockdep_assert_held(&vm->hotplug_mutex);
	/* The whole block in one go, if it can be done. */
	if (*nb_sb >= vm->sbs_per_mb &&
	    virtio_mem_sbm_test_sb_plugged(vm, mb_id, 0, vm->sbs_per_mb)) {
		rc = virtio_mem_sbm_unplug_sb_online(vm, mb_id, 0, vm->sbs_per_mb);
		if (!rc) {
			*nb_sb -= vm->sbs_per_mb;
			goto unplugged;
		} else if (rc != -EBUSY) {
			return rc;
		}
	}
	/* Else one sub-block at a time, highest first, skipping busy ones. */
	for (long sb_id = (long)vm->sbs_per_mb - 1; sb_id >= 0 && *nb_sb; sb_id--) {
		while (sb_id >= 0 &&
		       !virtio_mem_sbm_test_sb_plugged(vm, mb_id, (unsigned long)sb_id, 1))
			sb_id--;
		if (sb_id < 0)
			break;
		rc = virtio_mem_sbm_unplug_sb_online(vm, mb_id, (unsigned long)sb_id, 1);
		if (rc == -EBUSY)
			continue;
		else if (rc)
			return rc;
		*nb_sb -= 1;
	}
unplugged:
	/* Empty now: offline and remove it. Offlining is cheap, every page
	 * is fake-offline; another notifier may still refuse. */
	if (virtio_mem_sbm_test_sb_unplugged(vm, mb_id, 0, vm->sbs_per_mb)) {
		pthread_mutex_unlock(&vm->hotplug_mutex);
		rc = virtio_mem_sbm_offline_and_remove_mb(vm, mb_id);
		pthread_mutex_lock(&vm->hotplug_mutex);
		if (!rc)
			virtio_mem_sbm_set_mb_state(vm, mb_id, MEMHP_VMEM_SBM_UNUSED);
	}
	return 0;
}

/*
 * Return: as virtio_mem_sbm_unplug_any_sb_online() or
 * virtio_mem_sbm_unplug_any_sb_offline(), or -EINVAL (a block in no state
 * to unplug from).
 */
static int virtio_mem_sbm_unplug_any_sb(struct memhp_vmem_drv *vm, unsigned long mb_id,
					uint64_t *nb_sb)
{
	switch (virtio_mem_sbm_get_mb_state(vm, mb_id)) {
	case MEMHP_VMEM_SBM_KERNEL_PARTIAL:
	case MEMHP_VMEM_SBM_KERNEL:
	case MEMHP_VMEM_SBM_MOVABLE_PARTIAL:
	case MEMHP_VMEM_SBM_MOVABLE:
		return virtio_mem_sbm_unplug_any_sb_online(vm, mb_id, nb_sb);
	case MEMHP_VMEM_SBM_OFFLINE_PARTIAL:
	case MEMHP_VMEM_SBM_OFFLINE:
		return virtio_mem_sbm_unplug_any_sb_offline(vm, mb_id, nb_sb);
	}
	return -EINVAL;
}

/*
 * Unplug @diff bytes in the order of mb_states[]; without unplug_online,
 * offline blocks only.
 *
 * Return: 0 (also when, without unplug_online, the offline blocks did not
 * suffice), -EBUSY (plugged memory is left that could not be freed), or
 * the first other error of virtio_mem_sbm_unplug_any_sb().
 */
static int virtio_mem_sbm_unplug_request(struct memhp_vmem_drv *vm, uint64_t diff)
{
	/* Partially plugged first (whole blocks and their metadata go away),
	 * ZONE_MOVABLE before kernel zones (more reliable, and no zone
	 * imbalance from removing kernel memory). */
	static const int mb_states[] = {
		MEMHP_VMEM_SBM_OFFLINE_PARTIAL, MEMHP_VMEM_SBM_OFFLINE,
		MEMHP_VMEM_SBM_MOVABLE_PARTIAL, MEMHP_VMEM_SBM_KERNEL_PARTIAL,
		MEMHP_VMEM_SBM_MOVABLE,		MEMHP_VMEM_SBM_KERNEL,
	};
	uint64_t nb_sb = diff / vm->sb_size;
	unsigned long mb_id;
	int rc = 0;

	if (!nb_sb)
		return 0;
	pthread_mutex_lock(&vm->hotplug_mutex);
	for (size_t i = 0; i < ARRAY_SIZE_(mb_states); i++) {
		virtio_mem_sbm_for_each_mb_rev(vm, mb_id, mb_states[i])
		{
			rc = virtio_mem_sbm_unplug_any_sb(vm, mb_id, &nb_sb);
			if (rc || !nb_sb)
				goto out_unlock;
			/* Let onlining and offlining in between. */
			pthread_mutex_unlock(&vm->hotplug_mutex);
			pthread_mutex_lock(&vm->hotplug_mutex);
		}
		if (!atomic_load(&vm->unplug_online) && i == 1) {
			pthread_mutex_unlock(&vm->hotplug_mutex);
			return 0;
		}
	}
	pthread_mutex_unlock(&vm->hotplug_mutex);
	return nb_sb ? -EBUSY : 0;
out_unlock:
	pthread_mutex_unlock(&vm->hotplug_mutex);
	return rc;
}

static void virtio_mem_bbm_rollback_safe_unplug(struct memhp_vmem_drv *vm, unsigned long start,
						unsigned long end)
{
	const unsigned long section = memhp_pages_per_section(vm->m);

	for (unsigned long pfn = start; pfn < end; pfn += section)
		if (memhp_pfn_to_online_page(vm->m, pfn))
			virtio_mem_fake_online(vm, pfn, section);
}

/*
 * Offline, remove and unplug added big block @bb_id. With bbm_safe_unplug
 * its online memory is fake-offlined first and given back on failure.
 *
 * Return: 0, -EINVAL (not ADDED), -ENOMEM or -EBUSY
 * (virtio_mem_fake_offline()), virtio_mem_offline_and_remove_memory()'s
 * or virtio_mem_bbm_unplug_bb()'s error (the block is then PLUGGED).
 */
static int virtio_mem_bbm_offline_remove_and_unplug_bb(struct memhp_vmem_drv *vm,
						       unsigned long bb_id)
{
	const unsigned long start =
		(unsigned long)(virtio_mem_bb_id_to_phys(vm, bb_id) >> MEMHP_PAGE_SHIFT);
	const unsigned long section = memhp_pages_per_section(vm->m);
	unsigned long end = start + (unsigned long)(vm->bb_size >> MEMHP_PAGE_SHIFT);
	int rc;

	if (virtio_mem_bbm_get_bb_state(vm, bb_id) != MEMHP_VMEM_BBM_ADDED)
		return -EINVAL;
	if (vm->p.bbm_safe_unplug) {
		/* Fake-offline everything first: alloc_contig_range() fails
		 * where offline_pages() would loop forever. Memory onlined from
		 * now on stays fake-offline. */
		pthread_mutex_lock(&vm->hotplug_mutex);
		virtio_mem_bbm_set_bb_state(vm, bb_id, MEMHP_VMEM_BBM_FAKE_OFFLINE);
		for (unsigned long pfn = start; pfn < end; pfn += section) {
			if (!memhp_pfn_to_online_page(vm->m, pfn))
				continue;
			rc = virtio_mem_fake_offline(vm, pfn, section);
			if (rc) {
				end = pfn;
				goto rollback;
			}
		}
		pthread_mutex_unlock(&vm->hotplug_mutex);
	}
	rc = virtio_mem_bbm_offline_and_remove_bb(vm, bb_id);
	if (rc) {
		if (vm->p.bbm_safe_unplug) {
			pthread_mutex_lock(&vm->hotplug_mutex);
			goto rollback;
		}
		return rc;
	}
	rc = virtio_mem_bbm_unplug_bb(vm, bb_id);
	virtio_mem_bbm_set_bb_state(vm, bb_id, rc ? MEMHP_VMEM_BBM_PLUGGED : MEMHP_VMEM_BBM_UNUSED);
	return rc;
rollback:
	virtio_mem_bbm_rollback_safe_unplug(vm, start, end);
	virtio_mem_bbm_set_bb_state(vm, bb_id, MEMHP_VMEM_BBM_ADDED);
	pthread_mutex_unlock(&vm->hotplug_mutex);
	return rc;
}

static bool virtio_mem_bbm_bb_is_offline(struct memhp_vmem_drv *vm, unsigned long bb_id)
{
	const unsigned long start =
		(unsigned long)(virtio_mem_bb_id_to_phys(vm, bb_id) >> MEMHP_PAGE_SHIFT);
	const unsigned long end = start + (unsigned long)(vm->bb_size >> MEMHP_PAGE_SHIFT);

	for (unsigned long pfn = start; pfn < end; pfn += memhp_pages_per_section(vm->m))
		if (memhp_pfn_to_online_page(vm->m, pfn))
			return false;
	return true;
}

static bool virtio_mem_bbm_bb_is_movable(struct memhp_vmem_drv *vm, unsigned long bb_id)
{
	const unsigned long start =
		(unsigned long)(virtio_mem_bb_id_to_phys(vm, bb_id) >> MEMHP_PAGE_SHIFT);
	const unsigned long end = start + (unsigned long)(vm->bb_size >> MEMHP_PAGE_SHIFT);

	for (unsigned long pfn = start; pfn < end; pfn += memhp_pages_per_section(vm->m)) {
		struct memhp_page *page = memhp_pfn_to_online_page(vm->m, pfn);

		if (page && memhp_page_zonenum(page) != MEMHP_ZONE_MOVABLE)
			return false;
	}
	return true;
}

/*
 * Unplug @diff bytes in whole big blocks, highest first: offline ones,
 * then (with unplug_online) all-movable ones, then any.
 *
 * Return: 0 (also when, without unplug_online, the offline big blocks did
 * not suffice), -EBUSY (not all could be unplugged), or the first other
 * error of virtio_mem_bbm_offline_remove_and_unplug_bb().
 */
static int virtio_mem_bbm_unplug_request(struct memhp_vmem_drv *vm, uint64_t diff)
{
	uint64_t nb_bb = diff / vm->bb_size;
	unsigned long bb_id;
	int rc;

	if (!nb_bb)
		return 0;
	/* Offline big blocks first, then all-movable ones, then any. */
	for (int i = 0; i < 3; i++) {
		virtio_mem_bbm_for_each_bb_rev(vm, bb_id, MEMHP_VMEM_BBM_ADDED)
		{
			if (i == 0 && !virtio_mem_bbm_bb_is_offline(vm, bb_id))
				continue;
			if (i == 1 && !virtio_mem_bbm_bb_is_movable(vm, bb_id))
				continue;
			rc = virtio_mem_bbm_offline_remove_and_unplug_bb(vm, bb_id);
			if (rc == -EBUSY)
				continue;
			if (!rc)
				nb_bb--;
			if (rc || !nb_bb)
				return rc;
		}
		if (i == 0 && !atomic_load(&vm->unplug_online))
			return 0;
	}
	return nb_bb ? -EBUSY : 0;
}

/* Return: virtio_mem_sbm_unplug_request()'s or virtio_mem_bbm_unplug_request()'s. */
static int virtio_mem_unplug_request(struct memhp_vmem_drv *vm, uint64_t diff)
{
	if (vm->in_sbm)
		return virtio_mem_sbm_unplug_request(vm, diff);
	return virtio_mem_bbm_unplug_request(vm, diff);
}

/*
 * Unplug what an earlier failure left PLUGGED but not added.
 *
 * Return: 0, or virtio_mem_send_unplug_request()'s error.
 */
static int virtio_mem_unplug_pending_mb(struct memhp_vmem_drv *vm)
{
	unsigned long id;
	int rc;

	if (!vm->in_sbm) {
		virtio_mem_bbm_for_each_bb(vm, id, MEMHP_VMEM_BBM_PLUGGED)
		{
			rc = virtio_mem_bbm_unplug_bb(vm, id);
			if (rc)
				return rc;
			virtio_mem_bbm_set_bb_state(vm, id, MEMHP_VMEM_BBM_UNUSED);
		}
		return 0;
	}
	virtio_mem_sbm_for_each_mb(vm, id, MEMHP_VMEM_SBM_PLUGGED)
	{
		rc = virtio_mem_sbm_unplug_mb(vm, id);
		if (rc)
			return rc;
		virtio_mem_sbm_set_mb_state(vm, id, MEMHP_VMEM_SBM_UNUSED);
	}
	return 0;
}

/* ---- The work ------------------------------------------------------------------------------ */

static void virtio_mem_refresh_config(struct memhp_vmem_drv *vm)
{
	struct memhp_virtio_mem_config cfg;
	uint64_t plugged, end_addr, unit = vm->in_sbm ? vm->mb_size : vm->bb_size;
	const uint64_t pluggable_end = ((uint64_t)memhp_max_pfn(vm->m) << MEMHP_PAGE_SHIFT) - 1;

	memhp_vmem_dev_read_config(vm->dev, &cfg);
	/* plugged_size only mirrors what we did. */
	plugged = le64toh(cfg.plugged_size);
	if (plugged != atomic_load(&vm->plugged_size)) {
		memhp_report(vm->m, MEMHP_NO_PFN, MEMHP_RULE_WARN,
			     "virtio_mem: plugged size %#llx, the driver counted %#llx",
			     (unsigned long long)plugged,
			     (unsigned long long)atomic_load(&vm->plugged_size));
		atomic_store(&vm->plugged_size, plugged);
	}
	end_addr = MIN(vm->addr + le64toh(cfg.usable_region_size) - 1, pluggable_end);
	if (!le64toh(cfg.usable_region_size)) {
		vm->last_usable_id = vm->first_id - 1;
	} else {
		vm->last_usable_id = (unsigned long)(end_addr / unit);
		if ((end_addr + 1) % unit)
			vm->last_usable_id--;
	}
	atomic_store(&vm->requested_size, le64toh(cfg.requested_size));
	memhp_event_emit(
		vm->m, &(const struct memhp_event){ .type = MEMHP_EV_VMEM_REQUESTED_SIZE,
						    .vmem_size = { le64toh(cfg.requested_size) } });
	vmem_info(vm, "plugged size: 0x%llx", (unsigned long long)atomic_load(&vm->plugged_size));
	vmem_info(vm, "requested size: 0x%llx", (unsigned long long)le64toh(cfg.requested_size));
}

static void arm_timer(struct memhp_vmem_drv *vm)
{
	pthread_mutex_lock(&vm->wq_lock);
	vm->timer_armed = true;
	vm->timer_due_ms = vm->now_ms + vm->retry_timer_ms;
	pthread_mutex_unlock(&vm->wq_lock);
}

static void virtio_mem_run_wq(struct memhp_vmem_drv *vm)
{
	uint64_t diff, plugged, requested;
	int rc;

	pthread_mutex_lock(&vm->wq_lock);
	vm->timer_armed = false; /* hrtimer_cancel() */
	pthread_mutex_unlock(&vm->wq_lock);
	if (atomic_load(&vm->broken))
		return;
	atomic_store(&vm->wq_active, true);
	atomic_fetch_add(&vm->runs, 1);
retry:
	rc = 0;
	if (atomic_load(&vm->unplug_all_required))
		rc = virtio_mem_send_unplug_all_request(vm);
	if (atomic_exchange(&vm->config_changed, false))
		virtio_mem_refresh_config(vm);
	if (!rc)
		rc = virtio_mem_unplug_pending_mb(vm);
	plugged = atomic_load(&vm->plugged_size);
	requested = atomic_load(&vm->requested_size);
	if (!rc && requested != plugged) {
		if (requested > plugged) {
			diff = requested - plugged;
			rc = virtio_mem_plug_request(vm, diff);
		} else {
			diff = plugged - requested;
			rc = virtio_mem_unplug_request(vm, diff);
		}
	}
	atomic_store(&vm->last_rc, rc);
	switch (rc) {
	case 0:
		pthread_mutex_lock(&vm->wq_lock);
		vm->retry_timer_ms = MEMHP_VMEM_RETRY_TIMER_MIN_MS;
		pthread_mutex_unlock(&vm->wq_lock);
		break;
	case -ENOSPC:
		/* Nothing more can be added (limits, or too much offline
		 * memory): wait for the next event. */
		break;
	case -ETXTBSY: /* the device is busy */
	case -EBUSY:   /* nothing could be unplugged */
	case -ENOMEM:
	/* The request went unanswered (a broken or reset device, one going
	 * away, or a call from the device's own thread). Linux's callers turn
	 * a failed virtqueue_add_sgs() into -ENOMEM and come here; memhp keeps
	 * the errno so that last_rc says what happened. */
	case -EIO:
	case -ENODEV:
	case -EDEADLK:
		arm_timer(vm);
		break;
	case -EAGAIN: /* the config changed, or a NACK */
		goto retry;
	default:
		memhp_report(vm->m, MEMHP_NO_PFN, MEMHP_RULE_VIRTIO_MEM_BROKEN,
			     "virtio_mem: unknown error, marking device broken: %d", rc);
		vmem_err(vm, "unknown error, marking device broken: %d", rc);
		atomic_store(&vm->broken, true);
	}
	memhp_event_emit(vm->m, &(const struct memhp_event){ .type = MEMHP_EV_VMEM_WORK_DONE,
							     .vmem_work = { .ret = rc } });
	atomic_store(&vm->wq_active, false);
}

/* The period doubles before the work is queued: a worker that succeeds at
 * once resets it after us, not before. */
static void virtio_mem_timer_expired(struct memhp_vmem_drv *vm)
{
	pthread_mutex_lock(&vm->wq_lock);
	vm->retry_timer_ms = MIN(vm->retry_timer_ms * 2, (uint64_t)MEMHP_VMEM_RETRY_TIMER_MAX_MS);
	pthread_mutex_unlock(&vm->wq_lock);
	virtio_mem_retry(vm);
}

static void queue_work(struct memhp_vmem_drv *vm)
{
	pthread_mutex_lock(&vm->wq_lock);
	if (!vm->stop) {
		vm->work_pending = true;
		pthread_cond_broadcast(&vm->wq_cond);
	}
	pthread_mutex_unlock(&vm->wq_lock);
}

static void virtio_mem_retry(struct memhp_vmem_drv *vm)
{
	pthread_mutex_lock(&vm->removal_lock);
	if (!vm->removing)
		queue_work(vm);
	pthread_mutex_unlock(&vm->removal_lock);
}

/* Take the pending work, if any, and mark it running. */
static bool take_work(struct memhp_vmem_drv *vm)
{
	bool took = false;

	pthread_mutex_lock(&vm->wq_lock);
	if (vm->work_pending && !vm->work_running) {
		vm->work_pending = false;
		vm->work_running = true;
		took = true;
	}
	pthread_mutex_unlock(&vm->wq_lock);
	return took;
}

static void work_done(struct memhp_vmem_drv *vm)
{
	pthread_mutex_lock(&vm->wq_lock);
	vm->work_running = false;
	pthread_cond_broadcast(&vm->wq_cond);
	pthread_mutex_unlock(&vm->wq_lock);
}

static void *worker(void *arg)
{
	struct memhp_vmem_drv *vm = arg;
	const char *id = memhp_vmem_dev_get_config(vm->dev)->id;
	char name[MEMHP_THREAD_NAME_LEN];

	/* A kworker running virtio_mem's work in Linux: named for top, gdb and traces. */
	snprintf(name, sizeof(name), "vmem-wq %s", id ? id : "");
	pthread_setname_np(pthread_self(), name);

	pthread_mutex_lock(&vm->wq_lock);
	for (;;) {
		while (!vm->stop && !vm->work_pending)
			pthread_cond_wait(&vm->wq_cond, &vm->wq_lock);
		if (vm->stop)
			break;
		vm->work_pending = false;
		vm->work_running = true;
		pthread_mutex_unlock(&vm->wq_lock);
		virtio_mem_run_wq(vm);
		pthread_mutex_lock(&vm->wq_lock);
		vm->work_running = false;
		pthread_cond_broadcast(&vm->wq_cond);
	}
	pthread_mutex_unlock(&vm->wq_lock);
	return NULL;
}

/*
 * A config change the host made before the caller asked for the work must
 * be seen by it: the interrupt travels through the device's thread, so
 * let it arrive (from that thread itself, it already has: the flush says
 * -EDEADLK and waits for nothing).
 */
static void take_interrupts(struct memhp_vmem_drv *vm)
{
	memhp_vmem_dev_flush(vm->dev);
}

unsigned int memhp_vmem_drv_process(struct memhp_vmem_drv *vm)
{
	unsigned int runs = 0;

	if (!vm->p.sync)
		return 0;
	take_interrupts(vm);
	while (take_work(vm)) {
		virtio_mem_run_wq(vm);
		work_done(vm);
		runs++;
	}
	return runs;
}

void memhp_vmem_drv_wait_idle(struct memhp_vmem_drv *vm)
{
	take_interrupts(vm);
	pthread_mutex_lock(&vm->wq_lock);
	while (!vm->p.sync && (vm->work_pending || vm->work_running))
		pthread_cond_wait(&vm->wq_cond, &vm->wq_lock);
	pthread_mutex_unlock(&vm->wq_lock);
}

void memhp_vmem_drv_advance(struct memhp_vmem_drv *vm, uint64_t ms)
{
	bool fire = false;

	pthread_mutex_lock(&vm->wq_lock);
	vm->now_ms += ms;
	if (vm->timer_armed && vm->timer_due_ms <= vm->now_ms) {
		vm->timer_armed = false;
		fire = true;
	}
	pthread_mutex_unlock(&vm->wq_lock);
	if (fire)
		virtio_mem_timer_expired(vm);
}

/* ---- Probe and remove ------------------------------------------------------------------- */

void memhp_vmem_drv_params_init(struct memhp_vmem_drv_params *p)
{
	memset(p, 0, sizeof(*p));
	p->unplug_online = true;
	p->bbm_safe_unplug = true;
}

static bool is_power_of_2(uint64_t x)
{
	return x && !(x & (x - 1));
}

/* What probing found wrong, for whoever watches (the driver warns too). */
static void virtio_mem_probe_problem(struct memhp_vmem_drv *vm,
				     enum memhp_vmem_probe_problem problem, int ret)
{
	memhp_event_emit(vm->m, &(const struct memhp_event){
					.type = MEMHP_EV_VMEM_PROBE_PROBLEM,
					.vmem_probe = { .problem = problem, .ret = ret } });
}

/*
 * Choose SBM or BBM, allocate the tracking, claim the region, register a
 * memory group, the memory notifier and the device; a failure undoes the
 * steps before it.
 *
 * Return: 0, -ENOMEM, -EBUSY (the region overlaps a claim or present
 * memory, as after a driver was removed with memory left added), -ENOSPC
 * or -EINVAL (no memory group), -EEXIST (the notifier), or
 * register_virtio_mem_device()'s error.
 */
static int virtio_mem_init_hotplug(struct memhp_vmem_drv *vm)
{
	const uint64_t pageblock = (uint64_t)memhp_pageblock_nr_pages(vm->m) << MEMHP_PAGE_SHIFT;
	uint64_t unit, sb_size, addr;
	int rc;

	vm->mb_size = memhp_block_size(vm->m);
	if (vm->addr % vm->mb_size || (vm->addr + vm->region_size) % vm->mb_size)
		virtio_mem_probe_problem(vm, MEMHP_VMEM_PROBE_UNALIGNED, 0);
	if (vm->addr % vm->mb_size)
		vmem_warn(vm, "The alignment of the physical start address can make some memory "
			      "unusable.");
	if ((vm->addr + vm->region_size) % vm->mb_size)
		vmem_warn(vm, "The alignment of the physical end address can make some memory "
			      "unusable.");
	vm->offline_threshold = MAX(2 * vm->mb_size, (uint64_t)VMEM_DEFAULT_OFFLINE_THRESHOLD);
	sb_size = MAX(vm->device_block_size, pageblock);
	if (sb_size < vm->mb_size && !vm->p.force_bbm) {
		vm->in_sbm = true;
		vm->sb_size = sb_size;
		vm->sbs_per_mb = (unsigned int)(vm->mb_size / sb_size);
		addr = vm->addr + vm->mb_size - 1;
		vm->first_id = virtio_mem_phys_to_mb_id(vm, addr);
		unit = vm->mb_size;
	} else {
		vm->bb_size = MAX(vm->device_block_size, vm->mb_size);
		if (vm->p.bbm_block_size) {
			if (!is_power_of_2(vm->p.bbm_block_size)) {
				virtio_mem_probe_problem(vm, MEMHP_VMEM_PROBE_BBM_NOT_POW2, 0);
				vmem_warn(vm, "bbm_block_size is not a power of 2");
			} else if (vm->p.bbm_block_size < vm->bb_size) {
				virtio_mem_probe_problem(vm, MEMHP_VMEM_PROBE_BBM_TOO_SMALL, 0);
				vmem_warn(vm, "bbm_block_size is too small");
			} else {
				vm->bb_size = vm->p.bbm_block_size;
			}
		}
		addr = vm->addr + vm->bb_size - 1;
		vm->first_id = virtio_mem_phys_to_bb_id(vm, addr);
		vm->offline_threshold = MAX(2 * vm->bb_size, vm->offline_threshold);
		unit = vm->bb_size;
	}
	vm->next_id = vm->first_id;
	vm->last_usable_id = vm->first_id - 1;
	vmem_info(vm, "memory block size: 0x%llx", (unsigned long long)vm->mb_size);
	if (vm->in_sbm)
		vmem_info(vm, "subblock size: 0x%llx", (unsigned long long)vm->sb_size);
	else
		vmem_info(vm, "big block size: 0x%llx", (unsigned long long)vm->bb_size);
	/* memhp sizes the tracking for the whole region up front. */
	vm->nr_ids = (unsigned long)((vm->addr + vm->region_size) / unit) + 1 - vm->first_id;
	vm->states = memhp_should_fail(vm->m, MEMHP_FAULT_VMEM_DRV_ALLOC)
			     ? NULL
			     : calloc(vm->nr_ids, sizeof(*vm->states));
	if (!vm->states)
		return -ENOMEM;
	if (vm->in_sbm) {
		size_t bits = (size_t)vm->nr_ids * vm->sbs_per_mb;

		vm->sb_bitmap = calloc((bits + BITS_PER_LONG_ - 1) / BITS_PER_LONG_,
				       sizeof(*vm->sb_bitmap));
		if (!vm->sb_bitmap) {
			rc = -ENOMEM;
			goto out_free_states;
		}
	}

	rc = virtio_mem_create_resource(vm);
	if (rc)
		goto out_free_states;
	rc = memhp_memory_group_register_dynamic(vm->m, vm->nid,
						 (unsigned long)(unit >> MEMHP_PAGE_SHIFT));
	if (rc < 0)
		goto out_del_resource;
	vm->mgid = rc;
	if (atomic_load(&vm->plugged_size)) {
		atomic_store(&vm->unplug_all_required, true);
		vmem_info(vm, "unplugging all memory is required");
	}
	vm->nb.notifier_call = virtio_mem_memory_notifier_cb;
	vm->nb.priv = vm;
	rc = memhp_register_memory_notifier(vm->m, &vm->nb);
	if (rc)
		goto out_unreg_group;
	rc = register_virtio_mem_device(vm);
	if (rc)
		goto out_unreg_mem;
	return 0;
out_unreg_mem:
	memhp_unregister_memory_notifier(vm->m, &vm->nb);
out_unreg_group:
	memhp_memory_group_unregister(vm->m, vm->mgid);
out_del_resource:
	virtio_mem_delete_resource(vm);
out_free_states:
	free((void *)vm->sb_bitmap);
	free((void *)vm->states);
	return rc;
}

/*
 * Read what cannot change in the config, check it, and set up hotplug.
 *
 * Return: 0, -EINVAL (block size not a power of two, empty region, or a
 * region beyond the address space), or virtio_mem_init_hotplug()'s error.
 */
static int virtio_mem_init(struct memhp_vmem_drv *vm)
{
	struct memhp_virtio_mem_config cfg;

	memhp_vmem_dev_read_config(vm->dev, &cfg);
	atomic_store(&vm->plugged_size, le64toh(cfg.plugged_size));
	vm->device_block_size = le64toh(cfg.block_size);
	vm->addr = le64toh(cfg.addr);
	vm->region_size = le64toh(cfg.region_size);
	vm->nid = le16toh(cfg.node_id); /* VIRTIO_MEM_F_ACPI_PXM: the node QEMU gives it */
	vmem_info(vm, "start address: 0x%llx", (unsigned long long)vm->addr);
	vmem_info(vm, "region size: 0x%llx", (unsigned long long)vm->region_size);
	vmem_info(vm, "device block size: 0x%llx", (unsigned long long)vm->device_block_size);
	/* CONFIG_NUMA, and the device has a node. */
	vmem_info(vm, "nid: %d", vm->nid);
	if (!is_power_of_2(vm->device_block_size) || !vm->region_size ||
	    vm->addr + vm->region_size > ((uint64_t)memhp_max_pfn(vm->m) << MEMHP_PAGE_SHIFT))
		return -EINVAL;
	return virtio_mem_init_hotplug(vm);
}

/*
 * Claim the device's region, so that nobody else can add memory there.
 *
 * Return: 0, or -EBUSY whatever the claim failed with, as Linux does.
 */
static int virtio_mem_create_resource(struct memhp_vmem_drv *vm)
{
	int rc = memhp_request_mem_region(vm->m, vm->addr, vm->region_size, vm->name);

	if (rc) {
		virtio_mem_probe_problem(vm, MEMHP_VMEM_PROBE_REGION_BUSY, rc);
		vmem_warn(vm, "could not reserve device region");
		vmem_info(vm, "reloading the driver is not supported");
		return -EBUSY;
	}
	return 0;
}

static void virtio_mem_delete_resource(struct memhp_vmem_drv *vm)
{
	memhp_release_mem_region(vm->m, vm->addr, vm->region_size);
}

static bool virtio_mem_has_memory_added(struct memhp_vmem_drv *vm)
{
	return memhp_range_has_system_ram(vm->m, vm->addr, vm->region_size);
}

/* kfree(vm), and what a pthread lock needs besides. */
static void virtio_mem_free(struct memhp_vmem_drv *vm)
{
	pthread_mutex_destroy(&vm->hotplug_mutex);
	pthread_mutex_destroy(&vm->removal_lock);
	pthread_mutex_destroy(&vm->wq_lock);
	pthread_mutex_destroy(&vm->ratelimit_lock);
	pthread_cond_destroy(&vm->wq_cond);
	free(vm);
}

int memhp_vmem_drv_probe(struct memhp_machine *m, struct memhp_vmem_dev *dev,
			 const struct memhp_vmem_drv_params *params, struct memhp_vmem_drv **out)
{
	struct memhp_vmem_drv *vm;
	int rc;

	*out = NULL;
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	vm->m = m;
	vm->dev = dev;
	if (params)
		vm->p = *params;
	else
		memhp_vmem_drv_params_init(&vm->p);
	atomic_store(&vm->unplug_online, vm->p.unplug_online);
	mutex_init(&vm->hotplug_mutex, LOCK_RANK_VMEM_HOTPLUG);
	mutex_init(&vm->removal_lock, LOCK_RANK_VMEM_REMOVAL);
	mutex_init(&vm->wq_lock, LOCK_RANK_VMEM_WQ);
	mutex_init(&vm->ratelimit_lock, LOCK_RANK_VMEM_RATELIMIT);
	pthread_cond_init(&vm->wq_cond, NULL);
	vm->retry_timer_ms = MEMHP_VMEM_RETRY_TIMER_MIN_MS;

	/* What the virtio core does before it calls probe: name the device
	 * and negotiate features. 6.1 accepts ACPI_PXM (with ACPI NUMA, as
	 * Debian's kernel has) and UNPLUGGED_INACCESSIBLE (since 5.16). */
	rc = next_device_index(m);
	if (rc < 0)
		goto out_free_vm;
	vm->index = (unsigned int)rc;
	snprintf(vm->name, sizeof(vm->name), "virtio%u", vm->index);
	rc = memhp_vmem_dev_ack_features(
		dev,
		memhp_vmem_dev_features(dev) &
			(1ULL << MEMHP_VIRTIO_F_VERSION_1 | 1ULL << MEMHP_VIRTIO_MEM_F_ACPI_PXM |
			 1ULL << MEMHP_VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE));
	if (rc)
		goto out_free_vm;

	rc = virtio_mem_init(vm);
	if (rc)
		goto out_free_vm;
	if (!vm->p.sync) {
		if (pthread_create(&vm->worker, NULL, worker, vm)) {
			rc = -ENOMEM;
			goto out_deinit_hotplug;
		}
		vm->have_worker = true;
	}
	/* virtio_device_ready(), then look at the config once. */
	memhp_vmem_dev_set_config_changed(dev, virtio_mem_config_changed, vm);
	atomic_store(&vm->config_changed, true);
	queue_work(vm);
	*out = vm;
	return 0;
out_deinit_hotplug:
	virtio_mem_deinit_hotplug(vm);
out_free_vm:
	virtio_mem_free(vm);
	return rc;
}

static void virtio_mem_deinit_hotplug(struct memhp_vmem_drv *vm)
{
	unsigned long mb_id;

	/* No more work, no more onlining or offlining of our memory. */
	pthread_mutex_lock(&vm->hotplug_mutex);
	pthread_mutex_lock(&vm->removal_lock);
	vm->removing = true;
	pthread_mutex_unlock(&vm->removal_lock);
	pthread_mutex_unlock(&vm->hotplug_mutex);
	memhp_vmem_dev_set_config_changed(vm->dev, NULL, NULL);
	/* cancel_work_sync() */
	pthread_mutex_lock(&vm->wq_lock);
	vm->stop = true;
	pthread_cond_broadcast(&vm->wq_cond);
	pthread_mutex_unlock(&vm->wq_lock);
	if (vm->have_worker)
		pthread_join(vm->worker, NULL);

	/* Unregistered, the callbacks would not see user space online
	 * these: remove them while they are ours. */
	if (vm->in_sbm) {
		virtio_mem_sbm_for_each_mb(vm, mb_id, MEMHP_VMEM_SBM_OFFLINE_PARTIAL)
		{
			if (virtio_mem_sbm_remove_mb(vm, mb_id))
				memhp_report_bug(
					vm->m, MEMHP_NO_PFN, MEMHP_RULE_VIRTIO_MEM_STATE,
					"virtio_mem: removing memory%lu failed (kernel: BUG)",
					mb_id);
			else
				virtio_mem_sbm_set_mb_state(vm, mb_id, MEMHP_VMEM_SBM_UNUSED);
		}
	}
	unregister_virtio_mem_device(vm);
	memhp_unregister_memory_notifier(vm->m, &vm->nb);
	if (virtio_mem_has_memory_added(vm)) {
		/* The memory stays; so do its resource and group. */
		memhp_report(vm->m, MEMHP_NO_PFN, MEMHP_RULE_VIRTIO_MEM_MEMORY_LEFT,
			     "virtio_mem: device still has system memory added");
		vmem_warn(vm, "device still has system memory added");
	} else {
		virtio_mem_delete_resource(vm);
		memhp_memory_group_unregister(vm->m, vm->mgid);
	}
	free((void *)vm->states);
	free((void *)vm->sb_bitmap);
}

void memhp_vmem_drv_remove(struct memhp_vmem_drv *vm)
{
	if (!vm)
		return;
	virtio_mem_deinit_hotplug(vm);
	virtio_mem_free(vm);
}

static void virtio_mem_config_changed(struct memhp_vmem_dev *dev, void *priv)
{
	struct memhp_vmem_drv *vm = priv;

	(void)dev;
	atomic_store(&vm->config_changed, true);
	virtio_mem_retry(vm);
}

/* ---- Reading ------------------------------------------------------------------------------- */

void memhp_vmem_drv_info(struct memhp_vmem_drv *vm, struct memhp_vmem_drv_info *info)
{
	memset(info, 0, sizeof(*info));
	info->sbm = vm->in_sbm;
	info->sb_size = vm->sb_size;
	info->bb_size = vm->bb_size;
	info->plugged_size = atomic_load(&vm->plugged_size);
	info->requested_size = atomic_load(&vm->requested_size);
	info->offline_size = (uint64_t)atomic_load(&vm->offline_size);
	info->offline_threshold = vm->offline_threshold;
	info->first_id = vm->first_id;
	info->next_id = vm->next_id;
	info->last_usable_id = vm->last_usable_id;
	for (int s = 0; s < MEMHP_VMEM_SBM_NR_STATES; s++)
		info->count[s] = atomic_load(&vm->count[s]);
	info->broken = atomic_load(&vm->broken);
	info->unplug_all_required = atomic_load(&vm->unplug_all_required);
	info->last_rc = atomic_load(&vm->last_rc);
	info->runs = atomic_load(&vm->runs);
	pthread_mutex_lock(&vm->wq_lock);
	info->timer_armed = vm->timer_armed;
	info->timer_due_ms = vm->timer_due_ms;
	info->retry_timer_ms = vm->retry_timer_ms;
	info->now_ms = vm->now_ms;
	pthread_mutex_unlock(&vm->wq_lock);
}

int memhp_vmem_drv_block_state(struct memhp_vmem_drv *vm, unsigned long id)
{
	if (id < vm->first_id || id >= vm->next_id)
		return -ENOENT;
	return virtio_mem_get_state(vm, id);
}

const char *memhp_vmem_sbm_state_name(int state)
{
	static const char *const names[] = {
		"UNUSED", "PLUGGED",	    "OFFLINE", "OFFLINE_PARTIAL",
		"KERNEL", "KERNEL_PARTIAL", "MOVABLE", "MOVABLE_PARTIAL",
	};

	return state >= 0 && state < MEMHP_VMEM_SBM_NR_STATES ? names[state] : NULL;
}

const char *memhp_vmem_bbm_state_name(int state)
{
	static const char *const names[] = { "UNUSED", "PLUGGED", "ADDED", "FAKE_OFFLINE" };

	return state >= 0 && state < MEMHP_VMEM_BBM_NR_STATES ? names[state] : NULL;
}

/* Is every page of [pfn, pfn + nr) fake-offline as the protocol wants it?
 * @live: PFN walkers may be at work, and hold a reference on top. */
static bool virtio_mem_range_fake_offline(struct memhp_vmem_drv *vm, unsigned long pfn,
					  unsigned long nr, bool live)
{
	for (unsigned long i = 0; i < nr; i++) {
		struct memhp_page *p = memhp_pfn_to_online_page(vm->m, pfn + i);
		const int count = p ? memhp_page_count(p) : 0;

		if (!p || !memhp_PageOffline(p) || (live ? count < 1 : count != 1) ||
		    (virtio_mem_skippable_protocol(vm) && !memhp_PageOfflineSkippable(p)))
			return false;
	}
	return true;
}

/* An unplugged sub-block of online block @id at @addr that is not
 * fake-offline: one finding. */
static size_t virtio_mem_check_sb_fake_offline(struct memhp_vmem_drv *vm, unsigned long id,
					       uint64_t addr, bool live)
{
	if (virtio_mem_range_fake_offline(vm, (unsigned long)(addr >> MEMHP_PAGE_SHIFT),
					  (unsigned long)(vm->sb_size >> MEMHP_PAGE_SHIFT), live))
		return 0;
	memhp_report(vm->m, (unsigned long)(addr >> MEMHP_PAGE_SHIFT), MEMHP_RULE_VIRTIO_MEM_CHECK,
		     "unplugged sub-block of online memory%lu is not fake-offline", id);
	return 1;
}

size_t memhp_vmem_drv_check_fake_offline(struct memhp_vmem_drv *vm)
{
	size_t bad = 0;

	if (!vm || !vm->in_sbm)
		return 0;
	pthread_mutex_lock(&vm->hotplug_mutex);
	for (unsigned long id = vm->first_id; id < vm->next_id; id++) {
		if (virtio_mem_get_state(vm, id) < MEMHP_VMEM_SBM_KERNEL)
			continue;
		for (unsigned long sb = 0; sb < vm->sbs_per_mb; sb++)
			if (!virtio_mem_sbm_test_sb_plugged(vm, id, sb, 1))
				bad += virtio_mem_check_sb_fake_offline(
					vm, id, virtio_mem_mb_id_to_phys(vm, id) + sb * vm->sb_size,
					true);
	}
	pthread_mutex_unlock(&vm->hotplug_mutex);
	return bad;
}

size_t memhp_vmem_drv_check(struct memhp_vmem_drv *vm)
{
	const uint64_t unit = vm->in_sbm ? vm->sb_size : vm->bb_size;
	uint64_t plugged = 0;
	size_t bad = 0;

	pthread_mutex_lock(&vm->hotplug_mutex);
	for (unsigned long id = vm->first_id; id < vm->next_id; id++) {
		const int state = virtio_mem_get_state(vm, id);
		const unsigned long per = vm->in_sbm ? vm->sbs_per_mb : 1;
		const bool online = vm->in_sbm && state >= MEMHP_VMEM_SBM_KERNEL;

		for (unsigned long sb = 0; sb < per; sb++) {
			const uint64_t addr = (vm->in_sbm ? virtio_mem_mb_id_to_phys(vm, id)
							  : virtio_mem_bb_id_to_phys(vm, id)) +
					      sb * unit;
			bool drv_plugged = vm->in_sbm
						   ? virtio_mem_sbm_test_sb_plugged(vm, id, sb, 1)
						   : state != MEMHP_VMEM_BBM_UNUSED;

			if (vm->in_sbm && state == MEMHP_VMEM_SBM_UNUSED)
				drv_plugged = false;
			for (uint64_t b = 0; b < unit / vm->device_block_size; b++) {
				uint64_t idx = (addr - vm->addr) / vm->device_block_size + b;

				if (memhp_vmem_dev_block_plugged(vm->dev, idx) != drv_plugged) {
					memhp_report(
						vm->m, (unsigned long)(addr >> MEMHP_PAGE_SHIFT),
						MEMHP_RULE_VIRTIO_MEM_CHECK,
						"device block %llu is %s, the driver thinks %s",
						(unsigned long long)idx,
						drv_plugged ? "unplugged" : "plugged",
						drv_plugged ? "plugged" : "unplugged");
					bad++;
					break;
				}
			}
			plugged += drv_plugged ? unit : 0;
			if (online && !drv_plugged)
				bad += virtio_mem_check_sb_fake_offline(vm, id, addr, false);
		}
	}
	if (plugged != atomic_load(&vm->plugged_size)) {
		memhp_report(vm->m, MEMHP_NO_PFN, MEMHP_RULE_VIRTIO_MEM_CHECK,
			     "the driver tracks %#llx plugged, it counted %#llx",
			     (unsigned long long)plugged,
			     (unsigned long long)atomic_load(&vm->plugged_size));
		bad++;
	}
	pthread_mutex_unlock(&vm->hotplug_mutex);
	return bad;
}

/* ---- The module as sysfs shows it ---------------------------------------------- */

long memhp_vmem_drv_next(struct memhp_machine *m, unsigned long from)
{
	struct vmem_module *mod;
	long ret = -1;

	pthread_mutex_lock(&virtio_mem_mutex);
	mod = memhp_machine_attached(m, &module_key);
	for (struct memhp_vmem_drv *vm = mod ? mod->devices : NULL; vm; vm = vm->next)
		if (vm->index >= from && (ret < 0 || vm->index < (unsigned long)ret))
			ret = vm->index;
	pthread_mutex_unlock(&virtio_mem_mutex);
	return ret;
}

int memhp_vmem_drv_describe(struct memhp_machine *m, unsigned long index,
			    struct memhp_vmem_drv_desc *d)
{
	struct vmem_module *mod;
	int ret = -ENOENT;

	pthread_mutex_lock(&virtio_mem_mutex);
	mod = memhp_machine_attached(m, &module_key);
	for (struct memhp_vmem_drv *vm = mod ? mod->devices : NULL; vm; vm = vm->next) {
		if (vm->index != index)
			continue;
		snprintf(d->name, sizeof(d->name), "%s", vm->name);
		d->index = vm->index;
		d->params = vm->p;
		d->params.unplug_online = atomic_load(&vm->unplug_online);
		ret = 0;
		break;
	}
	pthread_mutex_unlock(&virtio_mem_mutex);
	return ret;
}

void memhp_vmem_set_unplug_online(struct memhp_machine *m, bool on)
{
	struct vmem_module *mod;

	pthread_mutex_lock(&virtio_mem_mutex);
	mod = memhp_machine_attached(m, &module_key);
	for (struct memhp_vmem_drv *vm = mod ? mod->devices : NULL; vm; vm = vm->next)
		atomic_store(&vm->unplug_online, on);
	pthread_mutex_unlock(&virtio_mem_mutex);
}
