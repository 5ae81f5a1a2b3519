// SPDX-License-Identifier: GPL-2.0
/*
 * open-close: each task opens and closes its own file through the
 * overlay, like will-it-scale's open1 (read-only here: the file may be
 * on a lower layer, and a write open would copy it up).
 * open-close-shared: the same, all tasks on one file.
 * With --pair-modes the file is in overlay A or B, as the parent's
 * phase says: it alternates between two overlays in different modes.
 * With --ops each task stops after exactly that many.
 */
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include "tasks.h"
#include "workload.h"

/*
 * Paired runs (the file is in overlay A or B, as the parent's phase says)
 * and --ops: the general loop
 */
static int open_close_general(struct task *t)
{
	unsigned long n = 0;
	int fd;

	while (task_running(t, n)) {
		/* on the same cache line as stop: no extra miss */
		fd = open(t->paths[READ_ONCE(t->ctl->phase)], O_RDONLY);
		if (fd < 0)
			return task_fail(t, "open", errno);
		close(fd);
		task_count(t, ++n);
	}
	return 0;
}

int open_close_loop(struct task *t)
{
	/*
	 * The loop of a minimal benchmark plus one store, the count that the
	 * parent samples: the pointers are loaded once, not after every call
	 * (measured on icount: 1.4 instructions per op over tools/minloop).
	 */
	const char *path = t->paths[0];
	const unsigned int *stop = &t->ctl->stop;
	unsigned long *count = &t->slot->count;
	unsigned long n = 0;
	int fd;

	if (t->paths[1] != path || t->ops != ULONG_MAX)
		return open_close_general(t);
	while (!READ_ONCE(*stop)) {
		fd = open(path, O_RDONLY);
		if (fd < 0)
			return task_fail(t, "open", errno);
		close(fd);
		WRITE_ONCE(*count, ++n);
	}
	return 0;
}

/* One op of --coherence-marks (marks.c): the loops above stay as they are */
static int open_close_op(struct task *t)
{
	int fd = open(t->paths[0], O_RDONLY);

	if (fd < 0)
		return task_fail(t, "open", errno);
	close(fd);
	return 0;
}

const struct workload wl_open_close = {
	.name = "open-close",
	.desc = "open and close a file per task (will-it-scale open1)",
	.run = open_close_loop,
	.op = open_close_op,
};

const struct workload wl_open_close_shared = {
	.name = "open-close-shared",
	.desc = "open and close one file shared by all tasks",
	.flags = WL_SHARED_FILE,
	.run = open_close_loop,
	.op = open_close_op,
};
