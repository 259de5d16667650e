// SPDX-License-Identifier: MIT
/*
 * spinlock.c - the slow paths of spinlock.h: sleeping on the lock's word,
 * and waking a sleeper.
 */
#include "internal.h"

#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

void spin_lock_contended(spinlock_t *lock)
{
	if (atomic_load_explicit(&mhp_sched_hook, memory_order_relaxed)) {
		while (!spin_cmpxchg(lock, SPIN_FREE, SPIN_HELD))
			sched_yield();
		return;
	}
	/* From here on the lock is marked contended, so its unlock wakes us. */
	while (atomic_exchange_explicit(&lock->state, SPIN_CONTENDED, memory_order_acquire) !=
	       SPIN_FREE)
		syscall(SYS_futex, &lock->state, FUTEX_WAIT_PRIVATE, SPIN_CONTENDED, NULL, NULL, 0);
}

void spin_unlock_wake(spinlock_t *lock)
{
	syscall(SYS_futex, &lock->state, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}
