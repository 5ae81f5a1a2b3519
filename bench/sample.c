// SPDX-License-Identifier: GPL-2.0
/*
 * The parent's side of a run: wait for every task at the barrier, start
 * them, discard the warm-up, then read all counters once per interval.
 * The parent sleeps in between; a signal or a task failure wakes it.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "coherence_marks.h"
#include "ovlbench.h"
#include "sample.h"
#include "tasks.h"
#include "util.h"

static int check(struct run *r)
{
	if (got_signal)
		return RUN_SIGNAL;
	return tasks_poll(r) < 0 ? RUN_OK : RUN_FAILED;
}

static int wait_until(struct run *r, uint64_t deadline)
{
	int ret;

	while ((ret = check(r)) == RUN_OK && sleep_until_ns(deadline))
		;
	return ret;
}

static int wait_ready(struct run *r)
{
	int ret;

	while ((ret = check(r)) == RUN_OK &&
	       __atomic_load_n(&r->ctl->ready, __ATOMIC_SEQ_CST) < r->ntasks)
		sleep_until_ns(now_ns() + 1000000);
	return ret;
}

/* The task's CPU time so far, read from the parent through its clock */
static uint64_t task_cpu_ns(const struct task *t)
{
	struct timespec ts;
	clockid_t clk;

	if (opt.threads ? pthread_getcpuclockid(t->thread, &clk) :
	    clock_getcpuclockid(t->pid, &clk))
		return 0;
	if (clock_gettime(clk, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Whether a task process is off its CPU: /proc/PID/stat's state */
static bool task_asleep(pid_t pid)
{
	char path[32], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return true;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return !p || p[1] != ' ' || p[2] != 'R';
}

/*
 * --ops: wait, 100 ms at most in all, until every task process has gone
 * to sleep after its last op.  A process's CPU clock read from another
 * process leaves out the slice it is running in: a task that ran its
 * few ops within one slice read 0 ns (1 run in 60 of 10 ops).  Threads
 * are read through their own clocks, which include it.
 */
static void wait_asleep(struct run *r)
{
	uint64_t deadline = now_ns() + 100000000;
	unsigned int t;

	if (opt.threads)
		return;
	for (t = 0; t < r->ntasks; t++)
		while (!task_asleep(r->tasks[t].pid) && now_ns() < deadline)
			sleep_until_ns(now_ns() + 50000);
}

static void read_cpu(struct run *r, uint64_t *out)
{
	unsigned int i;

	for (i = 0; i < r->ntasks; i++)
		out[i] = task_cpu_ns(&r->tasks[i]);
}

/*
 * Each task's CPU clock and its count when the clock was read.  Sharing
 * a CPU with the tasks (one vCPU), this process can be preempted between
 * reading a count and a clock: the task's slice, up to a tick, then lands
 * in its CPU time but not in the window's count (+0.2% to +1.9% per op in
 * half of the one-task icount runs).  So the count is read on both sides
 * of the clock until it did not move, and the clock holds exactly those
 * ops; a task on a CPU of its own moves it by an op or so, and the middle
 * is kept.
 */
static void read_cpu_counted(struct run *r, uint64_t *cpu, unsigned long *ops)
{
	unsigned long before, after;
	unsigned int t, try;

	for (t = 0; t < r->ntasks; t++) {
		for (try = 0; try < 3; try++) {
			before = READ_ONCE(r->tasks[t].slot->count);
			cpu[t] = task_cpu_ns(&r->tasks[t]);
			after = READ_ONCE(r->tasks[t].slot->count);
			if (after == before)
				break;
		}
		ops[t] = before + (after - before) / 2;
	}
}

static void read_counts(struct run *r, unsigned long *out)
{
	unsigned int i;

	for (i = 0; i < r->ntasks; i++)
		out[i] = READ_ONCE(r->tasks[i].slot->count);
}

/* --ops: sleep until every task has done its ops; a signal wakes us */
static int wait_done(struct run *r)
{
	struct timespec poll = { .tv_nsec = 100000000 };
	unsigned int done;
	int ret;

	while ((ret = check(r)) == RUN_OK &&
	       (done = __atomic_load_n(&r->ctl->done, __ATOMIC_SEQ_CST)) <
	       r->ntasks)
		syscall(SYS_futex, &r->ctl->done, FUTEX_WAIT, done, &poll,
			NULL, 0);
	return ret;
}

/*
 * --ops: one interval, from the start barrier to the last task's last op;
 * no warm-up.
 */
static int count_run(struct run *r)
{
	unsigned long *cur = xcalloc(r->ntasks, sizeof(*cur));
	uint64_t start;
	unsigned int t;
	int ret;

	ret = wait_ready(r);
	if (ret)
		goto out;
	read_cpu(r, r->cpu_ns);
	WRITE_ONCE(r->ctl->measuring, 1);
	WRITE_ONCE(r->ctl->window_opened, 1);
	start = now_ns();
	/* the coherence window holds the tasks' whole run, nothing else */
	if (opt.marks)
		coherence_mark_open();
	__atomic_store_n(&r->ctl->go, 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, &r->ctl->go, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
	ret = wait_done(r);
	if (opt.marks)
		coherence_mark_close();
	if (ret)
		goto out;
	r->intervals[0] = (now_ns() - start) / 1e9;
	read_counts(r, cur);
	WRITE_ONCE(r->ctl->measuring, 0);
	wait_asleep(r);
	for (t = 0; t < r->ntasks; t++) {
		r->samples[t] = cur[t];
		r->cpu_ops[t] = cur[t];	/* the tasks sleep: no op since */
		r->cpu_ns[t] = task_cpu_ns(&r->tasks[t]) - r->cpu_ns[t];
	}
out:
	free(cur);
	return ret;
}

/* Returns RUN_OK, RUN_FAILED (r->failure says why) or RUN_SIGNAL */
int sample_run(struct run *r)
{
	unsigned long *prev, *cur;
	uint64_t step = opt.interval * 1e9, start, last, now, *end_cpu;
	unsigned int i, t;
	int ret;

	r->nintervals = opt.nintervals;
	r->samples = xcalloc(r->nintervals * r->ntasks, sizeof(*r->samples));
	r->intervals = xcalloc(r->nintervals, sizeof(*r->intervals));
	r->cpu_ns = xcalloc(r->ntasks, sizeof(*r->cpu_ns));
	r->cpu_ops = xcalloc(r->ntasks, sizeof(*r->cpu_ops));
	if (opt.ops)
		return count_run(r);
	prev = xcalloc(r->ntasks, sizeof(*prev));
	end_cpu = xcalloc(r->ntasks, sizeof(*end_cpu));
	cur = xcalloc(r->ntasks, sizeof(*cur));

	ret = wait_ready(r);
	if (ret)
		goto out;
	__atomic_store_n(&r->ctl->go, 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, &r->ctl->go, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
	/* Paired runs warm both overlays: half the warm-up on each */
	ret = wait_until(r, now_ns() + (uint64_t)(opt.warmup * 1e9 /
						(opt.pair[0] ? 2 : 1)));
	if (!ret && opt.pair[0]) {
		WRITE_ONCE(r->ctl->phase, 1);
		ret = wait_until(r, now_ns() + (uint64_t)(opt.warmup * 5e8));
		WRITE_ONCE(r->ctl->phase, 0);
	}
	if (ret)
		goto out;

	/*
	 * CPU clocks outside the counts-to-measuring gaps, which the
	 * latency records must match to one op, with counts of their own
	 */
	read_cpu_counted(r, r->cpu_ns, r->cpu_ops);
	last = start = now_ns();
	read_counts(r, prev);
	WRITE_ONCE(r->ctl->measuring, 1);
	WRITE_ONCE(r->ctl->window_opened, 1);
	for (i = 0; i < r->nintervals; i++) {
		ret = wait_until(r, start + (i + 1) * step);
		if (ret)
			goto out;
		now = now_ns();
		read_counts(r, cur);
		if (opt.pair[0])	/* block i is overlay i % 2 */
			WRITE_ONCE(r->ctl->phase, (i + 1) % 2);
		for (t = 0; t < r->ntasks; t++) {
			r->samples[i * r->ntasks + t] = cur[t] - prev[t];
			prev[t] = cur[t];
		}
		r->intervals[i] = (now - last) / 1e9;
		last = now;
	}
	WRITE_ONCE(r->ctl->measuring, 0);
	read_cpu_counted(r, end_cpu, prev);	/* prev: unused after the loop */
	for (t = 0; t < r->ntasks; t++) {
		r->cpu_ns[t] = end_cpu[t] - r->cpu_ns[t];
		r->cpu_ops[t] = prev[t] - r->cpu_ops[t];
	}
out:
	free(end_cpu);
	free(prev);
	free(cur);
	return ret;
}
