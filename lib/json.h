/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A streaming JSON writer for ovlbench and mntlock: objects one member a
 * line, arrays of numbers or strings on one line, arrays of objects or
 * arrays one element a line.  key is NULL for array elements.
 */
#ifndef LIB_JSON_H
#define LIB_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define JSON_MAX_DEPTH	16

struct json {
	FILE *f;
	int depth;
	bool first[JSON_MAX_DEPTH];
	bool in_obj[JSON_MAX_DEPTH];
};

/* bracket is '{' or '['; the document ends with a newline */
void json_open(struct json *j, const char *key, char bracket);
void json_close(struct json *j);

/* NULL is written as null */
void json_str(struct json *j, const char *key, const char *val);
/* At most max bytes: for fixed arrays that may lack a NUL (comm) */
void json_strn(struct json *j, const char *key, const char *val,
	       size_t max);
void json_uint(struct json *j, const char *key, unsigned long long val);
void json_int(struct json *j, const char *key, long long val);
/* %.9g; NaN and infinities are written as null */
void json_double(struct json *j, const char *key, double val);
/* decimals after the point, always a point: a float to any reader */
void json_fixed(struct json *j, const char *key, double val, int decimals);
void json_bool(struct json *j, const char *key, bool val);
void json_null(struct json *j, const char *key);

#endif /* LIB_JSON_H */
