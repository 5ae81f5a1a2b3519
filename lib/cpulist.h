/* SPDX-License-Identifier: GPL-2.0 */
/* CPU lists as the kernel writes them ("0-3,6"): parse, format, online */
#ifndef LIB_CPULIST_H
#define LIB_CPULIST_H

/*
 * Parse s into out[], in the order given; one trailing newline is
 * allowed (sysfs files).  Returns the number of CPUs, or -1 with errno
 * EINVAL (malformed, or a CPU twice) or ERANGE (a CPU >= max, or more
 * than max CPUs).
 */
int cpulist_parse(const char *s, int *out, unsigned int max);

/* The online CPUs, from sysfs or failing that sysconf(); at least 1 */
int cpulist_online(int *out, unsigned int max);

/* "0-3,6", allocated; NULL with errno ENOMEM */
char *cpulist_format(const int *cpus, unsigned int n);

#endif /* LIB_CPULIST_H */
