// SPDX-License-Identifier: MIT
/*
 * guest_procs.c - the programs `memhp shell` runs are the guest's programs:
 * each one, while it lives, holds what a Linux process holds in its kernel
 * (memhp_guest_fork(): a task_struct and the rest of its slab, a kernel
 * stack per thread, its page tables), and gives it back when it exits.
 *
 * They are host processes, so the tracker polls: every PROC_POLL_MS it
 * walks the command's process tree through /proc/PID/task/TID/children
 * and forks or exits the guest's side of every process that appeared or
 * went. A program that opens or writes a served file is forked at once,
 * before its request is served (proc_tracker_touch()): so the program
 * that writes "offline" has its page tables in the guest when the offline
 * runs, as in Linux. A program shorter than a poll that touches no served
 * file may be missed: docs/semantics.md says so. Its page tables are its own, in the host: VmPTE is a fair measure
 * of what the same program needs in a guest.
 */
#include "guest_procs.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* How often the process tree is walked. */
#define PROC_POLL_MS 20
/* Deeper trees than this are cut (a fork bomb is no reason to recurse
 * without end). */
#define PROC_MAX_DEPTH 64
#define PROC_PATH_MAX 64
#define PROC_LINE_MAX 512

struct tracked {
	pid_t pid;
	unsigned long long starttime; /* with pid, names one process */
	struct memhp_guest_task *task;
	bool seen;
};

/* Field 22 of /proc/PID/stat, after the command name in parentheses,
 * which may hold anything. */
static bool read_starttime(pid_t pid, unsigned long long *out)
{
	char path[PROC_PATH_MAX], line[PROC_LINE_MAX];
	const char *p;
	FILE *f;
	int field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	p = fgets(line, sizeof(line), f);
	fclose(f);
	if (!p || !(p = strrchr(line, ')')))
		return false;
	/* ") S ppid ...": field 3 is the state, right after the ')'. */
	for (field = 2; *p && field < 22; p++)
		if (*p == ' ')
			field++;
	return sscanf(p, "%llu", out) == 1;
}

/* Threads, VmPTE and RssAnon (kB) from /proc/PID/status. */
static void read_status(pid_t pid, unsigned int *threads, unsigned long *pte_kb,
			unsigned long *anon_kb)
{
	char path[PROC_PATH_MAX], line[PROC_LINE_MAX];
	FILE *f;

	*threads = 1;
	*pte_kb = *anon_kb = 0;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Threads:", 8))
			*threads = (unsigned int)strtoul(line + 8, NULL, 10);
		else if (!strncmp(line, "VmPTE:", 6))
			*pte_kb = strtoul(line + 6, NULL, 10);
		else if (!strncmp(line, "RssAnon:", 8))
			*anon_kb = strtoul(line + 8, NULL, 10);
	}
	fclose(f);
}

static struct tracked *find(struct proc_tracker *pt, pid_t pid)
{
	for (size_t i = 0; i < pt->nr; i++)
		if (pt->v[i].pid == pid)
			return &pt->v[i];
	return NULL;
}

/* A process of the tree: fork its guest side if it is new. */
static void visit(struct proc_tracker *pt, pid_t pid)
{
	unsigned long long start;
	struct tracked *t;
	unsigned int threads;
	unsigned long pte_kb, anon_kb;

	if (!read_starttime(pid, &start))
		return;
	t = find(pt, pid);
	if (t && t->starttime == start) {
		t->seen = true;
		return;
	}
	if (t) {
		/* The pid was reused since the last walk. */
		memhp_guest_exit(t->task);
	} else {
		if (pt->nr == pt->cap) {
			size_t cap = pt->cap ? pt->cap * 2 : 64;
			struct tracked *n = realloc(pt->v, cap * sizeof(*n));

			if (!n)
				return;
			pt->v = n;
			pt->cap = cap;
		}
		t = &pt->v[pt->nr++];
	}
	read_status(pid, &threads, &pte_kb, &anon_kb);
	*t = (struct tracked){ .pid = pid, .starttime = start, .seen = true };
	/* VmPTE counts the PUD page too, which the fork makes anyway. */
	t->task = memhp_guest_fork(pt->g, threads,
				   pte_kb * 1024 / MEMHP_PAGE_SIZE -
					   (pte_kb * 1024 >= 2 * MEMHP_PAGE_SIZE),
				   anon_kb * 1024 / MEMHP_PAGE_SIZE);
	if (!t->task)
		pt->failed_forks++;
}

static void walk(struct proc_tracker *pt, pid_t pid, int depth)
{
	char path[PROC_PATH_MAX];
	struct dirent *de;
	DIR *tasks;

	visit(pt, pid);
	if (depth >= PROC_MAX_DEPTH)
		return;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	tasks = opendir(path);
	if (!tasks)
		return;
	/* Children hang off the thread that forked them. */
	while ((de = readdir(tasks))) {
		char cpath[PROC_PATH_MAX * 2];
		FILE *f;
		int child;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		/* A tid has at most 10 digits. */
		snprintf(cpath, sizeof(cpath), "%s/%.16s/children", path, de->d_name);
		f = fopen(cpath, "re");
		if (!f)
			continue;
		while (fscanf(f, "%d", &child) == 1)
			walk(pt, child, depth + 1);
		fclose(f);
	}
	closedir(tasks);
}

/* Is the process @t stands for still there (not a zombie's successor)? */
static bool alive(const struct tracked *t)
{
	unsigned long long start;

	return read_starttime(t->pid, &start) && start == t->starttime;
}

void proc_tracker_poll(struct proc_tracker *pt)
{
	size_t i, kept = 0;

	pthread_mutex_lock(&pt->list_lock);
	for (i = 0; i < pt->nr; i++)
		pt->v[i].seen = false;
	walk(pt, pt->root, 0);
	for (i = 0; i < pt->nr; i++) {
		/* A process the tree walk missed may still run: one that came
		 * in through a request (its parent gone, or not the shell's). */
		if (pt->v[i].seen || alive(&pt->v[i])) {
			pt->v[kept++] = pt->v[i];
			continue;
		}
		memhp_guest_exit(pt->v[i].task);
	}
	pt->nr = kept;
	pthread_mutex_unlock(&pt->list_lock);
}

/* The process a thread belongs to: Tgid in /proc/TID/status. */
static pid_t tgid_of(pid_t tid)
{
	char path[PROC_PATH_MAX], line[PROC_LINE_MAX];
	pid_t tgid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "Tgid:", 5)) {
			tgid = (pid_t)strtol(line + 5, NULL, 10);
			break;
		}
	fclose(f);
	return tgid;
}

void proc_tracker_touch(struct proc_tracker *pt, pid_t tid)
{
	pid_t pid = tgid_of(tid);

	if (pid <= 0)
		return;
	pthread_mutex_lock(&pt->list_lock);
	visit(pt, pid);
	pthread_mutex_unlock(&pt->list_lock);
}

static void *tracker_thread(void *arg)
{
	struct proc_tracker *pt = arg;

	pthread_mutex_lock(&pt->lock);
	while (!pt->stop) {
		struct timespec due;

		clock_gettime(CLOCK_MONOTONIC, &due);
		due.tv_nsec += PROC_POLL_MS * 1000000L;
		due.tv_sec += due.tv_nsec / 1000000000L;
		due.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&pt->cond, &pt->lock, &due);
		if (pt->stop)
			break;
		pthread_mutex_unlock(&pt->lock);
		proc_tracker_poll(pt);
		pthread_mutex_lock(&pt->lock);
	}
	pthread_mutex_unlock(&pt->lock);
	return NULL;
}

int proc_tracker_start(struct proc_tracker *pt, struct memhp_guest *g, pid_t root)
{
	pthread_condattr_t attr;
	int err;

	memset(pt, 0, sizeof(*pt));
	pt->g = g;
	pt->root = root;
	pthread_mutex_init(&pt->lock, NULL);
	pthread_mutex_init(&pt->list_lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&pt->cond, &attr);
	pthread_condattr_destroy(&attr);
	proc_tracker_poll(pt);
	err = pthread_create(&pt->thread, NULL, tracker_thread, pt);
	if (err) {
		proc_tracker_stop(pt);
		return -err;
	}
	pt->running = true;
	return 0;
}

void proc_tracker_stop(struct proc_tracker *pt)
{
	if (pt->running) {
		pthread_mutex_lock(&pt->lock);
		pt->stop = true;
		pthread_cond_signal(&pt->cond);
		pthread_mutex_unlock(&pt->lock);
		pthread_join(pt->thread, NULL);
		pt->running = false;
	}
	for (size_t i = 0; i < pt->nr; i++)
		memhp_guest_exit(pt->v[i].task);
	free(pt->v);
	pt->v = NULL;
	pt->nr = pt->cap = 0;
	pthread_cond_destroy(&pt->cond);
	pthread_mutex_destroy(&pt->lock);
	pthread_mutex_destroy(&pt->list_lock);
}
