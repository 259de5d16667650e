// SPDX-License-Identifier: MIT
/*
 * lua_vmem.c - the virtio-mem device and the Linux 6.1 guest driver, as
 * scenarios see them: m:virtio_mem{...} makes a device, dev:probe{...} its
 * driver, and m:fault() injects the device's answers.
 *
 * The driver runs in sync mode unless the script asks otherwise: its work
 * runs on the scenario's thread when a call asks for it (a requested-size
 * change, the retry timer), so the timeline nests it under that call and
 * Lua notifiers see it on the only thread Lua runs on. With {sync = false}
 * a worker thread runs it, as a workqueue would: only then can a script
 * wait for a stalled request and release it, because a stalled request
 * blocks whoever sent it.
 *
 * Devices and drivers belong to their machine (an attachment): they go when
 * it goes, drivers first, whatever Lua's garbage collector does.
 */
#include "lua_api.h"
#include "run_util.h"

#include <errno.h>
#include <inttypes.h>
#include <memhp/virtio_mem.h>
#include <memhp/virtio_mem_driver.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Devices one machine may have (a VMM rarely gives a guest more). */
#define LVMEM_MAX_DEVICES 8
#define LVMEM_ID_LEN 32
#define LVMEM_DESC 160
#define LVMEM_ERR 320
#define VMEM_DEV_MT "memhp.vmem_dev"
#define VMEM_DRV_MT "memhp.vmem_drv"
#define LVMEM_FOREVER (-1L)

struct lvmem;
struct lvdrv;

struct lvdev {
	struct lvmem *vm;
	struct lmachine *lm;
	struct memhp_vmem_dev *dev;
	struct lvdrv *drv;
	char id[LVMEM_ID_LEN];
	bool dead;
	/* As m:fault() last armed each fault, and how many had struck then:
	 * what is still pending, so that a sync driver is never sent into a
	 * request that cannot come back. */
	long armed[MEMHP_VMEM_NR_FAULTS];
	unsigned long struck_at_arming[MEMHP_VMEM_NR_FAULTS];
	/* Stalls that struck and that dev:release_stall() let go. */
	unsigned long released;
};

struct lvdrv {
	struct lvdev *d;
	struct memhp_vmem_drv *drv;
	bool sync;
	bool dead;
	/* The device's driver removed before this one: kept, dead, for its
	 * Lua object, which may still be used (and refuse). */
	struct lvdrv *prev;
};

/* Per machine: its devices, and the faults armed for devices to come. */
struct lvmem {
	struct memhp_machine *m;
	struct lvdev *devs[LVMEM_MAX_DEVICES];
	int nr;
	long armed[MEMHP_VMEM_NR_FAULTS];
	/* Faults that struck on devices destroyed since. */
	unsigned long gone_hits[MEMHP_VMEM_NR_FAULTS];
};

/* memhp_machine_attach() key. */
static const char lvmem_key;

/* Not an attachment destructor: when those run, the driver's own
 * attachment (its online_page callback module) may be gone already. */
static void lvmem_destroy(struct lvmem *vm)
{
	/* Drivers first: removing one talks to its device. */
	for (int i = 0; i < vm->nr; i++) {
		struct lvdev *d = vm->devs[i];

		if (d->drv && !d->drv->dead)
			memhp_vmem_drv_remove(d->drv->drv);
		while (d->drv) {
			struct lvdrv *prev = d->drv->prev;

			free(d->drv);
			d->drv = prev;
		}
	}
	for (int i = 0; i < vm->nr; i++) {
		if (!vm->devs[i]->dead)
			memhp_vmem_dev_destroy(vm->devs[i]->dev);
		free(vm->devs[i]);
	}
	free(vm);
}

static struct lvmem *lvmem_of(struct memhp_machine *m, bool create)
{
	struct lvmem *vm = memhp_machine_attached(m, &lvmem_key);

	if (vm || !create)
		return vm;
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return NULL;
	vm->m = m;
	if (memhp_machine_attach(m, &lvmem_key, vm, NULL)) {
		free(vm);
		return NULL;
	}
	return vm;
}

/* ---- Faults ------------------------------------------------------------------------------- */

static unsigned long struck(struct lvdev *d, enum memhp_vmem_fault f)
{
	struct memhp_vmem_dev_stats st;

	memhp_vmem_dev_stats(d->dev, &st);
	return st.injected[f];
}

static void arm(struct lvdev *d, enum memhp_vmem_fault f, long times)
{
	d->armed[f] = times;
	d->struck_at_arming[f] = struck(d, f);
	memhp_vmem_dev_inject(d->dev, f, times);
}

/* How many more times @f will strike (LVMEM_FOREVER for always). */
static long pending(struct lvdev *d, enum memhp_vmem_fault f)
{
	unsigned long since = struck(d, f) - d->struck_at_arming[f];

	if (d->armed[f] < 0)
		return LVMEM_FOREVER;
	return since >= (unsigned long)d->armed[f] ? 0 : d->armed[f] - (long)since;
}

/* A stall that struck and that nobody has released yet. */
static bool stall_held(struct lvdev *d)
{
	return struck(d, MEMHP_VMEM_FAULT_STALL) > d->released;
}

static void fault_set(struct memhp_machine *m, const void *cookie, long times)
{
	const enum memhp_vmem_fault f = (enum memhp_vmem_fault)(uintptr_t)cookie;
	struct lvmem *vm = lvmem_of(m, true);

	if (!vm)
		return;
	vm->armed[f] = times;
	for (int i = 0; i < vm->nr; i++)
		if (!vm->devs[i]->dead)
			arm(vm->devs[i], f, times);
}

static unsigned long fault_hits(struct memhp_machine *m, const void *cookie)
{
	const enum memhp_vmem_fault f = (enum memhp_vmem_fault)(uintptr_t)cookie;
	struct lvmem *vm = lvmem_of(m, false);
	unsigned long n;

	if (!vm)
		return 0;
	n = vm->gone_hits[f];
	for (int i = 0; i < vm->nr; i++)
		if (!vm->devs[i]->dead)
			n += struck(vm->devs[i], f);
	return n;
}

static const struct lapi_fault vmem_faults[] = {
	{ "virtio-mem-busy", "a virtio-mem device answers BUSY", fault_set, fault_hits,
	  (const void *)(uintptr_t)MEMHP_VMEM_FAULT_BUSY },
	{ "virtio-mem-error", "a virtio-mem device answers ERROR", fault_set, fault_hits,
	  (const void *)(uintptr_t)MEMHP_VMEM_FAULT_ERROR },
	{ "virtio-mem-nack", "a virtio-mem device answers NACK", fault_set, fault_hits,
	  (const void *)(uintptr_t)MEMHP_VMEM_FAULT_NACK },
	{ "virtio-mem-stall", "a virtio-mem device holds a request until released", fault_set,
	  fault_hits, (const void *)(uintptr_t)MEMHP_VMEM_FAULT_STALL },
	{ "virtio-mem-discard", "the host fails to discard unplugged memory", fault_set, fault_hits,
	  (const void *)(uintptr_t)MEMHP_VMEM_FAULT_DISCARD },
};

/*
 * Work that runs on the scenario's thread must be able to come back: a
 * stalled request would block it for good, and a NACK for ever makes the
 * 6.1 driver retry at once, for ever (virtio_mem_run_wq() loops on -EAGAIN).
 */
static void check_can_return(lua_State *L, struct lvdev *d, const char *fn)
{
	if (pending(d, MEMHP_VMEM_FAULT_STALL) || stall_held(d))
		luaL_error(L,
			   "%s: virtio-mem-stall is armed on %s: a stalled request would block "
			   "the scenario's thread for good; probe the driver with {sync = false} "
			   "and use dev:wait_stalled() and dev:release_stall(), or disarm it with "
			   "m:fault(\"virtio-mem-stall\", 0)",
			   fn, d->id);
	if (pending(d, MEMHP_VMEM_FAULT_NACK) == LVMEM_FOREVER)
		luaL_error(L,
			   "%s: virtio-mem-nack is armed for ever on %s: the driver retries a "
			   "NACKed request at once, so it would never return; arm it for a number "
			   "of answers",
			   fn, d->id);
}

/* ---- Objects ------------------------------------------------------------------------------ */

static struct lvdev *check_dev(lua_State *L, int idx)
{
	struct lvdev *d = lapi_check_object(L, idx, VMEM_DEV_MT);

	if (d->dead)
		luaL_error(L, "virtio-mem device %s was destroyed", d->id);
	return d;
}

static struct lvdrv *check_drv(lua_State *L, int idx)
{
	struct lvdrv *v = lapi_check_object(L, idx, VMEM_DRV_MT);

	if (v->dead)
		luaL_error(L, "the virtio-mem driver of %s was removed", v->d->id);
	return v;
}

/* nil, -errno: what a failed constructor returns, as io.open() does. */
static int push_fail(lua_State *L, int err)
{
	lua_pushnil(L);
	lua_pushinteger(L, err);
	return 2;
}

static bool opt_bool(lua_State *L, int t, const char *fn, const char *name, bool def)
{
	bool v = def;

	if (lua_getfield(L, t, name) != LUA_TNIL) {
		if (!lua_isboolean(L, -1))
			luaL_error(L, "%s: %s must be true or false, not %s", fn, name,
				   luaL_typename(L, -1));
		v = lua_toboolean(L, -1);
	}
	lua_pop(L, 1);
	return v;
}

static uint64_t opt_size(lua_State *L, int t, const char *fn, const char *name, uint64_t def,
			 bool required)
{
	char what[LVMEM_DESC];
	uint64_t v = def;

	snprintf(what, sizeof(what), "%s: %s", fn, name);
	if (lua_getfield(L, t, name) != LUA_TNIL)
		v = lapi_check_size(L, -1, what);
	else if (required)
		luaL_error(L, "%s: %s is required", fn, name);
	lua_pop(L, 1);
	return v;
}

static const char *const flavor_names[] = { "qemu", "cloud-hypervisor", "firecracker", NULL };

static enum memhp_vmem_flavor check_flavor(lua_State *L, int t, const char *fn)
{
	const char *s;
	enum memhp_vmem_flavor f = MEMHP_VMEM_QEMU;

	if (lua_getfield(L, t, "flavor") != LUA_TNIL) {
		const char *hint;
		int i;

		s = luaL_checkstring(L, -1);
		for (i = 0; flavor_names[i] && strcmp(flavor_names[i], s); i++)
			;
		if (!flavor_names[i]) {
			hint = run_suggest(s, flavor_names);
			luaL_error(L,
				   "%s: unknown flavor '%s'" RUN_HINT_FMT
				   " (qemu, cloud-hypervisor, "
				   "firecracker)",
				   fn, s, RUN_HINT_ARGS(hint));
		}
		f = (enum memhp_vmem_flavor)i;
	}
	lua_pop(L, 1);
	return f;
}

/* ---- m:virtio_mem{...} ------------------------------------------------------------------- */

static const char *const dev_options[] = {
	"id",
	"addr",
	"size",
	"block_size",
	"requested_size",
	"node_id",
	"flavor",
	"unplugged_inaccessible",
	NULL,
};

int lvmem_create(lua_State *L)
{
	static const char fn[] = "virtio_mem";
	struct lmachine *lm = lapi_check_machine(L, 1);
	struct memhp_machine *m = lapi_lm_machine(lm);
	struct memhp_vmem_dev_config cfg = { 0 };
	char desc[LVMEM_DESC], range[RUN_RANGE_STR], sz[RUN_SIZE_STR], bs[RUN_SIZE_STR];
	struct lvmem *vm;
	struct lvdev *d;
	int ret;

	lapi_no_callback(L, "virtio_mem()");
	luaL_checktype(L, 2, LUA_TTABLE);
	lapi_check_options(L, 2, fn, dev_options);
	lua_getfield(L, 2, "id");
	cfg.id = luaL_optstring(L, -1, "vm0");
	if (strlen(cfg.id) >= LVMEM_ID_LEN)
		return luaL_error(L, "%s: id '%s' is longer than %d characters", fn, cfg.id,
				  LVMEM_ID_LEN - 1);
	cfg.addr = opt_size(L, 2, fn, "addr", 0, true);
	cfg.region_size = opt_size(L, 2, fn, "size", 0, true);
	cfg.block_size = opt_size(L, 2, fn, "block_size", 0, false);
	cfg.requested_size = opt_size(L, 2, fn, "requested_size", 0, false);
	cfg.node_id = (uint16_t)opt_size(L, 2, fn, "node_id", 0, false);
	cfg.flavor = check_flavor(L, 2, fn);
	cfg.unplugged_inaccessible = opt_bool(L, 2, fn, "unplugged_inaccessible", false);

	vm = lvmem_of(m, true);
	if (!vm)
		return luaL_error(L, "%s: out of memory", fn);
	if (vm->nr == LVMEM_MAX_DEVICES)
		return luaL_error(L, "%s: at most %d devices per machine", fn, LVMEM_MAX_DEVICES);
	d = calloc(1, sizeof(*d));
	if (!d)
		return luaL_error(L, "%s: out of memory", fn);
	snprintf(d->id, sizeof(d->id), "%s", cfg.id);
	snprintf(desc, sizeof(desc), "virtio_mem{%s %s %s, %s blocks, %s}", d->id,
		 run_fmt_range(cfg.addr, cfg.region_size ? cfg.region_size : 1, range),
		 run_fmt_size(cfg.region_size, sz),
		 cfg.block_size ? run_fmt_size(cfg.block_size, bs) : "default",
		 memhp_vmem_flavor_name(cfg.flavor));
	lapi_call_begin(L, lm, desc);
	ret = memhp_vmem_dev_create(m, &cfg, &d->dev);
	lapi_call_end_ret(L, lm, ret);
	lua_pop(L, 1); /* the id */
	if (ret) {
		free(d);
		return push_fail(L, ret);
	}
	d->vm = vm;
	d->lm = lm;
	vm->devs[vm->nr++] = d;
	/* Faults armed before the device existed apply to it too. */
	for (int f = 0; f < MEMHP_VMEM_NR_FAULTS; f++)
		if (vm->armed[f])
			arm(d, (enum memhp_vmem_fault)f, vm->armed[f]);
	lapi_push_object(L, lm, d, VMEM_DEV_MT);
	return 1;
}

/* ---- The device ---------------------------------------------------------------------------- */

static uint64_t plugged_size(struct lvdev *d)
{
	struct memhp_virtio_mem_config c;

	memhp_vmem_dev_read_config(d->dev, &c);
	return c.plugged_size;
}

/* The driver's work after an event, when it runs on this thread. */
static void run_sync_work(struct lvdev *d)
{
	if (!d->drv || d->drv->dead || !d->drv->sync)
		return;
	/* The config-change interrupt comes from the device's thread. */
	memhp_vmem_dev_flush(d->dev);
	memhp_vmem_drv_process(d->drv->drv);
}

static int dev_set_requested_size(lua_State *L)
{
	struct lvdev *d = check_dev(L, 1);
	uint64_t size = lapi_check_size(L, 2, "set_requested_size");
	char what[LVMEM_DESC], sz[RUN_SIZE_STR], err[RUN_SIZE_STR];
	int ret;

	lapi_no_callback(L, "set_requested_size()");
	if (d->drv && !d->drv->dead && d->drv->sync)
		check_can_return(L, d, "set_requested_size");
	snprintf(what, sizeof(what), "qom-set %s requested-size %s", d->id,
		 size ? run_fmt_size(size, sz) : "0");
	lapi_call_begin(L, d->lm, what);
	ret = memhp_vmem_dev_set_requested_size(d->dev, size);
	if (!ret)
		run_sync_work(d);
	if (ret)
		snprintf(what, sizeof(what), "%s", run_errno_str(ret, err));
	else
		snprintf(what, sizeof(what), "0 (plugged %s)", run_fmt_size(plugged_size(d), sz));
	lapi_call_end(L, d->lm, what);
	lua_pushinteger(L, ret);
	return 1;
}

static int dev_config(lua_State *L)
{
	struct lvdev *d = check_dev(L, 1);
	const struct memhp_vmem_dev_config *cfg = memhp_vmem_dev_get_config(d->dev);
	struct memhp_virtio_mem_config c;

	memhp_vmem_dev_read_config(d->dev, &c);
	lua_createtable(L, 0, 10);
	lapi_set_str(L, "id", d->id);
	lapi_set_str(L, "flavor", memhp_vmem_flavor_name(cfg->flavor));
	lapi_set_bool(L, "unplugged_inaccessible", cfg->unplugged_inaccessible);
	lapi_set_int(L, "block_size", (lua_Integer)c.block_size);
	lapi_set_int(L, "node_id", c.node_id);
	lapi_set_int(L, "addr", (lua_Integer)c.addr);
	lapi_set_int(L, "region_size", (lua_Integer)c.region_size);
	lapi_set_int(L, "usable_region_size", (lua_Integer)c.usable_region_size);
	lapi_set_int(L, "plugged_size", (lua_Integer)c.plugged_size);
	lapi_set_int(L, "requested_size", (lua_Integer)c.requested_size);
	return 1;
}

static int dev_nr_blocks(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)memhp_vmem_dev_nr_blocks(check_dev(L, 1)->dev));
	return 1;
}

static int dev_block_plugged(lua_State *L)
{
	struct lvdev *d = check_dev(L, 1);
	lua_Integer i = luaL_checkinteger(L, 2);
	uint64_t n = memhp_vmem_dev_nr_blocks(d->dev);

	if (i < 0 || (uint64_t)i >= n)
		return luaL_error(L, "block_plugged: block %I is not one of %s's %I blocks", i,
				  d->id, (lua_Integer)n);
	lua_pushboolean(L, memhp_vmem_dev_block_plugged(d->dev, (uint64_t)i));
	return 1;
}

static void set_counts(lua_State *L, const char *name, const unsigned long *v,
		       const char *const *keys, int n)
{
	lua_createtable(L, 0, n);
	for (int i = 0; i < n; i++)
		lapi_set_int(L, keys[i], (lua_Integer)v[i]);
	lua_setfield(L, -2, name);
}

static int dev_stats(lua_State *L)
{
	static const char *const req[] = { "plug", "unplug", "unplug_all", "state" };
	static const char *const resp[] = { "ack", "nack", "busy", "error" };
	static const char *const faults[MEMHP_VMEM_NR_FAULTS] = { "busy", "error", "nack", "stall",
								  "discard" };
	struct memhp_vmem_dev_stats st;

	memhp_vmem_dev_stats(check_dev(L, 1)->dev, &st);
	lua_createtable(L, 0, 6);
	set_counts(L, "requests", st.requests, req, 4);
	set_counts(L, "responses", st.responses, resp, 4);
	set_counts(L, "injected", st.injected, faults, MEMHP_VMEM_NR_FAULTS);
	lapi_set_int(L, "config_changes", (lua_Integer)st.config_changes);
	lapi_set_int(L, "malformed", (lua_Integer)st.malformed);
	lapi_set_int(L, "discard_failures", (lua_Integer)st.discard_failures);
	return 1;
}

static int dev_broken(lua_State *L)
{
	lua_pushboolean(L, memhp_vmem_dev_broken(check_dev(L, 1)->dev));
	return 1;
}

static int dev_flush(lua_State *L)
{
	struct lvdev *d = check_dev(L, 1);

	if (stall_held(d) || pending(d, MEMHP_VMEM_FAULT_STALL))
		return luaL_error(L,
				  "flush: a request of %s is or may be stalled, and flush waits "
				  "for it: dev:release_stall() first, or disarm the stall",
				  d->id);
	lua_pushinteger(L, memhp_vmem_dev_flush(d->dev));
	return 1;
}

static int dev_wait_stalled(lua_State *L)
{
	struct lvdev *d = check_dev(L, 1);

	if (!stall_held(d) && !pending(d, MEMHP_VMEM_FAULT_STALL))
		return luaL_error(L,
				  "wait_stalled: no stall is armed on %s: it would wait for "
				  "ever (m:fault(\"virtio-mem-stall\", 1) first)",
				  d->id);
	if (d->drv && !d->drv->dead && d->drv->sync)
		return luaL_error(L,
				  "wait_stalled: the driver of %s runs on this thread, so no "
				  "request can stall while the script waits: probe it with "
				  "{sync = false}",
				  d->id);
	lua_pushinteger(L, memhp_vmem_dev_wait_stalled(d->dev));
	return 1;
}

static int dev_release_stall(lua_State *L)
{
	struct lvdev *d = check_dev(L, 1);
	char what[LVMEM_DESC];

	snprintf(what, sizeof(what), "%s: release the stalled request", d->id);
	lapi_call_begin(L, d->lm, what);
	if (stall_held(d))
		d->released++;
	memhp_vmem_dev_release_stall(d->dev);
	lapi_call_end(L, d->lm, "released");
	return 0;
}

static int dev_reset(lua_State *L)
{
	struct lvdev *d = check_dev(L, 1);
	char what[LVMEM_DESC];

	snprintf(what, sizeof(what), "%s: virtio reset", d->id);
	lapi_call_begin(L, d->lm, what);
	/* A reset drops what is stalled. */
	d->released = struck(d, MEMHP_VMEM_FAULT_STALL);
	memhp_vmem_dev_reset(d->dev);
	lapi_call_end(L, d->lm, "done");
	return 0;
}

static int dev_system_reset(lua_State *L)
{
	struct lvdev *d = check_dev(L, 1);
	char what[LVMEM_DESC];

	lapi_no_callback(L, "system_reset()");
	if (d->drv && !d->drv->dead)
		return luaL_error(L, "system_reset: a guest reboot goes with its driver: "
				     "drv:remove() first");
	snprintf(what, sizeof(what), "%s: system reset", d->id);
	lapi_call_begin(L, d->lm, what);
	d->released = struck(d, MEMHP_VMEM_FAULT_STALL);
	memhp_vmem_dev_system_reset(d->dev);
	lapi_call_end(L, d->lm, "done");
	return 0;
}

static int dev_destroy(lua_State *L)
{
	struct lvdev *d = check_dev(L, 1);

	lapi_no_callback(L, "destroy()");
	if (d->drv && !d->drv->dead)
		return luaL_error(L, "destroy: %s still has its driver: drv:remove() first", d->id);
	for (int f = 0; f < MEMHP_VMEM_NR_FAULTS; f++)
		d->vm->gone_hits[f] += struck(d, (enum memhp_vmem_fault)f);
	memhp_vmem_dev_destroy(d->dev);
	d->dead = true;
	return 0;
}

/* ---- The driver ------------------------------------------------------------------------------ */

static const char *const drv_options[] = {
	"unplug_online", "force_bbm", "bbm_block_size", "bbm_safe_unplug", "sync", NULL,
};

static int dev_probe(lua_State *L)
{
	static const char fn[] = "probe";
	struct lvdev *d = check_dev(L, 1);
	struct memhp_vmem_drv_params p;
	struct memhp_vmem_drv_info info;
	char what[LVMEM_DESC], sz[RUN_SIZE_STR], err[RUN_SIZE_STR];
	struct lvdrv *v;
	int ret;

	lapi_no_callback(L, "probe()");
	if (d->drv && !d->drv->dead)
		return luaL_error(L, "probe: %s already has a driver", d->id);
	memhp_vmem_drv_params_init(&p);
	p.sync = true;
	if (!lua_isnoneornil(L, 2)) {
		luaL_checktype(L, 2, LUA_TTABLE);
		lapi_check_options(L, 2, fn, drv_options);
		p.unplug_online = opt_bool(L, 2, fn, "unplug_online", p.unplug_online);
		p.force_bbm = opt_bool(L, 2, fn, "force_bbm", p.force_bbm);
		p.bbm_block_size = opt_size(L, 2, fn, "bbm_block_size", 0, false);
		p.bbm_safe_unplug = opt_bool(L, 2, fn, "bbm_safe_unplug", p.bbm_safe_unplug);
		p.sync = opt_bool(L, 2, fn, "sync", true);
	}
	if (p.sync)
		check_can_return(L, d, fn);
	v = calloc(1, sizeof(*v));
	if (!v)
		return luaL_error(L, "probe: out of memory");
	snprintf(what, sizeof(what), "virtio_mem probe %s%s", d->id, p.sync ? "" : " (async)");
	lapi_call_begin(L, d->lm, what);
	ret = memhp_vmem_drv_probe(lapi_lm_machine(d->lm), d->dev, &p, &v->drv);
	if (ret) {
		lapi_call_end(L, d->lm, run_errno_str(ret, err));
		free(v);
		return push_fail(L, ret);
	}
	v->d = d;
	v->sync = p.sync;
	v->prev = d->drv; /* a driver removed before */
	d->drv = v;
	if (v->sync)
		memhp_vmem_drv_process(v->drv);
	memhp_vmem_drv_info(v->drv, &info);
	snprintf(what, sizeof(what), "%s, %s %s", info.sbm ? "Sub-Block Mode" : "Big Block Mode",
		 run_fmt_size(info.sbm ? info.sb_size : info.bb_size, sz),
		 info.sbm ? "sub-blocks" : "big blocks");
	lapi_call_end(L, d->lm, what);
	lapi_push_object(L, d->lm, v, VMEM_DRV_MT);
	return 1;
}

static int drv_process(lua_State *L)
{
	struct lvdrv *v = check_drv(L, 1);
	unsigned int runs;
	char res[LVMEM_DESC];

	lapi_no_callback(L, "process()");
	if (!v->sync)
		return luaL_error(L,
				  "process: the driver of %s runs its own work ({sync = false}): "
				  "drv:wait_idle() waits for it",
				  v->d->id);
	check_can_return(L, v->d, "process");
	lapi_call_begin(L, v->d->lm, "virtio_mem: run queued work");
	runs = memhp_vmem_drv_process(v->drv);
	snprintf(res, sizeof(res), "%u run%s", runs, runs == 1 ? "" : "s");
	lapi_call_end(L, v->d->lm, res);
	lua_pushinteger(L, runs);
	return 1;
}

static int drv_wait_idle(lua_State *L)
{
	struct lvdrv *v = check_drv(L, 1);

	lapi_no_callback(L, "wait_idle()");
	if (!v->sync)
		check_can_return(L, v->d, "wait_idle");
	memhp_vmem_drv_wait_idle(v->drv);
	return 0;
}

static int drv_advance(lua_State *L)
{
	struct lvdrv *v = check_drv(L, 1);
	lua_Integer ms = luaL_checkinteger(L, 2);
	unsigned int runs = 0;
	char what[LVMEM_DESC], res[LVMEM_DESC];

	lapi_no_callback(L, "advance()");
	if (ms < 0)
		return luaL_error(L, "advance: time runs forward (%I ms)", ms);
	if (v->sync)
		check_can_return(L, v->d, "advance");
	snprintf(what, sizeof(what), "virtio_mem: %" PRId64 " ms pass", (int64_t)ms);
	lapi_call_begin(L, v->d->lm, what);
	memhp_vmem_drv_advance(v->drv, (uint64_t)ms);
	if (v->sync)
		runs = memhp_vmem_drv_process(v->drv);
	snprintf(res, sizeof(res), "%u run%s", runs, runs == 1 ? "" : "s");
	lapi_call_end(L, v->d->lm, res);
	lua_pushinteger(L, runs);
	return 1;
}

static const char *state_name(const struct memhp_vmem_drv_info *info, int s)
{
	return info->sbm ? memhp_vmem_sbm_state_name(s) : memhp_vmem_bbm_state_name(s);
}

static int drv_info(lua_State *L)
{
	struct lvdrv *v = check_drv(L, 1);
	struct memhp_vmem_drv_info info;

	memhp_vmem_drv_info(v->drv, &info);
	lua_createtable(L, 0, 20);
	lapi_set_bool(L, "sbm", info.sbm);
	lapi_set_int(L, "sb_size", (lua_Integer)info.sb_size);
	lapi_set_int(L, "bb_size", (lua_Integer)info.bb_size);
	lapi_set_int(L, "plugged_size", (lua_Integer)info.plugged_size);
	lapi_set_int(L, "requested_size", (lua_Integer)info.requested_size);
	lapi_set_int(L, "offline_size", (lua_Integer)info.offline_size);
	lapi_set_int(L, "offline_threshold", (lua_Integer)info.offline_threshold);
	lapi_set_int(L, "first_id", (lua_Integer)info.first_id);
	lapi_set_int(L, "next_id", (lua_Integer)info.next_id);
	lapi_set_int(L, "last_usable_id", (lua_Integer)info.last_usable_id);
	lua_createtable(L, 0, MEMHP_VMEM_SBM_NR_STATES);
	for (int s = 0; s < (info.sbm ? MEMHP_VMEM_SBM_NR_STATES : MEMHP_VMEM_BBM_NR_STATES); s++)
		lapi_set_int(L, state_name(&info, s), (lua_Integer)info.count[s]);
	lua_setfield(L, -2, "count");
	lapi_set_bool(L, "broken", info.broken);
	lapi_set_bool(L, "unplug_all_required", info.unplug_all_required);
	lapi_set_int(L, "last_rc", info.last_rc);
	lapi_set_int(L, "runs", info.runs);
	lapi_set_bool(L, "timer_armed", info.timer_armed);
	lapi_set_int(L, "timer_due_ms", (lua_Integer)info.timer_due_ms);
	lapi_set_int(L, "retry_timer_ms", (lua_Integer)info.retry_timer_ms);
	lapi_set_int(L, "now_ms", (lua_Integer)info.now_ms);
	lapi_set_bool(L, "sync", v->sync);
	return 1;
}

static int drv_block_state(lua_State *L)
{
	struct lvdrv *v = check_drv(L, 1);
	lua_Integer id = luaL_checkinteger(L, 2);
	struct memhp_vmem_drv_info info;
	int s;

	if (id < 0)
		return luaL_error(L, "block_state: block ids are >= 0, not %I", id);
	s = memhp_vmem_drv_block_state(v->drv, (unsigned long)id);
	if (s < 0) {
		lua_pushnil(L);
		return 1;
	}
	memhp_vmem_drv_info(v->drv, &info);
	lua_pushstring(L, state_name(&info, s));
	return 1;
}

static int drv_check(lua_State *L)
{
	struct lvdrv *v = check_drv(L, 1);

	lapi_no_callback(L, "check()");
	if (!v->sync)
		memhp_vmem_drv_wait_idle(v->drv);
	lua_pushinteger(L, (lua_Integer)memhp_vmem_drv_check(v->drv));
	return 1;
}

static int drv_remove(lua_State *L)
{
	struct lvdrv *v = check_drv(L, 1);
	char what[LVMEM_DESC];

	lapi_no_callback(L, "remove()");
	if (stall_held(v->d) || pending(v->d, MEMHP_VMEM_FAULT_STALL))
		return luaL_error(L,
				  "remove: a request of %s is or may be stalled, and removing "
				  "the driver waits for its work: dev:release_stall() first",
				  v->d->id);
	snprintf(what, sizeof(what), "virtio_mem remove %s", v->d->id);
	lapi_call_begin(L, v->d->lm, what);
	memhp_vmem_drv_remove(v->drv);
	v->dead = true;
	lapi_call_end(L, v->d->lm, "done");
	return 0;
}

/* ---- Registration and the end of a run ------------------------------------------------------ */

static const luaL_Reg dev_methods[] = {
	{ "probe", dev_probe },
	{ "set_requested_size", dev_set_requested_size },
	{ "config", dev_config },
	{ "nr_blocks", dev_nr_blocks },
	{ "block_plugged", dev_block_plugged },
	{ "stats", dev_stats },
	{ "broken", dev_broken },
	{ "flush", dev_flush },
	{ "wait_stalled", dev_wait_stalled },
	{ "release_stall", dev_release_stall },
	{ "reset", dev_reset },
	{ "system_reset", dev_system_reset },
	{ "destroy", dev_destroy },
	{ NULL, NULL },
};

static const luaL_Reg drv_methods[] = {
	{ "process", drv_process },	    { "wait_idle", drv_wait_idle },
	{ "advance", drv_advance },	    { "info", drv_info },
	{ "block_state", drv_block_state }, { "check", drv_check },
	{ "remove", drv_remove },	    { NULL, NULL },
};

void lvmem_open(lua_State *L)
{
	lapi_new_type(L, VMEM_DEV_MT, dev_methods);
	lua_pop(L, 1);
	lapi_new_type(L, VMEM_DRV_MT, drv_methods);
	lua_pop(L, 1);
	/* Registered once per process: a second run finds them there. */
	for (size_t i = 0; i < sizeof(vmem_faults) / sizeof(vmem_faults[0]); i++)
		lapi_register_fault(&vmem_faults[i]);
}

void lvmem_teardown(struct memhp_machine *m)
{
	struct lvmem *vm = memhp_machine_detach(m, &lvmem_key);

	if (vm)
		lvmem_destroy(vm);
}

void lvmem_quiesce(struct memhp_machine *m)
{
	struct lvmem *vm = lvmem_of(m, false);

	if (!vm)
		return;
	for (int i = 0; i < vm->nr; i++) {
		struct lvdev *d = vm->devs[i];

		if (d->dead)
			continue;
		for (int f = 0; f < MEMHP_VMEM_NR_FAULTS; f++)
			memhp_vmem_dev_inject(d->dev, (enum memhp_vmem_fault)f, 0);
		memhp_vmem_dev_release_stall(d->dev);
		if (!d->drv || d->drv->dead)
			continue;
		memhp_vmem_drv_wait_idle(d->drv->drv);
		/* Whatever the scenario did, driver, device and memmap must agree
		 * (a broken driver stopped caring, as in Linux). */
		if (!memhp_vmem_dev_broken(d->dev)) {
			struct memhp_vmem_drv_info info;

			memhp_vmem_drv_info(d->drv->drv, &info);
			if (!info.broken)
				memhp_vmem_drv_check(d->drv->drv);
		}
	}
}
