/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One vCPU's view of the physical cache lines it touched in a window:
 * its own tables, written only by the thread that runs that vCPU, so
 * that the hot path shares nothing under MTTCG.  window.c merges them
 * when the window closes.
 */
#ifndef COHERENCE_LINES_H
#define COHERENCE_LINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LINE_SHIFT	6
#define LINE_SIZE	(1u << LINE_SHIFT)

/* An instruction that touched a line, with its counts */
struct site {
	uint64_t pc;
	uint64_t loads, stores;
	struct site *next;
};

/* One line as one vCPU saw it; counts are over its complete ops */
struct line {
	uint64_t pa;			/* physical line address */
	uint64_t va;			/* the first virtual address seen */
	struct line *next;		/* hash chain */
	struct site *sites;
	uint64_t ops_touch, ops_write;	/* ops that touched, wrote it */
	uint64_t loads, stores;
	uint64_t touch_mask, write_mask;	/* bytes, bit i = byte i */
	uint32_t stamp;			/* the op that last touched it */
	bool op_write;			/* ... and whether it wrote it */
	bool gs;			/* reached through %gs (per-CPU) */
};

struct chunk;

struct vcpu {
	/* odd while a callback of this vCPU runs: window_close() waits */
	unsigned int busy;
	unsigned int window;		/* the window its tables belong to */
	bool in_op;
	uint32_t op;			/* stamp of the current op */
	uint64_t ops;			/* complete ops in the window */
	uint64_t loads, stores;		/* in its ops */
	struct line **buckets;
	size_t nbuckets, nlines;
	struct line **pending;		/* lines of the current op */
	size_t npending, cap_pending;
	struct chunk *chunks;		/* where lines and sites live */
} __attribute__((aligned(128)));

/* Drop everything and start window w with no ops */
void vcpu_reset(struct vcpu *v, unsigned int window);
/* One access of size bytes at pa (virtual va) by the instruction pc */
void vcpu_access(struct vcpu *v, uint64_t pa, uint64_t va,
		 unsigned int size, bool store, uint64_t pc, bool gs);
/* The current op is complete: count it in its lines */
void vcpu_commit_op(struct vcpu *v);
/* The current op is abandoned (no boundary ended it) */
void vcpu_drop_op(struct vcpu *v);

#endif /* COHERENCE_LINES_H */
