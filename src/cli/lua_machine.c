// SPDX-License-Identifier: MIT
/*
 * lua_machine.c - a machine: memhp.machine{...} makes one from its
 * options (a typo is an error, never a default), m:destroy() ends it
 * before the run does; m:config(), m:zones()
 * and m:meminfo() say what it is; m:random() draws from its generator, as
 * math.random does, so that --seed reproduces the script's choices; m:svg()
 * draws its memory map.
 */
#include "lua_core.h"
#include "run.h"
#include "run_util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Boot RAM of a machine whose table does not say. */
#define LAPI_DEFAULT_RAM (2 * MEMHP_GiB)
/* An option's name in an error message. */
#define LAPI_WHAT_MAX 64

static const char *const machine_options[] = {
	"ram",
	"boot",
	"phys_size",
	"section_size",
	"block_size",
	"pageblock_order",
	"max_order",
	"dma_limit",
	"dma32_limit",
	"kernel_start",
	"kernel_size",
	"reserve_low_1m",
	"kaslr",
	"swiotlb_size",
	"nr_cpus",
	"hugetlb_gigantic",
	"cma",
	"cma_base",
	"struct_page_size",
	"auto_online_blocks",
	"online_policy",
	"auto_movable_ratio",
	"auto_movable_numa_aware",
	"movable_node",
	"numa",
	"memmap_on_memory",
	"protocol",
	"check_after_ops",
	"host_huge_pages",
	"seed",
	NULL,
};

static bool opt_present(lua_State *L, int t, const char *name)
{
	bool present = lua_getfield(L, t, name) != LUA_TNIL;

	if (!present)
		lua_pop(L, 1);
	return present; /* the value is on the stack when present */
}

static void opt_size(lua_State *L, int t, const char *name, uint64_t *out)
{
	char what[LAPI_WHAT_MAX];

	if (!opt_present(L, t, name))
		return;
	snprintf(what, sizeof(what), "memhp.machine: %s", name);
	*out = lapi_check_size(L, -1, what);
	lua_pop(L, 1);
}

static void opt_uint(lua_State *L, int t, const char *name, unsigned int *out)
{
	char what[LAPI_WHAT_MAX];

	if (!opt_present(L, t, name))
		return;
	snprintf(what, sizeof(what), "memhp.machine: %s", name);
	*out = (unsigned int)lapi_check_ulong(L, -1, what);
	lua_pop(L, 1);
}

static void opt_bool(lua_State *L, int t, const char *name, bool *out)
{
	if (!opt_present(L, t, name))
		return;
	if (!lua_isboolean(L, -1))
		luaL_error(L, "memhp.machine: %s must be true or false, not %s", name,
			   luaL_typename(L, -1));
	*out = lua_toboolean(L, -1);
	lua_pop(L, 1);
}

static int parse_protocol(const char *s)
{
	if (!strcmp(s, "6.1"))
		return MEMHP_PROTOCOL_6_1;
	if (!strcmp(s, "2025"))
		return MEMHP_PROTOCOL_2025;
	return -1;
}

const char *lmachine_protocol_name(enum memhp_protocol p)
{
	return p == MEMHP_PROTOCOL_2025 ? "2025" : "6.1";
}

static void parse_machine_options(lua_State *L, struct run *r, struct memhp_config *cfg)
{
	uint64_t ram = LAPI_DEFAULT_RAM;
	char w[LAPI_WHERE];
	bool pinned_protocol = false;

	if (!lua_isnoneornil(L, 1))
		luaL_checktype(L, 1, LUA_TTABLE);
	else
		lua_newtable(L), lua_replace(L, 1);
	/* Unknown keys first: a typo must not silently become a default. */
	lapi_check_options(L, 1, "memhp.machine", machine_options);
	opt_size(L, 1, "ram", &ram);
	memhp_config_init(cfg, ram);
	if (opt_present(L, 1, "boot")) {
		luaL_checktype(L, -1, LUA_TTABLE);
		cfg->nr_boot = 0;
		for (lua_Integer i = 1; lua_rawgeti(L, -1, i) != LUA_TNIL; i++) {
			if (cfg->nr_boot == MEMHP_MAX_BOOT_RANGES)
				luaL_error(L, "memhp.machine: at most %d boot ranges",
					   MEMHP_MAX_BOOT_RANGES);
			if (!lua_istable(L, -1))
				luaL_error(L, "memhp.machine: boot[%I] must be {start, size}", i);
			lua_rawgeti(L, -1, 1);
			cfg->boot[cfg->nr_boot].start =
				lapi_check_size(L, -1, "memhp.machine: boot start");
			lua_rawgeti(L, -2, 2);
			cfg->boot[cfg->nr_boot].size =
				lapi_check_size(L, -1, "memhp.machine: boot size");
			lua_pop(L, 3);
			cfg->nr_boot++;
		}
		lua_pop(L, 2);
	}
	opt_size(L, 1, "phys_size", &cfg->phys_size);
	opt_size(L, 1, "section_size", &cfg->section_size);
	opt_size(L, 1, "block_size", &cfg->block_size);
	opt_uint(L, 1, "pageblock_order", &cfg->pageblock_order);
	opt_uint(L, 1, "max_order", &cfg->max_order);
	opt_size(L, 1, "dma_limit", &cfg->dma_limit);
	opt_size(L, 1, "dma32_limit", &cfg->dma32_limit);
	opt_size(L, 1, "kernel_start", &cfg->kernel_start);
	opt_size(L, 1, "kernel_size", &cfg->kernel_size);
	opt_bool(L, 1, "reserve_low_1m", &cfg->reserve_low_1m);
	opt_bool(L, 1, "kaslr", &cfg->kaslr);
	opt_size(L, 1, "swiotlb_size", &cfg->swiotlb_size);
	opt_uint(L, 1, "nr_cpus", &cfg->nr_cpus);
	opt_uint(L, 1, "struct_page_size", &cfg->struct_page_size);
	lnuma_machine_option(L, 1, cfg);
	if (opt_present(L, 1, "auto_online_blocks")) {
		cfg->auto_online_blocks =
			lapi_check_online_type(L, -1, "memhp.machine: auto_online_blocks");
		lua_pop(L, 1);
	}
	if (opt_present(L, 1, "online_policy")) {
		const char *s = luaL_checkstring(L, -1);

		if (!strcmp(s, "contig-zones"))
			cfg->online_policy = MEMHP_ONLINE_POLICY_CONTIG_ZONES;
		else if (!strcmp(s, "auto-movable"))
			cfg->online_policy = MEMHP_ONLINE_POLICY_AUTO_MOVABLE;
		else
			luaL_error(L,
				   "memhp.machine: online_policy '%s': use \"contig-zones\" or "
				   "\"auto-movable\"",
				   s);
		lua_pop(L, 1);
	}
	opt_uint(L, 1, "auto_movable_ratio", &cfg->auto_movable_ratio);
	opt_bool(L, 1, "auto_movable_numa_aware", &cfg->auto_movable_numa_aware);
	opt_bool(L, 1, "movable_node", &cfg->movable_node);
	opt_bool(L, 1, "memmap_on_memory", &cfg->memmap_on_memory);
	opt_bool(L, 1, "hugetlb_gigantic", &cfg->hugetlb_gigantic);
	opt_size(L, 1, "cma", &cfg->cma_size);
	opt_size(L, 1, "cma_base", &cfg->cma_base);
	if (opt_present(L, 1, "protocol")) {
		const char *s = lua_tostring(L, -1);
		int p = s ? parse_protocol(s) : -1;

		if (p < 0)
			luaL_error(L, "memhp.machine: protocol must be \"6.1\" or \"2025\", not %s",
				   s ? s : luaL_typename(L, -1));
		cfg->protocol = (enum memhp_protocol)p;
		pinned_protocol = true;
		lua_pop(L, 1);
	}
	if (r->protocol != RUN_PROTOCOL_SCRIPT) {
		if (pinned_protocol && (int)cfg->protocol != r->protocol) {
			lapi_where(L, w, sizeof(w));
			fprintf(stderr,
				"%s: %s: --protocol %s overrides the scenario's protocol %s\n",
				run_prog, w,
				lmachine_protocol_name((enum memhp_protocol)r->protocol),
				lmachine_protocol_name(cfg->protocol));
		}
		cfg->protocol = (enum memhp_protocol)r->protocol;
	}
	cfg->check_after_ops = true;
	opt_bool(L, 1, "check_after_ops", &cfg->check_after_ops);
	opt_bool(L, 1, "host_huge_pages", &cfg->host_huge_pages);
	cfg->seed = r->seed;
	if (opt_present(L, 1, "seed")) {
		cfg->seed = lapi_check_size(L, -1, "memhp.machine: seed");
		lua_pop(L, 1);
	}
}

int lmachine_new(lua_State *L)
{
	struct run *r = lapi_run(L);
	struct memhp_config cfg;
	struct memhp_machine *m;
	struct lmachine *lm, **box;
	char note[LAPI_DESC * 2], a[RUN_SIZE_STR], b[RUN_SIZE_STR], c[RUN_SIZE_STR];
	uint64_t boot = 0;
	int ret;

	lapi_no_callback(L, "memhp.machine()");
	lapi_check_live(L);
	if (r->nr_machines == RUN_MAX_MACHINES)
		return luaL_error(L, "memhp.machine: at most %d machines in one run",
				  RUN_MAX_MACHINES);
	parse_machine_options(L, r, &cfg);
	ret = memhp_machine_create(&cfg, &m);
	if (ret == -EINVAL)
		return luaL_error(L, "memhp.machine: invalid configuration: %s",
				  memhp_config_error());
	if (ret)
		return luaL_error(L, "memhp.machine: cannot create the machine: %s%s%s",
				  strerror(-ret), *memhp_config_error() ? ": " : "",
				  memhp_config_error());
	lm = calloc(1, sizeof(*lm));
	if (!lm) {
		memhp_machine_destroy(m);
		return luaL_error(L, "memhp.machine: out of memory");
	}
	lm->run = r;
	lm->m = m;
	lm->index = r->index_base + r->nr_machines + 1;
	lm->online_page_fn = LUA_NOREF;
	for (int i = 0; i < LAPI_MAX_TRACE_HOOKS; i++)
		lm->trace_fns[i] = LUA_NOREF;
	r->machines[r->nr_machines++] = lm;
	tl_attach(r->tl, m, lm->index);
	if (run_hooks && run_hooks->machine_created)
		run_hooks->machine_created(m, run_hooks->priv);

	for (unsigned int i = 0; i < cfg.nr_boot; i++)
		boot += cfg.boot[i].size;
	snprintf(note, sizeof(note),
		 "machine %d: %s boot RAM, %s blocks, %s address space, protocol %s, seed %" PRIu64
		 "%s",
		 lm->index, run_fmt_size(boot, a), run_fmt_size(cfg.block_size, b),
		 run_fmt_size(cfg.phys_size, c), lmachine_protocol_name(cfg.protocol), cfg.seed,
		 cfg.check_after_ops ? ", checker after every operation" : "");
	if (!r->summary)
		tl_note(r->tl, lm->index, "machine", note);

	box = lua_newuserdatauv(L, sizeof(*box), 0);
	*box = lm;
	luaL_setmetatable(L, MACHINE_MT);
	return 1;
}

/*
 * m:destroy(): the machine goes now, as at the end of the run: its final
 * check is made and counted, then it is freed with its devices, workloads
 * and Lua hooks. Its objects (pages, data, devices ...) and m itself raise
 * an error when used from then on; destroying it again does nothing.
 */
int lmachine_destroy(lua_State *L)
{
	struct lmachine **p = luaL_checkudata(L, 1, MACHINE_MT), *lm;

	lapi_check_live(L);
	if (!(*p)->m)
		return 0;
	/* Not from a hook the core calls (it would free what runs it), nor
	 * inside m:page_offline_begin(). */
	lapi_no_callback(L, "destroy()");
	lm = lapi_check_machine(L, 1);
	lapi_call_begin(L, lm, "destroy");
	lapi_destroy_machine(L, lm);
	lapi_call_end(L, lm, "destroyed");
	return 0;
}

/* ---- What a machine is ----------------------------------------------------------------------- */

int lmachine_config(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);
	const struct memhp_config *c = memhp_machine_config(lm->m);

	lua_newtable(L);
	lapi_set_int(L, "block_size", (lua_Integer)memhp_block_size(lm->m));
	lapi_set_int(L, "section_size", (lua_Integer)c->section_size);
	lapi_set_int(L, "phys_size", (lua_Integer)c->phys_size);
	lapi_set_int(L, "pages_per_block", (lua_Integer)memhp_pages_per_block(lm->m));
	lapi_set_int(L, "pages_per_section", (lua_Integer)memhp_pages_per_section(lm->m));
	lapi_set_int(L, "pageblock_nr_pages", (lua_Integer)memhp_pageblock_nr_pages(lm->m));
	lapi_set_int(L, "max_order", memhp_max_order(lm->m));
	lapi_set_int(L, "max_pfn", (lua_Integer)memhp_max_pfn(lm->m));
	lapi_set_str(L, "protocol", lmachine_protocol_name(memhp_machine_protocol(lm->m)));
	lapi_set_int(L, "seed", (lua_Integer)c->seed);
	lapi_set_bool(L, "memmap_on_memory", c->memmap_on_memory);
	lapi_set_bool(L, "check_after_ops", c->check_after_ops);
	lapi_set_bool(L, "host_huge_pages", c->host_huge_pages);
	return 1;
}

int lmachine_protocol(lua_State *L)
{
	lua_pushstring(L,
		       lmachine_protocol_name(memhp_machine_protocol(lapi_check_machine(L, 1)->m)));
	return 1;
}

static const char *const zone_names[] = { "DMA", "DMA32", "Normal", "Movable", NULL };

static int check_zone(lua_State *L, int idx)
{
	const char *s = luaL_checkstring(L, idx);

	for (int z = 0; z < MEMHP_NR_ZONES; z++)
		if (!strcasecmp(s, zone_names[z]))
			return z;
	return luaL_error(L, "unknown zone '%s' (DMA, DMA32, Normal, Movable)", s);
}

static void push_zone(lua_State *L, struct lmachine *lm, int z)
{
	struct memhp_zone_info zi;

	memhp_zone_info(lm->m, 0, (enum memhp_zone_type)z, &zi);
	lua_createtable(L, 0, 10);
	lapi_set_str(L, "name", zi.name);
	lapi_set_int(L, "zone_start_pfn", (lua_Integer)zi.zone_start_pfn);
	lapi_set_int(L, "spanned_pages", (lua_Integer)zi.spanned_pages);
	lapi_set_int(L, "present_pages", (lua_Integer)zi.present_pages);
	lapi_set_int(L, "present_early_pages", (lua_Integer)zi.present_early_pages);
	lapi_set_int(L, "managed_pages", (lua_Integer)zi.managed_pages);
	lapi_set_int(L, "nr_free_pages", (lua_Integer)zi.nr_free_pages);
	lapi_set_int(L, "nr_isolate_pageblock", (lua_Integer)zi.nr_isolate_pageblock);
	lapi_set_int(L, "nr_pcp_pages", (lua_Integer)zi.nr_pcp_pages);
	lapi_set_int(L, "watermark_min", (lua_Integer)zi.watermark_min);
	lapi_set_int(L, "watermark_low", (lua_Integer)zi.watermark_low);
	lapi_set_int(L, "watermark_high", (lua_Integer)zi.watermark_high);
}

int lmachine_zone(lua_State *L)
{
	push_zone(L, lapi_check_machine(L, 1), check_zone(L, 2));
	return 1;
}

int lmachine_zones(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);

	lua_newtable(L);
	for (int z = 0; z < MEMHP_NR_ZONES; z++) {
		push_zone(L, lm, z);
		lua_setfield(L, -2, zone_names[z]);
	}
	return 1;
}

int lmachine_meminfo(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);
	struct memhp_meminfo mi;

	memhp_meminfo(lm->m, &mi);
	lua_createtable(L, 0, 14);
	lapi_set_int(L, "total_pages", (lua_Integer)mi.total_pages);
	lapi_set_int(L, "free_pages", (lua_Integer)mi.free_pages);
	lapi_set_int(L, "present_pages", (lua_Integer)mi.present_pages);
	lapi_set_int(L, "spanned_pages", (lua_Integer)mi.spanned_pages);
	lapi_set_int(L, "reserved_pages", (lua_Integer)mi.reserved_pages);
	lapi_set_int(L, "offline_pages", (lua_Integer)mi.offline_pages);
	lapi_set_int(L, "movable_pages", (lua_Integer)mi.movable_pages);
	lapi_set_int(L, "kernel_pages", (lua_Integer)mi.kernel_pages);
	lapi_set_int(L, "hwpoison_pages", (lua_Integer)mi.hwpoison_pages);
	lapi_set_int(L, "shmem_pages", (lua_Integer)mi.shmem_pages);
	lapi_set_int(L, "pcp_pages", (lua_Integer)mi.pcp_pages);
	/* /proc/meminfo's names, in KiB, for people who think in those. */
	lapi_set_int(L, "MemTotal", (lua_Integer)(mi.total_pages * (MEMHP_PAGE_SIZE / MEMHP_KiB)));
	lapi_set_int(L, "MemFree", (lua_Integer)(mi.free_pages * (MEMHP_PAGE_SIZE / MEMHP_KiB)));
	lapi_set_int(L, "HardwareCorrupted",
		     (lua_Integer)(mi.hwpoison_pages * (MEMHP_PAGE_SIZE / MEMHP_KiB)));
	lapi_set_int(L, "Shmem", (lua_Integer)(mi.shmem_pages * (MEMHP_PAGE_SIZE / MEMHP_KiB)));
	/* The guest kernel's own memory (memhp/kernel.h). */
	{
		const long kb = MEMHP_PAGE_SIZE / MEMHP_KiB;
		long sr = memhp_vmstat(lm->m, MEMHP_NR_SLAB_RECLAIMABLE) * kb;
		long su = memhp_vmstat(lm->m, MEMHP_NR_SLAB_UNRECLAIMABLE) * kb;

		lapi_set_int(L, "Slab", sr + su);
		lapi_set_int(L, "SReclaimable", sr);
		lapi_set_int(L, "SUnreclaim", su);
		lapi_set_int(L, "KernelStack", memhp_vmstat(lm->m, MEMHP_NR_KERNEL_STACK));
		lapi_set_int(L, "PageTables", memhp_vmstat(lm->m, MEMHP_NR_PAGE_TABLE_PAGES) * kb);
		lapi_set_int(L, "AnonPages", memhp_vmstat(lm->m, MEMHP_NR_ANON_PAGES) * kb);
	}
	return 1;
}

/* Host memory of [addr, addr + size) that is resident: what removing memory
 * gave back shows here, not in the guest's counters. In pages. */
int lmachine_host_resident(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);
	uint64_t start = lapi_check_size(L, 2, "host_resident: start");
	uint64_t size = lapi_check_size(L, 3, "host_resident: size");

	lua_pushinteger(L, (lua_Integer)memhp_host_resident(lm->m, start, size));
	return 1;
}

/* memhp.boot_ranges(ram): where a machine of that much RAM has its boot
 * memory when its table does not say ({start, size} each), as x86 lays it
 * out around the PCI hole: a scenario places device memory after it. */
int lmachine_boot_ranges(lua_State *L)
{
	struct memhp_config cfg;

	memhp_config_init(&cfg, lapi_check_size(L, 1, "memhp.boot_ranges"));
	lua_createtable(L, (int)cfg.nr_boot, 0);
	for (unsigned int i = 0; i < cfg.nr_boot; i++) {
		lua_createtable(L, 0, 2);
		lapi_set_int(L, "start", (lua_Integer)cfg.boot[i].start);
		lapi_set_int(L, "size", (lua_Integer)cfg.boot[i].size);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	return 1;
}

/* ---- Its picture and its random numbers ------------------------------------------------------ */

int lmachine_svg(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);
	const char *path = luaL_checkstring(L, 2);
	char title[LAPI_DESC], w[LAPI_WHERE];
	int ret;

	if (lm->run->sandbox)
		return luaL_error(L, "m:svg() is not available under --sandbox: it writes a file "
				     "of the host (--svg draws every machine at the end)");
	lapi_where(L, w, sizeof(w));
	snprintf(title, sizeof(title), "machine %d at %s", lm->index, w);
	ret = svg_write(lm->m, path, title);
	lua_pushinteger(L, ret);
	return 1;
}

/*
 * A random integer in [0, n], unbiased: Lua 5.4's project(). The mask is
 * the smallest 2^b - 1 >= n; draws above n are drawn again (less than
 * half of them). n = 2^64 - 1 (the whole integer range) needs no retry.
 */
static uint64_t random_upto(struct memhp_machine *m, uint64_t x, uint64_t n)
{
	uint64_t lim = n;

	if (!(n & (n + 1)))
		return x & n;
	for (unsigned int shift = 1; shift < 64; shift <<= 1)
		lim |= lim >> shift;
	while ((x &= lim) > n)
		x = memhp_random(m);
	return x;
}

/* m:random() and math.random: the machine's generator, so that --seed
 * reproduces the script's choices along with the library's. The arguments
 * are Lua's: none, (0) for a whole random integer, (m) or (lo, hi). */
static int push_random(lua_State *L, struct memhp_machine *m, int first)
{
	uint64_t x = memhp_random(m);
	lua_Integer lo, hi;

	switch (lua_gettop(L) - first + 1) {
	case 0:
		lua_pushnumber(L, (lua_Number)(x >> 11) * (1.0 / 9007199254740992.0));
		return 1;
	case 1:
		lo = 1;
		hi = luaL_checkinteger(L, first);
		if (hi == 0) {
			lua_pushinteger(L, (lua_Integer)x);
			return 1;
		}
		break;
	case 2:
		lo = luaL_checkinteger(L, first);
		hi = luaL_checkinteger(L, first + 1);
		break;
	default:
		return luaL_error(L, "wrong number of arguments");
	}
	luaL_argcheck(L, lo <= hi, first, "interval is empty");
	/* In unsigned arithmetic hi - lo cannot overflow, and lo + r wraps
	 * back into [lo, hi]. */
	lua_pushinteger(
		L, (lua_Integer)((uint64_t)lo + random_upto(m, x, (uint64_t)hi - (uint64_t)lo)));
	return 1;
}

int lmachine_random(lua_State *L)
{
	return push_random(L, lapi_check_machine(L, 1)->m, 2);
}

int lmachine_math_random(lua_State *L)
{
	struct run *r = lapi_run(L);

	/* The first machine's generator, or the next one's once the
	 * scenario destroyed it. */
	for (int i = 0; i < r->nr_machines; i++)
		if (r->machines[i]->m)
			return push_random(L, r->machines[i]->m, 1);
	return luaL_error(L, "math.random: create a machine first: every random choice "
			     "comes from its generator, seeded by --seed");
}

int lmachine_math_randomseed(lua_State *L)
{
	return luaL_error(L, "math.randomseed: memhp run seeds every machine from --seed; "
			     "pass --seed N (or seed = N in memhp.machine{})");
}
