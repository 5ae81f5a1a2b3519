// SPDX-License-Identifier: GPL-2.0
/*
 * The results: JSON (described in SCHEMA.md) to stdout or to a file that
 * appears complete or not at all, and a one-paragraph summary.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>

#include "ovlbench.h"
#include "json.h"
#include "outfile.h"
#include "report.h"
#include "stats.h"
#include "tasks.h"
#include "util.h"
#include "workload.h"

#define SCHEMA "mntbench.ovlbench/1"

/* Over the tasks of one role, or of every victim-* role ("victim") */
struct summary {
	const char *role;
	unsigned int tasks;
	unsigned long long ops, lifetime_ops, cpu_ns, cpu_ops;
	double seconds, ops_per_s, per_task, cpu_ns_per_op;
};

/*
 * The tasks the run's summary is about: collateral's victims, else the
 * load tasks if any, else the churn tasks
 */
static const char *summary_role(const struct run *r)
{
	if (opt.wl->flags & WL_VICTIMS)
		return "victim";
	return workload_has_load(opt.wl, r->ntasks) ? "load" : "churn";
}

/* Role name, or the name followed by "-" and more */
static bool has_role(const struct task *t, const char *role)
{
	const char *name = role_names[t->role];
	size_t n = strlen(role);

	return !strncmp(name, role, n) && (!name[n] || name[n] == '-');
}

static void summarize(const struct run *r, const char *role,
		      struct summary *s)
{
	unsigned int i, t;

	memset(s, 0, sizeof(*s));
	s->role = role;
	for (i = 0; i < r->nintervals; i++)
		s->seconds += r->intervals[i];
	for (t = 0; t < r->ntasks; t++) {
		if (!has_role(&r->tasks[t], role))
			continue;
		s->tasks++;
		s->lifetime_ops += r->lifetime_ops[t];
		s->cpu_ns += r->cpu_ns ? r->cpu_ns[t] : 0;
		s->cpu_ops += r->cpu_ops ? r->cpu_ops[t] : 0;
		for (i = 0; i < r->nintervals; i++)
			s->ops += r->samples[i * r->ntasks + t];
	}
	s->ops_per_s = s->seconds > 0 ? s->ops / s->seconds : 0;
	s->per_task = s->tasks ? s->ops_per_s / s->tasks : 0;
	s->cpu_ns_per_op = s->cpu_ops ? (double)s->cpu_ns / s->cpu_ops : 0;
}

/* Ops/s of all tasks in block i */
static double block_rate(const struct run *r, unsigned int i)
{
	unsigned long long n = 0;
	unsigned int t;

	for (t = 0; t < r->ntasks; t++)
		n += r->samples[i * r->ntasks + t];
	return r->intervals[i] > 0 ? n / r->intervals[i] : 0;
}

/*
 * A paired run: block i ran on overlay i % 2; each AB pair of blocks
 * gives a ratio B/A of their rates, the unit of a paired comparison.
 */
static void write_pair(struct json *j, const struct run *r)
{
	double sum[2] = { 0, 0 }, secs[2] = { 0, 0 };
	unsigned int i;

	if (!opt.pair[0]) {
		json_null(j, "pair");
		return;
	}
	for (i = 0; i < r->nintervals; i++) {
		sum[i % 2] += block_rate(r, i) * r->intervals[i];
		secs[i % 2] += r->intervals[i];
	}
	json_open(j, "pair", '{');
	json_open(j, "modes", '[');
	json_str(j, NULL, opt.pair[0]);
	json_str(j, NULL, opt.pair[1]);
	json_close(j);
	json_open(j, "overlay_modes", '[');
	json_str(j, NULL, r->mode);
	json_str(j, NULL, r->mode2);
	json_close(j);
	json_open(j, "phases", '[');
	for (i = 0; i < r->nintervals; i++)
		json_uint(j, NULL, i % 2);
	json_close(j);
	json_open(j, "ops_per_s_per_task", '[');
	for (i = 0; i < 2; i++)
		json_double(j, NULL, secs[i] > 0 ?
			    sum[i] / secs[i] / r->ntasks : 0);
	json_close(j);
	json_open(j, "block_ratios", '[');
	for (i = 0; i + 1 < r->nintervals; i += 2)
		json_double(j, NULL, block_rate(r, i) > 0 ?
			    block_rate(r, i + 1) / block_rate(r, i) : 0);
	json_close(j);
	json_close(j);
}

static void write_params(struct json *j)
{
	unsigned int i;

	json_open(j, "params", '{');
	json_str(j, "workload", opt.wl->name);
	json_open(j, "layers", '[');
	for (i = 0; i < opt.nruns && !opt.target; i++)
		json_uint(j, NULL, opt.layers[i]);
	json_close(j);
	json_bool(j, "upper", opt.upper);
	json_str(j, "file_layer", file_layer_names[opt.file_layer]);
	json_uint(j, "tasks", opt.ntasks);
	if (opt.victims)
		json_uint(j, "victims", opt.victims);
	else
		json_null(j, "victims");
	json_str(j, "mode", opt.threads ? "thread" : "process");
	json_open(j, "cpus", '[');
	for (i = 0; i < opt.ncpus; i++)
		json_uint(j, NULL, opt.cpus[i]);
	json_close(j);
	json_double(j, "warmup_s", opt.warmup);
	if (opt.ops) {	/* no fixed times: the ops take what they take */
		json_null(j, "duration_s");
		json_null(j, "interval_s");
	} else {
		json_double(j, "duration_s", opt.duration);
		json_double(j, "interval_s", opt.interval);
	}
	json_uint(j, "intervals", opt.nintervals);
	if (opt.ops)
		json_uint(j, "ops", opt.ops);
	else
		json_null(j, "ops");
	json_uint(j, "read_size", opt.read_size);
	json_open(j, "ovl_opts", '[');
	for (i = 0; i < opt.novl_opts; i++)
		json_str(j, NULL, opt.ovl_opts[i]);
	json_close(j);
	json_str(j, "mount_api", mount_api_names[opt.api]);
	json_str(j, "target", opt.target);
	json_str(j, "output", opt.output);
	json_close(j);
}

static const char *const stat_keys[] = {
	"min", "median", "p90", "p99", "max",
};

static uint64_t stat_val(const struct lat_stats *s, unsigned int k)
{
	const uint64_t v[] = { s->min, s->median, s->p90, s->p99, s->max };

	return v[k];
}

static void write_stats(struct json *j, const char *key, const struct run *r,
			int which)
{
	struct lat_stats s;
	unsigned int t, k;
	unsigned long i;

	lat_stats(r, which, &s);
	json_open(j, key, '{');
	json_uint(j, "count", s.count);
	for (k = 0; k < ARRAY_SIZE(stat_keys); k++)
		if (s.count)
			json_uint(j, stat_keys[k], stat_val(&s, k));
		else
			json_null(j, stat_keys[k]);
	/* NaN, written as null, when there is nothing */
	json_double(j, "mean", s.count ? s.mean : NAN);
	json_open(j, "raw", '[');
	for (t = 0; t < r->ntasks; t++) {
		json_open(j, NULL, '[');
		for (i = 0; i < r->nlat[t]; i++)
			json_uint(j, NULL, r->lat[t][2 * i + which]);
		json_close(j);
	}
	json_close(j);
	json_close(j);
}

static void write_run(struct json *j, const struct run *r)
{
	struct summary s;
	unsigned long long total;
	unsigned int i, t;

	summarize(r, summary_role(r), &s);
	json_open(j, NULL, '{');
	if (opt.target)
		json_null(j, "layers");
	else
		json_uint(j, "layers", r->nlayers);
	json_str(j, "overlay_mode", r->mode);
	json_str(j, "mount_api", r->api);
	json_open(j, "task_cpus", '[');
	for (t = 0; t < r->ntasks; t++)
		json_uint(j, NULL, r->tasks[t].cpu);
	json_close(j);
	json_open(j, "task_roles", '[');
	for (t = 0; t < r->ntasks; t++)
		json_str(j, NULL, role_names[r->tasks[t].role]);
	json_close(j);
	json_str(j, "victim_dir", r->victim_dir);
	json_double(j, "interval_s", r->nintervals ?
		    s.seconds / r->nintervals : 0);
	json_open(j, "intervals_s", '[');
	for (i = 0; i < r->nintervals; i++)
		json_double(j, NULL, r->intervals[i]);
	json_close(j);
	json_open(j, "samples", '[');
	for (i = 0; i < r->nintervals; i++) {
		json_open(j, NULL, '[');
		for (t = 0; t < r->ntasks; t++)
			json_uint(j, NULL, r->samples[i * r->ntasks + t]);
		json_close(j);
	}
	json_close(j);
	json_open(j, "task_totals", '[');
	for (t = 0; t < r->ntasks; t++) {
		for (total = 0, i = 0; i < r->nintervals; i++)
			total += r->samples[i * r->ntasks + t];
		json_uint(j, NULL, total);
	}
	json_close(j);
	write_pair(j, r);
	json_open(j, "task_cpu_ns", '[');
	for (t = 0; t < r->ntasks; t++)
		json_uint(j, NULL, r->cpu_ns ? r->cpu_ns[t] : 0);
	json_close(j);
	json_open(j, "task_cpu_ops", '[');
	for (t = 0; t < r->ntasks; t++)
		json_uint(j, NULL, r->cpu_ops ? r->cpu_ops[t] : 0);
	json_close(j);
	json_open(j, "task_lifetime_ops", '[');
	for (t = 0; t < r->ntasks; t++)
		json_uint(j, NULL, r->lifetime_ops[t]);
	json_close(j);
	json_open(j, "summary", '{');
	json_str(j, "role", s.role);
	json_uint(j, "tasks", s.tasks);
	json_uint(j, "total_ops", s.ops);
	json_uint(j, "lifetime_ops", s.lifetime_ops);
	json_double(j, "seconds", s.seconds);
	json_double(j, "ops_per_s", s.ops_per_s);
	json_double(j, "ops_per_s_per_task", s.per_task);
	json_double(j, "cpu_ns_per_op", s.cpu_ns_per_op);
	json_close(j);
	if (opt.wl->flags & (WL_CHURN_ALL | WL_CHURN_ONE)) {
		json_open(j, "latency", '{');
		json_uint(j, "dropped", r->dropped);
		write_stats(j, "mount_ns", r, LAT_MOUNT);
		write_stats(j, "umount_ns", r, LAT_UMOUNT);
		json_close(j);
	} else {
		json_null(j, "latency");
	}
	json_close(j);
}

static void write_json(FILE *f, struct run *runs, unsigned int nruns)
{
	struct json j = { .f = f };
	struct utsname u;
	unsigned int i;

	uname(&u);
	json_open(&j, NULL, '{');
	json_str(&j, "schema", SCHEMA);
	json_open(&j, "kernel", '{');
	json_str(&j, "release", u.release);
	json_str(&j, "version", u.version);
	json_str(&j, "machine", u.machine);
	json_close(&j);
	json_str(&j, "overlay_mode", runs[0].mode);
	json_str(&j, "mount_api", runs[0].api);
	write_params(&j);
	json_open(&j, "runs", '[');
	for (i = 0; i < nruns; i++)
		write_run(&j, &runs[i]);
	json_close(&j);
	json_close(&j);
}

/*
 * To stdout, or to FILE (lib/outfile.c: via FILE.tmp for a regular file),
 * kept unless a signal came
 */
/* Open while the JSON is written to it */
static struct outfile out;

/* A die() while writing (out of memory) leaves no FILE.tmp either */
static void remove_partial(void)
{
	outfile_close(&out, false);
}

void report_write(struct run *runs, unsigned int nruns)
{
	int err;

	check_signal();
	if (!opt.output) {
		write_json(stdout, runs, nruns);
		if (fflush(stdout)) {
			check_signal();
			die(EXIT_INTERNAL, "writing stdout: %s",
			    strerror(errno));
		}
		return;
	}
	atexit(remove_partial);
	err = outfile_open(&out, opt.out_dirfd, opt.out_base);
	if (err)
		die(EXIT_INTERNAL, "%s: %s", opt.output, strerror(-err));
	write_json(out.f, runs, nruns);
	err = outfile_close(&out, !got_signal);
	check_signal();
	if (err)
		die(EXIT_INTERNAL, "writing %s: %s", opt.output,
		    strerror(-err));
}

/* collateral: the rate per task of each role */
static void print_roles(FILE *f, const struct run *r)
{
	static const enum task_role roles[] = {
		ROLE_VICTIM_STAT, ROLE_VICTIM_OPEN_CLOSE, ROLE_AGGRESSOR,
	};
	const char *sep = "; per task:";
	struct summary s;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(roles); i++) {
		summarize(r, role_names[roles[i]], &s);
		if (!s.tasks)
			continue;
		fprintf(f, "%s %s %.0f/s", sep, s.role, s.per_task);
		sep = ",";
	}
}

static void print_run(FILE *f, const struct run *r, const char *op)
{
	struct lat_stats m, u;
	struct summary s;
	bool churn;

	summarize(r, summary_role(r), &s);
	churn = !strcmp(s.role, "churn");
	if (opt.target)
		fprintf(f, " %s:", opt.target);
	else
		fprintf(f, " %u layer%s:", r->nlayers,
			r->nlayers > 1 ? "s" : "");
	fprintf(f, " %.0f %s/s, %.0f per %s task (%u x %.3f s)",
		s.ops_per_s, churn ? "mount+umount" : op, s.per_task, s.role,
		r->nintervals, r->nintervals ? s.seconds / r->nintervals : 0);
	if (opt.wl->flags & WL_VICTIMS)
		print_roles(f, r);
	if (opt.wl->flags & (WL_CHURN_ALL | WL_CHURN_ONE)) {
		lat_stats(r, LAT_MOUNT, &m);
		lat_stats(r, LAT_UMOUNT, &u);
		fprintf(f, "; mount median %.1f us, p99 %.1f us; umount median %.1f us, p99 %.1f us",
			m.median / 1e3, m.p99 / 1e3, u.median / 1e3,
			u.p99 / 1e3);
	}
	fputc('.', f);
}

void report_summary(FILE *f, struct run *runs, unsigned int nruns)
{
	const char *op = opt.wl->flags & WL_CHURN_ONE ? "open-close" :
			 opt.wl->flags & WL_VICTIMS ? "victim op" :
			 opt.wl->name;
	struct utsname u;
	unsigned int i;
	char *cpus = xcpulist(opt.cpus, opt.ncpus);

	uname(&u);
	fprintf(f, "ovlbench: %s, %u %s on CPUs %s, ", opt.wl->name,
		opt.ntasks, opt.threads ? "threads" : "processes", cpus);
	if (!opt.target && workload_has_load(opt.wl, opt.ntasks))
		fprintf(f, "files on the %s layer, ",
			file_layer_names[opt.file_layer]);
	fprintf(f, "overlay mode %s, %s mount API, Linux %s.", runs[0].mode,
		runs[0].api, u.release);
	for (i = 0; i < nruns; i++)
		print_run(f, &runs[i], op);
	fputc('\n', f);
	free(cpus);
}
