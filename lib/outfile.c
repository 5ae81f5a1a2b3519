// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outfile.h"

/* the path itself, not what a symlink points to */
static bool is_in_place(int dirfd, const char *base)
{
	struct stat st;

	return !fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) &&
	       !S_ISREG(st.st_mode);
}

static int tmp_name(char *tmp, const char *base)
{
	if (snprintf(tmp, NAME_MAX + 1, "%s.tmp", base) >= NAME_MAX + 1)
		return -ENAMETOOLONG;
	return 0;
}

int outfile_check(int dirfd, const char *base)
{
	char tmp[NAME_MAX + 1];
	struct stat st;
	int fd, err;

	if (is_in_place(dirfd, base)) {
		/* opening a FIFO would hand a waiting reader an early EOF */
		if (!fstatat(dirfd, base, &st, 0) && S_ISFIFO(st.st_mode))
			return faccessat(dirfd, base, W_OK, AT_EACCESS) ?
			       -errno : 0;
		fd = openat(dirfd, base, O_WRONLY | O_NONBLOCK | O_NOCTTY |
			    O_CLOEXEC);
		if (fd < 0)
			return -errno;
		close(fd);
		return 0;
	}
	err = tmp_name(tmp, base);
	if (err)
		return err;
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	/* a stale FILE.tmp: the run would truncate and rename it anyway */
	if (fd < 0 && errno == EEXIST && !unlinkat(dirfd, tmp, 0))
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL |
			    O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	close(fd);
	return unlinkat(dirfd, tmp, 0) ? -errno : 0;
}

int outfile_open(struct outfile *o, int dirfd, const char *base)
{
	int fd, err;

	memset(o, 0, sizeof(*o));
	o->dirfd = dirfd;
	o->base = base;
	o->in_place = is_in_place(dirfd, base);
	if (o->in_place) {
		fd = openat(dirfd, base, O_WRONLY | O_CLOEXEC);
	} else {
		err = tmp_name(o->tmp, base);
		if (err)
			return err;
		fd = openat(dirfd, o->tmp, O_WRONLY | O_CREAT | O_TRUNC |
			    O_CLOEXEC, 0644);
	}
	if (fd < 0)
		return -errno;
	o->f = fdopen(fd, "w");
	if (!o->f) {
		err = -errno;
		close(fd);
		if (!o->in_place)
			unlinkat(dirfd, o->tmp, 0);
		return err;
	}
	return 0;
}

int outfile_close(struct outfile *o, bool keep)
{
	int err = 0;

	if (!o->f)
		return 0;
	if (ferror(o->f))
		err = -EIO;
	/* on disk before the rename: a crash leaves the old file or all */
	if (!err && keep && !o->in_place &&
	    (fflush(o->f) || fsync(fileno(o->f))))
		err = -errno;
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
