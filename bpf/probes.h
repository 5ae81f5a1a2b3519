/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The probes of mntlock: which kernel function or tracepoint
 * each BPF program needs, how it is attached (fentry or kprobe) and why
 * it is not, if it is not.
 */
#ifndef MNTLOCK_PROBES_H
#define MNTLOCK_PROBES_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>
#include "mntlock.h"

struct btf;
struct mntlock_bpf;

/* Exit status of mntlock (also in --help and SCHEMA.md) */
enum mntlock_exit {
	EX_OK = 0,
	EX_ERROR = 1,		/* load, map or output failure */
	EX_USAGE = 2,
	EX_PROBE = 3,		/* a required probe is missing or failed */
	EX_NOBTF = 4,		/* no kernel BTF: CO-RE impossible */
	EX_COMMAND = 5,		/* COMMAND failed; the JSON is still written */
};

/* PT_RUN: a program mntlock runs itself (BPF_PROG_TEST_RUN), no hook */
enum probe_type { PT_ENTRY, PT_EXIT, PT_TP, PT_RUN };

enum probe_group {
	G_MNTPUT,	/* every mntput(): with --all-puts, then required */
	G_SLOWPUT,	/* slow mntput()s: required unless --all-puts */
	G_LATENCY,	/* required with --latency */
	G_LOCK,		/* required unless --no-lock */
	G_LOCK_PV,	/* optional, silent where the kernel has none */
	G_CONT,		/* optional */
	G_LAYERS,	/* optional: without it "layer" counts stay 0 */
	G_TEARDOWN,	/* optional unless --no-teardown */
	G_WALK,		/* optional, with --path-walk: path walk counts */
	G_WALK_TIME,	/* optional, with --restart-cost: do_filp_open() exit */
	G_MLSEQ,	/* optional: mount_lock's sequence at start and end */
	NR_GROUPS,
};

enum probe_status {
	PS_DISABLED,	/* not wanted (option) */
	PS_ABSENT,	/* optional and not in this kernel */
	PS_UNAVAILABLE,	/* wanted, but cannot be attached */
	PS_PLANNED,	/* will be loaded */
	PS_FAILED,	/* its program failed to load, or attach failed */
	PS_ATTACHED,
};

enum attach_mode { AM_NONE, AM_FENTRY, AM_KPROBE, AM_TP, AM_RUN };

struct probe {
	const char *name;
	enum probe_type type;
	enum probe_group group;
	const char *func;	/* function, or "category/event" */
	/*
	 * The functions the probe may use, first choice first, NULL
	 * terminated (NULL: func alone).  The first one in the kernel
	 * becomes func: another line renamed the function or inlined it
	 * everywhere, and has one with the same arguments and, for an exit,
	 * the same return value.
	 */
	const char * const *candidates;
	/* state */
	bool required;
	enum probe_status status;
	enum attach_mode mode;
	struct bpf_program *prog;	/* in the skeleton, once configured */
	struct bpf_link **link;		/* its slot in the skeleton */
	bool fell_back;			/* fentry failed: kprobe instead */
	char reason[192];
	__u64 hits;
};

struct probe_opts {
	bool want[NR_GROUPS];
	bool force_kprobe;
	bool all_puts;
	const char *mntput_func;
	const char *slowput_func;
	const char *lock_func;
	__u64 mount_lock_addr;		/* 0: not resolved */
	const char *mount_lock_why;	/* why not, if 0 */
	__u64 mount_lock_seq_addr;	/* its sequence; 0: not resolved */
	const char *mount_lock_seq_why;
};

/* The table, indexed by enum mntlock_prog */
extern struct probe probes[NR_PROGS];

/*
 * Decide, for each probe, whether it can be attached and how.  btf is
 * the running kernel's BTF (NULL: kprobes only).  Prints one line per
 * unavailable probe; returns EX_OK or EX_PROBE.
 */
int probes_plan(const struct probe_opts *o, const struct btf *btf);

/* Before load: autoload and attach targets, each probe in its mode */
int probes_configure(struct mntlock_bpf *skel);

/* The planned probe whose program (in this skeleton) is named name, -1 */
int probe_by_prog_name(const char *name);

/*
 * The program of a planned probe failed to load, for why.  fentry: the
 * probe is a kprobe from now on; otherwise it is failed, and one line
 * says so.  Returns EX_PROBE if a required probe failed, else EX_OK:
 * load again.
 */
int probe_load_failed(int id, const char *why);

/*
 * Attach the planned probes, into the skeleton's links (its __detach()
 * and __destroy() detach them); returns EX_OK or EX_PROBE.  *reload:
 * fentry probes failed to attach and are now planned as kprobes: destroy
 * the skeleton, load and attach again.
 */
int probes_attach(bool *reload);
/* Some probe fell back from fentry to kprobe */
bool probes_any_fell_back(void);
bool probe_attached(int id);
/*
 * The function probe named by the first len bytes of name, -1 if none:
 * --probe-func points it elsewhere (a function missing from the kernel
 * shows what an inlined one does)
 */
int probe_function_by_name(const char *name, size_t len);

const char *probe_mode_name(enum attach_mode m);
const char *probe_status_name(enum probe_status s);
/* fentry, fexit, kprobe, kretprobe, tracepoint, syscall or none */
const char *probe_type_name(const struct probe *p);
void probes_print_table(FILE *f);

#endif /* MNTLOCK_PROBES_H */
