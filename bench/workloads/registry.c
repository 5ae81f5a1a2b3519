// SPDX-License-Identifier: GPL-2.0
/*
 * The workload registry, generated from workloads/list.h.
 */
#include <string.h>

#include "util.h"
#include "workload.h"

#define WL(name) extern const struct workload wl_##name;
#include "list.h"
#undef WL

#define WL(name) (&wl_##name),
static const struct workload *const workloads[] = {
#include "list.h"
};
#undef WL

#define NWORKLOADS ARRAY_SIZE(workloads)

const struct workload *workload_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < NWORKLOADS; i++)
		if (!strcmp(workloads[i]->name, name))
			return workloads[i];
	return NULL;
}

void workload_help(FILE *f)
{
	unsigned int i;

	for (i = 0; i < NWORKLOADS; i++)
		fprintf(f, "    %-18s %s\n", workloads[i]->name,
			workloads[i]->desc);
}

void workload_names(FILE *f)
{
	unsigned int i;

	for (i = 0; i < NWORKLOADS; i++)
		fprintf(f, "%s%s", i ? ", " : "", workloads[i]->name);
}

bool workload_churns(const struct workload *wl, unsigned int task)
{
	return (wl->flags & WL_CHURN_ALL) ||
	       ((wl->flags & WL_CHURN_ONE) && task == 0);
}

bool workload_has_load(const struct workload *wl, unsigned int ntasks)
{
	return !(wl->flags & WL_CHURN_ALL) &&
	       !((wl->flags & WL_CHURN_ONE) && ntasks == 1);
}
