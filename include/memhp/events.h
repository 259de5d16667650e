/* SPDX-License-Identifier: MIT */
/*
 * memhp/events.h - what happens in a machine, typed: events and tracepoints.
 *
 * The kernel keeps two channels apart, and so does memhp:
 *
 *  - Events (MEMHP_EV_*) are what other code acts on, as a notifier chain's
 *    callers do: a memory block came or went or changed state (the file
 *    tree sends its uevents on them), a finding was reported (the demo,
 *    the torture run and m:interrupt_on() act on it), a virtio-mem driver
 *    sent a request and got its answer, a balloon asked its host. Their
 *    payloads are a contract.
 *  - Tracepoints (MEMHP_TP_*) are for watching, as TRACE_EVENT()s are: each
 *    hotplug operation and its phases with their results, each notifier
 *    call, each migration round of offline_pages(), each pageblock
 *    isolated, each kernel-log line. Timelines and the Chrome trace file
 *    are built on them, and tests use them to act at an exact point
 *    without sleeping. Nobody listening, one costs a relaxed load.
 *
 * Both reach subscribers as a struct memhp_event: a type and the payload
 * of that type. Nothing in an event is text to be parsed: a finding's
 * rule is an enum memhp_rule, and strings in a payload (a rule's name, a
 * log line, a caller's instant) are data to show, or to compare whole
 * with what a user wrote. memhp_event_name() words an event for people.
 */
#ifndef MEMHP_EVENTS_H
#define MEMHP_EVENTS_H

#include <memhp/check.h>
#include <memhp/machine.h>

#ifdef __cplusplus
extern "C" {
#endif

enum memhp_event_type {
	/* ---- Events ---- */
	MEMHP_EV_BLOCK_ADD,	/* .block: a memory block device appeared */
	MEMHP_EV_BLOCK_REMOVE,	/* .block: ... and went away */
	MEMHP_EV_BLOCK_ONLINE,	/* .block: device_online() onlined it */
	MEMHP_EV_BLOCK_OFFLINE, /* .block: device_offline() offlined it */
	MEMHP_EV_FINDING,	/* .finding: memhp_report(): a WARN, a Bad page state */
	/* The virtio-mem driver (drivers/virtio/virtio_mem.c's work). */
	MEMHP_EV_VMEM_REQUEST,		 /* .vmem_request: sent to the device */
	MEMHP_EV_VMEM_RESPONSE,		 /* .vmem_request: the device's answer to it */
	MEMHP_EV_VMEM_REQUESTED_SIZE,	 /* .vmem_size: the config's requested size read */
	MEMHP_EV_VMEM_BLOCK_STATE,	 /* .vmem_block: a memory or big block's new state */
	MEMHP_EV_VMEM_WORK_DONE,	 /* .vmem_work: one run of the driver's work */
	MEMHP_EV_VMEM_ONLINING_DENIED,	 /* .vmem_block: MEM_GOING_ONLINE of a block vetoed */
	MEMHP_EV_VMEM_ADD_MEMORY_FAILED, /* .vmem_work: add_memory_driver_managed() failed */
	MEMHP_EV_VMEM_PROBE_PROBLEM,	 /* .vmem_probe: what probing found wrong */
	/* The virtio-mem device (QEMU's hw/virtio/virtio-mem.c). */
	MEMHP_EV_VMEM_DEVICE_ANSWER,  /* .vmem_request: a request handled */
	MEMHP_EV_VMEM_CONFIG_CHANGED, /* no payload: the config-change interrupt */
	/* Other drivers and the file tree. */
	MEMHP_EV_BALLOON,		  /* .balloon: a balloon's request to its host */
	MEMHP_EV_NOTIFIER_ERROR_INJECTED, /* .inject: notifier-error-inject vetoed */
	MEMHP_EV_UEVENT_WRITTEN,	  /* .uevent: a synthetic uevent (a write to "uevent") */
	MEMHP_EV_INSTANT,		  /* .instant: a caller's own (memhp_trace_instant()) */
	/* ---- Tracepoints ---- */
	MEMHP_TP_OP_BEGIN, /* .op: a hotplug operation begins */
	MEMHP_TP_OP_END,   /* .op: ... and ends (ret, rounds) */
	MEMHP_TP_PHASE_BEGIN,
	MEMHP_TP_PHASE_END,	      /* .phase (ret, pages_moved) */
	MEMHP_TP_NOTIFY_BEGIN,	      /* .notify: before the memory notifier chain runs */
	MEMHP_TP_NOTIFY_END,	      /* .notify: ... and after (ret) */
	MEMHP_TP_MIGRATE_ROUND_BEGIN, /* .round: one migrate_pages() round of an offline */
	MEMHP_TP_MIGRATE_ROUND_END,   /* .round (pages_moved, ret) */
	/* A pageblock was just isolated, or given back its type, outside
	 * zone->lock: tests allocate here to race an isolation at an exact
	 * step. One per pageblock: timelines do not show them. */
	MEMHP_TP_PAGEBLOCK_ISOLATED,   /* .pageblock */
	MEMHP_TP_PAGEBLOCK_UNISOLATED, /* .pageblock (migratetype) */
	MEMHP_TP_DRAIN_ALL_PAGES,      /* .drain: the per-cpu lists gave pages back */
	MEMHP_TP_PRINTK,	       /* .printk: a line of the core's kernel log */
	MEMHP_NR_EVENT_TYPES
};

/* A subscriber's choice of types: a mask of MEMHP_EVENT_BIT()s. */
#define MEMHP_EVENT_BIT(type) (1ULL << (type))
#define MEMHP_EVENTS_ALL ((1ULL << MEMHP_NR_EVENT_TYPES) - 1)
/* Every event proper, and every tracepoint. */
#define MEMHP_EVENTS_EV (MEMHP_EVENT_BIT(MEMHP_TP_OP_BEGIN) - 1)
#define MEMHP_EVENTS_TP (MEMHP_EVENTS_ALL & ~MEMHP_EVENTS_EV)

/* The hotplug operations a MEMHP_TP_OP_* brackets, and their phases. */
enum memhp_op {
	MEMHP_OP_ONLINE_PAGES,
	MEMHP_OP_OFFLINE_PAGES,
	MEMHP_OP_ADD_MEMORY,
	MEMHP_OP_REMOVE_MEMORY,
	MEMHP_OP_ALLOC_CONTIG_RANGE,
	MEMHP_OP_CMA_ALLOC,
	MEMHP_OP_SOFT_OFFLINE_PAGE,
	MEMHP_OP_MEMORY_FAILURE,
	MEMHP_NR_OPS
};

enum memhp_phase {
	MEMHP_PHASE_ONLINE_PAGE_CALLBACK, /* online_pages(): the range to the buddy */
	MEMHP_PHASE_ISOLATE,		  /* offline_pages(): start_isolate_page_range() */
	MEMHP_PHASE_MIGRATE,		  /* offline_pages(): the migration loop */
	MEMHP_PHASE_TEST_PAGES_ISOLATED,  /* ... one test_pages_isolated() inside it */
	MEMHP_NR_PHASES
};

/* What MEMHP_EV_VMEM_PROBE_PROBLEM reports. */
enum memhp_vmem_probe_problem {
	MEMHP_VMEM_PROBE_UNALIGNED,	/* the region's alignment makes memory unusable */
	MEMHP_VMEM_PROBE_BBM_NOT_POW2,	/* bbm_block_size is not a power of 2 */
	MEMHP_VMEM_PROBE_BBM_TOO_SMALL, /* bbm_block_size is too small */
	MEMHP_VMEM_PROBE_REGION_BUSY,	/* the device region could not be reserved */
	MEMHP_NR_VMEM_PROBE_PROBLEMS
};

enum memhp_balloon_request {
	MEMHP_BALLOON_REQ_INFLATE,
	MEMHP_BALLOON_REQ_DEFLATE,
	MEMHP_BALLOON_REQ_REFUSE, /* pages the host would not take (the model's own) */
};

struct memhp_ev_block {
	unsigned long id; /* memoryN */
	unsigned long start_pfn, nr_pages;
	int zone; /* ONLINE and OFFLINE: the zone's index; ADD, REMOVE: -1 */
	int nid;
};

struct memhp_ev_finding {
	enum memhp_rule rule; /* what to act on: its class, a rule watched */
	const char *name;     /* its name, to print (memhp_violation.name) */
	unsigned long pfn;    /* MEMHP_NO_PFN when about no page */
	const char *detail;   /* what memhp_report() was told */
	bool bug;	      /* Linux would BUG() here (memhp_report_bug()) */
};

struct memhp_ev_vmem_request {
	unsigned int type; /* MEMHP_VIRTIO_MEM_REQ_* */
	unsigned int resp; /* RESPONSE, DEVICE_ANSWER: MEMHP_VIRTIO_MEM_RESP_* */
	uint64_t addr;	   /* guest physical */
	unsigned int nr_blocks;
};

struct memhp_ev_vmem_size {
	uint64_t requested_size; /* bytes */
};

struct memhp_ev_vmem_block {
	unsigned long id; /* a memory block id (SBM), or a big block id (BBM) */
	unsigned long start_pfn;
	bool big_block;		/* BBM */
	int state;		/* enum memhp_vmem_sbm_state or memhp_vmem_bbm_state */
	const char *state_name; /* "OFFLINE", "MOVABLE_PARTIAL", ... */
};

struct memhp_ev_vmem_work {
	uint64_t addr; /* ADD_MEMORY_FAILED: where */
	int ret;       /* 0 or -errno */
};

struct memhp_ev_vmem_probe {
	enum memhp_vmem_probe_problem problem;
	int ret;
};

struct memhp_ev_balloon {
	enum memhp_balloon_request request;
	unsigned long start_pfn; /* the first page's pfn; MEMHP_NO_PFN for none */
	unsigned long nr_pages;
};

struct memhp_ev_inject {
	unsigned long action; /* MEMHP_MEM_GOING_ONLINE or MEMHP_MEM_GOING_OFFLINE */
	unsigned long start_pfn;
	int err; /* the errno injected, negative */
};

struct memhp_ev_uevent {
	const char *devpath; /* "/devices/system/memory/memory32" */
	int action;	     /* enum memhp_kobject_action */
};

struct memhp_ev_instant {
	const char *name;
	unsigned long pfn;
	long arg;
};

struct memhp_tp_op {
	enum memhp_op op;
	unsigned long start_pfn, nr_pages;
	int zone;	      /* online_pages, offline_pages: the zone's index; else -1 */
	unsigned long rounds; /* END of offline_pages: migration rounds and retests */
	int ret;	      /* END: 0 or -errno */
	const char *reason;   /* END of offline_pages that failed: why, as its log line says */
};

struct memhp_tp_phase {
	enum memhp_phase phase;
	unsigned long start_pfn, nr_pages;
	unsigned long pages_moved; /* END of MIGRATE */
	int ret;		   /* END */
};

struct memhp_tp_notify {
	unsigned long action; /* MEMHP_MEM_GOING_ONLINE ... */
	unsigned long start_pfn, nr_pages;
	int ret; /* END: the chain's answer as an errno */
};

struct memhp_tp_round {
	unsigned long from_pfn, nr_pages; /* what the round scans */
	unsigned long pages_moved;	  /* END */
	int ret;			  /* END */
};

struct memhp_tp_pageblock {
	unsigned long start_pfn, nr_pages;
	int migratetype; /* UNISOLATED: the type it got back */
};

struct memhp_tp_drain {
	unsigned long nr_pages;
};

struct memhp_tp_printk {
	int level;				/* MEMHP_KERN_* */
	const char *text;			/* the line, as the ring has it (no newline) */
	const struct memhp_ev_finding *finding; /* the finding the line tells of, or NULL */
};

struct memhp_event {
	enum memhp_event_type type;
	union {
		struct memhp_ev_block block;
		struct memhp_ev_finding finding;
		struct memhp_ev_vmem_request vmem_request;
		struct memhp_ev_vmem_size vmem_size;
		struct memhp_ev_vmem_block vmem_block;
		struct memhp_ev_vmem_work vmem_work;
		struct memhp_ev_vmem_probe vmem_probe;
		struct memhp_ev_balloon balloon;
		struct memhp_ev_inject inject;
		struct memhp_ev_uevent uevent;
		struct memhp_ev_instant instant;
		struct memhp_tp_op op;
		struct memhp_tp_phase phase;
		struct memhp_tp_notify notify;
		struct memhp_tp_round round;
		struct memhp_tp_pageblock pageblock;
		struct memhp_tp_drain drain;
		struct memhp_tp_printk printk;
	};
};

/*
 * A subscriber runs on the thread that emits, at once, often with the
 * core's locks held (mem_hotplug_lock in an operation, zone->lock for a
 * Bad page state line): it must be short and must not wait for another
 * thread's hotplug work. It may subscribe others; it may not unsubscribe.
 * Pointers in @ev live only for the call.
 */
typedef void (*memhp_event_fn)(struct memhp_machine *m, const struct memhp_event *ev, void *priv);

/*
 * Call @fn(@m, ev, @priv) for each event whose type is in @types (a mask of
 * MEMHP_EVENT_BIT()s), from now on, in the order subscribers subscribed.
 * There is no limit but memory. Safe while events fire on other threads
 * and from inside a subscriber (which does not see the event in flight).
 * Returns 0, -EINVAL (no type in @types, or no @fn), -EEXIST (@fn with
 * @priv subscribed already), -ENOMEM.
 */
MEMHP_API int memhp_event_subscribe(struct memhp_machine *m, uint64_t types, memhp_event_fn fn,
				    void *priv);
/*
 * Stop calling @fn with @priv. Once it returns, no call is in progress on
 * any thread and none will begin, so @priv may be freed: do not hold a
 * lock @fn takes. Returns 0, -ENOENT (not subscribed), -EDEADLK (called
 * from inside a subscriber of @m on this thread: it would wait for
 * itself; nothing is changed).
 */
MEMHP_API int memhp_event_unsubscribe(struct memhp_machine *m, memhp_event_fn fn, void *priv);
/* Whether anyone subscribes to @type now: emitters of costly payloads,
 * and device models that answer inline unless someone watches which
 * thread their events come from, ask first. */
MEMHP_API bool memhp_event_enabled(struct memhp_machine *m, enum memhp_event_type type);
/* Deliver @ev to @m's subscribers of its type (drivers and devices emit
 * their events so). */
MEMHP_API void memhp_event_emit(struct memhp_machine *m, const struct memhp_event *ev);
/* Emit a MEMHP_EV_INSTANT of the caller's own (scenarios, tools). */
MEMHP_API void memhp_trace_instant(struct memhp_machine *m, const char *name, unsigned long pfn,
				   long arg);

/*
 * An event in a word or a few, as timelines name it: "offline_pages",
 * "migrate", "MEM_GOING_OFFLINE", "uevent online", "virtio_mem: request",
 * a finding's rule, a caller's instant's name. For people, never to be
 * compared: switch on ev->type.
 */
MEMHP_API const char *memhp_event_name(const struct memhp_event *ev);
MEMHP_API const char *memhp_op_name(enum memhp_op op);
MEMHP_API const char *memhp_phase_name(enum memhp_phase phase);

#ifdef __cplusplus
}
#endif

#endif /* MEMHP_EVENTS_H */
