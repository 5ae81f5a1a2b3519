/* SPDX-License-Identifier: GPL-2.0 */
/* Time stamps for intervals: CLOCK_MONOTONIC, as bpf_ktime_get_ns() */
#ifndef LIB_CLOCK_H
#define LIB_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

#endif /* LIB_CLOCK_H */
