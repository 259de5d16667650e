// SPDX-License-Identifier: MIT
/*
 * fuse_pool.c - mounting a FUSE session and serving it from a fixed pool
 * of threads, cancelled only while they wait for a request.
 */
#include "fuse_pool.h"
#include "../cli/run_util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* /etc/fuse.conf is read a line at a time, this long at most. */
#define FUSE_CONF_LINE_MAX 256
/* "fsname=...,subtype=memhp,allow_other,default_permissions" */
#define FUSE_OPTS_MAX 256

static void free_buf(void *arg)
{
	struct fuse_buf *buf = arg;

	free(buf->mem);
}

/*
 * What libfuse's multi-threaded loop does, with a fixed pool: cancellation
 * is only allowed while waiting for a request, so a request is always
 * finished, and fuse_pool_stop() can end the pool with pthread_cancel().
 * *@ret gets the last receive's result.
 */
static void serve_requests(struct fuse_pool *p, int *ret)
{
	struct fuse_buf buf;

	memset(&buf, 0, sizeof(buf));
	pthread_cleanup_push(free_buf, &buf);
	while (!fuse_session_exited(p->se)) {
		pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
		*ret = fuse_session_receive_buf(p->se, &buf);
		pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
		if (*ret == -EINTR || *ret == -EAGAIN)
			continue;
		if (*ret <= 0)
			break;
		fuse_session_process_buf(p->se, &buf);
	}
	pthread_cleanup_pop(1);
}

static void *worker(void *arg)
{
	struct fuse_pool *p = arg;
	int ret = 1;

	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	serve_requests(p, &ret);
	/* Unmounted from outside (libfuse has seen ENODEV and ended the
	 * session) or broken: tell the owner, once. */
	fuse_session_exit(p->se);
	if (ret <= 0 && p->ended && !atomic_load(&p->stopping) &&
	    !atomic_exchange(&p->ended_sent, true))
		kill(getpid(), p->ended);
	return NULL;
}

/* An unprivileged mount may use allow_other only where fuse.conf says
 * user_allow_other; without it only the owner can look in. */
static bool allow_other(void)
{
	char line[FUSE_CONF_LINE_MAX];
	bool allowed = false;
	FILE *f;

	if (geteuid() == 0)
		return true;
	f = fopen("/etc/fuse.conf", "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "user_allow_other", 16))
			allowed = true;
	if (f)
		fclose(f);
	return allowed;
}

int fuse_pool_start(struct fuse_pool *p, const struct fuse_lowlevel_ops *ops, size_t op_size,
		    void *userdata, const char *mountpoint, const char *fsname,
		    unsigned int nr_workers, int ended)
{
	char opts[FUSE_OPTS_MAX];
	char *argv[] = { "memhp", "-o", opts, NULL, NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, argv);
	int ret;

	memset(p, 0, sizeof(*p));
	p->ended = ended;
	snprintf(opts, sizeof(opts), "fsname=%s,subtype=memhp,%sdefault_permissions", fsname,
		 allow_other() ? "allow_other," : "");
	if (getenv("MEMHP_FUSE_DEBUG"))
		argv[args.argc++] = "-d";
	p->se = fuse_session_new(&args, ops, op_size, userdata);
	fuse_opt_free_args(&args);
	if (!p->se) {
		fprintf(stderr, "%s: cannot start a FUSE session\n", run_prog);
		return -EINVAL;
	}
	if (fuse_session_mount(p->se, mountpoint)) {
		fuse_session_destroy(p->se);
		p->se = NULL;
		fprintf(stderr, "%s: cannot mount FUSE on %s\n", run_prog, mountpoint);
		return -EPERM;
	}
	if (nr_workers > FUSE_POOL_MAX_WORKERS)
		nr_workers = FUSE_POOL_MAX_WORKERS;
	for (unsigned int i = 0; i < nr_workers; i++) {
		ret = pthread_create(&p->workers[i], NULL, worker, p);
		if (ret) {
			fprintf(stderr, "%s: cannot start FUSE workers: %s\n", run_prog,
				strerror(ret));
			fuse_pool_stop(p);
			return -ret;
		}
		p->nr_workers++;
	}
	return 0;
}

void fuse_pool_stop(struct fuse_pool *p)
{
	if (!p->se)
		return;
	atomic_store(&p->stopping, true);
	fuse_session_exit(p->se);
	for (unsigned int i = 0; i < p->nr_workers; i++)
		pthread_cancel(p->workers[i]);
	for (unsigned int i = 0; i < p->nr_workers; i++)
		pthread_join(p->workers[i], NULL);
	p->nr_workers = 0;
	fuse_session_unmount(p->se);
	fuse_session_destroy(p->se);
	p->se = NULL;
}
