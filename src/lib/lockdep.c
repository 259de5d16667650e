// SPDX-License-Identifier: MIT
/*
 * src/lib/lockdep.c - the checks behind lockdep.h's wrappers (debug builds).
 *
 * Each thread keeps, per rank, how many locks of that rank it holds and
 * where it took the last one; a mutex (or an rw_semaphore held for
 * writing) keeps its owner; a thread keeps the rw_semaphores it holds for
 * reading. That is all the order check needs: a rank is a class of locks
 * (every zone->lock is one), as in jemalloc's witness, so the check is a
 * comparison with the highest rank held, however many locks are held (the
 * checker holds every pcp->lock of the machine at once).
 */
#include "lockdep.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const struct {
	const char *name;
	enum lock_rank nest;
} ranks[LOCK_RANK_NR] = { [LOCK_RANK_NONE] = { "a lock without a rank", LOCK_RANK_NONE },
#define LOCK_RANK_ENTRY(id, str, nest) [LOCK_RANK_##id] = { str, LOCK_RANK_##nest },
			  LOCK_RANKS(LOCK_RANK_ENTRY)
#undef LOCK_RANK_ENTRY
};

const char *lock_rank_name(enum lock_rank rank)
{
	return rank < LOCK_RANK_NR ? ranks[rank].name : "?";
}

#ifdef MEMHP_LOCKDEP

/* A held_mask bit per rank. */
_Static_assert(LOCK_RANK_NR <= 64, "lock ranks do not fit the held mask");

/* rw_semaphores one thread may hold for reading at once: the notifier
 * chains nest a few deep. */
#define LOCKDEP_MAX_READ_HELD 16

struct lockdep_task {
	uint64_t held_mask; /* bit r: count[r] != 0 */
	unsigned int count[LOCK_RANK_NR];
	struct {
		const char *file;
		int line;
	} last[LOCK_RANK_NR]; /* where the last lock of each rank was taken */
	struct {
		struct lockdep_map *map;
		bool counted;
	} reads[LOCKDEP_MAX_READ_HELD];
	unsigned int nr_reads;
	int off; /* lockdep_off() depth */
	int tid; /* 0 until asked */
};

static _Thread_local struct lockdep_task current_task;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

/* A child of fork() is another thread: its tid is asked anew. */
static void forget_tid(void)
{
	current_task.tid = 0;
}

static void register_atfork(void)
{
	pthread_atfork(NULL, NULL, forget_tid);
}

static int task_tid(struct lockdep_task *t)
{
	if (!t->tid) {
		pthread_once(&atfork_once, register_atfork);
		t->tid = gettid();
	}
	return t->tid;
}

static void print_held(struct lockdep_task *t)
{
	fprintf(stderr, "  thread %d holds:%s\n", task_tid(t), t->held_mask ? "" : " nothing");
	for (int r = 1; r < LOCK_RANK_NR; r++)
		if (t->count[r])
			fprintf(stderr, "    %s%s (rank %d), the last taken at %s:%d\n",
				ranks[r].name, t->count[r] > 1 ? " (several)" : "", r,
				t->last[r].file, t->last[r].line);
	for (unsigned int i = 0; i < t->nr_reads; i++)
		if (!t->reads[i].counted)
			fprintf(stderr, "    %s for reading (taken with lockdep off)\n",
				ranks[t->reads[i].map->rank].name);
}

static _Noreturn __attribute__((format(printf, 1, 2))) void lockdep_fail(const char *fmt, ...)
{
	struct lockdep_task *t = &current_task;
	va_list ap;

	fprintf(stderr, "memhp: lockdep: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	print_held(t);
	fprintf(stderr, "  (the lock order: LOCK_RANKS in src/lib/lockdep.h)\n");
	fflush(stderr);
	abort();
}

static void check_rank(const struct lockdep_map *map, const char *file, int line)
{
	if (map->rank <= LOCK_RANK_NONE || map->rank >= LOCK_RANK_NR)
		lockdep_fail("a lock without a rank at %s:%d (mutex_init() or init_rwsem() it "
			     "with one)",
			     file, line);
}

static int read_slot(struct lockdep_task *t, const struct lockdep_map *map)
{
	for (int i = (int)t->nr_reads - 1; i >= 0; i--)
		if (t->reads[i].map == map)
			return i;
	return -1;
}

void lockdep_acquire(struct lockdep_map *map, enum lockdep_mode mode, const char *file, int line)
{
	struct lockdep_task *t = &current_task;
	const enum lock_rank r = map->rank;
	uint64_t higher;

	check_rank(map, file, line);
	if (atomic_load_explicit(&map->owner, memory_order_relaxed) == t)
		lockdep_fail("%s taken at %s:%d is held by this thread already", ranks[r].name,
			     file, line);
	if (mode == LOCKDEP_READ && read_slot(t, map) >= 0) {
		/* Holding it for reading already: glibc's rwlocks let readers
		 * in while a writer waits, so this cannot block. */
		return;
	}
	if (mode == LOCKDEP_EXCL && read_slot(t, map) >= 0)
		lockdep_fail("%s taken for writing at %s:%d is held for reading by this thread",
			     ranks[r].name, file, line);
	if (t->off)
		return;
	higher = t->held_mask & ~((UINT64_C(2) << r) - 1);
	if (higher) {
		const int h = 63 - __builtin_clzll(higher);

		lockdep_fail("lock order: %s (rank %d) taken at %s:%d while holding %s (rank %d), "
			     "taken at %s:%d",
			     ranks[r].name, r, file, line, ranks[h].name, h, t->last[h].file,
			     t->last[h].line);
	}
	if (t->count[r] && (ranks[r].nest == LOCK_RANK_NONE || !t->count[ranks[r].nest]))
		lockdep_fail("a second %s taken at %s:%d while holding one, taken at %s:%d%s%s",
			     ranks[r].name, file, line, t->last[r].file, t->last[r].line,
			     ranks[r].nest == LOCK_RANK_NONE ? "" : ", without ",
			     ranks[r].nest == LOCK_RANK_NONE ? "" : ranks[ranks[r].nest].name);
}

void lockdep_acquired(struct lockdep_map *map, enum lockdep_mode mode, const char *file, int line)
{
	struct lockdep_task *t = &current_task;
	const enum lock_rank r = map->rank;
	const bool counted = !t->off;

	check_rank(map, file, line);
	if (mode == LOCKDEP_EXCL) {
		atomic_store_explicit(&map->owner, t, memory_order_relaxed);
		atomic_store_explicit(&map->owner_tid, task_tid(t), memory_order_relaxed);
		map->counted = counted;
	} else {
		if (t->nr_reads == LOCKDEP_MAX_READ_HELD)
			lockdep_fail("%s taken for reading at %s:%d: this thread holds "
				     "LOCKDEP_MAX_READ_HELD (%d) locks for reading already",
				     ranks[r].name, file, line, LOCKDEP_MAX_READ_HELD);
		t->reads[t->nr_reads].map = map;
		t->reads[t->nr_reads].counted = counted;
		t->nr_reads++;
	}
	if (counted) {
		t->count[r]++;
		t->held_mask |= UINT64_C(1) << r;
		t->last[r].file = file;
		t->last[r].line = line;
	}
}

static void describe_owner(const struct lockdep_map *map, char *buf, size_t size)
{
	const int tid = atomic_load_explicit(&map->owner_tid, memory_order_relaxed);

	if (atomic_load_explicit(&map->owner, memory_order_relaxed))
		snprintf(buf, size, "thread %d holds it", tid);
	else
		snprintf(buf, size,
			 map->rw ? "no thread holds it for writing" : "no thread holds it");
}

void lockdep_release(struct lockdep_map *map, const char *file, int line)
{
	struct lockdep_task *t = &current_task;
	const enum lock_rank r = map->rank;
	bool counted;

	check_rank(map, file, line);
	if (atomic_load_explicit(&map->owner, memory_order_relaxed) == t) {
		counted = map->counted;
		atomic_store_explicit(&map->owner, NULL, memory_order_relaxed);
		atomic_store_explicit(&map->owner_tid, 0, memory_order_relaxed);
	} else {
		const int i = read_slot(t, map);
		char who[64];

		if (i < 0) {
			describe_owner(map, who, sizeof(who));
			lockdep_fail("%s unlocked at %s:%d by a thread that does not hold it (%s)",
				     ranks[r].name, file, line, who);
		}
		counted = t->reads[i].counted;
		t->nr_reads--;
		for (unsigned int j = (unsigned int)i; j < t->nr_reads; j++)
			t->reads[j] = t->reads[j + 1];
	}
	if (counted && !--t->count[r])
		t->held_mask &= ~(UINT64_C(1) << r);
}

void lockdep_destroy(struct lockdep_map *map, const char *file, int line)
{
	struct lockdep_task *t = &current_task;

	check_rank(map, file, line);
	if (atomic_load_explicit(&map->owner, memory_order_relaxed) || read_slot(t, map) >= 0) {
		char who[64];

		describe_owner(map, who, sizeof(who));
		lockdep_fail("%s destroyed at %s:%d while held (%s)", ranks[map->rank].name, file,
			     line, who);
	}
}

void lockdep_check_held(const struct lockdep_map *map, enum lockdep_want want, const char *file,
			int line, const char *func)
{
	struct lockdep_task *t = &current_task;
	const bool writer = atomic_load_explicit(&map->owner, memory_order_relaxed) == t;
	const bool reader = read_slot(t, map) >= 0;
	static const char *const wanted[] = {
		[LOCKDEP_HELD] = "held",
		[LOCKDEP_HELD_WRITE] = "held for writing",
		[LOCKDEP_HELD_READ] = "held for reading",
		[LOCKDEP_NOT_HELD] = "not held",
	};
	bool ok;
	char who[64];

	check_rank(map, file, line);
	switch (want) {
	case LOCKDEP_HELD:
		ok = writer || reader;
		break;
	case LOCKDEP_HELD_WRITE:
		ok = writer;
		break;
	case LOCKDEP_HELD_READ:
		ok = reader;
		break;
	default:
		ok = !writer && !reader;
		break;
	}
	if (ok)
		return;
	describe_owner(map, who, sizeof(who));
	lockdep_fail("%s() at %s:%d needs %s %s by this thread (%s)", func, file, line,
		     ranks[map->rank].name, wanted[want], who);
}

void lockdep_off(void)
{
	current_task.off++;
}

void lockdep_on(void)
{
	current_task.off--;
}

#endif
