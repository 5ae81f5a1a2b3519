/* SPDX-License-Identifier: GPL-2.0 */
#ifndef JSON_H
#define JSON_H

#include <stdbool.h>
#include <stdio.h>

#define JSON_MAX_DEPTH	16

/* A streaming JSON writer; key is NULL for array elements */
struct json {
	FILE *f;
	int depth;
	bool first[JSON_MAX_DEPTH];
	bool in_obj[JSON_MAX_DEPTH];
};

void json_open(struct json *j, const char *key, char bracket);
void json_close(struct json *j);
void json_str(struct json *j, const char *key, const char *val);
void json_uint(struct json *j, const char *key, unsigned long long val);
void json_int(struct json *j, const char *key, long long val);
void json_double(struct json *j, const char *key, double val);
void json_bool(struct json *j, const char *key, bool val);
void json_null(struct json *j, const char *key);

#endif
