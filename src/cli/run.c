// SPDX-License-Identifier: MIT
/*
 * run.c - memhp run SCENARIO.lua: run a Lua scenario, print its timeline,
 * check the invariants afterwards, and say in the exit status whether
 * everything the scenario expected came true.
 */
#include "run.h"
#include "cli.h"
#include "det.h"
#include "run_util.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RUN_PATH_MAX 4096

static const char run_usage[] =
	"usage: memhp run SCENARIO.lua [OPTIONS] [-- ARGS...]\n"
	"\n"
	"Run a Lua scenario against simulated machines and print its timeline.\n"
	"Exit status: 0 if every expectation held and no invariant broke, 1 if not\n"
	"(or the script failed), 2 on bad usage, 3 if an output file (--svg,\n"
	"--trace) cannot be written, 124 if --timeout ended it, 130 if interrupted.\n"
	"\n"
	"options:\n"
	"  --seed N              seed every random choice (default: a random seed,\n"
	"                        printed so the run can be replayed)\n"
	"  --protocol 6.1|2025   the PageOffline protocol of every machine\n"
	"                        (default 6.1, or what the scenario pins)\n"
	"  --trace FILE          write a Chrome trace-event JSON file (open it in\n"
	"                        https://ui.perfetto.dev or chrome://tracing)\n"
	"  --svg FILE            draw the final memory map of each machine\n"
	"                        (machine 2 goes to FILE-2.svg, and so on)\n"
	"  --timeout DURATION    stop the scenario after DURATION (30, 30s, 500ms,\n"
	"                        2m, 1h) as a ^C does; exit status 124\n"
	"  --sandbox             for a scenario from elsewhere: no os.execute, no files,\n"
	"                        no environment, no native or binary code, capped\n"
	"                        memory, --timeout 10m unless given (the man page's\n"
	"                        TRUST)\n"
	"  --logical-time        timestamps count events instead of time: two runs\n"
	"                        with the same seed print byte-identical timelines\n"
	"  --deterministic       memhp's threads (walkers, drivers, devices) take turns\n"
	"                        at defined points in an order drawn from the seed, on\n"
	"                        a virtual clock: racy runs repeat from their seed\n"
	"  -q, --quiet           no timeline; failures, print() and the verdict only\n"
	"  -h, --help            this help\n"
	"\n"
	"ARGS after -- are the script's arg[1], arg[2], ...\n"
	"A first ^C aborts a running offline (-EINTR, everything restored) and stops\n"
	"the scenario after it; a second ^C exits at once.\n"
	"SCENARIO.lua not found here is looked for among the installed scenarios.\n";

/* Once --timeout has told the scenario to stop, how long it has to do so
 * before memhp exits without it: enough for an offline to back out, while
 * a loop in a __gc finalizer (where Lua runs no hooks) or in a coroutine
 * (whose hook the signal does not set) never stops by itself. */
#define RUN_TIMEOUT_GRACE_MS 5000
#define RUN_NS_PER_MS 1000000L
#define RUN_NS_PER_S 1000000000L
/* "os.setlocale" and the like. */
#define RUN_SANDBOX_NAME_MAX 32

static struct run *sig_run;
const struct run_hooks *run_hooks;

/* "file:line: " where a hook stopped the script: a hook's level 0 is the
 * function it interrupted, or the C function a call event is about. */
static void push_where(lua_State *L)
{
	lua_pushliteral(L, "");
	for (int level = 0; level <= 1; level++) {
		lua_Debug where;

		if (lua_getstack(L, level, &where) && lua_getinfo(L, "Sl", &where) &&
		    where.currentline > 0) {
			lua_pop(L, 1);
			lua_pushfstring(L, "%s:%d: ", where.short_src, where.currentline);
			return;
		}
	}
}

static void interrupt_hook(lua_State *L, lua_Debug *ar)
{
	(void)ar;
	/* Inside a callback the core is mid-operation: let it finish (the
	 * pending signal makes an offline back out) and stop the script after. */
	if (sig_run->cb_depth)
		return;
	/* The hook stays: a scenario that catches the error with pcall()
	 * stops at its next instruction all the same, instead of running on
	 * until the grace is over (fuzz_lua_api). */
	push_where(L);
	if (atomic_load_explicit(&sig_run->timed_out, memory_order_acquire))
		lua_pushfstring(L, "timed out (--timeout %s)", sig_run->timeout_arg);
	else
		lua_pushliteral(L, "interrupted (SIGINT)");
	lua_concat(L, 2);
	lua_error(L);
}

/*
 * --timeout: a thread that, when the deadline passes, does what a ^C does
 * (SIGINT to the scenario's thread); past the grace that follows, it exits.
 * Armed while the scenario's Lua runs, disarmed while memhp checks.
 */
struct run_timer {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct timespec deadline;
	bool armed, hard, quit;
	struct run *r;
};

static void deadline_in(struct timespec *ts, uint64_t ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += (time_t)(ms / 1000);
	ts->tv_nsec += (long)(ms % 1000) * RUN_NS_PER_MS;
	if (ts->tv_nsec >= RUN_NS_PER_S) {
		ts->tv_sec++;
		ts->tv_nsec -= RUN_NS_PER_S;
	}
}

static void *timer_main(void *arg)
{
	static const char late[] = "memhp run: the scenario did not stop when told to (a loop in "
				   "a __gc finalizer or a coroutine, where Lua runs no hook): "
				   "exiting now\n";
	struct run_timer *t = arg;

	pthread_mutex_lock(&t->lock);
	for (;;) {
		int rc = 0;

		while (!t->quit && (!t->armed || rc != ETIMEDOUT))
			rc = t->armed ? pthread_cond_timedwait(&t->cond, &t->lock, &t->deadline)
				      : pthread_cond_wait(&t->cond, &t->lock);
		if (t->quit)
			break;
		if (t->hard) {
			if (write(STDERR_FILENO, late, sizeof(late) - 1) < 0) {
				/* Nothing left to tell. */
			}
			_exit(RUN_EXIT_TIMEOUT);
		}
		atomic_store_explicit(&t->r->timed_out, 1, memory_order_release);
		t->hard = true;
		deadline_in(&t->deadline, RUN_TIMEOUT_GRACE_MS);
		/* Hook the scenario's Lua from here too, as a signal handler
		 * may: a sanitizer that holds the SIGINT back until its thread
		 * calls into the C library would leave a pure-Lua loop
		 * running until the grace ends. The signal still comes, for
		 * the core (an offline retrying backs out with -EINTR). */
		lua_sethook(t->r->L, interrupt_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
		pthread_kill(t->r->thread, SIGINT);
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

static void timer_arm(struct run_timer *t, uint64_t ms, bool hard)
{
	pthread_mutex_lock(&t->lock);
	deadline_in(&t->deadline, ms);
	t->armed = true;
	t->hard = hard;
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->lock);
}

static void timer_disarm(struct run_timer *t)
{
	pthread_mutex_lock(&t->lock);
	t->armed = false;
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->lock);
}

static int timer_start(struct run_timer *t, struct run *r)
{
	pthread_condattr_t ca;

	memset(t, 0, sizeof(*t));
	t->r = r;
	pthread_mutex_init(&t->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&t->cond, &ca);
	pthread_condattr_destroy(&ca);
	return pthread_create(&t->thread, NULL, timer_main, t) ? -1 : 0;
}

static void timer_stop(struct run_timer *t)
{
	pthread_mutex_lock(&t->lock);
	t->quit = true;
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->thread, NULL);
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->lock);
}

static void on_sigint(int sig)
{
	static const char twice[] = "\nmemhp: interrupted twice: exiting now\n";

	(void)sig;
	/* Signals land on any thread; the scenario thread is the one whose
	 * offline must see it, and the one whose Lua state may be hooked. */
	if (!pthread_equal(pthread_self(), sig_run->thread)) {
		pthread_kill(sig_run->thread, SIGINT);
		return;
	}
	if (sig_run->interrupts++) {
		if (write(STDERR_FILENO, twice, sizeof(twice) - 1) < 0) {
			/* Nothing left to tell. */
		}
		_exit(RUN_EXIT_INTERRUPTED);
	}
	memhp_task_signal(sig_run->task);
	lua_sethook(sig_run->L, interrupt_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
}

/* ---- --sandbox ---------------------------------------------------------------------------- */

/* What a sandboxed scenario's Lua state may allocate: far more than any
 * scenario needs, far less than the machine has. Past it, the next Lua
 * instruction raises an error at its line; the slack is room for that
 * error, and past cap and slack an allocation fails outright. */
#define RUN_SANDBOX_LUA_MEMORY ((size_t)256 << 20)
#define RUN_SANDBOX_LUA_SLACK ((size_t)1 << 20)
#define RUN_MiB (1u << 20)
/* A sandboxed scenario without --timeout gets this one. */
#define RUN_SANDBOX_TIMEOUT "10m"

static void memory_hook(lua_State *L, lua_Debug *ar)
{
	(void)ar;
	lua_sethook(L, NULL, 0, 0);
	push_where(L);
	lua_pushfstring(L, "the scenario uses more than %d MiB of Lua memory (the --sandbox limit)",
			(int)(RUN_SANDBOX_LUA_MEMORY / RUN_MiB));
	lua_concat(L, 2);
	lua_error(L);
}

static void *sandbox_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct run *r = ud;
	size_t old = ptr ? osize : 0, total = r->lua_bytes - old + nsize;
	void *p;

	if (!nsize) {
		free(ptr);
		r->lua_bytes -= old;
		return NULL;
	}
	if (nsize > old && total > RUN_SANDBOX_LUA_MEMORY) {
		r->lua_memory_exceeded = true;
		if (total > RUN_SANDBOX_LUA_MEMORY + RUN_SANDBOX_LUA_SLACK)
			return NULL;
		/* lua_sethook() is safe anywhere, a signal handler included. */
		if (r->L && !r->cb_depth)
			lua_sethook(r->L, memory_hook, LUA_MASKCOUNT, 1);
	}
	p = realloc(ptr, nsize);
	if (p)
		r->lua_bytes = total;
	return p;
}

static int sandbox_refused(lua_State *L)
{
	return luaL_error(L, "%s is not available under --sandbox",
			  lua_tostring(L, lua_upvalueindex(1)));
}

static int sandbox_refused_field(lua_State *L)
{
	return luaL_error(L, "%s.%s is not available under --sandbox",
			  lua_tostring(L, lua_upvalueindex(1)), luaL_optstring(L, 2, "?"));
}

static int sandbox_load(lua_State *L)
{
	size_t len;
	const char *chunk = lua_tolstring(L, 1, &len);

	/* A binary chunk can break the VM in ways no check catches. */
	if (lua_type(L, 1) == LUA_TSTRING && len && chunk[0] == LUA_SIGNATURE[0])
		return luaL_error(L, "load: binary chunks are not available under --sandbox");
	lua_settop(L, 4);
	lua_pushliteral(L, "t");
	lua_replace(L, 3);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, 4, LUA_MULTRET);
	return lua_gettop(L);
}

static void refuse(lua_State *L, int t, const char *field, const char *name)
{
	t = lua_absindex(L, t);
	lua_pushstring(L, name);
	lua_pushcclosure(L, sandbox_refused, 1);
	lua_setfield(L, t, field);
}

/* A library that is not there: any field of it is an error naming it. */
static void refuse_library(lua_State *L, const char *name)
{
	lua_newtable(L);
	lua_createtable(L, 0, 1);
	lua_pushstring(L, name);
	lua_pushcclosure(L, sandbox_refused_field, 1);
	lua_setfield(L, -2, "__index");
	lua_setmetatable(L, -2);
	lua_setglobal(L, name);
}

/*
 * The libraries of a scenario from elsewhere: the pure ones (base without
 * dofile, loadfile and binary chunks; coroutine, table, string, math,
 * utf8) and os's clock and calendar. Nothing that runs a program, touches
 * a file, reads the environment, loads native code or reaches into the VM:
 * no io, package (require), debug, os.execute, remove, rename, exit,
 * getenv, tmpname, setlocale. The memhp API is whole, less m:svg().
 */
static void open_sandboxed_libs(lua_State *L)
{
	static const luaL_Reg libs[] = {
		{ LUA_GNAME, luaopen_base },	   { LUA_COLIBNAME, luaopen_coroutine },
		{ LUA_TABLIBNAME, luaopen_table }, { LUA_STRLIBNAME, luaopen_string },
		{ LUA_MATHLIBNAME, luaopen_math }, { LUA_UTF8LIBNAME, luaopen_utf8 },
		{ LUA_OSLIBNAME, luaopen_os },	   { NULL, NULL },
	};
	static const char *const os_refused[] = { "execute", "remove",	"rename",    "exit",
						  "getenv",  "tmpname", "setlocale", NULL };
	char name[RUN_SANDBOX_NAME_MAX];

	for (const luaL_Reg *lib = libs; lib->func; lib++) {
		luaL_requiref(L, lib->name, lib->func, 1);
		lua_pop(L, 1);
	}
	lua_pushglobaltable(L);
	refuse(L, -1, "dofile", "dofile");
	refuse(L, -1, "loadfile", "loadfile");
	refuse(L, -1, "require", "require");
	lua_getfield(L, -1, "load");
	lua_pushcclosure(L, sandbox_load, 1);
	lua_setfield(L, -2, "load");
	lua_getfield(L, -1, LUA_OSLIBNAME);
	for (const char *const *f = os_refused; *f; f++) {
		snprintf(name, sizeof(name), "os.%s", *f);
		refuse(L, -1, *f, name);
	}
	lua_pop(L, 2);
	refuse_library(L, LUA_IOLIBNAME);
	refuse_library(L, LUA_LOADLIBNAME);
	refuse_library(L, LUA_DBLIBNAME);
}

/*
 * Lua's warnings, which come in pieces. An error in a __gc finalizer
 * reaches us only this way ("error in __gc ..."): it is an error of the
 * script and fails the run. Other warnings are shown after warn("@on"),
 * as lua(1) does.
 */
static void on_warning(void *ud, const char *msg, int tocont)
{
	struct run *r = ud;
	size_t len = strlen(r->warning);

	if (!r->warning_continued && !tocont && *msg == '@') {
		if (!strcmp(msg, "@on"))
			r->warnings_on = true;
		else if (!strcmp(msg, "@off"))
			r->warnings_on = false;
		return;
	}
	snprintf(r->warning + len, sizeof(r->warning) - len, "%s", msg);
	r->warning_continued = tocont;
	if (tocont)
		return;
	if (!strncmp(r->warning, "error in ", strlen("error in "))) {
		fprintf(stderr, "memhp run: error: %s\n", r->warning);
		r->script_errors++;
	} else if (r->warnings_on) {
		fprintf(stderr, "memhp run: warning: %s\n", r->warning);
	}
	r->warning[0] = '\0';
}

static int msg_handler(lua_State *L)
{
	const char *msg = lua_tostring(L, 1);

	if (!msg)
		msg = luaL_tolstring(L, 1, NULL);
	luaL_traceback(L, L, msg, 1);
	return 1;
}

struct run_args {
	struct run_common_args common;
	const char *script;
	const char *timeout_arg; /* as given, for messages and the replay line */
	uint64_t timeout_ms;	 /* 0: none */
	bool logical_time, quiet, sandbox;
	bool default_timeout; /* --sandbox's, not the user's */
	int nargs;
	char **args;
};

enum { OPT_LOGICAL = RUN_OPT_OWN, OPT_TIMEOUT, OPT_SANDBOX };

/* The options memhp demo does not have. */
static int run_opt(int c, const char *arg, void *priv)
{
	struct run_args *a = priv;

	switch (c) {
	case OPT_LOGICAL:
		a->logical_time = true;
		return 0;
	case OPT_TIMEOUT:
		if (run_parse_duration(arg, &a->timeout_ms)) {
			fprintf(stderr, "memhp run: bad timeout '%s': " RUN_DURATION_HINT "\n",
				arg);
			return -1;
		}
		a->timeout_arg = arg;
		return 0;
	case OPT_SANDBOX:
		a->sandbox = true;
		return 0;
	case 'q':
		a->quiet = true;
		return 0;
	}
	return -1;
}

static int parse_args(int argc, char **argv, struct run_args *a)
{
	static const struct option longopts[] = {
		{ "logical-time", no_argument, NULL, OPT_LOGICAL },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "sandbox", no_argument, NULL, OPT_SANDBOX },
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	const struct run_cmd cmd = {
		.prog = "memhp run",
		.usage = run_usage,
		.help_lead = "The scenario API is in docs/scenarios.md; ",
		.shortopts = ":qh",
		.longopts = longopts,
		.own = run_opt,
		.priv = a,
	};
	int ret;

	memset(a, 0, sizeof(*a));
	a->common.protocol = RUN_PROTOCOL_SCRIPT;
	ret = run_getopt(argc, argv, &cmd, &a->common);
	if (ret)
		return ret;
	if (optind >= argc) {
		fprintf(stderr, "memhp run: which scenario? (memhp run SCENARIO.lua)\n");
		return -1;
	}
	a->script = argv[optind++];
	a->nargs = argc - optind;
	a->args = argv + optind;
	return 0;
}

/* The script's arg table, as lua(1) sets it: arg[0] the script. */
static void set_args(lua_State *L, const struct run_args *a)
{
	lua_createtable(L, a->nargs, 1);
	lua_pushstring(L, a->script);
	lua_rawseti(L, -2, 0);
	for (int i = 0; i < a->nargs; i++) {
		lua_pushstring(L, a->args[i]);
		lua_rawseti(L, -2, i + 1);
	}
	lua_setglobal(L, "arg");
}

enum script_result {
	SCRIPT_DID_NOT_LOAD, /* a syntax error: nothing ran, nothing to replay */
	SCRIPT_STOPPED,	     /* an error or an interrupt stopped it */
	SCRIPT_RAN,	     /* to its end */
};

/* Load and run the scenario. */
static enum script_result run_script(struct run *r, const struct run_args *a)
{
	lua_State *L = r->L;
	int rc;

	lua_pushcfunction(L, msg_handler);
	rc = luaL_loadfile(L, a->script);
	if (rc != LUA_OK) {
		/* Lua says "cannot open x.lua" or "x.lua:3: ... near ...". */
		fprintf(stderr, "memhp run: %s\n", lua_tostring(L, -1));
		lua_pop(L, 2);
		return SCRIPT_DID_NOT_LOAD;
	}
	rc = lua_pcall(L, 0, 0, -2);
	if (rc == LUA_OK && r->deferred_error) {
		/* A callback failed during the script's last call. */
		lua_pushstring(L, r->deferred_error);
		free(r->deferred_error);
		r->deferred_error = NULL;
		rc = LUA_ERRRUN;
	}
	if (rc != LUA_OK) {
		const char *msg = lua_tostring(L, -1);

		/* An allocation past cap and slack says only "not enough memory". */
		if (rc == LUA_ERRMEM && r->lua_memory_exceeded) {
			lua_pushfstring(L,
					"the scenario needs more than %d MiB of Lua memory (the "
					"--sandbox limit)",
					(int)(RUN_SANDBOX_LUA_MEMORY / RUN_MiB));
			lua_replace(L, -2);
			msg = lua_tostring(L, -1);
		}

		/* After ^C the traceback says nothing the first line does not. */
		if (r->interrupts)
			fprintf(stderr, "memhp run: %.*s\n", msg ? (int)strcspn(msg, "\n") : 11,
				msg ? msg : "interrupted");
		else
			fprintf(stderr, "memhp run: error: %s\n", msg ? msg : "(no message)");
		lua_pop(L, 2);
		return SCRIPT_STOPPED;
	}
	lua_pop(L, 1);
	return SCRIPT_RAN;
}

/* The command that replays this run: the same script, seed, protocol and
 * arguments, each quoted for the shell. */
static void print_replay(const struct run_args *a, uint64_t seed)
{
	printf("replay: memhp run ");
	run_print_shell_word(stdout, a->script);
	printf(" --seed %" PRIu64, seed);
	if (a->common.protocol != RUN_PROTOCOL_SCRIPT)
		printf(" --protocol %s",
		       a->common.protocol == MEMHP_PROTOCOL_2025 ? "2025" : "6.1");
	if (a->timeout_arg && !a->default_timeout) {
		printf(" --timeout ");
		run_print_shell_word(stdout, a->timeout_arg);
	}
	if (a->sandbox)
		printf(" --sandbox");
	if (a->common.deterministic)
		printf(" --deterministic");
	if (a->nargs)
		printf(" --");
	for (int i = 0; i < a->nargs; i++) {
		putchar(' ');
		run_print_shell_word(stdout, a->args[i]);
	}
	putchar('\n');
}

/* Output files are checked before anything runs: a typo in a path is
 * worth a second, not a whole run. */
static int check_outputs(const struct run_args *a)
{
	const char *opt[] = { "--svg", "--trace" };
	const char *path[] = { a->common.svg, a->common.trace };

	for (int i = 0; i < 2; i++) {
		int err = path[i] ? run_check_output(path[i]) : 0;

		if (err) {
			fprintf(stderr, "memhp run: %s %s: cannot write it: %s\n", opt[i], path[i],
				strerror(-err));
			return -1;
		}
	}
	return 0;
}

int cmd_run(int argc, char **argv)
{
	struct run_args a;
	struct run r = { 0 };
	struct tl_options to = { 0 };
	struct sigaction sa = { 0 }, old_sa;
	struct run_timer timer;
	char installed[RUN_PATH_MAX];
	unsigned long violations = 0, nr_allowed = 0, io_errors = 0;
	enum script_result result;
	bool ran, passed;
	int ret;

	ret = parse_args(argc, argv, &a);
	if (ret)
		return ret > 0 ? RUN_EXIT_OK : RUN_EXIT_USAGE;
	if (access(a.script, R_OK)) {
		int err = errno;

		/* The man page's examples name scenarios/x.lua: once installed,
		 * they are the program's, wherever it runs. */
		if (err != ENOENT || run_installed_file(a.script, installed, sizeof(installed))) {
			fprintf(stderr, "memhp run: cannot read %s: %s\n", a.script, strerror(err));
			return RUN_EXIT_USAGE;
		}
		a.script = installed;
	}
	if (check_outputs(&a))
		return RUN_EXIT_IO;
	r.script = a.script;
	r.seed = a.common.have_seed ? a.common.seed : run_random_seed();
	r.protocol = a.common.protocol;
	r.quiet = a.quiet;
	r.timeout_arg = a.timeout_arg;
	r.thread = pthread_self();
	r.task = memhp_current_task();

	/* Before the timeline: its origin is on the virtual clock too. So is
	 * the --timeout timer's deadline: a run that repeats also times out
	 * at the same point. */
	if (a.common.deterministic && det_start(r.seed)) {
		fprintf(stderr, "memhp run: cannot start the deterministic scheduler\n");
		return RUN_EXIT_FAILED;
	}
	to.out = a.quiet ? NULL : stdout;
	to.logical_time = a.logical_time;
	to.progress = isatty(STDERR_FILENO);
	to.keep_events = a.common.trace != NULL;
	r.tl = tl_create(&to);
	if (a.sandbox && !a.timeout_arg) {
		a.timeout_arg = RUN_SANDBOX_TIMEOUT;
		a.default_timeout = true;
		run_parse_duration(a.timeout_arg, &a.timeout_ms);
	}
	r.sandbox = a.sandbox;
	r.L = a.sandbox ? lua_newstate(sandbox_alloc, &r) : luaL_newstate();
	if (!r.tl || !r.L) {
		fprintf(stderr, "memhp run: out of memory\n");
		tl_destroy(r.tl);
		if (r.L)
			lua_close(r.L);
		return RUN_EXIT_FAILED;
	}
	tl_register_scenario_thread(r.tl);
	lua_setwarnf(r.L, on_warning, &r);
	if (a.sandbox)
		open_sandboxed_libs(r.L);
	else
		luaL_openlibs(r.L);
	lapi_open(&r);
	set_args(r.L, &a);

	/* The seed comes first: whatever happens next, the run can be replayed. */
	printf("memhp run %s: seed %" PRIu64 "%s, protocol %s%s\n", a.script, r.seed,
	       a.common.have_seed ? "" : " (random: --seed replays it)",
	       a.common.protocol == MEMHP_PROTOCOL_2025 ? "2025" : "6.1",
	       a.common.protocol == RUN_PROTOCOL_SCRIPT ? " unless the scenario pins one" : "");
	fflush(stdout);

	sig_run = &r;
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, &old_sa);
	if (a.timeout_ms) {
		if (timer_start(&timer, &r)) {
			fprintf(stderr, "memhp run: cannot start the --timeout timer\n");
			a.timeout_ms = 0;
		} else {
			timer_arm(&timer, a.timeout_ms, false);
		}
	}

	result = run_script(&r, &a);
	ran = result == SCRIPT_RAN;
	/* The finalizers of what is garbage now are the scenario's: they run
	 * while the machines are there, and the checker sees what they did. */
	lua_gc(r.L, LUA_GCCOLLECT);
	/* What memhp does from here takes what it takes. */
	if (a.timeout_ms)
		timer_disarm(&timer);

	/* From here on nothing is the scenario's: a pending signal would only
	 * make the checker's view differ from what the run left. */
	memhp_task_clear_signal(r.task);
	lapi_stop_workers(&r);
	for (int i = 0; i < r.nr_machines; i++)
		violations += lapi_final_check(&r, i, &nr_allowed);
	if (run_hooks && run_hooks->finished)
		run_hooks->finished(&r, violations, ran, run_hooks->priv);
	if (a.common.svg) {
		for (int i = 0; i < r.nr_machines; i++) {
			char path[RUN_PATH_MAX], title[RUN_PATH_MAX];

			/* What the scenario destroyed has no map to draw. */
			if (!lapi_machine(&r, i))
				continue;
			run_svg_path(a.common.svg, i + 1, path, sizeof(path));
			snprintf(title, sizeof(title), "%s, machine %d, seed %" PRIu64, a.script,
				 i + 1, r.seed);
			if (svg_write(lapi_machine(&r, i), path, title))
				io_errors++;
		}
	}
	/* Lua closes before the machines go: the finalizers it runs find
	 * every object still there, and refusing to touch it. */
	lapi_end(&r);
	/* A finalizer that never ends would hang here (Lua runs no hooks in
	 * finalizers): with a timeout, it gets only the grace. */
	if (a.timeout_ms)
		timer_arm(&timer, RUN_TIMEOUT_GRACE_MS, true);
	lua_close(r.L);
	if (a.timeout_ms)
		timer_stop(&timer);
	lapi_teardown(&r);
	if (a.common.deterministic)
		det_stop(NULL);
	sigaction(SIGINT, &old_sa, NULL);

	if (a.common.trace && tl_write_chrome(r.tl, a.common.trace, a.script))
		io_errors++;
	if (tl_dropped(r.tl))
		fprintf(stderr, "memhp run: the trace kept the first events only (%lu dropped)\n",
			tl_dropped(r.tl));
	tl_destroy(r.tl);

	passed = ran && !r.failures && !violations && !r.script_errors;
	printf("%s: %lu expectation%s, %lu failed; %lu invariant violation%s%s; %s\n",
	       r.timed_out    ? "TIMED OUT"
	       : r.interrupts ? "INTERRUPTED"
	       : passed	      ? "PASS"
			      : "FAIL",
	       r.expectations, r.expectations == 1 ? "" : "s", r.failures, violations,
	       violations == 1 ? "" : "s", nr_allowed ? " (and findings the scenario allowed)" : "",
	       ran			       ? "ran to the end"
	       : result == SCRIPT_DID_NOT_LOAD ? "did not load"
					       : "stopped early");
	if (!passed && result != SCRIPT_DID_NOT_LOAD)
		print_replay(&a, r.seed);
	fflush(stdout);
	if (r.timed_out)
		return RUN_EXIT_TIMEOUT;
	if (r.interrupts)
		return RUN_EXIT_INTERRUPTED;
	if (!passed)
		return RUN_EXIT_FAILED;
	return io_errors ? RUN_EXIT_IO : RUN_EXIT_OK;
}
