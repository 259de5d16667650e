// SPDX-License-Identifier: MIT
/*
 * test_sysctl.c - /proc/sys/vm and the watermarks it drives: what a Debian
 * 6.1 guest under QEMU shows (docs/linux-comparison.md, case i), and the
 * rules of mm/page_alloc.c, mm/khugepaged.c, mm/mmap.c and
 * fs/drop_caches.c.
 */
#include "harness.h"

#include <memhp/hugetlb.h>

#include <memhp/sysctl.h>

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/*
 * Case i: -m 1G,slots=4,maxmem=16G with a 1 GiB pc-dimm onlined movable:
 * min_free_kbytes, ZONE_MOVABLE's watermarks (262144 managed pages), and
 * the reserves MemAvailable leaves out. memhp's zones hold 192 pages more than Linux's
 * there (docs/semantics.md, the 768 kB of hot-pluggable memory), which
 * moves a watermark by a page or two: hence the tolerances.
 */
#define LINUX_MIN_FREE_KBYTES_2_ZONES 45056
#define LINUX_MOVABLE_MIN 6007
#define LINUX_MOVABLE_LOW 7508
#define LINUX_MOVABLE_HIGH 9009
/* totalreserve_pages from that guest's zoneinfo: per zone its largest
 * protection plus its high mark: DMA 1904 + 132, DMA32 1024 + 7752,
 * Movable 0 + 9009. Its MemFree - MemAvailable, 74844 kB, is that less
 * half of SReclaimable (8760 kB) and a few pages of file cache. */
#define LINUX_TOTALRESERVE_PAGES 19821
/* Case i at -m 4G (DMA, DMA32 and Normal populated). */
#define LINUX_MIN_FREE_KBYTES_3_ZONES 67584
/* Case i with transparent_hugepage=never at -m 1G: sqrt(16 * lowmem). */
#define LINUX_MIN_FREE_KBYTES_NO_THP 3927
#define PERMILLE 1000

/* The largest r with r * r <= x. */
static unsigned long sqrt_floor(unsigned long x)
{
	unsigned long r = (unsigned long)sqrt((double)x);

	while (r * r > x)
		r--;
	while ((r + 1) * (r + 1) <= x)
		r++;
	return r;
}

static long sysctl(struct memhp_machine *m, const char *name)
{
	int i = memhp_sysctl_vm_lookup(name);

	return i < 0 ? LONG_MIN : memhp_sysctl_vm_value(m, (unsigned int)i, 0);
}

static ssize_t sysctl_write(struct memhp_machine *m, const char *name, const char *text)
{
	int i = memhp_sysctl_vm_lookup(name);

	return i < 0 ? i : memhp_sysctl_vm_write(m, (unsigned int)i, text, strlen(text), NULL, 0);
}

static unsigned long wmark(struct memhp_machine *m, enum memhp_zone_type z, enum memhp_wmark w)
{
	return memhp_zone_watermark(m, 0, z, w);
}

static unsigned long managed(struct memhp_machine *m, enum memhp_zone_type z)
{
	struct memhp_zone_info zi;

	memhp_zone_info(m, 0, z, &zi);
	return zi.managed_pages;
}

static bool near(long got, long want, long permille)
{
	long tol = labs(want) * permille / PERMILLE + 2;

	return labs(got - want) <= tol;
}

/* A guest as QEMU's -m RAM,maxmem=16G makes it: the SWIOTLB, room above. */
static struct memhp_machine *guest(uint64_t ram, enum memhp_thp_mode thp)
{
	struct memhp_config cfg;

	tm_config(&cfg);
	memhp_config_init(&cfg, ram);
	cfg.phys_size = 64 * MEMHP_GiB;
	cfg.kaslr = false;
	cfg.swiotlb_size = MEMHP_SWIOTLB_SIZE;
	cfg.transparent_hugepage = thp;
	return tm_create(&cfg);
}

/* Add and online @size at 4 GiB, as a DIMM whose blocks udev onlines. */
static void plug_dimm(struct memhp_machine *m, uint64_t size, enum memhp_online_type type)
{
	unsigned long first = (unsigned long)(4 * MEMHP_GiB / memhp_block_size(m));

	ASSERT_OK(memhp_add_memory(m, 0, 4 * MEMHP_GiB, size, MEMHP_MHP_NONE));
	for (unsigned long id = first; id < first + size / memhp_block_size(m); id++)
		ASSERT_OK(memhp_block_online(m, id, type));
}

static bool log_has(struct memhp_machine *m, const char *text)
{
	struct memhp_printk_record r;

	for (uint64_t seq = memhp_printk_first_seq(m); !memhp_printk_read(m, seq, &r); seq++)
		if (strstr(r.text, text))
			return true;
	return false;
}

static void watermarks_after_onlining_a_movable_dimm_are_linuxs(void)
{
	struct memhp_machine *m = guest(1 * MEMHP_GiB, MEMHP_THP_ALWAYS);

	ASSERT_TRUE(m);
	plug_dimm(m, 1 * MEMHP_GiB, MEMHP_MMOP_ONLINE_MOVABLE);
	ASSERT_EQ(managed(m, MEMHP_ZONE_MOVABLE), 262144);
	ASSERT_EQ(sysctl(m, "min_free_kbytes"), LINUX_MIN_FREE_KBYTES_2_ZONES);
	ASSERT_TRUE(
		near((long)wmark(m, MEMHP_ZONE_MOVABLE, MEMHP_WMARK_MIN), LINUX_MOVABLE_MIN, 1));
	ASSERT_TRUE(
		near((long)wmark(m, MEMHP_ZONE_MOVABLE, MEMHP_WMARK_LOW), LINUX_MOVABLE_LOW, 1));
	ASSERT_TRUE(
		near((long)wmark(m, MEMHP_ZONE_MOVABLE, MEMHP_WMARK_HIGH), LINUX_MOVABLE_HIGH, 1));
	/* The rule behind the numbers: min shared by managed pages, then a
	 * quarter of min (larger than 0.1% of the zone) twice above it. */
	for (int z = 0; z < MEMHP_NR_ZONES; z++) {
		unsigned long min = wmark(m, (enum memhp_zone_type)z, MEMHP_WMARK_MIN);
		unsigned long step = min / 4 > managed(m, (enum memhp_zone_type)z) / 1000
					     ? min / 4
					     : managed(m, (enum memhp_zone_type)z) / 1000;

		EXPECT_EQ(wmark(m, (enum memhp_zone_type)z, MEMHP_WMARK_LOW), min + step);
		EXPECT_EQ(wmark(m, (enum memhp_zone_type)z, MEMHP_WMARK_HIGH), min + 2 * step);
	}
}

static void min_free_kbytes_is_khugepageds_recommendation_per_populated_zone(void)
{
	struct memhp_machine *m4 = guest(4 * MEMHP_GiB, MEMHP_THP_ALWAYS);
	struct memhp_machine *m1 = guest(1 * MEMHP_GiB, MEMHP_THP_ALWAYS);

	ASSERT_TRUE(m1 && m4);
	/* Two pageblocks free per zone below Movable, plus one for each of
	 * the 3x3 pcp migratetype pairs: DMA and DMA32, then Normal too. */
	ASSERT_EQ(sysctl(m1, "min_free_kbytes"), LINUX_MIN_FREE_KBYTES_2_ZONES);
	ASSERT_EQ(sysctl(m4, "min_free_kbytes"), LINUX_MIN_FREE_KBYTES_3_ZONES);
	/* Movable memory adds no zone to the count. */
	plug_dimm(m1, 1 * MEMHP_GiB, MEMHP_MMOP_ONLINE_MOVABLE);
	ASSERT_EQ(sysctl(m1, "min_free_kbytes"), LINUX_MIN_FREE_KBYTES_2_ZONES);
}

static void without_thp_min_free_kbytes_is_the_root_of_16_times_lowmem(void)
{
	struct memhp_config cfg;
	struct memhp_machine *m;
	unsigned long lowmem = 0;
	long want;

	tm_config(&cfg);
	memhp_config_init(&cfg, 1 * MEMHP_GiB);
	cfg.phys_size = 64 * MEMHP_GiB;
	cfg.kaslr = false;
	cfg.transparent_hugepage = MEMHP_THP_NEVER;
	m = tm_create(&cfg);
	ASSERT_TRUE(m);
	/* nr_free_buffer_pages(): managed above the high mark, to Normal. */
	for (int z = MEMHP_ZONE_DMA; z <= MEMHP_ZONE_NORMAL; z++)
		lowmem += managed(m, (enum memhp_zone_type)z) -
			  wmark(m, (enum memhp_zone_type)z, MEMHP_WMARK_HIGH);
	/* The high marks the last computation read were those before it:
	 * the root lies between what the old and the new marks give. */
	want = (long)sqrt_floor(lowmem * 4 * 16);
	ASSERT_TRUE(sysctl(m, "min_free_kbytes") >= want);
	/* Linux computes it before the kernel's init memory and the initramfs
	 * are freed, so its figure is 1-2% lower (docs/semantics.md). */
	ASSERT_TRUE(near(sysctl(m, "min_free_kbytes"), LINUX_MIN_FREE_KBYTES_NO_THP, 20));
}

static void memavailable_keeps_back_what_linux_keeps_back(void)
{
	struct memhp_machine *m = guest(1 * MEMHP_GiB, MEMHP_THP_ALWAYS);
	struct memhp_meminfo mi;
	unsigned long reserve = 0;

	ASSERT_TRUE(m);
	plug_dimm(m, 1 * MEMHP_GiB, MEMHP_MMOP_ONLINE_MOVABLE);
	memhp_meminfo(m, &mi);
	/* totalreserve_pages: each zone's high mark and largest reserve. */
	for (int z = 0; z < MEMHP_NR_ZONES; z++) {
		unsigned long max = 0;

		for (unsigned int j = 0; j <= MEMHP_NR_ZONES; j++) {
			unsigned long r =
				memhp_zone_lowmem_reserve(m, 0, (enum memhp_zone_type)z, j);

			max = r > max ? r : max;
		}
		max += wmark(m, (enum memhp_zone_type)z, MEMHP_WMARK_HIGH);
		reserve += max < managed(m, (enum memhp_zone_type)z)
				   ? max
				   : managed(m, (enum memhp_zone_type)z);
	}
	ASSERT_EQ(memhp_totalreserve_pages(m), reserve);
	ASSERT_TRUE(near((long)reserve, LINUX_TOTALRESERVE_PAGES, 1));
}

static void a_written_min_free_kbytes_scales_the_watermarks_and_outlives_hotplug(void)
{
	struct memhp_machine *m = guest(1 * MEMHP_GiB, MEMHP_THP_ALWAYS);
	unsigned long before;

	ASSERT_TRUE(m);
	before = wmark(m, MEMHP_ZONE_DMA32, MEMHP_WMARK_MIN);
	ASSERT_EQ(sysctl_write(m, "min_free_kbytes", "90112\n"), 6);
	ASSERT_TRUE(near((long)wmark(m, MEMHP_ZONE_DMA32, MEMHP_WMARK_MIN), (long)before * 2, 1));
	/* Onlining recomputes: the user's value is preferred, and said so. */
	plug_dimm(m, 1 * MEMHP_GiB, MEMHP_MMOP_ONLINE_MOVABLE);
	ASSERT_EQ(sysctl(m, "min_free_kbytes"), 90112);
	ASSERT_TRUE(log_has(m, "because user defined value 90112 is preferred"));
	/* Below khugepaged's recommendation, the next recomputation raises it. */
	ASSERT_EQ(sysctl_write(m, "min_free_kbytes", "1024"), 4);
	ASSERT_OK(memhp_block_offline(m, (unsigned long)(4 * MEMHP_GiB / memhp_block_size(m))));
	ASSERT_EQ(sysctl(m, "min_free_kbytes"), LINUX_MIN_FREE_KBYTES_2_ZONES);
	ASSERT_TRUE(log_has(m, "raising min_free_kbytes from"));
}

static void watermark_scale_factor_sets_the_distance_between_marks(void)
{
	struct memhp_machine *m = guest(1 * MEMHP_GiB, MEMHP_THP_ALWAYS);
	unsigned long min, size;

	ASSERT_TRUE(m);
	ASSERT_EQ(sysctl(m, "watermark_scale_factor"), 10);
	ASSERT_ERR(sysctl_write(m, "watermark_scale_factor", "0"), -EINVAL);
	ASSERT_ERR(sysctl_write(m, "watermark_scale_factor", "3001"), -EINVAL);
	ASSERT_EQ(sysctl_write(m, "watermark_scale_factor", "1000"), 4);
	/* 10% of the zone between min and low, and low and high. */
	min = wmark(m, MEMHP_ZONE_DMA32, MEMHP_WMARK_MIN);
	size = managed(m, MEMHP_ZONE_DMA32);
	ASSERT_EQ(wmark(m, MEMHP_ZONE_DMA32, MEMHP_WMARK_LOW), min + size / 10);
	ASSERT_EQ(wmark(m, MEMHP_ZONE_DMA32, MEMHP_WMARK_HIGH), min + 2 * (size / 10));
}

static void lowmem_reserve_ratio_accepts_anything_and_a_read_recomputes_the_reserves(void)
{
	struct memhp_machine *m = guest(1 * MEMHP_GiB, MEMHP_THP_ALWAYS);
	char text[MEMHP_SYSCTL_TEXT_MAX];
	int i = memhp_sysctl_vm_lookup("lowmem_reserve_ratio");
	struct memhp_page *p;
	unsigned long dma32;

	ASSERT_TRUE(m && i >= 0);
	ASSERT_EQ(memhp_sysctl_vm_read(m, (unsigned int)i, text, sizeof(text)), 15);
	ASSERT_STREQ(text, "256\t256\t32\t0\t0\n");
	dma32 = managed(m, MEMHP_ZONE_DMA32);
	ASSERT_EQ(memhp_zone_lowmem_reserve(m, 0, MEMHP_ZONE_DMA, MEMHP_ZONE_DMA32), dma32 / 256);
	/* Fewer values than zones: the rest stay. */
	ASSERT_EQ(sysctl_write(m, "lowmem_reserve_ratio", "32"), 2);
	ASSERT_EQ(memhp_zone_lowmem_reserve(m, 0, MEMHP_ZONE_DMA, MEMHP_ZONE_DMA32), dma32 / 32);
	/* 6.1's handler ignores what the parser says: garbage is "written". */
	ASSERT_EQ(sysctl_write(m, "lowmem_reserve_ratio", "x"), 1);
	/* A balloon-like change of managed pages leaves the reserves as they
	 * were; reading the sysctl recomputes them (the handler runs on reads
	 * too), as a 6.1 guest shows after boot. */
	p = memhp_alloc_pages(m, MEMHP___GFP_DMA32, 8);
	ASSERT_TRUE(p && memhp_page_zonenum(p) == MEMHP_ZONE_DMA32);
	memhp_adjust_managed_page_count(p, -256);
	ASSERT_EQ(memhp_zone_lowmem_reserve(m, 0, MEMHP_ZONE_DMA, MEMHP_ZONE_DMA32), dma32 / 32);
	ASSERT_GT(memhp_sysctl_vm_read(m, (unsigned int)i, text, sizeof(text)), 0);
	ASSERT_EQ(memhp_zone_lowmem_reserve(m, 0, MEMHP_ZONE_DMA, MEMHP_ZONE_DMA32),
		  (dma32 - 256) / 32);
	memhp_adjust_managed_page_count(p, 256);
	memhp_free_pages(p, 8);
}

static void sysctl_writes_parse_as_proc_dointvec_minmax(void)
{
	struct memhp_machine *m = guest(1 * MEMHP_GiB, MEMHP_THP_ALWAYS);

	ASSERT_TRUE(m);
	ASSERT_EQ(sysctl_write(m, "swappiness", " 0x10\n"), 6);
	ASSERT_EQ(sysctl(m, "swappiness"), 16);
	ASSERT_EQ(sysctl_write(m, "swappiness", "010"), 3);
	ASSERT_EQ(sysctl(m, "swappiness"), 8);
	ASSERT_ERR(sysctl_write(m, "swappiness", "201"), -EINVAL);
	ASSERT_ERR(sysctl_write(m, "swappiness", "12abc"), -EINVAL);
	ASSERT_ERR(sysctl_write(m, "swappiness", ""), -EINVAL);
	ASSERT_ERR(sysctl_write(m, "swappiness", "\n"), -EINVAL);
	ASSERT_ERR(sysctl_write(m, "swappiness", "-1"), -EINVAL);
	ASSERT_ERR(sysctl_write(m, "max_map_count", "2147483648"), -EINVAL);
	ASSERT_EQ(sysctl(m, "swappiness"), 8);
	/* Unsigned longs refuse a sign; int sysctls without bounds take one. */
	ASSERT_ERR(sysctl_write(m, "admin_reserve_kbytes", "-5"), -EINVAL);
	ASSERT_EQ(sysctl_write(m, "oom_kill_allocating_task", "-5"), 2);
	ASSERT_EQ(sysctl(m, "oom_kill_allocating_task"), -5);
	/* A byte limit and its ratio exclude each other. */
	ASSERT_EQ(sysctl_write(m, "dirty_bytes", "4096"), -EINVAL);
	ASSERT_EQ(sysctl_write(m, "dirty_bytes", "8192"), 4);
	ASSERT_EQ(sysctl(m, "dirty_ratio"), 0);
	ASSERT_EQ(sysctl_write(m, "dirty_ratio", "20"), 2);
	ASSERT_EQ(sysctl(m, "dirty_bytes"), 0);
	ASSERT_EQ(sysctl_write(m, "percpu_pagelist_high_fraction", "7"), -EINVAL);
	ASSERT_EQ(sysctl_write(m, "percpu_pagelist_high_fraction", "8"), 1);
	ASSERT_ERR(sysctl_write(m, "numa_zonelist_order", "zone"), -EINVAL);
	ASSERT_EQ(sysctl_write(m, "numa_zonelist_order", "Node"), 4);
	ASSERT_EQ(memhp_sysctl_vm_lookup("compact_memory"), -ENOENT);
}

static void drop_caches_is_write_only_counted_and_logged_until_told_not_to(void)
{
	struct memhp_machine *m = guest(1 * MEMHP_GiB, MEMHP_THP_ALWAYS);
	int i = memhp_sysctl_vm_lookup("drop_caches");
	char text[MEMHP_SYSCTL_TEXT_MAX];
	unsigned long lines = 0;
	struct memhp_printk_record r;

	ASSERT_TRUE(m && i >= 0);
	ASSERT_ERR(memhp_sysctl_vm_read(m, (unsigned int)i, text, sizeof(text)), -EACCES);
	ASSERT_ERR(sysctl_write(m, "drop_caches", "0"), -EINVAL);
	ASSERT_ERR(sysctl_write(m, "drop_caches", "5"), -EINVAL);
	ASSERT_EQ(memhp_sysctl_vm_write(m, (unsigned int)i, "2", 1, "sh", 95), 1);
	ASSERT_TRUE(log_has(m, "sh (95): drop_caches: 2"));
	ASSERT_EQ(sysctl_write(m, "drop_caches", "3"), 1);
	ASSERT_EQ(sysctl_write(m, "drop_caches", "4"), 1);
	ASSERT_EQ(sysctl_write(m, "drop_caches", "1"), 1);
	/* As the guest in case i counts them: one per bit written. */
	ASSERT_EQ(memhp_vmstat(m, MEMHP_DROP_PAGECACHE), 2);
	ASSERT_EQ(memhp_vmstat(m, MEMHP_DROP_SLAB), 2);
	for (uint64_t seq = memhp_printk_first_seq(m); !memhp_printk_read(m, seq, &r); seq++)
		lines += strstr(r.text, "drop_caches: ") != NULL;
	/* 2, 3 and 4 are logged; after 4 nothing is. */
	ASSERT_EQ(lines, 3);
}

static void user_reserve_follows_memory_online_and_resets_when_offline_leaves_too_little(void)
{
	struct memhp_machine *m = guest(1 * MEMHP_GiB, MEMHP_THP_ALWAYS);
	struct memhp_meminfo mi;
	unsigned long first = (unsigned long)(4 * MEMHP_GiB / (128 * MEMHP_MiB));
	long user0;

	ASSERT_TRUE(m);
	memhp_meminfo(m, &mi);
	user0 = sysctl(m, "user_reserve_kbytes");
	/* 3% of what is free, capped at 128 MiB and 8 MiB. */
	ASSERT_EQ(user0, (long)(mi.free_pages * 4 / 32));
	ASSERT_EQ(sysctl(m, "admin_reserve_kbytes"), 8192);
	plug_dimm(m, 1 * MEMHP_GiB, MEMHP_MMOP_ONLINE_MOVABLE);
	memhp_meminfo(m, &mi);
	ASSERT_EQ(sysctl(m, "user_reserve_kbytes"), (long)(mi.free_pages * 4 / 32));
	ASSERT_GT(sysctl(m, "user_reserve_kbytes"), user0);
	/* An administrator's value above what stays free after an offline is
	 * recomputed, and the kernel says so. */
	ASSERT_EQ(sysctl_write(m, "user_reserve_kbytes", "1900000"), 7);
	ASSERT_OK(memhp_block_offline(m, first));
	memhp_meminfo(m, &mi);
	ASSERT_EQ(sysctl(m, "user_reserve_kbytes"), (long)(mi.free_pages * 4 / 32));
	ASSERT_TRUE(log_has(m, "vm.user_reserve_kbytes reset to"));
}

/* hugetlb_sysctl_handler(): nr_hugepages resizes the default (2 MiB) pool;
 * it reads what was asked for (max_huge_pages), where sysfs reads what the
 * pool holds: pages in use when it shrank stay, surplus, in sysfs only. */
static void nr_hugepages_sysctl_sets_the_pool_and_reads_what_was_asked(void)
{
	struct memhp_machine *m = guest(MEMHP_GiB, MEMHP_THP_ALWAYS);
	struct memhp_hugetlb_info hi;
	struct memhp_hugetlbfs *f;

	ASSERT_TRUE(m);
	ASSERT_EQ(sysctl(m, "nr_hugepages"), 0);
	ASSERT_EQ(sysctl_write(m, "nr_hugepages", "16\n"), 3);
	ASSERT_OK(memhp_hugetlb_info(m, 0, MEMHP_NUMA_NO_NODE, &hi));
	ASSERT_EQ(hi.nr_hugepages, 16);
	ASSERT_EQ(sysctl(m, "nr_hugepages_mempolicy"), 16);
	ASSERT_OK(memhp_hugetlbfs_create(m, 0, &f));
	ASSERT_EQ(memhp_hugetlbfs_fallocate(f, 4), 4);
	ASSERT_EQ(sysctl_write(m, "nr_hugepages", "0"), 1);
	ASSERT_EQ(sysctl(m, "nr_hugepages"), 0);
	ASSERT_OK(memhp_hugetlb_info(m, 0, MEMHP_NUMA_NO_NODE, &hi));
	ASSERT_EQ(hi.nr_hugepages, 4);
	ASSERT_EQ(hi.surplus_hugepages, 4);
	ASSERT_EQ(sysctl_write(m, "nr_overcommit_hugepages", "8"), 1);
	ASSERT_EQ(sysctl(m, "nr_overcommit_hugepages"), 8);
	ASSERT_OK(memhp_hugetlb_info(m, 0, MEMHP_NUMA_NO_NODE, &hi));
	ASSERT_EQ(hi.nr_overcommit_hugepages, 8);
	ASSERT_EQ(sysctl_write(m, "nr_hugepages", "-1"), -EINVAL);
	memhp_hugetlbfs_destroy(f);
}

/*
 * hugepage_init() clears every THP flag on a machine with less than 512 MiB
 * of totalram, whatever the command line asked: no khugepaged, so
 * min_free_kbytes stays the square root. Debian's 6.1 under QEMU: -m 256M
 * THP never, min_free_kbytes 1775; -m 512M (457 MiB of MemTotal) never,
 * 2696; -m 600M always, 26872.
 */
static struct memhp_machine *q35_below_4g(uint64_t ram)
{
	struct memhp_config cfg;

	tm_config(&cfg);
	memhp_config_init(&cfg, ram); /* no SWIOTLB: no RAM above 4 GiB */
	cfg.phys_size = 64 * MEMHP_GiB;
	cfg.kaslr = false;
	return tm_create(&cfg);
}

static void a_machine_below_512m_of_ram_boots_with_thp_off(void)
{
	struct memhp_machine *small = q35_below_4g(256 * MEMHP_MiB);
	struct memhp_machine *q512 = q35_below_4g(512 * MEMHP_MiB);
	struct memhp_machine *big = q35_below_4g(600 * MEMHP_MiB);

	ASSERT_TRUE(small && q512 && big);
	ASSERT_TRUE(memhp_thp_disabled_at_boot(small) && memhp_thp_disabled_at_boot(q512));
	ASSERT_EQ(memhp_transparent_hugepage(small), MEMHP_THP_NEVER);
	ASSERT_EQ(memhp_transparent_hugepage(q512), MEMHP_THP_NEVER);
	ASSERT_TRUE(memhp_min_free_kbytes(small) < 2 * 1775, "Linux: 1775");
	ASSERT_TRUE(memhp_min_free_kbytes(q512) < 2 * 2696, "Linux: 2696");
	ASSERT_TRUE(!memhp_thp_disabled_at_boot(big));
	ASSERT_EQ(memhp_transparent_hugepage(big), MEMHP_THP_ALWAYS);
	ASSERT_TRUE(memhp_min_free_kbytes(big) > 26872 / 2, "Linux: 26872");
	/* sysfs may still turn it on, and khugepaged then recommends. */
	ASSERT_OK(memhp_set_transparent_hugepage(small, MEMHP_THP_ALWAYS));
	ASSERT_TRUE(memhp_min_free_kbytes(small) > 2 * 1775);
}

RUN_TESTS(T(a_machine_below_512m_of_ram_boots_with_thp_off),
	  T(watermarks_after_onlining_a_movable_dimm_are_linuxs),
	  T(min_free_kbytes_is_khugepageds_recommendation_per_populated_zone),
	  T(without_thp_min_free_kbytes_is_the_root_of_16_times_lowmem),
	  T(memavailable_keeps_back_what_linux_keeps_back),
	  T(a_written_min_free_kbytes_scales_the_watermarks_and_outlives_hotplug),
	  T(watermark_scale_factor_sets_the_distance_between_marks),
	  T(lowmem_reserve_ratio_accepts_anything_and_a_read_recomputes_the_reserves),
	  T(sysctl_writes_parse_as_proc_dointvec_minmax),
	  T(drop_caches_is_write_only_counted_and_logged_until_told_not_to),
	  T(user_reserve_follows_memory_online_and_resets_when_offline_leaves_too_little),
	  T(nr_hugepages_sysctl_sets_the_pool_and_reads_what_was_asked))
