/* SPDX-License-Identifier: MIT */
/*
 * memhp/virtio_balloon.h - the virtio-balloon device (hypervisor side, as
 * QEMU 7.2's hw/virtio/virtio-balloon.c) and the Linux 6.1 guest driver
 * that talks to it (drivers/virtio/virtio_balloon.c), with its wire format.
 *
 * The host asks for a balloon size by writing num_pages into the config
 * space and notifying the guest; the guest's driver inflates or deflates
 * the memhp_balloon it holds (memhp/balloon.h: PageOffline, movable pages
 * with balloon compaction) in batches of at most 256 pfns, sends each
 * batch on the inflate or deflate queue and writes how far it got into
 * "actual". The device discards inflated pages on the host (the process's
 * RSS falls by what the guest had touched), hints deflated ones back with
 * MADV_WILLNEED, reads the guest's statistics from the stats queue when
 * its polling timer asks for them, and discards the free pages the guest's
 * free page reporting hands it.
 *
 * Queues are answered on the caller's thread, as a request to a device
 * completes before the driver's next instruction; the device's own thread
 * runs only its timers (the stats poll).
 */
#ifndef MEMHP_VIRTIO_BALLOON_H
#define MEMHP_VIRTIO_BALLOON_H

#include <memhp/balloon.h>
#include <memhp/machine.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- The wire format (include/uapi/linux/virtio_balloon.h): little-endian -- */

#define MEMHP_VIRTIO_BALLOON_F_MUST_TELL_HOST 0
#define MEMHP_VIRTIO_BALLOON_F_STATS_VQ 1
#define MEMHP_VIRTIO_BALLOON_F_DEFLATE_ON_OOM 2
#define MEMHP_VIRTIO_BALLOON_F_FREE_PAGE_HINT 3
#define MEMHP_VIRTIO_BALLOON_F_PAGE_POISON 4
#define MEMHP_VIRTIO_BALLOON_F_REPORTING 5

/* Balloon pfns are 4 KiB frames, whatever the guest's page size. */
#define MEMHP_VIRTIO_BALLOON_PFN_SHIFT 12

/* The statistics tags (VIRTIO_BALLOON_S_*) and their number. */
#define MEMHP_VIRTIO_BALLOON_S_SWAP_IN 0
#define MEMHP_VIRTIO_BALLOON_S_SWAP_OUT 1
#define MEMHP_VIRTIO_BALLOON_S_MAJFLT 2
#define MEMHP_VIRTIO_BALLOON_S_MINFLT 3
#define MEMHP_VIRTIO_BALLOON_S_MEMFREE 4
#define MEMHP_VIRTIO_BALLOON_S_MEMTOT 5
#define MEMHP_VIRTIO_BALLOON_S_AVAIL 6
#define MEMHP_VIRTIO_BALLOON_S_CACHES 7
#define MEMHP_VIRTIO_BALLOON_S_HTLB_PGALLOC 8
#define MEMHP_VIRTIO_BALLOON_S_HTLB_PGFAIL 9
#define MEMHP_VIRTIO_BALLOON_S_NR 10

/* Sizes on the wire; the structures below have exactly these sizes. */
#define MEMHP_VIRTIO_BALLOON_CONFIG_SIZE 16
#define MEMHP_VIRTIO_BALLOON_STAT_SIZE 10

/* struct virtio_balloon_config */
struct memhp_virtio_balloon_config {
	uint32_t num_pages; /* the host's target, in 4 KiB frames */
	uint32_t actual;    /* the guest's balloon, in 4 KiB frames */
	uint32_t free_page_hint_cmd_id;
	uint32_t poison_val;
} __attribute__((packed));

/* struct virtio_balloon_stat */
struct memhp_virtio_balloon_stat {
	uint16_t tag;
	uint64_t val;
} __attribute__((packed));

/* A buffer of the reporting queue: one free chunk of guest memory. */
struct memhp_virtio_balloon_report {
	uint64_t addr;
	uint32_t len;
};

/* ---- The device ----------------------------------------------------------- */

/* QEMU: the queue sizes (inflate, deflate and stats 128, reporting 32) and
 * the largest stats polling interval it takes, in seconds. */
#define MEMHP_VBALLOON_QUEUE_SIZE 128
#define MEMHP_VBALLOON_REPORTING_QUEUE_SIZE 32
#define MEMHP_VBALLOON_MAX_POLL_INTERVAL 0xffffffffLL

struct memhp_vballoon_dev_config {
	const char *id;		  /* QOM id (copied), or NULL */
	bool deflate_on_oom;	  /* offer VIRTIO_BALLOON_F_DEFLATE_ON_OOM */
	bool free_page_reporting; /* offer VIRTIO_BALLOON_F_REPORTING */
	bool page_poison;	  /* offer VIRTIO_BALLOON_F_PAGE_POISON (QEMU: on) */
	/*
	 * QEMU's get_current_ram_size(): the boot RAM ("-m") plus every
	 * pc-dimm plugged at the moment; what "actual" and the target are
	 * measured against. Called without the device's lock. NULL: the
	 * machine's present memory.
	 */
	uint64_t (*ram_size)(void *priv);
	void *ram_size_priv;
};
/* The defaults QEMU 7.2's virtio-balloon-pci has. */
MEMHP_API void memhp_vballoon_dev_config_init(struct memhp_vballoon_dev_config *cfg);

struct memhp_vballoon_dev;

/* Returns 0, -EINVAL (NULL arguments), -ENOMEM. */
MEMHP_API int memhp_vballoon_dev_create(struct memhp_machine *m,
					const struct memhp_vballoon_dev_config *cfg,
					struct memhp_vballoon_dev **out);
/* Stop the timer thread and free. The guest's pages stay as they are. Must
 * not be called from a callback of the device. */
MEMHP_API void memhp_vballoon_dev_destroy(struct memhp_vballoon_dev *dev);
MEMHP_API const struct memhp_vballoon_dev_config *
memhp_vballoon_dev_get_config(struct memhp_vballoon_dev *dev);

/* ---- The guest's view ---------------------------------------------------------- */

/* STATS_VQ always, the others as configured, and VIRTIO_F_VERSION_1. */
MEMHP_API uint64_t memhp_vballoon_dev_features(struct memhp_vballoon_dev *dev);
/* Returns 0 or -EINVAL (a bit that was not offered). */
MEMHP_API int memhp_vballoon_dev_ack_features(struct memhp_vballoon_dev *dev, uint64_t features);
MEMHP_API void memhp_vballoon_dev_read_config(struct memhp_vballoon_dev *dev,
					      struct memhp_virtio_balloon_config *cfg);
/*
 * The guest writes the config space (actual, and poison_val when
 * PAGE_POISON was accepted). A changed "actual" tells the actual
 * listeners, from the caller's thread, as QEMU sends BALLOON_CHANGE.
 */
MEMHP_API void memhp_vballoon_dev_write_config(struct memhp_vballoon_dev *dev,
					       const struct memhp_virtio_balloon_config *cfg);
/* The config-change interrupt, and the used-buffer interrupt of the stats
 * queue (the device wants fresh statistics). Called from the thread that
 * caused them; once set_* returns, the previous function is not running. */
typedef void (*memhp_vballoon_notify_fn)(struct memhp_vballoon_dev *dev, void *priv);
MEMHP_API void memhp_vballoon_dev_set_config_changed(struct memhp_vballoon_dev *dev,
						     memhp_vballoon_notify_fn fn, void *priv);
MEMHP_API void memhp_vballoon_dev_set_stats_request(struct memhp_vballoon_dev *dev,
						    memhp_vballoon_notify_fn fn, void *priv);
/*
 * One buffer on the inflate (@deflate false) or deflate queue: @nr
 * little-endian 4 KiB pfns. Inflated frames are discarded on the host,
 * deflated ones hinted with MADV_WILLNEED; a pfn that is not present
 * memory is skipped, as QEMU skips what is not RAM. Returns 0, -EINVAL
 * (NULL with @nr, more than the queue's 4 KiB buffer holds: 1024 pfns).
 */
MEMHP_API int memhp_vballoon_dev_tell(struct memhp_vballoon_dev *dev, bool deflate,
				      const uint32_t *pfns, size_t nr);
/*
 * The guest adds its statistics buffer to the stats queue. The device
 * keeps the values (unknown tags are ignored), stamps the time, and holds
 * the buffer until its polling timer gives it back. Returns 0 or -EINVAL.
 */
MEMHP_API int memhp_vballoon_dev_stats(struct memhp_vballoon_dev *dev,
				       const struct memhp_virtio_balloon_stat *stats, size_t nr);
/*
 * One buffer of the reporting queue (@nr chunks of free guest memory):
 * each is discarded on the host unless the guest declared a poison value,
 * or the chunk is not page-aligned or not present memory. Returns 0,
 * -EOPNOTSUPP (REPORTING was not offered), -EINVAL.
 */
MEMHP_API int memhp_vballoon_dev_report(struct memhp_vballoon_dev *dev,
					const struct memhp_virtio_balloon_report *chunks,
					size_t nr);
/* Virtio device reset: the held stats buffer is dropped, poison_val and
 * the accepted features forgotten. num_pages and actual stay. */
MEMHP_API void memhp_vballoon_dev_reset(struct memhp_vballoon_dev *dev);

/* ---- The host's view (QMP) -------------------------------------------------------- */

/*
 * QMP "balloon": a target guest size in bytes. As QEMU's
 * virtio_balloon_to_target(): above the RAM size it is the RAM size; then
 * num_pages = (RAM size - target) / 4 KiB and the guest is notified.
 * A target of 0 changes nothing (QMP refuses it before).
 */
MEMHP_API void memhp_vballoon_dev_set_target(struct memhp_vballoon_dev *dev, uint64_t target);
/* query-balloon's "actual": the RAM size less the guest's balloon. */
MEMHP_API uint64_t memhp_vballoon_dev_logical_size(struct memhp_vballoon_dev *dev);
/* QEMU's RAM size as the device sees it (the config's callback). */
MEMHP_API uint64_t memhp_vballoon_dev_ram_size(struct memhp_vballoon_dev *dev);

/* guest-stats: the last values (UINT64_MAX: never reported) and the wall
 * clock's second they came at (0: never). */
struct memhp_vballoon_guest_stats {
	uint64_t stats[MEMHP_VIRTIO_BALLOON_S_NR];
	int64_t last_update;
};
MEMHP_API void memhp_vballoon_dev_guest_stats(struct memhp_vballoon_dev *dev,
					      struct memhp_vballoon_guest_stats *st);
/* "guest-stats-polling-interval" in seconds (0: off). */
MEMHP_API int64_t memhp_vballoon_dev_poll_interval(struct memhp_vballoon_dev *dev);
/*
 * Set it: 0 stops the timer; a new interval restarts it, the first poll
 * at once when the timer was off. Returns 0, -EINVAL (negative: QEMU's
 * "timer value must be greater than zero"), -E2BIG (above
 * MEMHP_VBALLOON_MAX_POLL_INTERVAL: "timer value is too big").
 */
MEMHP_API int memhp_vballoon_dev_set_poll_interval(struct memhp_vballoon_dev *dev, int64_t seconds);

/* Told whenever the guest writes a different "actual" (QEMU's BALLOON_CHANGE),
 * with the new logical size in bytes, from the guest's thread. */
typedef void (*memhp_vballoon_actual_fn)(struct memhp_vballoon_dev *dev, uint64_t logical_size,
					 void *priv);
struct memhp_vballoon_listener {
	memhp_vballoon_actual_fn fn;
	void *priv;
	struct memhp_vballoon_listener *next;
};
/* Returns 0 or -EINVAL. */
MEMHP_API int memhp_vballoon_dev_add_listener(struct memhp_vballoon_dev *dev,
					      struct memhp_vballoon_listener *l);
/* Once it returns, @l is not running and will not run again. */
MEMHP_API void memhp_vballoon_dev_remove_listener(struct memhp_vballoon_dev *dev,
						  struct memhp_vballoon_listener *l);

struct memhp_vballoon_dev_stats {
	unsigned long inflate_requests, deflate_requests;
	unsigned long inflated_pages, deflated_pages;
	unsigned long bad_pfns;	      /* pfns that were not present memory */
	unsigned long stats_received; /* buffers on the stats queue */
	unsigned long stats_polls;    /* buffers given back by the timer */
	unsigned long reports;	      /* reporting buffers */
	unsigned long reported_bytes; /* discarded from them */
	unsigned long config_changes; /* notifications sent */
	unsigned long config_writes;  /* writes of the guest */
};
MEMHP_API void memhp_vballoon_dev_stats_get(struct memhp_vballoon_dev *dev,
					    struct memhp_vballoon_dev_stats *st);

/* ---- The Linux 6.1 driver ------------------------------------------------------------ */

struct memhp_vballoon_drv_params {
	/* false: a worker thread runs queued work (system_freezable_wq);
	 * true: queued work waits for memhp_vballoon_drv_process(). */
	bool sync;
	/* init_on_free or page_poison=1 on the guest's command line: the
	 * driver keeps PAGE_POISON (and tells the device the value). */
	bool page_poisoning;
	/* N of the virtio device's name, "virtioN", in the kernel log. */
	unsigned int virtio_index;
};
MEMHP_API void memhp_vballoon_drv_params_init(struct memhp_vballoon_drv_params *p);

struct memhp_vballoon_drv;

/*
 * virtballoon_probe(): validate and accept the features, create the balloon
 * (compaction, its pages out of managed_pages unless DEFLATE_ON_OOM), give
 * the device the first stats buffer, register free page reporting when
 * negotiated, and queue a size update if the device already wants one.
 * Returns 0, -EBUSY (free page reporting is already registered on the
 * machine), -ENOSPC, -ENOMEM, or the device's refusal of the features.
 */
MEMHP_API int memhp_vballoon_drv_probe(struct memhp_machine *m, struct memhp_vballoon_dev *dev,
				       const struct memhp_vballoon_drv_params *params,
				       struct memhp_vballoon_drv **out);
/* virtballoon_remove(): stop the work, deflate everything (telling the
 * host), unregister. */
MEMHP_API void memhp_vballoon_drv_remove(struct memhp_vballoon_drv *drv);
/* Sync mode: run the queued work (size update, stats) until none is left,
 * or until a size update ran out of memory (it stays queued: Linux retries
 * 200 ms later, memhp at the next call). Returns how many items ran. */
MEMHP_API unsigned int memhp_vballoon_drv_process(struct memhp_vballoon_drv *drv);
/* Thread mode: wait until no work is queued or running. */
MEMHP_API void memhp_vballoon_drv_wait_idle(struct memhp_vballoon_drv *drv);
/* The balloon's pages (memhp/balloon.h: stats, the host's view). */
MEMHP_API struct memhp_balloon *memhp_vballoon_drv_balloon(struct memhp_vballoon_drv *drv);
/*
 * virtio_balloon_oom_notify(): with DEFLATE_ON_OOM, deflate up to 256 pages
 * and update "actual". memhp has no OOM killer: whoever models the OOM
 * calls this. Returns the pages freed, or -EOPNOTSUPP without the feature.
 */
MEMHP_API long memhp_vballoon_drv_oom_notify(struct memhp_vballoon_drv *drv);
/*
 * Free page reporting (mm/page_reporting.c) with this driver's report():
 * one pass over the zones now, as the delayed work does two seconds after
 * memory was freed. Returns the pages reported, or -EOPNOTSUPP (not
 * negotiated).
 */
MEMHP_API long memhp_vballoon_drv_report_free_pages(struct memhp_vballoon_drv *drv);

struct memhp_vballoon_drv_info {
	unsigned long num_pages; /* vb->num_pages */
	uint64_t features;	 /* negotiated */
	unsigned long size_updates, stats_updates, reports;
	unsigned long out_of_puff; /* fill_balloon()s that ran out of memory */
};
MEMHP_API void memhp_vballoon_drv_info(struct memhp_vballoon_drv *drv,
				       struct memhp_vballoon_drv_info *info);

#ifdef __cplusplus
}
#endif
#endif /* MEMHP_VIRTIO_BALLOON_H */
