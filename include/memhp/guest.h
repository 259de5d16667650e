/* SPDX-License-Identifier: MIT */
/*
 * memhp/guest.h - the guest kernel at work: what a running Linux allocates
 * for itself, so that a machine is never a clean room.
 *
 * A booted Linux holds slab, page tables and kernel stacks spread over its
 * boot memory, and keeps allocating while it runs: every program started
 * costs a task_struct, an mm, page tables and a kernel stack; every file
 * a dentry and an inode; and an idle system churns slab for timers, RCU
 * and its daemons, a little of which stays for good. All of it is
 * unmovable (or reclaimable slab, which offlining cannot reclaim either)
 * and comes from the highest kernel zone first: a block onlined to
 * ZONE_NORMAL when it is the guest's only Normal memory gets it within
 * moments, and from then on cannot be offlined.
 *
 * The activity runs on the machine's own generator (seeded from the
 * config) when advanced by memhp_guest_advance(), so tests repeat; or on a
 * thread that follows the wall clock (memhp_guest_start()), as `memhp
 * shell` and `memhp serve` run it. docs/semantics.md, "The guest kernel at
 * work", gives the rates and what they model.
 */
#ifndef MEMHP_GUEST_H
#define MEMHP_GUEST_H

#include <memhp/kernel.h>

#ifdef __cplusplus
extern "C" {
#endif

struct memhp_guest_config {
	/* The boot: what the kernel holds once booted, in KiB (slab split
	 * into reclaimable and unreclaimable, kernel stacks of its
	 * kthreads, page tables of its first processes), allocated through a
	 * boot's worth of churn: boot_churn times as much again is allocated
	 * and freed on the way, so the survivors end up spread over the boot
	 * blocks the way the allocator's fallbacks spread them. 0 KiB: no
	 * boot allocations. */
	unsigned long boot_sreclaimable_kb;
	unsigned long boot_sunreclaim_kb;
	unsigned long boot_kernel_stack_kb;
	unsigned long boot_page_tables_kb;
	unsigned long boot_anon_kb; /* init's and the daemons' anonymous memory */
	unsigned int boot_churn;

	/* An idle guest, per second of (simulated) time: slab objects
	 * allocated for timers, RCU, daemons; how many of every million of
	 * them stay for good; and background programs started (systemd timers,
	 * journald ...), each living background_task_ms. */
	unsigned int idle_objects_per_sec;
	unsigned int idle_long_lived_ppm;
	unsigned int background_tasks_per_min;
	unsigned int background_task_ms;
	/* Short-lived objects live between these, spread evenly on a log
	 * scale. */
	unsigned int lifetime_min_ms;
	unsigned int lifetime_max_ms;
	/* The thread's step (memhp_guest_start()). */
	unsigned int tick_ms;
};

/* The defaults: a Debian 12 guest running Linux 6.1 with systemd, as
 * measured under QEMU (docs/semantics.md). */
MEMHP_API void memhp_guest_config_init(struct memhp_guest_config *cfg);
/* No boot allocations and no idle activity: a clean room, for tests that
 * pin a rule without the noise. */
MEMHP_API void memhp_guest_config_quiet(struct memhp_guest_config *cfg);

struct memhp_guest;

/*
 * Start the guest kernel on @m (NULL @cfg: the defaults), doing the boot
 * allocations first. Call it once, right after creating the machine, as
 * boot comes before anything else. Returns 0, -EINVAL (bad config: rates
 * or lifetimes out of range, see memhp_config_error()), -EEXIST (@m already
 * has one), -ENOMEM (the boot allocations do not fit: the machine is too
 * small for the kernel).
 */
MEMHP_API int memhp_guest_create(struct memhp_machine *m, const struct memhp_guest_config *cfg,
				 struct memhp_guest **out);
/* Stops the thread if it runs and frees everything the guest holds. */
MEMHP_API void memhp_guest_destroy(struct memhp_guest *g);
/* The machine's guest, or NULL. */
MEMHP_API struct memhp_guest *memhp_machine_guest(struct memhp_machine *m);

/* Run @ms milliseconds of idle activity now, on the caller's thread; a
 * signal of its memhp task (memhp_task_signal()) stops it at the next
 * tick. */
MEMHP_API void memhp_guest_advance(struct memhp_guest *g, unsigned long ms);
/* Run the idle activity on a thread of its own, following the wall clock:
 * 0, -EALREADY, -EAGAIN (no thread). */
MEMHP_API int memhp_guest_start(struct memhp_guest *g);
MEMHP_API void memhp_guest_stop(struct memhp_guest *g);

/*
 * A program runs (fork + exec): a task_struct and what goes with it, a
 * kernel stack per thread, its top-level page tables and
 * @page_table_pages PMD/PTE pages (the host's VmPTE of the process it
 * stands for is a good measure), and @anon_pages of anonymous memory,
 * movable and checksummed (its RssAnon). memhp_guest_exit() gives back
 * what an exit gives back: slab objects go back to their caches (the slabs
 * stay where SLUB keeps them), stacks to the stack cache or the buddy,
 * page tables and anonymous memory to the buddy. NULL when the machine has
 * no memory for it (the fork fails with -ENOMEM in Linux); anonymous memory
 * the machine cannot give is left out, as a program's page faults would
 * fail later.
 */
struct memhp_guest_task;
MEMHP_API struct memhp_guest_task *memhp_guest_fork(struct memhp_guest *g, unsigned int threads,
						    unsigned long page_table_pages,
						    unsigned long anon_pages);
MEMHP_API void memhp_guest_exit(struct memhp_guest_task *t);

/* A file is created (a dentry and an inode stay in the caches) or
 * removed (they go). */
MEMHP_API void memhp_guest_file_created(struct memhp_guest *g);
MEMHP_API void memhp_guest_file_removed(struct memhp_guest *g);

struct memhp_guest_stats {
	unsigned long elapsed_ms;     /* simulated time so far */
	unsigned long live_objects;   /* slab objects held */
	unsigned long long allocated; /* objects allocated so far */
	unsigned long alloc_failures; /* allocations the machine could not serve */
	unsigned long tasks;	      /* programs running */
	unsigned long anon_pages;     /* their anonymous memory */
	/* Data lost or corrupted in it (memhp_data_verify_report()). */
	unsigned long anon_corrupted;
	unsigned long files; /* files whose dentry and inode are held */
};
MEMHP_API void memhp_guest_stats(struct memhp_guest *g, struct memhp_guest_stats *st);

#ifdef __cplusplus
}
#endif
#endif /* MEMHP_GUEST_H */
