/* SPDX-License-Identifier: MIT */
/*
 * src/qmp/qmp_int.h - what the QMP server's files share: the JSON wire
 * (QEMU's lexer and streamer in front of jansson, QEMU's writer behind
 * it) and the command dispatcher.
 */
#ifndef MEMHP_QMP_INT_H
#define MEMHP_QMP_INT_H

#include "../lib/sbuf.h"
#include "qmp.h"

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Commands share one signature; not every one reads every argument. */
#define QMP_UNUSED __attribute__((unused))

/*
 * QEMU's limits on one message (qobject/json-streamer.c): bytes in its
 * tokens, tokens, and open brackets and braces. A message over a limit is
 * answered with QEMU's error and dropped.
 */
#define QMP_JSON_MAX_TOKEN_SIZE (64ULL << 20)
#define QMP_JSON_MAX_TOKEN_COUNT (2ULL << 20)
#define QMP_JSON_MAX_NESTING 1024

/* ---- Reading: QEMU's JSON lexer and streamer, jansson's parser --------------- */

/* A number as QEMU's QNum holds it where a json_t cannot: an integer above
 * INT64_MAX (QNUM_U64) or a double that overflowed (QNUM_DOUBLE). */
struct qmp_qnum {
	json_t *v;	/* the placeholder jansson holds */
	size_t ordinal; /* which number of the message it is */
	bool is_u64;
	uint64_t u64;
	double dbl;
};

/* One message from the client. */
struct qmp_msg {
	json_t *value;
	struct qmp_qnum *nums;
	size_t nr_nums;
};

/* The override for @v, or NULL when jansson holds it exactly. */
const struct qmp_qnum *qmp_msg_qnum(const struct qmp_msg *msg, const json_t *v);

/*
 * Called once per message: with @msg (owned by the stream, valid during
 * the call) or with an error's text (@err, @errlen: QEMU's "desc", raw
 * bytes that may hold invalid UTF-8).
 */
typedef void (*qmp_emit_fn)(void *priv, struct qmp_msg *msg, const char *err, size_t errlen);

struct qmp_tok;
struct qmp_stream {
	int state;
	struct sbuf token;    /* the token being lexed */
	struct qmp_tok *toks; /* the message being gathered */
	size_t nr_toks, cap_toks;
	struct sbuf text; /* the raw bytes of its tokens */
	long brace, bracket;
	uint64_t token_size;
	qmp_emit_fn emit;
	void *priv;
};

void qmp_stream_init(struct qmp_stream *st, qmp_emit_fn emit, void *priv);
void qmp_stream_feed(struct qmp_stream *st, const void *buf, size_t len);
void qmp_stream_destroy(struct qmp_stream *st);

/* ---- Writing: QEMU's JSON writer -------------------------------------------- */

/*
 * Append @v as QEMU writes a QObject: keys in QDict iteration order (its
 * hash buckets; within one, the last inserted first), ", " and ": "
 * separators, strings as modified UTF-8 with non-ASCII escaped as \uXXXX,
 * doubles as "%.17g". @msg supplies the numbers jansson cannot hold (may
 * be NULL).
 */
void qmp_write_json(struct sbuf *b, const json_t *v, const struct qmp_msg *msg);
/* A string from raw bytes, kept as they are (even invalid UTF-8): the
 * writer escapes them as QEMU does. NULL on -ENOMEM. */
json_t *qmp_json_raw_string(const char *s, size_t len);

/* ---- QEMU's hash tables, for the orders that leak onto the wire -------------- */

/*
 * jansson cannot hold a NUL in an object key, QEMU can (as C0 80). Keys
 * carry U+10FFFF instead, which QEMU refuses in any string, so it cannot
 * come from a client; qmp_object_keys() gives the NULs back.
 */
#define KEY_NUL "\xF4\x8F\xBF\xBF"
#define KEY_NUL_LEN 4

/* A key of a json_t object, in QEMU's QDict order, NULs restored. */
struct qmp_key {
	const char *key;
	size_t len;
	json_t *value;
	unsigned int bucket;
	size_t index; /* insertion order */
};
/* The keys of @obj in the order QEMU iterates a QDict holding them; *@out
 * is to be freed. Returns their number, or SIZE_MAX on -ENOMEM. */
size_t qmp_object_keys(const json_t *obj, struct qmp_key **out);

/* The bucket of @key in a QDict (qobject/qdict.c). */
unsigned int qmp_qdict_bucket(const char *key, size_t len);
/* The first key of @keys (@n, in insertion order) that a GLib GHashTable of
 * strings would return first after @removed[] keys were removed: the key
 * QEMU's input visitor reports as "Parameter '%s' is unexpected". */
size_t qmp_ghash_first(const char *const *keys, const size_t *lens, size_t n, const bool *removed);

/* ---- The model (model.c): backends and DIMMs -------------------------------- */

/* Ids the model keeps, at most (QEMU has no limit). */
#define QMP_ID_MAX 128

/* /objects/<id>: a memory-backend-ram. */
struct qmp_obj {
	char id[QMP_ID_MAX];
	uint64_t size;
	bool in_use; /* a device's memdev, or the machine's RAM */
};

/* A pc-dimm. */
struct qmp_dimm_state {
	char id[QMP_ID_MAX]; /* "" when anonymous */
	unsigned int anon;   /* /machine/peripheral-anon/device[anon] */
	char memdev[QMP_ID_MAX];
	uint64_t addr, size;
	unsigned int slot;
	unsigned int node; /* the pc-dimm's node property */
	bool hotplugged;
};

struct qmp_model {
	pthread_mutex_t lock; /* the dispatcher and the controller's callbacks */
	struct qmp_vm *vm;
	unsigned int refs;
	struct qmp_obj *objs;
	size_t nr_objs, cap_objs;
	struct qmp_dimm_state *dimms; /* by address */
	size_t nr_dimms, cap_dimms;
	unsigned int next_anon;
	bool acpi_ops_set;
	/* Where events go (the server's queue); NULL: nowhere. */
	void (*emit)(void *priv, json_t *ev);
	void *emit_priv;
};

/* Take a reference on @vm's model, creating it. Returns 0 or -ENOMEM. */
int qmp_model_get(struct qmp_vm *vm);
void qmp_model_put(struct qmp_vm *vm);
void qmp_model_set_emit(struct qmp_model *md, void (*fn)(void *priv, json_t *ev), void *priv);
/* Lookups: an index, or -1. */
long qmp_model_find_obj(const struct qmp_model *md, const char *id, size_t len);
long qmp_model_find_dimm(const struct qmp_model *md, const char *id, size_t len);
/* The DIMM's QOM path (to be freed), or NULL. */
char *qmp_dimm_path(const struct qmp_dimm_state *d);
/* Returns 0, -EEXIST, -ENAMETOOLONG, -ENOMEM. */
int qmp_model_add_obj(struct qmp_model *md, const char *id, uint64_t size, bool in_use);
void qmp_model_del_obj(struct qmp_model *md, size_t i);
/* Device memory in use (QEMU's memory_device_used_region_size()). */
uint64_t qmp_model_used(const struct qmp_model *md);
/* Place @d (address chosen here), record it, tell the guest. Returns 0,
 * -ENOSPC, -ENOMEM. */
int qmp_model_plug_dimm(struct qmp_model *md, struct qmp_dimm_state *d);

/* ---- The dispatcher (cmds.c) ------------------------------------------------ */

/* An event as QEMU builds it ("event", "timestamp", then "data"); the
 * writer applies QEMU's key order. NULL on -ENOMEM. */
json_t *qmp_event_new(const char *name, long long sec, long long usec, json_t *data);
/* MEMORY_DEVICE_SIZE_CHANGE's data for @d. */
json_t *qmp_size_change_data(const struct qmp_device *d, uint64_t size);
/* Write @event to the client if it left capabilities negotiation (QEMU
 * sends events only then). Takes the reference. */
void qmp_session_event(struct qmp_session *s, json_t *event);

#endif
