// SPDX-License-Identifier: MIT
/*
 * sbuf.c - the growable byte buffer of sbuf.h.
 */
#include "sbuf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The first allocation: most files and messages fit. */
#define SBUF_MIN_CAP 64

void sbuf_init(struct sbuf *b)
{
	memset(b, 0, sizeof(*b));
}

void sbuf_free(struct sbuf *b)
{
	free(b->p);
	sbuf_init(b);
}

bool sbuf_reserve(struct sbuf *b, size_t more)
{
	size_t cap = b->cap ? b->cap : SBUF_MIN_CAP;
	char *p;

	if (b->oom)
		return false;
	if (more > SIZE_MAX - 1 - b->len) {
		b->oom = true;
		return false;
	}
	if (b->len + more + 1 <= b->cap)
		return true;
	/* Doubling keeps appends amortised O(1). */
	while (cap < b->len + more + 1) {
		if (cap > SIZE_MAX / 2) {
			cap = b->len + more + 1;
			break;
		}
		cap *= 2;
	}
	p = realloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

void sbuf_add(struct sbuf *b, const void *data, size_t len)
{
	if (!sbuf_reserve(b, len))
		return;
	if (len)
		memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
}

void sbuf_addc(struct sbuf *b, char c)
{
	sbuf_add(b, &c, 1);
}

void sbuf_adds(struct sbuf *b, const char *s)
{
	sbuf_add(b, s, strlen(s));
}

void sbuf_vaddf(struct sbuf *b, const char *fmt, va_list ap)
{
	size_t room = b->p && !b->oom ? b->cap - b->len : 0;
	va_list again;
	int n;

	/* Formatted once where it fits, which is almost always: procfs
	 * files are thousands of small appends. */
	va_copy(again, ap);
	n = vsnprintf(room ? b->p + b->len : NULL, room, fmt, ap);
	if (n >= 0 && (size_t)n >= room) {
		if (sbuf_reserve(b, (size_t)n))
			vsnprintf(b->p + b->len, (size_t)n + 1, fmt, again);
		else
			n = -1;
	}
	va_end(again);
	if (n >= 0)
		b->len += (size_t)n;
	else if (b->p)
		b->p[b->len] = '\0';
}

void sbuf_addf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sbuf_vaddf(b, fmt, ap);
	va_end(ap);
}
