// SPDX-License-Identifier: GPL-2.0
/*
 * Small helpers: fatal errors, allocation, clocks and CPU lists.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* Print "ovlbench: <message>" and exit; atexit handlers clean up */
void die(int code, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("ovlbench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		die(1, "out of memory");
	return p;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		die(1, "out of memory");
	return p;
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Sleep until CLOCK_MONOTONIC reaches deadline; -1 if a signal came */
int sleep_until_ns(uint64_t deadline)
{
	struct timespec ts = {
		.tv_sec = deadline / 1000000000,
		.tv_nsec = deadline % 1000000000,
	};

	return clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ?
	       -1 : 0;
}

/*
 * Parse a list like "0-3,6" into out[], in the order given.  Returns the
 * number of CPUs, or -1 if the list is malformed, has a duplicate or is
 * longer than max.
 */
int parse_cpu_list(const char *s, int *out, unsigned int max)
{
	unsigned int n = 0, i;
	long a, b, c;
	char *end;

	for (;;) {
		if (*s < '0' || *s > '9')
			return -1;
		a = strtol(s, &end, 10);
		b = a;
		if (*end == '-') {
			s = end + 1;
			if (*s < '0' || *s > '9')
				return -1;
			b = strtol(s, &end, 10);
		}
		if (a > b || b >= (long)max)
			return -1;
		for (c = a; c <= b; c++) {
			for (i = 0; i < n; i++)
				if (out[i] == c)
					return -1;
			if (n == max)
				return -1;
			out[n++] = c;
		}
		if (*end == '\0')
			return n;
		if (*end != ',' && *end != '\n')
			return -1;
		if (*end == '\n' && end[1] == '\0')
			return n;
		s = end + 1;
	}
}

/* The online CPUs, from sysfs or failing that sysconf() */
int online_cpus(int *out, unsigned int max)
{
	char buf[4096];
	FILE *f = fopen("/sys/devices/system/cpu/online", "re");
	long n, i;

	if (f) {
		int ret = -1;

		if (fgets(buf, sizeof(buf), f))
			ret = parse_cpu_list(buf, out, max);
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

/* "0-3,6" for the log; the caller frees the string */
char *format_cpu_list(const int *cpus, unsigned int n)
{
	char *buf = xcalloc(n + 1, 24);
	size_t len = 0;
	unsigned int i, j;

	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && cpus[j] == cpus[j - 1] + 1; j++)
			;
		len += sprintf(buf + len, "%s%d", i ? "," : "", cpus[i]);
		if (j - i > 1)
			len += sprintf(buf + len, "-%d", cpus[j - 1]);
	}
	return buf;
}
