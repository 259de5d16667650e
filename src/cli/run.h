/* SPDX-License-Identifier: MIT */
/*
 * src/cli/run.h - `memhp run`: a Lua scenario against one or more machines.
 *
 * run.c parses the command line, owns the Lua state and the timeline, and
 * decides the exit status; lua_api.c and the files lua_core.h lists are the
 * Lua side of the C API; svg.c draws a machine's memory map.
 */
#ifndef MEMHP_CLI_RUN_H
#define MEMHP_CLI_RUN_H

#include "timeline.h"

#include <lua.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* The longest warning (or finalizer error) kept whole. */
#define RUN_WARNING_MAX 1024
/* Machines one scenario may create (each is a process in the trace). */
#define RUN_MAX_MACHINES 8
/* Exit statuses: documented in doc/memhp.1. */
#define RUN_EXIT_OK 0
#define RUN_EXIT_FAILED 1 /* an expectation, an invariant or the script failed */
#define RUN_EXIT_USAGE 2
/* An output file (--svg, --trace) cannot be written: checked before the
 * run starts, so that a run never goes to waste for a typo in a path. */
#define RUN_EXIT_IO 3
#define RUN_EXIT_TIMEOUT 124	 /* --timeout ended it, as timeout(1) says */
#define RUN_EXIT_INTERRUPTED 130 /* 128 + SIGINT, as a shell reports it */

enum run_protocol_opt {
	RUN_PROTOCOL_SCRIPT = -1, /* --protocol not given */
};

struct lmachine;

struct run {
	lua_State *L;
	struct timeline *tl;
	const char *script;
	uint64_t seed;
	int protocol; /* enum memhp_protocol, or RUN_PROTOCOL_SCRIPT */
	bool quiet;

	/* The thread running the script: Lua runs only there. */
	pthread_t thread;
	struct memhp_task *task;

	unsigned long expectations, failures;
	/* An error raised by Lua code that the core called (a notifier, the
	 * online_page callback, a trace hook): it cannot unwind through the
	 * core, so it is raised when the core returns to the script. */
	char *deferred_error;
	/* > 0 while Lua runs inside such a callback; what kind it is. */
	int cb_depth;
	const char *cb_kind;

	volatile sig_atomic_t interrupts;
	/* --sandbox, and the bytes its Lua state holds. */
	bool sandbox, lua_memory_exceeded;
	size_t lua_bytes;
	/* --timeout told the scenario to stop (its SIGINT comes after). */
	_Atomic int timed_out; /* set by the --timeout thread before its SIGINT */
	const char *timeout_arg;

	/* Set by lapi_end(): calls on machines are refused from then on. */
	bool ended;
	/* memhp demo: the timeline shows the scenario's own steps and notes,
	 * not each call it makes (each protocol is a run of its own, in one
	 * timeline: its machines' trace processes start after @index_base). */
	bool summary;
	int index_base;
	/* Errors Lua could only warn about (in a __gc finalizer): each fails
	 * the run as an error of the script does. */
	unsigned long script_errors;
	/* A warning Lua sends in pieces, and whether warn("@on") was said. */
	char warning[RUN_WARNING_MAX];
	bool warning_continued, warnings_on;

	struct lmachine *machines[RUN_MAX_MACHINES];
	int nr_machines;
	/* Walker threads running, over every machine. */
	int walker_threads;
};

/* Open the memhp library in @r->L: the memhp table, expect helpers, print. */
void lapi_open(struct run *r);
/* At the end of a run: stop the walkers of every machine, so that nothing
 * changes while the checker and the map look. */
void lapi_stop_workers(struct run *r);
/* Check machine @i: memhp_check() and the runtime log, less what the script
 * allowed (counted in @nr_allowed). Prints each violation; returns how many
 * fail the run. */
unsigned long lapi_final_check(struct run *r, int i, unsigned long *nr_allowed);
/* Machine @i, or NULL if the scenario destroyed it (m:destroy()). */
struct memhp_machine *lapi_machine(struct run *r, int i);
/* The scenario is over: unregister its Lua hooks, so that the core never
 * calls into Lua again, and refuse every call on a machine or its objects
 * from then on (finalizers run as Lua closes). */
void lapi_end(struct run *r);
/* Free workloads and destroy the machines (after lapi_end() and
 * lua_close(): the Lua objects point at them until then). */
void lapi_teardown(struct run *r);

/*
 * A kind of fault m:fault(name, times) injects, beyond the core's
 * "migration" and "alloc": device models register theirs (a virtio-mem
 * device's replies) before the scenario runs. @set arms it for the next
 * @times attempts (-1 forever, 0 off), as memhp_fault_set() does; @hits
 * counts the failures injected. Returns 0, -EEXIST, -ENOSPC.
 */
#define LAPI_MAX_FAULTS 48 /* the core's numbered points and the devices' */
struct lapi_fault {
	const char *name;
	const char *what;
	void (*set)(struct memhp_machine *m, const void *cookie, long times);
	unsigned long (*hits)(struct memhp_machine *m, const void *cookie);
	const void *cookie;
};
int lapi_register_fault(const struct lapi_fault *f);
/* The longest fault name, with its separator, in an error's list. */
#define LAPI_FAULT_NAME_MAX 24

/*
 * What `memhp sweep` asks of a run it makes (in a child process): arm its
 * faults on every machine as it is created, and hear the verdict before
 * the machines go. NULL (the default): a plain run.
 */
struct run_hooks {
	void (*machine_created)(struct memhp_machine *m, void *priv);
	/* After the final check: @violations as memhp run counts them, @ran
	 * whether the script ran to its end. */
	void (*finished)(struct run *r, unsigned long violations, bool ran, void *priv);
	/* The scenario destroys machine @i (m:destroy()): after its final
	 * check, before it goes; finished() will not see it. */
	void (*machine_destroyed)(struct run *r, int i, void *priv);
	void *priv;
};
extern const struct run_hooks *run_hooks;
/* Pages of machine @i's checksummed data that memhp lost (corrupted, not
 * those a memory failure took): verifies every live data workload. */
unsigned long lapi_data_lost(struct run *r, int i, unsigned long *verified);
/* Did the scenario allow findings of @v's rule on machine @i (m:allow())? */
bool lapi_allowed(struct run *r, int i, const struct memhp_violation *v);

/* svg.c: draw @m's memory map into @path. 0, or -errno with a message. */
int svg_write(struct memhp_machine *m, const char *path, const char *title);

#endif
