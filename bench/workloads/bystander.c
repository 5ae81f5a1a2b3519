// SPDX-License-Identifier: GPL-2.0
/*
 * bystander: task 0 mounts and umounts an overlay in a loop (as in
 * teardown) while the other tasks run open-close on the main overlay:
 * what does mount churn cost the tasks that only use files?
 */
#include "tasks.h"
#include "workload.h"

static int bystander(struct task *t)
{
	return t->role == ROLE_CHURN ? churn_loop(t) : open_close_loop(t);
}

const struct workload wl_bystander = {
	.name = "bystander",
	.desc = "task 0 churns mount/umount, the others run open-close",
	.flags = WL_CHURN_ONE,
	.min_tasks = 2,
	.run = bystander,
};
