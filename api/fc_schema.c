// SPDX-License-Identifier: Apache-2.0
/* api/fc_schema.c: a JSON object checked against a table of typed fields. */
#include "fc_schema.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "fc_config.h"

void fc_path(char *buf, size_t size, const char *where, const char *field)
{
	bool w = where && where[0], f = field && field[0];

	snprintf(buf, size, "%s%s%s", w ? where : "", w && f ? "." : "",
		 f ? field : "");
}

int fc_fail(char *why, size_t len, int err, const char *where,
	    const char *field, const char *fmt, ...)
{
	char path[160];
	size_t used;
	va_list ap;
	int n;

	fc_path(path, sizeof(path), where, field);
	n = snprintf(why, len, "%s%s", path, path[0] ? ": " : "");
	used = n < 0 ? 0 : (size_t)n;
	if (used < len) {
		va_start(ap, fmt);
		vsnprintf(why + used, len - used, fmt, ap);
		va_end(ap);
	}
	return err;
}

static const char *type_name(enum fc_type t)
{
	switch (t) {
	case FC_T_STRING:
		return "a string";
	case FC_T_BOOL:
		return "true or false";
	case FC_T_UINT:
		return "a non-negative integer";
	case FC_T_OBJECT:
		return "an object";
	case FC_T_ARRAY:
		return "an array";
	case FC_T_ANY:
		break;
	}
	return "a value";
}

static bool type_matches(const json_t *v, enum fc_type t)
{
	switch (t) {
	case FC_T_STRING:
		return json_is_string(v);
	case FC_T_BOOL:
		return json_is_boolean(v);
	case FC_T_UINT:
		return json_is_integer(v) && json_integer_value(v) >= 0;
	case FC_T_OBJECT:
		return json_is_object(v);
	case FC_T_ARRAY:
		return json_is_array(v);
	case FC_T_ANY:
		return true;
	}
	return false;
}

int fc_schema_check(const json_t *obj, const char *where,
		    const struct fc_field *fields, unsigned int n, char *why,
		    size_t len)
{
	const char *key;
	json_t *v;

	if (!json_is_object(obj))
		return fc_fail(why, len, -EINVAL, where, NULL,
			       "expected an object");
	/* Cast: jansson's iteration macro takes a non-const object. */
	json_object_foreach((json_t *)obj, key, v)
	{
		unsigned int i;

		for (i = 0; i < n && strcmp(fields[i].name, key); i++)
			;
		if (i == n)
			return fc_fail(why, len, -EINVAL, where, NULL,
				       "unknown field '%s'", key);
		if (!json_is_null(v) && !type_matches(v, fields[i].type))
			return fc_fail(why, len, -EINVAL, where, key,
				       "expected %s",
				       type_name(fields[i].type));
	}
	for (unsigned int i = 0; i < n; i++)
		if (fields[i].required && !fc_get(obj, fields[i].name))
			return fc_fail(why, len, -EINVAL, where, NULL,
				       "missing field '%s'", fields[i].name);
	return 0;
}

const json_t *fc_get(const json_t *obj, const char *name)
{
	const json_t *v = json_object_get(obj, name);

	return json_is_null(v) ? NULL : v;
}

const char *fc_string(const json_t *obj, const char *name)
{
	return json_string_value(fc_get(obj, name));
}

bool fc_bool(const json_t *obj, const char *name, bool dflt)
{
	const json_t *v = fc_get(obj, name);

	return v ? json_is_true(v) : dflt;
}

int fc_uint(const json_t *obj, const char *name, uint64_t min, uint64_t max,
	    uint64_t *out, const char *where, char *why, size_t len)
{
	const json_t *v = fc_get(obj, name);
	uint64_t n;

	if (!v)
		return 0;
	n = (uint64_t)json_integer_value(v); /* >= 0: checked */
	if (n < min || n > max)
		return fc_fail(why, len, -EINVAL, where, name,
			       "expected an integer from %llu to %llu",
			       (unsigned long long)min,
			       (unsigned long long)max);
	*out = n;
	return 1;
}

int fc_enum(const json_t *obj, const char *name, const char *const values[],
	    bool nocase, int *out, const char *where, char *why, size_t len)
{
	const char *s = fc_string(obj, name);
	char list[160] = "";
	size_t used = 0;

	if (!s)
		return 0;
	for (int i = 0; values[i]; i++) {
		if (nocase ? !strcasecmp(s, values[i]) :
			     !strcmp(s, values[i])) {
			*out = i;
			return 1;
		}
		if (used < sizeof(list)) {
			int n = snprintf(list + used, sizeof(list) - used,
					 "%s\"%s\"", i ? ", " : "", values[i]);

			used += n < 0 ? 0 : (size_t)n;
		}
	}
	return fc_fail(why, len, -EINVAL, where, name, "expected one of %s",
		       list);
}

bool fc_id_is_valid(const char *id)
{
	size_t n = strlen(id);

	if (!n || n > FC_ID_MAX)
		return false;
	/* Firecracker takes Unicode alphanumerics; ASCII keeps ids safe to
	 * print, log and put in thread names. */
	return strspn(id, "abcdefghijklmnopqrstuvwxyz"
			  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == n;
}

/* A TokenBucket: 0 (limits nothing), 1 (limits) or -EINVAL. */
static int bucket_check(const json_t *b, const char *where, char *why,
			size_t len)
{
	static const struct fc_field fields[] = {
		{ "size", FC_T_UINT, true },
		{ "one_time_burst", FC_T_UINT, false },
		{ "refill_time", FC_T_UINT, true },
	};
	int err;

	if (!b)
		return 0;
	err = fc_schema_check(b, where, fields, 3, why, len);
	if (err)
		return err;
	/* rate_limiter/mod.rs: a bucket with no size or no refill time is
	 * not created at all. */
	return json_integer_value(fc_get(b, "size")) &&
	       json_integer_value(fc_get(b, "refill_time"));
}

int fc_rate_limiter_check(const json_t *rl, const char *where,
			  const char *field, char *why, size_t len)
{
	static const struct fc_field fields[] = {
		{ "bandwidth", FC_T_OBJECT, false },
		{ "ops", FC_T_OBJECT, false },
	};
	char path[128], sub[160];
	int bw, ops, err;

	if (!rl)
		return 0;
	fc_path(path, sizeof(path), where, field);
	err = fc_schema_check(rl, path, fields, 2, why, len);
	if (err)
		return err;
	fc_path(sub, sizeof(sub), path, "bandwidth");
	bw = bucket_check(fc_get(rl, "bandwidth"), sub, why, len);
	if (bw < 0)
		return bw;
	fc_path(sub, sizeof(sub), path, "ops");
	ops = bucket_check(fc_get(rl, "ops"), sub, why, len);
	if (ops < 0)
		return ops;
	if (bw || ops)
		return fc_fail(why, len, -ENOTSUP, path, NULL,
			       "rate limiters are not supported by ignis yet");
	return 0;
}
