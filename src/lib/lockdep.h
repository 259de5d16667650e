/* SPDX-License-Identifier: MIT */
/*
 * src/lib/lockdep.h - locks that know who holds them, checked in debug
 * builds, in the manner of the kernel's lockdep and jemalloc's witness.
 *
 * struct mutex and struct rw_semaphore wrap the pthread locks. Each has a
 * rank from LOCK_RANKS below: the one lock order of the library, outer
 * locks first. In a debug build (make DEBUG=1, and the sanitizer builds:
 * MEMHP_LOCKDEP), a mutex records the thread that holds it and every
 * thread the ranks it holds, and the program aborts, naming the locks and
 * where they were taken, when
 *  - a function that needs a lock runs without it: lockdep_assert_held()
 *    and its kin, at the top of the functions whose comments used to say
 *    "Caller holds ...";
 *  - a thread takes a lock while it holds one of a higher rank, or a
 *    second lock of a rank it holds (unless the rank's nest lock is held:
 *    the kernel's mutex_lock_nest_lock()), which two threads doing it in
 *    opposite orders would deadlock on even if no run ever did;
 *  - it takes a lock it holds, unlocks one it does not hold, or destroys
 *    a held one.
 * In a release build the wrappers are the bare pthread calls and the
 * assertions compile to nothing.
 *
 * Code goes on calling pthread_mutex_lock(&zone->lock) and friends: the
 * macros at the end send a struct mutex or rw_semaphore to its wrapper
 * and anything else to pthread. The wrappers take the lock with the
 * pthread call, so memhp's deterministic scheduler (src/cli/det.c, which
 * the linker puts between the program and those calls) sees every lock.
 *
 * Internal to memhp (not part of the public API).
 */
#ifndef MEMHP_LIB_LOCKDEP_H
#define MEMHP_LIB_LOCKDEP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

/*
 * The lock order, outer to inner: a thread may take a lock only while
 * every lock it holds comes earlier here. docs/architecture.md has the
 * same table with what each lock protects.
 *
 * X(name, "what the messages call it", nest): several locks of one rank
 * may be held at once only by a thread that holds a lock of rank @nest
 * (NONE: never), which makes sure nobody else takes two of them.
 */
#define LOCK_RANKS(X)                                                 \
	/* Drivers, around the calls they make into the core. */      \
	X(VIRTIO_MEM_MUTEX, "virtio_mem_mutex", NONE)                 \
	X(VMEM_HOTPLUG, "vm->hotplug_mutex", NONE)                    \
	X(VMEM_REMOVAL, "vm->removal_lock", NONE)                     \
	X(VBALLOON, "vb->balloon_lock", NONE)                         \
	/* The hotplug locks. */                                      \
	X(DEVICE_HOTPLUG, "device_hotplug_lock", NONE)                \
	X(MF_MUTEX, "mf_mutex", NONE)                                 \
	X(MEM_BLOCK_DEV, "mem->dev_lock", NONE)                       \
	X(PAGE_REPORTING, "reporting->lock", NONE)                    \
	X(MEM_HOTPLUG, "mem_hotplug_lock", NONE)                      \
	X(ONLINE_PAGE_CALLBACK, "online_page_callback_lock", NONE)    \
	X(HSTATE_RESIZE, "h->resize_lock", NONE)                      \
	X(CMA, "cma->lock", NONE)                                     \
	X(PCP_BATCH_HIGH, "pcp_batch_high_lock", NONE)                \
	X(NOTIFIER, "nh->rwsem", NONE)                                \
	X(BALLOON, "b->balloon_lock", NONE)                           \
	X(PAGE_OFFLINE, "page_offline_rwsem", NONE)                   \
	/* What allocates and frees pages. */                         \
	X(PCPU_DRAIN, "pcpu_drain_mutex", NONE)                       \
	X(BULK, "bulk_lock", NONE)                                    \
	X(SLAB_CACHES, "slab_caches_lock", NONE)                      \
	X(SLAB, "kmem_cache->lock", NONE)                             \
	X(HUGETLBFS, "hugetlbfs->lock", NONE)                         \
	X(THP, "thp->lock", NONE)                                     \
	X(BALLOON_PAGES, "b->pages_lock", NONE)                       \
	X(BALLOON_HOST, "b->host_lock", NONE)                         \
	X(LRU_ADD, "lru_add->lock", NONE)                             \
	/* The page allocator; the checker takes every one (nest). */ \
	X(PCP, "pcp->lock", MEM_HOTPLUG)                              \
	X(ZONE, "zone->lock", MEM_HOTPLUG)                            \
	X(HUGETLB, "hugetlb_lock", NONE)                              \
	/* Leaves: what runs under them takes no lock above. */       \
	X(WMARK, "wmark_lock", NONE)                                  \
	X(RESOURCE, "resource_lock", NONE)                            \
	X(VMEM_RATELIMIT, "vm->ratelimit_lock", NONE)                 \
	X(VMEM_WQ, "vm->wq_lock", NONE)                               \
	X(VMEM_REGISTRY, "registry_lock", NONE)                       \
	X(MISC, "misc_lock", NONE)                                    \
	X(VMEM_DEV, "vmem_dev->lock", NONE)                           \
	X(ACPI_OPS, "acpi->ops_lock", NONE)                           \
	X(ACPI_GPE, "acpi->gpe_lock", NONE)                           \
	X(ACPI_DRV, "acpi_memhotplug->lock", NONE)                    \
	X(ACPI_DEV, "acpi->lock", NONE)                               \
	X(VBALLOON_CB, "vballoon_dev->cb_lock", NONE)                 \
	X(VBALLOON_WQ, "vb->lock", NONE)                              \
	X(VBALLOON_LISTEN, "vballoon_dev->listen_lock", NONE)         \
	X(VBALLOON_DEV, "vballoon_dev->lock", NONE)                   \
	X(VIOLATIONS, "violations.lock", NONE)                        \
	X(KMSG_USER, "kmsg->lock", NONE)                              \
	X(PRINTK, "printk_ring->lock", NONE)

enum lock_rank {
	LOCK_RANK_NONE, /* a lock nobody gave a rank: lockdep refuses it */
#define LOCK_RANK_ENUM(name, str, nest) LOCK_RANK_##name,
	LOCK_RANKS(LOCK_RANK_ENUM)
#undef LOCK_RANK_ENUM
		LOCK_RANK_NR
};

#ifdef MEMHP_LOCKDEP

struct lockdep_task;

/* What a lock carries for lockdep (the kernel's struct lockdep_map). */
struct lockdep_map {
	enum lock_rank rank;
	/* The thread holding it, for writing if an rw_semaphore, or NULL;
	 * its tid, for the messages. */
	_Atomic(struct lockdep_task *) owner;
	_Atomic int owner_tid;
	bool counted; /* the owner took it with lockdep on (lockdep_off()) */
	bool rw;      /* an rw_semaphore's: readers are not recorded in it */
};
#define LOCKDEP_MAP_INIT(r) , .dep_map = { .rank = (r) }

enum lockdep_mode { LOCKDEP_EXCL, LOCKDEP_READ };

/* Before a blocking lock: abort on an order violation or a lock taken twice. */
void lockdep_acquire(struct lockdep_map *map, enum lockdep_mode mode, const char *file, int line);
/* After any lock, trylock included (which cannot deadlock, so is not checked). */
void lockdep_acquired(struct lockdep_map *map, enum lockdep_mode mode, const char *file, int line);
/* Before an unlock: abort unless this thread holds it. */
void lockdep_release(struct lockdep_map *map, const char *file, int line);
/* Before a destroy: abort if anyone holds it. */
void lockdep_destroy(struct lockdep_map *map, const char *file, int line);

enum lockdep_want { LOCKDEP_HELD, LOCKDEP_HELD_WRITE, LOCKDEP_HELD_READ, LOCKDEP_NOT_HELD };
void lockdep_check_held(const struct lockdep_map *map, enum lockdep_want want, const char *file,
			int line, const char *func);

/*
 * lockdep_off() ... lockdep_on(): locks taken and released in between
 * still record their owner but stay out of the order checks, where an
 * order the ranks cannot express is known to be safe (the kernel's switch
 * of the same name).
 */
void lockdep_off(void);
void lockdep_on(void);

#define LOCKDEP_ENABLED 1
#else
#define LOCKDEP_MAP_INIT(r)
#define LOCKDEP_ENABLED 0
static inline void lockdep_off(void)
{
}
static inline void lockdep_on(void)
{
}
#endif

/* The name a rank's locks go by in messages and docs. */
const char *lock_rank_name(enum lock_rank rank);

/* src/mm/spinlock.h: pcp->lock, checked as these are. */
struct spinlock;

struct mutex {
	pthread_mutex_t m;
#ifdef MEMHP_LOCKDEP
	struct lockdep_map dep_map;
#endif
};

struct rw_semaphore {
	pthread_rwlock_t rw;
#ifdef MEMHP_LOCKDEP
	struct lockdep_map dep_map;
#endif
};

#define MUTEX_INITIALIZER(r)                                       \
	{                                                          \
		.m = PTHREAD_MUTEX_INITIALIZER LOCKDEP_MAP_INIT(r) \
	}
/* A statically allocated mutex of rank LOCK_RANK_@r. */
#define DEFINE_MUTEX(name, r) struct mutex name = MUTEX_INITIALIZER(LOCK_RANK_##r)

static inline void mutex_init(struct mutex *l, enum lock_rank rank)
{
	(pthread_mutex_init)(&l->m, NULL);
#ifdef MEMHP_LOCKDEP
	l->dep_map = (struct lockdep_map){ .rank = rank };
#else
	(void)rank;
#endif
}

static inline void init_rwsem(struct rw_semaphore *l, enum lock_rank rank)
{
	(pthread_rwlock_init)(&l->rw, NULL);
#ifdef MEMHP_LOCKDEP
	l->dep_map = (struct lockdep_map){ .rank = rank, .rw = true };
#else
	(void)rank;
#endif
}

#ifdef MEMHP_LOCKDEP
#define LOCKDEP_CALL(stmt) stmt
#else
#define LOCKDEP_CALL(stmt) ((void)0)
#endif

static inline int mutex_lock_at(struct mutex *l, const char *file, int line)
{
	int ret;

	LOCKDEP_CALL(lockdep_acquire(&l->dep_map, LOCKDEP_EXCL, file, line));
	ret = (pthread_mutex_lock)(&l->m);
	if (!ret)
		LOCKDEP_CALL(lockdep_acquired(&l->dep_map, LOCKDEP_EXCL, file, line));
	(void)file, (void)line;
	return ret;
}

static inline int mutex_trylock_at(struct mutex *l, const char *file, int line)
{
	int ret = (pthread_mutex_trylock)(&l->m);

	if (!ret)
		LOCKDEP_CALL(lockdep_acquired(&l->dep_map, LOCKDEP_EXCL, file, line));
	(void)file, (void)line;
	return ret;
}

static inline int mutex_unlock_at(struct mutex *l, const char *file, int line)
{
	LOCKDEP_CALL(lockdep_release(&l->dep_map, file, line));
	(void)file, (void)line;
	return (pthread_mutex_unlock)(&l->m);
}

static inline int mutex_destroy_at(struct mutex *l, const char *file, int line)
{
	LOCKDEP_CALL(lockdep_destroy(&l->dep_map, file, line));
	(void)file, (void)line;
	return (pthread_mutex_destroy)(&l->m);
}

/* A condition wait gives the mutex up and takes it again. */
static inline int mutex_cond_wait_at(pthread_cond_t *c, struct mutex *l, const char *file, int line)
{
	int ret;

	LOCKDEP_CALL(lockdep_release(&l->dep_map, file, line));
	ret = (pthread_cond_wait)(c, &l->m);
	LOCKDEP_CALL(lockdep_acquire(&l->dep_map, LOCKDEP_EXCL, file, line));
	LOCKDEP_CALL(lockdep_acquired(&l->dep_map, LOCKDEP_EXCL, file, line));
	(void)file, (void)line;
	return ret;
}

static inline int mutex_cond_timedwait_at(pthread_cond_t *c, struct mutex *l,
					  const struct timespec *abstime, const char *file,
					  int line)
{
	int ret;

	LOCKDEP_CALL(lockdep_release(&l->dep_map, file, line));
	ret = (pthread_cond_timedwait)(c, &l->m, abstime);
	LOCKDEP_CALL(lockdep_acquire(&l->dep_map, LOCKDEP_EXCL, file, line));
	LOCKDEP_CALL(lockdep_acquired(&l->dep_map, LOCKDEP_EXCL, file, line));
	(void)file, (void)line;
	return ret;
}

static inline int rwsem_rdlock_at(struct rw_semaphore *l, const char *file, int line)
{
	int ret;

	LOCKDEP_CALL(lockdep_acquire(&l->dep_map, LOCKDEP_READ, file, line));
	ret = (pthread_rwlock_rdlock)(&l->rw);
	if (!ret)
		LOCKDEP_CALL(lockdep_acquired(&l->dep_map, LOCKDEP_READ, file, line));
	(void)file, (void)line;
	return ret;
}

static inline int rwsem_wrlock_at(struct rw_semaphore *l, const char *file, int line)
{
	int ret;

	LOCKDEP_CALL(lockdep_acquire(&l->dep_map, LOCKDEP_EXCL, file, line));
	ret = (pthread_rwlock_wrlock)(&l->rw);
	if (!ret)
		LOCKDEP_CALL(lockdep_acquired(&l->dep_map, LOCKDEP_EXCL, file, line));
	(void)file, (void)line;
	return ret;
}

static inline int rwsem_tryrdlock_at(struct rw_semaphore *l, const char *file, int line)
{
	int ret = (pthread_rwlock_tryrdlock)(&l->rw);

	if (!ret)
		LOCKDEP_CALL(lockdep_acquired(&l->dep_map, LOCKDEP_READ, file, line));
	(void)file, (void)line;
	return ret;
}

static inline int rwsem_trywrlock_at(struct rw_semaphore *l, const char *file, int line)
{
	int ret = (pthread_rwlock_trywrlock)(&l->rw);

	if (!ret)
		LOCKDEP_CALL(lockdep_acquired(&l->dep_map, LOCKDEP_EXCL, file, line));
	(void)file, (void)line;
	return ret;
}

static inline int rwsem_unlock_at(struct rw_semaphore *l, const char *file, int line)
{
	LOCKDEP_CALL(lockdep_release(&l->dep_map, file, line));
	(void)file, (void)line;
	return (pthread_rwlock_unlock)(&l->rw);
}

static inline int rwsem_destroy_at(struct rw_semaphore *l, const char *file, int line)
{
	LOCKDEP_CALL(lockdep_destroy(&l->dep_map, file, line));
	(void)file, (void)line;
	return (pthread_rwlock_destroy)(&l->rw);
}

/* The pthread calls on plain pthread locks, with the same arguments. */
static inline int lockdep_pthread_mutex_lock(pthread_mutex_t *l, const char *file, int line)
{
	(void)file, (void)line;
	return (pthread_mutex_lock)(l);
}
static inline int lockdep_pthread_mutex_trylock(pthread_mutex_t *l, const char *file, int line)
{
	(void)file, (void)line;
	return (pthread_mutex_trylock)(l);
}
static inline int lockdep_pthread_mutex_unlock(pthread_mutex_t *l, const char *file, int line)
{
	(void)file, (void)line;
	return (pthread_mutex_unlock)(l);
}
static inline int lockdep_pthread_mutex_destroy(pthread_mutex_t *l, const char *file, int line)
{
	(void)file, (void)line;
	return (pthread_mutex_destroy)(l);
}
static inline int lockdep_pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *l, const char *file,
					    int line)
{
	(void)file, (void)line;
	return (pthread_cond_wait)(c, l);
}
static inline int lockdep_pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *l,
						 const struct timespec *abstime, const char *file,
						 int line)
{
	(void)file, (void)line;
	return (pthread_cond_timedwait)(c, l, abstime);
}
static inline int lockdep_pthread_rwlock_rdlock(pthread_rwlock_t *l, const char *file, int line)
{
	(void)file, (void)line;
	return (pthread_rwlock_rdlock)(l);
}
static inline int lockdep_pthread_rwlock_wrlock(pthread_rwlock_t *l, const char *file, int line)
{
	(void)file, (void)line;
	return (pthread_rwlock_wrlock)(l);
}
static inline int lockdep_pthread_rwlock_tryrdlock(pthread_rwlock_t *l, const char *file, int line)
{
	(void)file, (void)line;
	return (pthread_rwlock_tryrdlock)(l);
}
static inline int lockdep_pthread_rwlock_trywrlock(pthread_rwlock_t *l, const char *file, int line)
{
	(void)file, (void)line;
	return (pthread_rwlock_trywrlock)(l);
}
static inline int lockdep_pthread_rwlock_unlock(pthread_rwlock_t *l, const char *file, int line)
{
	(void)file, (void)line;
	return (pthread_rwlock_unlock)(l);
}
static inline int lockdep_pthread_rwlock_destroy(pthread_rwlock_t *l, const char *file, int line)
{
	(void)file, (void)line;
	return (pthread_rwlock_destroy)(l);
}

/* clang-format off */
#define LOCKDEP_PICK_(l, type, wrapper, plain) _Generic((l), type: wrapper, default: plain)
#define LOCKDEP_MUTEX_(l, wrapper, plain) LOCKDEP_PICK_(l, struct mutex *, wrapper, plain)
#define LOCKDEP_RWSEM_(l, wrapper, plain) LOCKDEP_PICK_(l, struct rw_semaphore *, wrapper, plain)
#define pthread_mutex_lock(l) \
	LOCKDEP_MUTEX_(l, mutex_lock_at, lockdep_pthread_mutex_lock)((l), __FILE__, __LINE__)
#define pthread_mutex_trylock(l) \
	LOCKDEP_MUTEX_(l, mutex_trylock_at, lockdep_pthread_mutex_trylock)((l), __FILE__, __LINE__)
#define pthread_mutex_unlock(l) \
	LOCKDEP_MUTEX_(l, mutex_unlock_at, lockdep_pthread_mutex_unlock)((l), __FILE__, __LINE__)
#define pthread_mutex_destroy(l) \
	LOCKDEP_MUTEX_(l, mutex_destroy_at, lockdep_pthread_mutex_destroy)((l), __FILE__, __LINE__)
#define pthread_cond_wait(c, l) \
	LOCKDEP_MUTEX_(l, mutex_cond_wait_at, lockdep_pthread_cond_wait)((c), (l), __FILE__, __LINE__)
#define pthread_cond_timedwait(c, l, t) \
	LOCKDEP_MUTEX_(l, mutex_cond_timedwait_at, lockdep_pthread_cond_timedwait)( \
		(c), (l), (t), __FILE__, __LINE__)
#define pthread_rwlock_rdlock(l) \
	LOCKDEP_RWSEM_(l, rwsem_rdlock_at, lockdep_pthread_rwlock_rdlock)((l), __FILE__, __LINE__)
#define pthread_rwlock_wrlock(l) \
	LOCKDEP_RWSEM_(l, rwsem_wrlock_at, lockdep_pthread_rwlock_wrlock)((l), __FILE__, __LINE__)
#define pthread_rwlock_tryrdlock(l) \
	LOCKDEP_RWSEM_(l, rwsem_tryrdlock_at, lockdep_pthread_rwlock_tryrdlock)((l), __FILE__, __LINE__)
#define pthread_rwlock_trywrlock(l) \
	LOCKDEP_RWSEM_(l, rwsem_trywrlock_at, lockdep_pthread_rwlock_trywrlock)((l), __FILE__, __LINE__)
#define pthread_rwlock_unlock(l) \
	LOCKDEP_RWSEM_(l, rwsem_unlock_at, lockdep_pthread_rwlock_unlock)((l), __FILE__, __LINE__)
#define pthread_rwlock_destroy(l) \
	LOCKDEP_RWSEM_(l, rwsem_destroy_at, lockdep_pthread_rwlock_destroy)((l), __FILE__, __LINE__)
/* clang-format on */

/*
 * The assertions, as the kernel spells them: held (by this thread, in any
 * mode), held for writing, held for reading, not held by this thread.
 */
#ifdef MEMHP_LOCKDEP
#define lockdep_check_(l, want) \
	lockdep_check_held(&(l)->dep_map, (want), __FILE__, __LINE__, __func__)
#else
/* Still type-checked (a struct mutex or rw_semaphore), never evaluated. */
#define lockdep_check_(l, want)                                                            \
	((void)sizeof(_Generic((l), struct mutex * : 1, const struct mutex * : 1,          \
			       struct rw_semaphore * : 1, const struct rw_semaphore * : 1, \
			       struct spinlock * : 1, const struct spinlock * : 1)))
#endif
#define lockdep_assert_held(l) lockdep_check_(l, LOCKDEP_HELD)
#define lockdep_assert_held_write(l) lockdep_check_(l, LOCKDEP_HELD_WRITE)
#define lockdep_assert_held_read(l) lockdep_check_(l, LOCKDEP_HELD_READ)
#define lockdep_assert_not_held(l) lockdep_check_(l, LOCKDEP_NOT_HELD)

#endif
