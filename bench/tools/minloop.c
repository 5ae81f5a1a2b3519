// SPDX-License-Identifier: GPL-2.0
/*
 * minloop PATH SECONDS: the smallest open/close loop, no harness, as the
 * reference ovlbench's open-close is measured against.  Prints the ops
 * done, the seconds taken and ops/s.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_alarm(int sig)
{
	(void)sig;
	stop = 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	unsigned long n = 0;
	double start;
	int fd;

	if (argc != 3 || atoi(argv[2]) < 1) {
		fprintf(stderr, "usage: minloop PATH SECONDS\n");
		return 2;
	}
	signal(SIGALRM, on_alarm);
	alarm(atoi(argv[2]));
	start = now();
	while (!stop) {
		fd = open(argv[1], O_RDONLY);
		if (fd < 0) {
			perror(argv[1]);
			return 1;
		}
		close(fd);
		n++;
	}
	start = now() - start;
	printf("%lu %.6f %.0f\n", n, start, n / start);
	return 0;
}
