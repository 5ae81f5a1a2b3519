// SPDX-License-Identifier: GPL-2.0
/*
 * open-read-close: open a file per task, read --read-size bytes from its
 * start (1 by default, at most 4 KiB), close it.
 */
#include <fcntl.h>
#include <unistd.h>

#include "ovlbench.h"
#include "tasks.h"
#include "workload.h"

static int open_read_close(struct task *t)
{
	const char *path = t->path;
	size_t size = t->read_size;
	char buf[FILE_SIZE];
	unsigned long n = 0;
	int fd;

	while (task_running(t, n)) {
		fd = open(path, O_RDONLY);
		if (fd < 0)
			return task_fail(t, "open", errno);
		if (read(fd, buf, size) < 0)
			return task_fail(t, "read", errno);
		close(fd);
		task_count(t, ++n);
	}
	return 0;
}

const struct workload wl_open_read_close = {
	.name = "open-read-close",
	.desc = "open, read --read-size bytes, close a file per task",
	.run = open_read_close,
};
