// SPDX-License-Identifier: GPL-2.0
/*
 * A minimal JSON writer: objects one member a line, arrays of numbers on
 * one line, arrays of objects or arrays one element a line.
 */
#include <math.h>

#include "json.h"

static void indent(struct json *j)
{
	int i;

	fputc('\n', j->f);
	for (i = 0; i < j->depth; i++)
		fputs("  ", j->f);
}

static void item(struct json *j, const char *key, bool container)
{
	int d = j->depth;

	if (d && !j->first[d])
		fputc(',', j->f);
	if (d && (j->in_obj[d] || container))
		indent(j);
	else if (d && !j->first[d])
		fputc(' ', j->f);
	if (d)
		j->first[d] = false;
	if (key)
		fprintf(j->f, "\"%s\": ", key);
}

void json_open(struct json *j, const char *key, char bracket)
{
	item(j, key, true);
	fputc(bracket, j->f);
	if (j->depth < JSON_MAX_DEPTH - 1)
		j->depth++;
	j->first[j->depth] = true;
	j->in_obj[j->depth] = bracket == '{';
}

void json_close(struct json *j)
{
	bool obj = j->in_obj[j->depth], empty = j->first[j->depth];

	j->depth--;
	if (obj && !empty)
		indent(j);
	fputc(obj ? '}' : ']', j->f);
	if (!j->depth)
		fputc('\n', j->f);
}

void json_str(struct json *j, const char *key, const char *val)
{
	const unsigned char *p = (const unsigned char *)val;

	if (!val) {
		json_null(j, key);
		return;
	}
	item(j, key, false);
	fputc('"', j->f);
	for (; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(j->f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(j->f, "\\u%04x", *p);
		else
			fputc(*p, j->f);
	}
	fputc('"', j->f);
}

void json_uint(struct json *j, const char *key, unsigned long long val)
{
	item(j, key, false);
	fprintf(j->f, "%llu", val);
}

void json_int(struct json *j, const char *key, long long val)
{
	item(j, key, false);
	fprintf(j->f, "%lld", val);
}

void json_double(struct json *j, const char *key, double val)
{
	if (!isfinite(val)) {
		json_null(j, key);
		return;
	}
	item(j, key, false);
	fprintf(j->f, "%.9g", val);
}

void json_bool(struct json *j, const char *key, bool val)
{
	item(j, key, false);
	fputs(val ? "true" : "false", j->f);
}

void json_null(struct json *j, const char *key)
{
	item(j, key, false);
	fputs("null", j->f);
}
