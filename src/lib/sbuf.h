/* SPDX-License-Identifier: MIT */
/*
 * src/lib/sbuf.h - a growable, NUL-terminated byte buffer.
 *
 * The one buffer in memhp that text is built in when its length is not
 * known in advance: the file tree renders procfs and sysfs files into it,
 * the QMP monitor its messages. An append that cannot get memory sets
 * @oom and drops that and every later append, so a caller builds the whole
 * text and checks once at the end.
 *
 * Internal to memhp (not part of the public API): the library's files and
 * the program's (src/qmp, src/cli) include it.
 */
#ifndef MEMHP_LIB_SBUF_H
#define MEMHP_LIB_SBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* Zero-initialised is empty (p may be NULL while nothing was added). */
struct sbuf {
	char *p;
	size_t len; /* bytes in p, not counting the NUL after them */
	size_t cap; /* bytes allocated at p */
	bool oom;   /* an append failed: the content is incomplete */
};

void sbuf_init(struct sbuf *b);
/* Frees the bytes and leaves @b empty, ready for reuse. */
void sbuf_free(struct sbuf *b);
/* Room for @more bytes and a NUL after the content. Return: true, or false
 * (and @oom set) if memory ran out or the size would overflow. */
bool sbuf_reserve(struct sbuf *b, size_t more);
void sbuf_add(struct sbuf *b, const void *data, size_t len);
void sbuf_addc(struct sbuf *b, char c);
void sbuf_adds(struct sbuf *b, const char *s);
void sbuf_addf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sbuf_vaddf(struct sbuf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

#endif
