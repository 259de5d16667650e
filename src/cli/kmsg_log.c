// SPDX-License-Identifier: MIT
/*
 * kmsg_log.c - "--log FILE" of memhp serve and memhp shell: the machine's
 * kernel log, every record as dmesg prints it ("[    1.234567] text"),
 * appended to FILE as it comes, so that someone outside can follow it with
 * tail -f and nothing else.
 *
 * A thread of its own follows the ring from its first record; a record it
 * fell too far behind to see (the ring went round) is gone, as it would be
 * for a slow reader of /dev/kmsg. Stopping drains what is there first, so
 * the file ends with the last line the machine printed.
 */
#include "kmsg_log.h"

#include <memhp/printk.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* "[%5lu.%06lu] " and four bytes for every byte escaped, and a newline. */
#define KMSG_LOG_LINE_MAX (32 + 4 * MEMHP_LOG_LINE_MAX + 1)
#define USEC_PER_SEC 1000000ULL

struct kmsg_log {
	struct memhp_machine *m;
	int fd;
	bool close_fd;
	struct memhp_printk_waiter *stop;
	pthread_t thread;
	struct memhp_printk_record rec;
	char line[KMSG_LOG_LINE_MAX];
};

/* dmesg's default line: the time since boot (here: since the machine was
 * created) and the text, one line per record; bytes a terminal would act
 * on are written \xNN, as dmesg escapes them. */
static size_t format_line(const struct memhp_printk_record *r, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = (size_t)sprintf(out, "[%5llu.%06llu] ",
				   (unsigned long long)(r->ts_usec / USEC_PER_SEC),
				   (unsigned long long)(r->ts_usec % USEC_PER_SEC));

	for (size_t i = 0; i < r->text_len; i++) {
		unsigned char c = (unsigned char)r->text[i];

		if (c < ' ' || c == 127) {
			out[n++] = '\\';
			out[n++] = 'x';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 0xf];
		} else {
			out[n++] = (char)c;
		}
	}
	out[n++] = '\n';
	return n;
}

static void write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* a full disk or a closed pipe loses the line */
		p += n;
		len -= (size_t)n;
	}
}

static void *follow(void *arg)
{
	struct kmsg_log *l = arg;
	uint64_t seq = memhp_printk_first_seq(l->m);

	for (;;) {
		if (memhp_printk_read(l->m, seq, &l->rec)) {
			/* Caught up: wait, unless stopping, which ends the
			 * wait once everything there is was written. */
			if (memhp_printk_wait(l->m, seq, l->stop))
				break;
			continue;
		}
		write_all(l->fd, l->line, format_line(&l->rec, l->line));
		seq = l->rec.seq + 1;
	}
	return NULL;
}

int kmsg_log_start(struct memhp_machine *m, const char *path, const char *prog,
		   struct kmsg_log **out)
{
	struct kmsg_log *l = calloc(1, sizeof(*l));
	int ret;

	*out = NULL;
	if (!l || !(l->stop = memhp_printk_waiter_new(m))) {
		free(l);
		fprintf(stderr, "%s: out of memory\n", prog);
		return -ENOMEM;
	}
	l->m = m;
	if (!strcmp(path, "-")) {
		l->fd = STDERR_FILENO;
	} else {
		l->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (l->fd < 0) {
			ret = -errno;
			fprintf(stderr, "%s: --log %s: %s\n", prog, path, strerror(errno));
			memhp_printk_waiter_free(l->stop);
			free(l);
			return ret;
		}
		l->close_fd = true;
	}
	ret = pthread_create(&l->thread, NULL, follow, l);
	if (ret) {
		fprintf(stderr, "%s: cannot start the log writer: %s\n", prog, strerror(ret));
		if (l->close_fd)
			close(l->fd);
		memhp_printk_waiter_free(l->stop);
		free(l);
		return -ret;
	}
	*out = l;
	return 0;
}

void kmsg_log_stop(struct kmsg_log *l)
{
	if (!l)
		return;
	memhp_printk_waiter_interrupt(l->stop);
	pthread_join(l->thread, NULL);
	if (l->close_fd)
		close(l->fd);
	memhp_printk_waiter_free(l->stop);
	free(l);
}
