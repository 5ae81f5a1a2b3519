// SPDX-License-Identifier: GPL-2.0
/*
 * stat: stat() each task's file.  A negative control: path lookup only,
 * no file is opened, so no private layer mount is taken or put.  Also
 * the loop of collateral's victim-stat tasks.
 */
#include <sys/stat.h>

#include "tasks.h"
#include "workload.h"

int stat_loop(struct task *t)
{
	const char *path = t->path;
	unsigned long n = 0;
	struct stat st;

	while (task_running(t, n)) {
		if (stat(path, &st))
			return task_fail(t, "stat", errno);
		task_count(t, ++n);
	}
	return 0;
}

/* One op of --coherence-marks (marks.c) */
static int stat_op(struct task *t)
{
	struct stat st;

	if (stat(t->path, &st))
		return task_fail(t, "stat", errno);
	return 0;
}

const struct workload wl_stat = {
	.name = "stat",
	.desc = "stat() a file per task (negative control)",
	.run = stat_loop,
	.op = stat_op,
};
