/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SAMPLE_H
#define SAMPLE_H

struct run;

enum { RUN_OK, RUN_FAILED, RUN_SIGNAL };

int sample_run(struct run *r);

#endif
