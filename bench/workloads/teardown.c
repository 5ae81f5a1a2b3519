// SPDX-License-Identifier: GPL-2.0
/*
 * teardown: every task mounts an overlay of --layers layers on its own
 * mount point and unmounts it, in a loop, timing the mount syscalls and
 * the umount2() call.  One op is one mount + umount.
 */
#include <sys/mount.h>

#include "tasks.h"
#include "workload.h"

int churn_loop(struct task *t)
{
	unsigned long n = 0, nlat = 0;
	uint64_t a, b, c;
	int err;

	while (task_running(t, n)) {
		/*
		 * An iteration counts if any of it fell in the measured
		 * window: one umount of 500 layers with a grace period each
		 * can outlast the whole window, or span it from the warm-up.
		 */
		bool began_before_close = READ_ONCE(t->ctl->measuring) ||
					  !READ_ONCE(t->ctl->window_opened);

		a = now_ns();
		err = ovl_mount(&t->req, NULL, 0);
		b = now_ns();
		if (err)
			return task_fail(t, "mount", -err);
		if (umount2(t->path, 0))
			return task_fail(t, "umount", errno);
		c = now_ns();
		if (began_before_close && READ_ONCE(t->ctl->window_opened)) {
			if (nlat < t->lat_cap) {
				t->lat[2 * nlat] = b - a;
				t->lat[2 * nlat + 1] = c - b;
				WRITE_ONCE(t->slot->nlat, ++nlat);
			} else {
				t->slot->dropped++;
			}
		}
		task_count(t, ++n);
	}
	return 0;
}

const struct workload wl_teardown = {
	.name = "teardown",
	.desc = "mount and umount an overlay in a loop, timing both",
	.flags = WL_CHURN_ALL,
	.run = churn_loop,
};
