/* SPDX-License-Identifier: GPL-2.0 */
/* The kernel's names for compiler attributes and access macros */
#ifndef LIB_COMPILER_H
#define LIB_COMPILER_H

#define __printf(a, b)	__attribute__((format(printf, a, b)))
#define __noreturn	__attribute__((noreturn))
#define __aligned(x)	__attribute__((aligned(x)))
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* Relaxed atomics: no torn or repeated accesses, no ordering */
#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

#endif /* LIB_COMPILER_H */
