/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The -o FILE of ovlbench and mntlock: a regular file (or a new path) is
 * written to FILE.tmp and renamed, so a reader never sees half of it;
 * anything else (a device such as /dev/null, a FIFO, a symlink such as
 * /dev/stdout) is written in place, never replaced.
 */
#ifndef LIB_OUTFILE_H
#define LIB_OUTFILE_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

struct outfile {
	FILE *f;
	int dirfd;			/* base is relative to it */
	const char *base;
	bool in_place;
	char tmp[NAME_MAX + 1];
};

/* 0, or -errno (ENAMETOOLONG: base too long for base.tmp) */
int outfile_open(struct outfile *o, int dirfd, const char *base);

/*
 * Close; keep: rename the temporary file over base, else remove it.
 * 0, or -errno of the first failure (the temporary file is removed).
 */
int outfile_close(struct outfile *o, bool keep);

#endif /* LIB_OUTFILE_H */
