// SPDX-License-Identifier: MIT
/*
 * uevent_helper.c - the kernel's uevent helper for a served tree. The
 * listener runs with hotplug locks held, so it only copies the event into
 * a queue; a thread of ours starts the helper and waits for it, so that a
 * helper that writes to the tree (and so takes those locks) never waits
 * for the thread that queued its event.
 */
#include "uevent_helper.h"
#include "../cli/run_util.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

/* What the kernel adds for the helper (kobject_uevent_env()). */
static const char *const helper_env[] = { "HOME=/", "PATH=/sbin:/bin:/usr/sbin:/usr/bin" };
#define NR_HELPER_ENV (sizeof(helper_env) / sizeof(helper_env[0]))

/* One event: argv and envp point into the same allocation. */
struct queued_uevent {
	struct queued_uevent *next;
	char *argv[3];
	char **envp;
};

struct uevent_helper {
	struct memhp_fs *fs;
	char *root_env; /* "MEMHP_ROOT=..." */
	pthread_t thread;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct queued_uevent *head, **tail;
	unsigned int nr_queued;
	bool stopping;
	pid_t running; /* the helper being waited for, or 0 */
	unsigned long dropped;
};

static struct queued_uevent *copy_event(const struct memhp_uevent *ev, const char *root_env)
{
	size_t nr = 0, bytes = strlen(ev->helper) + 1 + strlen(ev->subsystem) + 1;
	struct queued_uevent *q;
	char *p;
	size_t i = 0;

	for (const char *const *e = ev->envp; *e; e++, nr++)
		bytes += strlen(*e) + 1;
	nr += NR_HELPER_ENV + 1;
	bytes += strlen(root_env) + 1;
	for (size_t k = 0; k < NR_HELPER_ENV; k++)
		bytes += strlen(helper_env[k]) + 1;
	q = malloc(sizeof(*q) + (nr + 1) * sizeof(char *) + bytes);
	if (!q)
		return NULL;
	q->next = NULL;
	q->envp = (char **)(q + 1);
	p = (char *)(q->envp + nr + 1);
#define PUT(dst, s)                          \
	do {                                 \
		size_t len_ = strlen(s) + 1; \
		memcpy(p, (s), len_);        \
		(dst) = p;                   \
		p += len_;                   \
	} while (0)
	PUT(q->argv[0], ev->helper);
	PUT(q->argv[1], ev->subsystem);
	q->argv[2] = NULL;
	for (const char *const *e = ev->envp; *e; e++)
		PUT(q->envp[i++], *e);
	for (size_t k = 0; k < NR_HELPER_ENV; k++)
		PUT(q->envp[i++], helper_env[k]);
	PUT(q->envp[i++], root_env);
#undef PUT
	q->envp[i] = NULL;
	return q;
}

static void listener(const struct memhp_uevent *ev, void *priv)
{
	struct uevent_helper *u = priv;
	struct queued_uevent *q;

	if (!ev->helper[0])
		return;
	pthread_mutex_lock(&u->lock);
	if (u->stopping || u->nr_queued >= UEVENT_HELPER_MAX_QUEUED ||
	    !(q = copy_event(ev, u->root_env))) {
		u->dropped++;
		pthread_mutex_unlock(&u->lock);
		return;
	}
	*u->tail = q;
	u->tail = &q->next;
	u->nr_queued++;
	pthread_cond_signal(&u->cond);
	pthread_mutex_unlock(&u->lock);
}

/* Start @q's helper with default signal handling and an empty mask:
 * the pid, or -errno. */
static pid_t spawn_helper(struct queued_uevent *q)
{
	posix_spawnattr_t attr;
	sigset_t none, dfl;
	pid_t pid;
	int err;

	sigemptyset(&none);
	sigfillset(&dfl);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dfl);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	err = posix_spawn(&pid, q->argv[0], NULL, &attr, q->argv, q->envp);
	posix_spawnattr_destroy(&attr);
	return err ? -err : pid;
}

static void *helper_thread(void *arg)
{
	struct uevent_helper *u = arg;
	char last_failed[MEMHP_UEVENT_HELPER_PATH_LEN] = "";
	unsigned long dropped_told = 0;

	pthread_mutex_lock(&u->lock);
	for (;;) {
		struct queued_uevent *q;
		siginfo_t info;
		pid_t pid;

		while (!u->head && !u->stopping)
			pthread_cond_wait(&u->cond, &u->lock);
		if (u->stopping)
			break;
		q = u->head;
		u->head = q->next;
		if (!u->head)
			u->tail = &u->head;
		u->nr_queued--;
		if (u->dropped != dropped_told) {
			fprintf(stderr, "%s: %lu uevents dropped (more than %d waiting)\n",
				run_prog, u->dropped - dropped_told, UEVENT_HELPER_MAX_QUEUED);
			dropped_told = u->dropped;
		}
		pid = spawn_helper(q);
		if (pid < 0) {
			/* Said once per helper, not once per event. */
			if (strcmp(last_failed, q->argv[0])) {
				fprintf(stderr, "%s: uevent helper %s: %s\n", run_prog, q->argv[0],
					strerror((int)-pid));
				snprintf(last_failed, sizeof(last_failed), "%s", q->argv[0]);
			}
			free(q);
			continue;
		}
		last_failed[0] = '\0';
		u->running = pid;
		pthread_mutex_unlock(&u->lock);
		free(q);
		/* Wait without reaping, so that stop never signals a pid that
		 * was reaped and used again. */
		while (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT) < 0 && errno == EINTR)
			;
		pthread_mutex_lock(&u->lock);
		u->running = 0;
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	pthread_mutex_unlock(&u->lock);
	return NULL;
}

int uevent_helper_start(struct memhp_fs *fs, const char *root, struct uevent_helper **out)
{
	struct uevent_helper *u = calloc(1, sizeof(*u));
	int err;

	*out = NULL;
	if (!u)
		return -ENOMEM;
	u->fs = fs;
	u->tail = &u->head;
	if (asprintf(&u->root_env, "MEMHP_ROOT=%s", root) < 0) {
		free(u);
		return -ENOMEM;
	}
	pthread_mutex_init(&u->lock, NULL);
	pthread_cond_init(&u->cond, NULL);
	err = pthread_create(&u->thread, NULL, helper_thread, u);
	if (err) {
		pthread_cond_destroy(&u->cond);
		pthread_mutex_destroy(&u->lock);
		free(u->root_env);
		free(u);
		return -err;
	}
	memhp_fs_set_uevent_listener(fs, listener, u);
	*out = u;
	return 0;
}

void uevent_helper_stop(struct uevent_helper *u)
{
	if (!u)
		return;
	/* Once this returns, the listener is not running and will not run. */
	memhp_fs_set_uevent_listener(u->fs, NULL, NULL);
	pthread_mutex_lock(&u->lock);
	u->stopping = true;
	if (u->running)
		kill(u->running, SIGTERM);
	pthread_cond_signal(&u->cond);
	pthread_mutex_unlock(&u->lock);
	pthread_join(u->thread, NULL);
	while (u->head) {
		struct queued_uevent *q = u->head;

		u->head = q->next;
		free(q);
	}
	pthread_cond_destroy(&u->cond);
	pthread_mutex_destroy(&u->lock);
	free(u->root_env);
	free(u);
}
