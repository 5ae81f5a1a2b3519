// SPDX-License-Identifier: GPL-2.0
/*
 * mntlock - count mntput() fast and slow paths (all mounts and overlay
 * private layer mounts), time mount_lock waits and overlay teardown grace
 * periods, count the path walks that mount_lock's writers make redo,
 * over an interval, per CPU and in total; print JSON.
 *
 * libbpf CO-RE, in the shape of libbpf-tools: mntlock.bpf.c is the kernel
 * side, this file parses options and runs the interval, probes.c picks
 * fentry or kprobe per probe, report.c writes the JSON (SCHEMA.md).
 */
#define _GNU_SOURCE	/* asprintf */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <dirent.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <bpf/btf.h>
#include "mntlock.skel.h"
#include "clock.h"
#include "compiler.h"
#include "ksyms.h"
#include "outfile.h"
#include "probes.h"
#include "report.h"

#define KERNEL_BTF	"/sys/kernel/btf/vmlinux"
#define MAX_DURATION_S	1e6	/* --duration; its ns fit in 64 bits */
#define MAX_PID		0x3fffffff	/* FUTEX_TID_MASK: above any pid_max */

static const char usage_text[] =
"Usage: mntlock [OPTION]... [-- COMMAND [ARG]...]\n"
"Count mntput() slow paths (all mounts, and overlay private layer\n"
"mounts; with --all-puts the fast paths too), time mount_lock waits in\n"
"the qspinlock slowpath, and time overlay teardown (ovl_free_fs,\n"
"kern_unmount*, RCU grace periods) per umount, per CPU and in total;\n"
"with --path-walk, the reader side too: RCU path walks (open, stat)\n"
"redone after mount_lock moved.  mount_lock's write sections are counted\n"
"always (system-wide).  Prints JSON, schema mntbench.mntlock/3.\n"
"The interval starts once all probes are attached; it ends after\n"
"--duration, at SIGINT/SIGTERM, or when COMMAND (started after attach)\n"
"exits, whichever comes first.\n"
"\n"
"  -d, --duration=S     stop after S seconds, 0..1000000 (0: attach,\n"
"                       report, exit)\n"
"  -p, --pid=PID        count only events of process PID (its threads)\n"
"  -c, --comm=NAME      count only events of tasks named NAME (<= 15 chars)\n"
"  -o, --output=FILE    write JSON to FILE (a regular file via FILE.tmp\n"
"                       and rename; a device, FIFO or symlink in place);\n"
"                       checked at start: exit 2 if it cannot be written\n"
"  -l, --list           print the probe table (attach type, required,\n"
"                       status, hits) and the puts by filesystem type\n"
"                       and mount state instead of JSON on stdout\n"
"      --kprobe         kprobes everywhere, even where fentry works\n"
"  -A, --all-puts       classify every mntput(), fast and slow path (a\n"
"                       probe on mntput(): about 4 runs per open+close,\n"
"                       see bpf/BENCHMARKS.md); default: slow path only\n"
"  -L, --latency        time mntput() too (implies --all-puts; fexit:\n"
"                       doubles its cost), log2 histograms fast/slow\n"
"  -W, --path-walk      count path walks redone after -ECHILD (opens,\n"
"                       lookups) and __legitimize_mnt()/try_to_unlazy()\n"
"                       failures: 4 probe runs per open, see\n"
"                       bpf/BENCHMARKS.md\n"
"      --restart-cost   time do_filp_open() too (implies --path-walk):\n"
"                       the extra time of an open that restarted\n"
"                       (do_file_open() where the kernel renamed it: a\n"
"                       probe takes the first of its functions in\n"
"                       /proc/kallsyms, and the JSON names it)\n"
"      --no-lock        no qspinlock slowpath / contention probes\n"
"      --no-teardown    no teardown and umount probes\n"
"      --btf=FILE       kernel BTF for CO-RE (default " KERNEL_BTF ")\n"
"  -q, --quiet          no \"counting\" line on stderr once attached\n"
"  -v, --verbose        libbpf messages on stderr\n"
"  -h, --help           this help\n"
"Testing and debugging:\n"
"      --mntput-func=F  probe F instead of mntput (with --all-puts)\n"
"      --slowput-func=F probe F instead of mnt_get_count (a missing F\n"
"                       shows the required-probe failure)\n"
"      --lock-func=F    qspinlock slowpath function (default\n"
"                       queued_spin_lock_slowpath)\n"
"      --probe-func=P=F probe F for the function probe named P (as in\n"
"                       --list); repeatable.  A missing F shows what an\n"
"                       inlined function gives: a warning, null fields\n"
"\n"
"Overlay layer mounts are those of the overlays mounted in any task's\n"
"mount namespace at start (read through ovl_show_options()) and those\n"
"clone_private_mount() makes while mntlock runs.\n"
"\n"
"Exit status:\n"
"  0 success          1 error (BPF load, maps, output)   2 usage error\n"
"  3 a required probe (mntput's slow path; mntput and its exit with\n"
"    --all-puts/--latency; the lock slowpath) is missing, or failed to\n"
"    load (fentry, then kprobe) or attach\n"
"  4 no kernel BTF (CONFIG_DEBUG_INFO_BTF=y)\n"
"  5 COMMAND failed or was killed (the JSON is still written)\n";

enum {
	OPT_KPROBE = 256,
	OPT_NO_LOCK,
	OPT_NO_TEARDOWN,
	OPT_BTF,
	OPT_MNTPUT_FUNC,
	OPT_SLOWPUT_FUNC,
	OPT_LOCK_FUNC,
	OPT_RESTART_COST,
	OPT_PROBE_FUNC,
};

static const struct option long_opts[] = {
	{ "duration", required_argument, NULL, 'd' },
	{ "pid", required_argument, NULL, 'p' },
	{ "comm", required_argument, NULL, 'c' },
	{ "output", required_argument, NULL, 'o' },
	{ "list", no_argument, NULL, 'l' },
	{ "kprobe", no_argument, NULL, OPT_KPROBE },
	{ "all-puts", no_argument, NULL, 'A' },
	{ "latency", no_argument, NULL, 'L' },
	{ "path-walk", no_argument, NULL, 'W' },
	{ "restart-cost", no_argument, NULL, OPT_RESTART_COST },
	{ "no-lock", no_argument, NULL, OPT_NO_LOCK },
	{ "no-teardown", no_argument, NULL, OPT_NO_TEARDOWN },
	{ "btf", required_argument, NULL, OPT_BTF },
	{ "mntput-func", required_argument, NULL, OPT_MNTPUT_FUNC },
	{ "slowput-func", required_argument, NULL, OPT_SLOWPUT_FUNC },
	{ "lock-func", required_argument, NULL, OPT_LOCK_FUNC },
	{ "probe-func", required_argument, NULL, OPT_PROBE_FUNC },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct opts {
	double duration;	/* < 0: none */
	long pid;
	const char *comm;
	const char *output;
	bool list;
	bool verbose;
	bool quiet;
	bool force_kprobe;
	bool all_puts;
	bool latency;
	bool path_walk;
	bool restart_cost;
	bool no_lock;
	bool no_teardown;
	const char *btf;
	const char *mntput_func;
	const char *slowput_func;
	const char *lock_func;
	char **argv;
};

/*
 * libbpf talks a lot when a load fails; keep its last words and show
 * them only if mntlock gives up (or always with -v).
 */
static char libbpf_log[8192];
static size_t libbpf_log_len;
static bool verbose;
/* The program libbpf last complained about: the one that failed */
static char failed_prog[64];

/*
 * The verifier's log of a program that failed to load (libbpf asks for
 * it on a failure only).  6.1's verifier keeps the start of a log too
 * long for the buffer and drops the end, which names the fault: room
 * for the longest log a program of mntlock gives, with a margin.
 */
#define VLOG_SIZE	(16U << 20)
/* The verifier's final lines shown on a failure */
#define VLOG_TAIL	12
static char *vlog;

/*
 * Keep the tail of what libbpf said: a verifier log names its error in
 * its last lines, whatever its length.
 */
static void log_append(const char *s, size_t n)
{
	size_t cap = sizeof(libbpf_log) - 1, drop;

	if (n > cap) {
		s += n - cap;
		n = cap;
	}
	if (libbpf_log_len + n > cap) {
		drop = libbpf_log_len + n - cap;
		memmove(libbpf_log, libbpf_log + drop, libbpf_log_len - drop);
		libbpf_log_len -= drop;
	}
	memcpy(libbpf_log + libbpf_log_len, s, n);
	libbpf_log_len += n;
	libbpf_log[libbpf_log_len] = 0;
}

/* libbpf's "prog '%s': ..." warnings name the program first */
#define PROG_WARNING	"libbpf: prog '%s': "

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	va_list aq;
	char *buf;
	int n;

	if (level == LIBBPF_WARN &&
	    !strncmp(fmt, PROG_WARNING, strlen(PROG_WARNING))) {
		va_copy(aq, ap);
		snprintf(failed_prog, sizeof(failed_prog), "%s",
			 va_arg(aq, const char *));
		va_end(aq);
	}
	if (verbose)
		return vfprintf(stderr, fmt, ap);
	if (level == LIBBPF_DEBUG)
		return 0;
	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0)
		return n;
	buf = malloc(n + 1);
	if (!buf)
		return -ENOMEM;
	vsnprintf(buf, n + 1, fmt, ap);
	log_append(buf, n);
	free(buf);
	return n;
}

static void dump_libbpf_log(void)
{
	if (libbpf_log_len)
		fprintf(stderr, "mntlock: libbpf said:\n%s", libbpf_log);
}

/* Lines of the verifier's summary, after the line that names the fault */
static bool vlog_trailer(const char *line, size_t n)
{
	static const char * const words[] = {
		"processed ", "verification time", "stack depth",
	};
	unsigned int i;

	if (!n)
		return true;
	for (i = 0; i < ARRAY_SIZE(words); i++)
		if (n >= strlen(words[i]) &&
		    !strncmp(line, words[i], strlen(words[i])))
			return true;
	return false;
}

/*
 * Why a program failed to load, in one line: the verifier's last line
 * before its summary, else (no log: libbpf gave up before the kernel
 * saw the program) libbpf's last line, else the error.
 */
static void load_reason(char *buf, size_t size, int err)
{
	const char *log = vlog && vlog[0] ? vlog : libbpf_log;
	const char *end = log + strlen(log), *sol, *eol;

	for (eol = end; eol > log; eol = sol - 1) {
		for (sol = eol; sol > log && sol[-1] != '\n'; sol--)
			;
		if (!vlog_trailer(sol, eol - sol) &&
		    strncmp(sol, "libbpf: failed to load", 22)) {
			snprintf(buf, size, "%s%.*s (%s)",
				 log == vlog ? "verifier: " : "",
				 (int)(eol - sol), sol, strerror(-err));
			return;
		}
		if (sol == log)
			break;
	}
	snprintf(buf, size, "%s", strerror(-err));
}

/* The verifier's final lines, whole, after the one-line reason */
static void print_vlog_tail(void)
{
	const char *p, *end, *nl;
	int lines = 0;

	if (!vlog || !vlog[0])
		return;
	end = vlog + strlen(vlog);
	if (end[-1] == '\n')
		end--;
	for (p = end; p > vlog; p--)
		if (p[-1] == '\n' && ++lines == VLOG_TAIL)
			break;
	fprintf(stderr, "mntlock:   the verifier's last lines%s:\n",
		strlen(vlog) >= VLOG_SIZE - 1 ?
		" (its log filled the buffer: the end may be cut)" : "");
	while (p < end) {
		nl = memchr(p, '\n', end - p);
		if (!nl)
			nl = end;
		fprintf(stderr, "mntlock:   | %.*s\n", (int)(nl - p), p);
		p = nl + 1;
	}
}

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("mntlock: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("; see --help\n", stderr);
	return EX_USAGE;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	char *end, *eq;
	int c, id, err;

	memset(o, 0, sizeof(*o));
	o->duration = -1;
	/*
	 * '+': stop at the first non-option, COMMAND's own options; ':' and
	 * opterr = 0: our own one-line messages
	 */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:d:p:c:o:lALWqvh", long_opts,
				NULL)) != -1) {
		switch (c) {
		case ':':
			return usage_error("%s: needs a value",
					   argv[optind - 1]);
		case '?':
			return usage_error("%s: unknown option",
					   optopt ? (char[]){ '-', optopt, 0 } :
					   argv[optind - 1]);
		case 'd':
			errno = 0;
			o->duration = strtod(optarg, &end);
			if (errno || end == optarg || *end ||
			    !(o->duration >= 0) ||
			    o->duration > MAX_DURATION_S)
				return usage_error("--duration=%s: expected seconds 0..%.0f",
						   optarg, MAX_DURATION_S);
			break;
		case 'p':
			errno = 0;
			o->pid = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || o->pid <= 0 ||
			    o->pid > MAX_PID)
				return usage_error("--pid=%s: expected a process id 1..%d",
						   optarg, MAX_PID);
			break;
		case 'c':
			if (!*optarg || strlen(optarg) >= MNTLOCK_COMM_LEN)
				return usage_error("--comm=%s: 1 to %d characters (the kernel's TASK_COMM_LEN)",
						   optarg,
						   MNTLOCK_COMM_LEN - 1);
			o->comm = optarg;
			break;
		case 'o':
			o->output = optarg;
			break;
		case 'l':
			o->list = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case OPT_KPROBE:
			o->force_kprobe = true;
			break;
		case 'A':
			o->all_puts = true;
			break;
		case 'L':
			o->latency = true;
			o->all_puts = true;
			break;
		case 'W':
			o->path_walk = true;
			break;
		case OPT_RESTART_COST:
			o->restart_cost = true;
			o->path_walk = true;
			break;
		case OPT_NO_LOCK:
			o->no_lock = true;
			break;
		case OPT_NO_TEARDOWN:
			o->no_teardown = true;
			break;
		case OPT_BTF:
			o->btf = optarg;
			break;
		case OPT_MNTPUT_FUNC:
			o->mntput_func = optarg;
			break;
		case OPT_SLOWPUT_FUNC:
			o->slowput_func = optarg;
			break;
		case OPT_LOCK_FUNC:
			o->lock_func = optarg;
			break;
		case OPT_PROBE_FUNC:
			eq = strchr(optarg, '=');
			if (!eq || !eq[1])
				return usage_error("--probe-func=%s: expected PROBE=FUNCTION",
						   optarg);
			id = probe_function_by_name(optarg, eq - optarg);
			if (id < 0)
				return usage_error("--probe-func=%s: no function probe named %.*s (see --list)",
						   optarg, (int)(eq - optarg),
						   optarg);
			probes[id].func = eq + 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(EX_OK);
		}
	}
	if (optind < argc)
		o->argv = &argv[optind];
	/* before the run, not after it: its data is not lost */
	if (o->output) {
		err = outfile_check(AT_FDCWD, o->output);
		if (err) {
			fprintf(stderr, "mntlock: --output=%s: cannot be written: %s\n",
				o->output, strerror(-err));
			return EX_USAGE;
		}
	}
	return EX_OK;
}

/*
 * Addresses of mount_lock.lock's qspinlock and of its sequence count, or
 * 0 and why not
 */
static void resolve_mount_lock(const struct btf *btf, struct run_info *ri,
			       struct probe_opts *po)
{
	struct ksym k = { .name = "mount_lock" };
	static char buf[160];
	const char *why;
	long off;
	int err;

	err = ksyms_lookup("/proc/kallsyms", &k, 1);
	off = btf_seqlock_spin_offset(btf);
	ri->mount_lock_sym = k.addr;
	ri->mount_lock_off = off;
	ri->mount_lock_seq_off = btf_seqlock_seq_offset(btf);
	if (err) {
		snprintf(buf, sizeof(buf), "cannot read /proc/kallsyms: %s",
			 strerror(-err));
		why = buf;
	} else if (!k.count) {
		why = "symbol mount_lock is not in /proc/kallsyms";
	} else if (!k.addr) {
		why = "/proc/kallsyms hides the address of mount_lock (kernel.kptr_restrict; needs root with CAP_SYSLOG)";
	} else {
		why = NULL;
	}
	po->mount_lock_why = why;
	po->mount_lock_seq_why = why;
	if (!why && off < 0)
		po->mount_lock_why = "no seqlock_t.lock.rlock.raw_lock in the kernel BTF";
	else if (!why)
		ri->mount_lock_addr = k.addr + off;
	if (!why && ri->mount_lock_seq_off < 0)
		po->mount_lock_seq_why = "no seqlock_t.seqcount.seqcount.sequence in the kernel BTF";
	else if (!why)
		ri->mount_lock_seq_addr = k.addr + ri->mount_lock_seq_off;
	po->mount_lock_addr = ri->mount_lock_addr;
	po->mount_lock_seq_addr = ri->mount_lock_seq_addr;
}

/*
 * mount_lock's sequence count, read by the BPF side (a plain load of
 * kernel memory needs BPF or /proc/kcore); 0 or -errno
 */
static int read_mount_lock_seq(struct mntlock_bpf *skel, __u32 *seq)
{
	LIBBPF_OPTS(bpf_test_run_opts, t);
	int err;

	err = bpf_prog_test_run_opts(
		bpf_program__fd(skel->progs.sc_mount_lock_seq), &t);
	if (err)
		return err;
	if (t.retval)
		return -EFAULT;
	*seq = skel->bss->mount_lock_seq;
	return 0;
}

/*
 * Write sections begun between two reads of the sequence: each adds 1
 * when it begins (odd: a writer inside) and 1 when it ends.
 */
static __u64 write_sections(__u32 start, __u32 end)
{
	__u32 d = end - start;	/* the count wraps at 2^32 */

	return ((__u64)d + !(start & 1)) / 2;
}

static void mount_lock_seq_failed(int err)
{
	struct probe *p = &probes[PR_MLSEQ];

	p->status = PS_FAILED;
	snprintf(p->reason, sizeof(p->reason), "read failed: %s",
		 strerror(-err));
	fprintf(stderr, "mntlock: warning: optional probe %s (read of %s) failed: %s\n",
		p->name, p->func, p->reason);
}

static struct mntlock_bpf *open_skel(const struct opts *o,
				     const struct run_info *ri)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = o->btf,
		    .kernel_log_buf = vlog, .kernel_log_size = VLOG_SIZE);
	struct mntlock_bpf *skel;

	skel = mntlock_bpf__open_opts(&oo);
	if (!skel) {
		fprintf(stderr, "mntlock: cannot open the BPF object: %s\n",
			strerror(errno));
		return NULL;
	}
	skel->rodata->mount_lock_addr = ri->mount_lock_addr;
	skel->rodata->targ_tgid = o->pid;
	skel->rodata->latency = o->latency;
	skel->rodata->walk_time =
		probes[PR_FILP_OPEN_RET].status == PS_PLANNED;
	skel->rodata->mount_lock_seq_addr = ri->mount_lock_seq_addr;
	if (o->comm) {
		skel->rodata->filter_comm = true;
		/* parse_opts() checked: shorter than the array */
		memcpy((char *)skel->rodata->targ_comm, o->comm,
		       strlen(o->comm));
		memset((char *)skel->rodata->targ_comm_mask, 0xff,
		       strlen(o->comm) + 1);
	}
	return skel;
}

/*
 * Load the programs of the planned probes.  A program that fails
 * (an older verifier, a missing kfunc) costs its own probe only: a
 * fentry program is replaced by its kprobe, a kprobe or tracepoint
 * program is dropped (exit 3 if required), and the rest loads again.
 * Each round changes one probe, so it ends.  Returns EX_OK, EX_PROBE or
 * EX_ERROR (a failure that names no program: maps, permissions).
 */
static int open_and_load(struct mntlock_bpf **skelp, const struct opts *o,
			 const struct run_info *ri)
{
	char why[sizeof(probes[0].reason)];
	struct mntlock_bpf *skel;
	int err, id, rc;

	for (;;) {
		skel = open_skel(o, ri);
		if (!skel)
			return EX_ERROR;
		failed_prog[0] = 0;
		libbpf_log_len = 0;
		libbpf_log[0] = 0;
		if (vlog)
			vlog[0] = 0;
		err = probes_configure(skel);
		if (!err)
			err = mntlock_bpf__load(skel);
		if (!err) {
			*skelp = skel;
			return EX_OK;
		}
		id = err == -EPERM ? -1 : probe_by_prog_name(failed_prog);
		if (id < 0)
			break;
		load_reason(why, sizeof(why), err);
		mntlock_bpf__destroy(skel);
		rc = probe_load_failed(id, why);
		print_vlog_tail();
		if (rc)
			return rc;
	}
	mntlock_bpf__destroy(skel);
	fprintf(stderr, "mntlock: cannot load the BPF programs: %s%s\n",
		strerror(-err), err == -EPERM ? " (run as root)" : "");
	dump_libbpf_log();
	return EX_ERROR;
}

/*
 * Wait for the end of the interval.  SIGINT, SIGTERM and SIGCHLD are
 * blocked and taken synchronously with sigtimedwait(): no handler races.
 */
static const char *wait_interval(const struct opts *o, struct run_info *ri,
				 const sigset_t *set)
{
	__u64 deadline = 0, now;
	struct timespec ts;
	siginfo_t si;
	int sig;

	if (o->duration >= 0)
		deadline = ri->t0_ns + (__u64)(o->duration * 1e9);
	for (;;) {
		if (o->duration >= 0) {
			now = now_ns();
			if (now >= deadline)
				return "duration";
			ts.tv_sec = (deadline - now) / 1000000000ULL;
			ts.tv_nsec = (deadline - now) % 1000000000ULL;
			sig = sigtimedwait(set, &si, &ts);
		} else {
			sig = sigwaitinfo(set, &si);
		}
		if (sig < 0) {
			if (errno == EAGAIN)
				return "duration";
			continue;
		}
		if (sig == SIGCHLD) {
			if (ri->cmd_pid > 0 && !ri->cmd_done &&
			    waitpid(ri->cmd_pid, &ri->cmd_status,
				    WNOHANG) == ri->cmd_pid) {
				ri->cmd_done = true;
				return "command-exit";
			}
			continue;
		}
		return sig == SIGINT ? "SIGINT" : "SIGTERM";
	}
}

/*
 * Read the mountinfo of one task per mount namespace.  For each overlay
 * in it the kernel calls ovl_show_options(), whose probe records that
 * overlay's layer mounts: overlays mounted before mntlock started are
 * then recognised too.  Returns the number of overlay mounts seen.
 */
static long scan_overlays(void)
{
	struct ns { dev_t dev; ino_t ino; } *seen = NULL, *n;
	size_t nseen = 0, cap = 0, len = 0, i;
	char path[300], *line = NULL;
	struct dirent *de;
	struct stat st;
	long overlays = 0;
	DIR *d;
	FILE *f;

	d = opendir("/proc");
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/mnt", de->d_name);
		if (stat(path, &st))
			continue;
		for (i = 0; i < nseen; i++)
			if (seen[i].dev == st.st_dev && seen[i].ino == st.st_ino)
				break;
		if (i < nseen)
			continue;
		if (nseen == cap) {
			cap = cap ? 2 * cap : 16;
			n = realloc(seen, cap * sizeof(*seen));
			if (!n)
				break;
			seen = n;
		}
		seen[nseen].dev = st.st_dev;
		seen[nseen++].ino = st.st_ino;
		snprintf(path, sizeof(path), "/proc/%s/mountinfo", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (getline(&line, &len, f) > 0)
			if (strstr(line, " - overlay "))
				overlays++;
		fclose(f);
	}
	closedir(d);
	free(line);
	free(seen);
	return overlays;
}

/* One line once everything is attached: scripts can wait for it */
static void announce(const struct opts *o)
{
	int i, n[AM_RUN + 1] = { 0 };

	/* a read program (AM_RUN) is not attached anywhere: not counted */
	for (i = 0; i < NR_PROGS; i++)
		if (probes[i].status == PS_ATTACHED)
			n[probes[i].mode]++;
	fprintf(stderr, "mntlock: %d probes attached (%d fentry/fexit, %d kprobe, %d tracepoint); counting",
		n[AM_FENTRY] + n[AM_KPROBE] + n[AM_TP], n[AM_FENTRY],
		n[AM_KPROBE], n[AM_TP]);
	if (o->argv)
		fprintf(stderr, " until %s exits", o->argv[0]);
	else if (o->duration >= 0)
		fprintf(stderr, " for %g s", o->duration);
	else
		fprintf(stderr, " until SIGINT/SIGTERM");
	fprintf(stderr, "\n");
}

static pid_t start_command(char **argv, const sigset_t *old)
{
	pid_t pid = fork();

	if (pid)
		return pid;
	sigprocmask(SIG_SETMASK, old, NULL);
	execvp(argv[0], argv);
	fprintf(stderr, "mntlock: cannot run %s: %s\n", argv[0],
		strerror(errno));
	_exit(127);
}

/* The command outlived the interval: ask it to stop, then reap it */
static void stop_command(struct run_info *ri, int sig)
{
	if (ri->cmd_pid <= 0 || ri->cmd_done)
		return;
	kill(ri->cmd_pid, sig);
	if (waitpid(ri->cmd_pid, &ri->cmd_status, 0) == ri->cmd_pid)
		ri->cmd_done = true;
}

static int write_output(const struct opts *o, const struct report *r,
			const struct run_info *ri)
{
	struct outfile out;
	int err;

	if (!o->output) {
		if (o->list)
			return 0;
		err = report_write_json(stdout, r, ri);
		return fflush(stdout) ? -errno : err;
	}
	err = outfile_open(&out, AT_FDCWD, o->output);
	if (!err) {
		err = report_write_json(out.f, r, ri);
		err = outfile_close(&out, !err) ?: err;
	}
	if (err)
		fprintf(stderr, "mntlock: cannot write %s: %s\n", o->output,
			strerror(-err));
	return err;
}

int main(int argc, char **argv)
{
	struct run_info ri = { .ended_by = "duration" };
	struct probe_opts po = { .force_kprobe = false };
	struct btf *btf = NULL, *kbtf = NULL;
	struct mntlock_bpf *skel = NULL;
	struct report rep = { 0 };
	sigset_t set, old;
	__u32 seq0 = 0, seq1 = 0;
	bool reload;
	struct opts o;
	__u64 t1;
	int rc, i;

	rc = parse_opts(argc, argv, &o);
	if (rc)
		return rc;
	verbose = o.verbose;
	libbpf_set_print(libbpf_print);

	ri.btf_path = o.btf ? o.btf : KERNEL_BTF;
	if (access(ri.btf_path, R_OK)) {
		fprintf(stderr, "mntlock: no kernel BTF at %s: %s (mntlock needs CONFIG_DEBUG_INFO_BTF=y)\n",
			ri.btf_path, strerror(errno));
		return EX_NOBTF;
	}
	btf = btf__parse(ri.btf_path, NULL);
	if (!btf) {
		fprintf(stderr, "mntlock: no usable BTF in %s: %s\n",
			ri.btf_path, strerror(errno));
		return EX_NOBTF;
	}
	/* fentry targets always resolve against the running kernel's BTF */
	if (!o.btf)
		kbtf = btf;
	else if (!access(KERNEL_BTF, R_OK))
		kbtf = btf__parse(KERNEL_BTF, NULL);

	for (i = 0; i < NR_GROUPS; i++)
		po.want[i] = true;
	po.want[G_MNTPUT] = o.all_puts;
	po.want[G_LATENCY] = o.latency;
	po.want[G_LOCK] = po.want[G_LOCK_PV] = po.want[G_CONT] = !o.no_lock;
	po.want[G_TEARDOWN] = !o.no_teardown;
	po.want[G_WALK] = o.path_walk;
	po.want[G_WALK_TIME] = o.restart_cost;
	po.force_kprobe = o.force_kprobe;
	po.all_puts = o.all_puts;
	po.mntput_func = o.mntput_func;
	po.slowput_func = o.slowput_func;
	po.lock_func = o.lock_func;
	resolve_mount_lock(btf, &ri, &po);

	rc = probes_plan(&po, kbtf);
	if (rc)
		goto out;
	/* its pages are touched by a failed load only */
	vlog = malloc(VLOG_SIZE);
	for (;;) {
		rc = open_and_load(&skel, &o, &ri);
		if (rc)
			goto out;
		rc = probes_attach(&reload);
		if (rc || !reload)
			break;
		mntlock_bpf__destroy(skel);
		skel = NULL;
	}
	if (rc)
		goto out;
	rc = EX_ERROR;
	ri.fentry_fallback = probes_any_fell_back();

	ri.filter_pid = o.pid;
	ri.filter_comm = o.comm;
	ri.all_puts = o.all_puts;
	ri.latency = o.latency;
	ri.path_walk = o.path_walk;
	ri.restart_cost = o.restart_cost;
	ri.argv = o.argv;
	ri.requested_s = o.duration;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	if (probes[PR_OVL_SHOW].status == PS_ATTACHED) {
		ri.overlays_at_start = scan_overlays();
		ri.layers_at_start = skel->bss->layers_scanned;
	}
	if (!o.quiet)
		announce(&o);
	if (probe_attached(PR_MLSEQ)) {
		i = read_mount_lock_seq(skel, &seq0);
		if (i)
			mount_lock_seq_failed(i);
	}
	skel->bss->active = 1;
	ri.t0_ns = now_ns();
	if (o.argv) {
		ri.cmd_pid = start_command(o.argv, &old);
		if (ri.cmd_pid < 0) {
			fprintf(stderr, "mntlock: fork: %s\n", strerror(errno));
			goto out;
		}
	}
	if (o.duration != 0 || o.argv)
		ri.ended_by = wait_interval(&o, &ri, &set);
	skel->bss->active = 0;
	if (probe_attached(PR_MLSEQ)) {
		i = read_mount_lock_seq(skel, &seq1);
		if (i) {
			mount_lock_seq_failed(i);
		} else {
			ri.mount_lock_seq_read = true;
			ri.mount_lock_writes = write_sections(seq0, seq1);
		}
	}
	t1 = now_ns();
	mntlock_bpf__detach(skel);
	ri.duration_s = (t1 - ri.t0_ns) / 1e9;
	stop_command(&ri, strcmp(ri.ended_by, "SIGINT") ? SIGTERM : SIGINT);

	i = report_collect(&rep, skel);
	if (i) {
		fprintf(stderr, "mntlock: cannot read the BPF maps: %s\n",
			strerror(-i));
		goto out;
	}
	/* no program run to count: the two reads */
	probes[PR_MLSEQ].hits = ri.mount_lock_seq_read ? 2 : 0;
	if (probes[PR_MNTPUT].status == PS_ATTACHED &&
	    !probes[PR_MNTPUT].hits && ri.duration_s > 0.5)
		fprintf(stderr, "mntlock: warning: probe mntput (%s on %s) attached but never fired\n",
			probe_type_name(&probes[PR_MNTPUT]),
			probes[PR_MNTPUT].func);
	if (o.list) {
		probes_print_table(stdout);
		report_print_bymount(stdout, &rep, &ri);
	}
	if (write_output(&o, &rep, &ri))
		goto out;
	rc = EX_OK;
	/* Only a command that ended on its own: we may have stopped it */
	if (o.argv && !strcmp(ri.ended_by, "command-exit") &&
	    (!WIFEXITED(ri.cmd_status) || WEXITSTATUS(ri.cmd_status)))
		rc = EX_COMMAND;
out:
	report_free(&rep);
	mntlock_bpf__destroy(skel);
	if (kbtf != btf)
		btf__free(kbtf);
	btf__free(btf);
	free(vlog);
	return rc;
}
