/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The -o FILE of ovlbench and mntlock: a regular file (or a new path) is
 * written to FILE.tmp and renamed, so a reader never sees half of it;
 * anything else (a device such as /dev/null, a FIFO, a symlink such as
 * /dev/stdout) is written in place, never replaced.  Every error path
 * removes FILE.tmp.
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

/*
 * Before a run: can base be written as outfile_open() will?  A regular
 * file or a new path: create and remove base.tmp (a stale one is
 * removed); a device or a symlink: open it for writing and close it; a
 * FIFO (or a symlink to one): write permission only (an open and close
 * would end a waiting reader's read).  0, or -errno.
 */
int outfile_check(int dirfd, const char *base);

/* 0, or -errno (ENAMETOOLONG: base too long for base.tmp) */
int outfile_open(struct outfile *o, int dirfd, const char *base);

/*
 * Close; keep: fsync the temporary file and rename it over base, else
 * remove it.  0, or -errno of the first failure (write, fsync, close or
 * rename; the temporary file is then removed).  Closed already: 0.
 */
int outfile_close(struct outfile *o, bool keep);

#endif /* LIB_OUTFILE_H */
