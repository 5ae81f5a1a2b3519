// SPDX-License-Identifier: GPL-2.0
/*
 * CPU lists, the format of --cpus and of /sys/devices/system/cpu/online.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cpulist.h"

static int fail(int err)
{
	errno = err;
	return -1;
}

int cpulist_parse(const char *s, int *out, unsigned int max)
{
	unsigned int n = 0, i;
	long a, b, c;
	char *end;

	for (;;) {
		if (*s < '0' || *s > '9')
			return fail(EINVAL);
		a = strtol(s, &end, 10);
		b = a;
		if (*end == '-') {
			s = end + 1;
			if (*s < '0' || *s > '9')
				return fail(EINVAL);
			b = strtol(s, &end, 10);
		}
		if (a > b)
			return fail(EINVAL);
		if (b >= (long)max)
			return fail(ERANGE);
		for (c = a; c <= b; c++) {
			for (i = 0; i < n; i++)
				if (out[i] == c)
					return fail(EINVAL);
			if (n == max)
				return fail(ERANGE);
			out[n++] = c;
		}
		if (*end == '\0' || (*end == '\n' && end[1] == '\0'))
			return n;
		if (*end != ',')
			return fail(EINVAL);
		s = end + 1;
	}
}

int cpulist_online(int *out, unsigned int max)
{
	char buf[4096];
	FILE *f = fopen("/sys/devices/system/cpu/online", "re");
	long n, i;

	if (f) {
		int ret = -1;

		if (fgets(buf, sizeof(buf), f))
			ret = cpulist_parse(buf, out, max);
		fclose(f);
		if (ret > 0)
			return ret;
	}
	n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	for (i = 0; i < n && i < (long)max; i++)
		out[i] = i;
	return i;
}

char *cpulist_format(const int *cpus, unsigned int n)
{
	/* each range: ",", two ints of up to 11 characters and "-" */
	char *buf = malloc(n * 24 + 1);
	size_t len = 0;
	unsigned int i, j;

	if (!buf)
		return NULL;
	buf[0] = '\0';
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && cpus[j] == cpus[j - 1] + 1; j++)
			;
		len += sprintf(buf + len, "%s%d", i ? "," : "", cpus[i]);
		if (j - i > 1)
			len += sprintf(buf + len, "-%d", cpus[j - 1]);
	}
	return buf;
}
