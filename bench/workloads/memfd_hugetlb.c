// SPDX-License-Identifier: GPL-2.0
/*
 * memfd-hugetlb: memfd_create(MFD_HUGETLB) and close per op, a file on
 * the internal hugetlbfs mount of the default huge page size.  No page
 * is faulted in, so no huge page needs to be reserved: it runs with
 * vm.nr_hugepages = 0.  A kernel without CONFIG_HUGETLBFS (ENOSYS), or
 * without huge pages of that size (ENODEV) or their internal mount
 * (ENOENT), or before MFD_HUGETLB (4.14: EINVAL), makes it n/a.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/memfd.h>

#include "tasks.h"
#include "workload.h"

#define CALL "memfd_create(MFD_HUGETLB)"

/*
 * MFD_HUGETLB and the page size: the default, or for tests, log2 of a
 * size from OVLBENCH_HUGE_LOG (such as 34, which x86 lacks: ENODEV).
 * Set by the probe, before the tasks start.
 */
static unsigned int huge_flags = MFD_HUGETLB | MFD_CLOEXEC;

static int memfd_hugetlb(struct task *t)
{
	return memfd_loop(t, huge_flags, CALL);
}

static int memfd_hugetlb_probe(const char **what)
{
	const char *log = getenv("OVLBENCH_HUGE_LOG");
	int fd, err;

	if (log)
		huge_flags |= (atoi(log) & MFD_HUGE_MASK) << MFD_HUGE_SHIFT;
	*what = CALL;
	fd = memfd_create("ovlbench", huge_flags);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	err = errno;
	return err == ENOSYS || err == ENODEV || err == ENOENT ||
	       err == EINVAL ? err : 0;
}

const struct workload wl_memfd_hugetlb = {
	.name = "memfd-hugetlb",
	.desc = "memfd_create(MFD_HUGETLB) and close (no overlay)",
	.flags = WL_NO_OVERLAY,
	.run = memfd_hugetlb,
	.target = "internal:hugetlbfs",
	.probe = memfd_hugetlb_probe,
};
