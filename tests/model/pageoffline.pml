/*
 * SPDX-License-Identifier: MIT
 *
 * pageoffline.pml - the PageOffline refcount protocol of memory offlining,
 * as memhp implements it, in Promela for spin.
 *
 * One memory block of NPAGES pages: NDRV pages a virtio-mem style driver
 * keeps back as PageOffline ("fake-offline": never plugged), and one page
 * of ordinary movable data. Four kinds of thread:
 *
 *   hotplug   onlines the block (online_pages() with the online_page
 *             callback), then offlines it (offline_pages(): isolation,
 *             MEM_GOING_OFFLINE, the scan/migrate/test loop,
 *             __offline_isolated_pages(), MEM_OFFLINE, or undo and
 *             MEM_CANCEL_OFFLINE), then re-onlines or removes it, up to
 *             MAX_OFFLINES offline attempts;
 *   the driver's memory notifier and online_page callback run inside it;
 *   walker    a speculative PFN walker: get_page_unless_zero() on any page
 *             of an online section, hold it for as long as it likes, then
 *             put_page(); the last put frees the page;
 *   data_user allocates the ordinary page and frees it again;
 *   monitor   checks the state invariants in every reachable state.
 *
 * Protocols (-D switches; the default is Linux 6.1, the 2019 design):
 *   PROTO_2025         PG_offline_skippable (David Hildenbrand, May 2025):
 *                      the driver keeps refcount 1 and does no notifier work
 * Broken on purpose, for the negative tests (each must give a trail):
 *   RACE_2019          the driver lets go of its references before
 *                      isolation, outside the notifier handshake, without
 *                      checking that they reach 0: the RFC v3 design of
 *                      Sept 2019 (refcount 0 as the standing sign that
 *                      offlining may skip a PageOffline page) without the
 *                      __put_page() hook it needed, which the Oct 2019
 *                      review questioned and the merged design does without
 *   CANCEL_UNGUARDED   the driver takes its references back on
 *                      MEM_CANCEL_OFFLINE even if it never saw
 *                      MEM_GOING_OFFLINE (no hotplug_active guard)
 *   GET_ON_ZERO        the walker takes a reference on a refcount-0
 *                      PageOffline page (get_page(), not _unless_zero)
 *   STRICT             no excuse for what follows the protocol's own
 *                      WARN about a stray reference (see WARNED below)
 *   LATE_GET           the walker's pfn_to_online_page() and its
 *                      get_page_unless_zero() are two steps, as in C: the
 *                      section may go offline between them; a get on a
 *                      memmap initialised again since the lookup, or
 *                      gone, stays out (every page has those races)
 *
 * The invariants (flags below; each is asserted where it can break):
 *   1. no PageOffline page reaches the buddy: free_pages_prepare() never
 *      sees one (pageoffline_page_freed), nor any page someone still owns
 *      (owned_page_freed);
 *   2. MEM_OFFLINE goes out only when no page of the block holds a
 *      reference beyond what the protocol allows: none in 6.1, the
 *      driver's 1 on a skippable page in 2025 (offline_with_reference);
 *      and the managed count of the block is then 0 (managed_miscounted);
 *   3. after a failed offline (MEM_CANCEL_OFFLINE, or no event at all
 *      when isolation fails) the driver holds exactly its references
 *      again, on PageOffline pages, and the managed count is what it was
 *      before (cancel_not_restored);
 *   4. 2025: a skippable page has refcount 1 throughout, walkers'
 *      transient references apart (skippable_refcount_not_1);
 *   plus what the kernel BUG()s on (kernel_bug: __offline_isolated_pages()
 *   on a referenced page, a refcount underflow, a put on a removed memmap)
 *   and refcount conservation: every page's refcount is the sum of the
 *   references its holders think they hold (refcount_not_conserved).
 *
 * Both protocols only *detect* a walker that holds a speculative reference
 * at their critical point, with a WARN: 6.1's driver when its
 * page_ref_dec_and_test() in MEM_GOING_OFFLINE misses 0 ("fake-offline
 * page referenced"), 2025's __offline_isolated_pages() when a skippable
 * page's refcount is not 1. What the stray reference does after the WARN
 * (a bad page in both, later) is excused unless STRICT: the model proves
 * that nothing goes wrong *without* the WARN firing first, and the STRICT
 * runs show what does go wrong after it. docs/reliability.md has the runs.
 *
 * Abstractions (what the model drops, and why that is sound here):
 *   - one pageblock, one section, one memory block, one zone, chosen per
 *     online: ZONE_MOVABLE (has_unmovable_pages() passes everything not
 *     PG_reserved) or a kernel zone (the PageOffline rule matters);
 *   - the buddy is a PageBuddy flag per page: order, merging and free
 *     lists do not decide anything in the protocol;
 *   - isolation, test_pages_isolated() and a migration are atomic: the
 *     kernel holds zone->lock for the first two; walkers never take it,
 *     but their references cannot turn a failing page into a passing one
 *     (a refcount-0 page cannot be grabbed), so the order of the checks
 *     within one call cannot matter;
 *   - pfn_to_online_page() and get_page_unless_zero() are one atomic step
 *     unless LATE_GET: the window between them (a walker that looked a
 *     page up just before its section went offline) is a race of memory
 *     offlining with every page, which the kernel accepts, as long as the
 *     pages of an offline memmap sit at refcount 0 and cannot be grabbed.
 *     6.1 keeps that true; 2025 does not (a skippable page keeps its 1),
 *     and LATE_GET shows what follows: a reference the offline never saw;
 *   - other unmovable pages of the block are a nondeterministic isolation
 *     failure; other notifiers are one that may veto MEM_GOING_OFFLINE
 *     before or after the driver; a pending signal may end any round;
 *     a migration may fail (-EAGAIN, -ENOMEM) and the loop comes back;
 *   - the driver's own plug and unplug paths (virtio_mem_fake_online(),
 *     virtio_mem_fake_offline()) are left out: they take the hotplug_mutex
 *     the notifier holds from MEM_GOING_OFFLINE to MEM_OFFLINE or
 *     MEM_CANCEL_OFFLINE, so they never run inside the window, and outside
 *     it they keep each page's one reference;
 *   - MEM_GOING_ONLINE is never vetoed, and hugetlb, HWPoison, per-cpu
 *     lists and memmap_on_memory are left out (none touches the refcount
 *     of a PageOffline page).
 *
 * Each labelled step names, in a "C:" comment, the memhp functions it
 * abstracts; tests/model/map_check.py checks them against src/ and
 * against the table in docs/reliability.md.
 */

/* ---- Limits ------------------------------------------------------------- */

#define NPAGES 3		/* pages of the block: enough for two driver pages
				 * (CANCEL must restore more than one) and a data page */
#define NDRV 2			/* pages 0 .. NDRV-1 are the driver's */
#define DATA 2			/* the ordinary page */
#if NPAGES != 3 || NDRV != 2 || DATA != NDRV
#error "FOR_ALL_PAGES and FOR_DRV_PAGES below spell out pages 0, 1 and 2"
#endif
#define FOR_ALL_PAGES(P) (P(0) && P(1) && P(2))
#define FOR_DRV_PAGES(P) (P(0) && P(1))

#ifndef MAX_OFFLINES
#define MAX_OFFLINES 3		/* offline attempts: offline, re-online, offline
				 * again reaches every path after a re-online */
#endif
#ifndef NWALKERS
#define NWALKERS 1		/* each walker holds one reference at a time; one
				 * is enough for every race in the protocol */
#endif

/* ---- Switches ----------------------------------------------------------- */

#ifdef PROTO_2025
#define SKIPPABLE_RULE 1
#ifdef RACE_2019
#error "RACE_2019 breaks the 6.1 driver; the 2025 driver drops no reference"
#endif
#else
#define SKIPPABLE_RULE 0
#endif

#ifdef CANCEL_UNGUARDED
#define CANCEL_GUARD true
#else
#define CANCEL_GUARD hotplug_active
#endif

#ifdef GET_ON_ZERO
#define WALKER_MAY_GET(p) (ref[p] > 0 || pg_offline[p])
#else
#define WALKER_MAY_GET(p) (ref[p] > 0)
#endif

/*
 * The protocol warned of a stray reference. Unless STRICT, what follows is
 * excused and the hotplug thread stops there: the claim is that nothing
 * goes wrong before a WARN, and exploring the wreckage after one would
 * only grow the state space. STRICT goes on, to show what the WARN was
 * about.
 */
#ifdef STRICT
#define WARNED false
#define AFTER_WARN skip
#else
#define WARNED warned
#define AFTER_WARN goto finished
#endif

/* ---- State -------------------------------------------------------------- */

mtype = { FOUND, NONE, BUSY, INTR, VETO };	/* step results */
mtype = { NO_VETO, VETO_BEFORE_DRIVER, VETO_AFTER_DRIVER };

/* struct page: what the protocol reads and writes */
byte ref[NPAGES];		/* _refcount */
bool pg_offline[NPAGES];	/* PageOffline (a page type) */
bool pg_skippable[NPAGES];	/* PG_offline_skippable (2025) */
bool pg_reserved[NPAGES];	/* PG_reserved */
bool pg_buddy[NPAGES];		/* PageBuddy: on a free list */
bool pg_movable[NPAGES];	/* PageLRU / __PageMovable: data to migrate */

/* the block */
bool memmap_present;		/* the memmap exists (until removal) */
#ifdef LATE_GET
byte memmap_gen;		/* memmap inits so far: a lookup's lifetime */
#endif
bool section_online;		/* pfn_to_online_page() finds the pages */
bool isolated;			/* its pageblock is MIGRATE_ISOLATE */
bool movable_zone;		/* onlined to ZONE_MOVABLE */
byte managed;			/* the block's share of zone->managed_pages */

/* the driver */
bool hotplug_active;		/* it saw MEM_GOING_*, holds its hotplug_mutex */

/* Ghosts: who holds the references (for the invariants only) */
bool drv_ref[NPAGES];		/* the driver's own reference */
byte walker_ref[NPAGES];	/* walkers' speculative references */
byte lost_ref[NPAGES];		/* walkers' references wiped by memmap init */
bool data_ref[NPAGES];		/* the data owner's reference */
bool init_ref[NPAGES];		/* memmap init's reference, until the online
				 * callback hands it on (driver) or frees it */
bool warned;			/* the protocol's stray-reference WARN fired */

/* Violations, one flag per invariant, so that pan names the one it found */
bool pageoffline_page_freed;	/* 1 */
bool owned_page_freed;		/* 1 */
bool offline_with_reference;	/* 2 */
bool managed_miscounted;	/* 2, 3 */
bool cancel_not_restored;	/* 3 */
bool skippable_refcount_not_1;	/* 4 */
bool kernel_bug;
bool refcount_not_conserved;

#define VIOLATE(flag) if :: !(WARNED) -> flag = true :: else -> skip fi

/* ---- Page primitives ---------------------------------------------------- */

/*
 * free_pages_prepare(): a page that still has a type, PG_reserved or an
 * owner is a bad page: reported, its type reset, leaked (never reaches
 * the buddy). Anything else goes to the free list of its pageblock.
 */
inline free_pages_prepare(p)	/* C: free_the_page, free_pages_prepare */
{
	if
	:: pg_offline[p] ->
		printf("BAD PAGE: freeing PageOffline page %d\n", p);
		VIOLATE(pageoffline_page_freed);
		pg_offline[p] = false;
		pg_skippable[p] = false
	:: !pg_offline[p] && (pg_reserved[p] || pg_movable[p]) ->
		printf("BAD PAGE: freeing owned page %d\n", p);
		VIOLATE(owned_page_freed);
		pg_reserved[p] = false;
		pg_movable[p] = false
	:: else ->
		pg_buddy[p] = true
	fi
}

/* put_page(): drop a reference; the last one frees the page. */
inline put_page(p)	/* C: memhp_put_page, memhp_page_ref_dec_and_test */
{
	if
	:: !memmap_present ->
		printf("put_page on the removed memmap of page %d\n", p);
		VIOLATE(kernel_bug)
	:: memmap_present && ref[p] == 0 ->
		printf("refcount underflow on page %d\n", p);
		VIOLATE(kernel_bug)
	:: memmap_present && ref[p] > 1 ->
		ref[p]--
	:: memmap_present && ref[p] == 1 ->
		ref[p] = 0;
		free_pages_prepare(p)
	fi
}

/* has_unmovable_pages(), one page, in 6.1's order: PG_reserved is
 * unmovable even in ZONE_MOVABLE; there, nothing else is; refcount 0 is
 * free; PageOffline passes when offlining (6.1), when skippable (2025);
 * so does movable data; anything else is unmovable. */
#define UNMOVABLE(i) (!pg_buddy[i] && (pg_reserved[i] || \
	(!movable_zone && ref[i] != 0 && \
	 !(pg_offline[i] && (!SKIPPABLE_RULE || pg_skippable[i])) && !pg_movable[i])))

/* __test_page_isolated_in_pageblock(): free, or a PageOffline page the
 * driver let go of: refcount 0 (6.1), skippable (2025). */
#define ISOLATED_AND_FREE(i) (pg_buddy[i] || (pg_offline[i] && \
	(SKIPPABLE_RULE -> pg_skippable[i] : ref[i] == 0)))

/* What a page may hold when MEM_OFFLINE goes out (invariant 2): nothing,
 * or in 2025 the driver's reference on a skippable page; a walker's on
 * top of it only after the proposal's WARN. */
#define REFS_AT_OFFLINE_OK(i) (ref[i] == (SKIPPABLE_RULE && pg_offline[i] && pg_skippable[i] -> 1 : 0) || \
	(SKIPPABLE_RULE && pg_offline[i] && pg_skippable[i] && WARNED))

/* After a failed offline (invariant 3): the driver's reference back on a
 * PageOffline page, and nothing else but walkers'. */
#define RESTORED(i) (drv_ref[i] && pg_offline[i] && pg_skippable[i] == SKIPPABLE_RULE && \
	ref[i] == 1 + walker_ref[i])

#define CONSERVED(i) (!memmap_present || \
	ref[i] == drv_ref[i] + walker_ref[i] + data_ref[i] + init_ref[i])
#define SKIPPABLE_AT_1(i) (!memmap_present || !pg_skippable[i] || ref[i] == 1 + walker_ref[i])

/* ---- The hotplug thread: online_pages() and offline_pages() ------------- */

active proctype hotplug()
{
	byte i, tries, managed_before, nr_taken;
	bool busy, done;
	mtype veto_at, ret;

online_pages:		/* C: online_pages, memory_block_online */
	/* zone_for_pfn_range(): online_movable or online_kernel */
	atomic {
		if
		:: movable_zone = true
		:: movable_zone = false
		fi;
		printf("hotplug: online_pages (ZONE_MOVABLE: %d)\n", movable_zone)
	}
memmap_init:		/* C: move_pfn_range_to_zone, memmap_init_range */
	/* Every page refcount 1, PG_reserved, no type; the pageblock isolated
	 * until the end. A walker reference still held on the old memmap
	 * (possible only after a WARN) is wiped by the new refcount. */
	atomic {
		for (i : 0 .. NPAGES - 1) {
			lost_ref[i] = lost_ref[i] + walker_ref[i];
			walker_ref[i] = 0;
			ref[i] = 1;
			init_ref[i] = true;
			pg_reserved[i] = true;
			pg_offline[i] = false;
			pg_skippable[i] = false;
			pg_buddy[i] = false;
			pg_movable[i] = false;
			drv_ref[i] = false;
			data_ref[i] = false
		}
		i = 0;
		memmap_present = true;
#ifdef LATE_GET
		memmap_gen++;
#endif
		isolated = true
	}
drv_going_online:	/* C: virtio_mem_memory_notifier_cb */
	hotplug_active = true;	/* MEM_GOING_ONLINE: takes its hotplug_mutex */
online_page_cb:		/* C: online_pages_range, online_page_callback, virtio_mem_online_page_cb, virtio_mem_online_page */
	/* The driver's pages stay PageOffline with memmap init's reference,
	 * which becomes the driver's; the data page goes to the buddy. */
	for (i : 0 .. NPAGES - 1) {
		if
		:: i < NDRV ->
set_fake_offline:	/* C: virtio_mem_set_fake_offline */
			atomic {
				pg_offline[i] = true;
				pg_skippable[i] = SKIPPABLE_RULE;
				pg_reserved[i] = false;
				init_ref[i] = false;
				drv_ref[i] = true
			}
		:: else ->
generic_online_page:	/* C: memhp_generic_online_page, __free_pages_core */
			atomic {
				ref[i] = 0;
				init_ref[i] = false;
				pg_reserved[i] = false;
				pg_buddy[i] = true;
				managed++
			}
		fi
	}
	i = 0;
sections_online:	/* C: online_mem_sections */
	section_online = true;
online_unisolate:	/* C: undo_isolate_page_range */
	isolated = false;
drv_online:		/* C: virtio_mem_memory_notifier_cb */
	atomic {
		hotplug_active = false;	/* MEM_ONLINE: releases the hotplug_mutex */
		printf("hotplug: MEM_ONLINE: driver pages PageOffline, refcount %d and %d\n", ref[0], ref[1])
	}

next_offline:
	if
	:: tries == MAX_OFFLINES -> goto finished
	:: else -> tries++
	fi;
	managed_before = managed;
#ifdef RACE_2019
	/* The driver lets go before offlining, as if refcount 0 were the
	 * standing sign that offlining may skip its pages: page_ref_dec(),
	 * nothing to check, no notifier involved. */
	for (i : 0 .. NDRV - 1) {
		atomic {
			printf("RFC driver: page_ref_dec(page %d) -> refcount %d, before offline_pages\n", i, ref[i] - 1);
			ref[i]--;
			drv_ref[i] = false
		}
	}
	i = 0;
#endif

offline_pages:		/* C: offline_pages, memory_block_offline */
isolate:		/* C: start_isolate_page_range, set_migratetype_isolate, has_unmovable_pages */
	atomic {
		busy = (UNMOVABLE(0) || UNMOVABLE(1) || UNMOVABLE(2));
		/* some other page of the block may be unmovable */
		if
		:: busy = true
		:: skip
		fi;
		if
		:: !busy -> isolated = true
		:: else -> skip
		fi;
		printf("hotplug: offline_pages: start_isolate_page_range -> busy %d\n", busy)
	}
	if
	:: busy -> ret = BUSY; goto failed_no_event	/* no notifier hears of it */
	:: else -> skip
	fi;

going_offline:		/* C: memory_notify */
	atomic {
		if
		:: veto_at = NO_VETO
		:: veto_at = VETO_BEFORE_DRIVER
		:: veto_at = VETO_AFTER_DRIVER
		fi;
		printf("hotplug: MEM_GOING_OFFLINE (%e)\n", veto_at)
	}
	if
	:: veto_at != VETO_BEFORE_DRIVER ->
drv_going_offline:	/* C: virtio_mem_memory_notifier_cb */
		hotplug_active = true;
#if !SKIPPABLE_RULE
fake_offline_going_offline:	/* C: virtio_mem_fake_offline_going_offline, memhp_adjust_managed_page_count */
		managed = managed + NDRV;	/* offline_pages() takes the whole range */
#ifndef RACE_2019
		for (i : 0 .. NDRV - 1) {
			atomic {
				/* page_ref_dec_and_test(): must reach 0 */
				if
				:: ref[i] == 0 -> kernel_bug = true
				:: else -> ref[i]--
				fi;
				printf("driver: page_ref_dec_and_test(page %d) -> refcount %d\n", i, ref[i]);
				drv_ref[i] = false;
				if
				:: ref[i] != 0 ->
					printf("WARN: fake-offline page %d referenced (refcount %d)\n", i, ref[i]);
					warned = true;
					AFTER_WARN
				:: else -> skip
				fi
			}
		}
		i = 0;
		assert(!kernel_bug);
#endif
#endif
		skip
	:: else -> skip
	fi;
	if
	:: veto_at != NO_VETO -> ret = VETO; goto failed_isolated
	:: else -> skip
	fi;

	/* Round after round, with no limit, as in 6.1: only a signal, a busy
	 * PageOffline page or success ends it. */
	do
	:: true ->
signal_pending:		/* C: memhp_signal_pending */
		if
		:: ret = INTR; goto failed_isolated
		:: skip
		fi;
scan_movable_pages:	/* C: scan_movable_pages */
		ret = NONE;
		for (i : 0 .. NPAGES - 1) {
			atomic {
				if
				:: ret != NONE || pg_buddy[i] -> skip
				:: else ->
					if
					:: pg_movable[i] -> ret = FOUND
					:: !pg_movable[i] && pg_offline[i] &&
					   (SKIPPABLE_RULE -> !pg_skippable[i] : ref[i] != 0) -> ret = BUSY
					:: else -> skip
					fi
				fi
			}
		}
		atomic {
			i = 0;
			printf("hotplug: scan_movable_pages -> %e\n", ret)
		}
		if
		:: ret == BUSY -> goto failed_isolated
		:: ret == FOUND ->
do_migrate_range:	/* C: migrate_movable_range, migrate_pages, migrate_one */
			/* The data moves out of the block and its owner's
			 * reference with it; the page frees now, or with a
			 * walker's last put. It may fail: next round. */
			atomic {
				if
				:: pg_movable[DATA] && data_ref[DATA] ->
					printf("hotplug: page %d migrated\n", DATA);
					pg_movable[DATA] = false;
					data_ref[DATA] = false;
					put_page(DATA)
				:: skip
				fi
			}
		:: ret == NONE ->
test_pages_isolated:	/* C: test_pages_isolated, __test_page_isolated_in_pageblock */
			atomic {
				done = isolated && FOR_ALL_PAGES(ISOLATED_AND_FREE);
				printf("hotplug: test_pages_isolated -> passed %d\n", done)
			}
			if
			:: done -> break
			:: else -> skip
			fi
		fi
	od;

offline_isolated_pages:	/* C: __offline_isolated_pages, offline_mem_sections */
	atomic {
		section_online = false;
		printf("hotplug: __offline_isolated_pages: section offline\n")
	}
	nr_taken = 0;
	for (i : 0 .. NPAGES - 1) {
		atomic {
			if
			:: pg_offline[i] && !SKIPPABLE_RULE && ref[i] != 0 ->
				kernel_bug = true	/* BUG_ON(page_count(page)) */
			:: pg_offline[i] && SKIPPABLE_RULE && (!pg_skippable[i] || ref[i] != 1) ->
				printf("WARN: skippable page %d has refcount %d at offline\n", i, ref[i]);
				warned = true;
				AFTER_WARN
			:: pg_offline[i] && !(!SKIPPABLE_RULE && ref[i] != 0) &&
			   !(SKIPPABLE_RULE && (!pg_skippable[i] || ref[i] != 1)) -> skip
			:: !pg_offline[i] && pg_buddy[i] && ref[i] == 0 ->
				pg_buddy[i] = false;	/* del_page_from_free_list() */
				nr_taken++
			:: !pg_offline[i] && !(pg_buddy[i] && ref[i] == 0) ->
				kernel_bug = true	/* BUG_ON(!PageBuddy) */
			fi
		}
	}
	i = 0;
	assert(!kernel_bug);
offline_managed:	/* C: adjust_managed_page_count */
	/* 6.1: the whole range (the driver gave its pages back in
	 * MEM_GOING_OFFLINE); 6.7+ and 2025: what left the buddy. */
	managed = managed - (SKIPPABLE_RULE -> nr_taken : NPAGES);
mem_offline:		/* C: memory_notify */
	atomic {
		if
		:: !FOR_ALL_PAGES(REFS_AT_OFFLINE_OK) -> offline_with_reference = true
		:: else -> skip
		fi;
		if
		:: managed != 0 -> managed_miscounted = true
		:: else -> skip
		fi
	}
	assert(!offline_with_reference);
	assert(!managed_miscounted);
drv_offline:		/* C: virtio_mem_memory_notifier_cb */
	atomic {
		hotplug_active = false;	/* MEM_OFFLINE: releases the hotplug_mutex */
		printf("hotplug: MEM_OFFLINE: refcounts %d %d %d\n", ref[0], ref[1], ref[2])
	}
	/* The block is offline: online it again, or remove it. */
	if
	:: goto online_pages
	:: true ->
remove_memory:		/* C: try_remove_memory, sparse_remove_section */
		atomic {
			memmap_present = false;
			printf("hotplug: remove_memory: the memmap is gone\n")
		}
		goto finished
	fi;

failed_isolated:
undo_isolation:		/* C: undo_isolate_page_range */
	atomic {
		isolated = false;	/* the free pages are back before the cancel */
		printf("hotplug: offline_pages failed (%e): MEM_CANCEL_OFFLINE\n", ret)
	}
cancel_offline:		/* C: memory_notify */
	if
	:: CANCEL_GUARD ->
drv_cancel_offline:	/* C: virtio_mem_memory_notifier_cb */
#if !SKIPPABLE_RULE
fake_offline_cancel_offline:	/* C: virtio_mem_fake_offline_cancel_offline, memhp_page_ref_inc */
		managed = managed - NDRV;
#ifndef RACE_2019
		for (i : 0 .. NDRV - 1) {
			atomic {
				ref[i]++;
				drv_ref[i] = true;
				printf("driver: page_ref_inc(page %d) -> refcount %d\n", i, ref[i])
			}
		}
		i = 0;
#endif
#endif
		hotplug_active = false
	:: else -> skip
	fi;
failed_no_event:
#ifdef RACE_2019
	/* The RFC driver learns of the failure from offline_pages()'s return
	 * value and takes its references back. */
	for (i : 0 .. NDRV - 1) {
		atomic {
			ref[i]++;
			drv_ref[i] = true
		}
	}
	i = 0;
#endif
	atomic {
		if
		:: !FOR_DRV_PAGES(RESTORED) -> VIOLATE(cancel_not_restored)
		:: else -> skip
		fi;
		if
		:: managed != managed_before -> VIOLATE(managed_miscounted)
		:: else -> skip
		fi
	}
	assert(!cancel_not_restored);
	assert(!managed_miscounted);
	goto next_offline;

finished:
	skip
}

/* ---- A speculative PFN walker ------------------------------------------- */

active [NWALKERS] proctype walker()
{
	byte p;
#ifdef LATE_GET
	byte gen;	/* the memmap's lifetime its lookup saw */
#endif

end_walk:
	do
	:: select (p : 0 .. NPAGES - 1);
#ifdef LATE_GET
walker_lookup:		/* C: walk, memhp_pfn_to_online_page */
		atomic {
			if
			:: section_online -> gen = memmap_gen
			:: else -> goto end_walk
			fi
		}
walker_late_get:	/* C: memhp_get_page_unless_zero */
		atomic {
			if
			:: memmap_present && gen == memmap_gen && WALKER_MAY_GET(p) ->
#else
walker_get:		/* C: walk, memhp_pfn_to_online_page, memhp_get_page_unless_zero */
		atomic {
			if
			:: section_online && WALKER_MAY_GET(p) ->
#endif
				ref[p]++;
				walker_ref[p]++;
				printf("walker: reference on page %d -> refcount %d\n", p, ref[p])
			:: else -> goto end_walk
			fi
		}
walker_put:		/* C: memhp_put_page */
		atomic {
			printf("walker: put_page(page %d), refcount %d\n", p, ref[p]);
			if
			:: lost_ref[p] > 0 -> lost_ref[p]--
			:: else -> walker_ref[p]--
			fi;
			put_page(p)
		}
		assert(!pageoffline_page_freed);
		assert(!owned_page_freed);
		assert(!kernel_bug)
	od
}

/* ---- The owner of the ordinary page ------------------------------------- */

active proctype data_user()
{
end_data:
	do
	:: atomic {
		section_online && !isolated && pg_buddy[DATA] ->
data_alloc:		/* C: memhp_data_alloc */
		printf("data: page %d allocated\n", DATA);
		pg_buddy[DATA] = false;
		ref[DATA] = 1;
		data_ref[DATA] = true;
		pg_movable[DATA] = true
	   }
	:: atomic {
		data_ref[DATA] ->
data_free:		/* C: memhp_data_free */
		printf("data: page %d freed\n", DATA);
		data_ref[DATA] = false;
		pg_movable[DATA] = false;
		put_page(DATA)
	   };
	   assert(!owned_page_freed);
	   assert(!kernel_bug)
	od
}

/* ---- The state invariants, in every reachable state ---------------------- */

active proctype monitor()
{
end_monitor:
	atomic {
		!(WARNED) && !(FOR_ALL_PAGES(CONSERVED) && FOR_DRV_PAGES(SKIPPABLE_AT_1)) ->
		refcount_not_conserved = !FOR_ALL_PAGES(CONSERVED);
		skippable_refcount_not_1 = !FOR_DRV_PAGES(SKIPPABLE_AT_1);
		assert(!refcount_not_conserved);
		assert(!skippable_refcount_not_1)
	}
}
