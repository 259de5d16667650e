/* SPDX-License-Identifier: MIT */
/*
 * memhp/printk.h - a machine's kernel log: the printk ring and /dev/kmsg.
 *
 * Every machine has a log of its own, as a guest kernel has: what its mm
 * core prints (with 6.1's wording and log level), what drivers and devices
 * print through memhp_printk(), what memhp's checker finds (at KERN_ERR,
 * each line starting "memhp: "), and what user space writes to /dev/kmsg.
 * Records carry a sequence number, a timestamp in microseconds since the
 * machine was created (monotonic clock), a level and a facility. The ring
 * is bounded like the kernel's default log buffer: when a new record does
 * not fit, the oldest go, and the first sequence number still available
 * moves on.
 *
 * memhp_kmsg_* give an open /dev/kmsg the semantics of 6.1's devkmsg_read,
 * devkmsg_llseek, devkmsg_poll and devkmsg_write (kernel/printk/printk.c),
 * for front ends that serve the file (memhp shell) and for tests.
 *
 * All calls are thread-safe.
 */
#ifndef MEMHP_PRINTK_H
#define MEMHP_PRINTK_H

#include <memhp/machine.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Log levels, as the kernel numbers its KERN_* prefixes. */
#define MEMHP_KERN_EMERG 0
#define MEMHP_KERN_ALERT 1
#define MEMHP_KERN_CRIT 2
#define MEMHP_KERN_ERR 3
#define MEMHP_KERN_WARNING 4
#define MEMHP_KERN_NOTICE 5
#define MEMHP_KERN_INFO 6
#define MEMHP_KERN_DEBUG 7
/* No level given: default_message_loglevel (CONFIG_MESSAGE_LOGLEVEL_DEFAULT,
 * KERN_WARNING) is used, as for a printk() without a KERN_* prefix. */
#define MEMHP_LOGLEVEL_DEFAULT (-1)
#define MEMHP_MESSAGE_LOGLEVEL_DEFAULT MEMHP_KERN_WARNING

/* Facilities (syslog's LOG_KERN and LOG_USER, shifted down by 3). */
#define MEMHP_LOG_KERN 0
#define MEMHP_LOG_USER 1

/* The ring: Debian's 6.1 has CONFIG_LOG_BUF_SHIFT=17, a 128 KiB buffer of
 * text, and one descriptor per 32 bytes of it (PRB_AVGBITS): whichever runs
 * out first makes the oldest records go. */
#define MEMHP_LOG_BUF_SHIFT 17
#define MEMHP_LOG_BUF_LEN (1UL << MEMHP_LOG_BUF_SHIFT)
#define MEMHP_LOG_AVGBITS 5
#define MEMHP_LOG_DESCS (MEMHP_LOG_BUF_LEN >> MEMHP_LOG_AVGBITS)
/* The text of one record is cut to less than this (LOG_LINE_MAX: 1024 bytes
 * of a console line less a 32-byte prefix); a /dev/kmsg write longer than
 * this is refused. */
#define MEMHP_LOG_LINE_MAX 992
/* dev_printk()'s dictionary: SUBSYSTEM= and DEVICE= values, NUL included. */
#define MEMHP_LOG_SUBSYSTEM_LEN 16
#define MEMHP_LOG_DEVICE_LEN 48
/* The longest /dev/kmsg record (CONSOLE_EXT_LOG_MAX): a buffer this big
 * always takes one. */
#define MEMHP_KMSG_RECORD_MAX 8192

/* Record flags (enum printk_info_flags). memhp never continues a record,
 * so LOG_CONT (shown as 'c' in /dev/kmsg) never appears. */
#define MEMHP_LOG_NEWLINE 0x2
#define MEMHP_LOG_CONT 0x8

struct memhp_printk_record {
	uint64_t seq;
	uint64_t ts_usec; /* since the machine was created */
	uint8_t facility;
	uint8_t level;
	uint8_t flags;
	uint16_t text_len;
	char text[MEMHP_LOG_LINE_MAX]; /* NUL-terminated at text_len */
	/* dev_printk()'s: empty for other records. */
	char subsystem[MEMHP_LOG_SUBSYSTEM_LEN];
	char device[MEMHP_LOG_DEVICE_LEN];
};

/*
 * printk(): store one record from the kernel (facility 0). @level is one
 * of MEMHP_KERN_* or MEMHP_LOGLEVEL_DEFAULT. One trailing newline is
 * dropped, as printk drops it; text beyond MEMHP_LOG_LINE_MAX - 1 bytes is
 * cut. The record only goes to the ring: timelines and tracers do not see
 * it. Returns the length of the text stored, or -EINVAL for a level out
 * of range.
 */
MEMHP_API int memhp_printk(struct memhp_machine *m, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
MEMHP_API int memhp_vprintk(struct memhp_machine *m, int level, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/*
 * dev_printk(): as memhp_printk(), for a device: the text is prefixed with
 * "@driver @name: " ("virtio_mem virtio0: ") and the record carries the
 * SUBSYSTEM=@subsystem and DEVICE=+@subsystem:@name dictionary that
 * /dev/kmsg shows on continuation lines (journald reads them). Returns
 * what memhp_printk() returns.
 */
MEMHP_API int memhp_dev_printk(struct memhp_machine *m, int level, const char *driver,
			       const char *subsystem, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* The first record still in the ring, and the one the next printk gets
 * (prb_first_valid_seq(), prb_next_seq()); equal when the ring is empty. */
MEMHP_API uint64_t memhp_printk_first_seq(struct memhp_machine *m);
MEMHP_API uint64_t memhp_printk_next_seq(struct memhp_machine *m);

/*
 * Copy out the oldest record whose sequence number is @seq or later
 * (prb_read_valid()): 0, with r->seq > @seq when the records from @seq on
 * were overwritten; -EAGAIN when there is none yet.
 */
MEMHP_API int memhp_printk_read(struct memhp_machine *m, uint64_t seq,
				struct memhp_printk_record *r);

/*
 * syslog(SYSLOG_ACTION_CLEAR), as "dmesg -C" issues it: nothing is
 * deleted; readers that seek with SEEK_DATA start after the records there
 * are now.
 */
MEMHP_API void memhp_printk_clear(struct memhp_machine *m);

/*
 * A wait for the log that another thread may cut short, as a signal cuts
 * short wait_event_interruptible(log_wait). A file system daemon makes one
 * per read request and interrupts it when the kernel sends an interrupt
 * for the request. An interrupt is final: this and every later wait with
 * @w return -EINTR.
 */
struct memhp_printk_waiter;
/* A waiter for @m's log (free it before the machine); NULL when out of
 * memory. */
MEMHP_API struct memhp_printk_waiter *memhp_printk_waiter_new(struct memhp_machine *m);
MEMHP_API void memhp_printk_waiter_free(struct memhp_printk_waiter *w);
/* May come before, during or after the wait it ends; not from a signal
 * handler (it takes a lock to wake the waiter). */
MEMHP_API void memhp_printk_waiter_interrupt(struct memhp_printk_waiter *w);

/*
 * Sleep until a record with sequence number @seq or later exists. Returns
 * 0, or -EINTR when @w (a waiter for @m) is interrupted; a NULL @w waits
 * uninterruptibly.
 */
MEMHP_API int memhp_printk_wait(struct memhp_machine *m, uint64_t seq,
				struct memhp_printk_waiter *w);

/*
 * One record as /dev/kmsg shows it: "PREFIX,SEQ,TS_USEC,FLAGS;TEXT\n"
 * (PREFIX = facility << 3 | level, FLAGS '-' or 'c'), every byte below a
 * space, from 127 up and the backslash written as \xNN, then the
 * " SUBSYSTEM=..." and " DEVICE=..." lines of a device's record. Stores
 * at most @size bytes (no NUL) and returns the whole length, so a return
 * above @size means the buffer was too small.
 */
MEMHP_API size_t memhp_kmsg_format(const struct memhp_printk_record *r, char *buf, size_t size);

/* ---- /dev/kmsg --------------------------------------------------------------- */

/* An open /dev/kmsg with its own position (struct devkmsg_user). */
struct memhp_kmsg;

/* devkmsg_open(): the position is the first record in the ring. Returns 0
 * or -ENOMEM. */
MEMHP_API int memhp_kmsg_open(struct memhp_machine *m, struct memhp_kmsg **out);
MEMHP_API void memhp_kmsg_close(struct memhp_kmsg *k);

/*
 * devkmsg_read(): one record per call, formatted by memhp_kmsg_format().
 * Returns its length, or
 *   -EINVAL  @count is too small for the record (the record is skipped,
 *            as the kernel skips it),
 *   -EPIPE   the record at the position was overwritten: the position
 *            moves to the first record still there, which the next read
 *            returns,
 *   -EAGAIN  nothing new and @nonblock,
 *   -EINTR   nothing new and @w was interrupted while waiting (a NULL @w
 *            waits uninterruptibly).
 */
MEMHP_API ssize_t memhp_kmsg_read(struct memhp_kmsg *k, char *buf, size_t count, bool nonblock,
				  struct memhp_printk_waiter *w);

/*
 * devkmsg_llseek() with @offset 0: SEEK_SET to the first record in the
 * ring, SEEK_DATA to the first after the last memhp_printk_clear(),
 * SEEK_END after the last. Returns 0, -ESPIPE (@offset is not 0) or
 * -EINVAL (another @whence).
 */
MEMHP_API int memhp_kmsg_llseek(struct memhp_kmsg *k, int64_t offset, int whence);

/*
 * devkmsg_poll(): POLLIN | POLLRDNORM when a read would return a record,
 * with POLLERR | POLLPRI as well when it would return -EPIPE; 0 when it
 * would wait.
 */
MEMHP_API unsigned int memhp_kmsg_poll(struct memhp_kmsg *k);

/*
 * devkmsg_write(): one record from user space. A leading "<N>" sets the
 * level (N & 7) and, if N >> 3 is not 0, the facility; otherwise the
 * level is default_message_loglevel and the facility LOG_USER, so user
 * records can never pass for the kernel's. The text stops at a NUL; a
 * trailing newline is dropped. Returns @len, or -EINVAL when @len is above
 * MEMHP_LOG_LINE_MAX. memhp does not rate-limit writers (as with
 * printk.devkmsg=on).
 */
MEMHP_API ssize_t memhp_kmsg_write(struct memhp_machine *m, const char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif /* MEMHP_PRINTK_H */
