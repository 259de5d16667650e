/* SPDX-License-Identifier: MIT */
/*
 * memhp/virtio_mem_driver.h - the virtio-mem guest driver of Linux 6.1
 * (drivers/virtio/virtio_mem.c), on a memhp machine and a memhp virtio-mem
 * device.
 *
 * The driver plugs and unplugs memory to follow the device's requested
 * size: Sub-Block Mode (device blocks smaller than a memory block, the
 * usual 2 MiB) or Big Block Mode, chosen as 6.1 chooses. It adds memory
 * with add_memory_driver_managed() and lets auto_online_blocks (or user
 * space) online it; its online_page callback keeps unplugged sub-blocks
 * PageOffline; it unplugs online memory with alloc_contig_range(); its
 * memory notifier takes part in the PageOffline protocol the machine uses
 * (6.1: drop references in MEM_GOING_OFFLINE; 2025: skippable pages).
 *
 * Work runs as on a workqueue: queued by config changes, by memory going
 * online or being removed, and by the retry timer. The timer runs on a
 * clock the caller advances (memhp_vmem_drv_advance()), so tests never
 * sleep: the back-off of 50 s doubling to 300 s is exact and instant.
 */
#ifndef MEMHP_VIRTIO_MEM_DRIVER_H
#define MEMHP_VIRTIO_MEM_DRIVER_H

#include <memhp/virtio_mem.h>

#ifdef __cplusplus
extern "C" {
#endif

/* VIRTIO_MEM_RETRY_TIMER_{MIN,MAX}_MS */
#define MEMHP_VMEM_RETRY_TIMER_MIN_MS 50000
#define MEMHP_VMEM_RETRY_TIMER_MAX_MS 300000

/* The module parameters of virtio_mem, and how work runs. */
struct memhp_vmem_drv_params {
	bool unplug_online;	 /* default true */
	bool force_bbm;		 /* default false */
	uint64_t bbm_block_size; /* 0: automatic */
	bool bbm_safe_unplug;	 /* default true */
	/* false: a worker thread runs queued work, like system_freezable_wq.
	 * true: queued work waits for memhp_vmem_drv_process(). */
	bool sync;
};
MEMHP_API void memhp_vmem_drv_params_init(struct memhp_vmem_drv_params *p);

struct memhp_vmem_drv;

/*
 * virtio_mem_probe(): read the config, choose SBM or BBM, claim the device
 * region, register a dynamic memory group, the memory notifier and (for
 * the first device of the machine) the online_page callback, then queue
 * the first run. Returns 0, -EBUSY (the region is already claimed: "could
 * not reserve device region"), -EINVAL (the device's config is unusable),
 * -ENOMEM, -ENOSPC (no memory group left).
 */
MEMHP_API int memhp_vmem_drv_probe(struct memhp_machine *m, struct memhp_vmem_dev *dev,
				   const struct memhp_vmem_drv_params *params,
				   struct memhp_vmem_drv **out);
/*
 * virtio_mem_remove(): stop the work, remove partially plugged offline
 * blocks, unregister. Memory still added stays added ("device still has
 * system memory added"), as in 6.1.
 */
MEMHP_API void memhp_vmem_drv_remove(struct memhp_vmem_drv *drv);

/*
 * sync mode: run queued work now, as often as it is re-queued. Returns how
 * many times the work function ran. Config changes made before the call
 * are seen: memhp_vmem_dev_set_requested_size() then this runs the
 * resize, with no memhp_vmem_dev_flush() needed in between (the call
 * waits for the device's pending notifications first, and so for a
 * stalled request of another thread to be released).
 */
MEMHP_API unsigned int memhp_vmem_drv_process(struct memhp_vmem_drv *drv);
/* async mode: wait until no work is queued or running, including the work
 * of config changes made before the call (set_requested_size() then this
 * returns once the worker has dealt with the new size). */
MEMHP_API void memhp_vmem_drv_wait_idle(struct memhp_vmem_drv *drv);
/* Let @ms of driver time pass: an armed retry timer that comes due queues
 * the work and doubles its period, up to the maximum. */
MEMHP_API void memhp_vmem_drv_advance(struct memhp_vmem_drv *drv, uint64_t ms);

enum memhp_vmem_sbm_state {
	MEMHP_VMEM_SBM_UNUSED,
	MEMHP_VMEM_SBM_PLUGGED,
	MEMHP_VMEM_SBM_OFFLINE,
	MEMHP_VMEM_SBM_OFFLINE_PARTIAL,
	MEMHP_VMEM_SBM_KERNEL,
	MEMHP_VMEM_SBM_KERNEL_PARTIAL,
	MEMHP_VMEM_SBM_MOVABLE,
	MEMHP_VMEM_SBM_MOVABLE_PARTIAL,
	MEMHP_VMEM_SBM_NR_STATES
};

enum memhp_vmem_bbm_state {
	MEMHP_VMEM_BBM_UNUSED,
	MEMHP_VMEM_BBM_PLUGGED,
	MEMHP_VMEM_BBM_ADDED,
	MEMHP_VMEM_BBM_FAKE_OFFLINE,
	MEMHP_VMEM_BBM_NR_STATES
};

struct memhp_vmem_drv_info {
	bool sbm;	       /* Sub-Block Mode, else Big Block Mode */
	uint64_t sb_size;      /* SBM */
	uint64_t bb_size;      /* BBM */
	uint64_t plugged_size; /* what the driver believes */
	uint64_t requested_size;
	uint64_t offline_size;
	uint64_t offline_threshold;
	unsigned long first_id, next_id, last_usable_id; /* MB or BB ids */
	unsigned long count[MEMHP_VMEM_SBM_NR_STATES];	 /* MBs or BBs per state */
	bool broken;
	bool unplug_all_required;
	int last_rc;	   /* of the last work run */
	unsigned int runs; /* work runs so far */
	bool timer_armed;
	uint64_t timer_due_ms;	 /* when it fires, on the driver clock */
	uint64_t retry_timer_ms; /* the next period */
	uint64_t now_ms;	 /* the driver clock */
};
MEMHP_API void memhp_vmem_drv_info(struct memhp_vmem_drv *drv, struct memhp_vmem_drv_info *info);
/* The state of memory block (SBM) or big block (BBM) @id, or -ENOENT. */
MEMHP_API int memhp_vmem_drv_block_state(struct memhp_vmem_drv *drv, unsigned long id);
MEMHP_API const char *memhp_vmem_sbm_state_name(int state);
/*
 * Check the driver against the device and the memmap, as the checker does
 * for the core: the device's plugged blocks are the driver's, plugged_size
 * agrees, and every unplugged sub-block of an online memory block is
 * PageOffline (refcount 1; skippable under the 2025 protocol). Each finding
 * is logged with rule "virtio-mem-check". Returns the number of findings.
 * Call it when no driver work is running.
 */
MEMHP_API size_t memhp_vmem_drv_check(struct memhp_vmem_drv *drv);
/*
 * The part of memhp_vmem_drv_check() that holds while the driver works
 * (it takes the driver's hotplug_mutex, under which the driver plugs,
 * unplugs and answers the memory notifier): every unplugged sub-block of
 * an online memory block (Sub-Block Mode) is PageOffline, with at least
 * the driver's reference (a PFN walker may hold one more). Torture calls
 * it after every operation: a page the driver thinks it holds but does
 * not is found at the operation that lost it, not at the end of the run.
 * Returns the number of findings ("virtio-mem-check").
 */
MEMHP_API size_t memhp_vmem_drv_check_fake_offline(struct memhp_vmem_drv *drv);
MEMHP_API const char *memhp_vmem_bbm_state_name(int state);

/* ---- The virtio_mem module, as sysfs shows it ------------------------------
 *
 * The devices the driver is bound to on a machine, each named "virtioN" by
 * the machine's virtio bus (numbered from 0 in probe order), with the
 * module parameters it was probed with.
 */
#define MEMHP_VMEM_DEV_NAME_MAX 32
struct memhp_vmem_drv_desc {
	char name[MEMHP_VMEM_DEV_NAME_MAX]; /* "virtio0" */
	unsigned int index;		    /* its N */
	struct memhp_vmem_drv_params params;
};
/* The lowest device index >= @from of a bound device of @m, or -1. */
MEMHP_API long memhp_vmem_drv_next(struct memhp_machine *m, unsigned long from);
/* Device virtio@index: 0, or -ENOENT (no such bound device). */
MEMHP_API int memhp_vmem_drv_describe(struct memhp_machine *m, unsigned long index,
				      struct memhp_vmem_drv_desc *d);
/* virtio_mem.unplug_online is writable (0644): the new value holds for
 * every device of @m from its next run on. */
MEMHP_API void memhp_vmem_set_unplug_online(struct memhp_machine *m, bool on);

#ifdef __cplusplus
}
#endif
#endif /* MEMHP_VIRTIO_MEM_DRIVER_H */
