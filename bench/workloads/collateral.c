// SPDX-License-Identifier: GPL-2.0
/*
 * collateral: the aggressors (the first tasks) run open-close on the
 * overlay; the victims (the last --victims tasks, half of them by
 * default) work on their own file of a plain tmpfs that no overlay uses:
 * the first victim stat()s its file, the next one opens and closes it,
 * and so on alternately.  What do the overlay's mounts cost path walks
 * elsewhere?  Victims are named VICTIM_COMM, for mntlock --comm.
 */
#include "tasks.h"
#include "workload.h"

static int collateral(struct task *t)
{
	return t->role == ROLE_VICTIM_STAT ? stat_loop(t) : open_close_loop(t);
}

const struct workload wl_collateral = {
	.name = "collateral",
	.desc = "open-close on the overlay; victims on a plain tmpfs",
	.flags = WL_VICTIMS,
	.min_tasks = 2,
	.run = collateral,
};
