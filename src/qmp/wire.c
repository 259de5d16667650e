// SPDX-License-Identifier: MIT
/*
 * wire.c - JSON as QEMU's monitor reads and writes it.
 *
 * jansson parses every message and holds every value. What jansson cannot
 * know is where a message ends in a byte stream, which errors QEMU reports
 * and how QEMU formats its replies, and all three are visible on the wire:
 *
 * - Framing. QEMU's lexer (qobject/json-lexer.c) cuts the stream into
 *   tokens, its streamer (json-streamer.c) counts braces and brackets and
 *   hands a message to the parser when they balance or one goes negative.
 *   A byte the lexer rejects is answered at once ("stray") and the lexer
 *   skips ahead to a likely resynchronisation point. The state machine
 *   below behaves the same way, byte for byte (a number ends only when
 *   the next byte arrives, as in QEMU).
 * - Errors. A message's tokens are re-emitted as canonical JSON for
 *   jansson (single-quoted strings and \' escapes, QEMU extensions, become
 *   plain JSON); strings are checked with QEMU's rules (modified UTF-8,
 *   noncharacters refused); jansson's first error is translated to the one
 *   QEMU's recursive-descent parser reports at the same token.
 * - Writing. QEMU prints a QDict in hash-bucket order, escapes all
 *   non-ASCII, prints doubles with "%.17g" and integers up to UINT64_MAX;
 *   jansson's dumper does none of these, so qmp_write_json() walks the
 *   json_t tree itself.
 */
#include "qmp_int.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Modified UTF-8, as QEMU's util/unicode.c defines it ----------------------- */

/* Neither a noncharacter, a surrogate nor beyond Unicode. */
static bool valid_codepoint(long cp)
{
	if (cp < 0 || cp > 0x10FFFF)
		return false;
	if ((cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE)
		return false;
	return !(cp >= 0xD800 && cp <= 0xDFFF);
}

/*
 * Decode one character of @s (@n bytes; bytes past the end count as 0) the
 * way mod_utf8_codepoint() does: the code point, or -1 for an invalid
 * sequence. *@used is how far QEMU moves on: 1 for a stray or impossible
 * byte, the lead byte and the continuation bytes present for a truncated
 * sequence, the whole sequence otherwise. "\xC0\x80" is U+0000.
 */
static long mutf8_decode(const uint8_t *s, size_t n, size_t *used)
{
	static const long min_cp[5] = { 0x80, 0x800, 0x10000, 0x200000, 0x4000000 };
	unsigned int lead = s[0], len = 0, i;
	long cp;

	*used = 1;
	if (lead < 0x80)
		return lead;
	if (lead >= 0xFE || !(lead & 0x40))
		return -1;
	for (unsigned int mask = 0x80; lead & mask; mask >>= 1)
		len++;
	cp = lead & ((0x80u >> len) - 1);
	for (i = 1; i < len; i++) {
		unsigned int c = i < n ? s[i] : 0;

		if ((c & 0xC0) != 0x80) {
			*used = i;
			return -1;
		}
		cp = cp << 6 | (c & 0x3F);
	}
	*used = len;
	if (cp < min_cp[len - 2]) {
		/* Overlong; only U+0000's two-byte form is allowed. */
		return len == 2 && cp == 0 ? 0 : -1;
	}
	return valid_codepoint(cp) ? cp : -1;
}

static void utf8_put(struct sbuf *b, long cp)
{
	uint8_t u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (uint8_t)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (uint8_t)(0xC0 | cp >> 6);
		u[1] = (uint8_t)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (uint8_t)(0xE0 | cp >> 12);
		u[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
		u[2] = (uint8_t)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (uint8_t)(0xF0 | cp >> 18);
		u[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
		u[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
		u[3] = (uint8_t)(0x80 | (cp & 0x3F));
		n = 4;
	}
	sbuf_add(b, u, n);
}

/* ---- Writing ------------------------------------------------------------------- */

/* QEMU's json-writer quoted_str(): every character outside printable ASCII
 * as \uXXXX (upper-case hex, surrogate pairs beyond the BMP), invalid
 * sequences as U+FFFD. A NUL in @s is U+0000 (QEMU keeps it as C0 80). */
static void write_string(struct sbuf *b, const char *s, size_t len)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t i = 0, used;

	sbuf_addc(b, '"');
	while (i < len) {
		long cp = p[i] ? mutf8_decode(p + i, len - i, &used) : (used = 1, 0);

		i += used;
		switch (cp) {
		case '"':
			sbuf_adds(b, "\\\"");
			break;
		case '\\':
			sbuf_adds(b, "\\\\");
			break;
		case '\b':
			sbuf_adds(b, "\\b");
			break;
		case '\f':
			sbuf_adds(b, "\\f");
			break;
		case '\n':
			sbuf_adds(b, "\\n");
			break;
		case '\r':
			sbuf_adds(b, "\\r");
			break;
		case '\t':
			sbuf_adds(b, "\\t");
			break;
		default:
			if (cp < 0)
				cp = 0xFFFD;
			if (cp > 0xFFFF)
				sbuf_addf(b, "\\u%04lX\\u%04lX", 0xD800 + ((cp - 0x10000) >> 10),
					  0xDC00 + ((cp - 0x10000) & 0x3FF));
			else if (cp < 0x20 || cp >= 0x7F)
				sbuf_addf(b, "\\u%04lX", cp);
			else
				sbuf_addc(b, (char)cp);
		}
	}
	sbuf_addc(b, '"');
}

/* tdb_hash() of qobject/qdict.c over the key as QEMU stores it (a NUL in
 * the key is the two bytes C0 80), modulo its 512 buckets. */
unsigned int qmp_qdict_bucket(const char *key, size_t len)
{
	const uint8_t *p = (const uint8_t *)key;
	uint32_t v, n = 0;
	size_t i;

	for (i = 0; i < len; i++)
		n += p[i] ? 1 : 2;
	v = 0x238F13AFu * n;
	for (i = 0, n = 0; i < len; i++) {
		if (p[i]) {
			v += (uint32_t)p[i] << (n * 5 % 24);
			n++;
		} else {
			v += 0xC0u << (n * 5 % 24);
			n++;
			v += 0x80u << (n * 5 % 24);
			n++;
		}
	}
	return (1103515243u * v + 12345u) % 512;
}

/* QDict iteration order: bucket by bucket; in a bucket the newest first
 * (QLIST_INSERT_HEAD). */
static int key_cmp(const void *a, const void *b)
{
	const struct qmp_key *x = a, *y = b;

	if (x->bucket != y->bucket)
		return x->bucket < y->bucket ? -1 : 1;
	return x->index > y->index ? -1 : x->index < y->index;
}

/* Count the NUL markers in a key. */
static size_t nul_marks(const char *key, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i + KEY_NUL_LEN <= len; i++)
		if (!memcmp(key + i, KEY_NUL, KEY_NUL_LEN))
			n++;
	return n;
}

size_t qmp_object_keys(const json_t *obj, struct qmp_key **out)
{
	size_t n = json_object_size(obj), i = 0, len, pool = 0;
	struct qmp_key *keys;
	const char *key;
	json_t *value;
	char *p;

	*out = NULL;
	if (!n)
		return 0;
	json_object_keylen_foreach((json_t *)obj, key, len, value) if (nul_marks(key, len)) pool +=
		len;
	/* Keys with NULs get their real bytes in a pool after the array. */
	keys = calloc(1, n * sizeof(*keys) + pool);
	if (!keys)
		return SIZE_MAX;
	p = (char *)(keys + n);
	/* jansson keeps insertion order, which QEMU's QDict does not. */
	json_object_keylen_foreach((json_t *)obj, key, len, value)
	{
		/* The iterator is found again from @key: leave it alone. */
		const char *k = key;
		size_t klen = len;

		if (nul_marks(key, len)) {
			klen = 0;
			for (size_t j = 0; j < len;) {
				if (j + KEY_NUL_LEN <= len &&
				    !memcmp(key + j, KEY_NUL, KEY_NUL_LEN)) {
					p[klen++] = '\0';
					j += KEY_NUL_LEN;
				} else {
					p[klen++] = key[j++];
				}
			}
			k = p;
			p += klen;
		}
		keys[i] = (struct qmp_key){ k, klen, value, qmp_qdict_bucket(k, klen), i };
		i++;
	}
	qsort(keys, n, sizeof(*keys), key_cmp);
	*out = keys;
	return n;
}

static void write_value(struct sbuf *b, const json_t *v, const struct qmp_msg *msg,
			unsigned int depth);

static void write_object(struct sbuf *b, const json_t *v, const struct qmp_msg *msg,
			 unsigned int depth)
{
	struct qmp_key *keys;
	size_t n = qmp_object_keys(v, &keys);

	if (n == SIZE_MAX) {
		b->oom = true;
		return;
	}
	sbuf_addc(b, '{');
	for (size_t i = 0; i < n; i++) {
		if (i)
			sbuf_adds(b, ", ");
		write_string(b, keys[i].key, keys[i].len);
		sbuf_adds(b, ": ");
		write_value(b, keys[i].value, msg, depth + 1);
	}
	sbuf_addc(b, '}');
	free(keys);
}

static void write_double(struct sbuf *b, double d)
{
	sbuf_addf(b, "%.17g", d);
}

static void write_value(struct sbuf *b, const json_t *v, const struct qmp_msg *msg,
			unsigned int depth)
{
	const struct qmp_qnum *q;

	/* Replies nest no deeper than the request they echo, which the
	 * streamer bounds; this only guards against a caller's bug. */
	if (depth > QMP_JSON_MAX_NESTING + 8) {
		b->oom = true;
		return;
	}
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		write_object(b, v, msg, depth);
		break;
	case JSON_ARRAY:
		sbuf_addc(b, '[');
		for (size_t i = 0; i < json_array_size(v); i++) {
			if (i)
				sbuf_adds(b, ", ");
			write_value(b, json_array_get(v, i), msg, depth + 1);
		}
		sbuf_addc(b, ']');
		break;
	case JSON_STRING:
		write_string(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
	case JSON_REAL:
		q = msg ? qmp_msg_qnum(msg, v) : NULL;
		if (q && q->is_u64)
			sbuf_addf(b, "%" PRIu64, q->u64);
		else if (q)
			write_double(b, q->dbl);
		else if (json_is_integer(v))
			sbuf_addf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		else
			write_double(b, json_real_value(v));
		break;
	case JSON_TRUE:
		sbuf_adds(b, "true");
		break;
	case JSON_FALSE:
		sbuf_adds(b, "false");
		break;
	case JSON_NULL:
		sbuf_adds(b, "null");
		break;
	}
}

void qmp_write_json(struct sbuf *b, const json_t *v, const struct qmp_msg *msg)
{
	write_value(b, v, msg, 0);
}

json_t *qmp_json_raw_string(const char *s, size_t len)
{
	return json_stringn_nocheck(s, len);
}

const struct qmp_qnum *qmp_msg_qnum(const struct qmp_msg *msg, const json_t *v)
{
	for (size_t i = 0; i < msg->nr_nums; i++)
		if (msg->nums[i].v == v)
			return &msg->nums[i];
	return NULL;
}

/* ---- GLib's GHashTable, for "Parameter '%s' is unexpected" --------------------- */

/* g_str_hash(): djb2 over signed chars. */
static uint32_t g_str_hash_mutf8(const char *key, size_t len)
{
	uint32_t h = 5381;

	for (size_t i = 0; i < len; i++) {
		if (key[i]) {
			h = h * 33 + (uint32_t)(int32_t)(signed char)key[i];
		} else {
			h = h * 33 + (uint32_t)(int32_t)(signed char)0xC0;
			h = h * 33 + (uint32_t)(int32_t)(signed char)0x80;
		}
	}
	return h;
}

/* GLib's table sizes are powers of two from 8; probing starts at
 * (hash * 11) % prime and steps 1, 2, 3... */
#define GHASH_MIN_SHIFT 3
static const uint32_t ghash_primes[] = {
	1,	  2,	    3,	      7,	 13,	    31,	       61,	   127,
	251,	  509,	    1021,     2039,	 4093,	    8191,      16381,	   32749,
	65521,	  131071,   262139,   524287,	 1048573,   2097143,   4194301,	   8388593,
	16777213, 33554393, 67108859, 134217689, 268435399, 536870909, 1073741789, 2147483647
};

struct ghash {
	unsigned int shift;
	uint32_t *hashes; /* 0 unused, 1 tombstone, else a hash */
	size_t *slot;	  /* index into the caller's keys */
	size_t occupied, nodes;
};

static size_t ghash_probe(const struct ghash *t, uint32_t h)
{
	const uint32_t mask = (1u << t->shift) - 1;
	uint32_t i = (h * 11) % ghash_primes[t->shift], step = 0;

	while (t->hashes[i] > 1 || t->hashes[i] == 1) {
		if (t->hashes[i] == 1)
			return i; /* GLib reuses the first tombstone */
		i = (i + ++step) & mask;
	}
	return i;
}

static bool ghash_alloc(struct ghash *t, unsigned int shift)
{
	t->shift = shift;
	t->hashes = calloc((size_t)1 << shift, sizeof(*t->hashes));
	t->slot = calloc((size_t)1 << shift, sizeof(*t->slot));
	return t->hashes && t->slot;
}

size_t qmp_ghash_first(const char *const *keys, const size_t *lens, size_t n, const bool *removed)
{
	struct ghash t = { 0 };
	size_t first = n;

	if (!ghash_alloc(&t, GHASH_MIN_SHIFT))
		goto out;
	for (size_t k = 0; k < n; k++) {
		uint32_t h = g_str_hash_mutf8(keys[k], lens[k]);
		size_t i;

		if (h < 2)
			h = 2;
		i = ghash_probe(&t, h);
		if (t.hashes[i] == 0)
			t.occupied++;
		t.hashes[i] = h;
		t.slot[i] = k;
		t.nodes++;
		/* Grow at a load of 15/16 (tombstones included), to a size
		 * for 4/3 of the nodes, reinserting in slot order. GLib 2.74
		 * rehashes in place, which can place colliding keys
		 * differently: only tables of 8 or more keys are affected. */
		if (((size_t)1 << t.shift) <= t.occupied + t.occupied / 16) {
			struct ghash g = { 0 };
			size_t want = t.nodes * 4 / 3, shift = 0;

			while (want) {
				want >>= 1;
				shift++;
			}
			if (shift < GHASH_MIN_SHIFT)
				shift = GHASH_MIN_SHIFT;
			if (!ghash_alloc(&g, (unsigned int)shift)) {
				free(g.hashes);
				free(g.slot);
				goto out;
			}
			for (size_t j = 0; j < ((size_t)1 << t.shift); j++) {
				size_t d;

				if (t.hashes[j] < 2)
					continue;
				d = ghash_probe(&g, t.hashes[j]);
				g.hashes[d] = t.hashes[j];
				g.slot[d] = t.slot[j];
				g.occupied++;
				g.nodes++;
			}
			free(t.hashes);
			free(t.slot);
			t = g;
		}
	}
	for (size_t i = 0; i < ((size_t)1 << t.shift); i++)
		if (t.hashes[i] > 1 && removed[t.slot[i]])
			t.hashes[i] = 1;
	for (size_t i = 0; i < ((size_t)1 << t.shift); i++) {
		if (t.hashes[i] > 1) {
			first = t.slot[i];
			break;
		}
	}
out:
	free(t.hashes);
	free(t.slot);
	return first;
}

/* ---- The lexer ------------------------------------------------------------------ */

enum {
	/* tokens */
	T_LCURLY,
	T_RCURLY,
	T_LSQUARE,
	T_RSQUARE,
	T_COLON,
	T_COMMA,
	T_INTEGER,
	T_FLOAT,
	T_KEYWORD,
	T_STRING,
};

enum lex_state {
	L_START,
	L_RECOVERY,
	L_DQ,
	L_DQ_ESC,
	L_SQ,
	L_SQ_ESC,
	L_ZERO,
	L_DIGITS,
	L_SIGN,
	L_MANT,
	L_MANT_DIGITS,
	L_EXP_E,
	L_EXP_SIGN,
	L_EXP_DIGITS,
	L_KEYWORD,
};

/* What a byte does in a state. */
enum lex_action {
	A_NEXT,	      /* consume it, go to .state */
	A_SKIP,	      /* consume it, drop the token so far */
	A_TOKEN,      /* consume it, the token (.tok) is complete */
	A_TOKEN_LOOK, /* the token (.tok) ended before it: look again from START */
	A_RESYNC,     /* leave recovery without consuming it */
	A_ERROR,      /* consume it: the token so far plus it is a stray */
};

struct lex_step {
	enum lex_action action;
	int next; /* state for A_NEXT, token for A_TOKEN* */
};

static bool is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/* One step of QEMU's lexer: the same states, the same lookahead. */
static struct lex_step lex_step(enum lex_state st, uint8_t c)
{
	switch (st) {
	case L_START:
		switch (c) {
		case ' ':
		case '\t':
		case '\r':
		case '\n':
			return (struct lex_step){ A_SKIP, 0 };
		case '"':
			return (struct lex_step){ A_NEXT, L_DQ };
		case '\'':
			return (struct lex_step){ A_NEXT, L_SQ };
		case '0':
			return (struct lex_step){ A_NEXT, L_ZERO };
		case '-':
			return (struct lex_step){ A_NEXT, L_SIGN };
		case '{':
			return (struct lex_step){ A_TOKEN, T_LCURLY };
		case '}':
			return (struct lex_step){ A_TOKEN, T_RCURLY };
		case '[':
			return (struct lex_step){ A_TOKEN, T_LSQUARE };
		case ']':
			return (struct lex_step){ A_TOKEN, T_RSQUARE };
		case ',':
			return (struct lex_step){ A_TOKEN, T_COMMA };
		case ':':
			return (struct lex_step){ A_TOKEN, T_COLON };
		}
		if (c >= '1' && c <= '9')
			return (struct lex_step){ A_NEXT, L_DIGITS };
		if (c >= 'a' && c <= 'z')
			return (struct lex_step){ A_NEXT, L_KEYWORD };
		return (struct lex_step){ A_ERROR, 0 };
	case L_RECOVERY:
		/* Skip to a structural character, a control character other
		 * than tab, or an impossible UTF-8 byte. */
		if ((c < 0x20 && c != '\t') || c >= 0xFE || strchr("[]{}:,", c))
			return (struct lex_step){ A_RESYNC, 0 };
		return (struct lex_step){ A_SKIP, 0 };
	case L_DQ:
	case L_SQ:
		if (c == (st == L_DQ ? '"' : '\''))
			return (struct lex_step){ A_TOKEN, T_STRING };
		if (c == '\\')
			return (struct lex_step){ A_NEXT, st == L_DQ ? L_DQ_ESC : L_SQ_ESC };
		if (c >= 0x20 && c <= 0xFD)
			return (struct lex_step){ A_NEXT, st };
		return (struct lex_step){ A_ERROR, 0 };
	case L_DQ_ESC:
	case L_SQ_ESC:
		/* Any printable byte: the parser judges the escape. */
		if (c >= 0x20 && c <= 0xFD)
			return (struct lex_step){ A_NEXT, st == L_DQ_ESC ? L_DQ : L_SQ };
		return (struct lex_step){ A_ERROR, 0 };
	case L_ZERO:
		if (is_digit(c))
			return (struct lex_step){ A_ERROR, 0 };
		if (c == '.')
			return (struct lex_step){ A_NEXT, L_MANT };
		return (struct lex_step){ A_TOKEN_LOOK, T_INTEGER };
	case L_DIGITS:
		if (is_digit(c))
			return (struct lex_step){ A_NEXT, L_DIGITS };
		if (c == 'e' || c == 'E')
			return (struct lex_step){ A_NEXT, L_EXP_E };
		if (c == '.')
			return (struct lex_step){ A_NEXT, L_MANT };
		return (struct lex_step){ A_TOKEN_LOOK, T_INTEGER };
	case L_SIGN:
		if (c == '0')
			return (struct lex_step){ A_NEXT, L_ZERO };
		if (c >= '1' && c <= '9')
			return (struct lex_step){ A_NEXT, L_DIGITS };
		return (struct lex_step){ A_ERROR, 0 };
	case L_MANT:
		if (is_digit(c))
			return (struct lex_step){ A_NEXT, L_MANT_DIGITS };
		return (struct lex_step){ A_ERROR, 0 };
	case L_MANT_DIGITS:
		if (is_digit(c))
			return (struct lex_step){ A_NEXT, L_MANT_DIGITS };
		if (c == 'e' || c == 'E')
			return (struct lex_step){ A_NEXT, L_EXP_E };
		return (struct lex_step){ A_TOKEN_LOOK, T_FLOAT };
	case L_EXP_E:
		if (c == '+' || c == '-')
			return (struct lex_step){ A_NEXT, L_EXP_SIGN };
		if (is_digit(c))
			return (struct lex_step){ A_NEXT, L_EXP_DIGITS };
		return (struct lex_step){ A_ERROR, 0 };
	case L_EXP_SIGN:
		if (is_digit(c))
			return (struct lex_step){ A_NEXT, L_EXP_DIGITS };
		return (struct lex_step){ A_ERROR, 0 };
	case L_EXP_DIGITS:
		if (is_digit(c))
			return (struct lex_step){ A_NEXT, L_EXP_DIGITS };
		return (struct lex_step){ A_TOKEN_LOOK, T_FLOAT };
	case L_KEYWORD:
		if (c >= 'a' && c <= 'z')
			return (struct lex_step){ A_NEXT, L_KEYWORD };
		return (struct lex_step){ A_TOKEN_LOOK, T_KEYWORD };
	}
	return (struct lex_step){ A_ERROR, 0 };
}

/* ---- The streamer ------------------------------------------------------------------ */

struct qmp_tok {
	int type;
	size_t off, len;   /* in st->text */
	size_t coff, clen; /* in the canonical text */
	long num;	   /* index into the message's numbers, or -1 */
};

/* The next token, or -1. */
static int next_type(const struct qmp_stream *st, size_t i)
{
	return i + 1 < st->nr_toks ? st->toks[i + 1].type : -1;
}

static void stream_reset(struct qmp_stream *st)
{
	st->brace = st->bracket = 0;
	st->nr_toks = 0;
	st->text.len = 0;
	st->text.oom = false;
	st->token_size = 0;
}

static void emit_error(struct qmp_stream *st, const char *text, size_t len)
{
	st->emit(st->priv, NULL, text, len);
}

static void emit_errors(struct qmp_stream *st, const char *text)
{
	emit_error(st, text, strlen(text));
}

static void parse_message(struct qmp_stream *st);

static void stream_token(struct qmp_stream *st, int type, const char *text, size_t len)
{
	struct qmp_tok *t;

	switch (type) {
	case T_LCURLY:
		st->brace++;
		break;
	case T_RCURLY:
		st->brace--;
		break;
	case T_LSQUARE:
		st->bracket++;
		break;
	case T_RSQUARE:
		st->bracket--;
		break;
	}
	if (st->token_size + len + 1 > QMP_JSON_MAX_TOKEN_SIZE) {
		emit_errors(st, "JSON token size limit exceeded");
		goto reset;
	}
	if (st->nr_toks + 1 > QMP_JSON_MAX_TOKEN_COUNT) {
		emit_errors(st, "JSON token count limit exceeded");
		goto reset;
	}
	if (st->bracket + st->brace > QMP_JSON_MAX_NESTING) {
		emit_errors(st, "JSON nesting depth limit exceeded");
		goto reset;
	}
	if (st->nr_toks == st->cap_toks) {
		size_t cap = st->cap_toks ? st->cap_toks * 2 : 64;
		struct qmp_tok *toks = realloc(st->toks, cap * sizeof(*toks));

		if (!toks) {
			emit_errors(st, "memhp: out of memory");
			goto reset;
		}
		st->toks = toks;
		st->cap_toks = cap;
	}
	t = &st->toks[st->nr_toks++];
	t->type = type;
	t->off = st->text.len;
	t->len = len;
	sbuf_add(&st->text, text, len);
	if (st->text.oom) {
		emit_errors(st, "memhp: out of memory");
		goto reset;
	}
	st->token_size += len;
	if ((st->brace > 0 || st->bracket > 0) && st->brace >= 0 && st->bracket >= 0)
		return;
	parse_message(st);
reset:
	stream_reset(st);
}

static void stream_stray(struct qmp_stream *st, const char *text, size_t len)
{
	struct sbuf msg;
	const char *nul = memchr(text, '\0', len);

	/* QEMU formats the token as a C string: a NUL ends it. */
	if (nul)
		len = (size_t)(nul - text);
	sbuf_init(&msg);
	sbuf_adds(&msg, "JSON parse error, stray '");
	sbuf_add(&msg, text, len);
	sbuf_addc(&msg, '\'');
	if (msg.oom)
		emit_errors(st, "memhp: out of memory");
	else
		emit_error(st, msg.p, msg.len);
	sbuf_free(&msg);
	stream_reset(st);
}

void qmp_stream_init(struct qmp_stream *st, qmp_emit_fn emit, void *priv)
{
	memset(st, 0, sizeof(*st));
	st->state = L_START;
	st->emit = emit;
	st->priv = priv;
}

void qmp_stream_destroy(struct qmp_stream *st)
{
	sbuf_free(&st->token);
	sbuf_free(&st->text);
	free(st->toks);
	st->toks = NULL;
	st->nr_toks = st->cap_toks = 0;
}

static void lex_byte(struct qmp_stream *st, uint8_t c)
{
	for (;;) {
		struct lex_step s = lex_step(st->state, c);

		switch (s.action) {
		case A_NEXT:
			sbuf_addc(&st->token, (char)c);
			st->state = s.next;
			break;
		case A_SKIP:
			st->token.len = 0;
			break;
		case A_TOKEN:
			sbuf_addc(&st->token, (char)c);
			stream_token(st, s.next, st->token.p, st->token.len);
			st->token.len = 0;
			st->state = L_START;
			break;
		case A_TOKEN_LOOK:
			stream_token(st, s.next, st->token.p ? st->token.p : "", st->token.len);
			st->token.len = 0;
			st->state = L_START;
			continue; /* the byte starts the next token */
		case A_RESYNC:
			st->token.len = 0;
			st->state = L_START;
			continue;
		case A_ERROR:
			sbuf_addc(&st->token, (char)c);
			stream_stray(st, st->token.p ? st->token.p : "", st->token.len);
			st->token.len = 0;
			st->state = L_RECOVERY;
			break;
		}
		break;
	}
	if (st->token.oom || st->token.len > QMP_JSON_MAX_TOKEN_SIZE) {
		/* QEMU hands the oversized token on; the streamer's size
		 * check refuses it. */
		emit_errors(st, st->token.oom ? "memhp: out of memory"
					      : "JSON token size limit exceeded");
		stream_reset(st);
		sbuf_free(&st->token);
		st->state = L_START;
	}
}

void qmp_stream_feed(struct qmp_stream *st, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	for (size_t i = 0; i < len; i++)
		lex_byte(st, p[i]);
}

/* ---- Parsing a message --------------------------------------------------------------- */

struct parse {
	struct qmp_stream *st;
	struct sbuf canon; /* the tokens as plain JSON, one space apart */
	struct qmp_msg msg;
	size_t nr_numbers;
};

static const char *tok_text(const struct parse *p, size_t i)
{
	return p->st->text.p + p->st->toks[i].off;
}

static int cvt4hex(const uint8_t *s, size_t n)
{
	int cp = 0;

	for (size_t i = 0; i < 4; i++) {
		uint8_t c = i < n ? s[i] : 0;

		cp <<= 4;
		if (c >= '0' && c <= '9')
			cp |= c - '0';
		else if (c >= 'a' && c <= 'f')
			cp |= 10 + c - 'a';
		else if (c >= 'A' && c <= 'F')
			cp |= 10 + c - 'A';
		else
			return -1;
	}
	return cp;
}

/*
 * Decode string token @i with QEMU's parse_string() rules into @out as
 * plain JSON (NULL: only check). Returns true, or false with QEMU's
 * message (after "JSON parse error, ") in @err.
 */
static bool decode_string(const struct parse *p, size_t i, struct sbuf *out, struct sbuf *err)
{
	/* jansson refuses NUL in object keys, which QEMU allows: a key
	 * (a string before a colon) gets KEY_NUL instead. */
	const bool key = next_type(p->st, i) == T_COLON;
	const uint8_t *s = (const uint8_t *)tok_text(p, i);
	const size_t n = p->st->toks[i].len;
	size_t k = 1, used;

	if (out)
		sbuf_addc(out, '"');
	/* The lexer guarantees the closing quote is the last byte. */
	while (k < n - 1) {
		long cp;

		if (s[k] == '\\') {
			const size_t beg = k++;
			const uint8_t e = s[k++];

			switch (e) {
			case '"':
			case '\'':
			case '\\':
			case '/':
				cp = e;
				break;
			case 'b':
				cp = '\b';
				break;
			case 'f':
				cp = '\f';
				break;
			case 'n':
				cp = '\n';
				break;
			case 'r':
				cp = '\r';
				break;
			case 't':
				cp = '\t';
				break;
			case 'u':
				cp = cvt4hex(s + k, n - k);
				k += 4;
				if (cp >= 0xD800 && cp <= 0xDBFF && k + 1 < n && s[k] == '\\' &&
				    s[k + 1] == 'u') {
					int low = cvt4hex(s + k + 2, n - k - 2);

					if (low >= 0xDC00 && low <= 0xDFFF) {
						cp = 0x10000 + ((cp & 0x3FF) << 10) + (low & 0x3FF);
						k += 6;
					} else {
						cp = -1;
					}
				}
				if (!valid_codepoint(cp)) {
					/* QEMU prints the escape with "%.*s": up
					 * to where its token string ends. */
					size_t len = (k < n ? k : n) - beg;

					sbuf_add(err, s + beg, len);
					sbuf_adds(err, " is not a valid Unicode character");
					return false;
				}
				break;
			default:
				sbuf_adds(err, "invalid escape sequence in string");
				return false;
			}
		} else {
			cp = mutf8_decode(s + k, n - 1 - k, &used);
			if (cp < 0) {
				sbuf_adds(err, "invalid UTF-8 sequence in string");
				return false;
			}
			k += used;
		}
		if (!out)
			continue;
		if (cp == '"' || cp == '\\') {
			sbuf_addc(out, '\\');
			sbuf_addc(out, (char)cp);
		} else if (!cp && key) {
			sbuf_adds(out, KEY_NUL);
		} else if (cp < 0x20) {
			sbuf_addf(out, "\\u%04lx", cp);
		} else {
			utf8_put(out, cp);
		}
	}
	if (out)
		sbuf_addc(out, '"');
	return true;
}

/* Build the canonical text and the numbers jansson cannot hold. */
static bool canon_tokens(struct parse *p)
{
	const size_t n = p->st->nr_toks;

	for (size_t i = 0; i < n; i++) {
		struct qmp_tok *t = &p->st->toks[i];
		const char *s = tok_text(p, i);

		if (i)
			sbuf_addc(&p->canon, ' ');
		t->coff = p->canon.len;
		t->num = -1;
		switch (t->type) {
		case T_STRING: {
			struct sbuf err;

			sbuf_init(&err);
			if (!decode_string(p, i, &p->canon, &err)) {
				/* Rewind to a placeholder: the error is
				 * reported if the parse gets this far. */
				p->canon.len = t->coff;
				sbuf_adds(&p->canon, "\"\"");
			}
			sbuf_free(&err);
			break;
		}
		case T_INTEGER:
		case T_FLOAT: {
			char *num = strndup(s, t->len);
			bool exact = true;
			struct qmp_qnum q = { 0 };

			if (!num)
				return false;
			t->num = (long)p->nr_numbers++;
			errno = 0;
			if (t->type == T_INTEGER) {
				(void)strtoll(num, NULL, 10);
				if (errno == ERANGE) {
					/* QEMU: QNUM_U64 when it fits, else a
					 * double. */
					exact = false;
					errno = 0;
					q.u64 = strtoull(num, NULL, 10);
					q.is_u64 = num[0] != '-' && errno != ERANGE;
					if (!q.is_u64)
						q.dbl = strtod(num, NULL);
				}
			} else {
				q.dbl = strtod(num, NULL);
				exact = isfinite(q.dbl);
			}
			free(num);
			if (exact) {
				sbuf_add(&p->canon, s, t->len);
			} else {
				struct qmp_qnum *nums =
					realloc(p->msg.nums, (p->msg.nr_nums + 1) * sizeof(*nums));

				if (!nums)
					return false;
				/* ->v is bound once jansson made the value. */
				q.ordinal = (size_t)t->num;
				nums[p->msg.nr_nums++] = q;
				p->msg.nums = nums;
				sbuf_adds(&p->canon, "0");
			}
			break;
		}
		default:
			sbuf_add(&p->canon, s, t->len);
			break;
		}
		t->clen = p->canon.len - t->coff;
	}
	return !p->canon.oom;
}

/* The token jansson stopped at: the last one starting before @pos. */
static size_t tok_at(const struct parse *p, size_t from, size_t pos)
{
	const size_t base = p->st->toks[from].coff;
	size_t i = from;

	while (i + 1 < p->st->nr_toks && p->st->toks[i + 1].coff < base + pos)
		i++;
	return i;
}

/* The first string in [from, to] QEMU's parser refuses; its message goes
 * to @err. */
static bool string_error(const struct parse *p, size_t from, size_t to, struct sbuf *err)
{
	for (size_t i = from; i <= to && i < p->st->nr_toks; i++) {
		if (p->st->toks[i].type != T_STRING)
			continue;
		if (!decode_string(p, i, NULL, err))
			return true;
	}
	return false;
}

static bool starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

static bool keyword_is_value(const struct parse *p, size_t i)
{
	const struct qmp_tok *t = &p->st->toks[i];
	const char *s = tok_text(p, i);

	return (t->len == 4 && !memcmp(s, "true", 4)) || (t->len == 5 && !memcmp(s, "false", 5)) ||
	       (t->len == 4 && !memcmp(s, "null", 4));
}

static bool diagnose(struct parse *p, size_t from, struct sbuf *err, json_t **value);

/* QEMU's parse_value() at token @i succeeds or leaves its error in @err. */
static bool value_at(struct parse *p, size_t i, struct sbuf *err)
{
	if (i >= p->st->nr_toks) {
		sbuf_adds(err, "premature EOI");
		return false;
	}
	return diagnose(p, i, err, NULL);
}

static void invalid_keyword(const struct parse *p, size_t i, struct sbuf *err)
{
	sbuf_adds(err, "invalid keyword '");
	sbuf_add(err, tok_text(p, i), p->st->toks[i].len);
	sbuf_addc(err, '\'');
}

/*
 * Parse the value starting at token @from with jansson; on failure put the
 * error QEMU's parser reports into @err (without "JSON parse error, ").
 * jansson and QEMU agree on where most errors are; where QEMU goes on
 * further (a non-string key is parsed as a value first, a duplicate key is
 * only noticed after its value), the rest is checked token by token.
 */
static bool diagnose(struct parse *p, size_t from, struct sbuf *err, json_t **value)
{
	const size_t flags =
		JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL | JSON_DISABLE_EOF_CHECK;
	const struct qmp_tok *toks = p->st->toks;
	const size_t base = toks[from].coff;
	json_error_t je;
	json_t *v;
	size_t e;

	v = json_loadb(p->canon.p + base, p->canon.len - base, flags, &je);
	if (v) {
		size_t last = tok_at(p, from, (size_t)je.position);

		if (string_error(p, from, last, err)) {
			json_decref(v);
			return false;
		}
		if (value)
			*value = v;
		else
			json_decref(v);
		return true;
	}
	e = tok_at(p, from, (size_t)je.position);
	if (string_error(p, from, e, err))
		return false;
	if (starts(je.text, "invalid token")) {
		invalid_keyword(p, e, err);
	} else if (starts(je.text, "string or '}' expected")) {
		/* QEMU parses the key as any value, then insists on a
		 * string. */
		switch (toks[e].type) {
		case T_KEYWORD:
			if (keyword_is_value(p, e))
				sbuf_adds(err, "key is not a string in object");
			else
				invalid_keyword(p, e, err);
			break;
		case T_INTEGER:
		case T_FLOAT:
			sbuf_adds(err, "key is not a string in object");
			break;
		case T_LCURLY:
		case T_LSQUARE:
			if (value_at(p, e, err))
				sbuf_adds(err, "key is not a string in object");
			break;
		default:
			sbuf_adds(err, "expecting value");
			break;
		}
	} else if (starts(je.text, "':' expected")) {
		sbuf_adds(err, "missing : in object pair");
	} else if (starts(je.text, "'}' expected")) {
		sbuf_adds(err, "expected separator in dict");
	} else if (starts(je.text, "']' expected")) {
		sbuf_adds(err, "expected separator in list");
	} else if (starts(je.text, "duplicate object key")) {
		/* QEMU notices the duplicate after the colon and the value. */
		if (e + 1 >= p->st->nr_toks)
			sbuf_adds(err, "premature EOI");
		else if (toks[e + 1].type != T_COLON)
			sbuf_adds(err, "missing : in object pair");
		else if (value_at(p, e + 2, err))
			sbuf_adds(err, "duplicate key");
	} else {
		/* "unexpected token": a structural character where a value
		 * belongs. */
		sbuf_adds(err, "expecting value");
	}
	return false;
}

/* Bind the number placeholders to the values jansson made: numbers come in
 * document order, tokens too. */
static void bind_numbers(struct parse *p, json_t *v, size_t *ordinal)
{
	const char *key;
	json_t *child;
	size_t i;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		json_object_foreach(v, key, child) bind_numbers(p, child, ordinal);
		break;
	case JSON_ARRAY:
		json_array_foreach(v, i, child) bind_numbers(p, child, ordinal);
		break;
	case JSON_INTEGER:
	case JSON_REAL:
		for (i = 0; i < p->msg.nr_nums; i++) {
			if (p->msg.nums[i].ordinal == *ordinal) {
				p->msg.nums[i].v = v;
				break;
			}
		}
		(*ordinal)++;
		break;
	default:
		break;
	}
}

static void parse_message(struct qmp_stream *st)
{
	struct parse p = { .st = st };
	struct sbuf err;
	json_t *v = NULL;

	sbuf_init(&p.canon);
	sbuf_init(&err);
	if (!canon_tokens(&p)) {
		emit_errors(st, "memhp: out of memory");
		goto out;
	}
	sbuf_adds(&err, "JSON parse error, ");
	if (!diagnose(&p, 0, &err, &v)) {
		if (err.oom)
			emit_errors(st, "memhp: out of memory");
		else
			emit_error(st, err.p, err.len);
		goto out;
	}
	{
		size_t ordinal = 0;

		bind_numbers(&p, v, &ordinal);
	}
	p.msg.value = v;
	st->emit(st->priv, &p.msg, NULL, 0);
out:
	json_decref(v);
	free(p.msg.nums);
	sbuf_free(&p.canon);
	sbuf_free(&err);
}
