// SPDX-License-Identifier: GPL-2.0
/*
 * oploop - open()+close() one file in a loop, in T processes, for an
 * exact number of operations (-n, for exact probe counts) or a time
 * (-s, for throughput).  Its task name is "oploop", so that mntlock
 * --comm=oploop counts its events only.  With -t 1 -n N the loop runs in
 * the oploop process itself (mntlock --pid).  Prints one JSON line:
 *   {"tasks": T, "ops": N, "seconds": S, "ops_per_s": R}
 *
 *   oploop [-t TASKS] [-n OPS_PER_TASK | -s SECONDS] PATH
 */
#define _GNU_SOURCE	/* sched_setaffinity */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#define MAX_TASKS 256

/* One cache line per task: the counters must not add a pingpong */
struct slot {
	unsigned long ops;
	char pad[64 - sizeof(unsigned long)];
};

/* Shared between processes: accessed with __atomic builtins only */
struct shared {
	int ready;
	int go;
	int stop;
	char pad[64 - 3 * sizeof(int)];
	struct slot s[MAX_TASKS];
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void pin(int i)
{
	int n = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;

	if (n < 1)
		return;
	CPU_ZERO(&set);
	CPU_SET(i % n, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void task(struct shared *sh, int i, const char *path,
		 unsigned long n)
{
	unsigned long k;
	int fd;

	pin(i);
	__sync_fetch_and_add(&sh->ready, 1);
	while (!__atomic_load_n(&sh->go, __ATOMIC_ACQUIRE))
		;
	for (k = 0; n ? k < n : !__atomic_load_n(&sh->stop, __ATOMIC_RELAXED);
	     k++) {
		fd = open(path, O_RDONLY);
		if (fd < 0) {
			perror(path);
			_exit(1);
		}
		close(fd);
		__atomic_store_n(&sh->s[i].ops, k + 1, __ATOMIC_RELAXED);
	}
	_exit(0);
}

int main(int argc, char **argv)
{
	unsigned long n = 0, ops = 0;
	double secs = 0, t0, t1 = 0;
	int tasks = 1, c, i, st, rc = 0;
	struct shared *sh;

	while ((c = getopt(argc, argv, "t:n:s:")) != -1) {
		switch (c) {
		case 't':
			tasks = atoi(optarg);
			break;
		case 'n':
			n = strtoul(optarg, NULL, 10);
			break;
		case 's':
			secs = atof(optarg);
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc - 1 || tasks < 1 || tasks > MAX_TASKS ||
	    (!n) == (secs <= 0))
		goto usage;
	if (tasks == 1 && n) {
		pin(0);
		t0 = now();
		for (ops = 0; ops < n; ops++) {
			int fd = open(argv[optind], O_RDONLY);

			if (fd < 0) {
				perror(argv[optind]);
				return 1;
			}
			close(fd);
		}
		t1 = now();
		goto print;
	}
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	memset(sh, 0, sizeof(*sh));
	for (i = 0; i < tasks; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (!pid)
			task(sh, i, argv[optind], n);
	}
	while (__atomic_load_n(&sh->ready, __ATOMIC_ACQUIRE) < tasks)
		usleep(1000);
	t0 = now();
	__atomic_store_n(&sh->go, 1, __ATOMIC_RELEASE);
	if (secs > 0) {
		usleep(secs * 1e6);
		/* the count at the end of the timed window */
		for (i = 0; i < tasks; i++)
			ops += __atomic_load_n(&sh->s[i].ops,
					       __ATOMIC_RELAXED);
		t1 = now();
		__atomic_store_n(&sh->stop, 1, __ATOMIC_RELAXED);
	}
	while (wait(&st) > 0)
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			rc = 1;
	if (!secs) {
		t1 = now();
		for (i = 0; i < tasks; i++)
			ops += sh->s[i].ops;
	}
print:
	printf("{\"tasks\": %d, \"ops\": %lu, \"seconds\": %.6f, \"ops_per_s\": %.1f}\n",
	       tasks, ops, t1 - t0, ops / (t1 - t0));
	return rc;
usage:
	fprintf(stderr,
		"usage: oploop [-t TASKS] [-n OPS_PER_TASK | -s SECONDS] PATH\n");
	return 2;
}
