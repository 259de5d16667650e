/* SPDX-License-Identifier: MIT */
/*
 * qmp_lines.h - what the QMP fuzzers check of everything a session writes
 * (included by fuzz_qmp.c and fuzz_qmp_resize.c, each one translation
 * unit): every line is one CRLF-terminated JSON object that jansson
 * parses: the greeting, {"return": ...} or {"error": {"class", "desc"}}
 * (with "id" at most), or an event; the only exception is QEMU's own
 * quirk of printing a non-finite number in an echoed "id" as inf.
 * Define FUZZ_NAME before including it; on_write() is the session's
 * writer.
 */
#ifndef MEMHP_FUZZ_QMP_LINES_H
#define MEMHP_FUZZ_QMP_LINES_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the session wrote, split into lines as they complete. */
static char out[1 << 20];
static size_t out_len;

static void die(const char *what, const char *line)
{
	fprintf(stderr, FUZZ_NAME ": %s: %s\n", what, line);
	abort();
}

static void check_line(const char *line, size_t len)
{
	json_error_t e;
	json_t *v;

	if (len < 2 || line[len - 2] != '\r')
		die("line without CRLF", line);
	/* Integers beyond int64 (QEMU echoes them) need reals. */
	v = json_loadb(line, len - 2, JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL, &e);
	if (!v) {
		/* QEMU prints an overflowed double as inf (an echoed id can
		 * hold one): read it as 0 and look again. */
		char *copy = strndup(line, len - 2);
		bool in_string = false;

		for (size_t i = 0; copy && copy[i]; i++) {
			if (copy[i] == '"' && (i == 0 || copy[i - 1] != '\\' || in_string == false))
				in_string = !in_string;
			if (!in_string && !strncmp(copy + i, "inf", 3) && i &&
			    strchr(":[, -", copy[i - 1]) && strchr(",]} ", copy[i + 3])) {
				memcpy(copy + i, "0  ", 3);
				if (copy[i - 1] == '-')
					copy[i - 1] = ' ';
			}
		}
		v = copy ? json_loads(copy, JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL, &e) : NULL;
		free(copy);
		if (!v)
			die("reply is not JSON", line);
	}
	if (!json_object_get(v, "return") && !json_object_get(v, "QMP") &&
	    !json_object_get(v, "event")) {
		json_t *err = json_object_get(v, "error");

		if (!json_is_string(json_object_get(err, "class")) ||
		    !json_is_string(json_object_get(err, "desc")))
			die("neither a reply nor an event", line);
	}
	json_decref(v);
}

static void on_write(void *priv, const char *buf, size_t len)
{
	char *nl;

	if (out_len + len >= sizeof(out))
		die("too much output", "");
	memcpy(out + out_len, buf, len);
	out_len += len;
	out[out_len] = '\0';
	while ((nl = memchr(out, '\n', out_len))) {
		size_t n = (size_t)(nl - out) + 1;
		char c = out[n];

		out[n] = '\0';
		check_line(out, n);
		out[n] = c;
		memmove(out, out + n, out_len - n);
		out_len -= n;
	}
}

#endif
