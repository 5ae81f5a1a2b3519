/* SPDX-License-Identifier: GPL-2.0 */
#ifndef UTIL_H
#define UTIL_H

#include <stddef.h>
#include <stdint.h>

#define __printf(a, b)	__attribute__((format(printf, a, b)))
#define __noreturn	__attribute__((noreturn))
#define __aligned(x)	__attribute__((aligned(x)))
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

__noreturn __printf(2, 3)
void die(int code, const char *fmt, ...);
void *xcalloc(size_t n, size_t size);
char *xstrdup(const char *s);

uint64_t now_ns(void);
int sleep_until_ns(uint64_t deadline);

int parse_cpu_list(const char *s, int *out, unsigned int max);
int online_cpus(int *out, unsigned int max);
char *format_cpu_list(const int *cpus, unsigned int n);

#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

#endif
