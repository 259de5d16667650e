// SPDX-License-Identifier: MIT
/*
 * test_trace.c - the timeline's Chrome trace-event file, read back with
 * jansson the way Perfetto and chrome://tracing read it: every B has its E
 * on the same track, timestamps never go back on a track, and the spans and
 * instants of an operation are there.
 */
#include "harness.h"

#include "../src/cli/timeline.h"

#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#define HOT (4 * MEMHP_GiB)
#define B0 32
#define MAX_TRACKS 64
#define MAX_STACK 64
#define MAX_NAME 64

struct track {
	long long pid, tid;
	double last_ts;
	int depth;
	char stack[MAX_STACK][MAX_NAME];
};

struct summary {
	int spans; /* B/E pairs */
	int instants;
	int tracks;
	int thread_names;
	bool saw[9]; /* see names[] */
	int ends[9]; /* spans of each of names[] */
};

static const char *const names[] = {
	"offline_pages",       "isolate",	"migrate",	"MEM_GOING_OFFLINE",
	"MEM_CANCEL_OFFLINE",  "migrate_pages", "online_pages", "scenario call",
	"test_pages_isolated",
};

static struct track *track_of(struct track *t, int *n, long long pid, long long tid)
{
	for (int i = 0; i < *n; i++)
		if (t[i].pid == pid && t[i].tid == tid)
			return &t[i];
	if (*n == MAX_TRACKS)
		return NULL;
	t[*n] = (struct track){ .pid = pid, .tid = tid, .last_ts = -1 };
	return &t[(*n)++];
}

/* Returns NULL if the file is a balanced, monotonic trace, else why not. */
static const char *validate(const char *path, struct summary *s)
{
	static char why[256];
	struct track tracks[MAX_TRACKS];
	int nr_tracks = 0;
	json_error_t err;
	json_t *root = json_load_file(path, 0, &err), *events, *ev;
	size_t i;

	memset(s, 0, sizeof(*s));
	if (!root) {
		snprintf(why, sizeof(why), "not JSON: %s line %d", err.text, err.line);
		return why;
	}
	events = json_object_get(root, "traceEvents");
	if (!json_is_array(events)) {
		json_decref(root);
		return "no traceEvents array";
	}
	json_array_foreach(events, i, ev)
	{
		const char *ph = json_string_value(json_object_get(ev, "ph"));
		const char *name = json_string_value(json_object_get(ev, "name"));
		json_t *ts = json_object_get(ev, "ts");
		struct track *t;

		if (!ph || !name || !json_is_integer(json_object_get(ev, "pid")) ||
		    !json_is_integer(json_object_get(ev, "tid"))) {
			snprintf(why, sizeof(why), "event %zu lacks ph, name, pid or tid", i);
			goto bad;
		}
		if (!strcmp(ph, "M")) {
			s->thread_names += !strcmp(name, "thread_name");
			continue;
		}
		if (!json_is_number(ts)) {
			snprintf(why, sizeof(why), "event %zu (%s) has no ts", i, name);
			goto bad;
		}
		t = track_of(tracks, &nr_tracks, json_integer_value(json_object_get(ev, "pid")),
			     json_integer_value(json_object_get(ev, "tid")));
		if (!t) {
			snprintf(why, sizeof(why), "too many tracks");
			goto bad;
		}
		if (json_number_value(ts) < t->last_ts) {
			snprintf(why, sizeof(why), "event %zu (%s) goes back in time on tid %lld",
				 i, name, t->tid);
			goto bad;
		}
		t->last_ts = json_number_value(ts);
		for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
			if (!strcmp(name, names[k]))
				s->saw[k] = true;
		if (!strcmp(json_string_value(json_object_get(ev, "cat")) ?: "", "scenario"))
			s->saw[7] = true;
		if (!strcmp(ph, "B")) {
			if (t->depth == MAX_STACK) {
				snprintf(why, sizeof(why), "nesting too deep");
				goto bad;
			}
			snprintf(t->stack[t->depth++], MAX_NAME, "%s", name);
		} else if (!strcmp(ph, "E")) {
			if (!t->depth) {
				snprintf(why, sizeof(why),
					 "event %zu: E (%s) without B on tid %lld", i, name,
					 t->tid);
				goto bad;
			}
			if (strcmp(t->stack[--t->depth], name)) {
				snprintf(why, sizeof(why), "event %zu: E %s closes B %s", i, name,
					 t->stack[t->depth]);
				goto bad;
			}
			s->spans++;
			for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
				s->ends[k] += !strcmp(name, names[k]);
		} else if (!strcmp(ph, "i")) {
			s->instants++;
		} else {
			snprintf(why, sizeof(why), "event %zu: unexpected ph %s", i, ph);
			goto bad;
		}
	}
	for (int k = 0; k < nr_tracks; k++) {
		if (tracks[k].depth) {
			snprintf(why, sizeof(why), "tid %lld ends with %s open", tracks[k].tid,
				 tracks[k].stack[tracks[k].depth - 1]);
			goto bad;
		}
	}
	s->tracks = nr_tracks;
	json_decref(root);
	return NULL;
bad:
	json_decref(root);
	return why;
}

static struct memhp_machine *machine(void)
{
	struct memhp_machine *m = tm_create(NULL);

	if (!m || tm_add_blocks(m, HOT, 2))
		return NULL;
	if (memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE) ||
	    memhp_block_online(m, B0 + 1, MEMHP_MMOP_ONLINE_MOVABLE))
		return NULL;
	return m;
}

static void tmp_path(char *buf, size_t len)
{
	snprintf(buf, len, "/tmp/memhp-test-trace-%d-XXXXXX", (int)getpid());
	close(mkstemp(buf));
}

static void vetoed_offline_gives_balanced_spans_with_notifier_spans(void)
{
	struct memhp_machine *m = machine();
	struct tl_options opt = { .keep_events = true };
	AUTO_EVENT_LOG veto = { .veto_on = MEMHP_MEM_GOING_OFFLINE,
				.veto_ret = memhp_notifier_from_errno(-EBUSY) };
	struct timeline *tl = tl_create(&opt);
	struct summary s;
	char path[64];
	const char *why;

	ASSERT_TRUE(m && tl);
	tl_register_scenario_thread(tl);
	ASSERT_OK(tl_attach(tl, m, 1));
	event_log_register(m, &veto, 0);
	tl_call_begin(tl, 1, "test.lua:1", "offline(memory32)");
	ASSERT_ERR(memhp_block_offline(m, B0), -EBUSY);
	tl_call_end(tl, 1, "-EBUSY");
	tl_detach(tl, m);
	tmp_path(path, sizeof(path));
	ASSERT_OK(tl_write_chrome(tl, path, "test"));
	why = validate(path, &s);
	unlink(path);
	tl_destroy(tl);
	event_log_unregister(&veto);
	if (why)
		test_fail(__FILE__, __LINE__, "%s", why);
	ASSERT_TRUE(!why);
	ASSERT_TRUE(s.saw[0] && s.saw[1]); /* offline_pages, isolate */
	ASSERT_TRUE(s.saw[3] && s.saw[4]); /* GOING and CANCEL */
	/* Each notification is a span the notifiers' work nests in. */
	ASSERT_EQ(s.ends[3], 1);
	ASSERT_EQ(s.ends[4], 1);
	ASSERT_TRUE(s.saw[7]); /* the scenario's call */
	ASSERT_EQ(s.tracks, 1);
	ASSERT_GT(s.thread_names, 0);
}

struct abort_after {
	int rounds;
	struct memhp_task *task;
};

static void abort_event(struct memhp_machine *m, const struct memhp_event *ev, void *priv)
{
	struct abort_after *a = priv;

	(void)m;
	(void)ev;
	if (!--a->rounds)
		memhp_task_signal(a->task);
}

static void interrupted_migration_and_a_second_thread_stay_balanced(void)
{
	struct memhp_machine *m = machine();
	struct tl_options opt = { .keep_events = true };
	struct abort_after a = { .rounds = 4, .task = memhp_current_task() };
	struct timeline *tl = tl_create(&opt);
	struct tm_offliner o;
	struct memhp_data *d;
	struct summary s;
	char path[64];
	const char *why;
	AUTO_REG sub = { 0 };

	ASSERT_TRUE(m && tl);
	tl_register_scenario_thread(tl);
	ASSERT_OK(tl_attach(tl, m, 1));
	ASSERT_OK(memhp_data_create(m, &d));
	ASSERT_GT(memhp_data_alloc(d, memhp_pages_per_block(m) / 2, 0), 0);
	memhp_fault_set(m, MEMHP_FAULT_MIGRATION, -1);
	ASSERT_OK(tm_event_subscribe(&sub, m, MEMHP_EVENT_BIT(MEMHP_TP_MIGRATE_ROUND_END),
				     abort_event, &a));
	ASSERT_ERR(memhp_block_offline(m, B0), -EINTR);
	memhp_task_clear_signal(memhp_current_task());
	tm_unregister(&sub);
	memhp_fault_set(m, MEMHP_FAULT_MIGRATION, 0);
	/* The second block, offlined from another thread: its own track. */
	ASSERT_OK(tm_offline_start(&o, m, B0 + 1));
	ASSERT_OK(tm_offline_join(&o));
	tl_detach(tl, m);
	tmp_path(path, sizeof(path));
	ASSERT_OK(tl_write_chrome(tl, path, "test"));
	why = validate(path, &s);
	if (getenv("KEEP_TRACE"))
		printf("# kept %s\n", path);
	else
		unlink(path);
	tl_destroy(tl);
	memhp_data_destroy(d);
	if (why)
		test_fail(__FILE__, __LINE__, "%s", why);
	ASSERT_TRUE(!why);
	ASSERT_TRUE(s.saw[2] && s.saw[5]); /* migrate, migrate_pages rounds */
	/* Every round a span: the four the signal came after. */
	ASSERT_EQ(s.ends[5], 4);
	/* The second block's offline succeeded after testing its pages. */
	ASSERT_GT(s.ends[8], 0);
	ASSERT_EQ(s.tracks, 2);
}

struct named_offliner {
	struct memhp_machine *m;
	unsigned long id;
	const char *name; /* NULL: the thread keeps the program's name */
	int ret;
};

static void *named_offline_thread(void *arg)
{
	struct named_offliner *o = arg;

	if (o->name)
		pthread_setname_np(pthread_self(), o->name);
	o->ret = memhp_block_offline(o->m, o->id);
	return NULL;
}

/* The thread_name of track (@pid, @tid) in @path, or "" if it has none. */
static const char *track_name_in(const char *path, long long pid, long long tid)
{
	static char name[MAX_NAME];
	json_t *root = json_load_file(path, 0, NULL), *ev;
	size_t i;

	name[0] = '\0';
	json_array_foreach(json_object_get(root, "traceEvents"), i, ev)
	{
		const char *ph = json_string_value(json_object_get(ev, "ph"));
		const char *what = json_string_value(json_object_get(ev, "name"));

		if (ph && !strcmp(ph, "M") && what && !strcmp(what, "thread_name") &&
		    json_integer_value(json_object_get(ev, "pid")) == pid &&
		    json_integer_value(json_object_get(ev, "tid")) == tid)
			snprintf(name, sizeof(name), "%s",
				 json_string_value(
					 json_object_get(json_object_get(ev, "args"), "name")));
	}
	json_decref(root);
	return name;
}

#define EXPECT_TRACK(path, pid, tid, want)                                                       \
	do {                                                                                     \
		const char *got_ = track_name_in(path, pid, tid);                                \
		if (strcmp(got_, want))                                                          \
			test_fail(__FILE__, __LINE__, "track %d/%d is '%s', expected '%s'", pid, \
				  tid, got_, want);                                              \
	} while (0)

/*
 * Perfetto shows a track per thread of each process (machine) with a
 * thread_name: the thread's own name when memhp gave it one, "thread N"
 * when nobody did, and no track at all for a thread without events there.
 */
static void tracks_are_named_for_their_threads_and_only_where_they_have_events(void)
{
	struct memhp_machine *m1 = machine(), *m2 = machine();
	struct tl_options opt = { .keep_events = true };
	struct timeline *tl = tl_create(&opt);
	struct named_offliner walker = { .id = B0, .name = "walker 7" };
	struct named_offliner unnamed = { .id = B0 + 1 };
	pthread_t t;
	char path[64];

	ASSERT_TRUE(m1 && m2 && tl);
	walker.m = unnamed.m = m2;
	tl_register_scenario_thread(tl);
	ASSERT_OK(tl_attach(tl, m1, 1));
	ASSERT_OK(tl_attach(tl, m2, 2));
	ASSERT_OK(memhp_block_offline(m1, B0));
	ASSERT_EQ(pthread_create(&t, NULL, named_offline_thread, &walker), 0);
	pthread_join(t, NULL);
	ASSERT_EQ(pthread_create(&t, NULL, named_offline_thread, &unnamed), 0);
	pthread_join(t, NULL);
	ASSERT_OK(walker.ret);
	ASSERT_OK(unnamed.ret);
	tl_detach(tl, m1);
	tl_detach(tl, m2);
	tmp_path(path, sizeof(path));
	ASSERT_OK(tl_write_chrome(tl, path, "test"));
	tl_destroy(tl);
	EXPECT_TRACK(path, 1, 1, "scenario");
	EXPECT_TRACK(path, 2, 2, "walker 7");
	EXPECT_TRACK(path, 2, 3, "thread 3");
	/* No empty tracks: machine 1 saw only the scenario, machine 2 not it. */
	EXPECT_TRACK(path, 1, 2, "");
	EXPECT_TRACK(path, 1, 3, "");
	EXPECT_TRACK(path, 2, 1, "");
	unlink(path);
}

/* The instant of the finding with @rule and @detail in @path: its name
 * and its "pfn" argument ("" for none), or false if there is none. */
static bool finding_in(const char *path, const char *rule, char *name, char *pfn)
{
	json_t *root = json_load_file(path, 0, NULL), *ev;
	bool found = false;
	size_t i;

	json_array_foreach(json_object_get(root, "traceEvents"), i, ev)
	{
		json_t *args = json_object_get(ev, "args");
		const char *r = json_string_value(json_object_get(args, "rule"));
		const char *p = json_string_value(json_object_get(args, "pfn"));

		if (found || !r || strcmp(r, rule))
			continue;
		found = true;
		snprintf(name, MAX_NAME, "%s", json_string_value(json_object_get(ev, "name")));
		snprintf(pfn, MAX_NAME, "%s", p ? p : "");
	}
	json_decref(root);
	return found;
}

/* A finding is an instant named for its rule and page; one about no page
 * has no pfn (it had "at pfn 0" once). */
static void a_finding_is_an_instant_with_its_rule_and_only_a_real_pfn(void)
{
	struct memhp_machine *m = machine();
	struct tl_options opt = { .keep_events = true };
	struct timeline *tl = tl_create(&opt);
	char path[64], name[MAX_NAME], pfn[MAX_NAME];
	bool paged, pageless;

	ASSERT_TRUE(m && tl);
	tm_expect_violations(m, MEMHP_RULE_SCENARIO);
	tm_expect_violations(m, MEMHP_RULE_SCENARIO);
	tl_register_scenario_thread(tl);
	ASSERT_OK(tl_attach(tl, m, 1));
	memhp_report_named(m, 0x1234, "test-paged", "about a page");
	memhp_report_named(m, MEMHP_NO_PFN, "test-pageless", "about no page");
	tl_detach(tl, m);
	tmp_path(path, sizeof(path));
	ASSERT_OK(tl_write_chrome(tl, path, "test"));
	tl_destroy(tl);
	paged = finding_in(path, "test-paged", name, pfn);
	EXPECT_TRUE(paged && !strcmp(name, "test-paged at pfn 0x1234") && !strcmp(pfn, "0x1234"));
	pageless = finding_in(path, "test-pageless", name, pfn);
	unlink(path);
	ASSERT_TRUE(pageless);
	ASSERT_STREQ(name, "test-pageless");
	ASSERT_STREQ(pfn, "");
}

/* The file `memhp run --trace` writes, for a real scenario. */
static void memhp_run_writes_a_valid_trace(void)
{
	const char *memhp = getenv("MEMHP");
	char path[64], cmd[512];
	struct summary s;
	const char *why;

	if (!memhp) {
		printf("# MEMHP not set (make check sets it): skipped\n");
		return;
	}
	tmp_path(path, sizeof(path));
	snprintf(cmd, sizeof(cmd), "%s run scenarios/endless-migration.lua -q --seed 5 --trace %s",
		 memhp, path);
	ASSERT_EQ(system(cmd), 0);
	why = validate(path, &s);
	unlink(path);
	if (why)
		test_fail(__FILE__, __LINE__, "%s", why);
	ASSERT_TRUE(!why);
	ASSERT_TRUE(s.saw[0] && s.saw[2] && s.saw[3] && s.saw[4] && s.saw[6] && s.saw[7]);
	ASSERT_GT(s.spans, 10);
}

RUN_TESTS(T(vetoed_offline_gives_balanced_spans_with_notifier_spans),
	  T(interrupted_migration_and_a_second_thread_stay_balanced),
	  T(tracks_are_named_for_their_threads_and_only_where_they_have_events),
	  T(a_finding_is_an_instant_with_its_rule_and_only_a_real_pfn),
	  T(memhp_run_writes_a_valid_trace))
