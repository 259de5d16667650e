/* SPDX-License-Identifier: MIT */
/*
 * memhp/notifier.h - the memory notifier chain and the online_page callback.
 */
#ifndef MEMHP_NOTIFIER_H
#define MEMHP_NOTIFIER_H

#include <memhp/page.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Events, numbered as include/linux/memory.h numbers them. */
#define MEMHP_MEM_ONLINE (1 << 0)
#define MEMHP_MEM_GOING_OFFLINE (1 << 1)
#define MEMHP_MEM_OFFLINE (1 << 2)
#define MEMHP_MEM_GOING_ONLINE (1 << 3)
#define MEMHP_MEM_CANCEL_ONLINE (1 << 4)
#define MEMHP_MEM_CANCEL_OFFLINE (1 << 5)

/* "MEM_GOING_OFFLINE", ...; NULL for anything else. */
MEMHP_API const char *memhp_memory_event_name(unsigned long action);

/* Notifier return values (include/linux/notifier.h). */
#define MEMHP_NOTIFY_DONE 0x0000
#define MEMHP_NOTIFY_OK 0x0001
#define MEMHP_NOTIFY_STOP_MASK 0x8000
#define MEMHP_NOTIFY_BAD (MEMHP_NOTIFY_STOP_MASK | 0x0002)
#define MEMHP_NOTIFY_STOP (MEMHP_NOTIFY_OK | MEMHP_NOTIFY_STOP_MASK)

static inline int memhp_notifier_from_errno(int err)
{
	return err ? MEMHP_NOTIFY_STOP_MASK | (MEMHP_NOTIFY_OK - err) : MEMHP_NOTIFY_OK;
}

static inline int memhp_notifier_to_errno(int ret)
{
	ret &= ~MEMHP_NOTIFY_STOP_MASK;
	return ret > MEMHP_NOTIFY_OK ? MEMHP_NOTIFY_OK - ret : 0;
}

/* struct memory_notify of 6.1: the range excludes memmap_on_memory pages. */
struct memhp_memory_notify {
	unsigned long start_pfn;
	unsigned long nr_pages;
	int status_change_nid_normal;
	int status_change_nid;
};

struct memhp_notifier_block;
typedef int (*memhp_notifier_fn)(struct memhp_notifier_block *nb, unsigned long action, void *data);

struct memhp_notifier_block {
	memhp_notifier_fn notifier_call;
	/* Higher runs first; ties in order of registration. */
	int priority;
	void *priv;			   /* for the callback's use */
	struct memhp_notifier_block *next; /* owned by the chain */
};

/*
 * The chain is a blocking chain: callbacks run in the hotplug thread, with
 * the hotplug locks held, and may sleep. GOING_* stop at the first callback
 * returning a value with MEMHP_NOTIFY_STOP_MASK; CANCEL_* then reach every
 * notifier, including those that never saw GOING_*.
 * Returns 0, or -EEXIST if @nb is already registered.
 */
MEMHP_API int memhp_register_memory_notifier(struct memhp_machine *m,
					     struct memhp_notifier_block *nb);
MEMHP_API void memhp_unregister_memory_notifier(struct memhp_machine *m,
						struct memhp_notifier_block *nb);

/*
 * The online_page callback: called for every chunk of an onlined range
 * (order min(max_order, ffs(pfn))), between MEM_GOING_ONLINE and MEM_ONLINE,
 * with every page refcount 1 and PG_reserved. The default hands the chunk
 * to the buddy (memhp_generic_online_page()); a driver may keep pages back.
 */
typedef void (*memhp_online_page_callback_t)(struct memhp_page *page, unsigned int order,
					     void *priv);
/* Install @cb if the generic callback is in place: 0, else -EINVAL. */
MEMHP_API int memhp_set_online_page_callback(struct memhp_machine *m,
					     memhp_online_page_callback_t cb, void *priv);
/* Restore the generic callback if @cb is installed: 0, else -EINVAL. */
MEMHP_API int memhp_restore_online_page_callback(struct memhp_machine *m,
						 memhp_online_page_callback_t cb);

#ifdef __cplusplus
}
#endif
#endif /* MEMHP_NOTIFIER_H */
