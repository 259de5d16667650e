/* SPDX-License-Identifier: MIT */
/*
 * src/cli/timeline.h - what happened during a run, when, on which thread.
 *
 * The timeline subscribes to a machine's events and tracepoints
 * (memhp_event_subscribe()) and listens to the scenario itself (the calls a
 * script makes, its notifiers, its failed expectations). It prints each event as it happens, function_graph style,
 * keeps them for a Chrome trace-event file, and drives the progress bar.
 */
#ifndef MEMHP_CLI_TIMELINE_H
#define MEMHP_CLI_TIMELINE_H

#include <memhp/memhp.h>

#include <stdbool.h>
#include <stdio.h>

struct timeline;

struct tl_options {
	FILE *out;	   /* the human timeline, or NULL for none */
	bool logical_time; /* timestamps count events: byte-identical replays */
	bool progress;	   /* draw a progress bar on stderr (a terminal) */
	bool keep_events;  /* keep events for tl_write_chrome() */
	/* Print only the scenario thread's spans and events above this
	 * nesting depth (0: everything): a summary view, as `memhp demo`
	 * prints. The trace file keeps everything all the same, and findings
	 * ("!!" lines, from any thread) and notes always print: a summary
	 * must not hide what went wrong. */
	int max_depth;
};

struct timeline *tl_create(const struct tl_options *opt);
void tl_destroy(struct timeline *tl);

/* Feed @m's trace events into the timeline, as process @pid. 0 or -errno. */
int tl_attach(struct timeline *tl, struct memhp_machine *m, int pid);
void tl_detach(struct timeline *tl, struct memhp_machine *m);

/* The calling thread becomes track 1, "scenario". Call before any event. */
void tl_register_scenario_thread(struct timeline *tl);

/* A span for a call the scenario makes: "file:line", "m:offline(32)". */
void tl_call_begin(struct timeline *tl, int pid, const char *where, const char *what);
/* @result is printed after "= " ("-EBUSY", "512 pages"); NULL for none. */
void tl_call_end(struct timeline *tl, int pid, const char *result);
/* A one-line event of the scenario (a Lua notifier's answer, a print()). */
void tl_note(struct timeline *tl, int pid, const char *name, const char *text);
/* A failed expectation: a prominent line, and an instant in the trace. */
void tl_fail(struct timeline *tl, int pid, const char *where, const char *text);

/* Write every kept event as Chrome trace-event JSON (Perfetto, about:tracing).
 * Returns 0, or -errno with a message on stderr. */
int tl_write_chrome(struct timeline *tl, const char *path, const char *process_name);

/* Events dropped because the timeline was full. */
unsigned long tl_dropped(struct timeline *tl);

#endif
