// SPDX-License-Identifier: MIT
/*
 * test_boot.c - what boot leaves behind: the kernel image where KASLR put
 * it, its init sections freed, the SWIOTLB, and MemTotal as a Debian 6.1
 * guest under QEMU shows it (docs/linux-comparison.md, case b).
 */
#include "harness.h"

#define KERNEL_ALIGN (2 * MEMHP_MiB)
/* Where the kernel is loaded without KASLR (CONFIG_PHYSICAL_START). */
#define LOAD_ADDR (16 * MEMHP_MiB)
/* MemTotal of the Debian 6.1 guest, kB (case b; 1 GiB: 9 boots, 4 GiB:
 * 4009400-4009408 over 7). */
#define LINUX_MEMTOTAL_1G_KB 983744
#define LINUX_MEMTOTAL_4G_KB 4009400
#define LINUX_MEMTOTAL_4G_SPREAD_KB 8

static struct memhp_machine *boot(uint64_t ram, uint64_t seed, bool kaslr)
{
	struct memhp_config cfg;

	tm_config(&cfg);
	memhp_config_init(&cfg, ram);
	cfg.phys_size = 64 * MEMHP_GiB;
	cfg.check_after_ops = true;
	cfg.kaslr = kaslr;
	cfg.seed = seed;
	return tm_create(&cfg);
}

static unsigned long memtotal_kb(struct memhp_machine *m)
{
	struct memhp_meminfo mi;

	memhp_meminfo(m, &mi);
	return mi.total_pages * (MEMHP_PAGE_SIZE / 1024);
}

static bool in_one_ram_range(const struct memhp_config *cfg, uint64_t start, uint64_t size)
{
	for (unsigned int i = 0; i < cfg->nr_boot; i++)
		if (start >= cfg->boot[i].start &&
		    start + size <= cfg->boot[i].start + cfg->boot[i].size)
			return true;
	return false;
}

static void kaslr_puts_the_image_in_a_random_2mib_slot_of_ram(void)
{
	uint64_t seen[8];
	int distinct = 0;

	for (uint64_t seed = 1; seed <= 8; seed++) {
		struct memhp_machine *m = boot(1 * MEMHP_GiB, seed, true);
		const struct memhp_config *cfg;
		bool dup = false;

		ASSERT_TRUE(m);
		cfg = memhp_machine_config(m);
		ASSERT_EQ(cfg->kernel_start % KERNEL_ALIGN, 0);
		ASSERT_TRUE(cfg->kernel_start >= LOAD_ADDR);
		ASSERT_TRUE(in_one_ram_range(cfg, cfg->kernel_start, cfg->kernel_size));
		for (int i = 0; i < distinct; i++)
			dup |= seen[i] == cfg->kernel_start;
		if (!dup)
			seen[distinct++] = cfg->kernel_start;
	}
	/* Linux put it in a different place in each of 8 boots. */
	ASSERT_GT(distinct, 4);
}

static void the_same_seed_puts_the_image_in_the_same_place(void)
{
	struct memhp_machine *a = boot(1 * MEMHP_GiB, 42, true), *b = boot(1 * MEMHP_GiB, 42, true);

	ASSERT_TRUE(a && b);
	ASSERT_EQ(memhp_machine_config(a)->kernel_start, memhp_machine_config(b)->kernel_start);
}

/* Linux: the EBUSY block below 4 GiB is the one KASLR put the kernel in,
 * and the page has_unmovable_pages() dumps is PG_reserved. */
static void the_block_holding_the_image_cannot_go_offline(void)
{
	for (uint64_t seed = 1; seed <= 4; seed++) {
		struct memhp_machine *m = boot(1 * MEMHP_GiB, seed, true);
		const struct memhp_config *cfg;
		unsigned long id;

		ASSERT_TRUE(m);
		cfg = memhp_machine_config(m);
		id = memhp_phys_to_block_id(m, cfg->kernel_start);
		ASSERT_TRUE(memhp_PageReserved(memhp_pfn_to_page(m, cfg->kernel_start >> 12)));
		/* memory0 spans two zones and memory7 has QEMU's firmware
		 * hole: both are -EINVAL before anything else is looked at. */
		if (id == 0 || id == 7)
			continue;
		ASSERT_ERR(memhp_block_offline(m, id), -EBUSY);
	}
}

/* nokaslr: the image at 16 MiB, in memory0; every other block of a 1 GiB
 * guest but the last (a firmware hole) goes offline and back. */
static void without_kaslr_the_image_sits_at_16_mib_and_blocks_1_to_6_go(void)
{
	struct memhp_machine *m = boot(1 * MEMHP_GiB, 1, false);

	ASSERT_TRUE(m);
	ASSERT_EQ(memhp_machine_config(m)->kernel_start, LOAD_ADDR);
	ASSERT_ERR(memhp_block_offline(m, 0), -EINVAL);
	for (unsigned long id = 1; id <= 6; id++) {
		ASSERT_OK(memhp_block_offline(m, id));
		ASSERT_OK(memhp_block_online(m, id, MEMHP_MMOP_ONLINE));
	}
	ASSERT_ERR(memhp_block_offline(m, 7), -EINVAL);
}

/* The init sections between text, rodata, data and bss are free after
 * boot; the four stay reserved. */
static void the_image_init_sections_are_freed_after_boot(void)
{
	struct memhp_machine *m = boot(1 * MEMHP_GiB, 1, false);
	/* Debian 6.1.0-57: rodata ends at +0x18eb000, data starts at
	 * +0x1a00000; the bss starts at +0x2310000. */
	const unsigned long k = LOAD_ADDR >> 12;

	ASSERT_TRUE(m);
	ASSERT_TRUE(memhp_PageReserved(memhp_pfn_to_page(m, k)));
	ASSERT_FALSE(memhp_PageReserved(memhp_pfn_to_page(m, k + (0x1900000 >> 12))));
	ASSERT_TRUE(memhp_PageReserved(memhp_pfn_to_page(m, k + (0x1a00000 >> 12))));
	ASSERT_FALSE(memhp_PageReserved(memhp_pfn_to_page(m, k + (0x2000000 >> 12))));
	ASSERT_TRUE(memhp_PageReserved(memhp_pfn_to_page(m, k + (0x3300000 >> 12))));
	ASSERT_FALSE(memhp_PageReserved(memhp_pfn_to_page(m, k + (0x3400000 >> 12))));
}

static void memtotal_is_what_linux_shows_at_1_and_4_gib(void)
{
	struct memhp_machine *m1 = boot(1 * MEMHP_GiB, 1, true);
	struct memhp_machine *m4 = boot(4 * MEMHP_GiB, 1, true);
	unsigned long t4;

	ASSERT_TRUE(m1 && m4);
	ASSERT_EQ(memtotal_kb(m1), LINUX_MEMTOTAL_1G_KB);
	t4 = memtotal_kb(m4);
	ASSERT_TRUE(t4 >= LINUX_MEMTOTAL_4G_KB &&
		    t4 <= LINUX_MEMTOTAL_4G_KB + LINUX_MEMTOTAL_4G_SPREAD_KB);
}

/* With memory above 4 GiB the kernel sets up a 64 MiB SWIOTLB below it:
 * Linux with 1 GiB and maxmem 16 GiB shows 917440 kB (66304 kB less than
 * without maxmem), the buffer at [0x3a600000, 0x3e600000). */
#define SWIOTLB_MIDDLE 0x3c000000ULL

static void the_swiotlb_takes_64_mib_below_4_gib(void)
{
	struct memhp_config cfg;
	struct memhp_machine *m;
	unsigned long without;

	m = boot(1 * MEMHP_GiB, 1, false);
	ASSERT_TRUE(m);
	without = memtotal_kb(m);
	ASSERT_FALSE(memhp_PageReserved(memhp_pfn_to_page(m, SWIOTLB_MIDDLE >> 12)));
	tm_config(&cfg);
	memhp_config_init(&cfg, 1 * MEMHP_GiB);
	cfg.phys_size = 64 * MEMHP_GiB;
	cfg.kaslr = false;
	cfg.swiotlb_size = MEMHP_SWIOTLB_SIZE;
	m = tm_create(&cfg);
	ASSERT_TRUE(m);
	ASSERT_EQ(without - memtotal_kb(m), MEMHP_SWIOTLB_SIZE / 1024);
	/* Below the boot memmap and early boot's allocations, at the top of
	 * low RAM: in memory7, which cannot go offline for its firmware hole
	 * anyway. */
	ASSERT_TRUE(memhp_PageReserved(memhp_pfn_to_page(m, SWIOTLB_MIDDLE >> 12)));
	ASSERT_OK(memhp_block_offline(m, 6));
}

RUN_TESTS(T(kaslr_puts_the_image_in_a_random_2mib_slot_of_ram),
	  T(the_same_seed_puts_the_image_in_the_same_place),
	  T(the_block_holding_the_image_cannot_go_offline),
	  T(without_kaslr_the_image_sits_at_16_mib_and_blocks_1_to_6_go),
	  T(the_image_init_sections_are_freed_after_boot),
	  T(memtotal_is_what_linux_shows_at_1_and_4_gib), T(the_swiotlb_takes_64_mib_below_4_gib))
