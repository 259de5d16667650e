// SPDX-License-Identifier: MIT
/*
 * lua_workload.c - users of a machine's memory: checksummed data
 * (m:data()), kernel allocations (m:kalloc()) and speculative PFN walkers
 * (m:walkers{...}).
 *
 * A workload belongs to its machine, not to Lua's garbage collector: it
 * goes when the machine goes, so that a run frees pages at the same moments
 * whenever Lua happens to collect.
 */
#include "lua_core.h"
#include "run.h"

#include <stdlib.h>
#include <string.h>

#define DATA_MT "memhp.data"
#define KALLOC_MT "memhp.kalloc"
#define WALKERS_MT "memhp.walkers"
/* data:alloc() looks for ^C or --timeout after each this many pages (64
 * MiB: a tenth of a second or so to fill, checksums included). */
#define DATA_ALLOC_CHUNK 16384UL

enum lwork_kind { LW_DATA, LW_KALLOC, LW_WALKERS };

struct lwork {
	enum lwork_kind kind;
	struct lmachine *lm;
	union {
		struct memhp_data *data;
		struct memhp_kalloc *kalloc;
		struct memhp_walkers *walkers;
	};
	int threads; /* walkers: how many run */
	bool dead;
};

static struct lwork *check_work(lua_State *L, int idx, const char *mt)
{
	struct lwork **p = luaL_checkudata(L, idx, mt);

	lapi_check_live(L);
	lapi_check_lm(L, (*p)->lm);
	if ((*p)->dead)
		luaL_error(L, "this %s was destroyed", mt + strlen("memhp."));
	return *p;
}

static struct lwork *new_work(lua_State *L, struct lmachine *lm, enum lwork_kind kind,
			      const char *mt)
{
	struct lwork *w, **box;

	if (lm->nr_work == LAPI_MAX_WORKLOADS)
		luaL_error(L, "at most %d workloads per machine (destroyed ones count too)",
			   LAPI_MAX_WORKLOADS);
	w = calloc(1, sizeof(*w));
	if (!w)
		luaL_error(L, "out of memory");
	w->kind = kind;
	w->lm = lm;
	lm->work[lm->nr_work++] = w;
	/* The workload belongs to the machine, not to the garbage collector:
	 * freeing pages whenever Lua collects would make runs irreproducible. */
	box = lua_newuserdatauv(L, sizeof(*box), 0);
	*box = w;
	luaL_setmetatable(L, mt);
	return w;
}

/* A number counts pages; a string is a size. */
static unsigned long check_count(lua_State *L, int idx, const char *what)
{
	if (lua_type(L, idx) == LUA_TSTRING)
		return (unsigned long)(lapi_check_size(L, idx, what) / MEMHP_PAGE_SIZE);
	return lapi_check_ulong(L, idx, what);
}

int lwork_data(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);
	struct lwork *w = new_work(L, lm, LW_DATA, DATA_MT);
	int ret = memhp_data_create(lm->m, &w->data);

	if (ret) {
		w->dead = true;
		return luaL_error(L, "data: %s", strerror(-ret));
	}
	return 1;
}

static int d_alloc(lua_State *L)
{
	struct lwork *w = check_work(L, 1, DATA_MT);
	unsigned long nr = check_count(L, 2, "data:alloc");
	memhp_gfp_t gfp = lapi_check_gfp(L, 3, MEMHP_GFP_HIGHUSER_MOVABLE, "data:alloc");
	unsigned long got;

	lapi_call_beginf(L, w->lm, "data:alloc(%lu pages)", nr);
	/* A program filling memory stops at ^C, or --timeout, between
	 * faults: a big fill goes in chunks that look for one. */
	for (got = 0; got < nr && !memhp_signal_pending();) {
		unsigned long want = nr - got < DATA_ALLOC_CHUNK ? nr - got : DATA_ALLOC_CHUNK, n;

		n = memhp_data_alloc(w->data, want, gfp);
		got += n;
		if (n < want)
			break;
	}
	lapi_call_endf(L, w->lm, "%lu pages", got);
	lua_pushinteger(L, (lua_Integer)got);
	return 1;
}

static int d_free(lua_State *L)
{
	struct lwork *w = check_work(L, 1, DATA_MT);
	unsigned long nr = check_count(L, 2, "data:free"), freed;

	lapi_call_beginf(L, w->lm, "data:free(%lu pages)", nr);
	freed = memhp_data_free(w->data, nr);
	lapi_call_endf(L, w->lm, "%lu pages", freed);
	lua_pushinteger(L, (lua_Integer)freed);
	return 1;
}

static int d_nr_pages(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)memhp_data_nr_pages(check_work(L, 1, DATA_MT)->data));
	return 1;
}

static int d_nr_migrated(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)memhp_data_nr_migrated(check_work(L, 1, DATA_MT)->data));
	return 1;
}

static int d_nr_slots(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)memhp_data_nr_slots(check_work(L, 1, DATA_MT)->data));
	return 1;
}

static int d_pfn(lua_State *L)
{
	struct lwork *w = check_work(L, 1, DATA_MT);
	unsigned long pfn = memhp_data_pfn(w->data, lapi_check_ulong(L, 2, "data:pfn: slot"));

	if (pfn == MEMHP_NO_PFN)
		lua_pushnil(L);
	else
		lua_pushinteger(L, (lua_Integer)pfn);
	return 1;
}

/* Pages of the data in [start, start + size): where a workload's memory
 * ended up, in one call rather than a Lua loop over every slot. */
static int d_nr_pages_in(lua_State *L)
{
	struct lwork *w = check_work(L, 1, DATA_MT);
	uint64_t start = lapi_check_size(L, 2, "data:nr_pages_in: start");
	uint64_t size = lapi_check_size(L, 3, "data:nr_pages_in: size");
	const unsigned long first = (unsigned long)(start >> MEMHP_PAGE_SHIFT);
	const unsigned long end = (unsigned long)((start + size) >> MEMHP_PAGE_SHIFT);
	const unsigned long slots = memhp_data_nr_slots(w->data);
	unsigned long n = 0;

	for (unsigned long i = 0; i < slots; i++) {
		unsigned long pfn = memhp_data_pfn(w->data, i);

		n += pfn != MEMHP_NO_PFN && pfn >= first && pfn < end;
	}
	lua_pushinteger(L, (lua_Integer)n);
	return 1;
}

static int d_refuse_migration(lua_State *L)
{
	struct lwork *w = check_work(L, 1, DATA_MT);

	memhp_data_refuse_migration(w->data, lua_isnone(L, 2) || lua_toboolean(L, 2));
	return 0;
}

static int d_verify(lua_State *L)
{
	struct lwork *w = check_work(L, 1, DATA_MT);
	struct memhp_data_report r;
	unsigned long lost = memhp_data_verify_report(w->data, &r);

	lua_pushinteger(L, (lua_Integer)lost);
	lua_pushinteger(L, (lua_Integer)r.verified);
	lua_pushinteger(L, (lua_Integer)r.hwpoisoned);
	return 3;
}

static void work_destroy(struct lwork *w, struct memhp_walker_stats *stats)
{
	if (w->dead)
		return;
	w->dead = true;
	switch (w->kind) {
	case LW_DATA:
		memhp_data_destroy(w->data);
		break;
	case LW_KALLOC:
		memhp_kalloc_destroy(w->kalloc);
		break;
	case LW_WALKERS:
		memhp_walkers_stop(w->walkers, stats);
		w->lm->run->walker_threads -= w->threads;
		break;
	}
}

static int w_destroy(lua_State *L)
{
	struct lwork **p = lua_touserdata(L, 1);

	if (!p)
		return luaL_argerror(L, 1, "a workload");
	work_destroy(*p, NULL);
	return 0;
}

int lwork_kalloc(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);
	struct lwork *w = new_work(L, lm, LW_KALLOC, KALLOC_MT);
	int ret = memhp_kalloc_create(lm->m, &w->kalloc);

	if (ret) {
		w->dead = true;
		return luaL_error(L, "kalloc: %s", strerror(-ret));
	}
	return 1;
}

static int k_alloc(lua_State *L)
{
	struct lwork *w = check_work(L, 1, KALLOC_MT);
	unsigned long nr = check_count(L, 2, "kalloc:alloc");
	memhp_gfp_t gfp = lapi_check_gfp(L, 3, MEMHP_GFP_KERNEL, "kalloc:alloc");
	unsigned long got;

	lapi_call_beginf(L, w->lm, "kalloc:alloc(%lu pages)", nr);
	got = memhp_kalloc_alloc(w->kalloc, nr, gfp);
	lapi_call_endf(L, w->lm, "%lu pages", got);
	lua_pushinteger(L, (lua_Integer)got);
	return 1;
}

static int k_free(lua_State *L)
{
	struct lwork *w = check_work(L, 1, KALLOC_MT);
	unsigned long nr = check_count(L, 2, "kalloc:free"), freed;

	lapi_call_beginf(L, w->lm, "kalloc:free(%lu pages)", nr);
	freed = memhp_kalloc_free(w->kalloc, nr);
	lapi_call_endf(L, w->lm, "%lu pages", freed);
	lua_pushinteger(L, (lua_Integer)freed);
	return 1;
}

static int k_nr_pages(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)memhp_kalloc_nr_pages(check_work(L, 1, KALLOC_MT)->kalloc));
	return 1;
}

/* Walker threads that may run at once in a whole run (spinning ones never
 * sleep: many more starve the scenario's own thread until nothing ends),
 * the spins a walker holds a reference by default, and the longest hold
 * asleep (hold_us: a minute). */
#define LAPI_MAX_WALKER_THREADS 8
#define LAPI_DEFAULT_HOLD_SPINS 1000
#define LAPI_MAX_HOLD_US (60 * 1000 * 1000)
#define LAPI_NS_PER_US 1000

int lwork_walkers(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);
	lua_Integer threads = 1, spins = LAPI_DEFAULT_HOLD_SPINS, hold_us = 0;
	bool have_spins = false, have_hold = false;
	struct lwork *w;
	int ret;

	if (lua_istable(L, 2)) {
		if (lua_getfield(L, 2, "threads") != LUA_TNIL)
			threads = luaL_checkinteger(L, -1);
		if (lua_getfield(L, 2, "hold_spins") != LUA_TNIL) {
			spins = luaL_checkinteger(L, -1);
			have_spins = true;
		}
		if (lua_getfield(L, 2, "hold_us") != LUA_TNIL) {
			hold_us = luaL_checkinteger(L, -1);
			have_hold = true;
		}
		lua_pop(L, 3);
	}
	if (threads < 1 || threads > LAPI_MAX_WALKER_THREADS)
		return luaL_error(L, "walkers: threads must be 1 to %d", LAPI_MAX_WALKER_THREADS);
	if (spins < 0)
		return luaL_error(L, "walkers: hold_spins cannot be negative");
	if (have_hold && have_spins)
		return luaL_error(L, "walkers: hold_spins or hold_us, not both");
	if (have_hold && (hold_us < 1 || hold_us > LAPI_MAX_HOLD_US))
		return luaL_error(L, "walkers: hold_us must be 1 to %d", LAPI_MAX_HOLD_US);
	if (lm->run->walker_threads + threads > LAPI_MAX_WALKER_THREADS)
		return luaL_error(L,
				  "walkers: %d walker threads run already: at most %d at once; "
				  "stop some with w:stop() first",
				  lm->run->walker_threads, LAPI_MAX_WALKER_THREADS);
	w = new_work(L, lm, LW_WALKERS, WALKERS_MT);
	if (have_hold) {
		lapi_call_beginf(L, lm, "walkers(%d threads, hold %d us asleep)", (int)threads,
				 (int)hold_us);
		ret = memhp_walkers_start_sleeping(lm->m, (unsigned int)threads,
						   (uint64_t)hold_us * LAPI_NS_PER_US, &w->walkers);
	} else {
		lapi_call_beginf(L, lm, "walkers(%d threads, hold %d spins)", (int)threads,
				 (int)spins);
		ret = memhp_walkers_start(lm->m, (unsigned int)threads, (unsigned int)spins,
					  &w->walkers);
	}
	lapi_call_end_ret(L, lm, ret);
	if (ret) {
		w->dead = true;
		return luaL_error(L, "walkers: %s", strerror(-ret));
	}
	w->threads = (int)threads;
	lm->run->walker_threads += w->threads;
	return 1;
}

static int wk_stop(lua_State *L)
{
	struct lwork *w = check_work(L, 1, WALKERS_MT);
	struct memhp_walker_stats st = { 0 };

	lapi_call_beginf(L, w->lm, "walkers:stop()");
	work_destroy(w, &st);
	lapi_call_endf(L, w->lm, "%lu visits, %lu references, %lu on PageOffline pages", st.visits,
		       st.refs, st.offline_refs);
	lua_createtable(L, 0, 3);
	lapi_set_int(L, "visits", (lua_Integer)st.visits);
	lapi_set_int(L, "refs", (lua_Integer)st.refs);
	lapi_set_int(L, "offline_refs", (lua_Integer)st.offline_refs);
	return 1;
}

static const luaL_Reg data_methods[] = {
	{ "alloc", d_alloc },
	{ "free", d_free },
	{ "nr_pages", d_nr_pages },
	{ "nr_migrated", d_nr_migrated },
	{ "nr_slots", d_nr_slots },
	{ "pfn", d_pfn },
	{ "nr_pages_in", d_nr_pages_in },
	{ "refuse_migration", d_refuse_migration },
	{ "verify", d_verify },
	{ "destroy", w_destroy },
	{ NULL, NULL },
};

static const luaL_Reg kalloc_methods[] = {
	{ "alloc", k_alloc },	  { "free", k_free }, { "nr_pages", k_nr_pages },
	{ "destroy", w_destroy }, { NULL, NULL },
};

static const luaL_Reg walkers_methods[] = {
	{ "stop", wk_stop },
	{ NULL, NULL },
};

unsigned long lapi_data_lost(struct run *r, int i, unsigned long *verified)
{
	struct lmachine *lm = r->machines[i];
	unsigned long lost = 0;

	for (int j = 0; j < lm->nr_work; j++) {
		struct memhp_data_report rep;

		if (lm->work[j]->dead || lm->work[j]->kind != LW_DATA)
			continue;
		memhp_data_verify_report(lm->work[j]->data, &rep);
		lost += rep.corrupted;
		*verified += rep.verified;
	}
	return lost;
}

void lwork_open(lua_State *L)
{
	lapi_new_type(L, DATA_MT, data_methods);
	lua_pop(L, 1);
	lapi_new_type(L, KALLOC_MT, kalloc_methods);
	lua_pop(L, 1);
	lapi_new_type(L, WALKERS_MT, walkers_methods);
	lua_pop(L, 1);
}

/* Walkers race everything: they stop before the end of a run looks. */
void lwork_stop_walkers(struct lmachine *lm)
{
	for (int j = 0; j < lm->nr_work; j++)
		if (lm->work[j]->kind == LW_WALKERS)
			work_destroy(lm->work[j], NULL);
}

void lwork_teardown(struct lmachine *lm)
{
	for (int j = lm->nr_work; j-- > 0;)
		work_destroy(lm->work[j], NULL);
}

void lwork_free(struct lmachine *lm)
{
	for (int j = 0; j < lm->nr_work; j++)
		free(lm->work[j]);
	lm->nr_work = 0;
}
