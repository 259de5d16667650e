// SPDX-License-Identifier: MIT
/*
 * tests/harness.c - TAP output, failure bookkeeping and machine helpers.
 */
#include "harness.h"

#include <stdarg.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_TEST_MACHINES 8
#define MAX_EXPECTED_RULES 8

static struct {
	struct memhp_machine *m;
	enum memhp_rule allowed[MAX_EXPECTED_RULES];
	int nr_allowed;
	bool skip_check;
} machines[MAX_TEST_MACHINES];
static int nr_machines;
static bool failed;
/* SKIP()'s reason; empty: the test ran. */
#define SKIP_REASON_MAX 200
static char skip_reason[SKIP_REASON_MAX];
#define MAX_DEFERRED 16
static struct {
	void (*fn)(void *);
	void *arg;
} deferred[MAX_DEFERRED];
static int nr_deferred;

void tm_defer(void (*fn)(void *), void *arg)
{
	if (nr_deferred < MAX_DEFERRED)
		deferred[nr_deferred++] = (typeof(deferred[0])){ fn, arg };
	else
		test_fail(__FILE__, __LINE__, "too many deferred calls");
}

void test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	/* Diagnostics on stderr, as Test::More's diag(): prove shows them,
	 * so a failure in CI's log says why. */
	failed = true;
	fflush(stdout);
	fprintf(stderr, "# %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
}

void test_note(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "#   ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
}

void test_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(skip_reason, sizeof(skip_reason), fmt, ap);
	va_end(ap);
	if (!skip_reason[0])
		snprintf(skip_reason, sizeof(skip_reason), "skipped");
}

void tm_cleanup_run_(struct tm_cleanup *c)
{
	if (c->fn)
		c->fn(c->arg);
}

bool test_failed(void)
{
	return failed;
}

const char *errno_name(long err)
{
	static _Thread_local char bufs[4][32];
	static _Thread_local unsigned int next;
	char *buf = bufs[next++ % 4];
	const char *name;

	if (err >= 0) {
		snprintf(buf, sizeof(bufs[0]), "%ld", err);
		return buf;
	}
	name = strerrorname_np((int)-err);
	snprintf(buf, sizeof(bufs[0]), "-%s", name ? name : "?");
	return buf;
}

int tm_run_child(int (*fn)(void *), void *arg, struct tm_child *c)
{
	char drop[512];
	size_t len = 0;
	ssize_t got;
	int fds[2];
	pid_t pid;

	if (pipe(fds))
		return -errno;
	/* What the parent has buffered is not the child's to print again. */
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -errno;
	}
	if (!pid) {
		dup2(fds[1], STDOUT_FILENO);
		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		close(fds[1]);
		_exit(fn(arg));
	}
	close(fds[1]);
	for (;;) {
		const size_t room = sizeof(c->out) - 1 - len;

		got = room ? read(fds[0], c->out + len, room) : read(fds[0], drop, sizeof(drop));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		if (room)
			len += (size_t)got;
	}
	c->out[len] = '\0';
	close(fds[0]);
	return waitpid(pid, &c->status, 0) == pid ? 0 : -errno;
}

void tm_config(struct memhp_config *cfg)
{
	memhp_config_init(cfg, 512 * MEMHP_MiB);
	cfg->phys_size = 64 * MEMHP_GiB;
	/* The kernel image where nokaslr puts it (16 MiB, in memory0): the
	 * tests pin rules on boot blocks that must not move between runs of
	 * different seeds. KASLR has tests of its own. */
	cfg->kaslr = false;
	cfg->check_after_ops = true;
}

struct memhp_machine *tm_create(const struct memhp_config *cfg)
{
	struct memhp_config def;
	struct memhp_machine *m;
	int ret;

	if (!cfg) {
		tm_config(&def);
		cfg = &def;
	}
	if (nr_machines == MAX_TEST_MACHINES) {
		test_fail(__FILE__, __LINE__, "too many machines in one test");
		return NULL;
	}
	ret = memhp_machine_create(cfg, &m);
	if (ret) {
		test_fail(__FILE__, __LINE__, "memhp_machine_create: %s (%s)", errno_name(ret),
			  memhp_config_error());
		return NULL;
	}
	machines[nr_machines].m = m;
	machines[nr_machines].nr_allowed = 0;
	machines[nr_machines].skip_check = false;
	nr_machines++;
	return m;
}

void tm_expect_violations(struct memhp_machine *m, enum memhp_rule rule)
{
	for (int i = 0; i < nr_machines; i++)
		if (machines[i].m == m && machines[i].nr_allowed < MAX_EXPECTED_RULES)
			machines[i].allowed[machines[i].nr_allowed++] = rule;
}

void tm_skip_final_check(struct memhp_machine *m)
{
	for (int i = 0; i < nr_machines; i++)
		if (machines[i].m == m)
			machines[i].skip_check = true;
}

size_t tm_violations(struct memhp_machine *m, enum memhp_rule rule)
{
	static struct memhp_check_report r;
	size_t n = 0;

	memhp_violations(m, &r);
	for (size_t i = 0; i < r.shown; i++)
		if (r.v[i].rule == rule)
			n++;
	return n;
}

static void finish_machines(void)
{
	static struct memhp_check_report r;

	while (nr_deferred) {
		nr_deferred--;
		deferred[nr_deferred].fn(deferred[nr_deferred].arg);
	}

	for (int i = 0; i < nr_machines; i++) {
		struct memhp_machine *m = machines[i].m;
		size_t total = machines[i].skip_check ? 0 : memhp_check(m, &r);

		if (total) {
			test_fail(__FILE__, __LINE__,
				  "memhp_check found %zu violations at the end:", total);
			memhp_print_report(stdout, &r);
		}
		total = machines[i].skip_check ? 0 : memhp_violations(m, &r);
		for (size_t v = 0; total && v < r.shown; v++) {
			bool ok = false;

			for (int a = 0; a < machines[i].nr_allowed; a++)
				if (machines[i].allowed[a] == r.v[v].rule)
					ok = true;
			if (!ok)
				test_fail(__FILE__, __LINE__,
					  "unexpected finding %s at pfn %#lx: %s", r.v[v].name,
					  r.v[v].pfn, r.v[v].detail);
		}
		memhp_machine_destroy(m);
	}
	nr_machines = 0;
}

int run_tests(const struct test *tests, size_t n, int argc, char **argv)
{
	size_t planned = 0, nr_failed = 0, num = 0;

	for (size_t i = 0; i < n; i++)
		if (argc < 2 || !strcmp(argv[1], tests[i].name))
			planned++;
	printf("TAP version 13\n1..%zu\n", planned);
	for (size_t i = 0; i < n; i++) {
		if (argc >= 2 && strcmp(argv[1], tests[i].name))
			continue;
		failed = false;
		skip_reason[0] = '\0';
		memhp_task_clear_signal(memhp_current_task());
		tests[i].fn();
		finish_machines();
		num++;
		if (skip_reason[0] && !failed)
			printf("ok %zu - %s # SKIP %s\n", num, tests[i].name, skip_reason);
		else
			printf("%sok %zu - %s\n", failed ? "not " : "", num, tests[i].name);
		fflush(stdout);
		nr_failed += failed;
	}
	return nr_failed ? 1 : 0;
}

/* ---- Helpers -------------------------------------------------------------- */

static void *offline_thread(void *arg)
{
	struct tm_offliner *o = arg;

	o->ret = memhp_block_offline(o->m, o->id);
	return NULL;
}

int tm_offline_start(struct tm_offliner *o, struct memhp_machine *m, unsigned long id)
{
	*o = (struct tm_offliner){ .m = m, .id = id, .ret = 1 };
	return -pthread_create(&o->thread, NULL, offline_thread, o);
}

int tm_offline_join(struct tm_offliner *o)
{
	pthread_join(o->thread, NULL);
	return o->ret;
}

int tm_add_blocks(struct memhp_machine *m, uint64_t start, unsigned long nr)
{
	return memhp_add_memory(m, 0, start, nr * memhp_block_size(m), MEMHP_MHP_NONE);
}

unsigned long tm_block_pfn(struct memhp_machine *m, unsigned long id)
{
	return id * memhp_pages_per_block(m);
}

struct memhp_page *tm_alloc_in(struct memhp_machine *m, memhp_gfp_t gfp, unsigned long start,
			       unsigned long end)
{
	struct memhp_page *found = NULL, **held = NULL;
	size_t nr = 0, cap = 0;

	while (!found) {
		struct memhp_page *p = memhp_alloc_pages(m, gfp, 0);
		unsigned long pfn;

		if (!p)
			break;
		pfn = memhp_page_to_pfn(p);
		if (pfn >= start && pfn < end) {
			found = p;
			break;
		}
		if (nr == cap) {
			cap = cap ? cap * 2 : 1024;
			held = realloc(held, cap * sizeof(*held));
		}
		held[nr++] = p;
	}
	while (nr)
		memhp_put_page(held[--nr]);
	free(held);
	return found;
}

static int event_log_cb(struct memhp_notifier_block *nb, unsigned long action, void *data)
{
	struct event_log *log = nb->priv;

	(void)data;
	if (log->n < (int)(sizeof(log->events) / sizeof(log->events[0])))
		log->events[log->n++] = action;
	if (log->veto_on == action)
		return log->veto_ret;
	return MEMHP_NOTIFY_OK;
}

void event_log_register(struct memhp_machine *m, struct event_log *log, int priority)
{
	log->nb.notifier_call = event_log_cb;
	log->nb.priority = priority;
	log->nb.priv = log;
	if (!memhp_register_memory_notifier(m, &log->nb))
		log->m = m;
	else
		test_fail(__FILE__, __LINE__, "event_log_register: refused");
}

void event_log_unregister(struct event_log *log)
{
	if (log->m)
		memhp_unregister_memory_notifier(log->m, &log->nb);
	log->m = NULL;
}

int tm_event_subscribe(struct tm_reg *r, struct memhp_machine *m, uint64_t types, memhp_event_fn fn,
		       void *priv)
{
	int ret = memhp_event_subscribe(m, types, fn, priv);

	if (!ret)
		*r = (struct tm_reg){ .m = m, .fn = fn, .priv = priv };
	return ret;
}

int tm_register_notifier(struct tm_reg *r, struct memhp_machine *m, struct memhp_notifier_block *nb)
{
	int ret = memhp_register_memory_notifier(m, nb);

	if (!ret)
		*r = (struct tm_reg){ .m = m, .nb = nb };
	return ret;
}

void tm_unregister(struct tm_reg *r)
{
	if (r->m && r->nb)
		memhp_unregister_memory_notifier(r->m, r->nb);
	else if (r->m)
		memhp_event_unsubscribe(r->m, r->fn, r->priv);
	r->m = NULL;
}

bool event_log_saw(const struct event_log *log, unsigned long event)
{
	for (int i = 0; i < log->n; i++)
		if (log->events[i] == event)
			return true;
	return false;
}

unsigned long tm_free_pages(struct memhp_machine *m)
{
	struct memhp_meminfo mi;

	memhp_lru_add_drain_all(m);
	memhp_meminfo(m, &mi);
	return mi.free_pages + mi.pcp_pages;
}
