// SPDX-License-Identifier: GPL-2.0
/*
 * Tasks: processes or threads, each pinned to one CPU, started together
 * through a futex barrier and counting into their own cache line of
 * shared memory, which the parent reads without any messages.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "ovlbench.h"
#include "tasks.h"
#include "util.h"

volatile sig_atomic_t got_signal;

static void on_stop_signal(int sig)
{
	got_signal = sig;
}

static void on_wake_signal(int sig)
{
	(void)sig;
}

/* No SA_RESTART: a signal ends the parent's sleep between samples */
void signals_init(void)
{
	struct sigaction sa = { .sa_handler = on_stop_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_wake_signal;
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
}

static void futex_wait(unsigned int *addr, unsigned int val)
{
	syscall(SYS_futex, addr, FUTEX_WAIT, val, NULL, NULL, 0);
}

static void futex_wake(unsigned int *addr)
{
	syscall(SYS_futex, addr, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/* Record the first failure and wake the parent; returns -1 */
int task_fail(struct task *t, const char *what, int err)
{
	int none = 0;

	t->slot->what = what;
	t->slot->err = err;
	__atomic_compare_exchange_n(&t->ctl->failed, &none, t->id + 1, false,
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	kill(t->ctl->parent, SIGUSR1);
	return -1;
}

static int task_main(struct task *t)
{
	struct ctl *ctl = t->ctl;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(t->cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		return task_fail(t, "sched_setaffinity", errno);
	/* Threads too: the name is the calling thread's */
	if (t->comm && prctl(PR_SET_NAME, t->comm))
		return task_fail(t, "prctl(PR_SET_NAME)", errno);
	__atomic_add_fetch(&ctl->ready, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&ctl->go, __ATOMIC_ACQUIRE))
		futex_wait(&ctl->go, 0);
	if (!task_running(t, 0))
		return 0;
	if (t->run(t))
		return -1;
	if (t->ops == ULONG_MAX)
		return 0;
	/*
	 * --ops: tell the parent, then stay until it stops us: it reads our
	 * CPU clock, and in process mode an exit would look like a failure.
	 */
	__atomic_add_fetch(&ctl->done, 1, __ATOMIC_SEQ_CST);
	futex_wake(&ctl->done);
	while (!__atomic_load_n(&ctl->stop, __ATOMIC_ACQUIRE))
		futex_wait(&ctl->stop, 0);
	return 0;
}

static void *thread_main(void *arg)
{
	task_main(arg);
	return NULL;
}

/* A task process: dies with the parent, leaves signals to the parent */
static void child_main(struct task *t, const sigset_t *mask)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != t->ctl->parent)
		_exit(1);
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	pthread_sigmask(SIG_SETMASK, mask, NULL);
	_exit(task_main(t) ? 1 : 0);
}

/* Latency pairs each churn task may record: at most one per 10 us */
static unsigned long lat_cap(void)
{
	double cap = opt.duration * 100000;

	return cap < 1024 ? 1024 : (unsigned long)cap;
}

/* Map the shared memory and start r->tasks, which the caller filled in */
void tasks_start(struct run *r)
{
	unsigned long cap = lat_cap();
	size_t ctl_len = sizeof(struct ctl);
	size_t slots_len = r->ntasks * sizeof(struct slot);
	sigset_t all, old;
	unsigned int i, nchurn = 0;
	uint64_t *lat;
	int err;

	for (i = 0; i < r->ntasks; i++)
		nchurn += r->tasks[i].role == ROLE_CHURN;
	r->shmlen = ctl_len + slots_len + nchurn * cap * 2 * sizeof(*lat);
	r->shm = mmap(NULL, r->shmlen, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r->shm == MAP_FAILED)
		die(EXIT_INTERNAL, "mmap %zu bytes: %s", r->shmlen,
		    strerror(errno));
	r->ctl = r->shm;
	r->ctl->parent = getpid();
	lat = (uint64_t *)((char *)r->shm + ctl_len + slots_len);
	for (i = 0; i < r->ntasks; i++) {
		struct task *t = &r->tasks[i];

		t->ctl = r->ctl;
		t->slot = (struct slot *)((char *)r->shm + ctl_len) + i;
		if (t->role == ROLE_CHURN) {
			t->lat = lat;
			t->lat_cap = cap;
			lat += cap * 2;
		}
	}

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (i = 0; i < r->ntasks; i++) {
		struct task *t = &r->tasks[i];

		if (opt.threads) {
			err = pthread_create(&t->thread, NULL, thread_main, t);
			if (err)
				die(EXIT_INTERNAL, "pthread_create: %s",
				    strerror(err));
			continue;
		}
		t->pid = fork();
		if (t->pid < 0)
			die(EXIT_INTERNAL, "fork: %s", strerror(errno));
		if (!t->pid)
			child_main(t, &old);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void describe(struct run *r, struct task *t, int status)
{
	int n;

	n = snprintf(r->failure, sizeof(r->failure), "task %u (CPU %d) ",
		     t->id, t->cpu);
	if (t->slot->err)
		snprintf(r->failure + n, sizeof(r->failure) - n,
			 "failed: %s %s: %s", t->slot->what, t->path,
			 strerror(t->slot->err));
	else if (WIFSIGNALED(status))
		snprintf(r->failure + n, sizeof(r->failure) - n,
			 "was killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(r->failure + n, sizeof(r->failure) - n,
			 "exited with status %d", WEXITSTATUS(status));
}

/* The first task that failed or died, described in r->failure; or -1 */
int tasks_poll(struct run *r)
{
	int failed = READ_ONCE(r->ctl->failed), status;
	unsigned int i;

	if (failed) {
		describe(r, &r->tasks[failed - 1], 0);
		return failed - 1;
	}
	for (i = 0; i < r->ntasks && !opt.threads; i++) {
		struct task *t = &r->tasks[i];

		if (t->reaped || waitpid(t->pid, &status, WNOHANG) <= 0)
			continue;
		t->reaped = true;
		describe(r, t, status);
		return i;
	}
	return -1;
}

static void describe_stuck(struct run *r, const struct task *t,
			   const char *what)
{
	snprintf(r->failure, sizeof(r->failure),
		 "task %u (CPU %d) did not stop within %d s (stopped by a signal or a tracer)%s",
		 t->id, t->cpu, STOP_WAIT_S, what);
}

/* A task process in the stopped state (SIGSTOP, a tracer): the first */
static struct task *stopped_task(struct run *r)
{
	char path[32], buf[256], *p;
	unsigned int i;
	ssize_t n;
	int fd;

	for (i = 0; i < r->ntasks; i++) {
		struct task *t = &r->tasks[i];

		if (t->reaped)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)t->pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		/* "pid (comm) S ...": comm may hold anything, even ')' */
		p = strrchr(buf, ')');
		if (p && p[1] == ' ' && (p[2] == 'T' || p[2] == 't'))
			return t;
	}
	return NULL;
}

/* Reap the task processes that have ended; the number still there */
static unsigned int reap_ended(struct run *r)
{
	unsigned int i, left = 0;
	pid_t pid;

	for (i = 0; i < r->ntasks; i++) {
		struct task *t = &r->tasks[i];

		if (t->reaped)
			continue;
		pid = waitpid(t->pid, NULL, WNOHANG);
		if (pid == t->pid || (pid < 0 && errno == ECHILD))
			t->reaped = true;
		else
			left++;
	}
	return left;
}

/* SIGKILL the task processes not reaped; the first one, or NULL */
static struct task *kill_left(struct run *r)
{
	struct task *first = NULL;
	unsigned int i;

	for (i = 0; i < r->ntasks; i++) {
		struct task *t = &r->tasks[i];

		if (t->reaped)
			continue;
		kill(t->pid, SIGKILL);
		if (!first)
			first = t;
	}
	return first;
}

/*
 * Wait for the task processes.  A SIGSTOPped one would keep waitpid()
 * waiting for ever, deaf to SIGINT and SIGTERM: so after STOP_WAIT_S a
 * task still stopped is SIGKILLed with the others left (all at once if
 * kill_them or on a signal), then waited for at most STOP_WAIT_S more.
 * A task still running its last iteration (a 500-layer umount with a
 * grace period per layer takes seconds under TCG) is waited for.
 */
static int stop_processes(struct run *r, bool kill_them)
{
	uint64_t step = 1000000, wait = STOP_WAIT_S * 1000000000ULL;
	uint64_t deadline = now_ns() + wait, now;
	bool killed = false;
	struct task *t;
	int stuck = 0;

	while (reap_ended(r)) {
		now = now_ns();
		if (killed && now >= deadline) {
			t = kill_left(r);
			/* keep the failure that made us kill them */
			if (!stuck && !r->failure[0])
				describe_stuck(r, t, "; SIGKILL did not end it");
			return 1;
		}
		if (!killed && (kill_them || got_signal ||
				(now >= deadline && stopped_task(r)))) {
			t = kill_left(r);
			if (!kill_them && !got_signal) {
				describe_stuck(r, t, "; killed");
				stuck = 1;
			}
			killed = true;
			deadline = now + wait;
		}
		/*
		 * SIGCHLD ends the sleep early; past the deadline, a task
		 * state check per 10 ms is plenty
		 */
		sleep_until_ns(now + (now >= deadline ? 10 * step : step));
	}
	return stuck;
}

/*
 * Threads: a SIGSTOP stops the whole process, so a thread still running
 * is finishing its last iteration: wait for it, unless SIGINT or SIGTERM
 * came; then the caller exits, which ends any left.
 */
static int stop_threads(struct run *r)
{
	struct timespec ts;
	unsigned int i;
	int err;

	for (i = 0; i < r->ntasks; i++) {
		struct task *t = &r->tasks[i];

		do {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 10000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			err = pthread_timedjoin_np(t->thread, NULL, &ts);
		} while (err == ETIMEDOUT && !got_signal);
		if (err)
			return 1;
	}
	return 0;
}

/*
 * Stop all tasks (killing them at once if asked) and wait for them.
 * 1 if a task did not stop by itself in time (r->failure says which):
 * its counts are not to be trusted, and in thread mode it may still run.
 */
int tasks_stop(struct run *r, bool kill_them)
{
	__atomic_store_n(&r->ctl->stop, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&r->ctl->go, 1, __ATOMIC_RELEASE);
	futex_wake(&r->ctl->go);
	futex_wake(&r->ctl->stop);
	return opt.threads ? stop_threads(r) : stop_processes(r, kill_them);
}

/* SIGINT or SIGTERM came: exit 128 + N, having written nothing */
void check_signal(void)
{
	if (got_signal)
		die(EXIT_SIGNAL + got_signal,
		    "interrupted by signal %d (%s); no output written",
		    got_signal, strsignal(got_signal));
}

/* Copy the latencies out of shared memory and unmap it */
void tasks_collect(struct run *r)
{
	unsigned int i;

	r->lat = xcalloc(r->ntasks, sizeof(*r->lat));
	r->nlat = xcalloc(r->ntasks, sizeof(*r->nlat));
	r->lifetime_ops = xcalloc(r->ntasks, sizeof(*r->lifetime_ops));
	for (i = 0; i < r->ntasks; i++) {
		struct task *t = &r->tasks[i];
		size_t len = t->slot->nlat * 2 * sizeof(uint64_t);

		r->nlat[i] = t->slot->nlat;
		r->dropped += t->slot->dropped;
		r->lifetime_ops[i] = t->slot->count;
		r->lat[i] = xcalloc(1, len);
		if (len)
			memcpy(r->lat[i], t->lat, len);
	}
	munmap(r->shm, r->shmlen);
	r->shm = NULL;
	r->ctl = NULL;
}
