// SPDX-License-Identifier: GPL-2.0
/*
 * Small helpers: fatal errors, allocation, sleeping.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cpulist.h"
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

/* "0-3,6", for messages; the caller frees it */
char *xcpulist(const int *cpus, unsigned int n)
{
	char *p = cpulist_format(cpus, n);

	if (!p)
		die(1, "out of memory");
	return p;
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
