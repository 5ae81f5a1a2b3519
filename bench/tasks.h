/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TASKS_H
#define TASKS_H

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "mountapi.h"
#include "util.h"
#include "workload.h"

#define CACHELINE	128	/* two lines: no adjacent-line prefetch */

/* Shared by the parent and the tasks, in MAP_SHARED memory */
struct ctl {
	/* Written by the parent, read by the tasks in their loops */
	unsigned int go;		/* start barrier (futex) */
	unsigned int stop;
	unsigned int phase;		/* paired runs: overlay 0 (A) or 1 (B) */
	unsigned int measuring;		/* record latencies */
	unsigned int window_opened;	/* measuring was set once */
	/* Written by the tasks at start and on failure */
	unsigned int ready __aligned(CACHELINE);
	int failed;			/* first task to fail, + 1 */
	unsigned int done;		/* --ops: tasks that did all theirs */
	pid_t parent;
};

/* One per task, each on its own cache lines, written by its task only */
struct slot {
	unsigned long count;		/* ops done, stored relaxed */
	unsigned long nlat;		/* latencies recorded */
	unsigned long dropped;		/* latencies that did not fit */
	const char *what;		/* the operation that failed */
	int err;			/* its errno */
} __aligned(CACHELINE);

struct task {
	unsigned int id;
	int cpu;
	enum task_role role;
	const char *comm;		/* task name to set, or NULL */
	const char *path;		/* file, or churn mount point */
	const char *paths[2];		/* its file in overlay A and B */
	unsigned int read_size;
	unsigned long ops;		/* stop after this many (--ops) */
	struct ovl_req req;		/* churn tasks' overlay */
	struct ctl *ctl;
	struct slot *slot;
	uint64_t *lat;			/* mount, umount ns pairs */
	unsigned long lat_cap;
	int (*run)(struct task *t);
	pid_t pid;
	pthread_t thread;
	bool reaped;
};

/* One run of the workload, on an overlay of nlayers */
struct run {
	unsigned int nlayers;		/* 0 with --target */
	unsigned int ntasks;
	char *mode;			/* private_mounts= of the overlay */
	char *mode2;			/* of overlay B in a paired run */
	const char *api;
	char *victim_dir;		/* collateral: the victims' tmpfs */
	struct task *tasks;
	struct ctl *ctl;
	void *shm;
	size_t shmlen;
	/* Results */
	unsigned int nintervals;
	unsigned long *samples;		/* [interval * ntasks + task] */
	double *intervals;		/* measured lengths, s */
	uint64_t **lat;			/* per task: copied out pairs */
	unsigned long *nlat;
	unsigned long dropped;
	/*
	 * Per task, every op of the run, warm-up and tail included: what
	 * a probe attached for the whole run sees
	 */
	unsigned long *lifetime_ops;
	/*
	 * Per task, CPU time over the measured window: under QEMU -icount
	 * the task's own instructions, whatever the other vCPUs do
	 */
	uint64_t *cpu_ns;
	/* Per task, the ops its cpu_ns covers (sample.c, read_cpu_counted) */
	unsigned long *cpu_ops;
	char failure[512];
};

extern volatile sig_atomic_t got_signal;

void signals_init(void);
void check_signal(void);
void tasks_start(struct run *r);
int tasks_poll(struct run *r);
int tasks_stop(struct run *r, bool kill_them);
void tasks_collect(struct run *r);

/* Another op, n done so far?  Until stop, or with --ops until n = ops */
static inline bool task_running(const struct task *t, unsigned long n)
{
	return n < t->ops && !READ_ONCE(t->ctl->stop);
}

static inline void task_count(struct task *t, unsigned long n)
{
	WRITE_ONCE(t->slot->count, n);
}

int task_fail(struct task *t, const char *what, int err);

#endif
