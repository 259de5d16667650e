/* SPDX-License-Identifier: MIT */
/*
 * tests/harness.h - a small TAP harness in the spirit of the kernel's
 * tools/testing and jemalloc's test.h.
 *
 * A test is a void function. ASSERT_* stop it at the first failure and
 * print where and why, and a message if given one; EXPECT_* record the
 * failure and go on; SKIP() ends a test that cannot run here. A test
 * asserts its setup (ASSERT_TRUE(m)) before it uses it. Machines made with
 * tm_create() are checked when the test ends: memhp_check() must find
 * nothing and no violation may have been logged, unless the test said it
 * expects some (tm_expect_violations()). Then they are destroyed; what the
 * test registered with them from its stack is gone by then, whichever way
 * the test ended (TM_CLEANUP(), AUTO_REG, AUTO_EVENT_LOG).
 *
 * Run one test by name: ./test_x name. Output is TAP version 13.
 */
#ifndef MEMHP_TESTS_HARNESS_H
#define MEMHP_TESTS_HARNESS_H

#include <memhp/events.h>
#include <memhp/memhp.h>

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct test {
	const char *name;
	void (*fn)(void);
};

#define T(fn)           \
	{               \
#fn, fn \
	}
#define RUN_TESTS(...)                                                                 \
	int main(int argc, char **argv)                                                \
	{                                                                              \
		static const struct test tests[] = { __VA_ARGS__ };                    \
		return run_tests(tests, sizeof(tests) / sizeof(tests[0]), argc, argv); \
	}

int run_tests(const struct test *tests, size_t n, int argc, char **argv);

/* Failure reporting (used by the macros). */
void test_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* More words on the failure just reported, on a line of their own. */
void test_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool test_failed(void);
const char *errno_name(long err);

/*
 * Every ASSERT_ and EXPECT_ takes an optional message after its operands,
 * printf-style, printed under the failure:
 *
 *	ASSERT_EQ(memhp_block_state(m, id), MEMHP_MEM_ONLINE, "memory%lu", id);
 *
 * ASSERT_ returns from the function it is in; EXPECT_ goes on and is true
 * when the check passed.
 */
#define TM_NOTE_(...) ((void)0 __VA_OPT__(, test_note(__VA_ARGS__)))
#define TM_ASSERT_(expect)      \
	do {                    \
		if (!(expect))  \
			return; \
	} while (0)

#define EXPECT_TRUE(c, ...)                                               \
	({                                                                \
		const bool _ok = (c);                                     \
		if (!_ok) {                                               \
			test_fail(__FILE__, __LINE__, "expected %s", #c); \
			TM_NOTE_(__VA_ARGS__);                            \
		}                                                         \
		_ok;                                                      \
	})
#define ASSERT_TRUE(c, ...) TM_ASSERT_(EXPECT_TRUE(c, __VA_ARGS__))
#define EXPECT_FALSE(c, ...) EXPECT_TRUE(!(c), __VA_ARGS__)
#define ASSERT_FALSE(c, ...) TM_ASSERT_(EXPECT_TRUE(!(c), __VA_ARGS__))

#define EXPECT_EQ(a, b, ...)                                                                     \
	({                                                                                       \
		const long long _a = (long long)(a), _b = (long long)(b);                        \
		if (_a != _b) {                                                                  \
			test_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld (%#llx != %#llx)", \
				  #a, #b, _a, _b, _a, _b);                                       \
			TM_NOTE_(__VA_ARGS__);                                                   \
		}                                                                                \
		_a == _b;                                                                        \
	})
#define ASSERT_EQ(a, b, ...) TM_ASSERT_(EXPECT_EQ(a, b, __VA_ARGS__))
#define EXPECT_NE(a, b, ...)                                                              \
	({                                                                                \
		const long long _a = (long long)(a), _b = (long long)(b);                 \
		if (_a == _b) {                                                           \
			test_fail(__FILE__, __LINE__, "%s != %s: both %lld", #a, #b, _a); \
			TM_NOTE_(__VA_ARGS__);                                            \
		}                                                                         \
		_a != _b;                                                                 \
	})
#define ASSERT_NE(a, b, ...) TM_ASSERT_(EXPECT_NE(a, b, __VA_ARGS__))
#define EXPECT_GT(a, b, ...)                                                                    \
	({                                                                                      \
		const long long _a = (long long)(a), _b = (long long)(b);                       \
		if (!(_a > _b)) {                                                               \
			test_fail(__FILE__, __LINE__, "%s > %s: %lld <= %lld", #a, #b, _a, _b); \
			TM_NOTE_(__VA_ARGS__);                                                  \
		}                                                                               \
		_a > _b;                                                                        \
	})
#define ASSERT_GT(a, b, ...) TM_ASSERT_(EXPECT_GT(a, b, __VA_ARGS__))

/* An errno-returning expression: prints errno names, e.g. "-EBUSY". */
#define EXPECT_ERR(expr, err, ...)                                                      \
	({                                                                              \
		const long _r = (long)(expr), _e = (long)(err);                         \
		if (_r != _e) {                                                         \
			test_fail(__FILE__, __LINE__, "%s: got %s, expected %s", #expr, \
				  errno_name(_r), errno_name(_e));                      \
			TM_NOTE_(__VA_ARGS__);                                          \
		}                                                                       \
		_r == _e;                                                               \
	})
#define ASSERT_ERR(expr, err, ...) TM_ASSERT_(EXPECT_ERR(expr, err, __VA_ARGS__))
#define ASSERT_OK(expr, ...) TM_ASSERT_(EXPECT_ERR(expr, 0, __VA_ARGS__))

#define EXPECT_STREQ(a, b, ...)                                                                 \
	({                                                                                      \
		const char *_a = (a), *_b = (b);                                                \
		const bool _ok = !strcmp(_a, _b);                                               \
		if (!_ok) {                                                                     \
			test_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #a, #b, _a, \
				  _b);                                                          \
			TM_NOTE_(__VA_ARGS__);                                                  \
		}                                                                               \
		_ok;                                                                            \
	})
#define ASSERT_STREQ(a, b, ...) TM_ASSERT_(EXPECT_STREQ(a, b, __VA_ARGS__))

/*
 * SKIP("why"): the test cannot run here (a build without the feature it
 * tests); it ends now and reports "ok N - name # SKIP why", as TAP says.
 */
void test_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define SKIP(...)                       \
	do {                            \
		test_skip(__VA_ARGS__); \
		return;                 \
	} while (0)

/*
 * Cleanup. tm_defer() (below) runs once the test function returned,
 * passed or failed: for what lives on the heap. What lives on the test's
 * stack and is known to a machine (a notifier block, a subscriber's state)
 * must be let go of before the stack is: when the enclosing block is
 * left, whichever way, an ASSERT's early return included. The compiler's
 * cleanup attribute does that:
 *
 *	TM_CLEANUP(fn, arg);	   fn(arg) when the block is left
 *	AUTO_EVENT_LOG log = {0}; an event_log unregistered then
 *	AUTO_REG r = {0};	   a subscriber or notifier, tm_event_subscribe()
 *				   or tm_register_notifier(), removed then
 */
struct tm_cleanup {
	void (*fn)(void *);
	void *arg;
};
void tm_cleanup_run_(struct tm_cleanup *c);
#define TM_CAT_(a, b) a##b
#define TM_CAT(a, b) TM_CAT_(a, b)
/* The variable is never named again: unused, but for its cleanup. */
#define TM_CLEANUP(f, a)                                                            \
	__attribute__((cleanup(tm_cleanup_run_), unused)) struct tm_cleanup TM_CAT( \
		tm_cleanup_, __COUNTER__) = { (f), (a) }

/* ---- Child processes ------------------------------------------------------ */

/* What a child of tm_run_child() printed and how it ended. */
#define TM_CHILD_OUT 8192
struct tm_child {
	int status;		/* waitpid()'s: WIFEXITED(), WTERMSIG() ... */
	char out[TM_CHILD_OUT]; /* its stdout and stderr, the first bytes */
};
/*
 * Run @fn(@arg) in a child process and wait for it: for what must crash or
 * abort (lockdep's checks), or print what the test reads (the harness's own
 * output). The child has only the calling thread; it exits with what @fn
 * returns. Its stdout and stderr go to @c->out; what does not fit is read
 * and dropped, so the child never blocks on a full pipe.
 * Return: 0, or -errno if the child could not be started or waited for.
 */
int tm_run_child(int (*fn)(void *), void *arg, struct tm_child *c);

/* ---- Machines ----------------------------------------------------------- */

/* A small machine: 512 MiB of boot RAM below 4 GiB (DMA, DMA32), a 64 GiB
 * address space, the kernel image at 16 MiB (nokaslr), the checker after
 * every operation. */
void tm_config(struct memhp_config *cfg);
/* Create a machine the harness checks and destroys when the test ends. */
struct memhp_machine *tm_create(const struct memhp_config *cfg);
/* The runtime log of @m is allowed to hold findings with this rule. */
void tm_expect_violations(struct memhp_machine *m, enum memhp_rule rule);
/* Run @fn(@arg) when the test ends, even if it failed, before its machines
 * are checked and destroyed (last deferred, first run). @arg must outlive
 * the test function: for its stack, see TM_CLEANUP(). */
void tm_defer(void (*fn)(void *), void *arg);
/* The test leaves @m broken on purpose: skip the final memhp_check(). */
void tm_skip_final_check(struct memhp_machine *m);
/* Number of logged findings with @rule. */
size_t tm_violations(struct memhp_machine *m, enum memhp_rule rule);

/* memhp_block_offline(@m, @id) on a thread of its own: start, then join
 * for its return value. */
struct tm_offliner {
	struct memhp_machine *m;
	unsigned long id;
	int ret;
	pthread_t thread;
};
int tm_offline_start(struct tm_offliner *o, struct memhp_machine *m, unsigned long id);
int tm_offline_join(struct tm_offliner *o);

/* Hot-add @nr blocks at @start (offline); ASSERTs inside. */
int tm_add_blocks(struct memhp_machine *m, uint64_t start, unsigned long nr);
unsigned long tm_block_pfn(struct memhp_machine *m, unsigned long id);
/* Allocate order-0 pages until one lands in [start, end); the others are
 * freed again. NULL if none could. */
struct memhp_page *tm_alloc_in(struct memhp_machine *m, memhp_gfp_t gfp, unsigned long start,
			       unsigned long end);

/*
 * Every free page of @m: the LRU add batches drained first (a page whose
 * owner let go of it while it waited there is free only then), then MemFree
 * plus the pages on the per-cpu lists, which MemFree leaves out.
 */
unsigned long tm_free_pages(struct memhp_machine *m);

/* An event subscriber or a memory notifier a test registered, with its
 * machine. */
struct tm_reg {
	struct memhp_machine *m; /* NULL: not registered */
	memhp_event_fn fn;
	void *priv;
	struct memhp_notifier_block *nb;
};
/* Subscribe @fn(@priv) to the @types of @m / register @nb with @m, and
 * remember it in @r. Return: what memhp_event_subscribe() /
 * memhp_register_memory_notifier() do. */
int tm_event_subscribe(struct tm_reg *r, struct memhp_machine *m, uint64_t types, memhp_event_fn fn,
		       void *priv);
int tm_register_notifier(struct tm_reg *r, struct memhp_machine *m,
			 struct memhp_notifier_block *nb);
/* Undo what @r holds; nothing if it holds nothing. */
void tm_unregister(struct tm_reg *r);
#define AUTO_REG __attribute__((cleanup(tm_unregister))) struct tm_reg

/* Records the sequence of memory notifier events it sees. */
struct event_log {
	struct memhp_notifier_block nb;
	unsigned long events[64];
	int n;
	unsigned long veto_on;	 /* an event to refuse */
	int veto_ret;		 /* what to return then */
	struct memhp_machine *m; /* registered with, or NULL */
};
void event_log_register(struct memhp_machine *m, struct event_log *log, int priority);
/* Unregister @log, if it is. */
void event_log_unregister(struct event_log *log);
#define AUTO_EVENT_LOG __attribute__((cleanup(event_log_unregister))) struct event_log
bool event_log_saw(const struct event_log *log, unsigned long event);

#endif
