/* SPDX-License-Identifier: Apache-2.0 */
/* api/fc_schema.h: a JSON object checked against a table of typed fields. */
#ifndef IGNIS_FC_SCHEMA_H
#define IGNIS_FC_SCHEMA_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Entries in the array (a): the field tables and the api's own lists. */
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* What a field's value must be when it is not null. */
enum fc_type {
	FC_T_STRING, /* a JSON string */
	FC_T_BOOL, /* true or false */
	FC_T_UINT, /* an integer >= 0 (not 1.0: serde refuses it) */
	FC_T_OBJECT, /* an object */
	FC_T_ARRAY, /* an array */
	FC_T_ANY, /* anything (checked by its owner) */
};

/* One field of a Firecracker body (a serde struct's field). */
struct fc_field {
	const char *name; /* the key */
	enum fc_type type; /* what a non-null value must be */
	bool required; /* present and not null */
};

/*
 * Writes "<where>.<field>: <message>" to (why) (of (len) bytes), leaving
 * out an empty or NULL (where) or (field) and its separator, and returns
 * (err). Every reason in api/ is written through it.
 */
int fc_fail(char *why, size_t len, int err, const char *where,
	    const char *field, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* "<where>.<field>" (or the one that is not empty) into (buf). */
void fc_path(char *buf, size_t size, const char *where, const char *field);

/*
 * Checks that (obj) is an object whose keys are all in (fields)[n], whose
 * values are each of the field's type or null, and in which every required
 * field is present and not null. 0 or -EINVAL with the reason.
 */
int fc_schema_check(const json_t *obj, const char *where,
		    const struct fc_field *fields, unsigned int n, char *why,
		    size_t len);

/* The value of (name) in the checked (obj); NULL when absent or null. */
const json_t *fc_get(const json_t *obj, const char *name);

/* (name)'s string in the checked (obj); NULL when absent or null. */
const char *fc_string(const json_t *obj, const char *name);

/* (name)'s boolean in the checked (obj); (dflt) when absent or null. */
bool fc_bool(const json_t *obj, const char *name, bool dflt);

/*
 * (name)'s integer in the checked (obj) into (*out) when present; (*out)
 * is left alone when absent or null. Returns 1 (set), 0 (absent) or
 * -EINVAL (outside [min, max]) with the reason.
 */
int fc_uint(const json_t *obj, const char *name, uint64_t min, uint64_t max,
	    uint64_t *out, const char *where, char *why, size_t len);

/*
 * (name)'s string in the checked (obj) as an index into the
 * NULL-terminated (values), compared exactly (or ignoring case when
 * (nocase)), into (*out) when present. Returns 1, 0 (absent) or -EINVAL
 * (not one of them) with the reason listing them.
 */
int fc_enum(const json_t *obj, const char *name, const char *const values[],
	    bool nocase, int *out, const char *where, char *why, size_t len);

/* Whether (id) is a Firecracker id as ignis takes it: 1 to FC_ID_MAX
 * characters of [A-Za-z0-9_]. */
bool fc_id_is_valid(const char *id);

/*
 * Checks the RateLimiter (rl) (NULL: absent): {"bandwidth", "ops"}, each a
 * TokenBucket {"size", "one_time_burst", "refill_time"}. Returns 0 when it
 * limits nothing (absent, null buckets, or buckets with a zero size or
 * refill_time, which Firecracker turns off), -ENOTSUP when it limits
 * (ignis has no rate limiter yet), -EINVAL when malformed.
 */
int fc_rate_limiter_check(const json_t *rl, const char *where,
			  const char *field, char *why, size_t len);

#endif
