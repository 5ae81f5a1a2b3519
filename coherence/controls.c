// SPDX-License-Identifier: GPL-2.0
/*
 * coherence-controls: user-space programs whose line footprint is known
 * exactly, run in a guest under the coherence plugin to check it.  Each
 * of --threads threads (pinned to CPUs 0..N-1) does --ops ops, each op
 * bracketed by markers; the main thread opens the window before it
 * releases them and closes it after it joined them.
 *
 *   shared    every thread increments one counter: 1 line, true sharing
 *   padded    each thread its own counter, 128 bytes apart: 0 lines
 *   adjacent  thread i writes word i of one line (2..8 threads): 1 line,
 *             false sharing
 *
 * Exit status: 0 done, 2 bad arguments, 3 a system call failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coherence_marks.h"
#include "compiler.h"

#define EXIT_USAGE	2
#define EXIT_SYSTEM	3
#define MAX_THREADS	64
#define MAX_OPS		10000000UL

enum control { SHARED, PADDED, ADJACENT };

static const char *const names[] = { "shared", "padded", "adjacent" };

static struct {
	unsigned long counter;
} shared __aligned(128);

static struct {
	unsigned long counter;
} __aligned(128) padded[MAX_THREADS];

static struct {
	unsigned long word[8];
} adjacent __aligned(64);

struct thread {
	pthread_t tid;
	unsigned int id;
	unsigned long ops;
	enum control what;
	unsigned int go;		/* start barrier */
} __aligned(128);

static unsigned int go;

static void *run(void *arg)
{
	struct thread *t = arg;
	unsigned long *mine = NULL;
	unsigned long i;

	if (t->what == PADDED)
		mine = &padded[t->id].counter;
	else if (t->what == ADJACENT)
		mine = &adjacent.word[t->id];
	while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
		sched_yield();
	for (i = 0; i < t->ops; i++) {
		coherence_mark_op();
		if (t->what == SHARED)
			__atomic_fetch_add(&shared.counter, 1,
					   __ATOMIC_RELAXED);
		else
			WRITE_ONCE(*mine, READ_ONCE(*mine) + 1);
	}
	coherence_mark_done();
	return NULL;
}

static void usage(FILE *f)
{
	fputs("Usage: coherence-controls --control shared|padded|adjacent --threads N --ops N\n"
	      "  --threads  1..64 (adjacent: 1..8), pinned to CPUs 0..N-1\n"
	      "  --ops      ops per thread, 1..10000000\n"
	      "exit status: 0 done, 2 bad arguments, 3 a system call failed\n",
	      f);
}

static unsigned long number(const char *opt, const char *arg,
			    unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || v < 1 || v > max) {
		fprintf(stderr,
			"coherence-controls: --%s=%s: allowed: 1..%lu\n",
			opt, arg, max);
		exit(EXIT_USAGE);
	}
	return v;
}

static void die_sys(const char *what, int err)
{
	fprintf(stderr, "coherence-controls: %s: %s\n", what, strerror(err));
	exit(EXIT_SYSTEM);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "control", required_argument, NULL, 'c' },
		{ "threads", required_argument, NULL, 't' },
		{ "ops", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static struct thread threads[MAX_THREADS];
	unsigned long nthreads = 1, ops = 1000;
	int what = -1, c, err;
	unsigned int i;
	cpu_set_t set;
	pthread_attr_t attr;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			for (what = 0; what < (int)ARRAY_SIZE(names); what++)
				if (!strcmp(optarg, names[what]))
					break;
			if (what == (int)ARRAY_SIZE(names)) {
				fprintf(stderr, "coherence-controls: --control=%s: allowed: shared, padded, adjacent\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 't':
			nthreads = number("threads", optarg, MAX_THREADS);
			break;
		case 'o':
			ops = number("ops", optarg, MAX_OPS);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "coherence-controls: %s: no arguments allowed\n",
			argv[optind]);
		return EXIT_USAGE;
	}
	if (what < 0) {
		fputs("coherence-controls: --control is required (shared, padded, adjacent)\n",
		      stderr);
		return EXIT_USAGE;
	}
	if (what == ADJACENT && nthreads > ARRAY_SIZE(adjacent.word)) {
		fprintf(stderr, "coherence-controls: --threads=%lu: allowed with adjacent: 1..8\n",
			nthreads);
		return EXIT_USAGE;
	}
	for (i = 0; i < nthreads; i++) {
		threads[i] = (struct thread){ .id = i, .ops = ops,
					      .what = what };
		pthread_attr_init(&attr);
		CPU_ZERO(&set);
		CPU_SET(i, &set);
		err = pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
		if (!err)
			err = pthread_create(&threads[i].tid, &attr, run,
					     &threads[i]);
		pthread_attr_destroy(&attr);
		if (err)
			die_sys("pthread_create", err);
	}
	coherence_mark_open();
	__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
	for (i = 0; i < nthreads; i++) {
		err = pthread_join(threads[i].tid, NULL);
		if (err)
			die_sys("pthread_join", err);
	}
	coherence_mark_close();
	return 0;
}
