/* SPDX-License-Identifier: GPL-2.0 */
/* Read mntlock's maps and write the JSON (mntbench.mntlock/3) */
#ifndef MNTLOCK_REPORT_H
#define MNTLOCK_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>
#include "mntlock.h"

#define MNTLOCK_SCHEMA	"mntbench.mntlock/3"
#define MNTLOCK_VERSION	"1.1"

struct mntlock_bpf;

/* Everything the JSON says besides the maps */
struct run_info {
	const char *btf_path;
	bool fentry_fallback;		/* fentry failed to load: kprobes */
	long filter_pid;		/* 0: none */
	const char *filter_comm;	/* NULL: none */
	bool all_puts;
	bool latency;
	bool path_walk;			/* --path-walk */
	bool restart_cost;		/* --restart-cost */
	char **argv;			/* COMMAND, NULL if none */
	long cmd_pid;
	int cmd_status;			/* waitpid() status */
	bool cmd_done;
	double requested_s;		/* < 0: none */
	double duration_s;
	const char *ended_by;
	__u64 t0_ns;			/* CLOCK_MONOTONIC at attach */
	long overlays_at_start;		/* overlay mounts seen at start */
	__u64 layers_at_start;		/* their layer mounts, recorded */
	__u64 mount_lock_sym;
	long mount_lock_off;
	__u64 mount_lock_addr;
	long mount_lock_seq_off;	/* sequence in seqlock_t, -errno */
	__u64 mount_lock_seq_addr;	/* 0: not resolved */
	bool mount_lock_seq_read;	/* read at start and at end */
	__u64 mount_lock_writes;	/* write sections between them */
};

/* mntput() of one (filesystem type, mount state), over CPUs */
struct bymount_row {
	char fstype[MNTLOCK_FSTYPE_LEN];
	__u32 state;			/* enum mntlock_ns */
	__u64 slow;
	__u64 all;
};

struct report {
	int ncpus;
	struct mntlock_cpu *cpu;	/* [ncpus] */
	struct mntlock_cpu total;
	struct mntlock_hist hist[NR_HISTS];
	struct mntlock_umount *recs;	/* sorted by seq */
	int nrecs;
	__u64 ring_head;
	__u64 opened;
	int open_at_exit;
	struct bymount_row *bymount;	/* sorted: slow desc, fstype, state */
	int nbymount;
};

/* Read the maps (after the probes are detached); 0 or -errno */
int report_collect(struct report *r, struct mntlock_bpf *skel);
void report_free(struct report *r);
int report_write_json(FILE *f, const struct report *r,
		      const struct run_info *ri);
/* The --list table of mntput_by_mount */
void report_print_bymount(FILE *f, const struct report *r,
			  const struct run_info *ri);

#endif /* MNTLOCK_REPORT_H */
