// SPDX-License-Identifier: MIT
/*
 * tests/test_host_memory.c - a machine the host cannot hold is refused
 * with -ENOMEM before anything is allocated, and the reason says how much
 * it needs and how much is left where (src/mm/host_memory.c).
 *
 * The host is faked: mhp_host_root points the library at a tree made
 * here, with its own /proc/meminfo, /proc/self/cgroup, mountinfo and
 * cgroup files (v1 and v2), so every rule is checked whatever the real
 * host has. tests/host-memory.sh runs memhp in a real memory cgroup.
 */
#include "../src/mm/internal.h"
#include "harness.h"

#include <stdarg.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[64];

static void put(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(const char *path, const char *fmt, ...)
{
	char full[512], *p;
	va_list ap;
	FILE *f;

	snprintf(full, sizeof(full), "%s%s", root, path);
	/* mkdir -p of the parent */
	for (p = full + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(full, 0755);
		*p = '/';
	}
	f = fopen(full, "w");
	if (!f) {
		test_fail(__FILE__, __LINE__, "cannot write %s", full);
		return;
	}
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
}

/* A fresh fake host: MemAvailable @avail_kb, and no cgroup yet. */
static void fake_host(unsigned long long avail_kb)
{
	char cmd[128];

	if (root[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
		if (system(cmd))
			test_fail(__FILE__, __LINE__, "cannot remove %s", root);
	}
	snprintf(root, sizeof(root), "/tmp/memhp-host.XXXXXX");
	if (!mkdtemp(root)) {
		test_fail(__FILE__, __LINE__, "mkdtemp: %s", strerror(errno));
		return;
	}
	put("/proc/meminfo",
	    "MemTotal:       24683772 kB\nMemFree:        1000 kB\nMemAvailable:   %llu kB\n",
	    avail_kb);
	put("/proc/self/cgroup", "0::/\n");
	put("/proc/self/mountinfo", "22 1 0:21 / / rw - ext4 /dev/vda rw\n");
	mhp_host_root = root;
}

static void unfake_host(void)
{
	char cmd[128];

	mhp_host_root = "";
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	if (system(cmd))
		test_fail(__FILE__, __LINE__, "cannot remove %s", root);
	root[0] = '\0';
}

/*
 * A q35 guest of @ram bytes in an address space of 64 GiB, or of twice the
 * RAM when that is more. Not a fixed 1 TiB: the machines these tests create
 * reserve their address space, and under ThreadSanitizer, whose shadow
 * leaves the program 1.5 TiB of addresses with the libraries somewhere in
 * it, a 1 TiB reservation failed in about one run of three (-ENOMEM from
 * mmap, wherever ASLR had put them).
 */
#define TEST_PHYS_SIZE_MIN (64 * MEMHP_GiB)

static void config(struct memhp_config *cfg, uint64_t ram)
{
	memhp_config_init(cfg, ram);
	cfg->phys_size = ram * 2 > TEST_PHYS_SIZE_MIN ? ram * 2 : TEST_PHYS_SIZE_MIN;
}

/* The bytes of descriptors for @ram of q35 boot memory: 16 a page, for
 * every 128 MiB section it touches (2 GiB below 4 GiB and the rest above,
 * or all of it below when less than 2.75 GiB). */
static uint64_t descriptors(uint64_t ram)
{
	uint64_t low = ram >= 0xb0000000ULL ? 2 * MEMHP_GiB : ram, high = ram - low;
	uint64_t sections = (low + 128 * MEMHP_MiB - 1) / (128 * MEMHP_MiB) +
			    (high + 128 * MEMHP_MiB - 1) / (128 * MEMHP_MiB);

	return sections * (128 * MEMHP_MiB / MEMHP_PAGE_SIZE) * 16;
}

static void need_is_16_bytes_a_page_of_every_boot_section_plus_a_few_mib(void)
{
	const uint64_t sizes[] = { 1 * MEMHP_GiB, 3 * MEMHP_GiB, 64 * MEMHP_GiB, 512 * MEMHP_GiB };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct memhp_config cfg;
		uint64_t ram, need;

		config(&cfg, sizes[i]);
		need = mhp_host_memory_need(&cfg, &ram);
		EXPECT_TRUE(ram <= sizes[i] && ram > sizes[i] - 2 * MEMHP_MiB);
		/* The descriptors, and at most 16 MiB besides (memhp's own,
		 * measured about 3-8 MiB, and the per-section arrays). */
		EXPECT_TRUE(need >= descriptors(sizes[i]));
		EXPECT_TRUE(need <= descriptors(sizes[i]) + 16 * MEMHP_MiB);
	}
}

static void machine_beyond_memavailable_is_refused_enomem_with_how_much(void)
{
	struct memhp_config cfg;
	struct memhp_machine *m = (void *)1;
	uint64_t ram, need;
	char want[128];

	fake_host(1024); /* 1 MiB available */
	config(&cfg, 1 * MEMHP_GiB);
	need = mhp_host_memory_need(&cfg, &ram);
	EXPECT_EQ(memhp_machine_create(&cfg, &m), -ENOMEM);
	EXPECT_TRUE(m == NULL);
	snprintf(want, sizeof(want), "1023 MiB of RAM needs %llu MiB of host memory",
		 (unsigned long long)((need + MEMHP_MiB / 2) >> 20));
	EXPECT_TRUE(strstr(memhp_config_error(), want) != NULL);
	EXPECT_TRUE(strstr(memhp_config_error(), "the host (MemAvailable) has 1 MiB left") != NULL);
	EXPECT_TRUE(strstr(memhp_config_error(), "MEMHP_IGNORE_HOST_MEMORY=1") != NULL);
	unfake_host();
}

static void machine_within_memavailable_is_created(void)
{
	struct memhp_config cfg;
	struct memhp_machine *m;
	uint64_t ram, need;

	config(&cfg, 1 * MEMHP_GiB);
	need = mhp_host_memory_need(&cfg, &ram);
	fake_host(need / 1024 + 1);
	ASSERT_EQ(memhp_machine_create(&cfg, &m), 0);
	EXPECT_EQ(memhp_config_error()[0], '\0');
	memhp_machine_destroy(m);
	fake_host(need / 1024 - 1);
	EXPECT_EQ(memhp_machine_create(&cfg, &m), -ENOMEM);
	unfake_host();
}

static void ignore_host_memory_creates_what_the_host_cannot_hold(void)
{
	struct memhp_config cfg;
	struct memhp_machine *m;

	fake_host(1024);
	config(&cfg, 1 * MEMHP_GiB);
	cfg.ignore_host_memory = true;
	ASSERT_EQ(memhp_machine_create(&cfg, &m), 0);
	memhp_machine_destroy(m);

	cfg.ignore_host_memory = false;
	setenv(MEMHP_IGNORE_HOST_MEMORY_ENV, "1", 1);
	EXPECT_EQ(memhp_machine_create(&cfg, &m), 0);
	memhp_machine_destroy(m);
	setenv(MEMHP_IGNORE_HOST_MEMORY_ENV, "0", 1);
	EXPECT_EQ(memhp_machine_create(&cfg, &m), -ENOMEM);
	unsetenv(MEMHP_IGNORE_HOST_MEMORY_ENV);
	unfake_host();
}

/* cgroup v2: memory.max less memory.current (less inactive_file), from the
 * process's cgroup up: the tightest level wins, even an ancestor's. */
static void cgroup_v2_ancestor_memory_max_limits_the_machine(void)
{
	struct memhp_config cfg;
	struct memhp_machine *m;

	fake_host(64 * 1024 * 1024); /* 64 GiB: the host is no limit */
	put("/proc/self/cgroup", "0::/user.slice/job\n");
	put("/proc/self/mountinfo", "22 1 0:21 / / rw - ext4 /dev/vda rw\n"
				    "30 22 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
	put("/sys/fs/cgroup/user.slice/job/memory.max", "max\n");
	put("/sys/fs/cgroup/user.slice/job/memory.current", "1048576\n");
	/* The parent allows 100 MiB, 95 MiB of it in use, 4 MiB of it
	 * inactive page cache: 9 MiB left. */
	put("/sys/fs/cgroup/user.slice/memory.max", "104857600\n");
	put("/sys/fs/cgroup/user.slice/memory.current", "99614720\n");
	put("/sys/fs/cgroup/user.slice/memory.stat", "anon 1\ninactive_file 4194304\n");
	config(&cfg, 1 * MEMHP_GiB);
	EXPECT_EQ(memhp_machine_create(&cfg, &m), -ENOMEM);
	EXPECT_TRUE(
		strstr(memhp_config_error(),
		       "the memory cgroup /user.slice (memory.max) has 9 MiB left of 100 MiB") !=
		NULL);
	/* 16 MiB of inactive page cache instead: 21 MiB left, enough. */
	put("/sys/fs/cgroup/user.slice/memory.stat", "anon 1\ninactive_file 16777216\n");
	ASSERT_EQ(memhp_machine_create(&cfg, &m), 0);
	memhp_machine_destroy(m);
	unfake_host();
}

/* cgroup v1 (the memory controller mounted on its own, as a hybrid
 * systemd host has it), under a container's mount of a sub-tree. */
static void cgroup_v1_memory_limit_in_bytes_limits_the_machine(void)
{
	struct memhp_config cfg;
	struct memhp_machine *m;

	fake_host(64 * 1024 * 1024);
	put("/proc/self/cgroup", "9:name=systemd:/\n4:cpu,memory:/docker/abc\n0::/\n");
	put("/proc/self/mountinfo",
	    "22 1 0:21 / / rw - ext4 /dev/vda rw\n"
	    "31 22 0:27 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n"
	    "32 22 0:28 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,cpu,memory\n");
	/* The container's own cgroup is the mount's top. */
	put("/sys/fs/cgroup/memory/memory.limit_in_bytes", "8388608\n");
	put("/sys/fs/cgroup/memory/memory.usage_in_bytes", "0\n");
	put("/sys/fs/cgroup/memory/memory.stat", "cache 0\ntotal_inactive_file 0\n");
	config(&cfg, 1 * MEMHP_GiB);
	EXPECT_EQ(memhp_machine_create(&cfg, &m), -ENOMEM);
	EXPECT_TRUE(strstr(memhp_config_error(),
			   "the memory cgroup / (memory.limit_in_bytes) has 8 MiB left of 8 MiB") !=
		    NULL);
	/* v1's "unlimited" is 2^63 less a page: no limit at all. */
	put("/sys/fs/cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n");
	ASSERT_EQ(memhp_machine_create(&cfg, &m), 0);
	memhp_machine_destroy(m);
	unfake_host();
}

/* The room left after creation is the budget of hot-added memory: a
 * section's descriptors beyond it are refused as a memmap Linux cannot
 * allocate, and removal gives them back. */
static void hot_add_beyond_what_the_host_had_left_fails_enomem(void)
{
	const uint64_t block = 128 * MEMHP_MiB, descs = block / MEMHP_PAGE_SIZE * 16;
	struct memhp_config cfg;
	struct memhp_machine *m;
	uint64_t ram, need;

	config(&cfg, 1 * MEMHP_GiB);
	need = mhp_host_memory_need(&cfg, &ram);
	/* Room for the machine and one more block's descriptors, in kB. */
	fake_host((need + descs + 1023) / 1024);
	ASSERT_EQ(memhp_machine_create(&cfg, &m), 0);
	EXPECT_EQ(memhp_add_memory(m, 0, 4 * MEMHP_GiB, block, 0), 0);
	EXPECT_EQ(memhp_add_memory(m, 0, 4 * MEMHP_GiB + block, block, 0), -ENOMEM);
	/* Nothing of the refused block stayed. */
	EXPECT_EQ(memhp_add_memory(m, 0, 4 * MEMHP_GiB + block, block, 0), -ENOMEM);
	EXPECT_EQ(memhp_remove_memory(m, 4 * MEMHP_GiB, block), 0);
	EXPECT_EQ(memhp_add_memory(m, 0, 4 * MEMHP_GiB + block, block, 0), 0);
	EXPECT_EQ(memhp_check(m, NULL), 0);
	memhp_machine_destroy(m);

	/* Unchecked, the budget has no end. */
	cfg.ignore_host_memory = true;
	ASSERT_EQ(memhp_machine_create(&cfg, &m), 0);
	for (uint64_t a = 4 * MEMHP_GiB; a < 5 * MEMHP_GiB; a += block)
		EXPECT_EQ(memhp_add_memory(m, 0, a, block, 0), 0);
	memhp_machine_destroy(m);
	unfake_host();
}

/* Whether every host page of @len bytes at @addr is resident (mincore). */
static bool host_resident(const void *addr, size_t len)
{
	const long pg = sysconf(_SC_PAGESIZE);
	uintptr_t start = (uintptr_t)addr & ~(uintptr_t)(pg - 1);
	size_t n = ((uintptr_t)addr + len - start + (size_t)pg - 1) / (size_t)pg;
	unsigned char vec[256];

	if (n > sizeof(vec) || mincore((void *)start, n * (size_t)pg, vec))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(vec[i] & 1))
			return false;
	return true;
}

/* A removed section's descriptors read as zeroes at once (a stale walker
 * gets no reference) but stay on the host, charged to the budget, for the
 * next hot-add of the section; a section that never had descriptors and
 * finds the budget short takes the room back from them. */
static void a_removed_sections_memmap_stays_resident_until_the_budget_needs_it(void)
{
	const uint64_t block = 128 * MEMHP_MiB, descs = block / MEMHP_PAGE_SIZE * 16;
	const uint64_t a = 4 * MEMHP_GiB, b = a + block;
	struct memhp_config cfg;
	struct memhp_machine *m;
	struct memhp_page *first;
	uint64_t ram, need;
	int64_t budget;

	config(&cfg, 1 * MEMHP_GiB);
	need = mhp_host_memory_need(&cfg, &ram);
	fake_host((need + descs + 1023) / 1024);
	ASSERT_EQ(memhp_machine_create(&cfg, &m), 0);
	first = pfn_to_page(m, PHYS_PFN(a));
	ASSERT_EQ(memhp_add_memory(m, 0, a, block, 0), 0);
	/* Online and offline, so its descriptors are all but zeroes. */
	ASSERT_EQ(memhp_block_online(m, memhp_phys_to_block_id(m, a), MEMHP_MMOP_ONLINE_MOVABLE),
		  0);
	ASSERT_EQ(memhp_block_offline(m, memhp_phys_to_block_id(m, a)), 0);
	budget = atomic_load(&m->host_budget);
	ASSERT_EQ(memhp_remove_memory(m, a, block), 0);

	EXPECT_EQ(atomic_load(&first->raw[0]), 0);
	EXPECT_EQ(atomic_load(&first[PHYS_PFN(block) - 1].raw[1]), 0);
	EXPECT_TRUE(host_resident(first, descs));
	EXPECT_EQ(atomic_load(&m->host_budget), budget);
	/* The same section again: its descriptors are there, nothing charged. */
	ASSERT_EQ(memhp_add_memory(m, 0, a, block, 0), 0);
	EXPECT_EQ(atomic_load(&m->host_budget), budget);
	ASSERT_EQ(memhp_remove_memory(m, a, block), 0);
	/* Another section: the kept descriptors go back to make room. */
	EXPECT_EQ(memhp_add_memory(m, 0, b, block, 0), 0);
	EXPECT_FALSE(host_resident(first, descs));
	EXPECT_EQ(atomic_load(&first->raw[0]), 0);
	EXPECT_EQ(memhp_check(m, NULL), 0);
	memhp_machine_destroy(m);
	unfake_host();
}

/* What cannot be read limits nothing: no /proc, no cgroup files. */
static void unreadable_sources_limit_nothing(void)
{
	struct memhp_config cfg;
	struct memhp_machine *m;

	fake_host(1);
	unfake_host();
	snprintf(root, sizeof(root), "/nonexistent/memhp-host");
	mhp_host_root = root;
	config(&cfg, 1 * MEMHP_GiB);
	ASSERT_EQ(memhp_machine_create(&cfg, &m), 0);
	memhp_machine_destroy(m);
	mhp_host_root = "";
	root[0] = '\0';
}

RUN_TESTS(T(need_is_16_bytes_a_page_of_every_boot_section_plus_a_few_mib),
	  T(machine_beyond_memavailable_is_refused_enomem_with_how_much),
	  T(machine_within_memavailable_is_created),
	  T(ignore_host_memory_creates_what_the_host_cannot_hold),
	  T(cgroup_v2_ancestor_memory_max_limits_the_machine),
	  T(cgroup_v1_memory_limit_in_bytes_limits_the_machine),
	  T(a_removed_sections_memmap_stays_resident_until_the_budget_needs_it),
	  T(hot_add_beyond_what_the_host_had_left_fails_enomem),
	  T(unreadable_sources_limit_nothing))
