// SPDX-License-Identifier: GPL-2.0
/*
 * --coherence-marks: the workload's op in a loop of its own, each op
 * begun by a marker instruction and the last one ended by another
 * (lib/coherence_marks.h), for the coherence plugin to cut the guest's
 * accesses into ops.  The workloads' own loops are left as they are, so
 * an unmarked run executes the same instructions as before.
 */
#include "coherence_marks.h"
#include "ovlbench.h"
#include "tasks.h"
#include "workload.h"

int marked_loop(struct task *t)
{
	int (*op)(struct task *t) = opt.wl->op;
	unsigned long n = 0;

	while (n < t->ops) {
		coherence_mark_op();
		if (op(t))
			return -1;
		task_count(t, ++n);
	}
	coherence_mark_done();
	return 0;
}
