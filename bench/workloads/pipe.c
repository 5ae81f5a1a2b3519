// SPDX-License-Identifier: GPL-2.0
/*
 * pipe: pipe2() and close of both ends per op: two files on the internal
 * pipefs mount, so two final fput()s per op.  No overlay, no path.  Part
 * of the census of files whose final fput() puts a mount that may lack a
 * namespace.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>

#include "tasks.h"
#include "workload.h"

static int pipe_loop(struct task *t)
{
	unsigned long n = 0;
	int fds[2];

	while (task_running(t, n)) {
		if (pipe2(fds, O_CLOEXEC))
			return task_fail(t, "pipe2", errno);
		close(fds[0]);
		close(fds[1]);
		task_count(t, ++n);
	}
	return 0;
}

const struct workload wl_pipe = {
	.name = "pipe",
	.desc = "pipe2() and close both ends (no overlay)",
	.flags = WL_NO_OVERLAY,
	.run = pipe_loop,
	.target = "internal:pipefs",
};
