/* SPDX-License-Identifier: GPL-2.0 */
#ifndef WORKLOAD_H
#define WORKLOAD_H

#include <stdbool.h>
#include <stdio.h>

struct task;

#define WL_SHARED_FILE	0x1	/* all tasks use task 0's file */
#define WL_CHURN_ALL	0x2	/* every task mounts and umounts */
#define WL_CHURN_ONE	0x4	/* task 0 mounts and umounts */

/*
 * A workload: run() loops while task_running(), counting one op per
 * iteration, and returns 0, or task_fail() on an error.  To add one,
 * write workloads/NAME.c with a line "const struct workload wl_NAME = {":
 * the Makefile lists the workloads from those lines.
 */
struct workload {
	const char *name;
	const char *desc;
	unsigned int flags;
	unsigned int min_tasks;
	int (*run)(struct task *t);
};

const struct workload *workload_find(const char *name);
void workload_help(FILE *f);
void workload_names(FILE *f, unsigned int without);
void workload_list(FILE *f);
bool workload_churns(const struct workload *wl, unsigned int task);
bool workload_has_load(const struct workload *wl, unsigned int ntasks);

/* Loops that more than one workload uses */
int open_close_loop(struct task *t);
int churn_loop(struct task *t);

#endif
