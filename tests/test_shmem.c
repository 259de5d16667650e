// SPDX-License-Identifier: MIT
/*
 * test_shmem.c - tmpfs of the machine (memhp/shmem.h): where its pages come
 * from and how they are counted, that their bytes survive migration,
 * offlining and soft offlining, what a memory failure does to a file, the
 * limits and their ENOSPC, and the file system rules (holes, truncation,
 * unlink of open files, directories, rename, links, fallocate, seek).
 *
 * The machine: 512 MiB of boot RAM below 4 GiB and, where a test needs
 * ZONE_MOVABLE, blocks hot-added at 4 GiB (memory32, ...) online movable.
 */
#include "harness.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define HOT (4 * MEMHP_GiB)
#define B0 32
#define PG MEMHP_PAGE_SIZE
#define ROOT MEMHP_SHMEM_ROOT_INO

/* ---- Helpers ---------------------------------------------------------------- */

static struct memhp_machine *with_movable(unsigned long nr_blocks)
{
	struct memhp_machine *m = tm_create(NULL);

	if (!m || (nr_blocks && tm_add_blocks(m, HOT, nr_blocks)))
		return NULL;
	for (unsigned long i = 0; i < nr_blocks; i++)
		if (memhp_block_online(m, B0 + i, MEMHP_MMOP_ONLINE_MOVABLE))
			return NULL;
	return m;
}

static void destroy_sb(void *arg)
{
	memhp_shmem_destroy(arg);
}

/* An instance destroyed when the test ends, before its machine is checked.
 * @size_pages: 0 for no limit, ~0UL for tmpfs's default. */
static struct memhp_shmem *tmpfs(struct memhp_machine *m, unsigned long size_pages)
{
	struct memhp_shmem_options o;
	struct memhp_shmem *sb;

	if (!m)
		return NULL;
	memhp_shmem_options_init(m, &o);
	if (size_pages != ~0UL)
		o.max_blocks = size_pages;
	if (memhp_shmem_create(m, &o, &sb))
		return NULL;
	tm_defer(destroy_sb, sb);
	return sb;
}

/* A new regular file in the root: its inode number (0 on failure). The
 * caller holds the creation's reference. */
static uint64_t new_file(struct memhp_shmem *sb, const char *name)
{
	struct memhp_shmem_attr a;

	if (memhp_shmem_mknod(sb, ROOT, name, S_IFREG | 0644, 0, 0, 0, &a))
		return 0;
	return a.ino;
}

/* Every free page: on the free lists or the per-cpu lists. */
static unsigned long free_pages(struct memhp_machine *m)
{
	return tm_free_pages(m);
}

static unsigned long shmem_pages(struct memhp_machine *m)
{
	struct memhp_meminfo mi;

	memhp_meminfo(m, &mi);
	return mi.shmem_pages;
}

static void fill(void *buf, size_t len, uint64_t seed)
{
	unsigned char *p = buf;

	for (size_t i = 0; i < len; i++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		p[i] = (unsigned char)(seed >> 56);
	}
}

/* Write @len bytes of @seed's pattern at @off, all of them. */
static bool write_all(struct memhp_shmem *sb, uint64_t ino, uint64_t seed, size_t len, off_t off)
{
	char *buf = malloc(len);
	ssize_t n;

	if (!buf)
		return false;
	fill(buf, len, seed);
	n = memhp_shmem_write(sb, ino, buf, len, off);
	free(buf);
	return n == (ssize_t)len;
}

/* Do the @len bytes at @off read back as @seed's pattern? */
static bool reads_back(struct memhp_shmem *sb, uint64_t ino, uint64_t seed, size_t len, off_t off)
{
	char *want = malloc(len), *got = malloc(len);
	bool same;

	if (!want || !got) {
		free(want);
		free(got);
		return false;
	}
	fill(want, len, seed);
	same = memhp_shmem_read(sb, ino, got, len, off) == (ssize_t)len && !memcmp(want, got, len);
	free(want);
	free(got);
	return same;
}

static bool all_zero(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

/* A /proc/meminfo (or other served file) line's number. */
static long fs_value(struct memhp_fs *fs, const char *path, const char *key)
{
	static char buf[16384];
	ssize_t n = memhp_fs_read(fs, path, buf, sizeof(buf) - 1);
	char *p;

	if (n < 0)
		return -1;
	buf[n] = '\0';
	p = strstr(buf, key);
	return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

static void destroy_fs(void *arg)
{
	memhp_fs_destroy(arg);
}

static bool pfn_in_block(struct memhp_machine *m, unsigned long pfn, unsigned long id)
{
	return pfn >= tm_block_pfn(m, id) && pfn < tm_block_pfn(m, id + 1);
}

/* ---- Accounting and placement ----------------------------------------------- */

static void writing_a_file_lowers_memfree_and_raises_shmem(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_shmem *sb = tmpfs(m, ~0UL);
	struct memhp_fs *fs;
	unsigned long free0;
	long avail0, node_file0;
	uint64_t ino;

	ASSERT_TRUE(sb);
	ASSERT_OK(memhp_fs_create(m, &fs));
	tm_defer(destroy_fs, fs);
	free0 = free_pages(m);
	/* MemFree, and MemAvailable with it, leave out the per-cpu lists:
	 * drained, they say what the file took and nothing else. */
	memhp_drain_all_pages(m);
	avail0 = fs_value(fs, "/proc/meminfo", "MemAvailable:");
	node_file0 = fs_value(fs, "/sys/devices/system/node/node0/meminfo", "FilePages:");
	ASSERT_EQ(node_file0, 0);

	ino = new_file(sb, "f");
	ASSERT_TRUE(ino);
	/* An empty file holds no memory. */
	ASSERT_EQ(free_pages(m), free0);
	ASSERT_TRUE(write_all(sb, ino, 1, MEMHP_MiB, 0));
	/* A page per 4 KiB written, from the machine's free memory. */
	ASSERT_EQ(free0 - free_pages(m), MEMHP_MiB / PG);
	ASSERT_EQ(shmem_pages(m), MEMHP_MiB / PG);
	ASSERT_EQ(memhp_node_page_state(m, 0, MEMHP_NR_FILE_PAGES), MEMHP_MiB / PG);
	/* 6.1's meminfo_proc_show(): Shmem, and Cached (file pages) with it;
	 * MemAvailable counts no shmem as reclaimable. */
	ASSERT_EQ(fs_value(fs, "/proc/meminfo", "Shmem:"), 1024);
	ASSERT_EQ(fs_value(fs, "/proc/meminfo", "Cached:"), 1024);
	ASSERT_EQ(fs_value(fs, "/proc/meminfo", "Inactive(anon):"), 0); /* no LRU lists */
	memhp_drain_all_pages(m);
	ASSERT_EQ(avail0 - fs_value(fs, "/proc/meminfo", "MemAvailable:"), 1024);
	ASSERT_EQ(fs_value(fs, "/sys/devices/system/node/node0/meminfo", "FilePages:"), 1024);
	ASSERT_EQ(fs_value(fs, "/sys/devices/system/node/node0/meminfo", "Shmem:"), 1024);
	ASSERT_EQ(fs_value(fs, "/sys/devices/system/node/node0/vmstat", "nr_shmem "), 256);
	ASSERT_EQ(fs_value(fs, "/sys/devices/system/node/node0/vmstat", "nr_file_pages "), 256);
	/* Rewriting the same bytes takes nothing more. */
	ASSERT_TRUE(write_all(sb, ino, 2, MEMHP_MiB, 0));
	ASSERT_EQ(shmem_pages(m), MEMHP_MiB / PG);
	ASSERT_EQ(memhp_shmem_nr_pages(sb), MEMHP_MiB / PG);
}

static void tmpfs_pages_come_from_zone_movable_first(void)
{
	struct memhp_machine *m = with_movable(1);
	struct memhp_shmem *sb = tmpfs(m, ~0UL);
	uint64_t ino;

	ASSERT_TRUE(sb);
	ino = new_file(sb, "f");
	ASSERT_TRUE(write_all(sb, ino, 3, 64 * PG, 0));
	/* GFP_HIGHUSER_MOVABLE, as shmem_alloc_folio() asks: ZONE_MOVABLE
	 * while it has room, and the pages are LRU pages of one owner, once
	 * the CPU's LRU add batch has gone onto the LRU. */
	memhp_lru_add_drain_all(m);
	for (uint64_t i = 0; i < 64; i++) {
		unsigned long pfn = memhp_shmem_pfn(sb, ino, i);
		struct memhp_page *p = memhp_pfn_to_page(m, pfn);

		ASSERT_TRUE(pfn_in_block(m, pfn, B0));
		ASSERT_EQ(memhp_page_zonenum(p), MEMHP_ZONE_MOVABLE);
		ASSERT_TRUE(memhp_PageLRU(p));
		ASSERT_EQ(memhp_page_count(p), 1);
	}
}

static void a_file_reads_back_what_was_written_in_any_pieces(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_shmem *sb = tmpfs(m, ~0UL);
	enum { LEN = 5 * PG + 123 };
	static char want[LEN], got[LEN + 100];
	uint64_t ino;
	size_t pos = 0, step = 1;
	struct memhp_shmem_attr a;

	ASSERT_TRUE(sb);
	ino = new_file(sb, "f");
	fill(want, LEN, 4);
	/* Pieces of growing odd sizes, across page edges. */
	while (pos < LEN) {
		size_t n = step < LEN - pos ? step : LEN - pos;

		ASSERT_EQ(memhp_shmem_write(sb, ino, want + pos, n, (off_t)pos), n);
		pos += n;
		step = step * 3 + 7;
	}
	ASSERT_OK(memhp_shmem_getattr(sb, ino, &a));
	ASSERT_EQ(a.size, LEN);
	ASSERT_EQ(a.blocks, 6);
	/* A read past the end stops at it. */
	ASSERT_EQ(memhp_shmem_read(sb, ino, got, sizeof(got), 0), LEN);
	ASSERT_TRUE(!memcmp(want, got, LEN));
	ASSERT_EQ(memhp_shmem_read(sb, ino, got, 10, LEN), 0);
	ASSERT_EQ(memhp_shmem_read(sb, ino, got, 7, PG - 3), 7);
	ASSERT_TRUE(!memcmp(want + PG - 3, got, 7));
	ASSERT_EQ(memhp_shmem_verify(sb, NULL), 0);
}

static void holes_read_as_zeros_and_take_no_page(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_shmem *sb = tmpfs(m, ~0UL);
	static char buf[3 * PG];
	struct memhp_shmem_attr a;
	unsigned long free0;
	uint64_t ino;

	ASSERT_TRUE(sb);
	ino = new_file(sb, "sparse");
	free0 = free_pages(m);
	/* Ten bytes a gigabyte in: one page, the rest is a hole. */
	ASSERT_TRUE(write_all(sb, ino, 5, 10, MEMHP_GiB + 100));
	ASSERT_OK(memhp_shmem_getattr(sb, ino, &a));
	ASSERT_EQ(a.size, MEMHP_GiB + 110);
	ASSERT_EQ(a.blocks, 1);
	ASSERT_EQ(free0 - free_pages(m), 1);
	ASSERT_EQ(shmem_pages(m), 1);
	memset(buf, 0xff, sizeof(buf));
	ASSERT_EQ(memhp_shmem_read(sb, ino, buf, sizeof(buf), 12345), sizeof(buf));
	ASSERT_TRUE(all_zero(buf, sizeof(buf)));
	/* The page around the bytes is zero where nothing was written. */
	ASSERT_EQ(memhp_shmem_read(sb, ino, buf, 110, MEMHP_GiB), 110);
	ASSERT_TRUE(all_zero(buf, 100));
	ASSERT_TRUE(reads_back(sb, ino, 5, 10, MEMHP_GiB + 100));
	/* Growing the size makes a hole too. */
	a.size = 4 * MEMHP_GiB;
	ASSERT_OK(memhp_shmem_setattr(sb, ino, MEMHP_SHMEM_SET_SIZE, &a, &a));
	ASSERT_EQ(a.blocks, 1);
	ASSERT_EQ(free0 - free_pages(m), 1);
}

static void truncate_frees_the_pages_past_the_end_and_zeroes_the_rest_of_the_last(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_shmem *sb = tmpfs(m, ~0UL);
	static char buf[PG];
	struct memhp_shmem_attr a = { 0 };
	unsigned long free0;
	uint64_t ino;

	ASSERT_TRUE(sb);
	ino = new_file(sb, "f");
	free0 = free_pages(m);
	ASSERT_TRUE(write_all(sb, ino, 6, 8 * PG, 0));
	a.size = 2 * PG + 100;
	ASSERT_OK(memhp_shmem_setattr(sb, ino, MEMHP_SHMEM_SET_SIZE, &a, &a));
	ASSERT_EQ(a.blocks, 3);
	ASSERT_EQ(free0 - free_pages(m), 3);
	ASSERT_EQ(shmem_pages(m), 3);
	/* Growing again shows zeroes, not the old bytes (shmem_truncate_range()
	 * zeroes the partial page). */
	a.size = 4 * PG;
	ASSERT_OK(memhp_shmem_setattr(sb, ino, MEMHP_SHMEM_SET_SIZE, &a, &a));
	ASSERT_EQ(memhp_shmem_read(sb, ino, buf, PG, 2 * PG), PG);
	ASSERT_TRUE(all_zero(buf + 100, PG - 100));
	ASSERT_EQ(memhp_shmem_read(sb, ino, buf, PG, 3 * PG), PG);
	ASSERT_TRUE(all_zero(buf, PG));
	ASSERT_TRUE(reads_back(sb, ino, 6, 2 * PG + 100, 0));
	a.size = 0;
	ASSERT_OK(memhp_shmem_setattr(sb, ino, MEMHP_SHMEM_SET_SIZE, &a, &a));
	ASSERT_EQ(a.blocks, 0);
	ASSERT_EQ(free_pages(m), free0);
	ASSERT_EQ(shmem_pages(m), 0);
	ASSERT_EQ(memhp_shmem_verify(sb, NULL), 0);
}

static void unlink_frees_every_page(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_shmem *sb = tmpfs(m, ~0UL);
	struct memhp_shmem_statfs st0, st;
	unsigned long free0;
	uint64_t ino;

	ASSERT_TRUE(sb);
	memhp_shmem_statfs(sb, &st0);
	free0 = free_pages(m);
	ino = new_file(sb, "f");
	ASSERT_TRUE(write_all(sb, ino, 7, 2 * MEMHP_MiB, 0));
	ASSERT_EQ(free0 - free_pages(m), 512);
	memhp_shmem_forget(sb, ino, 1); /* the creator lets go of it */
	ASSERT_OK(memhp_shmem_unlink(sb, ROOT, "f"));
	ASSERT_EQ(free_pages(m), free0);
	ASSERT_EQ(shmem_pages(m), 0);
	ASSERT_EQ(memhp_node_page_state(m, 0, MEMHP_NR_FILE_PAGES), 0);
	ASSERT_ERR(memhp_shmem_getattr(sb, ino, NULL), -ENOENT);
	memhp_shmem_statfs(sb, &st);
	ASSERT_EQ(st.bfree, st0.bfree);
	ASSERT_EQ(st.ffree, st0.ffree);
	ASSERT_ERR(memhp_shmem_unlink(sb, ROOT, "f"), -ENOENT);
}

/* The guest kernel at work holds a dentry and an inode per file in its
 * slab, until the file goes. */
static void a_file_costs_the_guest_kernel_a_dentry_and_an_inode(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_shmem *sb = tmpfs(m, ~0UL);
	struct memhp_guest_config cfg;
	struct memhp_guest_stats st;
	struct memhp_guest *g;
	char name[16];

	ASSERT_TRUE(sb);
	memhp_guest_config_quiet(&cfg);
	ASSERT_OK(memhp_guest_create(m, &cfg, &g));
	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		memhp_shmem_forget(sb, new_file(sb, name), 1);
	}
	memhp_guest_stats(g, &st);
	ASSERT_EQ(st.files, 100);
	ASSERT_GT(memhp_vmstat(m, MEMHP_NR_SLAB_RECLAIMABLE), 0);
	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		ASSERT_OK(memhp_shmem_unlink(sb, ROOT, name));
	}
	memhp_guest_stats(g, &st);
	ASSERT_EQ(st.files, 0);
}

static void an_open_unlinked_file_keeps_its_pages_until_its_last_reference_goes(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_shmem *sb = tmpfs(m, ~0UL);
	struct memhp_shmem_attr a;
	unsigned long free0;
	uint64_t ino;

	ASSERT_TRUE(sb);
	free0 = free_pages(m);
	ino = new_file(sb, "f");
	ASSERT_TRUE(write_all(sb, ino, 8, 16 * PG, 0));
	ASSERT_OK(memhp_shmem_lookup(sb, ROOT, "f", &a)); /* a second opener */
	ASSERT_OK(memhp_shmem_unlink(sb, ROOT, "f"));
	/* Nameless but referenced: readable, writable, still counted. */
	ASSERT_OK(memhp_shmem_getattr(sb, ino, &a));
	ASSERT_EQ(a.nlink, 0);
	ASSERT_TRUE(reads_back(sb, ino, 8, 16 * PG, 0));
	ASSERT_TRUE(write_all(sb, ino, 9, PG, 16 * PG));
	ASSERT_EQ(shmem_pages(m), 17);
	memhp_shmem_forget(sb, ino, 1);
	ASSERT_EQ(shmem_pages(m), 17);
	memhp_shmem_forget(sb, ino, 1);
	ASSERT_EQ(shmem_pages(m), 0);
	ASSERT_EQ(free_pages(m), free0);
	/* shmem_file_setup(): never named, gone with its reference. */
	ASSERT_OK(memhp_shmem_file_setup(sb, &a));
	ASSERT_TRUE(write_all(sb, a.ino, 10, 4 * PG, 0));
	ASSERT_EQ(shmem_pages(m), 4);
	memhp_shmem_forget(sb, a.ino, 1);
	ASSERT_EQ(shmem_pages(m), 0);
}

static void destroying_an_instance_frees_every_page(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_shmem *sb;
	struct memhp_shmem_attr a;
	unsigned long free0 = free_pages(m);

	ASSERT_OK(memhp_shmem_create(m, NULL, &sb));
	ASSERT_OK(memhp_shmem_mkdir(sb, ROOT, "d", 0755, 0, 0, &a));
	ASSERT_OK(memhp_shmem_mknod(sb, a.ino, "f", S_IFREG | 0600, 0, 0, 0, &a));
	ASSERT_TRUE(write_all(sb, a.ino, 11, 40 * PG, 0));
	ASSERT_TRUE(write_all(sb, new_file(sb, "g"), 12, 3 * PG, 0));
	ASSERT_EQ(shmem_pages(m), 43);
	memhp_shmem_destroy(sb);
	ASSERT_EQ(shmem_pages(m), 0);
	ASSERT_EQ(free_pages(m), free0);
}

/* ---- Migration ------------------------------------------------------------------- */

static void offlining_a_block_migrates_tmpfs_pages_and_their_bytes_survive(void)
{
	struct memhp_machine *m = with_movable(2);
	struct memhp_shmem *sb = tmpfs(m, ~0UL);
	unsigned long verified = 0;
	uint64_t ino;

	ASSERT_TRUE(sb);
	ino = new_file(sb, "f");
	ASSERT_TRUE(write_all(sb, ino, 13, 300 * PG + 17, 0));
	for (uint64_t i = 0; i < 301; i++)
		ASSERT_TRUE(pfn_in_block(m, memhp_shmem_pfn(sb, ino, i), B0));

	ASSERT_OK(memhp_block_offline(m, B0));
	/* Every page moved out of the block, and took its bytes along. */
	for (uint64_t i = 0; i < 301; i++)
		ASSERT_FALSE(pfn_in_block(m, memhp_shmem_pfn(sb, ino, i), B0));
	ASSERT_EQ(memhp_shmem_nr_migrated(sb), 301);
	ASSERT_TRUE(reads_back(sb, ino, 13, 300 * PG + 17, 0));
	ASSERT_EQ(memhp_shmem_verify(sb, &verified), 0);
	ASSERT_EQ(verified, 301);
	ASSERT_EQ(shmem_pages(m), 301);
	/* And again, from where they went. */
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	ASSERT_OK(memhp_block_offline(m, B0 + 1));
	ASSERT_TRUE(reads_back(sb, ino, 13, 300 * PG + 17, 0));
	ASSERT_EQ(memhp_shmem_verify(sb, NULL), 0);
}

static void soft_offlining_a_tmpfs_page_keeps_its_bytes(void)
{
	struct memhp_machine *m = with_movable(1);
	struct memhp_shmem *sb = tmpfs(m, ~0UL);
	unsigned long pfn;
	uint64_t ino;

	ASSERT_TRUE(sb);
	ino = new_file(sb, "f");
	ASSERT_TRUE(write_all(sb, ino, 14, 4 * PG, 0));
	pfn = memhp_shmem_pfn(sb, ino, 2);
	ASSERT_OK(memhp_soft_offline_page(m, pfn));
	ASSERT_NE(memhp_shmem_pfn(sb, ino, 2), pfn);
	ASSERT_TRUE(memhp_PageHWPoison(memhp_pfn_to_page(m, pfn)));
	ASSERT_TRUE(reads_back(sb, ino, 14, 4 * PG, 0));
	ASSERT_EQ(memhp_shmem_verify(sb, NULL), 0);
	/* Nothing was lost: the file can be written where the page was. */
	ASSERT_TRUE(write_all(sb, ino, 15, PG, 2 * PG));
}

static void a_pinned_file_refuses_migration(void)
{
	struct memhp_machine *m = with_movable(1);
	struct memhp_shmem *sb = tmpfs(m, ~0UL);
	unsigned long start, pfn;
	uint64_t ino;

	ASSERT_TRUE(sb);
	start = tm_block_pfn(m, B0);
	ino = new_file(sb, "f");
	ASSERT_TRUE(write_all(sb, ino, 16, 8 * PG, 0));
	pfn = memhp_shmem_pfn(sb, ino, 0);
	ASSERT_OK(memhp_shmem_set_pinned(sb, ino, true));
	/* A long-term pin: every migration attempt fails, the range stays. */
	ASSERT_ERR(memhp_alloc_contig_range(m, start, start + 512, MEMHP_GFP_HIGHUSER_MOVABLE),
		   -EBUSY);
	ASSERT_EQ(memhp_shmem_pfn(sb, ino, 0), pfn);
	ASSERT_EQ(memhp_shmem_nr_migrated(sb), 0);
	ASSERT_OK(memhp_shmem_set_pinned(sb, ino, false));
	ASSERT_OK(memhp_alloc_contig_range(m, start, start + 512, MEMHP_GFP_HIGHUSER_MOVABLE));
	memhp_free_contig_range(m, start, 512);
	ASSERT_NE(memhp_shmem_pfn(sb, ino, 0), pfn);
	ASSERT_TRUE(reads_back(sb, ino, 16, 8 * PG, 0));
}

/* Writers and readers on their own pages while blocks go offline and come
 * back: every page a reader sees is whole, and every file ends as its
 * writers left it. */
#define CC_FILES 4
#define CC_PAGES 64
#define CC_WRITERS 2
#define CC_ROUNDS 6

struct cc {
	struct memhp_shmem *sb;
	uint64_t ino[CC_FILES];
	uint32_t gen[CC_FILES][CC_PAGES]; /* what each page holds last */
	_Atomic bool stop;
	_Atomic unsigned long torn, writes;
};

/* A page is its header (file, page, generation) then bytes made from it. */
static void cc_page(char *buf, unsigned int f, unsigned int p, uint32_t gen)
{
	uint32_t hdr[3] = { f, p, gen };

	memcpy(buf, hdr, sizeof(hdr));
	fill(buf + sizeof(hdr), PG - sizeof(hdr), (uint64_t)f << 40 | (uint64_t)p << 32 | gen);
}

struct cc_arg {
	struct cc *cc;
	unsigned int id;
};

static void *cc_writer(void *arg)
{
	struct cc_arg *a = arg;
	struct cc *cc = a->cc;
	char *buf = malloc(PG);
	unsigned int n = 0;

	while (buf && !atomic_load(&cc->stop)) {
		unsigned int f = n % CC_FILES;
		unsigned int p = (n / CC_FILES * CC_WRITERS + a->id) % CC_PAGES;
		uint32_t gen = cc->gen[f][p] + 1;

		cc_page(buf, f, p, gen);
		if (memhp_shmem_write(cc->sb, cc->ino[f], buf, PG, (off_t)p * PG) != PG)
			break;
		cc->gen[f][p] = gen;
		atomic_fetch_add(&cc->writes, 1);
		n++;
	}
	free(buf);
	return NULL;
}

static void *cc_reader(void *arg)
{
	struct cc *cc = arg;
	char *buf = malloc(PG), *want = malloc(PG);
	unsigned int n = 0;

	while (buf && want && !atomic_load(&cc->stop)) {
		unsigned int f = n % CC_FILES, p = (n * 7) % CC_PAGES;
		uint32_t hdr[3];

		if (memhp_shmem_read(cc->sb, cc->ino[f], buf, PG, (off_t)p * PG) == PG) {
			memcpy(hdr, buf, sizeof(hdr));
			cc_page(want, f, p, hdr[2]);
			if (memcmp(buf, want, PG))
				atomic_fetch_add(&cc->torn, 1);
		}
		n++;
	}
	free(buf);
	free(want);
	return NULL;
}

static void writes_and_reads_during_offlining_lose_nothing(void)
{
	struct memhp_machine *m = with_movable(2);
	struct memhp_shmem *sb = tmpfs(m, ~0UL);
	static struct cc cc;
	struct cc_arg args[CC_WRITERS];
	pthread_t writers[CC_WRITERS], reader;
	char *buf = malloc(PG), *want = malloc(PG);
	char name[8];

	ASSERT_TRUE(sb && buf && want);
	memset(&cc, 0, sizeof(cc));
	cc.sb = sb;
	for (unsigned int f = 0; f < CC_FILES; f++) {
		snprintf(name, sizeof(name), "f%u", f);
		cc.ino[f] = new_file(sb, name);
		for (unsigned int p = 0; p < CC_PAGES; p++) {
			cc_page(buf, f, p, 0);
			ASSERT_EQ(memhp_shmem_write(sb, cc.ino[f], buf, PG, (off_t)p * PG), PG);
		}
	}
	for (unsigned int i = 0; i < CC_WRITERS; i++) {
		args[i] = (struct cc_arg){ &cc, i };
		ASSERT_OK(pthread_create(&writers[i], NULL, cc_writer, &args[i]));
	}
	ASSERT_OK(pthread_create(&reader, NULL, cc_reader, &cc));
	for (unsigned int r = 0; r < CC_ROUNDS; r++) {
		unsigned long id = B0 + r % 2;

		EXPECT_ERR(memhp_block_offline(m, id), 0);
		EXPECT_ERR(memhp_block_online(m, id, MEMHP_MMOP_ONLINE_MOVABLE), 0);
	}
	atomic_store(&cc.stop, true);
	for (unsigned int i = 0; i < CC_WRITERS; i++)
		pthread_join(writers[i], NULL);
	pthread_join(reader, NULL);

	EXPECT_EQ(atomic_load(&cc.torn), 0);
	EXPECT_TRUE(memhp_shmem_nr_migrated(sb) > 0);
	EXPECT_EQ(memhp_shmem_verify(sb, NULL), 0);
	for (unsigned int f = 0; f < CC_FILES; f++)
		for (unsigned int p = 0; p < CC_PAGES; p++) {
			cc_page(want, f, p, cc.gen[f][p]);
			ASSERT_EQ(memhp_shmem_read(sb, cc.ino[f], buf, PG, (off_t)p * PG), PG);
			ASSERT_TRUE(!memcmp(buf, want, PG));
		}
	printf("# %lu writes, %lu pages migrated\n", atomic_load(&cc.writes),
	       memhp_shmem_nr_migrated(sb));
	free(buf);
	free(want);
}

static void a_checksum_catches_a_changed_byte(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_shmem *sb = tmpfs(m, ~0UL);
	struct memhp_shmem_report r;
	unsigned char *byte;
	uint64_t ino;

	ASSERT_TRUE(sb);
	ino = new_file(sb, "f");
	ASSERT_TRUE(write_all(sb, ino, 17, 3 * PG, 0));
	/* What a migration that copied wrongly would leave. */
	byte = (unsigned char *)memhp_page_address(
		       memhp_pfn_to_page(m, memhp_shmem_pfn(sb, ino, 1))) +
	       99;
	*byte ^= 1;
	ASSERT_EQ(memhp_shmem_verify_report(sb, &r), 1);
	ASSERT_EQ(r.verified, 3);
	ASSERT_EQ(r.corrupted, 1);
	*byte ^= 1;
	ASSERT_EQ(memhp_shmem_verify(sb, NULL), 0);
}

/* ---- Memory failure ---------------------------------------------------------------- */

static void a_poisoned_tmpfs_page_reads_eio(void)
{
	struct memhp_machine *m = with_movable(1);
	struct memhp_shmem *sb = tmpfs(m, ~0UL);
	struct memhp_shmem_report r;
	struct memhp_shmem_attr a;
	static char buf[3 * PG];
	unsigned long pfn;
	uint64_t ino;

	ASSERT_TRUE(sb);
	ino = new_file(sb, "f");
	ASSERT_TRUE(write_all(sb, ino, 18, 3 * PG, 0));
	pfn = memhp_shmem_pfn(sb, ino, 1);
	/* A dirty LRU page: unmapped from its owner, recovered. */
	ASSERT_OK(memhp_memory_failure(m, pfn));
	ASSERT_EQ(memhp_shmem_pfn(sb, ino, 1), MEMHP_NO_PFN);
	/* A read stops before the lost page, then fails on it. */
	ASSERT_EQ(memhp_shmem_read(sb, ino, buf, sizeof(buf), 0), PG);
	ASSERT_ERR(memhp_shmem_read(sb, ino, buf, 10, PG + 5), -EIO);
	ASSERT_TRUE(reads_back(sb, ino, 18, 0, 0));
	ASSERT_EQ(memhp_shmem_read(sb, ino, buf, PG, 2 * PG), PG);
	ASSERT_ERR(memhp_shmem_write(sb, ino, "x", 1, PG), -EIO);
	/* 6.1 keeps the page in the file: still counted, still a block. */
	ASSERT_EQ(shmem_pages(m), 3);
	ASSERT_OK(memhp_shmem_getattr(sb, ino, &a));
	ASSERT_EQ(a.blocks, 3);
	ASSERT_EQ(memhp_shmem_verify_report(sb, &r), 1);
	ASSERT_EQ(r.hwpoisoned, 1);
	ASSERT_EQ(r.corrupted, 0);
	ASSERT_EQ(r.verified, 2);
	ASSERT_EQ(memhp_num_poisoned_pages(m), 1);
	/* Truncation inside it leaves it poisoned; past it lets go of it. The
	 * page stays memory failure's. */
	a.size = PG + 100;
	ASSERT_OK(memhp_shmem_setattr(sb, ino, MEMHP_SHMEM_SET_SIZE, &a, &a));
	ASSERT_EQ(shmem_pages(m), 2);
	ASSERT_ERR(memhp_shmem_read(sb, ino, buf, 10, PG), -EIO);
	a.size = PG;
	ASSERT_OK(memhp_shmem_setattr(sb, ino, MEMHP_SHMEM_SET_SIZE, &a, &a));
	ASSERT_EQ(shmem_pages(m), 1);
	a.size = 3 * PG;
	ASSERT_OK(memhp_shmem_setattr(sb, ino, MEMHP_SHMEM_SET_SIZE, &a, &a));
	ASSERT_EQ(memhp_shmem_read(sb, ino, buf, sizeof(buf), 0), sizeof(buf));
	ASSERT_TRUE(all_zero(buf + PG, 2 * PG));
	ASSERT_TRUE(memhp_PageHWPoison(memhp_pfn_to_page(m, pfn)));
}

/* ---- Limits ---------------------------------------------------------------------- */

static void the_size_limit_gives_enospc_and_statfs_counts_it(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_shmem *sb = tmpfs(m, ~0UL), *small = tmpfs(m, 10);
	struct memhp_shmem_statfs st;
	struct memhp_meminfo mi;
	static char buf[16 * PG];
	uint64_t ino;

	ASSERT_TRUE(sb && small);
	memhp_meminfo(m, &mi);
	/* tmpfs's default: half of the RAM, in pages. */
	memhp_shmem_statfs(sb, &st);
	ASSERT_EQ(st.blocks, mi.total_pages / 2);
	ASSERT_EQ(st.bfree, mi.total_pages / 2);
	ASSERT_EQ(st.files, mi.total_pages / 2);
	ASSERT_EQ(st.ffree, mi.total_pages / 2 - 1); /* the root */

	ino = new_file(small, "f");
	/* A write that does not fit writes what does, then ENOSPC. */
	ASSERT_EQ(memhp_shmem_write(small, ino, buf, sizeof(buf), 0), 10 * PG);
	ASSERT_ERR(memhp_shmem_write(small, ino, buf, 1, 10 * PG), -ENOSPC);
	memhp_shmem_statfs(small, &st);
	ASSERT_EQ(st.blocks, 10);
	ASSERT_EQ(st.bfree, 0);
	/* Holes are free. */
	ASSERT_EQ(memhp_shmem_write(small, ino, buf, 1, 3 * PG), 1);
	ASSERT_ERR(memhp_shmem_fallocate(small, ino, 0, 10 * PG, PG), -ENOSPC);
	ASSERT_OK(memhp_shmem_unlink(small, ROOT, "f"));
	memhp_shmem_forget(small, ino, 1);
	memhp_shmem_statfs(small, &st);
	ASSERT_EQ(st.bfree, 10);
	ASSERT_EQ(shmem_pages(m), 0);
}

static void the_inode_limit_gives_enospc(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_shmem_options o;
	struct memhp_shmem *sb;
	struct memhp_shmem_attr a;

	memhp_shmem_options_init(m, &o);
	o.max_inodes = 3; /* the root and two more */
	ASSERT_OK(memhp_shmem_create(m, &o, &sb));
	tm_defer(destroy_sb, sb);
	ASSERT_OK(memhp_shmem_mknod(sb, ROOT, "a", S_IFREG | 0600, 0, 0, 0, &a));
	ASSERT_OK(memhp_shmem_mkdir(sb, ROOT, "b", 0700, 0, 0, &a));
	ASSERT_ERR(memhp_shmem_mknod(sb, ROOT, "c", S_IFREG | 0600, 0, 0, 0, &a), -ENOSPC);
	ASSERT_ERR(memhp_shmem_symlink(sb, ROOT, "c", "a", 0, 0, &a), -ENOSPC);
}

/* A machine of 128 MiB: filling it takes a moment even under TSan. */
static void a_full_machine_gives_enospc_not_a_crash(void)
{
	struct memhp_config cfg;
	struct memhp_machine *m;
	struct memhp_shmem *sb;
	static char buf[MEMHP_MiB];
	unsigned long free0;
	uint64_t ino, off = 0;
	ssize_t n;

	tm_config(&cfg);
	memhp_config_init(&cfg, 128 * MEMHP_MiB);
	cfg.phys_size = 64 * MEMHP_GiB;
	cfg.check_after_ops = true;
	m = tm_create(&cfg);
	sb = tmpfs(m, 0); /* size=0: no limit but the machine's memory */
	ASSERT_TRUE(sb);
	free0 = free_pages(m);
	ino = new_file(sb, "big");
	fill(buf, sizeof(buf), 19);
	while ((n = memhp_shmem_write(sb, ino, buf, sizeof(buf), (off_t)off)) == sizeof(buf))
		off += sizeof(buf);
	/* The last write was cut short by the last free page... */
	ASSERT_TRUE(n >= 0);
	off += (uint64_t)n;
	ASSERT_EQ(free_pages(m), 0);
	ASSERT_EQ(shmem_pages(m), free0);
	/* ...and the next one has nothing at all. */
	ASSERT_ERR(memhp_shmem_write(sb, ino, buf, 1, (off_t)(off + PG)), -ENOSPC);
	ASSERT_ERR(memhp_shmem_fallocate(sb, ino, 0, (off_t)(off + PG), PG), -ENOSPC);
	ASSERT_EQ(memhp_shmem_verify(sb, NULL), 0);
	ASSERT_EQ(memhp_check(m, NULL), 0);
	memhp_shmem_forget(sb, ino, 1);
	ASSERT_OK(memhp_shmem_unlink(sb, ROOT, "big"));
	ASSERT_EQ(free_pages(m), free0);
}

/* ---- The file system's rules ---------------------------------------------------------- */

struct names {
	char list[512];
	uint64_t last;
	int max;
};

static int collect(void *ctx, const char *name, const struct memhp_shmem_attr *a, uint64_t next)
{
	struct names *n = ctx;

	(void)a;
	if (!n->max--)
		return 1;
	strcat(n->list, name);
	strcat(n->list, " ");
	n->last = next;
	return 0;
}

static const char *names_of(struct memhp_shmem *sb, uint64_t dir)
{
	static struct names n;

	memset(&n, 0, sizeof(n));
	n.max = 1000;
	memhp_shmem_readdir(sb, dir, 0, collect, &n);
	return n.list;
}

static void directories_follow_tmpfs_rules(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_shmem *sb = tmpfs(m, ~0UL);
	struct memhp_shmem_attr d, a, root;
	struct names n;

	ASSERT_TRUE(sb);
	ASSERT_OK(memhp_shmem_getattr(sb, ROOT, &root));
	ASSERT_EQ(root.mode, S_IFDIR | 01777);
	ASSERT_EQ(root.nlink, 2);
	ASSERT_EQ(root.size, 40); /* BOGO_DIRENT_SIZE for "." and ".." */
	ASSERT_OK(memhp_shmem_mkdir(sb, ROOT, "d", 0750, 1000, 1000, &d));
	ASSERT_EQ(d.mode, S_IFDIR | 0750);
	ASSERT_EQ(d.nlink, 2);
	ASSERT_EQ(d.uid, 1000);
	ASSERT_OK(memhp_shmem_getattr(sb, ROOT, &root));
	ASSERT_EQ(root.nlink, 3);
	ASSERT_EQ(root.size, 60);
	ASSERT_ERR(memhp_shmem_mkdir(sb, ROOT, "d", 0750, 0, 0, &a), -EEXIST);
	ASSERT_ERR(memhp_shmem_mknod(sb, ROOT, "d", S_IFREG | 0600, 0, 0, 0, &a), -EEXIST);
	ASSERT_OK(memhp_shmem_mknod(sb, d.ino, "f", S_IFREG | 0600, 0, 0, 0, &a));
	ASSERT_ERR(memhp_shmem_mknod(sb, a.ino, "x", S_IFREG | 0600, 0, 0, 0, &a), -ENOTDIR);
	ASSERT_ERR(memhp_shmem_rmdir(sb, ROOT, "d"), -ENOTEMPTY);
	ASSERT_ERR(memhp_shmem_unlink(sb, ROOT, "d"), -EISDIR);
	ASSERT_ERR(memhp_shmem_rmdir(sb, d.ino, "f"), -ENOTDIR);
	ASSERT_ERR(memhp_shmem_rmdir(sb, d.ino, "."), -EINVAL);
	ASSERT_ERR(memhp_shmem_mkdir(sb, ROOT, "a/b", 0700, 0, 0, &a), -EINVAL);
	{
		char longname[MEMHP_SHMEM_NAME_MAX + 2];

		memset(longname, 'n', sizeof(longname) - 1);
		longname[sizeof(longname) - 1] = '\0';
		ASSERT_ERR(memhp_shmem_mkdir(sb, ROOT, longname, 0700, 0, 0, &a), -ENAMETOOLONG);
		ASSERT_ERR(memhp_shmem_lookup(sb, ROOT, longname, &a), -ENAMETOOLONG);
	}
	ASSERT_OK(memhp_shmem_lookup(sb, d.ino, "..", &a));
	ASSERT_EQ(a.ino, ROOT);
	ASSERT_OK(memhp_shmem_unlink(sb, d.ino, "f"));
	ASSERT_OK(memhp_shmem_rmdir(sb, ROOT, "d"));
	ASSERT_OK(memhp_shmem_getattr(sb, ROOT, &root));
	ASSERT_EQ(root.nlink, 2);
	/* A removed directory that is still referenced takes no entries. */
	ASSERT_ERR(memhp_shmem_mknod(sb, d.ino, "g", S_IFREG | 0600, 0, 0, 0, &a), -ENOENT);

	/* readdir: ".", "..", then creation order; a position survives the
	 * removal of the entry before it. */
	for (const char *const *s = (const char *const[]){ "a", "b", "c", "e", NULL }; *s; s++)
		ASSERT_OK(memhp_shmem_mknod(sb, ROOT, *s, S_IFREG | 0644, 0, 0, 0, &a));
	ASSERT_STREQ(names_of(sb, ROOT), ". .. a b c e ");
	memset(&n, 0, sizeof(n));
	n.max = 4;
	ASSERT_OK(memhp_shmem_readdir(sb, ROOT, 0, collect, &n));
	ASSERT_STREQ(n.list, ". .. a b ");
	ASSERT_OK(memhp_shmem_unlink(sb, ROOT, "b"));
	ASSERT_OK(memhp_shmem_mknod(sb, ROOT, "z", S_IFREG | 0644, 0, 0, 0, &a));
	n.list[0] = '\0';
	n.max = 100;
	ASSERT_OK(memhp_shmem_readdir(sb, ROOT, n.last, collect, &n));
	ASSERT_STREQ(n.list, "c e z ");
	ASSERT_ERR(memhp_shmem_readdir(sb, a.ino, 0, collect, &n), -ENOTDIR);

	/* A set-group-ID directory hands its group down. */
	ASSERT_OK(memhp_shmem_mkdir(sb, ROOT, "sg", 02775, 0, 50, &d));
	ASSERT_OK(memhp_shmem_mkdir(sb, d.ino, "sub", 0755, 1000, 1000, &a));
	ASSERT_EQ(a.gid, 50);
	ASSERT_EQ(a.mode, S_IFDIR | 02755);
	ASSERT_OK(memhp_shmem_mknod(sb, d.ino, "file", S_IFREG | 0644, 0, 1000, 1000, &a));
	ASSERT_EQ(a.gid, 50);
	ASSERT_EQ(a.mode, S_IFREG | 0644);
	/* Special files. */
	ASSERT_OK(memhp_shmem_mknod(sb, ROOT, "fifo", S_IFIFO | 0600, 0, 0, 0, &a));
	ASSERT_EQ(a.mode, S_IFIFO | 0600);
	ASSERT_ERR(memhp_shmem_write(sb, a.ino, "x", 1, 0), -EINVAL);
	ASSERT_OK(memhp_shmem_mknod(sb, ROOT, "null", S_IFCHR | 0666, 0x103, 0, 0, &a));
	ASSERT_EQ(a.rdev, 0x103);
}

static void rename_replaces_exchanges_and_refuses_as_renameat2_does(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_shmem *sb = tmpfs(m, ~0UL);
	struct memhp_shmem_attr a, d1, d2, root;
	uint64_t f, g;

	ASSERT_TRUE(sb);
	f = new_file(sb, "f");
	g = new_file(sb, "g");
	ASSERT_TRUE(write_all(sb, f, 20, 2 * PG, 0));
	ASSERT_TRUE(write_all(sb, g, 21, 5 * PG, 0));
	memhp_shmem_forget(sb, g, 1);
	ASSERT_EQ(shmem_pages(m), 7);
	ASSERT_ERR(memhp_shmem_rename(sb, ROOT, "f", ROOT, "g", MEMHP_SHMEM_RENAME_NOREPLACE),
		   -EEXIST);
	/* Replacing "g" frees it: nobody refers to it any more. */
	ASSERT_OK(memhp_shmem_rename(sb, ROOT, "f", ROOT, "g", 0));
	ASSERT_EQ(shmem_pages(m), 2);
	ASSERT_OK(memhp_shmem_lookup(sb, ROOT, "g", &a));
	ASSERT_EQ(a.ino, f);
	ASSERT_ERR(memhp_shmem_lookup(sb, ROOT, "f", &a), -ENOENT);
	ASSERT_TRUE(reads_back(sb, f, 20, 2 * PG, 0));

	ASSERT_OK(memhp_shmem_mkdir(sb, ROOT, "d1", 0755, 0, 0, &d1));
	ASSERT_OK(memhp_shmem_mkdir(sb, d1.ino, "d2", 0755, 0, 0, &d2));
	ASSERT_ERR(memhp_shmem_rename(sb, ROOT, "d1", d2.ino, "x", 0), -EINVAL);
	ASSERT_ERR(memhp_shmem_rename(sb, ROOT, "g", ROOT, "d1", 0), -EISDIR);
	ASSERT_ERR(memhp_shmem_rename(sb, ROOT, "d1", ROOT, "g", 0), -ENOTDIR);
	/* Onto its own ancestor: renameat2()'s -ENOTEMPTY. */
	ASSERT_ERR(memhp_shmem_rename(sb, d1.ino, "d2", ROOT, "d1", 0), -ENOTEMPTY);
	ASSERT_ERR(memhp_shmem_rename(sb, ROOT, "nope", ROOT, "x", 0), -ENOENT);
	ASSERT_ERR(memhp_shmem_rename(sb, ROOT, "g", ROOT, "x", MEMHP_SHMEM_RENAME_EXCHANGE),
		   -ENOENT);
	ASSERT_ERR(memhp_shmem_rename(sb, ROOT, "g", ROOT, "x", 4), -EINVAL);
	/* A directory moves up: the link counts follow its "..". */
	ASSERT_OK(memhp_shmem_rename(sb, d1.ino, "d2", ROOT, "d2", 0));
	ASSERT_OK(memhp_shmem_getattr(sb, d1.ino, &d1));
	ASSERT_EQ(d1.nlink, 2);
	ASSERT_OK(memhp_shmem_getattr(sb, ROOT, &root));
	ASSERT_EQ(root.nlink, 4);
	ASSERT_OK(memhp_shmem_lookup(sb, d2.ino, "..", &a));
	ASSERT_EQ(a.ino, ROOT);
	/* An empty directory can be replaced by one; a full one cannot. */
	ASSERT_OK(memhp_shmem_mknod(sb, d1.ino, "in", S_IFREG | 0644, 0, 0, 0, &a));
	ASSERT_ERR(memhp_shmem_rename(sb, ROOT, "d2", ROOT, "d1", 0), -ENOTEMPTY);
	ASSERT_OK(memhp_shmem_rename(sb, ROOT, "d1", ROOT, "d2", 0));
	ASSERT_OK(memhp_shmem_getattr(sb, ROOT, &root));
	ASSERT_EQ(root.nlink, 3);
	/* RENAME_EXCHANGE swaps a file and a directory. */
	ASSERT_OK(memhp_shmem_rename(sb, ROOT, "g", ROOT, "d2", MEMHP_SHMEM_RENAME_EXCHANGE));
	ASSERT_OK(memhp_shmem_lookup(sb, ROOT, "d2", &a));
	ASSERT_EQ(a.ino, f);
	ASSERT_OK(memhp_shmem_lookup(sb, ROOT, "g", &a));
	ASSERT_TRUE(S_ISDIR(a.mode));
	ASSERT_ERR(memhp_shmem_rename(sb, ROOT, "g", ROOT, "g", 0), 0);
}

static void links_and_symlinks(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_shmem *sb = tmpfs(m, ~0UL);
	struct memhp_shmem_attr a, d;
	char buf[64];
	uint64_t f;

	ASSERT_TRUE(sb);
	f = new_file(sb, "f");
	ASSERT_TRUE(write_all(sb, f, 22, PG, 0));
	ASSERT_OK(memhp_shmem_link(sb, f, ROOT, "hard", &a));
	ASSERT_EQ(a.nlink, 2);
	memhp_shmem_forget(sb, f, 2);
	ASSERT_OK(memhp_shmem_unlink(sb, ROOT, "f"));
	ASSERT_EQ(shmem_pages(m), 1); /* still named "hard" */
	ASSERT_OK(memhp_shmem_rename(sb, ROOT, "hard", ROOT, "hard", 0));
	ASSERT_OK(memhp_shmem_mkdir(sb, ROOT, "d", 0755, 0, 0, &d));
	ASSERT_ERR(memhp_shmem_link(sb, d.ino, ROOT, "d2", &a), -EPERM);
	ASSERT_OK(memhp_shmem_symlink(sb, ROOT, "s", "hard", 0, 0, &a));
	ASSERT_EQ(a.mode, S_IFLNK | 0777);
	ASSERT_EQ(a.size, 4);
	ASSERT_EQ(a.blocks, 0);
	ASSERT_EQ(memhp_shmem_readlink(sb, a.ino, buf, sizeof(buf)), 4);
	ASSERT_STREQ(buf, "hard");
	ASSERT_ERR(memhp_shmem_readlink(sb, a.ino, buf, 4), -ENAMETOOLONG);
	ASSERT_ERR(memhp_shmem_readlink(sb, d.ino, buf, sizeof(buf)), -EINVAL);
	ASSERT_ERR(memhp_shmem_read(sb, a.ino, buf, 1, 0), -EINVAL);
	ASSERT_OK(memhp_shmem_unlink(sb, ROOT, "hard"));
	ASSERT_EQ(shmem_pages(m), 0);
}

static void fallocate_allocates_zeroed_pages_and_punching_frees_them(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_shmem *sb = tmpfs(m, ~0UL);
	struct memhp_shmem_attr a;
	static char buf[4 * PG];
	uint64_t ino;

	ASSERT_TRUE(sb);
	ino = new_file(sb, "f");
	ASSERT_OK(memhp_shmem_fallocate(sb, ino, 0, 100, 3 * PG));
	ASSERT_OK(memhp_shmem_getattr(sb, ino, &a));
	ASSERT_EQ(a.size, 3 * PG + 100);
	ASSERT_EQ(a.blocks, 4);
	ASSERT_EQ(shmem_pages(m), 4);
	ASSERT_EQ(memhp_shmem_read(sb, ino, buf, sizeof(buf), 0), 3 * PG + 100);
	ASSERT_TRUE(all_zero(buf, 3 * PG + 100));
	/* KEEP_SIZE allocates past the end and leaves the size. */
	ASSERT_OK(memhp_shmem_fallocate(sb, ino, MEMHP_SHMEM_FALLOC_KEEP_SIZE, 8 * PG, PG));
	ASSERT_OK(memhp_shmem_getattr(sb, ino, &a));
	ASSERT_EQ(a.size, 3 * PG + 100);
	ASSERT_EQ(a.blocks, 5);
	/* A hole punched from the middle of page 0 to the middle of page 3. */
	ASSERT_TRUE(write_all(sb, ino, 23, 4 * PG, 0));
	ASSERT_OK(memhp_shmem_fallocate(
		sb, ino, MEMHP_SHMEM_FALLOC_PUNCH_HOLE | MEMHP_SHMEM_FALLOC_KEEP_SIZE, 1000,
		3 * PG));
	ASSERT_OK(memhp_shmem_getattr(sb, ino, &a));
	ASSERT_EQ(a.blocks, 3); /* pages 0, 3 and 8 */
	ASSERT_EQ(memhp_shmem_read(sb, ino, buf, sizeof(buf), 0), sizeof(buf));
	ASSERT_TRUE(all_zero(buf + 1000, 3 * PG));
	ASSERT_TRUE(reads_back(sb, ino, 23, 1000, 0));
	ASSERT_ERR(memhp_shmem_fallocate(sb, ino, MEMHP_SHMEM_FALLOC_PUNCH_HOLE, 0, PG),
		   -EOPNOTSUPP);
	ASSERT_ERR(memhp_shmem_fallocate(sb, ino, 0, 0, 0), -EINVAL);
	ASSERT_ERR(memhp_shmem_fallocate(sb, ROOT, 0, 0, PG), -EISDIR);
	ASSERT_EQ(memhp_shmem_verify(sb, NULL), 0);
}

static void seek_data_and_seek_hole_find_the_pages(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_shmem *sb = tmpfs(m, ~0UL);
	uint64_t ino;

	ASSERT_TRUE(sb);
	ino = new_file(sb, "f");
	ASSERT_TRUE(write_all(sb, ino, 24, PG, 5 * PG));
	ASSERT_TRUE(write_all(sb, ino, 25, 10, 9 * PG));
	ASSERT_EQ(memhp_shmem_lseek(sb, ino, 0, SEEK_DATA), 5 * PG);
	ASSERT_EQ(memhp_shmem_lseek(sb, ino, 5 * PG + 7, SEEK_DATA), 5 * PG + 7);
	ASSERT_EQ(memhp_shmem_lseek(sb, ino, 5 * PG, SEEK_HOLE), 6 * PG);
	ASSERT_EQ(memhp_shmem_lseek(sb, ino, 6 * PG, SEEK_DATA), 9 * PG);
	ASSERT_EQ(memhp_shmem_lseek(sb, ino, 9 * PG, SEEK_HOLE), 9 * PG + 10);
	ASSERT_EQ(memhp_shmem_lseek(sb, ino, 9 * PG + 10, SEEK_DATA), -ENXIO);
	ASSERT_EQ(memhp_shmem_lseek(sb, ino, 3, SEEK_HOLE), 3);
}

/* ---- Shared anonymous memory ------------------------------------------------------- */

static void the_anonymous_memory_is_a_shmem_file_that_grows_shrinks_and_pins(void)
{
	struct memhp_machine *m = with_movable(1);
	unsigned long free0, start;
	bool pinned;

	ASSERT_TRUE(m);
	start = tm_block_pfn(m, B0);
	free0 = free_pages(m);
	ASSERT_EQ(memhp_anon_memory(m, &pinned), 0);
	ASSERT_OK(memhp_anon_memory_set(m, 4 * MEMHP_MiB + 100, false));
	/* Whole pages of random bytes, counted as Shmem (MAP_SHARED anon). */
	ASSERT_EQ(memhp_anon_memory(m, &pinned), 4 * MEMHP_MiB);
	ASSERT_FALSE(pinned);
	ASSERT_EQ(free0 - free_pages(m), 1024);
	ASSERT_EQ(shmem_pages(m), 1024);
	ASSERT_EQ(memhp_shmem_nr_pages(memhp_shm_mnt(m)), 1024);
	ASSERT_OK(memhp_anon_memory_set(m, MEMHP_MiB, true));
	ASSERT_EQ(shmem_pages(m), 256);
	ASSERT_EQ(memhp_anon_memory(m, &pinned), MEMHP_MiB);
	ASSERT_TRUE(pinned);
	ASSERT_ERR(memhp_alloc_contig_range(m, start, start + 512, MEMHP_GFP_HIGHUSER_MOVABLE),
		   -EBUSY);
	ASSERT_OK(memhp_anon_memory_set(m, MEMHP_MiB, false));
	ASSERT_OK(memhp_block_offline(m, B0));
	ASSERT_EQ(memhp_shmem_verify(memhp_shm_mnt(m), NULL), 0);
	/* More than the machine has: nothing changes. */
	ASSERT_ERR(memhp_anon_memory_set(m, 4 * MEMHP_GiB, false), -ENOSPC);
	ASSERT_EQ(memhp_anon_memory(m, NULL), MEMHP_MiB);
	ASSERT_EQ(shmem_pages(m), 256);
	ASSERT_OK(memhp_anon_memory_set(m, 0, false));
	ASSERT_EQ(shmem_pages(m), 0);
}

RUN_TESTS(T(writing_a_file_lowers_memfree_and_raises_shmem),
	  T(tmpfs_pages_come_from_zone_movable_first),
	  T(a_file_reads_back_what_was_written_in_any_pieces),
	  T(holes_read_as_zeros_and_take_no_page),
	  T(truncate_frees_the_pages_past_the_end_and_zeroes_the_rest_of_the_last),
	  T(unlink_frees_every_page), T(a_file_costs_the_guest_kernel_a_dentry_and_an_inode),
	  T(an_open_unlinked_file_keeps_its_pages_until_its_last_reference_goes),
	  T(destroying_an_instance_frees_every_page),
	  T(offlining_a_block_migrates_tmpfs_pages_and_their_bytes_survive),
	  T(soft_offlining_a_tmpfs_page_keeps_its_bytes), T(a_pinned_file_refuses_migration),
	  T(writes_and_reads_during_offlining_lose_nothing), T(a_checksum_catches_a_changed_byte),
	  T(a_poisoned_tmpfs_page_reads_eio), T(the_size_limit_gives_enospc_and_statfs_counts_it),
	  T(the_inode_limit_gives_enospc), T(a_full_machine_gives_enospc_not_a_crash),
	  T(directories_follow_tmpfs_rules),
	  T(rename_replaces_exchanges_and_refuses_as_renameat2_does), T(links_and_symlinks),
	  T(fallocate_allocates_zeroed_pages_and_punching_frees_them),
	  T(seek_data_and_seek_hole_find_the_pages),
	  T(the_anonymous_memory_is_a_shmem_file_that_grows_shrinks_and_pins))
