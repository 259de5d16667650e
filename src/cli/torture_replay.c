// SPDX-License-Identifier: MIT
/*
 * torture_replay.c - replay files of memhp torture, and shrinking them.
 *
 * A replay file is text, one line each: a magic line, the run's setup
 * (seed, protocol, threads, walkers), comments saying what was found, and
 * the operations in order ("op store_state 0x25 0x3 0"). Anything can be
 * edited by hand; the shrinker writes the same format.
 */
#include "torture.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define T_REPLAY_MAGIC "memhp-torture-replay 1"
/* Operations a replay file may hold: a run has TORTURE_RUN_OPS, a hand-
 * made one may have more, but not without end. */
#define T_REPLAY_MAX_OPS 1000000UL

int t_write_replay(const char *path, const struct t_setup *s, const struct t_op *ops,
		   unsigned long nr, const struct t_result *res)
{
	FILE *f = fopen(path, "w");
	char line[TORTURE_LINE];

	if (!f)
		return -errno;
	fprintf(f, "%s\n", T_REPLAY_MAGIC);
	fprintf(f, "seed %" PRIu64 "\n", s->seed);
	fprintf(f, "protocol %s\n", s->protocol == MEMHP_PROTOCOL_2025 ? "2025" : "6.1");
	fprintf(f, "threads %u\n", s->threads);
	fprintf(f, "walkers %u\n", s->walkers);
	if (s->deterministic)
		fprintf(f, "deterministic 1\n");
	if (s->deterministic && s->schedule)
		fprintf(f, "schedule %" PRIu64 "\n", s->schedule);
	if (res && (res->violation || res->tainted))
		fprintf(f, "# %s after operation %lu: %s: %s\n",
			res->violation ? "violation" : "kernel finding", res->failed_op,
			memhp_rule_name(res->rule), res->detail);
	for (unsigned long i = 0; i < nr; i++) {
		t_format_op(&ops[i], line, sizeof(line));
		fprintf(f, "op %s\n", line);
	}
	if (fclose(f))
		return -errno;
	return 0;
}

int t_read_replay(const char *path, struct t_setup *s, struct t_op **ops, unsigned long *nr)
{
	FILE *f = fopen(path, "r");
	char line[TORTURE_LINE];
	unsigned long cap = 0, n = 0, lineno = 0;
	struct t_op *v = NULL;
	int ret = 0;

	if (!f)
		return -errno;
	memset(s, 0, sizeof(*s));
	while (fgets(line, sizeof(line), f)) {
		unsigned long long x;
		char word[TORTURE_WORD];

		lineno++;
		line[strcspn(line, "\n")] = '\0';
		if (lineno == 1) {
			if (strcmp(line, T_REPLAY_MAGIC)) {
				ret = -EINVAL;
				break;
			}
			continue;
		}
		if (!line[0] || line[0] == '#')
			continue;
		if (!strncmp(line, "op ", 3)) {
			if (n == cap) {
				struct t_op *nv;

				cap = cap ? cap * 2 : TORTURE_RUN_OPS;
				nv = cap <= T_REPLAY_MAX_OPS ? realloc(v, cap * sizeof(*v)) : NULL;
				if (!nv) {
					ret = -ENOMEM;
					break;
				}
				v = nv;
			}
			if (t_parse_op(line + 3, &v[n])) {
				ret = -EINVAL;
				break;
			}
			n++;
		} else if (sscanf(line, "seed %llu", &x) == 1) {
			s->seed = x;
		} else if (sscanf(line, "protocol %31s", word) == 1) {
			s->protocol =
				!strcmp(word, "2025") ? MEMHP_PROTOCOL_2025 : MEMHP_PROTOCOL_6_1;
		} else if (sscanf(line, "threads %llu", &x) == 1) {
			s->threads = (unsigned int)x;
		} else if (sscanf(line, "walkers %llu", &x) == 1) {
			s->walkers = (unsigned int)x;
		} else if (sscanf(line, "deterministic %llu", &x) == 1) {
			s->deterministic = x != 0;
		} else if (sscanf(line, "schedule %llu", &x) == 1) {
			s->schedule = x;
		} else {
			ret = -EINVAL;
			break;
		}
	}
	fclose(f);
	if (!ret && lineno == 0)
		ret = -EINVAL;
	if (ret) {
		free(v);
		return ret;
	}
	*ops = v;
	*nr = n;
	return 0;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct shrink {
	const struct t_setup *s;
	enum memhp_rule rule;
	unsigned int tries;
	uint64_t deadline_ms;
	unsigned long tests;
	struct t_result res;
};

/* Does this candidate still end in a violation of the rule? */
static bool still_fails(struct shrink *sh, const struct t_op *ops, unsigned long nr)
{
	for (unsigned int t = 0; t < sh->tries; t++) {
		sh->tests++;
		if (t_run(sh->s, ops, nr, NULL, NULL, &sh->res))
			return false;
		if (sh->res.violation && sh->res.rule == sh->rule)
			return true;
	}
	return false;
}

unsigned long t_shrink(const struct t_setup *s, struct t_op *ops, unsigned long nr,
		       enum memhp_rule rule, unsigned int tries, uint64_t budget_ms,
		       unsigned long *tests)
{
	struct shrink sh = { s, rule, tries ? tries : 1, mono_ms() + budget_ms, 0, { 0 } };
	struct t_op *cand = malloc((nr ? nr : 1) * sizeof(*cand));
	unsigned long granularity = 2;

	if (!cand)
		return nr;
	/*
	 * ddmin: split the operations into @granularity chunks; if the ops
	 * without one chunk still fail, drop it and keep the granularity;
	 * when no complement fails, split finer; stop at single operations.
	 * (The subsets themselves are not tried: a violation almost always
	 * needs the operations that set the machine up before it.)
	 */
	while (nr >= 2 && mono_ms() < sh.deadline_ms) {
		unsigned long chunk = (nr + granularity - 1) / granularity;
		bool reduced = false;

		for (unsigned long start = 0; start < nr && mono_ms() < sh.deadline_ms;
		     start += chunk) {
			unsigned long end = start + chunk < nr ? start + chunk : nr, k = 0;

			for (unsigned long i = 0; i < nr; i++)
				if (i < start || i >= end)
					cand[k++] = ops[i];
			if (k && still_fails(&sh, cand, k)) {
				memcpy(ops, cand, k * sizeof(*ops));
				nr = k;
				granularity = granularity > 2 ? granularity - 1 : 2;
				reduced = true;
				break;
			}
		}
		if (!reduced) {
			if (granularity >= nr)
				break;
			granularity = granularity * 2 < nr ? granularity * 2 : nr;
		}
	}
	free(cand);
	if (tests)
		*tests = sh.tests;
	return nr;
}
