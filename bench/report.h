/* SPDX-License-Identifier: GPL-2.0 */
#ifndef REPORT_H
#define REPORT_H

#include <stdio.h>

struct run;

void report_write(struct run *runs, unsigned int nruns);
void report_summary(FILE *f, struct run *runs, unsigned int nruns);

#endif
