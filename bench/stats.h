/* SPDX-License-Identifier: GPL-2.0 */
#ifndef STATS_H
#define STATS_H

#include <stdint.h>

struct run;

struct lat_stats {
	unsigned long count;
	uint64_t min, median, p90, p99, max;
	double mean;
};

enum { LAT_MOUNT, LAT_UMOUNT };

void lat_stats(const struct run *r, int which, struct lat_stats *s);

#endif
