// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outfile.h"

int outfile_open(struct outfile *o, int dirfd, const char *base)
{
	struct stat st;
	int fd;

	memset(o, 0, sizeof(*o));
	o->dirfd = dirfd;
	o->base = base;
	/* the path itself, not what a symlink points to */
	o->in_place = !fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) &&
		      !S_ISREG(st.st_mode);
	if (o->in_place) {
		fd = openat(dirfd, base, O_WRONLY | O_CLOEXEC);
	} else {
		if (snprintf(o->tmp, sizeof(o->tmp), "%s.tmp", base) >=
		    (int)sizeof(o->tmp))
			return -ENAMETOOLONG;
		fd = openat(dirfd, o->tmp, O_WRONLY | O_CREAT | O_TRUNC |
			    O_CLOEXEC, 0644);
	}
	if (fd < 0)
		return -errno;
	o->f = fdopen(fd, "w");
	if (!o->f) {
		close(fd);
		return -errno;
	}
	return 0;
}

int outfile_close(struct outfile *o, bool keep)
{
	int err = 0;

	if (ferror(o->f))
		err = -EIO;
	if (fclose(o->f) && !err)
		err = -errno;
	o->f = NULL;
	if (o->in_place)
		return err;
	if (!err && keep && renameat(o->dirfd, o->tmp, o->dirfd, o->base))
		err = -errno;
	if (err || !keep)
		unlinkat(o->dirfd, o->tmp, 0);
	return err;
}
