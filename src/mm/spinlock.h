/* SPDX-License-Identifier: MIT */
/*
 * spinlock.h - the lock behind 6.1's spinlock_t where memhp needs more of
 * them held at once than a pthread mutex allows under ThreadSanitizer.
 *
 * The checker freezes every per-cpu list of every zone (one pcp->lock per
 * zone per CPU, 8 nodes x 8 CPUs is hundreds) while it compares them with
 * the memmap. TSan's deadlock detector tracks at most 64 mutexes held by
 * one thread and aborts past that; a lock made of C11 atomics is not one
 * of its mutexes, yet still orders memory for its race detector (acquire
 * on lock, release on unlock), so races under it are still found.
 *
 * A waiter sleeps on a futex rather than spinning: the checker can hold
 * these for milliseconds, and these machines have two cores. The three
 * states are Drepper's ("Futexes Are Tricky"): 0 free, 1 held, 2 held
 * with waiters. Under a scheduling hook (the deterministic scheduler of
 * `memhp run --deterministic`, which only sees pthread calls) a waiter
 * yields instead, so that the baton goes to the holder.
 *
 * Lockdep (src/lib/lockdep.h) checks these as it checks the mutexes: each
 * has a rank, the checker takes them all under the PCP rank's nest lock.
 */
#ifndef MEMHP_MM_SPINLOCK_H
#define MEMHP_MM_SPINLOCK_H

#include "../lib/lockdep.h"

#include <stdatomic.h>
#include <stdbool.h>

typedef struct spinlock {
	_Atomic int state;
#ifdef MEMHP_LOCKDEP
	struct lockdep_map dep_map;
#endif
} spinlock_t;

enum { SPIN_FREE, SPIN_HELD, SPIN_CONTENDED };

static inline void spin_lock_init(spinlock_t *lock, enum lock_rank rank)
{
	atomic_init(&lock->state, SPIN_FREE);
#ifdef MEMHP_LOCKDEP
	lock->dep_map = (struct lockdep_map){ .rank = rank };
#else
	(void)rank;
#endif
}

static inline bool spin_cmpxchg(spinlock_t *lock, int old, int new)
{
	return atomic_compare_exchange_strong_explicit(&lock->state, &old, new,
						       memory_order_acquire, memory_order_relaxed);
}

void spin_lock_contended(spinlock_t *lock);
void spin_unlock_wake(spinlock_t *lock);

/* Returns true when the lock was taken. */
static inline bool spin_trylock_at(spinlock_t *lock, const char *file, int line)
{
	bool taken = spin_cmpxchg(lock, SPIN_FREE, SPIN_HELD);

	if (taken)
		LOCKDEP_CALL(lockdep_acquired(&lock->dep_map, LOCKDEP_EXCL, file, line));
	(void)file, (void)line;
	return taken;
}

static inline void spin_lock_at(spinlock_t *lock, const char *file, int line)
{
	LOCKDEP_CALL(lockdep_acquire(&lock->dep_map, LOCKDEP_EXCL, file, line));
	if (!spin_cmpxchg(lock, SPIN_FREE, SPIN_HELD))
		spin_lock_contended(lock);
	LOCKDEP_CALL(lockdep_acquired(&lock->dep_map, LOCKDEP_EXCL, file, line));
	(void)file, (void)line;
}

static inline void spin_unlock_at(spinlock_t *lock, const char *file, int line)
{
	LOCKDEP_CALL(lockdep_release(&lock->dep_map, file, line));
	(void)file, (void)line;
	if (atomic_exchange_explicit(&lock->state, SPIN_FREE, memory_order_release) ==
	    SPIN_CONTENDED)
		spin_unlock_wake(lock);
}

#define spin_trylock(l) spin_trylock_at((l), __FILE__, __LINE__)
#define spin_lock(l) spin_lock_at((l), __FILE__, __LINE__)
#define spin_unlock(l) spin_unlock_at((l), __FILE__, __LINE__)

#endif /* MEMHP_MM_SPINLOCK_H */
