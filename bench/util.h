/* SPDX-License-Identifier: GPL-2.0 */
#ifndef UTIL_H
#define UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "clock.h"
#include "compiler.h"

__noreturn __printf(2, 3)
void die(int code, const char *fmt, ...);
void *xcalloc(size_t n, size_t size);
char *xstrdup(const char *s);

int sleep_until_ns(uint64_t deadline);
char *xcpulist(const int *cpus, unsigned int n);

#endif
