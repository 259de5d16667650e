// SPDX-License-Identifier: MIT
/*
 * test_lockdep.c - the lock checks of debug builds (src/lib/lockdep.h).
 *
 * Each rule is broken in a child process, which must die of SIGABRT with
 * a message naming the locks; the same steps done right must not. A
 * release build has no checks: these tests skip there, and make check
 * runs them from its debug build.
 */
#include "harness.h"

#include "../src/mm/internal.h"

#include <signal.h>
#include <sys/wait.h>

#define B0 0

struct breaker {
	void (*fn)(struct memhp_machine *);
	struct memhp_machine *m;
};

static int break_rule(void *arg)
{
	const struct breaker *b = arg;

	b->fn(b->m);
	return 0;
}

/*
 * Run @fn(@m) in a child process and wait for it (tm_run_child()): the
 * child has only this thread, so nothing else of the machine runs while
 * it breaks a rule. Return: 0, or -errno if the child could not be started
 * or waited for.
 */
static int death(void (*fn)(struct memhp_machine *), struct memhp_machine *m, struct tm_child *d)
{
	struct breaker b = { fn, m };

	return tm_run_child(break_rule, &b, d);
}

static bool aborted(const struct tm_child *d)
{
	return WIFSIGNALED(d->status) && WTERMSIG(d->status) == SIGABRT;
}

static bool exited_ok(const struct tm_child *d)
{
	return WIFEXITED(d->status) && WEXITSTATUS(d->status) == 0;
}

/* device_online() on an online block: nothing to do, but only under the
 * device hotplug lock. */
static void online_again_unlocked(struct memhp_machine *m)
{
	device_online(m, find_memory_block_by_id(m, B0));
}

static void online_again_locked(struct memhp_machine *m)
{
	memhp_lock_device_hotplug(m);
	device_online(m, find_memory_block_by_id(m, B0));
	memhp_unlock_device_hotplug(m);
}

static void a_function_called_without_the_lock_it_asserts_aborts(void)
{
	struct memhp_machine *m;
	struct tm_child d;

	if (!LOCKDEP_ENABLED)
		SKIP("lockdep is off in this build (make DEBUG=1 has it)");
	m = tm_create(NULL);
	ASSERT_TRUE(m);
	ASSERT_TRUE(find_memory_block_by_id(m, B0), "memory%d, a boot block", B0);

	ASSERT_OK(death(online_again_unlocked, m, &d));
	ASSERT_TRUE(aborted(&d), "status %#x, output: %s", d.status, d.out);
	ASSERT_TRUE(strstr(d.out, "device_hotplug_lock"), "output: %s", d.out);
	ASSERT_TRUE(strstr(d.out, "device_online"), "output: %s", d.out);

	ASSERT_OK(death(online_again_locked, m, &d));
	ASSERT_TRUE(exited_ok(&d), "status %#x, output: %s", d.status, d.out);
}

/* free_pcppages_bulk() takes zone->lock inside pcp->lock; the other way
 * round, two CPUs could each hold the lock the other waits for. */
static void pcp_lock_inside_zone_lock(struct memhp_machine *m)
{
	struct zone *zone = &m->node.node_zones[MEMHP_ZONE_NORMAL];

	pthread_mutex_lock(&zone->lock);
	spin_lock(&zone->per_cpu_pageset[0].lock);
	spin_unlock(&zone->per_cpu_pageset[0].lock);
	pthread_mutex_unlock(&zone->lock);
}

static void zone_lock_inside_pcp_lock(struct memhp_machine *m)
{
	struct zone *zone = &m->node.node_zones[MEMHP_ZONE_NORMAL];

	spin_lock(&zone->per_cpu_pageset[0].lock);
	pthread_mutex_lock(&zone->lock);
	pthread_mutex_unlock(&zone->lock);
	spin_unlock(&zone->per_cpu_pageset[0].lock);
}

static void taking_locks_against_their_rank_aborts_naming_both(void)
{
	struct memhp_machine *m;
	struct tm_child d;

	if (!LOCKDEP_ENABLED)
		SKIP("lockdep is off in this build (make DEBUG=1 has it)");
	m = tm_create(NULL);
	ASSERT_TRUE(m);

	ASSERT_OK(death(pcp_lock_inside_zone_lock, m, &d));
	ASSERT_TRUE(aborted(&d), "status %#x, output: %s", d.status, d.out);
	ASSERT_TRUE(strstr(d.out, "lock order: pcp->lock"), "output: %s", d.out);
	ASSERT_TRUE(strstr(d.out, "while holding zone->lock"), "output: %s", d.out);

	ASSERT_OK(death(zone_lock_inside_pcp_lock, m, &d));
	ASSERT_TRUE(exited_ok(&d), "status %#x, output: %s", d.status, d.out);
}

/* Two zone locks at once: only the checker does it, under
 * mem_hotplug_lock held for writing, so no two threads can. */
static void two_zone_locks(struct memhp_machine *m)
{
	pthread_mutex_lock(&m->node.node_zones[MEMHP_ZONE_DMA32].lock);
	pthread_mutex_lock(&m->node.node_zones[MEMHP_ZONE_NORMAL].lock);
	pthread_mutex_unlock(&m->node.node_zones[MEMHP_ZONE_NORMAL].lock);
	pthread_mutex_unlock(&m->node.node_zones[MEMHP_ZONE_DMA32].lock);
}

static void two_zone_locks_under_mem_hotplug_lock(struct memhp_machine *m)
{
	pthread_rwlock_wrlock(&m->mem_hotplug_lock);
	two_zone_locks(m);
	pthread_rwlock_unlock(&m->mem_hotplug_lock);
}

static void two_locks_of_one_rank_need_its_nest_lock(void)
{
	struct memhp_machine *m;
	struct tm_child d;

	if (!LOCKDEP_ENABLED)
		SKIP("lockdep is off in this build (make DEBUG=1 has it)");
	m = tm_create(NULL);
	ASSERT_TRUE(m);

	ASSERT_OK(death(two_zone_locks, m, &d));
	ASSERT_TRUE(aborted(&d), "status %#x, output: %s", d.status, d.out);
	ASSERT_TRUE(strstr(d.out, "a second zone->lock"), "output: %s", d.out);
	ASSERT_TRUE(strstr(d.out, "without mem_hotplug_lock"), "output: %s", d.out);

	ASSERT_OK(death(two_zone_locks_under_mem_hotplug_lock, m, &d));
	ASSERT_TRUE(exited_ok(&d), "status %#x, output: %s", d.status, d.out);
}

static void unlock_twice(struct memhp_machine *m)
{
	pthread_mutex_lock(&m->resource_lock);
	pthread_mutex_unlock(&m->resource_lock);
	pthread_mutex_unlock(&m->resource_lock);
}

static void lock_twice(struct memhp_machine *m)
{
	pthread_mutex_lock(&m->resource_lock);
	pthread_mutex_lock(&m->resource_lock);
}

static void unlocking_or_relocking_a_mutex_aborts_instead_of_undefined_behaviour(void)
{
	struct memhp_machine *m;
	struct tm_child d;

	if (!LOCKDEP_ENABLED)
		SKIP("lockdep is off in this build (make DEBUG=1 has it)");
	m = tm_create(NULL);
	ASSERT_TRUE(m);

	ASSERT_OK(death(unlock_twice, m, &d));
	ASSERT_TRUE(aborted(&d), "status %#x, output: %s", d.status, d.out);
	ASSERT_TRUE(strstr(d.out, "resource_lock unlocked at"), "output: %s", d.out);

	/* Without lockdep this one would hang: the default mutex deadlocks. */
	ASSERT_OK(death(lock_twice, m, &d));
	ASSERT_TRUE(aborted(&d), "status %#x, output: %s", d.status, d.out);
	ASSERT_TRUE(strstr(d.out, "held by this thread already"), "output: %s", d.out);
}

RUN_TESTS(T(a_function_called_without_the_lock_it_asserts_aborts),
	  T(taking_locks_against_their_rank_aborts_naming_both),
	  T(two_locks_of_one_rank_need_its_nest_lock),
	  T(unlocking_or_relocking_a_mutex_aborts_instead_of_undefined_behaviour))
