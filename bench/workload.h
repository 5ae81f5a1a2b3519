/* SPDX-License-Identifier: GPL-2.0 */
#ifndef WORKLOAD_H
#define WORKLOAD_H

#include <stdbool.h>
#include <stdio.h>

struct json;
struct task;

#define WL_SHARED_FILE	0x1	/* all tasks use task 0's file */
#define WL_CHURN_ALL	0x2	/* every task mounts and umounts */
#define WL_CHURN_ONE	0x4	/* task 0 mounts and umounts */
#define WL_VICTIMS	0x8	/* the last --victims tasks: off the overlay */
#define WL_NO_OVERLAY	0x10	/* no overlay, no path: see .target */

/*
 * Exit status when this kernel lacks what the workload needs (probe()):
 * a documented "n/a", not a failure
 */
#define EXIT_NA		11

/* Task name (comm) of collateral's victims, for mntlock --comm */
#define VICTIM_COMM	"ovlb-victim"

/* What a task does; role_names[] are the JSON's task_roles */
enum task_role {
	ROLE_LOAD,		/* the file workload on the overlay */
	ROLE_CHURN,		/* mount and umount */
	ROLE_AGGRESSOR,		/* collateral: open-close on the overlay */
	ROLE_VICTIM_STAT,	/* collateral: stat() on the victims' tmpfs */
	ROLE_VICTIM_OPEN_CLOSE,	/* collateral: open-close there */
	NROLES
};

extern const char *const role_names[NROLES];

static inline bool role_is_victim(enum task_role role)
{
	return role == ROLE_VICTIM_STAT || role == ROLE_VICTIM_OPEN_CLOSE;
}

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
	/* WL_NO_OVERLAY: what the files are on, "internal:FSTYPE" */
	const char *target;
	/*
	 * Optional, in the parent before the run: 0, or the errno with which
	 * this kernel refuses the workload's call, *what (exit EXIT_NA)
	 */
	int (*probe)(const char **what);
	/* Optional, in the parent once the tasks stopped: what t left */
	void (*cleanup)(const struct task *t);
	/*
	 * Optional: one op of run()'s loop, 0 or task_fail(); with it the
	 * workload takes --coherence-marks (marks.c runs it)
	 */
	int (*op)(struct task *t);
};

const struct workload *workload_find(const char *name);
void workload_help(FILE *f);
void workload_names(FILE *f, unsigned int without);
void workload_list(FILE *f);
void workload_names_marked(FILE *f);
void workload_json(struct json *j, const char *key,
		   bool (*pick)(const struct workload *wl));
enum task_role workload_role(const struct workload *wl, unsigned int task,
			     unsigned int ntasks, unsigned int nvictims);
bool workload_has_load(const struct workload *wl, unsigned int ntasks);

/* Loops that more than one workload uses */
int open_close_loop(struct task *t);
int churn_loop(struct task *t);
int stat_loop(struct task *t);
int memfd_loop(struct task *t, unsigned int flags, const char *what);
int marked_loop(struct task *t);

#endif
