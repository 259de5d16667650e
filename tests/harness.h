/* SPDX-License-Identifier: MIT */
/*
 * tests/harness.h - a small TAP harness in the spirit of the kernel's
 * tools/testing and jemalloc's test.h.
 *
 * A test is a void function. ASSERT_* stop it at the first failure and
 * print where and why; EXPECT_* record the failure and go on. Machines made
 * with tm_create() are checked when the test ends: memhp_check() must find
 * nothing and no violation may have been logged, unless the test said it
 * expects some (tm_expect_violations()). Then they are destroyed.
 *
 * Run one test by name: ./test_x name. Output is TAP version 13.
 */
#ifndef MEMHP_TESTS_HARNESS_H
#define MEMHP_TESTS_HARNESS_H

#include <memhp/memhp.h>

#include <errno.h>
#include <inttypes.h>
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
bool test_failed(void);
const char *errno_name(long err);

#define EXPECT_TRUE(c) ((c) ? true : (test_fail(__FILE__, __LINE__, "expected %s", #c), false))
#define ASSERT_TRUE(c)               \
	do {                         \
		if (!EXPECT_TRUE(c)) \
			return;      \
	} while (0)
#define ASSERT_FALSE(c) ASSERT_TRUE(!(c))

#define EXPECT_EQ(a, b)                                                                          \
	({                                                                                       \
		long long _a = (long long)(a), _b = (long long)(b);                              \
		_a == _b ? true                                                                  \
			 : (test_fail(__FILE__, __LINE__,                                        \
				      "%s == %s: %lld != %lld (%#llx != %#llx)", #a, #b, _a, _b, \
				      _a, _b),                                                   \
			    false);                                                              \
	})
#define ASSERT_EQ(a, b)               \
	do {                          \
		if (!EXPECT_EQ(a, b)) \
			return;       \
	} while (0)
#define ASSERT_NE(a, b)                                                                   \
	do {                                                                              \
		long long _a = (long long)(a), _b = (long long)(b);                       \
		if (_a == _b) {                                                           \
			test_fail(__FILE__, __LINE__, "%s != %s: both %lld", #a, #b, _a); \
			return;                                                           \
		}                                                                         \
	} while (0)
#define ASSERT_GT(a, b)                                                                         \
	do {                                                                                    \
		long long _a = (long long)(a), _b = (long long)(b);                             \
		if (!(_a > _b)) {                                                               \
			test_fail(__FILE__, __LINE__, "%s > %s: %lld <= %lld", #a, #b, _a, _b); \
			return;                                                                 \
		}                                                                               \
	} while (0)

/* An errno-returning expression: prints errno names, e.g. "-EBUSY". */
#define EXPECT_ERR(expr, err)                                                               \
	({                                                                                  \
		long _r = (long)(expr), _e = (long)(err);                                   \
		_r == _e ? true                                                             \
			 : (test_fail(__FILE__, __LINE__, "%s: got %s, expected %s", #expr, \
				      errno_name(_r), errno_name(_e)),                      \
			    false);                                                         \
	})
#define ASSERT_ERR(expr, err)               \
	do {                                \
		if (!EXPECT_ERR(expr, err)) \
			return;             \
	} while (0)
#define ASSERT_OK(expr) ASSERT_ERR(expr, 0)

#define ASSERT_STREQ(a, b)                                                                      \
	do {                                                                                    \
		const char *_a = (a), *_b = (b);                                                \
		if (strcmp(_a, _b)) {                                                           \
			test_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #a, #b, _a, \
				  _b);                                                          \
			return;                                                                 \
		}                                                                               \
	} while (0)

/* ---- Machines ----------------------------------------------------------- */

/* A small machine: 512 MiB of boot RAM below 4 GiB (DMA, DMA32), a 64 GiB
 * address space, the kernel image at 16 MiB (nokaslr), the checker after
 * every operation. */
void tm_config(struct memhp_config *cfg);
/* Create a machine the harness checks and destroys when the test ends. */
struct memhp_machine *tm_create(const struct memhp_config *cfg);
/* The runtime log of @m is allowed to hold findings with this rule. */
void tm_expect_violations(struct memhp_machine *m, const char *rule);
/* Run @fn(@arg) when the test ends, even if it failed, before its machines
 * are checked and destroyed (last deferred, first run). */
void tm_defer(void (*fn)(void *), void *arg);
/* The test leaves @m broken on purpose: skip the final memhp_check(). */
void tm_skip_final_check(struct memhp_machine *m);
/* Number of logged findings with @rule (NULL: all). */
size_t tm_violations(struct memhp_machine *m, const char *rule);

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

/* Records the sequence of memory notifier events it sees. */
struct event_log {
	struct memhp_notifier_block nb;
	unsigned long events[64];
	int n;
	unsigned long veto_on; /* an event to refuse */
	int veto_ret;	       /* what to return then */
};
void event_log_register(struct memhp_machine *m, struct event_log *log, int priority);
bool event_log_saw(const struct event_log *log, unsigned long event);

#endif
