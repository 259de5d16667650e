// SPDX-License-Identifier: MIT
/*
 * host_memory.c - can the host hold a machine? Asked before a machine is
 * created, so that a RAM size the host (or the memory cgroup the process
 * runs in) cannot hold is refused with -ENOMEM and a sentence saying how
 * much it needs, instead of being killed by the OOM killer once the
 * memmap is faulted in.
 *
 * What a machine costs the host (docs/performance.md has the numbers):
 * physical memory and the vmemmap are reservations of address space
 * (MAP_NORESERVE, PROT_NONE), free until written. What is written at
 * creation is the descriptors of every section boot memory touches
 * (vmemmap_populate() faults them all in: 16 bytes per 4 KiB page, 4 MiB
 * per GiB), the per-section and per-block arrays, and memhp's own few
 * MiB. Guest pages cost only when something writes into them (data
 * workloads, tmpfs files): they are the guest's business, as on a real
 * host that overcommits, and are not counted here.
 *
 * What is left once the machine is built is its budget for hot-added
 * memory: vmemmap_populate() refuses a section whose descriptors would go
 * beyond it (-ENOMEM, as Linux's hot-add when it cannot allocate a
 * memmap), so a pc-dimm or a virtio-mem plug cannot OOM the host either.
 * Removed sections keep their descriptors, and their charge, until such a
 * refusal would happen: then they go back to the host first.
 * The budget is a snapshot: what other processes take later, and what
 * guests write into their pages, are not in it.
 *
 * What the host can give: MemAvailable, and for each memory cgroup
 * (v1 or v2) the process is in, from its own up to the root, the limit
 * minus what is charged, less the inactive page cache that reclaim would
 * drop first (the figure "docker stats" shows). Swap is not counted: a
 * memmap in swap turns every walk into disk reads. A source that cannot
 * be read limits nothing.
 */
#include "internal.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* memhp's own resident memory beside the memmap: the program, its
 * libraries and threads, the Lua state, the guest kernel model's
 * bookkeeping. Measured 5.9-7.5 MiB with machines of 1 GiB to 3 TiB
 * ("memhp shell", VmHWM less the memmap, docs/performance.md), of which
 * the per-section arrays, counted apart, are up to 2 MiB; rounded up. */
#define HOST_FIXED_COST (8 * MEMHP_MiB)
/* A limit this large means none: cgroup v1 writes PAGE_COUNTER_MAX pages
 * (2^63 - 4096 bytes) for "unlimited". */
#define HOST_NO_LIMIT (1ULL << 62)
#define HOST_LINE_MAX 4096
/* How many cgroup levels are walked up at most. */
#define HOST_CGROUP_DEPTH_MAX 64

/* Tests point this at a tree of their own making (tests/test_host_memory.c). */
const char *mhp_host_root = "";

struct host_room {
	uint64_t room;		      /* bytes the process may still get */
	uint64_t limit;		      /* the binding limit, for the message */
	char what[PATH_MAX * 2 + 64]; /* where the binding limit is */
};

static FILE *host_open(const char *path)
{
	char full[PATH_MAX * 2];

	snprintf(full, sizeof(full), "%s%s", mhp_host_root, path);
	return fopen(full, "re");
}

/* The first number in @path (a cgroup file: a number or "max"). */
static bool read_u64(const char *path, uint64_t *v)
{
	FILE *f = host_open(path);
	char buf[64];
	bool ok = false;

	if (!f)
		return false;
	if (fgets(buf, sizeof(buf), f)) {
		char *end;

		if (!strncmp(buf, "max", 3)) {
			*v = UINT64_MAX;
			ok = true;
		} else {
			*v = strtoull(buf, &end, 10);
			ok = end != buf;
		}
	}
	fclose(f);
	return ok;
}

/* "KEY VALUE" (memory.stat) or "Key: VALUE kB" (meminfo): VALUE times @unit. */
static bool read_key(const char *path, const char *key, uint64_t unit, uint64_t *v)
{
	FILE *f = host_open(path);
	char line[HOST_LINE_MAX];
	size_t n = strlen(key);
	bool ok = false;

	if (!f)
		return false;
	while (!ok && fgets(line, sizeof(line), f)) {
		char *end;

		if (strncmp(line, key, n) || (line[n] != ' ' && line[n] != ':'))
			continue;
		*v = strtoull(line + n + 1, &end, 10);
		ok = end != line + n + 1;
		if (ok && *v > UINT64_MAX / unit)
			*v = UINT64_MAX;
		else if (ok)
			*v *= unit;
	}
	fclose(f);
	return ok;
}

static void room_consider(struct host_room *r, uint64_t room, uint64_t limit, const char *what)
{
	if (room >= r->room)
		return;
	r->room = room;
	r->limit = limit;
	snprintf(r->what, sizeof(r->what), "%s", what);
}

/* Is @opt one of the comma-separated words of @opts? */
static bool has_word(const char *opts, const char *opt)
{
	size_t n = strlen(opt);

	for (const char *p = opts; p;) {
		if (!strncmp(p, opt, n) && (p[n] == ',' || p[n] == '\0' || p[n] == '\n'))
			return true;
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return false;
}

/*
 * Where the hierarchy with the memory controller is mounted: v2 (@v2) is
 * "cgroup2", v1 a "cgroup" mount with the "memory" option. @mnt gets the
 * mount point, @root the cgroup the mount shows at its top.
 */
static bool cgroup_mount(bool v2, char *mnt, char *root, size_t len)
{
	FILE *f = host_open("/proc/self/mountinfo");
	char line[HOST_LINE_MAX];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [TAGS...] - TYPE SOURCE SUPEROPTS */
		char *sep = strstr(line, " - "), *save = NULL, *tok, *type, *super;
		char *f_root = NULL, *f_mnt = NULL;

		if (!sep)
			continue;
		*sep = '\0';
		tok = strtok_r(line, " ", &save);
		for (int i = 0; tok && i < 5; i++, tok = strtok_r(NULL, " ", &save)) {
			if (i == 3)
				f_root = tok;
			if (i == 4)
				f_mnt = tok;
		}
		save = NULL;
		type = strtok_r(sep + 3, " ", &save);
		strtok_r(NULL, " ", &save); /* source */
		super = strtok_r(NULL, " \n", &save);
		if (!f_root || !f_mnt || !type)
			continue;
		if (v2 ? strcmp(type, "cgroup2")
		       : strcmp(type, "cgroup") || !super || !has_word(super, "memory"))
			continue;
		/* Mount points with spaces come as \040: none here do. */
		if (strlen(f_mnt) >= len || strlen(f_root) >= len)
			continue;
		strcpy(mnt, f_mnt);
		strcpy(root, f_root);
		found = true;
	}
	fclose(f);
	return found;
}

/* The room each level of one hierarchy leaves, from @cg (a cgroup path as
 * /proc/self/cgroup shows it) up to the top. */
static void cgroup_room(struct host_room *r, bool v2, const char *cg)
{
	char mnt[PATH_MAX], root[PATH_MAX], dir[PATH_MAX * 2], path[PATH_MAX * 2 + 32];
	char what[sizeof(((struct host_room *)0)->what)];
	const char *rel = cg;
	size_t top;

	if (!cgroup_mount(v2, mnt, root, sizeof(mnt)))
		return;
	/* A mount of a sub-tree (a container's) shows @root at its top. */
	if (strcmp(root, "/")) {
		size_t n = strlen(root);

		if (!strncmp(cg, root, n) && (cg[n] == '/' || !cg[n]))
			rel = cg + n;
		else
			rel = "";
	}
	snprintf(dir, sizeof(dir), "%s%s", mnt, rel);
	top = strlen(mnt);
	while (strlen(dir) > top && dir[strlen(dir) - 1] == '/')
		dir[strlen(dir) - 1] = '\0';
	for (int depth = 0; depth < HOST_CGROUP_DEPTH_MAX; depth++) {
		uint64_t limit, usage, inactive = 0;
		char *slash;

		snprintf(path, sizeof(path), "%s/%s", dir,
			 v2 ? "memory.max" : "memory.limit_in_bytes");
		if (read_u64(path, &limit) && limit < HOST_NO_LIMIT) {
			snprintf(path, sizeof(path), "%s/%s", dir,
				 v2 ? "memory.current" : "memory.usage_in_bytes");
			if (!read_u64(path, &usage))
				usage = 0;
			snprintf(path, sizeof(path), "%s/memory.stat", dir);
			read_key(path, v2 ? "inactive_file" : "total_inactive_file", 1, &inactive);
			usage = usage > inactive ? usage - inactive : 0;
			snprintf(what, sizeof(what), "the memory cgroup %s (%s)",
				 dir[top] ? dir + top : "/",
				 v2 ? "memory.max" : "memory.limit_in_bytes");
			room_consider(r, usage < limit ? limit - usage : 0, limit, what);
		}
		if (strlen(dir) <= top)
			break;
		slash = strrchr(dir + top, '/');
		if (!slash)
			break;
		*slash = '\0';
	}
}

static void host_room(struct host_room *r)
{
	FILE *f;
	char line[HOST_LINE_MAX];
	uint64_t avail;

	r->room = UINT64_MAX;
	r->limit = UINT64_MAX;
	r->what[0] = '\0';
	if (read_key("/proc/meminfo", "MemAvailable", MEMHP_KiB, &avail)) {
		uint64_t total = 0;

		read_key("/proc/meminfo", "MemTotal", MEMHP_KiB, &total);
		room_consider(r, avail, total, "the host (MemAvailable)");
	}
	f = host_open("/proc/self/cgroup");
	if (!f)
		return;
	/* ID:CONTROLLERS:PATH; v2's line is "0::PATH". */
	while (fgets(line, sizeof(line), f)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		bool v2;

		if (!c2)
			continue;
		*c1 = '\0';
		*c2 = '\0';
		c2[1 + strcspn(c2 + 1, "\n")] = '\0';
		v2 = !strcmp(line, "0") && c1[1] == '\0';
		if (v2 || has_word(c1 + 1, "memory"))
			cgroup_room(r, v2, c2 + 1);
	}
	fclose(f);
}

/* "1.5 GiB", "300 MiB" */
static void fmt_size(char *buf, size_t len, uint64_t bytes)
{
	static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)bytes;
	unsigned int u = 0;

	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	if (u && v < 10 && v != (double)(uint64_t)v)
		snprintf(buf, len, "%.1f %s", v, units[u]);
	else
		snprintf(buf, len, "%.0f %s", v, units[u]);
}

/* The descriptors of the boot sections (*@descs) and the rest of the
 * machine's cost at creation; returns the sum. */
static uint64_t host_need(const struct memhp_config *cfg, uint64_t *ram, uint64_t *descs)
{
	uint64_t section = cfg->section_size, sections = 0, need;
	uint64_t nr_sections = cfg->phys_size / section;
	uint64_t last = UINT64_MAX;

	*ram = 0;
	/* Boot ranges are sorted and apart: count each section once. */
	for (unsigned int i = 0; i < cfg->nr_boot; i++) {
		uint64_t first = cfg->boot[i].start / section;
		uint64_t end = (cfg->boot[i].start + cfg->boot[i].size - 1) / section;

		*ram += cfg->boot[i].size;
		if (first == last)
			first++;
		if (end >= first)
			sections += end - first + 1;
		last = end;
	}
	*descs = sections * (section >> MEMHP_PAGE_SHIFT) * sizeof(struct memhp_page);
	need = *descs + nr_sections * sizeof(struct mem_section);
	need += (cfg->phys_size >> MEMHP_PAGE_SHIFT) >> cfg->pageblock_order;
	need += cfg->phys_size / cfg->block_size * sizeof(struct memory_block);
	return need + HOST_FIXED_COST;
}

uint64_t mhp_host_memory_need(const struct memhp_config *cfg, uint64_t *ram)
{
	uint64_t descs;

	return host_need(cfg, ram, &descs);
}

int mhp_host_memory_check(const struct memhp_config *cfg, int64_t *budget, char *msg, size_t len)
{
	const char *env = getenv(MEMHP_IGNORE_HOST_MEMORY_ENV);
	struct host_room r;
	uint64_t ram, descs, need = host_need(cfg, &ram, &descs);
	char a[32], b[32], c[32], d[32];

	*budget = INT64_MAX;
	if (cfg->ignore_host_memory || (env && *env && strcmp(env, "0")))
		return 0;
	host_room(&r);
	if (need <= r.room) {
		/* What is left after the rest is for descriptors: the boot
		 * sections' now, hot-added memory's later. */
		if (r.room - (need - descs) < (uint64_t)INT64_MAX)
			*budget = (int64_t)(r.room - (need - descs));
		return 0;
	}
	fmt_size(a, sizeof(a), ram);
	fmt_size(b, sizeof(b), need);
	fmt_size(c, sizeof(c), r.room);
	fmt_size(d, sizeof(d), r.limit);
	snprintf(msg, len,
		 "%s of RAM needs %s of host memory (4 MiB a GiB for page descriptors); %s "
		 "has %s left of %s (" MEMHP_IGNORE_HOST_MEMORY_ENV "=1 to try anyway)",
		 a, b, r.what, c, d);
	return -ENOMEM;
}
