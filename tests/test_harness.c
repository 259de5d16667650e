// SPDX-License-Identifier: MIT
/*
 * test_harness.c - the test harness itself (harness.h): what a failing or
 * skipped test prints, and what is cleaned up when an ASSERT ends a test
 * early. Each case runs a small table of inner tests in a child process
 * and reads its TAP output.
 */
#include "harness.h"

#include "../src/mm/internal.h"

#include <sys/wait.h>

struct inner {
	const struct test *tests;
	size_t n;
};

static int inner_main(void *arg)
{
	const struct inner *in = arg;
	char *argv[] = { "inner", NULL };

	return run_tests(in->tests, in->n, 1, argv);
}

/*
 * run_tests() on @tests in a child, its stdout and stderr into @r->out.
 * Return: 0, or -errno if the child could not be run.
 */
static int run_inner(const struct test *tests, size_t n, struct tm_child *r)
{
	struct inner in = { tests, n };

	return tm_run_child(inner_main, &in, r);
}

/* Does @s hold @a, and later @b? */
static bool in_order(const char *s, const char *a, const char *b)
{
	const char *p = strstr(s, a);

	return p && strstr(p + strlen(a), b);
}

/* ---- Inner tests: they fail or skip on purpose ------------------------------ */

static void inner_assert_with_message(void)
{
	const int id = 7;

	EXPECT_TRUE(id == 8, "expect %s", "goes on");
	ASSERT_EQ(id + 1, 9, "memory%d", id);
	printf("# not reached\n");
}

static void inner_skip(void)
{
	SKIP("no %s here", "feature");
}

static void inner_fail_then_skip(void)
{
	EXPECT_TRUE(false);
	SKIP("too late");
}

static void print_cleanup(void *arg)
{
	printf("# cleanup %s\n", (const char *)arg);
}

static void inner_early_assert_with_cleanups(void)
{
	TM_CLEANUP(print_cleanup, "outer");
	{
		TM_CLEANUP(print_cleanup, "inner");

		ASSERT_TRUE(false);
	}
}

/* Where the inner test's event log was: compared with, never used. */
static const void *stack_log_nb;

static void print_chain(void *arg)
{
	struct memhp_machine *m = arg;
	bool found = false;

	for (const struct memhp_notifier_block *nb = m->memory_chain.head; nb; nb = nb->next)
		found |= (const void *)nb == stack_log_nb;
	printf("# the stack's log is %s\n", found ? "still registered" : "gone");
}

static void inner_early_assert_with_an_event_log(void)
{
	struct memhp_machine *m = tm_create(NULL);
	AUTO_EVENT_LOG log = { 0 };

	ASSERT_TRUE(m);
	/* Runs once the test function returned: the log's stack is gone. */
	tm_defer(print_chain, m);
	event_log_register(m, &log, 0);
	stack_log_nb = &log.nb;
	ASSERT_TRUE(log.n == 1);
}

/* ---- The cases ------------------------------------------------------------- */

static void a_failure_prints_the_message_after_the_operands(void)
{
	static const struct test inner[] = { T(inner_assert_with_message) };
	struct tm_child r;

	ASSERT_OK(run_inner(inner, 1, &r));
	ASSERT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 1, "status %#x", r.status);
	ASSERT_TRUE(in_order(r.out, "expected id == 8\n#   expect goes on\n",
			     "id + 1 == 9: 8 != 9 (0x8 != 0x9)\n#   memory7\n"),
		    "%s", r.out);
	ASSERT_TRUE(strstr(r.out, "not ok 1 - inner_assert_with_message\n"), "%s", r.out);
	ASSERT_FALSE(strstr(r.out, "not reached"), "%s", r.out);
}

static void skip_reports_ok_with_the_reason_unless_the_test_failed(void)
{
	static const struct test inner[] = { T(inner_skip), T(inner_fail_then_skip) };
	struct tm_child r;

	ASSERT_OK(run_inner(inner, 2, &r));
	ASSERT_TRUE(strstr(r.out, "\nok 1 - inner_skip # SKIP no feature here\n"), "%s", r.out);
	ASSERT_TRUE(strstr(r.out, "\nnot ok 2 - inner_fail_then_skip\n"), "%s", r.out);
	ASSERT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 1, "status %#x", r.status);
}

static void an_early_assert_runs_the_cleanups_of_every_block_it_leaves(void)
{
	static const struct test inner[] = { T(inner_early_assert_with_cleanups) };
	struct tm_child r;

	ASSERT_OK(run_inner(inner, 1, &r));
	ASSERT_TRUE(in_order(r.out, "# cleanup inner\n", "# cleanup outer\n"), "%s", r.out);
	ASSERT_TRUE(in_order(r.out, "# cleanup outer\n", "not ok 1"), "%s", r.out);
}

static void an_early_assert_leaves_no_stack_event_log_registered(void)
{
	static const struct test inner[] = { T(inner_early_assert_with_an_event_log) };
	struct tm_child r;

	ASSERT_OK(run_inner(inner, 1, &r));
	ASSERT_TRUE(strstr(r.out, "# the stack's log is gone\n"), "%s", r.out);
	ASSERT_TRUE(strstr(r.out, "not ok 1"), "%s", r.out);
}

RUN_TESTS(T(a_failure_prints_the_message_after_the_operands),
	  T(skip_reports_ok_with_the_reason_unless_the_test_failed),
	  T(an_early_assert_runs_the_cleanups_of_every_block_it_leaves),
	  T(an_early_assert_leaves_no_stack_event_log_registered))
