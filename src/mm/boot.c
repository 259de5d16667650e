// SPDX-License-Identifier: MIT
/*
 * boot.c - what a machine boots as: the configuration's defaults (QEMU
 * q35's memory layout under SeaBIOS, Debian 6.1's kernel image) and its
 * checks, the firmware's e820 map, and the boot memory early init leaves.
 *
 * Boot does what the kernel's early memory init leaves behind: the boot
 * ranges' sections are present and online, every page of them has a
 * descriptor, the memblock reservations (the first MiB, the kernel image,
 * the boot memmap at the top of memory) stay PG_reserved, holes inside a
 * section are PG_reserved and not present, and everything else is in the
 * buddy on MOVABLE pageblocks. One online memory block per block-sized
 * range that has memory.
 */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- Configuration ---------------------------------------------------------- */

#define DEFAULT_SECTION_SIZE (128 * MEMHP_MiB)
#define DEFAULT_PHYS_SIZE (1 * MEMHP_TiB)
#define DEFAULT_PAGEBLOCK_ORDER 9
#define DEFAULT_STRUCT_PAGE_SIZE 64
#define DEFAULT_KERNEL_START (16 * MEMHP_MiB) /* CONFIG_PHYSICAL_START */
/* Debian 6.1.0-57's image, from the start of its text to the end of its
 * bss, as /proc/iomem shows it (docs/linux-comparison.md, case f). */
#define DEFAULT_KERNEL_SIZE 0x3400000ULL
/* CONFIG_PHYSICAL_ALIGN: where KASLR may put the image. */
#define KERNEL_ALIGN (2 * MEMHP_MiB)
/*
 * The rest of early boot's reservations, measured: a Debian 6.1 guest
 * under QEMU has 983744 kB MemTotal with 1 GiB and 4009400 kB with 4 GiB
 * (docs/linux-comparison.md, case b); what the image, the memmap, the
 * first MiB and the SWIOTLB do not explain grows with RAM.
 */
#define DEFAULT_EARLY_RESERVED (2345 * MEMHP_KiB)
#define DEFAULT_EARLY_RESERVED_PER_GIB (1795 * MEMHP_KiB)
#define DEFAULT_AUTO_MOVABLE_RATIO 301
#define X86_DMA_LIMIT (16 * MEMHP_MiB)
#define X86_DMA32_LIMIT (4 * MEMHP_GiB)
/* QEMU q35: RAM below 4 GiB stops at 2 GiB once the guest has 2.75 GiB. */
#define Q35_LOWMEM_THRESHOLD (0xb0000000ULL)
#define Q35_LOWMEM_MAX (2 * MEMHP_GiB)
/* What SeaBIOS's e820 map and Linux's trimming leave usable below 1 MiB and
 * at the top of low RAM. */
#define X86_LOW_RAM_START 0x1000ULL
#define X86_LOW_RAM_END 0x9f000ULL
#define X86_HIGH_BIOS_END (1 * MEMHP_MiB)
#define Q35_LOWMEM_FW_RESERVED 0x20000ULL
/* What SeaBIOS and QEMU q35 report reserved in e820 besides: the EBDA at
 * the top of base memory, the BIOS at 0xf0000, the PCIe MMCONFIG window,
 * the ICH9 root complex register block, the KVM TSS and identity map
 * pages, the BIOS flash below 4 GiB. */
#define SEABIOS_BASE_RAM_END 0x9fc00ULL
#define X86_ISA_HOLE_START 0xa0000ULL
#define SEABIOS_BIOS_START 0xf0000ULL
static const struct memhp_range q35_reserved[] = {
	{ 0xb0000000ULL, 256 * MEMHP_MiB },
	{ 0xfed1c000ULL, 0x4000 },
	{ 0xfeffc000ULL, 0x4000 },
	{ 0xfffc0000ULL, 0x40000 },
};
#define FIRMWARE_MAP_MAX (MEMHP_MAX_BOOT_RANGES + 8)
#define E820_RAM "System RAM"
#define E820_RESERVED "Reserved"
/*
 * The kernel image's sections, offsets from the start of its text, as
 * Debian 6.1.0-57's /proc/iomem shows them (docs/linux-comparison.md,
 * case f). They stay reserved; the init sections between them are freed
 * once the kernel has booted (free_initmem() and friends). An image of
 * another size keeps what of them fits.
 */
static const struct {
	const char *name;
	uint64_t start, end;
} kernel_sections[] = {
	{ "Kernel code", 0x0000000, 0x0e01d32 },
	{ "Kernel rodata", 0x1000000, 0x18eb000 },
	{ "Kernel data", 0x1a00000, 0x1c48980 },
	{ "Kernel bss", 0x2310000, DEFAULT_KERNEL_SIZE },
};

void memhp_config_init(struct memhp_config *cfg, uint64_t ram_size)
{
	uint64_t lowmem, highmem;

	memset(cfg, 0, sizeof(*cfg));
	cfg->section_size = DEFAULT_SECTION_SIZE;
	cfg->block_size = DEFAULT_SECTION_SIZE;
	cfg->pageblock_order = DEFAULT_PAGEBLOCK_ORDER;
	cfg->max_order = MEMHP_MAX_ORDER_LIMIT;
	cfg->phys_size = DEFAULT_PHYS_SIZE;
	cfg->dma_limit = X86_DMA_LIMIT;
	cfg->dma32_limit = X86_DMA32_LIMIT;
	cfg->kernel_start = DEFAULT_KERNEL_START;
	cfg->kernel_size = DEFAULT_KERNEL_SIZE;
	cfg->kaslr = true;
	cfg->reserve_low_1m = true;
	cfg->early_reserved = DEFAULT_EARLY_RESERVED;
	cfg->early_reserved_per_gib = DEFAULT_EARLY_RESERVED_PER_GIB;
	cfg->struct_page_size = DEFAULT_STRUCT_PAGE_SIZE;
	cfg->auto_online_blocks = MEMHP_MMOP_OFFLINE;
	cfg->online_policy = MEMHP_ONLINE_POLICY_CONTIG_ZONES;
	cfg->auto_movable_ratio = DEFAULT_AUTO_MOVABLE_RATIO;
	cfg->auto_movable_numa_aware = true;
	cfg->protocol = MEMHP_PROTOCOL_6_1;
	cfg->nr_cpus = 1;
	cfg->seed = 1;
	cfg->host_huge_pages = true;

	ram_size = ALIGN_DOWN(ram_size, MEMHP_PAGE_SIZE);
	lowmem = ram_size >= Q35_LOWMEM_THRESHOLD ? Q35_LOWMEM_MAX : ram_size;
	highmem = ram_size - lowmem;
	if (lowmem > X86_LOW_RAM_END) {
		cfg->boot[cfg->nr_boot++] =
			(struct memhp_range){ X86_LOW_RAM_START,
					      X86_LOW_RAM_END - X86_LOW_RAM_START };
		cfg->boot[cfg->nr_boot++] =
			(struct memhp_range){ X86_HIGH_BIOS_END,
					      lowmem - Q35_LOWMEM_FW_RESERVED - X86_HIGH_BIOS_END };
	}
	if (highmem) {
		cfg->boot[cfg->nr_boot++] = (struct memhp_range){ 4 * MEMHP_GiB, highmem };
		cfg->swiotlb_size = MEMHP_SWIOTLB_SIZE;
	}
}

/* The longest reason memhp_config_error() gives. */
#define CONFIG_ERROR_MAX 512
static _Thread_local char config_error[CONFIG_ERROR_MAX];

const char *memhp_config_error(void)
{
	return config_error;
}

static int config_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int config_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(config_error, sizeof(config_error), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

static int cmp_range(const void *a, const void *b)
{
	const struct memhp_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Check @cfg and derive the machine's geometry. Returns 0 or -EINVAL. */
static bool q35_layout(const struct memhp_config *cfg);

/*
 * The RAM QEMU shares among -numa nodes, in the order it hands it out
 * (build_srat()): on q35 everything below 4 GiB from 0 to the top of low
 * RAM, holes included, then each range above; else the boot ranges. Fills
 * @out (MEMHP_MAX_BOOT_RANGES); returns how many.
 */
static unsigned int numa_ram_extents(const struct memhp_config *cfg, struct memhp_range *out)
{
	unsigned int n = 0, i = 0;

	if (q35_layout(cfg) && cfg->nr_boot > 1 && cfg->boot[1].start == X86_HIGH_BIOS_END) {
		out[n++] = (struct memhp_range){ 0, cfg->boot[1].start + cfg->boot[1].size +
							    Q35_LOWMEM_FW_RESERVED };
		i = 2;
	}
	for (; i < cfg->nr_boot; i++)
		out[n++] = cfg->boot[i];
	return n;
}

/* The node the boot RAM at @phys belongs to (0 without nodes). */
static int boot_node_of(const struct memhp_config *cfg, uint64_t phys)
{
	struct memhp_range ext[MEMHP_MAX_BOOT_RANGES];
	unsigned int n = numa_ram_extents(cfg, ext);
	uint64_t before = 0, cum = 0;
	int last = 0;

	if (cfg->nr_nodes <= 1)
		return 0;
	for (unsigned int i = 0; i < n; i++) {
		if (phys >= ext[i].start + ext[i].size) {
			before += ext[i].size;
			continue;
		}
		if (phys > ext[i].start)
			before += phys - ext[i].start;
		break;
	}
	for (unsigned int nid = 0; nid < cfg->nr_nodes; nid++) {
		cum += cfg->nodes[nid].mem_size;
		if (cfg->nodes[nid].mem_size)
			last = (int)nid;
		if (before < cum)
			return (int)nid;
	}
	return last;
}

/*
 * The nodes of @cfg: their RAM adds up to the boot RAM (QEMU's check) and
 * ends on block boundaries (memhp's: a block, and so a section, belongs to
 * one node), their CPUs exist and are named once.
 */
static int config_validate_nodes(const struct memhp_config *cfg)
{
	struct memhp_range ext[MEMHP_MAX_BOOT_RANGES];
	unsigned int n = numa_ram_extents(cfg, ext);
	uint64_t total = 0, sum = 0, cum = 0;
	uint64_t seen[MEMHP_CPU_WORDS] = { 0 };

	if (cfg->nr_nodes > MEMHP_MAX_NUMNODES)
		return config_fail("%u NUMA nodes: at most %u", cfg->nr_nodes, MEMHP_MAX_NUMNODES);
	if (cfg->nr_nodes <= 1)
		return 0;
	for (unsigned int i = 0; i < n; i++)
		total += ext[i].size;
	for (unsigned int nid = 0; nid < cfg->nr_nodes; nid++) {
		const struct memhp_node_config *nc = &cfg->nodes[nid];

		sum += nc->mem_size;
		for (unsigned int w = 0; w < MEMHP_CPU_WORDS; w++) {
			if (nc->cpus[w] & seen[w])
				return config_fail("node %u: a CPU of it is another node's too",
						   nid);
			seen[w] |= nc->cpus[w];
		}
		for (unsigned int cpu = cfg->nr_cpus; cpu < MEMHP_MAX_CPUS; cpu++)
			if (nc->cpus[cpu / 64] & (1ULL << (cpu % 64)))
				return config_fail("node %u: CPU %u: the machine has %u CPUs", nid,
						   cpu, cfg->nr_cpus);
	}
	if (sum != total)
		return config_fail("total memory for NUMA nodes (0x%llx) should equal RAM size "
				   "(0x%llx)",
				   (unsigned long long)sum, (unsigned long long)total);
	for (unsigned int nid = 0; nid + 1 < cfg->nr_nodes; nid++) {
		uint64_t off, phys = 0;

		cum += cfg->nodes[nid].mem_size;
		off = cum;
		for (unsigned int i = 0; i < n; i++) {
			if (off <= ext[i].size) {
				phys = ext[i].start + off;
				break;
			}
			off -= ext[i].size;
		}
		if (!IS_ALIGNED(phys, cfg->block_size))
			return config_fail("node %u's memory ends at %#llx, inside a memory block "
					   "(memhp keeps one node per block)",
					   nid, (unsigned long long)phys);
	}
	return 0;
}

static int config_validate(struct memhp_config *cfg)
{
	unsigned long section_pages;

	config_error[0] = '\0';
	if (!is_pow2(cfg->section_size) || cfg->section_size < 2 * MEMHP_MiB)
		return config_fail("section size %#llx: must be a power of two >= 2 MiB",
				   (unsigned long long)cfg->section_size);
	if (!is_pow2(cfg->block_size) || cfg->block_size < cfg->section_size)
		return config_fail("block size %#llx: must be a power of two >= the section size",
				   (unsigned long long)cfg->block_size);
	section_pages = (unsigned long)(cfg->section_size >> MEMHP_PAGE_SHIFT);
	if (cfg->max_order > MEMHP_MAX_ORDER_LIMIT)
		return config_fail("max order %u: at most %u", cfg->max_order,
				   MEMHP_MAX_ORDER_LIMIT);
	/* A buddy chunk never crosses a section. */
	while ((1UL << cfg->max_order) > section_pages)
		cfg->max_order--;
	if (cfg->pageblock_order > cfg->max_order)
		return config_fail("pageblock order %u: at most the max order %u",
				   cfg->pageblock_order, cfg->max_order);
	if (!cfg->phys_size || !IS_ALIGNED(cfg->phys_size, cfg->block_size) ||
	    cfg->phys_size > (1ULL << MEMHP_MAX_PHYS_SHIFT))
		return config_fail("physical address space %#llx: a multiple of the block size, "
				   "at most 16 TiB",
				   (unsigned long long)cfg->phys_size);
	if (cfg->nr_boot > MEMHP_MAX_BOOT_RANGES)
		return config_fail("%u boot ranges: at most %u", cfg->nr_boot,
				   MEMHP_MAX_BOOT_RANGES);
	for (unsigned int i = 0; i < cfg->nr_boot; i++) {
		struct memhp_range *r = &cfg->boot[i];
		uint64_t s = ALIGN_UP(r->start, MEMHP_PAGE_SIZE);
		uint64_t e = ALIGN_DOWN(r->start + r->size, MEMHP_PAGE_SIZE);

		if (r->start + r->size < r->start || e > cfg->phys_size || e <= s)
			return config_fail("boot range [%#llx, +%#llx): empty or outside the "
					   "physical address space",
					   (unsigned long long)r->start,
					   (unsigned long long)r->size);
		r->start = s;
		r->size = e - s;
	}
	qsort(cfg->boot, cfg->nr_boot, sizeof(cfg->boot[0]), cmp_range);
	for (unsigned int i = 1; i < cfg->nr_boot; i++)
		if (cfg->boot[i].start < cfg->boot[i - 1].start + cfg->boot[i - 1].size)
			return config_fail("boot ranges overlap at %#llx",
					   (unsigned long long)cfg->boot[i].start);
	if (cfg->struct_page_size > MEMHP_PAGE_SIZE)
		return config_fail("struct page size %u: at most a page", cfg->struct_page_size);
	if ((unsigned)cfg->auto_online_blocks > MEMHP_MMOP_ONLINE_MOVABLE ||
	    (unsigned)cfg->online_policy > MEMHP_ONLINE_POLICY_AUTO_MOVABLE ||
	    (unsigned)cfg->protocol > MEMHP_PROTOCOL_2025)
		return config_fail("unknown online type, policy or protocol");
	if (!cfg->nr_cpus)
		cfg->nr_cpus = 1;
	if (cfg->nr_cpus > MEMHP_MAX_CPUS)
		return config_fail("%u CPUs: at most %u", cfg->nr_cpus, MEMHP_MAX_CPUS);
	if (cfg->dma_limit > cfg->dma32_limit && cfg->dma32_limit)
		return config_fail("ZONE_DMA limit above the ZONE_DMA32 limit");
	if (!IS_ALIGNED(cfg->dma_limit, 1ULL << (MEMHP_PAGE_SHIFT + MEMHP_MAX_ORDER_LIMIT)) ||
	    !IS_ALIGNED(cfg->dma32_limit, 1ULL << (MEMHP_PAGE_SHIFT + MEMHP_MAX_ORDER_LIMIT)))
		return config_fail("zone limits must be 4 MiB aligned");
	return config_validate_nodes(cfg);
}

int mhp_config_check(struct memhp_config *cfg, int64_t *budget)
{
	int ret = config_validate(cfg);

	/* Before anything big is allocated or faulted in. */
	if (!ret)
		ret = mhp_host_memory_check(cfg, budget, config_error, sizeof(config_error));
	return ret;
}

/* ---- Booting ------------------------------------------------------------------ */

static int boot_zone_of(const struct memhp_config *cfg, uint64_t phys)
{
	if (cfg->dma_limit && phys < cfg->dma_limit)
		return ZONE_DMA;
	if (cfg->dma32_limit && phys < cfg->dma32_limit)
		return ZONE_DMA32;
	return ZONE_NORMAL;
}

static bool range_is_ram(struct memhp_machine *m, unsigned long pfn)
{
	for (unsigned int i = 0; i < m->cfg.nr_boot; i++)
		if (pfn >= PHYS_PFN(m->cfg.boot[i].start) &&
		    pfn < PHYS_PFN(m->cfg.boot[i].start + m->cfg.boot[i].size))
			return true;
	return false;
}

/* memblock_reserve(): keep [start, end) out of the buddy. */
static void reserve_range(uint8_t *reserved, unsigned long start, unsigned long end,
			  unsigned long max_pfn)
{
	for (unsigned long pfn = start; pfn < MIN(end, max_pfn); pfn++)
		reserved[pfn >> 3] |= (uint8_t)(1u << (pfn & 7));
}

static bool is_reserved(const uint8_t *reserved, unsigned long pfn)
{
	return reserved[pfn >> 3] & (1u << (pfn & 7));
}

/* The image's reservation: its sections, whole pages. */
static void reserve_kernel(uint8_t *reserved, const struct memhp_config *cfg, unsigned long max_pfn)
{
	for (size_t i = 0; i < ARRAY_SIZE(kernel_sections); i++) {
		uint64_t s = kernel_sections[i].start,
			 e = MIN(kernel_sections[i].end, cfg->kernel_size);

		if (s < e)
			reserve_range(reserved, PHYS_PFN(cfg->kernel_start + s),
				      PHYS_PFN(ALIGN_UP(cfg->kernel_start + e, MEMHP_PAGE_SIZE)),
				      max_pfn);
	}
}

/*
 * KASLR: a random 2 MiB-aligned slot, at or above kernel_start, where the
 * whole image fits in one range of RAM, as x86's physical randomisation
 * picks one from the e820 map. Returns the slot, or kernel_start when no
 * slot fits (the kernel falls back to where it was loaded).
 */
static uint64_t kaslr_kernel_start(struct memhp_machine *m)
{
	const struct memhp_config *cfg = &m->cfg;
	uint64_t slots = 0, pick = 0;

	for (int pass = 0; pass < 2; pass++) {
		uint64_t n = 0;

		for (unsigned int i = 0; i < cfg->nr_boot; i++) {
			uint64_t s =
				ALIGN_UP(MAX(cfg->boot[i].start, cfg->kernel_start), KERNEL_ALIGN);
			uint64_t e = cfg->boot[i].start + cfg->boot[i].size;

			for (; s + cfg->kernel_size <= e; s += KERNEL_ALIGN, n++)
				if (pass && n == pick)
					return s;
		}
		slots = n;
		if (!slots)
			break;
		pick = memhp_random(m) % slots;
	}
	return cfg->kernel_start;
}

/*
 * memblock's top-down allocator: reserve @pages pages at the top of RAM
 * below @limit_pfn, skipping what is reserved. Returns the pages it could
 * not find.
 */
static unsigned long reserve_top_down(uint8_t *reserved, const struct memhp_config *cfg,
				      unsigned long limit_pfn, unsigned long pages,
				      unsigned long max_pfn)
{
	for (int i = (int)cfg->nr_boot - 1; i >= 0 && pages; i--) {
		unsigned long s = PHYS_PFN(cfg->boot[i].start);
		unsigned long e = MIN(PHYS_PFN(cfg->boot[i].start + cfg->boot[i].size), limit_pfn);

		while (e > s && pages) {
			e--;
			if (!is_reserved(reserved, e)) {
				reserve_range(reserved, e, e + 1, max_pfn);
				pages--;
			}
		}
	}
	return pages;
}

/*
 * memblock_free_all(): hand every unreserved page to the buddy in the
 * largest aligned chunks that fit.
 */
static void free_boot_range(struct memhp_machine *m, const uint8_t *reserved, unsigned long start,
			    unsigned long end)
{
	unsigned long pfn = start;

	while (pfn < end) {
		unsigned int order;

		if (is_reserved(reserved, pfn)) {
			pfn++;
			continue;
		}
		order = MIN(m->max_order, (unsigned)__builtin_ctzl(pfn | (1UL << 63)));
		for (;;) {
			unsigned long n = 1UL << order, i;

			if (pfn + n <= end && pfn_zone(m, pfn) == pfn_zone(m, pfn + n - 1)) {
				for (i = 0; i < n && !is_reserved(reserved, pfn + i); i++)
					;
				if (i == n)
					break;
			}
			order--;
		}
		memhp_generic_online_page(pfn_to_page(m, pfn), order);
		pfn += 1UL << order;
	}
}

struct e820_entry {
	uint64_t start, size;
	const char *type;
};

static int cmp_e820(const void *a, const void *b)
{
	const struct e820_entry *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Is @cfg the layout memhp_config_init() makes (QEMU q35 with SeaBIOS)? */
static bool q35_layout(const struct memhp_config *cfg)
{
	return cfg->nr_boot && cfg->boot[0].start == X86_LOW_RAM_START &&
	       cfg->boot[0].size == X86_LOW_RAM_END - X86_LOW_RAM_START;
}

/*
 * The e820 map the firmware hands over, from the boot ranges: SeaBIOS's
 * entries for q35's layout (base memory from 0 to the EBDA, which Linux
 * then trims to the pages memhp's boot ranges have), else each boot range
 * as RAM and nothing reserved. Returns the number of entries, sorted.
 */
static unsigned int firmware_e820(const struct memhp_config *cfg, struct e820_entry *e)
{
	unsigned int n = 0, i = 0;
	bool q35 = q35_layout(cfg);

	if (q35) {
		e[n++] = (struct e820_entry){ 0, SEABIOS_BASE_RAM_END, E820_RAM };
		e[n++] = (struct e820_entry){ SEABIOS_BASE_RAM_END,
					      X86_ISA_HOLE_START - SEABIOS_BASE_RAM_END,
					      E820_RESERVED };
		e[n++] = (struct e820_entry){ SEABIOS_BIOS_START,
					      X86_HIGH_BIOS_END - SEABIOS_BIOS_START,
					      E820_RESERVED };
		i = 1;
	}
	for (; i < cfg->nr_boot; i++) {
		uint64_t end = cfg->boot[i].start + cfg->boot[i].size;

		e[n++] = (struct e820_entry){ cfg->boot[i].start, cfg->boot[i].size, E820_RAM };
		if (q35 && cfg->boot[i].start == X86_HIGH_BIOS_END &&
		    end + Q35_LOWMEM_FW_RESERVED <= X86_DMA32_LIMIT)
			e[n++] = (struct e820_entry){ end, Q35_LOWMEM_FW_RESERVED, E820_RESERVED };
	}
	for (size_t k = 0; q35 && k < ARRAY_SIZE(q35_reserved); k++)
		e[n++] = (struct e820_entry){ q35_reserved[k].start, q35_reserved[k].size,
					      E820_RESERVED };
	qsort(e, n, sizeof(*e), cmp_e820);
	return n;
}

/*
 * What boot leaves in the firmware map and the iomem tree: every e820
 * entry in /sys/firmware/memmap (firmware_map_add_early()); in iomem the
 * RAM as "System RAM" with page 0 "Reserved" (trim_bios_range()), the
 * reserved entries, and the kernel image inside System RAM. Returns 0 or
 * -ENOMEM.
 */
static int boot_resources(struct memhp_machine *m)
{
	const struct memhp_config *cfg = &m->cfg;
	struct e820_entry e[FIRMWARE_MAP_MAX];
	unsigned int n = firmware_e820(cfg, e);
	int ret = 0;

	for (unsigned int i = 0; i < n && !ret; i++) {
		uint64_t start = e[i].start, size = e[i].size;

		ret = firmware_map_add(m, start, size, e[i].type);
		if (ret)
			break;
		if (strcmp(e[i].type, E820_RAM)) {
			request_mem_region(m, start, size, E820_RESERVED, IORESOURCE_BUSY);
			continue;
		}
		if (start == 0) {
			request_mem_region(m, 0, MEMHP_PAGE_SIZE, E820_RESERVED, IORESOURCE_BUSY);
			start += MEMHP_PAGE_SIZE;
			size -= MEMHP_PAGE_SIZE;
		}
		ret = request_mem_region(m, start, size, E820_RAM,
					 IORESOURCE_SYSTEM_RAM | IORESOURCE_BUSY);
	}
	for (size_t k = 0; !ret && k < ARRAY_SIZE(kernel_sections); k++) {
		uint64_t s = cfg->kernel_start + kernel_sections[k].start;
		uint64_t end = cfg->kernel_start + MIN(kernel_sections[k].end, cfg->kernel_size);

		/* An image outside System RAM is left out, as insert_resource()
		 * would fail. */
		if (end > s && insert_resource(m, s, end - s, kernel_sections[k].name,
					       IORESOURCE_BUSY) == -ENOMEM)
			ret = -ENOMEM;
	}
	return ret;
}

int add_boot_memory(struct memhp_machine *m)
{
	struct memhp_config *cfg = &m->cfg;
	unsigned long memmap_pages = 0, nr;
	uint8_t *reserved;
	int ret = 0, nid;

	reserved = calloc((m->max_pfn + 7) / 8, 1);
	if (!reserved)
		return -ENOMEM;

	/* Sections that hold boot memory get a memmap: refcount 1, reserved. */
	for (nr = 0; nr < m->nr_sections; nr++) {
		unsigned long start = section_nr_to_pfn(m, nr), end = start + m->pages_per_section;
		bool has_ram = false;

		for (unsigned int i = 0; i < cfg->nr_boot; i++)
			if (PHYS_PFN(cfg->boot[i].start) < end &&
			    PHYS_PFN(cfg->boot[i].start + cfg->boot[i].size) > start)
				has_ram = true;
		if (!has_ram)
			continue;
		nid = boot_node_of(cfg, PFN_PHYS(start));
		ret = sparse_add_section(m, nr, nid, true);
		if (ret)
			goto out;
		for (unsigned long pfn = start; pfn < end; pfn++)
			memmap_init_page(pfn_to_page(m, pfn));
		for (unsigned long pb = start; pb < end; pb += m->pageblock_nr_pages) {
			set_pageblock_zone(
				m, pb,
				&NODE_DATA_M(m, nid)->node_zones[boot_zone_of(cfg, PFN_PHYS(pb))]);
			set_pageblock_migratetype(m, pb, MIGRATE_MOVABLE);
		}
		memmap_pages += m->pages_per_section;
	}
	for (unsigned int i = 0; i < cfg->nr_boot; i++) {
		ret = physmem_populate(m, cfg->boot[i].start, cfg->boot[i].size);
		if (ret)
			goto out;
	}

	/* Zone spans and present pages. */
	for (unsigned long pfn = 0; pfn < m->max_pfn;) {
		struct zone *zone;

		if (!section_flag(m, pfn_to_section_nr(m, pfn), SECTION_MARKED_PRESENT)) {
			pfn += m->pages_per_section;
			continue;
		}
		if (!range_is_ram(m, pfn)) {
			pfn++;
			continue;
		}
		zone = pfn_zone(m, pfn);
		if (zone_is_empty(zone) || pfn < READ_ONCE(zone->zone_start_pfn))
			WRITE_ONCE(zone->zone_start_pfn, pfn);
		WRITE_ONCE(zone->spanned_pages, pfn + 1 - READ_ONCE(zone->zone_start_pfn));
		ADD_ONCE(zone->present_pages, 1UL);
		ADD_ONCE(zone->present_early_pages, 1UL);
		{
			struct pglist_data *pgdat = zone->zone_pgdat;

			ADD_ONCE(pgdat->node_present_pages, 1UL);
			if (!READ_ONCE(pgdat->node_spanned_pages))
				WRITE_ONCE(pgdat->node_start_pfn, pfn);
			WRITE_ONCE(pgdat->node_spanned_pages,
				   pfn + 1 - READ_ONCE(pgdat->node_start_pfn));
			WRITE_ONCE(pgdat->n_memory, true);
			WRITE_ONCE(pgdat->n_online, true);
			if (zone->idx <= ZONE_NORMAL)
				WRITE_ONCE(pgdat->n_normal_memory, true);
		}
		pfn++;
	}

	/*
	 * memblock reservations, in the order early boot makes them: the
	 * first MiB, the kernel image (where KASLR put it), then top-down
	 * the memmap, the rest of early boot's allocations, and the SWIOTLB,
	 * which must lie below 4 GiB.
	 */
	if (cfg->reserve_low_1m)
		reserve_range(reserved, 0, PHYS_PFN(X86_HIGH_BIOS_END), m->max_pfn);
	if (cfg->kaslr)
		cfg->kernel_start = kaslr_kernel_start(m);
	reserve_kernel(reserved, cfg, m->max_pfn);
	/* dma_contiguous_reserve(): the CMA area, before the memmap. */
	cma_declare_contiguous(m, reserved);
	memmap_pages = memmap_pages * cfg->struct_page_size / MEMHP_PAGE_SIZE;
	reserve_top_down(reserved, cfg, m->max_pfn, memmap_pages, m->max_pfn);
	{
		uint64_t ram = 0;

		for (unsigned int i = 0; i < cfg->nr_boot; i++)
			ram += cfg->boot[i].size;
		reserve_top_down(reserved, cfg, m->max_pfn,
				 PHYS_PFN(cfg->early_reserved +
					  cfg->early_reserved_per_gib * (ram >> 20) / 1024),
				 m->max_pfn);
	}
	reserve_top_down(reserved, cfg, PHYS_PFN(X86_DMA32_LIMIT), PHYS_PFN(cfg->swiotlb_size),
			 m->max_pfn);

	for (nr = 0; nr < m->nr_sections; nr++)
		if (section_flag(m, nr, SECTION_MARKED_PRESENT))
			online_mem_sections(m, section_nr_to_pfn(m, nr),
					    section_nr_to_pfn(m, nr + 1));
	for (unsigned int i = 0; i < cfg->nr_boot; i++)
		free_boot_range(m, reserved, PHYS_PFN(cfg->boot[i].start),
				PHYS_PFN(cfg->boot[i].start + cfg->boot[i].size));
	cma_activate_area(m);

	for (unsigned long id = 0; id < m->nr_block_ids; id++) {
		for (unsigned long s = 0; s < m->sections_per_block; s++) {
			if (section_flag(m, id * m->sections_per_block + s,
					 SECTION_MARKED_PRESENT)) {
				ret = add_boot_memory_block(m, id);
				if (ret)
					goto out;
				break;
			}
		}
	}
	for (unsigned int i = 0; i < cfg->nr_boot; i++)
		kpage_memory_added(m, cfg->boot[i].start, cfg->boot[i].size);
	ret = boot_resources(m);
out:
	free(reserved);
	return ret;
}

/*
 * acpi_parse_slit(): the distances are the firmware's SLIT, which Linux
 * takes only whole and sane (slit_valid(): 10 from a node to itself, more
 * than 10 to any other). QEMU builds one from -numa dist and checks less
 * (a remote 10 passes), so a table Linux sets aside is a configuration a
 * guest really meets: it says so and keeps the default distances, as
 * __node_distance() does without a table.
 */
void acpi_numa_slit_init(struct memhp_machine *m)
{
	bool given = false, valid = true;

	for (int from = 0; from < m->nr_node_ids; from++)
		for (int to = 0; to < m->nr_node_ids; to++) {
			unsigned int d = m->cfg.nodes[from].distance[to];

			given |= d != 0;
			d = (unsigned int)memhp_node_distance(m, from, to);
			valid &= from == to ? d == MEMHP_LOCAL_DISTANCE : d > MEMHP_LOCAL_DISTANCE;
		}
	if (!given || valid)
		return;
	memhp_printk(m, KERN_INFO, "ACPI: SLIT table looks invalid. Not used.");
	for (int from = 0; from < m->nr_node_ids; from++)
		memset(m->cfg.nodes[from].distance, 0, sizeof(m->cfg.nodes[from].distance));
}

/*
 * What 6.1 prints about memory as it boots on x86_64 (free_area_init(),
 * free_area_init_node(), probe_memory_block_size()), from the boot ranges
 * memhp was given, so that the log starts as a guest's does.
 */
void print_boot_memory(struct memhp_machine *m)
{
	const struct memhp_config *cfg = &m->cfg;
	const struct {
		const char *name;
		uint64_t limit; /* 0: the zone is not configured */
	} zones[] = {
		{ "DMA", cfg->dma_limit },
		{ "DMA32", cfg->dma32_limit },
		{ "Normal", UINT64_MAX },
	};
	uint64_t start = cfg->boot[0].start, ram_end = 0;

	if (!cfg->nr_boot)
		return;
	for (unsigned int i = 0; i < cfg->nr_boot; i++)
		ram_end = MAX(ram_end, cfg->boot[i].start + cfg->boot[i].size);
	memhp_printk(m, KERN_INFO, "Zone ranges:");
	for (size_t z = 0; z < ARRAY_SIZE(zones); z++) {
		uint64_t end;

		if (!zones[z].limit)
			continue;
		end = MAX(MIN(zones[z].limit, ram_end), start);
		if (end == start)
			memhp_printk(m, KERN_INFO, "  %-8s empty", zones[z].name);
		else
			memhp_printk(m, KERN_INFO, "  %-8s [mem %#018llx-%#018llx]", zones[z].name,
				     (unsigned long long)start, (unsigned long long)end - 1);
		start = end;
	}
	/* CONFIG_ZONE_DEVICE: a zone no boot memory is in. */
	memhp_printk(m, KERN_INFO, "  %-8s empty", "Device");
	/* No kernelcore=, movablecore= or hotpluggable boot memory. */
	memhp_printk(m, KERN_INFO, "Movable zone start for each node");
	memhp_printk(m, KERN_INFO, "Early memory node ranges");
	for (unsigned int i = 0; i < cfg->nr_boot; i++)
		memhp_printk(m, KERN_INFO, "  node %3d: [mem %#018llx-%#018llx]", 0,
			     (unsigned long long)cfg->boot[i].start,
			     (unsigned long long)(cfg->boot[i].start + cfg->boot[i].size - 1));
	memhp_printk(m, KERN_INFO, "Initmem setup node %d [mem %#018llx-%#018llx]", 0,
		     (unsigned long long)cfg->boot[0].start, (unsigned long long)ram_end - 1);
	memhp_printk(m, KERN_INFO, "x86/mm: Memory block size: %lluMB",
		     (unsigned long long)(cfg->block_size / MEMHP_MiB));
}
