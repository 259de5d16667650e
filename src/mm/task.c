// SPDX-License-Identifier: MIT
/*
 * task.c - the calling thread as a task: the signal a ^C (or a test)
 * raises, which offline_pages() and the waits it may block in check.
 */
#include "internal.h"

struct memhp_task {
	_Atomic bool signal_pending;
};

static _Thread_local struct memhp_task current_task;

struct memhp_task *memhp_current_task(void)
{
	return &current_task;
}

void memhp_task_signal(struct memhp_task *task)
{
	atomic_store(&task->signal_pending, true);
}

void memhp_task_clear_signal(struct memhp_task *task)
{
	atomic_store(&task->signal_pending, false);
}

bool memhp_signal_pending(void)
{
	return atomic_load_explicit(&current_task.signal_pending, memory_order_relaxed);
}
