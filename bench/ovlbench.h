/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ovlbench: options, limits and exit statuses shared by all files.
 */
#ifndef OVLBENCH_H
#define OVLBENCH_H

#include <stdbool.h>

#define OVL_MAX_STACK	500	/* lower layers overlayfs accepts */
#define MAX_RUNS	64	/* entries in a --layers list */
#define MAX_TASKS	1024
#define MAX_CPUS	4096
#define MAX_OVL_OPTS	16
#define MAX_INTERVALS	1000000
#define MAX_OPS		1000000000UL	/* --ops: per task */
#define FILE_SIZE	4096	/* size of each target file */
#define MAX_SECONDS	1e6	/* --duration, --interval, --warmup */
#define MIN_INTERVAL	0.001	/* --interval */
#define MAX_PAIR_INTERVAL 0.25	/* --interval of --pair-modes */
#define STOP_WAIT_S	5	/* for a task to stop; then SIGKILL */

/* Exit statuses, one per class of error; listed in --help and --limits */
enum {
	EXIT_INTERNAL	= 1,	/* out of memory, cannot write output, ... */
	EXIT_USAGE	= 2,	/* unknown option, bad value or combination */
	EXIT_LAYERS	= 3,	/* layer count not in 1..500 */
	EXIT_CPU	= 4,	/* CPU list malformed or CPU not online */
	EXIT_TIME	= 5,	/* duration, interval or warm-up out of range */
	EXIT_WORKLOAD	= 6,	/* unknown workload */
	EXIT_ROOT	= 7,	/* not running as root */
	EXIT_NOOVL	= 8,	/* kernel without overlayfs */
	EXIT_MOUNT	= 9,	/* scratch tmpfs, layers or overlay mount */
	EXIT_TASK	= 10,	/* a task failed mid-run */
	EXIT_SIGNAL	= 128,	/* + signal number: interrupted */
};

enum file_layer { FL_UPPER, FL_TOP, FL_BOTTOM };
enum mount_api { API_AUTO, API_NEW, API_LEGACY };

struct workload;

struct opts {
	const struct workload *wl;
	unsigned int layers[MAX_RUNS];	/* one run per entry */
	unsigned int nruns;
	bool layers_set;
	bool upper;
	enum file_layer file_layer;
	unsigned int ntasks;
	unsigned int victims;	/* collateral: its victim tasks, else 0 */
	bool threads;
	int cpus[MAX_CPUS];
	unsigned int ncpus;
	double warmup, duration, interval;
	unsigned int nintervals;
	unsigned long ops;	/* --ops: ops per task, or 0 */
	bool marks;		/* --coherence-marks */
	unsigned int read_size;
	const char *ovl_opts[MAX_OVL_OPTS];
	unsigned int novl_opts;
	enum mount_api api;
	bool check;
	const char *target;	/* absolute path, or NULL */
	const char *pair[2];	/* --pair-modes: overlay modes A, B */
	const char *output;	/* NULL: stdout */
	int out_dirfd;		/* its directory, opened at start */
	const char *out_base;
	bool quiet;
};

extern struct opts opt;

extern const char *const file_layer_names[];
extern const char *const mount_api_names[];

#endif
