// SPDX-License-Identifier: GPL-2.0
/*
 * mqueue: each task opens its own POSIX message queue with mq_open(O_CREAT)
 * and closes it, per op; the queue is created by the first op and removed
 * when the task ends.  The file is on the IPC namespace's internal
 * mqueue mount: no overlay, no path of ours.  Part of the census of files
 * whose final fput() puts a mount that may lack a namespace.
 */
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>

#include "tasks.h"
#include "workload.h"

/* "/ovlbench.PID.TASK": the parent's pid keeps concurrent runs apart */
#define MQ_NAME_LEN	48

static void mq_name(const struct task *t, char *buf, size_t len)
{
	snprintf(buf, len, "/ovlbench.%d.%u", (int)t->ctl->parent, t->id);
}

/*
 * The smallest queue: a default one (10 x 8 KiB) counts against
 * RLIMIT_MSGQUEUE, which ten tasks would exhaust
 */
static const struct mq_attr attr = { .mq_maxmsg = 1, .mq_msgsize = 1 };

static int mqueue(struct task *t)
{
	char name[MQ_NAME_LEN];
	unsigned long n = 0;
	int ret = 0;
	mqd_t q;

	mq_name(t, name, sizeof(name));
	while (task_running(t, n)) {
		q = mq_open(name, O_RDONLY | O_CREAT, 0600, &attr);
		if (q == (mqd_t)-1) {
			ret = task_fail(t, "mq_open", errno);
			break;
		}
		mq_close(q);
		task_count(t, ++n);
	}
	if (n && mq_unlink(name) && !ret)
		ret = task_fail(t, "mq_unlink", errno);
	return ret;
}

/* A task that failed or was killed before its own mq_unlink() */
static void mqueue_cleanup(const struct task *t)
{
	char name[MQ_NAME_LEN];

	mq_name(t, name, sizeof(name));
	mq_unlink(name);
}

/* ENOSYS: a kernel without CONFIG_POSIX_MQUEUE */
static int mqueue_probe(const char **what)
{
	mqd_t q = mq_open("/ovlbench.probe", O_RDONLY);

	*what = "mq_open";
	if (q != (mqd_t)-1)
		mq_close(q);
	return q == (mqd_t)-1 && errno == ENOSYS ? ENOSYS : 0;
}

const struct workload wl_mqueue = {
	.name = "mqueue",
	.desc = "mq_open(O_CREAT) and close a queue per task (no overlay)",
	.flags = WL_NO_OVERLAY,
	.run = mqueue,
	.target = "internal:mqueue",
	.probe = mqueue_probe,
	.cleanup = mqueue_cleanup,
};
