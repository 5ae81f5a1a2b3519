/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The measuring window: opened and closed by marker instructions in the
 * guest; when it closes, the vCPUs' tables are merged and the lines that
 * two or more vCPUs touched in their ops are written as one JSON
 * document, DIR/window-N.json (N from 1 in each QEMU run; written to a
 * temporary file and renamed).
 */
#ifndef COHERENCE_WINDOW_H
#define COHERENCE_WINDOW_H

#include "lines.h"

struct windows {
	unsigned int open;		/* read on every access */
	unsigned int id;		/* the last window opened */
	int dirfd;			/* where documents go */
	struct vcpu *vcpus;
	unsigned int nvcpus;
	unsigned int written, failed;	/* documents */
};

extern struct windows win;

void window_open(void);
/* closer: the vCPU that ran the marker (its callback is under way) */
void window_close(unsigned int closer);

#endif /* COHERENCE_WINDOW_H */
