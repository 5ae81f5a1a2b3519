// SPDX-License-Identifier: GPL-2.0
/*
 * ovlbench: overlayfs open/close and mount/umount micro-benchmark.
 * This file parses and checks the options; run.c does the work.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpulist.h"
#include "json.h"
#include "outfile.h"
#include "ovlbench.h"
#include "run.h"
#include "util.h"
#include "workload.h"

struct opts opt = {
	.warmup = 1,
	.duration = 5,
	.interval = 1,
	.read_size = 1,
	.file_layer = FL_TOP,
	.out_dirfd = AT_FDCWD,
};

const char *const file_layer_names[] = {
	[FL_UPPER] = "upper", [FL_TOP] = "top", [FL_BOTTOM] = "bottom",
};

const char *const mount_api_names[] = {
	[API_AUTO] = "auto", [API_NEW] = "new", [API_LEGACY] = "legacy",
};

/* --mode: opt.threads is the index */
static const char *const task_mode_names[] = { "process", "thread" };

enum {
	OPT_FILE_LAYER = 256, OPT_WARMUP, OPT_READ_SIZE, OPT_OVL_OPT,
	OPT_MOUNT_API, OPT_CHECK, OPT_TARGET, OPT_PAIR, OPT_OPS, OPT_LIST,
	OPT_VICTIMS, OPT_MARKS, OPT_LIMITS,
};

/* --ops rules these out; their defaults do not count */
static bool time_set;

static const struct option long_opts[] = {
	{ "workload",	required_argument, NULL, 'w' },
	{ "layers",	required_argument, NULL, 'l' },
	{ "upper",	no_argument,	   NULL, 'u' },
	{ "file-layer",	required_argument, NULL, OPT_FILE_LAYER },
	{ "tasks",	required_argument, NULL, 't' },
	{ "victims",	required_argument, NULL, OPT_VICTIMS },
	{ "mode",	required_argument, NULL, 'm' },
	{ "cpus",	required_argument, NULL, 'c' },
	{ "warmup",	required_argument, NULL, OPT_WARMUP },
	{ "duration",	required_argument, NULL, 'd' },
	{ "interval",	required_argument, NULL, 'i' },
	{ "ops",	required_argument, NULL, OPT_OPS },
	{ "coherence-marks", no_argument,  NULL, OPT_MARKS },
	{ "read-size",	required_argument, NULL, OPT_READ_SIZE },
	{ "ovl-opt",	required_argument, NULL, OPT_OVL_OPT },
	{ "mount-api",	required_argument, NULL, OPT_MOUNT_API },
	{ "check",	no_argument,	   NULL, OPT_CHECK },
	{ "target",	required_argument, NULL, OPT_TARGET },
	{ "pair-modes",	required_argument, NULL, OPT_PAIR },
	{ "output",	required_argument, NULL, 'o' },
	{ "quiet",	no_argument,	   NULL, 'q' },
	{ "list-workloads", no_argument,   NULL, OPT_LIST },
	{ "limits",	no_argument,	   NULL, OPT_LIMITS },
	{ "help",	no_argument,	   NULL, 'h' },
	{ }
};

static const char help_head[] =
	"Usage: ovlbench [OPTION]...\n"
	"Run a workload through an N-layer overlayfs on a private tmpfs\n"
	"in a private mount namespace; print JSON (mntbench.ovlbench/1).\n"
	"\n"
	"  -w, --workload=NAME  workload (default open-close):\n";

static const char help_tail[] =
	"  -l, --layers=LIST    lower layers, 1..%d, or a list (1,2,5)\n"
	"                       for one run each; default 2; 1 needs -u\n"
	"  -u, --upper          add an upper and a work dir\n"
	"      --file-layer=L   files in upper, top (default) or bottom\n"
	"                       layer (f0 also in all layers below it)\n"
	"  -t, --tasks=N        1..%d (default: one per CPU in --cpus)\n"
	"      --victims=N      collateral: the last N tasks (victims,\n"
	"                       named " VICTIM_COMM ") stat or open-close\n"
	"                       a plain tmpfs's files, alternately;\n"
	"                       1..tasks-1, default half the tasks\n"
	"  -m, --mode=MODE      process (default) or thread\n"
	"  -c, --cpus=LIST      CPUs 0..%d, such as 0-3,6 (default:\n"
	"                       all online); tasks are pinned to them\n"
	"                       round-robin\n"
	"      --warmup=S       seconds before sampling, 0..%.0f\n"
	"                       (default 1)\n"
	"  -d, --duration=S     seconds sampled, > 0 and <= %.0f\n"
	"                       (default 5)\n"
	"  -i, --interval=S     seconds per sample, %g..%.0f\n"
	"                       (default 1)\n"
	"      --ops=N          exactly N ops per task, 1..%lu, in one\n"
	"                       interval; no warm-up, no --duration,\n"
	"                       --warmup, --interval; no mount churn\n"
	"      --coherence-marks  with --ops: mark each op and the run\n"
	"                       for the coherence plugin (coherence/);\n"
	"                       open-close, open-close-shared, stat\n"
	"      --read-size=B    open-read-close reads B bytes, 1..%d\n"
	"      --ovl-opt=K[=V]  extra overlay mount option, repeatable\n"
	"      --mount-api=API  auto (default), new (\"lowerdir+\") or\n"
	"                       legacy (mount(2), lowerdir=a:b:c)\n"
	"      --check          mount, print the layer the file is read\n"
	"                       from (content=NAME), exit; no workload\n"
	"      --target=PATH    no overlay of our own: tasks use PATH\n"
	"                       (the workloads marked no overlay never\n"
	"                       mount one and take no --target, --layers,\n"
	"                       --upper or --check)\n"
	"      --pair-modes=A,B two overlays, in private_mounts modes A\n"
	"                       and B, alternated block by block (each\n"
	"                       --interval <= %g s); open-close only\n"
	"  -o, --output=FILE    JSON to FILE, not stdout (a regular file\n"
	"                       via FILE.tmp and rename; a device, FIFO\n"
	"                       or symlink in place); checked before\n"
	"                       the run: exit 2 if it cannot be written\n"
	"  -q, --quiet          no summary on stderr\n"
	"      --list-workloads the workload names, one a line; exit\n"
	"      --limits         the ranges above, the workloads each option\n"
	"                       takes and the exit statuses, as JSON; exit\n"
	"  -h, --help           this help\n"
	"\n"
	"Exit status:\n"
	"   0 success               1 internal error\n"
	"   2 usage error           3 bad layer count\n"
	"   4 bad or offline CPU    5 bad duration, interval, warm-up\n"
	"   6 unknown workload      7 not root\n"
	"   8 no overlay support    9 mount failure\n"
	"  10 a task failed mid-run, or was still stopped (SIGSTOP, a\n"
	"     tracer) %d s after the end: then it is SIGKILLed\n"
	"  11 n/a: this kernel lacks what the workload needs (such as\n"
	"     memfd-hugetlb without CONFIG_HUGETLBFS); no output written\n"
	" 128+N signal N (SIGINT 130, SIGTERM 143); no output written\n";

static void print_help(void)
{
	fputs(help_head, stdout);
	workload_help(stdout);
	printf(help_tail, OVL_MAX_STACK, MAX_TASKS, MAX_CPUS - 1, MAX_SECONDS,
	       MAX_SECONDS, MIN_INTERVAL, MAX_SECONDS, MAX_OPS, FILE_SIZE,
	       MAX_PAIR_INTERVAL, STOP_WAIT_S);
	exit(0);
}

static bool takes_pair(const struct workload *wl)
{
	return wl->run == open_close_loop && !(wl->flags & WL_NO_OVERLAY);
}

static bool takes_marks(const struct workload *wl)
{
	return wl->op;
}

static bool no_overlay(const struct workload *wl)
{
	return wl->flags & WL_NO_OVERLAY;
}

/*
 * --limits: what the options take and the exit statuses, as JSON, for
 * the harness to read rather than copy (harness/run/ovlbench.py)
 */
static __noreturn void print_limits(void)
{
	struct json j = { .f = stdout };
	unsigned int i;

	json_open(&j, NULL, '{');
	json_str(&j, "schema", "mntbench.ovlbench-limits/1");
	json_uint(&j, "max_layers", OVL_MAX_STACK);
	json_uint(&j, "max_layer_runs", MAX_RUNS);
	json_uint(&j, "max_tasks", MAX_TASKS);
	json_uint(&j, "max_cpu", MAX_CPUS - 1);
	json_fixed(&j, "max_seconds", MAX_SECONDS, 3);
	json_fixed(&j, "min_interval", MIN_INTERVAL, 3);
	json_uint(&j, "max_intervals", MAX_INTERVALS);
	json_fixed(&j, "max_pair_interval", MAX_PAIR_INTERVAL, 3);
	json_uint(&j, "max_ops", MAX_OPS);
	json_uint(&j, "max_read_size", FILE_SIZE);
	json_uint(&j, "max_ovl_opts", MAX_OVL_OPTS);
	json_uint(&j, "stop_wait_s", STOP_WAIT_S);
	json_open(&j, "task_modes", '[');
	for (i = 0; i < ARRAY_SIZE(task_mode_names); i++)
		json_str(&j, NULL, task_mode_names[i]);
	json_close(&j);
	workload_json(&j, "workloads", NULL);
	workload_json(&j, "pair_workloads", takes_pair);
	workload_json(&j, "marked_workloads", takes_marks);
	workload_json(&j, "no_overlay_workloads", no_overlay);
	json_open(&j, "exit_statuses", '{');
	json_uint(&j, "success", 0);
	json_uint(&j, "internal", EXIT_INTERNAL);
	json_uint(&j, "usage", EXIT_USAGE);
	json_uint(&j, "layers", EXIT_LAYERS);
	json_uint(&j, "cpu", EXIT_CPU);
	json_uint(&j, "time", EXIT_TIME);
	json_uint(&j, "workload", EXIT_WORKLOAD);
	json_uint(&j, "root", EXIT_ROOT);
	json_uint(&j, "no_overlay", EXIT_NOOVL);
	json_uint(&j, "mount", EXIT_MOUNT);
	json_uint(&j, "task", EXIT_TASK);
	json_uint(&j, "na", EXIT_NA);
	json_uint(&j, "signal", EXIT_SIGNAL);
	json_close(&j);
	json_close(&j);
	if (fflush(stdout) || ferror(stdout))
		die(EXIT_INTERNAL, "--limits: cannot write: %s",
		    strerror(errno));
	exit(0);
}

static const char *opt_name(int c)
{
	const struct option *o;

	for (o = long_opts; o->name; o++)
		if (o->val == c)
			return o->name;
	return "?";
}

/* Die with "--name=value: why", unless value is 0 or more digits */
static unsigned long parse_uint(int c, const char *s, unsigned long min,
				unsigned long max, int code)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s < '0' || *s > '9' || *end || errno || v < min || v > max)
		die(code, "--%s=%s: must be an integer %lu..%lu", opt_name(c),
		    s, min, max);
	return v;
}

/* Seconds in min..MAX_SECONDS (incl) or in (min, MAX_SECONDS] */
static double parse_seconds(int c, const char *s, double min, bool incl)
{
	double v;
	char *end;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end || errno || !(v >= min) || (!incl && v == min) ||
	    v > MAX_SECONDS)
		die(EXIT_TIME, "--%s=%s: must be a number of seconds %s %g and <= %.0f",
		    opt_name(c), s, incl ? ">=" : ">", min, MAX_SECONDS);
	return v;
}

static int parse_choice(int c, const char *s, const char *const *names,
			unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!strcmp(s, names[i]))
			return i;
	fprintf(stderr, "ovlbench: --%s=%s: must be one of", opt_name(c), s);
	for (i = 0; i < n; i++)
		fprintf(stderr, "%s %s", i ? "," : "", names[i]);
	fputc('\n', stderr);
	exit(EXIT_USAGE);
}

static void parse_layers(const char *s)
{
	const char *p = s;
	char *end;
	long v;

	opt.nruns = 0;
	opt.layers_set = true;
	do {
		errno = 0;
		v = strtol(p, &end, 10);
		if (*p < '0' || *p > '9' || end == p || errno ||
		    v < 1 || v > OVL_MAX_STACK || opt.nruns == MAX_RUNS ||
		    (*end && *end != ','))
			die(EXIT_LAYERS,
			    "--layers=%s: must be layer counts 1..%d, up to %d of them separated by commas",
			    s, OVL_MAX_STACK, MAX_RUNS);
		opt.layers[opt.nruns++] = v;
		p = end + 1;
	} while (*end);
}

static void parse_cpus(const char *s)
{
	int online[MAX_CPUS], n, i, j;
	char *list;

	n = cpulist_parse(s, opt.cpus, MAX_CPUS);
	if (n <= 0)
		die(EXIT_CPU,
		    "--cpus=%s: must be a list of distinct CPUs 0..%d such as 0-3,6",
		    s, MAX_CPUS - 1);
	opt.ncpus = n;
	n = cpulist_online(online, MAX_CPUS);
	for (i = 0; i < (int)opt.ncpus; i++) {
		for (j = 0; j < n && online[j] != opt.cpus[i]; j++)
			;
		if (j == n) {
			list = xcpulist(online, n);
			die(EXIT_CPU, "--cpus=%s: CPU %d is not online (online: %s)",
			    s, opt.cpus[i], list);
		}
	}
}

/* --pair-modes=A,B: two mode names, different */
static void parse_pair(const char *arg)
{
	char *a = xstrdup(arg);
	char *b = strchr(a, ',');

	if (b)
		*b++ = '\0';
	if (!b || !*a || !*b || strchr(b, ',') || !strcmp(a, b))
		die(EXIT_USAGE, "--pair-modes=%s: expected two different modes A,B (such as longterm-array,detached)",
		    arg);
	opt.pair[0] = a;
	opt.pair[1] = b;
}

static void parse_output(const char *s)
{
	char *dir = xstrdup(s), *slash = strrchr(dir, '/');

	opt.output = s;
	opt.out_base = slash ? s + (slash - dir) + 1 : s;
	if (!*opt.out_base || strlen(opt.out_base) > NAME_MAX - 4)
		die(EXIT_USAGE, "--output=%s: must name a file", s);
	if (slash) {
		*slash = '\0';
		opt.out_dirfd = open(*dir ? dir : "/", O_PATH | O_DIRECTORY |
				     O_CLOEXEC);
		if (opt.out_dirfd < 0)
			die(EXIT_USAGE, "--output=%s: directory %s: %s", s,
			    *dir ? dir : "/", strerror(errno));
	} else {
		opt.out_dirfd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
	free(dir);
}

/* Before the run, not after it: a long run's data is not lost */
static void check_output(void)
{
	int err;

	if (!opt.output)
		return;
	err = outfile_check(opt.out_dirfd, opt.out_base);
	if (err)
		die(EXIT_USAGE, "--output=%s: cannot be written: %s",
		    opt.output, strerror(-err));
}

static void parse_option(int c, const char *arg)
{
	switch (c) {
	case 'w':
		opt.wl = workload_find(arg);
		if (!opt.wl) {
			fprintf(stderr, "ovlbench: --workload=%s: unknown workload; one of: ",
				arg);
			workload_names(stderr, 0);
			fputc('\n', stderr);
			exit(EXIT_WORKLOAD);
		}
		break;
	case 'l':
		parse_layers(arg);
		break;
	case 'u':
		opt.upper = true;
		break;
	case OPT_FILE_LAYER:
		opt.file_layer = parse_choice(c, arg, file_layer_names, 3);
		break;
	case 't':
		opt.ntasks = parse_uint(c, arg, 1, MAX_TASKS, EXIT_USAGE);
		break;
	case OPT_VICTIMS:
		opt.victims = parse_uint(c, arg, 1, MAX_TASKS - 1, EXIT_USAGE);
		break;
	case 'm':
		opt.threads = parse_choice(c, arg, task_mode_names,
					   ARRAY_SIZE(task_mode_names));
		break;
	case 'c':
		parse_cpus(arg);
		break;
	case OPT_WARMUP:
		opt.warmup = parse_seconds(c, arg, 0, true);
		time_set = true;
		break;
	case 'd':
		opt.duration = parse_seconds(c, arg, 0, false);
		time_set = true;
		break;
	case 'i':
		opt.interval = parse_seconds(c, arg, MIN_INTERVAL, true);
		time_set = true;
		break;
	case OPT_OPS:
		opt.ops = parse_uint(c, arg, 1, MAX_OPS, EXIT_USAGE);
		break;
	case OPT_MARKS:
		opt.marks = true;
		break;
	case OPT_READ_SIZE:
		opt.read_size = parse_uint(c, arg, 1, FILE_SIZE, EXIT_USAGE);
		break;
	case OPT_OVL_OPT:
		if (!*arg || *arg == '=' || opt.novl_opts == MAX_OVL_OPTS)
			die(EXIT_USAGE,
			    "--ovl-opt=%s: must be KEY or KEY=VALUE, at most %d times",
			    arg, MAX_OVL_OPTS);
		opt.ovl_opts[opt.novl_opts++] = arg;
		break;
	case OPT_MOUNT_API:
		opt.api = parse_choice(c, arg, mount_api_names, 3);
		break;
	case OPT_CHECK:
		opt.check = true;
		break;
	case OPT_PAIR:
		parse_pair(arg);
		break;
	case OPT_TARGET:
		opt.target = realpath(arg, NULL);
		if (!opt.target)
			die(EXIT_USAGE, "--target=%s: %s", arg,
			    strerror(errno));
		break;
	case 'o':
		parse_output(arg);
		break;
	case 'q':
		opt.quiet = true;
		break;
	case OPT_LIST:
		workload_list(stdout);
		exit(0);
	case OPT_LIMITS:
		print_limits();
	case 'h':
		print_help();
	}
}

/* --ops: an exact count, so no time options and no mount churn */
static void check_ops(void)
{
	if (time_set)
		die(EXIT_USAGE, "--ops=%lu: cannot be combined with --duration, --warmup or --interval (the run lasts until the ops are done)",
		    opt.ops);
	if (opt.pair[0] || opt.check)
		die(EXIT_USAGE, "--ops=%lu: cannot be combined with %s",
		    opt.ops, opt.check ? "--check" : "--pair-modes");
	if (opt.wl->flags & (WL_CHURN_ALL | WL_CHURN_ONE)) {
		fprintf(stderr, "ovlbench: --ops=%lu: not with workload %s (mount churn); one of: ",
			opt.ops, opt.wl->name);
		workload_names(stderr, WL_CHURN_ALL | WL_CHURN_ONE);
		fputc('\n', stderr);
		exit(EXIT_USAGE);
	}
	opt.warmup = 0;
	opt.nintervals = 1;
}

/* --coherence-marks: marked ops are counted ones, of a workload's op */
static void check_marks(void)
{
	if (!opt.ops)
		die(EXIT_USAGE, "--coherence-marks: needs --ops=N (the window holds exactly N marked ops per task)");
	if (!opt.wl->op) {
		fprintf(stderr, "ovlbench: --coherence-marks: not with workload %s; one of: ",
			opt.wl->name);
		workload_names_marked(stderr);
		fputc('\n', stderr);
		exit(EXIT_USAGE);
	}
}

/* --victims: collateral only, 1..tasks-1; by default half the tasks */
static void check_victims(void)
{
	if (!(opt.wl->flags & WL_VICTIMS)) {
		if (opt.victims)
			die(EXIT_USAGE, "--victims=%u: only with --workload=collateral, not %s",
			    opt.victims, opt.wl->name);
		return;
	}
	if (!opt.victims)
		opt.victims = opt.ntasks / 2 ? opt.ntasks / 2 : 1;
	else if (opt.victims >= opt.ntasks)
		die(EXIT_USAGE, "--victims=%u: must be 1..%u with --tasks=%u (at least one aggressor)",
		    opt.victims, opt.ntasks - 1, opt.ntasks);
}

/*
 * A workload on an internal mount (mqueue, memfd, ...): no overlay and no
 * path, so none of the options that shape them.  From here on it runs as
 * with --target (no root, no scratch tmpfs), its target naming the mount.
 */
static void check_no_overlay(void)
{
	const char *bad = opt.target ? "--target" :
			  opt.layers_set ? "--layers" :
			  opt.upper ? "--upper" :
			  opt.check ? "--check" : NULL;

	if (bad)
		die(EXIT_USAGE, "--workload=%s: not with %s: it uses no overlay and no path (%s); allowed: no --target, --layers, --upper or --check",
		    opt.wl->name, bad, opt.wl->target);
	opt.target = opt.wl->target;
	opt.nruns = 1;
}

/* Combinations of options, once all are known */
static void check_options(void)
{
	unsigned int i;

	if (!opt.wl)
		opt.wl = workload_find("open-close");
	if (!opt.nruns)
		opt.layers[opt.nruns++] = 2;
	for (i = 0; i < opt.nruns && !opt.upper; i++)
		if (opt.layers[i] == 1)
			die(EXIT_LAYERS,
			    "--layers=1: overlayfs needs at least 2 lower layers without --upper");
	if (!opt.ncpus)
		opt.ncpus = cpulist_online(opt.cpus, MAX_CPUS);
	if (!opt.ntasks)
		opt.ntasks = opt.ncpus < MAX_TASKS ? opt.ncpus : MAX_TASKS;
	if (opt.marks)
		check_marks();
	if (opt.ops)
		check_ops();
	else if (opt.interval > opt.duration)
		die(EXIT_TIME, "--interval=%g: must not exceed --duration=%g",
		    opt.interval, opt.duration);
	else
		opt.nintervals = opt.duration / opt.interval + 1e-9;
	if (opt.nintervals > MAX_INTERVALS)
		die(EXIT_TIME, "--interval=%g: more than %d intervals in --duration=%g",
		    opt.interval, MAX_INTERVALS, opt.duration);
	if (opt.file_layer == FL_UPPER && !opt.upper)
		die(EXIT_USAGE, "--file-layer=upper: needs --upper");
	if (opt.ntasks < opt.wl->min_tasks)
		die(EXIT_USAGE, "--tasks=%u: %s needs at least %u tasks",
		    opt.ntasks, opt.wl->name, opt.wl->min_tasks);
	check_victims();
	if (opt.wl->flags & WL_NO_OVERLAY)
		check_no_overlay();
	if (opt.target && (opt.wl->flags & (WL_CHURN_ALL | WL_CHURN_ONE |
					    WL_VICTIMS)))
		die(EXIT_USAGE, "--target=%s: %s needs an overlay of its own",
		    opt.target, opt.wl->name);
	if (opt.pair[0] && (opt.target || opt.upper || opt.check ||
			    opt.wl->run != open_close_loop))
		die(EXIT_USAGE,
		    "--pair-modes: needs an open-close workload on an overlay of its own, without --target, --upper or --check");
	if (opt.pair[0] && opt.interval > MAX_PAIR_INTERVAL)
		die(EXIT_TIME, "--interval=%g: blocks of --pair-modes must be <= %g s",
		    opt.interval, MAX_PAIR_INTERVAL);
	if (opt.target && (opt.layers_set || opt.upper || opt.check))
		die(EXIT_USAGE,
		    "--target=%s: cannot be combined with --layers, --upper or --check",
		    opt.target);
}

int main(int argc, char **argv)
{
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":w:l:ut:m:c:d:i:o:qh", long_opts,
				NULL)) != -1) {
		if (c == ':')
			die(EXIT_USAGE, "%s: needs a value; see --help",
			    argv[optind - 1]);
		if (c == '?')
			die(EXIT_USAGE, "%s: unknown option; see --help",
			    optopt ? (char[]){ '-', optopt, 0 } :
			    argv[optind - 1]);
		parse_option(c, optarg);
	}
	if (optind < argc)
		die(EXIT_USAGE, "%s: unexpected argument; see --help",
		    argv[optind]);
	check_options();
	check_output();
	return run_main();
}
