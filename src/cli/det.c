// SPDX-License-Identifier: MIT
/*
 * det.c - a deterministic scheduler for memhp's threads, in the manner of
 * FoundationDB's simulation and the Rust crate shuttle: the real threads
 * stay (the code under test is unchanged), but a baton decides which one
 * runs; every other thread of the world waits on its own condition
 * variable. At each scheduling point the running thread draws from the
 * seed whether to go on or to hand the baton to another runnable thread,
 * chosen at random too. A thread that would block (a lock another thread
 * holds, a condition not yet signalled, a thread not yet exited) marks
 * itself blocked on that object and hands the baton on; unlocking,
 * signalling and exiting make the threads blocked on the object runnable
 * again. When nobody can run, the virtual clock jumps to the earliest
 * timed wait (FoundationDB's simulated time); when nobody can run and
 * nobody waits for a time, the program is deadlocked, and says so.
 *
 * The pthread calls and clock_gettime() reach this file through the
 * linker's --wrap (Makefile: DET_WRAP), so neither the core nor the
 * drivers change; the core's refcount operations and allocations call
 * the library's scheduling hook (memhp_set_sched_hook()).
 */
#include "det.h"

#include <errno.h>
#include <memhp/machine.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Threads one deterministic world may have had, exited ones included. */
#define DET_MAX_THREADS 256
/* A scheduling point hands the baton on with probability 1/this. Every
 * point switching would cost a real context switch each; seldom ones
 * would hide short races. */
#define DET_SWITCH_ONE_IN 8
/* Virtual time per scheduling point, and where the clocks start: a fixed
 * epoch, so that printed times repeat. */
#define DET_TICK_NS 100ULL
#define DET_MONO_BASE_NS (1000ULL * 1000000000ULL)
#define DET_REAL_BASE_NS (1700000000ULL * 1000000000ULL)
#define DET_NS_PER_S 1000000000ULL

int __real_pthread_mutex_lock(pthread_mutex_t *m);
int __real_pthread_mutex_trylock(pthread_mutex_t *m);
int __real_pthread_mutex_unlock(pthread_mutex_t *m);
int __real_pthread_rwlock_rdlock(pthread_rwlock_t *l);
int __real_pthread_rwlock_wrlock(pthread_rwlock_t *l);
int __real_pthread_rwlock_tryrdlock(pthread_rwlock_t *l);
int __real_pthread_rwlock_trywrlock(pthread_rwlock_t *l);
int __real_pthread_rwlock_unlock(pthread_rwlock_t *l);
int __real_pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m);
int __real_pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
				  const struct timespec *abstime);
int __real_pthread_cond_signal(pthread_cond_t *c);
int __real_pthread_cond_broadcast(pthread_cond_t *c);
int __real_pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg);
int __real_pthread_join(pthread_t t, void **ret);
int __real_sched_yield(void);
int __real_clock_gettime(clockid_t clk, struct timespec *ts);

/* The wrappers, as the linker names them. */
int __wrap_pthread_mutex_lock(pthread_mutex_t *m);
int __wrap_pthread_mutex_trylock(pthread_mutex_t *m);
int __wrap_pthread_mutex_unlock(pthread_mutex_t *m);
int __wrap_pthread_rwlock_rdlock(pthread_rwlock_t *l);
int __wrap_pthread_rwlock_wrlock(pthread_rwlock_t *l);
int __wrap_pthread_rwlock_tryrdlock(pthread_rwlock_t *l);
int __wrap_pthread_rwlock_trywrlock(pthread_rwlock_t *l);
int __wrap_pthread_rwlock_unlock(pthread_rwlock_t *l);
int __wrap_pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m);
int __wrap_pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
				  const struct timespec *abstime);
int __wrap_pthread_cond_signal(pthread_cond_t *c);
int __wrap_pthread_cond_broadcast(pthread_cond_t *c);
int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg);
int __wrap_pthread_join(pthread_t t, void **ret);
int __wrap_sched_yield(void);
int __wrap_clock_gettime(clockid_t clk, struct timespec *ts);

enum dt_state { DT_RUNNABLE, DT_BLOCKED, DT_EXITED };

struct dthread {
	int id; /* creation order: the same in every run of a seed */
	enum dt_state state;
	const void *wait;  /* what it is blocked on */
	uint64_t wake_at;  /* a timed wait's deadline (virtual ns), or 0 */
	bool timed_out;	   /* woken by the clock, not by a signal */
	pthread_cond_t go; /* it runs once the baton is its */
	pthread_t tid;
	void *(*fn)(void *);
	void *arg;
};

/* Everything below is under det_lock, a real mutex. */
static pthread_mutex_t det_lock = PTHREAD_MUTEX_INITIALIZER;
static struct dthread *threads[DET_MAX_THREADS];
static int nr_threads;
static struct dthread *baton; /* the thread that runs */
static uint64_t rng;
static unsigned long nr_points, nr_switches;
static _Atomic bool det_on;
static _Atomic uint64_t vclock; /* virtual ns since the epoch */
static _Thread_local struct dthread *self;

bool det_active(void)
{
	return atomic_load_explicit(&det_on, memory_order_relaxed) && self;
}

static uint64_t next_random(void)
{
	uint64_t x = rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static _Noreturn void deadlock(void)
{
	fprintf(stderr, "memhp: deterministic scheduler: every thread is blocked (a deadlock "
			"of the program under test):\n");
	for (int i = 0; i < nr_threads; i++)
		fprintf(stderr, "  thread %d: %s%s\n", i,
			threads[i]->state == DT_EXITED	   ? "exited"
			: threads[i]->state == DT_RUNNABLE ? "runnable"
							   : "blocked",
			threads[i] == self ? " (this one)" : "");
	abort();
}

/*
 * Who runs next. @stay_ok: the caller may go on (it is runnable). Threads
 * are looked at in creation order, so that only the seed decides.
 */
static struct dthread *pick(bool stay_ok)
{
	struct dthread *runnable[DET_MAX_THREADS], *timed = NULL;
	const uint64_t now = atomic_load(&vclock);
	int n = 0;

	if (stay_ok && next_random() % DET_SWITCH_ONE_IN)
		return self;
	for (int i = 0; i < nr_threads; i++) {
		struct dthread *d = threads[i];

		/* A timed wait whose time has come while others ran is over, as
		 * a timer fires on a busy machine: a thread that holds something
		 * for a while, or a watchdog, must not wait until all else
		 * blocks. */
		if (d->state == DT_BLOCKED && d->wake_at && d->wake_at <= now) {
			d->state = DT_RUNNABLE;
			d->timed_out = true;
			d->wait = NULL;
			d->wake_at = 0;
		}
		if (d->state == DT_RUNNABLE && (d != self || stay_ok))
			runnable[n++] = d;
		else if (d->state == DT_BLOCKED && d->wake_at &&
			 (!timed || d->wake_at < timed->wake_at))
			timed = d;
	}
	if (n)
		return runnable[next_random() % (uint64_t)n];
	if (!timed)
		deadlock();
	/* Nobody can run: time passes until the first deadline. */
	if (timed->wake_at > atomic_load(&vclock))
		atomic_store(&vclock, timed->wake_at);
	timed->state = DT_RUNNABLE;
	timed->timed_out = true;
	timed->wait = NULL;
	timed->wake_at = 0;
	return timed;
}

/* Hand the baton to @next and wait until it comes back. */
static void switch_to(struct dthread *next)
{
	if (next == self)
		return;
	nr_switches++;
	baton = next;
	__real_pthread_cond_signal(&next->go);
	while (baton != self)
		__real_pthread_cond_wait(&self->go, &det_lock);
}

static void det_point(void)
{
	if (!det_active())
		return;
	__real_pthread_mutex_lock(&det_lock);
	nr_points++;
	atomic_fetch_add(&vclock, DET_TICK_NS);
	switch_to(pick(true));
	__real_pthread_mutex_unlock(&det_lock);
}

/* Block on @obj until woken (or until @wake_at, virtual ns, if not 0).
 * Caller holds det_lock. */
static void block_on(const void *obj, uint64_t wake_at)
{
	self->state = DT_BLOCKED;
	self->wait = obj;
	self->wake_at = wake_at;
	self->timed_out = false;
	switch_to(pick(false));
}

/* Make the threads blocked on @obj runnable: the first one, or all. */
static void wake(const void *obj, bool all)
{
	for (int i = 0; i < nr_threads; i++) {
		struct dthread *d = threads[i];

		if (d->state != DT_BLOCKED || d->wait != obj)
			continue;
		d->state = DT_RUNNABLE;
		d->wait = NULL;
		d->wake_at = 0;
		if (!all)
			break;
	}
}

static void wake_locked(const void *obj, bool all)
{
	__real_pthread_mutex_lock(&det_lock);
	wake(obj, all);
	__real_pthread_mutex_unlock(&det_lock);
}

/* Wait until @obj is released: try, and block on it while it is taken.
 * Nobody else runs between the try and the block, so no wake-up is lost. */
static int acquire(const void *obj, int (*try)(void *), void *arg)
{
	det_point();
	for (;;) {
		int rc = try(arg);

		if (rc != EBUSY)
			return rc;
		__real_pthread_mutex_lock(&det_lock);
		block_on(obj, 0);
		__real_pthread_mutex_unlock(&det_lock);
	}
}

static int try_mutex(void *m)
{
	return __real_pthread_mutex_trylock(m);
}

static int try_rd(void *l)
{
	return __real_pthread_rwlock_tryrdlock(l);
}

static int try_wr(void *l)
{
	return __real_pthread_rwlock_trywrlock(l);
}

int __wrap_pthread_mutex_lock(pthread_mutex_t *m)
{
	if (__builtin_expect(!det_active(), 1))
		return __real_pthread_mutex_lock(m);
	return acquire(m, try_mutex, m);
}

int __wrap_pthread_mutex_trylock(pthread_mutex_t *m)
{
	det_point();
	return __real_pthread_mutex_trylock(m);
}

int __wrap_pthread_mutex_unlock(pthread_mutex_t *m)
{
	int rc = __real_pthread_mutex_unlock(m);

	if (__builtin_expect(det_active(), 0))
		wake_locked(m, true);
	return rc;
}

int __wrap_pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
	if (__builtin_expect(!det_active(), 1))
		return __real_pthread_rwlock_rdlock(l);
	return acquire(l, try_rd, l);
}

int __wrap_pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
	if (__builtin_expect(!det_active(), 1))
		return __real_pthread_rwlock_wrlock(l);
	return acquire(l, try_wr, l);
}

int __wrap_pthread_rwlock_tryrdlock(pthread_rwlock_t *l)
{
	det_point();
	return __real_pthread_rwlock_tryrdlock(l);
}

int __wrap_pthread_rwlock_trywrlock(pthread_rwlock_t *l)
{
	det_point();
	return __real_pthread_rwlock_trywrlock(l);
}

int __wrap_pthread_rwlock_unlock(pthread_rwlock_t *l)
{
	int rc = __real_pthread_rwlock_unlock(l);

	if (__builtin_expect(det_active(), 0))
		wake_locked(l, true);
	return rc;
}

static uint64_t timespec_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * DET_NS_PER_S + (uint64_t)ts->tv_nsec;
}

/* A condition wait: give the mutex up and block on the condition, as one
 * step (nobody else runs in between); then take the mutex again. */
static int cond_wait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *abstime)
{
	uint64_t wake_at = 0;
	bool timed_out;

	if (abstime) {
		uint64_t ns = timespec_ns(abstime);

		/* Either clock: the realtime one's epoch is far above. */
		ns -= ns >= DET_REAL_BASE_NS ? DET_REAL_BASE_NS : DET_MONO_BASE_NS;
		wake_at = ns > atomic_load(&vclock) ? ns : atomic_load(&vclock) + DET_TICK_NS;
	}
	__wrap_pthread_mutex_unlock(m);
	__real_pthread_mutex_lock(&det_lock);
	block_on(c, wake_at);
	timed_out = self->timed_out;
	__real_pthread_mutex_unlock(&det_lock);
	__wrap_pthread_mutex_lock(m);
	return timed_out ? ETIMEDOUT : 0;
}

int __wrap_pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
	if (__builtin_expect(!det_active(), 1))
		return __real_pthread_cond_wait(c, m);
	return cond_wait(c, m, NULL);
}

int __wrap_pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
				  const struct timespec *abstime)
{
	if (__builtin_expect(!det_active(), 1))
		return __real_pthread_cond_timedwait(c, m, abstime);
	return cond_wait(c, m, abstime);
}

int __wrap_pthread_cond_signal(pthread_cond_t *c)
{
	if (__builtin_expect(det_active(), 0))
		wake_locked(c, false);
	return __real_pthread_cond_signal(c);
}

int __wrap_pthread_cond_broadcast(pthread_cond_t *c)
{
	if (__builtin_expect(det_active(), 0))
		wake_locked(c, true);
	return __real_pthread_cond_broadcast(c);
}

static void *trampoline(void *arg)
{
	struct dthread *d = arg;
	void *ret;

	self = d;
	__real_pthread_mutex_lock(&det_lock);
	while (baton != d)
		__real_pthread_cond_wait(&d->go, &det_lock);
	__real_pthread_mutex_unlock(&det_lock);

	ret = d->fn(d->arg);

	__real_pthread_mutex_lock(&det_lock);
	d->state = DT_EXITED;
	wake(d, true);
	/* Hand the baton on and go, without waiting for it. */
	baton = pick(false);
	nr_switches++;
	__real_pthread_cond_signal(&baton->go);
	__real_pthread_mutex_unlock(&det_lock);
	self = NULL;
	return ret;
}

int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
	struct dthread *d;
	int rc;

	if (__builtin_expect(!det_active(), 1))
		return __real_pthread_create(t, attr, fn, arg);
	d = calloc(1, sizeof(*d));
	if (!d)
		return EAGAIN;
	d->fn = fn;
	d->arg = arg;
	d->state = DT_RUNNABLE;
	pthread_cond_init(&d->go, NULL);
	__real_pthread_mutex_lock(&det_lock);
	if (nr_threads == DET_MAX_THREADS) {
		__real_pthread_mutex_unlock(&det_lock);
		free(d);
		return EAGAIN;
	}
	d->id = nr_threads;
	threads[nr_threads++] = d;
	__real_pthread_mutex_unlock(&det_lock);
	/* It waits for the baton before it runs: until then only its
	 * creator, which holds it, goes on. */
	rc = __real_pthread_create(t, attr, trampoline, d);
	if (rc) {
		d->state = DT_EXITED;
		return rc;
	}
	d->tid = *t;
	det_point();
	return 0;
}

int __wrap_pthread_join(pthread_t t, void **ret)
{
	if (__builtin_expect(det_active(), 0)) {
		struct dthread *d = NULL;

		__real_pthread_mutex_lock(&det_lock);
		/* The newest first: an exited thread's id may be reused. */
		for (int i = nr_threads - 1; i >= 0 && !d; i--)
			if (pthread_equal(threads[i]->tid, t))
				d = threads[i];
		while (d && d->state != DT_EXITED)
			block_on(d, 0);
		__real_pthread_mutex_unlock(&det_lock);
	}
	return __real_pthread_join(t, ret);
}

int __wrap_sched_yield(void)
{
	if (__builtin_expect(!det_active(), 1))
		return __real_sched_yield();
	det_point();
	return 0;
}

int __wrap_clock_gettime(clockid_t clk, struct timespec *ts)
{
	uint64_t ns;

	if (__builtin_expect(!atomic_load_explicit(&det_on, memory_order_relaxed), 1) ||
	    (clk != CLOCK_MONOTONIC && clk != CLOCK_REALTIME && clk != CLOCK_MONOTONIC_RAW &&
	     clk != CLOCK_MONOTONIC_COARSE && clk != CLOCK_REALTIME_COARSE &&
	     clk != CLOCK_BOOTTIME))
		return __real_clock_gettime(clk, ts);
	ns = atomic_load(&vclock) + (clk == CLOCK_REALTIME || clk == CLOCK_REALTIME_COARSE
					     ? DET_REAL_BASE_NS
					     : DET_MONO_BASE_NS);
	ts->tv_sec = (time_t)(ns / DET_NS_PER_S);
	ts->tv_nsec = (long)(ns % DET_NS_PER_S);
	return 0;
}

int det_start(uint64_t seed)
{
	struct dthread *d;

	if (atomic_load(&det_on))
		return -EALREADY;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	pthread_cond_init(&d->go, NULL);
	d->tid = pthread_self();
	d->state = DT_RUNNABLE;
	__real_pthread_mutex_lock(&det_lock);
	rng = seed * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL;
	if (!rng)
		rng = 1;
	nr_points = nr_switches = 0;
	nr_threads = 0;
	threads[nr_threads++] = d;
	baton = d;
	atomic_store(&vclock, 0);
	__real_pthread_mutex_unlock(&det_lock);
	self = d;
	atomic_store(&det_on, true);
	memhp_set_sched_hook(det_point);
	return 0;
}

void det_stop(struct det_stats *st)
{
	memhp_set_sched_hook(NULL);
	atomic_store(&det_on, false);
	__real_pthread_mutex_lock(&det_lock);
	if (st) {
		st->points = nr_points;
		st->switches = nr_switches;
		st->threads = (unsigned int)nr_threads;
	}
	for (int i = 0; i < nr_threads; i++) {
		pthread_cond_destroy(&threads[i]->go);
		free(threads[i]);
	}
	nr_threads = 0;
	baton = NULL;
	__real_pthread_mutex_unlock(&det_lock);
	self = NULL;
}
