// SPDX-License-Identifier: GPL-2.0
/*
 * memfd: memfd_create() and close per op, a file on shmem's internal
 * mount (shm_mnt): no overlay, no path.  Part of the census of files
 * whose final fput() puts a mount that may lack a namespace.  The loop
 * also serves memfd-hugetlb.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <unistd.h>

#include "tasks.h"
#include "workload.h"

int memfd_loop(struct task *t, unsigned int flags, const char *what)
{
	unsigned long n = 0;
	int fd;

	while (task_running(t, n)) {
		fd = memfd_create("ovlbench", flags);
		if (fd < 0)
			return task_fail(t, what, errno);
		close(fd);
		task_count(t, ++n);
	}
	return 0;
}

static int memfd(struct task *t)
{
	return memfd_loop(t, MFD_CLOEXEC, "memfd_create");
}

/* ENOSYS: a kernel without CONFIG_MEMFD_CREATE */
static int memfd_probe(const char **what)
{
	int fd = memfd_create("ovlbench", MFD_CLOEXEC);

	*what = "memfd_create";
	if (fd >= 0)
		close(fd);
	return fd < 0 && errno == ENOSYS ? ENOSYS : 0;
}

const struct workload wl_memfd = {
	.name = "memfd",
	.desc = "memfd_create() and close (shmem; no overlay)",
	.flags = WL_NO_OVERLAY,
	.run = memfd,
	.target = "internal:tmpfs",
	.probe = memfd_probe,
};
