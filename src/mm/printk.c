// SPDX-License-Identifier: MIT
/*
 * printk.c - the machine's kernel log (kernel/printk/printk.c,
 * printk_ringbuffer.c) and /dev/kmsg on top of it.
 *
 * One ring per machine. Records are numbered from 0; a descriptor per
 * record holds the metadata, the text sits in a data area of
 * MEMHP_LOG_BUF_LEN bytes that is used as a ring. Like the kernel's
 * printk_ringbuffer, a record takes a word of header plus its text rounded
 * up to a word, its text is never split at the end of the area, and a new
 * record pushes out the oldest ones until both its text and its descriptor
 * fit: log_first_seq moves on and readers that were further behind get
 * -EPIPE once.
 *
 * The kernel's ring is lockless so that printk works from any context.
 * memhp's printk is called with hotplug locks and zone->lock held but
 * never from a signal handler, so a mutex that is taken last of all (no
 * callback runs under it) is enough, and readers get a consistent copy.
 */
#include "internal.h"

#include <memhp/printk.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* What a record costs in the data area besides its text: the block's id
 * word (struct prb_data_block). */
#define LOG_BLOCK_HEADER sizeof(unsigned long)
#define LOG_ALIGN sizeof(unsigned long)
#define NSEC_PER_USEC 1000ULL
#define NSEC_PER_SEC 1000000000ULL

struct printk_desc {
	uint64_t seq;
	uint64_t ts_usec;
	uint64_t data_begin; /* where its block starts, as a position that only grows */
	uint16_t text_len;
	uint8_t facility;
	uint8_t level;
	uint8_t flags;
	char subsystem[MEMHP_LOG_SUBSYSTEM_LEN];
	char device[MEMHP_LOG_DEVICE_LEN];
};

struct printk_ring {
	/* Taken last: nothing else is locked and no callback runs under it. */
	struct mutex lock;
	pthread_cond_t log_wait; /* a record arrived, or a waiter was interrupted */
	uint64_t boot_ns;	 /* CLOCK_MONOTONIC when the machine was created */
	uint64_t first_seq;	 /* log_first_seq: the oldest record kept */
	uint64_t next_seq;	 /* the seq the next record gets */
	uint64_t clear_seq;	 /* the first after the last SYSLOG_ACTION_CLEAR */
	uint64_t data_head;	 /* the end of the newest block */
	struct printk_desc descs[MEMHP_LOG_DESCS];
	char data[MEMHP_LOG_BUF_LEN];
};

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* Returns 0 or -ENOMEM. */
int printk_init(struct memhp_machine *m)
{
	struct printk_ring *rb = calloc(1, sizeof(*rb));

	if (!rb)
		return -ENOMEM;
	mutex_init(&rb->lock, LOCK_RANK_PRINTK);
	pthread_cond_init(&rb->log_wait, NULL);
	rb->boot_ns = monotonic_ns();
	m->printk = rb;
	return 0;
}

void printk_destroy(struct memhp_machine *m)
{
	struct printk_ring *rb = m->printk;

	if (!rb)
		return;
	pthread_cond_destroy(&rb->log_wait);
	pthread_mutex_destroy(&rb->lock);
	free(rb);
	m->printk = NULL;
}

static struct printk_desc *desc_of(struct printk_ring *rb, uint64_t seq)
{
	return &rb->descs[seq % MEMHP_LOG_DESCS];
}

static uint64_t block_size(size_t text_len)
{
	return ALIGN_UP(LOG_BLOCK_HEADER + text_len, LOG_ALIGN);
}

/*
 * Store one record; @text is already formatted, cut and stripped. A text
 * is never split at the end of the data area: if it would be, its block
 * starts at the beginning instead and the tail is wasted, as in the
 * kernel's data ring.
 */
static void log_store(struct memhp_machine *m, int facility, int level, const char *subsystem,
		      const char *device, const char *text, size_t text_len)
{
	struct printk_ring *rb = m->printk;
	uint64_t size = block_size(text_len), begin;
	struct printk_desc *d;

	pthread_mutex_lock(&rb->lock);
	begin = rb->data_head;
	if (begin % MEMHP_LOG_BUF_LEN + size > MEMHP_LOG_BUF_LEN)
		begin = ALIGN_UP(begin, (uint64_t)MEMHP_LOG_BUF_LEN);
	/* Push out the oldest records until the block and a descriptor are
	 * free. */
	while (rb->first_seq < rb->next_seq &&
	       (begin + size - desc_of(rb, rb->first_seq)->data_begin > MEMHP_LOG_BUF_LEN ||
		rb->next_seq - rb->first_seq >= MEMHP_LOG_DESCS))
		rb->first_seq++;
	d = desc_of(rb, rb->next_seq);
	d->seq = rb->next_seq;
	d->ts_usec = (monotonic_ns() - rb->boot_ns) / NSEC_PER_USEC;
	d->data_begin = begin;
	d->text_len = (uint16_t)text_len;
	d->facility = (uint8_t)facility;
	d->level = (uint8_t)level;
	d->flags = MEMHP_LOG_NEWLINE;
	snprintf(d->subsystem, sizeof(d->subsystem), "%s", subsystem ? subsystem : "");
	snprintf(d->device, sizeof(d->device), "%s", device ? device : "");
	memcpy(rb->data + begin % MEMHP_LOG_BUF_LEN, text, text_len);
	rb->data_head = begin + size;
	rb->next_seq++;
	/* wake_up_klogd(): readers blocked in devkmsg_read and poll. */
	pthread_cond_broadcast(&rb->log_wait);
	pthread_mutex_unlock(&rb->lock);
}

/* printk_sprint(): format into @text of @size bytes, cut to fit, and drop
 * one trailing newline. Returns the length. */
static size_t log_sprint(char *text, size_t size, const char *fmt, va_list ap)
{
	int n = vsnprintf(text, size, fmt, ap);
	size_t len = n < 0 ? 0 : MIN((size_t)n, size - 1);

	if (len && text[len - 1] == '\n')
		len--;
	text[len] = '\0';
	return len;
}

static int log_level(int level)
{
	return level == MEMHP_LOGLEVEL_DEFAULT ? MEMHP_MESSAGE_LOGLEVEL_DEFAULT : level;
}

static bool level_valid(int level)
{
	return level == MEMHP_LOGLEVEL_DEFAULT ||
	       (level >= MEMHP_KERN_EMERG && level <= MEMHP_KERN_DEBUG);
}

int memhp_vprintk(struct memhp_machine *m, int level, const char *fmt, va_list ap)
{
	char text[MEMHP_LOG_LINE_MAX];
	size_t len;

	if (!level_valid(level))
		return -EINVAL;
	len = log_sprint(text, sizeof(text), fmt, ap);
	log_store(m, MEMHP_LOG_KERN, log_level(level), NULL, NULL, text, len);
	return (int)len;
}

int memhp_printk(struct memhp_machine *m, int level, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = memhp_vprintk(m, level, fmt, ap);
	va_end(ap);
	return ret;
}

int memhp_dev_printk(struct memhp_machine *m, int level, const char *driver, const char *subsystem,
		     const char *name, const char *fmt, ...)
{
	char text[MEMHP_LOG_LINE_MAX], device[MEMHP_LOG_DEVICE_LEN];
	int prefix;
	size_t len;
	va_list ap;

	if (!level_valid(level))
		return -EINVAL;
	/* dev_printk_emit(): "driver name: " before the text, and the
	 * device's subsystem and "+subsystem:name" (a device without a
	 * dev_t) in the dictionary. */
	prefix = snprintf(text, sizeof(text), "%s %s: ", driver, name);
	prefix = prefix < 0 ? 0 : MIN(prefix, MEMHP_LOG_LINE_MAX - 1);
	va_start(ap, fmt);
	len = (size_t)prefix + log_sprint(text + prefix, sizeof(text) - (size_t)prefix, fmt, ap);
	va_end(ap);
	snprintf(device, sizeof(device), "+%s:%s", subsystem, name);
	log_store(m, MEMHP_LOG_KERN, log_level(level), subsystem, device, text, len);
	return (int)len;
}

static void vlog(struct memhp_machine *m, int level, const struct memhp_ev_finding *finding,
		 const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));
static void vlog(struct memhp_machine *m, int level, const struct memhp_ev_finding *finding,
		 const char *fmt, va_list ap)
{
	char text[MEMHP_LOG_LINE_MAX];
	int n = vsnprintf(text, sizeof(text), fmt, ap);
	size_t raw = n < 0 ? 0 : MIN((size_t)n, sizeof(text) - 1), len = raw;

	if (len && text[len - 1] == '\n')
		len--;
	log_store(m, MEMHP_LOG_KERN, level, NULL, NULL, text, len);
	if (!mhp_event_enabled(m, MEMHP_TP_PRINTK))
		return;
	/* Timelines see the line as they always have: as formatted, cut at
	 * MHP_LOG_LINE_MAX. */
	if (raw >= MHP_LOG_LINE_MAX)
		text[MHP_LOG_LINE_MAX - 1] = '\0';
	mhp_emit(m, MEMHP_TP_PRINTK, printk, .level = level, .text = text, .finding = finding);
}

void mhp_vlog(struct memhp_machine *m, int level, const char *fmt, va_list ap)
{
	vlog(m, level, NULL, fmt, ap);
}

void mhp_log(struct memhp_machine *m, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(m, level, NULL, fmt, ap);
	va_end(ap);
}

void mhp_log_finding(struct memhp_machine *m, const struct memhp_ev_finding *finding,
		     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(m, KERN_ERR, finding, fmt, ap);
	va_end(ap);
}

uint64_t memhp_printk_first_seq(struct memhp_machine *m)
{
	struct printk_ring *rb = m->printk;
	uint64_t seq;

	pthread_mutex_lock(&rb->lock);
	seq = rb->first_seq;
	pthread_mutex_unlock(&rb->lock);
	return seq;
}

uint64_t memhp_printk_next_seq(struct memhp_machine *m)
{
	struct printk_ring *rb = m->printk;
	uint64_t seq;

	pthread_mutex_lock(&rb->lock);
	seq = rb->next_seq;
	pthread_mutex_unlock(&rb->lock);
	return seq;
}

void memhp_printk_clear(struct memhp_machine *m)
{
	struct printk_ring *rb = m->printk;

	pthread_mutex_lock(&rb->lock);
	rb->clear_seq = rb->next_seq;
	pthread_mutex_unlock(&rb->lock);
}

/* prb_read_valid(): the seq of the oldest record at or after @seq, under
 * rb->lock. false when there is none yet. */
static bool read_valid_seq(struct printk_ring *rb, uint64_t seq, uint64_t *found)
{
	if (seq >= rb->next_seq)
		return false;
	*found = MAX(seq, rb->first_seq);
	return true;
}

int memhp_printk_read(struct memhp_machine *m, uint64_t seq, struct memhp_printk_record *r)
{
	struct printk_ring *rb = m->printk;
	const struct printk_desc *d;
	uint64_t found;

	pthread_mutex_lock(&rb->lock);
	if (!read_valid_seq(rb, seq, &found)) {
		pthread_mutex_unlock(&rb->lock);
		return -EAGAIN;
	}
	d = desc_of(rb, found);
	r->seq = d->seq;
	r->ts_usec = d->ts_usec;
	r->facility = d->facility;
	r->level = d->level;
	r->flags = d->flags;
	r->text_len = d->text_len;
	memcpy(r->text, rb->data + d->data_begin % MEMHP_LOG_BUF_LEN, d->text_len);
	r->text[d->text_len] = '\0';
	memcpy(r->subsystem, d->subsystem, sizeof(r->subsystem));
	memcpy(r->device, d->device, sizeof(r->device));
	pthread_mutex_unlock(&rb->lock);
	return 0;
}

/* ---- Waiting ------------------------------------------------------------------------- */

struct memhp_printk_waiter {
	struct memhp_machine *m;
	_Atomic bool interrupted;
};

struct memhp_printk_waiter *memhp_printk_waiter_new(struct memhp_machine *m)
{
	struct memhp_printk_waiter *w = calloc(1, sizeof(*w));

	if (w)
		w->m = m;
	return w;
}

void memhp_printk_waiter_free(struct memhp_printk_waiter *w)
{
	free(w);
}

void memhp_printk_waiter_interrupt(struct memhp_printk_waiter *w)
{
	struct printk_ring *rb = w->m->printk;

	/* The flag first, the wake-up under the lock: a waiter either sees
	 * the flag before it sleeps or is asleep when the broadcast comes. */
	atomic_store(&w->interrupted, true);
	pthread_mutex_lock(&rb->lock);
	pthread_cond_broadcast(&rb->log_wait);
	pthread_mutex_unlock(&rb->lock);
}

/* Returns 0 once a record at @seq or later exists, or -EINTR. */
int memhp_printk_wait(struct memhp_machine *m, uint64_t seq, struct memhp_printk_waiter *w)
{
	struct printk_ring *rb = m->printk;
	int ret = 0;

	pthread_mutex_lock(&rb->lock);
	while (seq >= rb->next_seq) {
		if (w && atomic_load(&w->interrupted)) {
			ret = -EINTR;
			break;
		}
		pthread_cond_wait(&rb->log_wait, &rb->lock);
	}
	pthread_mutex_unlock(&rb->lock);
	return ret;
}

/* ---- /dev/kmsg ------------------------------------------------------------------------- */

/* Appends to a buffer of @size bytes and counts what did not fit. */
struct out {
	char *p;
	size_t size, len;
};

static void out_char(struct out *o, char c)
{
	if (o->len < o->size)
		o->p[o->len] = c;
	o->len++;
}

static void out_str(struct out *o, const char *s)
{
	while (*s)
		out_char(o, *s++);
}

/* msg_add_ext_text(): what a terminal or a parser could trip over is
 * written \xNN, the backslash too so the escape stays unambiguous. */
static void out_escaped(struct out *o, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < ' ' || c >= 127 || c == '\\') {
			out_str(o, "\\x");
			out_char(o, hex[c >> 4]);
			out_char(o, hex[c & 0xf]);
		} else {
			out_char(o, (char)c);
		}
	}
}

static void out_dict(struct out *o, const char *key, const char *val)
{
	if (!*val)
		return;
	out_char(o, ' ');
	out_str(o, key);
	out_char(o, '=');
	out_escaped(o, val, strlen(val));
	out_char(o, '\n');
}

size_t memhp_kmsg_format(const struct memhp_printk_record *r, char *buf, size_t size)
{
	/* info_print_ext_header(): a prefix, seq and time, the flags. */
	char head[64];
	struct out o = { buf, size, 0 };

	snprintf(head, sizeof(head), "%u,%llu,%llu,%c;", (unsigned)(r->facility << 3 | r->level),
		 (unsigned long long)r->seq, (unsigned long long)r->ts_usec,
		 r->flags & MEMHP_LOG_CONT ? 'c' : '-');
	out_str(&o, head);
	out_escaped(&o, r->text, r->text_len);
	out_char(&o, '\n');
	out_dict(&o, "SUBSYSTEM", r->subsystem);
	out_dict(&o, "DEVICE", r->device);
	return o.len;
}

struct memhp_kmsg {
	struct memhp_machine *m;
	/* user->lock: one reader of this file at a time, while it takes a
	 * record; not held while waiting for one. */
	struct mutex lock;
	uint64_t seq; /* the next record to read, under lock */
	struct memhp_printk_record rec;
	char buf[MEMHP_KMSG_RECORD_MAX];
};

int memhp_kmsg_open(struct memhp_machine *m, struct memhp_kmsg **out)
{
	struct memhp_kmsg *k = calloc(1, sizeof(*k));

	*out = NULL;
	if (!k)
		return -ENOMEM;
	k->m = m;
	mutex_init(&k->lock, LOCK_RANK_KMSG_USER);
	k->seq = memhp_printk_first_seq(m);
	*out = k;
	return 0;
}

void memhp_kmsg_close(struct memhp_kmsg *k)
{
	if (!k)
		return;
	pthread_mutex_destroy(&k->lock);
	free(k);
}

ssize_t memhp_kmsg_read(struct memhp_kmsg *k, char *buf, size_t count, bool nonblock,
			struct memhp_printk_waiter *w)
{
	size_t len;
	uint64_t seq;
	int ret;

	for (;;) {
		pthread_mutex_lock(&k->lock);
		seq = k->seq;
		if (!memhp_printk_read(k->m, seq, &k->rec))
			break;
		pthread_mutex_unlock(&k->lock);
		if (nonblock)
			return -EAGAIN;
		ret = memhp_printk_wait(k->m, seq, w);
		if (ret)
			return ret;
	}
	if (k->rec.seq != seq) {
		/* What this reader was due to see is gone: say so once, and go
		 * on from the oldest record there is. */
		k->seq = k->rec.seq;
		pthread_mutex_unlock(&k->lock);
		return -EPIPE;
	}
	len = memhp_kmsg_format(&k->rec, k->buf, sizeof(k->buf));
	k->seq = seq + 1;
	if (len > count || len > sizeof(k->buf)) {
		pthread_mutex_unlock(&k->lock);
		return -EINVAL;
	}
	memcpy(buf, k->buf, len);
	pthread_mutex_unlock(&k->lock);
	return (ssize_t)len;
}

int memhp_kmsg_llseek(struct memhp_kmsg *k, int64_t offset, int whence)
{
	struct printk_ring *rb = k->m->printk;
	uint64_t seq;

	if (offset)
		return -ESPIPE;
	pthread_mutex_lock(&rb->lock);
	switch (whence) {
	case SEEK_SET:
		seq = rb->first_seq;
		break;
	case SEEK_DATA:
		seq = rb->clear_seq;
		break;
	case SEEK_END:
		seq = rb->next_seq;
		break;
	default:
		pthread_mutex_unlock(&rb->lock);
		return -EINVAL;
	}
	pthread_mutex_unlock(&rb->lock);
	pthread_mutex_lock(&k->lock);
	k->seq = seq;
	pthread_mutex_unlock(&k->lock);
	return 0;
}

unsigned int memhp_kmsg_poll(struct memhp_kmsg *k)
{
	struct printk_ring *rb = k->m->printk;
	unsigned int ret = 0;
	uint64_t seq, found;

	pthread_mutex_lock(&k->lock);
	seq = k->seq;
	pthread_mutex_unlock(&k->lock);
	pthread_mutex_lock(&rb->lock);
	if (read_valid_seq(rb, seq, &found))
		ret = found != seq ? POLLIN | POLLRDNORM | POLLERR | POLLPRI : POLLIN | POLLRDNORM;
	pthread_mutex_unlock(&rb->lock);
	return ret;
}

/* LOG_LEVEL() and LOG_FACILITY() of a syslog prefix. */
#define SYSLOG_LEVEL(v) ((v)&7)
#define SYSLOG_FACILITY(v) ((v) >> 3 & 0xff)

ssize_t memhp_kmsg_write(struct memhp_machine *m, const char *buf, size_t len)
{
	char line[MEMHP_LOG_LINE_MAX + 1];
	int level = MEMHP_MESSAGE_LOGLEVEL_DEFAULT, facility = MEMHP_LOG_USER;
	const char *text = line;
	size_t text_len;

	if (len > MEMHP_LOG_LINE_MAX)
		return -EINVAL;
	memcpy(line, buf, len);
	line[len] = '\0';
	if (line[0] == '<') {
		/* simple_strtoul(): decimal digits only, no sign or space; "<>"
		 * is a prefix of 0. */
		const char *p = line + 1;
		unsigned int u = 0;

		while (*p >= '0' && *p <= '9')
			u = u * 10 + (unsigned int)(*p++ - '0');
		if (*p == '>') {
			level = (int)SYSLOG_LEVEL(u);
			if (SYSLOG_FACILITY(u))
				facility = (int)SYSLOG_FACILITY(u);
			text = p + 1;
		}
	}
	/* vprintk_emit("%s"): up to the NUL, cut to the line, and without
	 * its newline. */
	text_len = MIN(strlen(text), (size_t)MEMHP_LOG_LINE_MAX - 1);
	if (text_len && text[text_len - 1] == '\n')
		text_len--;
	log_store(m, facility, level, NULL, NULL, text, text_len);
	return (ssize_t)len;
}
