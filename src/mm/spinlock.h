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
 */
#ifndef MEMHP_MM_SPINLOCK_H
#define MEMHP_MM_SPINLOCK_H

#include <stdatomic.h>
#include <stdbool.h>

typedef struct {
	_Atomic int state;
} spinlock_t;

enum { SPIN_FREE, SPIN_HELD, SPIN_CONTENDED };

static inline void spin_lock_init(spinlock_t *lock)
{
	atomic_init(&lock->state, SPIN_FREE);
}

static inline bool spin_cmpxchg(spinlock_t *lock, int old, int new)
{
	return atomic_compare_exchange_strong_explicit(&lock->state, &old, new,
						       memory_order_acquire, memory_order_relaxed);
}

/* Returns true when the lock was taken. */
static inline bool spin_trylock(spinlock_t *lock)
{
	return spin_cmpxchg(lock, SPIN_FREE, SPIN_HELD);
}

void spin_lock_contended(spinlock_t *lock);
void spin_unlock_wake(spinlock_t *lock);

static inline void spin_lock(spinlock_t *lock)
{
	if (!spin_trylock(lock))
		spin_lock_contended(lock);
}

static inline void spin_unlock(spinlock_t *lock)
{
	if (atomic_exchange_explicit(&lock->state, SPIN_FREE, memory_order_release) ==
	    SPIN_CONTENDED)
		spin_unlock_wake(lock);
}

#endif /* MEMHP_MM_SPINLOCK_H */
