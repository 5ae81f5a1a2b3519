// SPDX-License-Identifier: GPL-2.0
/*
 * socket: socket(AF_INET, SOCK_DGRAM) and close per op, a file on the
 * internal sockfs mount.  No overlay, no path.  Part of the census of
 * files whose final fput() puts a mount that may lack a namespace.
 * Every family's socket is a sockfs file; AF_INET because the kconfig
 * fragment has INET (for 9p) on every kernel, while 6.1's guest config
 * has no CONFIG_UNIX.  An unbound UDP socket: no port, no traffic.
 */
#include <unistd.h>
#include <sys/socket.h>

#include "tasks.h"
#include "workload.h"

static int socket_loop(struct task *t)
{
	unsigned long n = 0;
	int fd;

	while (task_running(t, n)) {
		fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return task_fail(t, "socket(AF_INET)", errno);
		close(fd);
		task_count(t, ++n);
	}
	return 0;
}

/* EAFNOSUPPORT: no CONFIG_INET; ENOSYS: no CONFIG_NET */
static int socket_probe(const char **what)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	*what = "socket(AF_INET)";
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return errno == EAFNOSUPPORT || errno == ENOSYS ? errno : 0;
}

const struct workload wl_socket = {
	.name = "socket",
	.desc = "socket(AF_INET, SOCK_DGRAM) and close (no overlay)",
	.flags = WL_NO_OVERLAY,
	.run = socket_loop,
	.target = "internal:sockfs",
	.probe = socket_probe,
};
