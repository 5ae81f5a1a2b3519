// SPDX-License-Identifier: GPL-2.0
/*
 * Latency distributions over all churn tasks of a run.  Percentiles are
 * nearest-rank: the smallest value with at least p% of values <= it.
 */
#include <stdlib.h>
#include <string.h>

#include "stats.h"
#include "tasks.h"
#include "util.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t rank(const uint64_t *v, unsigned long n, unsigned int p)
{
	unsigned long k = (p * n + 99) / 100;

	return v[k ? k - 1 : 0];
}

/* which: LAT_MOUNT or LAT_UMOUNT; count is 0 if nothing was recorded */
void lat_stats(const struct run *r, int which, struct lat_stats *s)
{
	unsigned long n = 0, i, j;
	double sum = 0;
	uint64_t *v;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < r->ntasks; i++)
		n += r->nlat[i];
	if (!n)
		return;
	v = xcalloc(n, sizeof(*v));
	n = 0;
	for (i = 0; i < r->ntasks; i++)
		for (j = 0; j < r->nlat[i]; j++)
			v[n++] = r->lat[i][2 * j + which];
	qsort(v, n, sizeof(*v), cmp_u64);
	for (i = 0; i < n; i++)
		sum += v[i];
	s->count = n;
	s->min = v[0];
	s->median = rank(v, n, 50);
	s->p90 = rank(v, n, 90);
	s->p99 = rank(v, n, 99);
	s->max = v[n - 1];
	s->mean = sum / n;
	free(v);
}
