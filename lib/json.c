// SPDX-License-Identifier: GPL-2.0
/*
 * The JSON writer of ovlbench and mntlock (json.h).  Strings are bytes
 * from the kernel or the command line: valid UTF-8 is copied, any other
 * byte is escaped as the code point of its value, so that the document is
 * valid JSON whatever the bytes.
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

/* Length of the valid UTF-8 sequence at p, within n bytes; 0 if none */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t len, i;

	if (p[0] < 0xc2 || p[0] > 0xf4)
		return 0;
	len = p[0] < 0xe0 ? 2 : p[0] < 0xf0 ? 3 : 4;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] > 0x9f) ||
	    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] > 0x8f))
		return 0;
	return len;
}

void json_strn(struct json *j, const char *key, const char *val,
	       size_t max)
{
	const unsigned char *p = (const unsigned char *)val;
	size_t i, n;

	if (!val) {
		json_null(j, key);
		return;
	}
	item(j, key, false);
	fputc('"', j->f);
	for (i = 0; i < max && p[i]; i++) {
		if (p[i] == '"' || p[i] == '\\') {
			fprintf(j->f, "\\%c", p[i]);
		} else if (p[i] < 0x20) {
			fprintf(j->f, "\\u%04x", p[i]);
		} else if (p[i] < 0x80) {
			fputc(p[i], j->f);
		} else {
			n = utf8_len(p + i, max - i);
			if (!n) {
				fprintf(j->f, "\\u%04x", p[i]);
				continue;
			}
			fwrite(p + i, 1, n, j->f);
			i += n - 1;
		}
	}
	fputc('"', j->f);
}

void json_str(struct json *j, const char *key, const char *val)
{
	json_strn(j, key, val, (size_t)-1);
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

void json_fixed(struct json *j, const char *key, double val, int decimals)
{
	if (!isfinite(val)) {
		json_null(j, key);
		return;
	}
	item(j, key, false);
	fprintf(j->f, "%.*f", decimals < 1 ? 1 : decimals, val);
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
