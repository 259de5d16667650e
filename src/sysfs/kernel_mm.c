// SPDX-License-Identifier: MIT
/*
 * kernel_mm.c - /sys/kernel/mm: transparent_hugepage and khugepaged
 * (mm/huge_memory.c, mm/khugepaged.c), ksm (mm/ksm.c), lru_gen
 * (mm/vmscan.c), numa (mm/memory-tiers.c) and swap (mm/swap_state.c), with
 * the values, modes and write rules of Debian's 6.1 (docs/linux-comparison.md,
 * case i). hugepages/ is hugetlb's, which memhp does not model: absent.
 *
 * transparent_hugepage/enabled drives khugepaged and so min_free_kbytes
 * (memhp/sysctl.h). Every other file keeps what is written and drives
 * nothing: memhp has no huge pages, no KSM, no multi-gen LRU, no tiers and
 * no swap, so the counters stay 0 as they do in a guest where nothing asked
 * for them.
 */
#include "internal.h"

#include <memhp/sysctl.h>

#include <stdio.h>

/* HPAGE_PMD_NR - 1: khugepaged's max_ptes_* bound. */
#define HPAGE_PMD_PTES_MAX 511
/* KSM_RUN_UNMERGE: run is 0, 1 or 2. */
#define KSM_RUN_MAX 2
/* lru_gen's capabilities: LRU_GEN_CORE | LRU_GEN_MM_WALK | LRU_GEN_NONLEAF_YOUNG. */
#define LRU_GEN_CAPS_ALL 0x7UL

enum knob_kind {
	K_RO,	     /* read-only */
	K_CHOICE,    /* one of a list; shown with the current one in brackets */
	K_ULONG_MAX, /* a decimal at most .max */
	K_UINT_POS,  /* a positive decimal that fits an unsigned int */
	K_UINT,	     /* a decimal that fits an unsigned int */
	K_INT_MIN,   /* a decimal int at least .min */
	K_BOOL,	     /* kstrtobool, shown as true/false */
	K_BOOL01,    /* kstrtobool, shown as 1/0 */
	K_LRU_GEN,   /* y, n or a capability mask, shown as 0x%04lx */
};

struct knob {
	const char *dir, *name;
	enum knob_kind kind;
	const char *init;
	const char *choices; /* K_CHOICE: space separated, in 6.1's order */
	long min, max;
};

#define KNOB(d, n, k, i, ...)                                          \
	{                                                              \
		.dir = d, .name = n, .kind = k, .init = i, __VA_ARGS__ \
	}
#define RO(d, n, i) KNOB(d, n, K_RO, i, .choices = NULL)
#define CHOICE(d, n, i, c) KNOB(d, n, K_CHOICE, i, .choices = c)
#define ULONG_UPTO(d, n, i, hi) KNOB(d, n, K_ULONG_MAX, i, .max = hi)
#define UINT(d, n, i) KNOB(d, n, K_UINT, i, .choices = NULL)

static const struct knob knobs[] = {
	CHOICE("transparent_hugepage", "enabled", "always", "always madvise never"),
	CHOICE("transparent_hugepage", "defrag", "madvise",
	       "always defer defer+madvise madvise never"),
	ULONG_UPTO("transparent_hugepage", "use_zero_page", "1", 1),
	RO("transparent_hugepage", "hpage_pmd_size", "2097152"),
	CHOICE("transparent_hugepage", "shmem_enabled", "never",
	       "always within_size advise never deny force"),
	UINT("khugepaged", "alloc_sleep_millisecs", "60000"),
	ULONG_UPTO("khugepaged", "defrag", "1", 1),
	RO("khugepaged", "full_scans", "0"),
	ULONG_UPTO("khugepaged", "max_ptes_none", "511", HPAGE_PMD_PTES_MAX),
	ULONG_UPTO("khugepaged", "max_ptes_shared", "256", HPAGE_PMD_PTES_MAX),
	ULONG_UPTO("khugepaged", "max_ptes_swap", "64", HPAGE_PMD_PTES_MAX),
	RO("khugepaged", "pages_collapsed", "0"),
	KNOB("khugepaged", "pages_to_scan", K_UINT_POS, "4096", .choices = NULL),
	UINT("khugepaged", "scan_sleep_millisecs", "10000"),
	RO("ksm", "full_scans", "0"),
	KNOB("ksm", "max_page_sharing", K_INT_MIN, "256", .min = 2),
	ULONG_UPTO("ksm", "merge_across_nodes", "1", 1),
	RO("ksm", "pages_shared", "0"),
	RO("ksm", "pages_sharing", "0"),
	UINT("ksm", "pages_to_scan", "100"),
	RO("ksm", "pages_unshared", "0"),
	RO("ksm", "pages_volatile", "0"),
	ULONG_UPTO("ksm", "run", "0", KSM_RUN_MAX),
	UINT("ksm", "sleep_millisecs", "20"),
	RO("ksm", "stable_node_chains", "0"),
	UINT("ksm", "stable_node_chains_prune_millisecs", "2000"),
	RO("ksm", "stable_node_dups", "0"),
	KNOB("ksm", "use_zero_pages", K_BOOL01, "0", .choices = NULL),
	KNOB("lru_gen", "enabled", K_LRU_GEN, "0x0000", .choices = NULL),
	UINT("lru_gen", "min_ttl_ms", "0"),
	KNOB("numa", "demotion_enabled", K_BOOL, "false", .choices = NULL),
	KNOB("swap", "vma_ra_enabled", K_BOOL, "true", .choices = NULL),
};
_Static_assert(sizeof(knobs) / sizeof(knobs[0]) <= FS_MM_KNOBS_MAX, "fs->mm_knob too small");

static const char *const thp_modes[] = {
	[MEMHP_THP_ALWAYS] = "always",
	[MEMHP_THP_MADVISE] = "madvise",
	[MEMHP_THP_NEVER] = "never",
};

static int knob_of(const struct fs_ref *r)
{
	const struct fs_node *n = &fs_nodes[r->idx];
	const char *dir = fs_nodes[n->parent].name;

	for (size_t i = 0; i < ARRAY_SIZE(knobs); i++)
		if (!strcmp(knobs[i].dir, dir) && !strcmp(knobs[i].name, n->name))
			return (int)i;
	return -1;
}

static bool is_thp_enabled(int k)
{
	return k == 0;
}

/* transparent_hugepage/defrag: cleared with the rest on a small machine. */
static bool is_thp_defrag(int k)
{
	return !strcmp(knobs[k].dir, "transparent_hugepage") && !strcmp(knobs[k].name, "defrag");
}

void fs_mm_knobs_init(struct memhp_fs *fs)
{
	pthread_mutex_init(&fs->mm_lock, NULL);
	for (size_t i = 0; i < ARRAY_SIZE(knobs); i++)
		snprintf(fs->mm_knob[i], sizeof(fs->mm_knob[i]), "%s",
			 is_thp_defrag((int)i) && memhp_thp_disabled_at_boot(fs->m)
				 ? "never"
				 : knobs[i].init);
}

void fs_mm_knobs_destroy(struct memhp_fs *fs)
{
	pthread_mutex_destroy(&fs->mm_lock);
}

FS_SHOW(show_mm_knob)
{
	int k = knob_of(r);
	char cur[FS_MM_KNOB_LEN];

	if (k < 0)
		return -EIO;
	pthread_mutex_lock(&fs->mm_lock);
	memcpy(cur, fs->mm_knob[k], sizeof(cur));
	pthread_mutex_unlock(&fs->mm_lock);
	if (is_thp_enabled(k))
		snprintf(cur, sizeof(cur), "%s", thp_modes[memhp_transparent_hugepage(fs->m)]);
	if (knobs[k].kind != K_CHOICE) {
		buf_printf(b, "%s\n", cur);
		return 0;
	}
	/* "always [madvise] never" */
	for (const char *c = knobs[k].choices; *c;) {
		size_t len = strcspn(c, " ");
		bool on = strlen(cur) == len && !strncmp(c, cur, len);

		buf_printf(b, "%s%s%.*s%s", c == knobs[k].choices ? "" : " ", on ? "[" : "",
			   (int)len, c, on ? "]" : "");
		c += len + (c[len] == ' ');
	}
	buf_puts(b, "\n");
	return 0;
}

/* The value a write leaves, as the file will show it; -EINVAL if 6.1's
 * store refuses it. @buf is NUL-terminated. */
static int parse_knob(const struct knob *kb, const char *buf, char *out, size_t len)
{
	unsigned long ul;
	long l;
	bool b;

	switch (kb->kind) {
	case K_RO:
		return -EACCES;
	case K_CHOICE:
		for (const char *c = kb->choices; *c;) {
			size_t n = strcspn(c, " ");
			char word[FS_MM_KNOB_LEN];

			snprintf(word, sizeof(word), "%.*s", (int)n, c);
			if (sysfs_streq(buf, word)) {
				snprintf(out, len, "%s", word);
				return 0;
			}
			c += n + (c[n] == ' ');
		}
		return -EINVAL;
	case K_ULONG_MAX:
		if (kstrtoul(buf, 10, &ul) || ul > (unsigned long)kb->max)
			return -EINVAL;
		snprintf(out, len, "%lu", ul);
		return 0;
	case K_UINT_POS:
	case K_UINT:
		if (kstrtoul(buf, 10, &ul) || ul > UINT32_MAX || (kb->kind == K_UINT_POS && !ul))
			return -EINVAL;
		snprintf(out, len, "%lu", ul);
		return 0;
	case K_INT_MIN:
		if (kstrtol(buf, 10, &l) || l > INT32_MAX || l < kb->min)
			return -EINVAL;
		snprintf(out, len, "%ld", l);
		return 0;
	case K_BOOL:
	case K_BOOL01:
		if (kstrtobool(buf, &b))
			return -EINVAL;
		snprintf(out, len, "%s",
			 kb->kind == K_BOOL ? (b ? "true" : "false") : (b ? "1" : "0"));
		return 0;
	case K_LRU_GEN:
		/* lru_gen_enabled's store: y and n, or the capabilities. */
		if (sysfs_streq(buf, "y"))
			ul = LRU_GEN_CAPS_ALL;
		else if (sysfs_streq(buf, "n"))
			ul = 0;
		else if (kstrtoul(buf, 0, &ul) || ul > LRU_GEN_CAPS_ALL)
			return -EINVAL;
		snprintf(out, len, "0x%04lx", ul);
		return 0;
	}
	return -EINVAL;
}

FS_STORE(store_mm_knob)
{
	int k = knob_of(r);
	char val[FS_MM_KNOB_LEN];
	int ret;

	if (k < 0)
		return -EIO;
	ret = parse_knob(&knobs[k], buf, val, sizeof(val));
	if (ret)
		return ret;
	if (is_thp_enabled(k)) {
		for (int mode = 0; mode <= MEMHP_THP_NEVER; mode++)
			if (!strcmp(val, thp_modes[mode]))
				ret = memhp_set_transparent_hugepage(fs->m,
								     (enum memhp_thp_mode)mode);
		return ret ? ret : (ssize_t)len;
	}
	pthread_mutex_lock(&fs->mm_lock);
	memcpy(fs->mm_knob[k], val, sizeof(val));
	pthread_mutex_unlock(&fs->mm_lock);
	return (ssize_t)len;
}
