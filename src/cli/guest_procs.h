/* SPDX-License-Identifier: MIT */
/*
 * src/cli/guest_procs.h - the programs `memhp shell` runs, followed as
 * the guest's programs (guest_procs.c).
 */
#ifndef MEMHP_CLI_GUEST_PROCS_H
#define MEMHP_CLI_GUEST_PROCS_H

#include <memhp/memhp.h>

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

struct proc_tracker {
	struct memhp_guest *g;
	pid_t root;
	struct tracked *v;
	size_t nr, cap;
	unsigned long failed_forks; /* the machine had no memory for one */
	pthread_mutex_t list_lock;  /* v, nr, cap, failed_forks */
	pthread_t thread;
	pthread_mutex_t lock; /* stop, with cond */
	pthread_cond_t cond;
	bool stop, running;
};

/* Follow @root and every process below it on a thread of its own, from
 * now on. Returns 0 or -errno (no thread). */
int proc_tracker_start(struct proc_tracker *pt, struct memhp_guest *g, pid_t root);
/* Stop following: every process still tracked exits on the guest's side. */
void proc_tracker_stop(struct proc_tracker *pt);
/* One walk of the tree now (the thread's step; tests call it directly). */
void proc_tracker_poll(struct proc_tracker *pt);
/* Thread @tid is about to make a request of a served file: its process is
 * a program of the guest from now on, if it was not yet. */
void proc_tracker_touch(struct proc_tracker *pt, pid_t tid);

#endif
