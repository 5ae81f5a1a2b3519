// SPDX-License-Identifier: GPL-2.0
/*
 * Choose, configure and attach the probes of mntlock.
 *
 * A function probe is attached with fentry/fexit where the function has
 * BTF (cheapest: a direct call from the function's ftrace site), else
 * with kprobe/kretprobe.  Presence is checked in /proc/kallsyms first: a
 * function that was inlined into all its callers has no symbol, and one
 * that was inlined into some callers would only see the out-of-line
 * calls, which is why mntlock reports every probe's hit count.  The
 * slow put is counted at mnt_get_count(), which mntput_no_expire() calls
 * under mount_lock: every slow put passes there, whether it came through
 * mntput() or straight from kern_unmount_array() and the like.
 *
 * The path walk probes are optional even when asked for: a function
 * inlined in some kernel gets a warning, and its JSON field is null.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <bpf/btf.h>
#include "mntlock.skel.h"
#include "compiler.h"
#include "ksyms.h"
#include "probes.h"

/*
 * umount(2)'s function: the arch's syscall wrapper, which takes the user
 * registers.  The syscall tracepoints would do on any arch, but enabling
 * one sends every syscall of every task through the slow path.
 */
#if defined(__x86_64__)
#define SYS_UMOUNT	"__x64_sys_umount"
#elif defined(__aarch64__)
#define SYS_UMOUNT	"__arm64_sys_umount"
#else
#error "mntlock: the umount syscall wrapper of this arch is not known"
#endif

#define P(id, n, t, g, f) \
	[id] = { .name = n, .type = t, .group = g, .func = f }
/*
 * A probe whose function has another name, or is inlined, on some line:
 * func stays NULL until probes_plan() chose, or an option set it
 */
#define PC(id, n, t, g, c) \
	[id] = { .name = n, .type = t, .group = g, .candidates = c }

/*
 * The functions of the probes that move between kernel lines, first
 * choice first; probes_plan() takes the first one /proc/kallsyms has,
 * and the JSON names it (probes[].target, probes[].candidates).
 *
 * Paravirt kernels call the native qspinlock slowpath
 * native_queued_spin_lock_slowpath().
 */
static const char * const lock_funcs[] = {
	"queued_spin_lock_slowpath", "native_queued_spin_lock_slowpath", NULL,
};

/*
 * The slow put.  mnt_get_count() is called by the slow path of
 * mntput_no_expire() under mount_lock (and by umount's busy checks) on
 * 6.1, 6.12 and 7.2.  Where it is inlined, 7.2's
 * mntput_no_expire_slowpath() (fs/namespace.c, noinline: the part of
 * mntput_no_expire() after mnt_ns was seen NULL; mntput_no_expire()
 * itself is inlined into mntput() there) counts the same slow puts,
 * without the busy checks.  Both take the struct mount *.  Before 7.2
 * the slow path is inside mntput_no_expire(), whose entry is every put.
 */
static const char * const slowput_funcs[] = {
	"mnt_get_count", "mntput_no_expire_slowpath", NULL,
};

/*
 * An open's path walk: 7.2 renamed do_filp_open() to do_file_open()
 * (fs/namei.c), the same walk (path_openat() with LOOKUP_RCU, again
 * without it on -ECHILD) with the same arguments; it also returns the
 * ERR_PTR() of a failed getname() that the callers checked before.
 */
static const char * const filp_open_funcs[] = {
	"do_filp_open", "do_file_open", NULL,
};

struct probe probes[NR_PROGS] = {
	P(PR_MNTPUT, "mntput", PT_ENTRY, G_MNTPUT, "mntput"),
	P(PR_MNTPUT_RET, "mntput-exit", PT_EXIT, G_LATENCY, "mntput"),
	PC(PR_SLOWPUT, "mntput-slowpath", PT_ENTRY, G_SLOWPUT, slowput_funcs),
	PC(PR_LOCK, "lock-slowpath", PT_ENTRY, G_LOCK, lock_funcs),
	PC(PR_LOCK_RET, "lock-slowpath-exit", PT_EXIT, G_LOCK, lock_funcs),
	P(PR_LOCK_PV, "lock-slowpath-pv", PT_ENTRY, G_LOCK_PV,
	  "__pv_queued_spin_lock_slowpath"),
	P(PR_LOCK_PV_RET, "lock-slowpath-pv-exit", PT_EXIT, G_LOCK_PV,
	  "__pv_queued_spin_lock_slowpath"),
	P(PR_CONT_BEGIN, "contention_begin", PT_TP, G_CONT,
	  "lock/contention_begin"),
	P(PR_CONT_END, "contention_end", PT_TP, G_CONT, "lock/contention_end"),
	P(PR_CLONE_RET, "clone_private_mount-exit", PT_EXIT, G_LAYERS,
	  "clone_private_mount"),
	P(PR_OVL_SHOW, "ovl_show_options", PT_ENTRY, G_LAYERS,
	  "ovl_show_options"),
	P(PR_CLEANUP, "cleanup_mnt", PT_ENTRY, G_LAYERS, "cleanup_mnt"),
	P(PR_CLEANUP_RET, "cleanup_mnt-exit", PT_EXIT, G_TEARDOWN,
	  "cleanup_mnt"),
	P(PR_OVL_FREE, "ovl_free_fs", PT_ENTRY, G_TEARDOWN, "ovl_free_fs"),
	P(PR_OVL_FREE_RET, "ovl_free_fs-exit", PT_EXIT, G_TEARDOWN,
	  "ovl_free_fs"),
	P(PR_KUA, "kern_unmount_array", PT_ENTRY, G_TEARDOWN,
	  "kern_unmount_array"),
	P(PR_KUA_RET, "kern_unmount_array-exit", PT_EXIT, G_TEARDOWN,
	  "kern_unmount_array"),
	P(PR_KU, "kern_unmount", PT_ENTRY, G_TEARDOWN, "kern_unmount"),
	P(PR_KU_RET, "kern_unmount-exit", PT_EXIT, G_TEARDOWN, "kern_unmount"),
	P(PR_SYNC_RCU, "synchronize_rcu", PT_ENTRY, G_TEARDOWN,
	  "synchronize_rcu"),
	P(PR_SYNC_RCU_RET, "synchronize_rcu-exit", PT_EXIT, G_TEARDOWN,
	  "synchronize_rcu"),
	P(PR_SYNC_RCU_EXP, "synchronize_rcu_expedited", PT_ENTRY, G_TEARDOWN,
	  "synchronize_rcu_expedited"),
	P(PR_SYNC_RCU_EXP_RET, "synchronize_rcu_expedited-exit", PT_EXIT,
	  G_TEARDOWN, "synchronize_rcu_expedited"),
	P(PR_UMOUNT_ENTER, "umount", PT_ENTRY, G_TEARDOWN, SYS_UMOUNT),
	P(PR_UMOUNT_EXIT, "umount-exit", PT_EXIT, G_TEARDOWN, SYS_UMOUNT),
	P(PR_TASK_EXIT, "sched_process_exit", PT_TP, G_TEARDOWN,
	  "sched/sched_process_exit"),
	PC(PR_FILP_OPEN, "do_filp_open", PT_ENTRY, G_WALK, filp_open_funcs),
	PC(PR_FILP_OPEN_RET, "do_filp_open-exit", PT_EXIT, G_WALK_TIME,
	   filp_open_funcs),
	P(PR_OPENAT_RET, "path_openat-exit", PT_EXIT, G_WALK, "path_openat"),
	P(PR_LOOKUP, "filename_lookup", PT_ENTRY, G_WALK, "filename_lookup"),
	P(PR_LOOKUPAT_RET, "path_lookupat-exit", PT_EXIT, G_WALK,
	  "path_lookupat"),
	P(PR_LEGIT_RET, "__legitimize_mnt-exit", PT_EXIT, G_WALK,
	  "__legitimize_mnt"),
	P(PR_UNLAZY_RET, "try_to_unlazy-exit", PT_EXIT, G_WALK,
	  "try_to_unlazy"),
	P(PR_MLSEQ, "mount_lock-seq", PT_RUN, G_MLSEQ, "mount_lock"),
};

/* Kernel config a missing tracepoint points to */
static const char *tp_config(const char *func)
{
	if (!strncmp(func, "syscalls/", 9))
		return "CONFIG_FTRACE_SYSCALLS=y";
	if (!strncmp(func, "lock/", 5))
		return "Linux >= 5.19 (lock contention tracepoints)";
	return "CONFIG_TRACEPOINTS=y";
}

/*
 * Whether a tracepoint exists: 1 yes, 0 no, -1 cannot tell (no tracefs
 * mounted; libbpf will then fail at attach time with its own reason).
 */
static int tp_exists(const char *func)
{
	static const char * const roots[] = {
		"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
	};
	char path[256];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(roots); i++) {
		snprintf(path, sizeof(path), "%s/events", roots[i]);
		if (access(path, F_OK))
			continue;
		snprintf(path, sizeof(path), "%s/events/%s/id", roots[i],
			 func);
		return access(path, F_OK) == 0;
	}
	return -1;
}

static bool is_required(const struct probe_opts *o, enum probe_group g)
{
	switch (g) {
	case G_SLOWPUT:
		return !o->all_puts;
	case G_MNTPUT:
	case G_LATENCY:
	case G_LOCK:
		return o->want[g];
	default:
		return false;
	}
}

static struct ksym *ksym_of(struct ksym *ks, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(ks[i].name, name))
			return &ks[i];
	return NULL;
}

static const char *type_word(const struct probe *p)
{
	if (p->type == PT_TP)
		return "tracepoint";
	if (p->type == PT_RUN)
		return "read of";
	return p->type == PT_ENTRY ? "entry of" : "exit of";
}

/* A program mntlock runs itself: BPF_PROG_TYPE_SYSCALL, Linux >= 5.14 */
static void plan_run(const struct probe_opts *o, struct probe *p)
{
	if (!o->mount_lock_seq_addr)
		snprintf(p->reason, sizeof(p->reason), "%s",
			 o->mount_lock_seq_why);
	else if (libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_SYSCALL, NULL) <= 0)
		snprintf(p->reason, sizeof(p->reason),
			 "the kernel has no BPF_PROG_TYPE_SYSCALL (Linux >= 5.14)");
	else
		p->mode = AM_RUN;
}

/* Room for every probe's function and every candidate of the PC() ones */
#define MAX_KSYMS	(2 * NR_PROGS)

static void add_ksym(struct ksym *ks, int *n, const char *name)
{
	if (*n < MAX_KSYMS && !ksym_of(ks, *n, name))
		ks[(*n)++].name = name;
}

/*
 * The first candidate the kernel has; the first of all if none (the
 * probe is unavailable, and its reason names them all).  A function set
 * by an option is taken as it is, and is the only candidate.
 */
static void choose_func(struct probe *p, struct ksym *ks, int n)
{
	const char * const *c;
	struct ksym *k;

	if (p->func) {
		p->candidates = NULL;
		return;
	}
	p->func = p->candidates[0];
	for (c = p->candidates; *c; c++) {
		k = ksym_of(ks, n, *c);
		if (k && k->count) {
			p->func = *c;
			return;
		}
	}
}

/* Why a function probe's function is missing, naming what was tried */
static void missing_reason(struct probe *p)
{
	const char * const *c;
	size_t len;

	if (!p->candidates || p->func != p->candidates[0] ||
	    !p->candidates[1]) {
		snprintf(p->reason, sizeof(p->reason),
			 "function %s is not in /proc/kallsyms (not in this kernel, or inlined into all its callers)",
			 p->func);
		return;
	}
	snprintf(p->reason, sizeof(p->reason), "none of the functions");
	for (c = p->candidates; *c; c++) {
		len = strlen(p->reason);
		snprintf(p->reason + len, sizeof(p->reason) - len, "%s %s",
			 c == p->candidates ? "" : ",", *c);
	}
	len = strlen(p->reason);
	snprintf(p->reason + len, sizeof(p->reason) - len,
		 " is in /proc/kallsyms (not in this kernel, or inlined into all their callers)");
}

int probes_plan(const struct probe_opts *o, const struct btf *btf)
{
	struct ksym ks[MAX_KSYMS];
	const char * const *c;
	int i, n = 0, err, rc = EX_OK;

	if (o->mntput_func) {
		probes[PR_MNTPUT].func = o->mntput_func;
		probes[PR_MNTPUT_RET].func = o->mntput_func;
	}
	if (o->slowput_func)
		probes[PR_SLOWPUT].func = o->slowput_func;
	if (o->lock_func) {
		probes[PR_LOCK].func = o->lock_func;
		probes[PR_LOCK_RET].func = o->lock_func;
	}
	for (i = 0; i < NR_PROGS; i++) {
		struct probe *p = &probes[i];

		p->required = is_required(o, p->group);
		if (p->type == PT_TP || p->type == PT_RUN)
			continue;
		if (p->func)
			add_ksym(ks, &n, p->func);
		else
			for (c = p->candidates; *c; c++)
				add_ksym(ks, &n, *c);
	}
	err = ksyms_lookup("/proc/kallsyms", ks, n);
	if (err)
		fprintf(stderr, "mntlock: warning: /proc/kallsyms: %s\n",
			strerror(-err));
	for (i = 0; i < NR_PROGS; i++)
		if (probes[i].candidates)
			choose_func(&probes[i], ks, n);

	for (i = 0; i < NR_PROGS; i++) {
		struct probe *p = &probes[i];
		struct ksym *k;

		p->mode = AM_NONE;
		p->reason[0] = 0;
		if (!o->want[p->group]) {
			p->status = PS_DISABLED;
			snprintf(p->reason, sizeof(p->reason),
				 "disabled by option");
			continue;
		}
		p->status = PS_UNAVAILABLE;
		if ((p->group == G_LOCK || p->group == G_LOCK_PV ||
		     p->group == G_CONT) && !o->mount_lock_addr) {
			snprintf(p->reason, sizeof(p->reason), "%s",
				 o->mount_lock_why);
		} else if (p->type == PT_RUN) {
			plan_run(o, p);
		} else if (p->type == PT_TP) {
			if (tp_exists(p->func) == 0)
				snprintf(p->reason, sizeof(p->reason),
					 "tracepoint %s not found (%s)",
					 p->func, tp_config(p->func));
			else
				p->mode = AM_TP;
		} else {
			k = ksym_of(ks, n, p->func);
			if (!k || !k->count) {
				/* not a paravirt kernel: nothing to say */
				if (p->group == G_LOCK_PV) {
					p->status = PS_ABSENT;
					snprintf(p->reason, sizeof(p->reason),
						 "no paravirt spinlocks in this kernel");
					continue;
				}
				missing_reason(p);
			} else if (!o->force_kprobe && btf_has_func(btf,
								    p->func)) {
				p->mode = AM_FENTRY;
			} else {
				p->mode = AM_KPROBE;
				snprintf(p->reason, sizeof(p->reason), "%s",
					 o->force_kprobe ? "--kprobe" :
					 "no BTF for the function: kprobe");
			}
		}
		if (p->mode != AM_NONE) {
			p->status = PS_PLANNED;
			continue;
		}
		if (p->required) {
			/* one clear line, for the first one */
			if (rc == EX_OK)
				fprintf(stderr,
					"mntlock: required probe %s (%s %s) unavailable: %s\n",
					p->name, type_word(p), p->func,
					p->reason);
			rc = EX_PROBE;
		} else if (p->group != G_LAYERS || i == PR_CLONE_RET) {
			fprintf(stderr,
				"mntlock: warning: optional probe %s (%s %s) unavailable: %s\n",
				p->name, type_word(p), p->func, p->reason);
		}
	}
	return rc;
}

/*
 * Each probe's programs and links in the skeleton: fentry/fexit, and
 * kprobe/kretprobe or tracepoint.  Typed skeleton members: a program
 * renamed in mntlock.bpf.c fails to compile here, and the skeleton
 * destroys the links it holds.
 */
struct skel_progs {
	struct bpf_program *fe, *kp;	/* fe: NULL for tracepoints */
	struct bpf_link **fe_link, **kp_link;
};

#define FN(id, f, k) \
	[id] = { s->progs.f, s->progs.k, &s->links.f, &s->links.k }
#define TP(id, t) \
	[id] = { NULL, s->progs.t, NULL, &s->links.t }

int probes_configure(struct mntlock_bpf *s)
{
	const struct skel_progs progs[NR_PROGS] = {
		FN(PR_MNTPUT, fe_mntput, kp_mntput),
		FN(PR_MNTPUT_RET, fx_mntput, kr_mntput),
		FN(PR_SLOWPUT, fe_slowput, kp_slowput),
		FN(PR_LOCK, fe_lock, kp_lock),
		FN(PR_LOCK_RET, fx_lock, kr_lock),
		FN(PR_LOCK_PV, fe_lock_pv, kp_lock_pv),
		FN(PR_LOCK_PV_RET, fx_lock_pv, kr_lock_pv),
		TP(PR_CONT_BEGIN, tp_cont_begin),
		TP(PR_CONT_END, tp_cont_end),
		FN(PR_CLONE_RET, fx_clone, kr_clone),
		FN(PR_OVL_SHOW, fe_ovl_show, kp_ovl_show),
		FN(PR_CLEANUP, fe_cleanup, kp_cleanup),
		FN(PR_CLEANUP_RET, fx_cleanup, kr_cleanup),
		FN(PR_OVL_FREE, fe_ovl_free, kp_ovl_free),
		FN(PR_OVL_FREE_RET, fx_ovl_free, kr_ovl_free),
		FN(PR_KUA, fe_kua, kp_kua),
		FN(PR_KUA_RET, fx_kua, kr_kua),
		FN(PR_KU, fe_ku, kp_ku),
		FN(PR_KU_RET, fx_ku, kr_ku),
		FN(PR_SYNC_RCU, fe_sync_rcu, kp_sync_rcu),
		FN(PR_SYNC_RCU_RET, fx_sync_rcu, kr_sync_rcu),
		FN(PR_SYNC_RCU_EXP, fe_sync_rcu_exp, kp_sync_rcu_exp),
		FN(PR_SYNC_RCU_EXP_RET, fx_sync_rcu_exp, kr_sync_rcu_exp),
		FN(PR_UMOUNT_ENTER, fe_umount, kp_umount),
		FN(PR_UMOUNT_EXIT, fx_umount, kr_umount),
		TP(PR_TASK_EXIT, tp_task_exit),
		FN(PR_FILP_OPEN, fe_filp_open, kp_filp_open),
		FN(PR_FILP_OPEN_RET, fx_filp_open, kr_filp_open),
		FN(PR_OPENAT_RET, fx_openat, kr_openat),
		FN(PR_LOOKUP, fe_lookup, kp_lookup),
		FN(PR_LOOKUPAT_RET, fx_lookupat, kr_lookupat),
		FN(PR_LEGIT_RET, fx_legit, kr_legit),
		FN(PR_UNLAZY_RET, fx_unlazy, kr_unlazy),
		[PR_MLSEQ] = { NULL, s->progs.sc_mount_lock_seq, NULL, NULL },
	};
	struct bpf_program *prog;
	int i, err;

	/* Nothing loads unless chosen below */
	bpf_object__for_each_program(prog, s->obj)
		bpf_program__set_autoload(prog, false);
	for (i = 0; i < NR_PROGS; i++) {
		struct probe *p = &probes[i];
		bool fentry;

		p->prog = NULL;
		p->link = NULL;
		if (p->status != PS_PLANNED)
			continue;
		fentry = p->mode == AM_FENTRY;
		p->prog = fentry ? progs[i].fe : progs[i].kp;
		p->link = fentry ? progs[i].fe_link : progs[i].kp_link;
		bpf_program__set_autoload(p->prog, true);
		if (!fentry)
			continue;
		err = bpf_program__set_attach_target(p->prog, 0, p->func);
		if (err)
			return err;
	}
	return 0;
}

bool probe_attached(int id)
{
	return id >= 0 && id < NR_PROGS && probes[id].status == PS_ATTACHED;
}

int probe_function_by_name(const char *name, size_t len)
{
	int i;

	for (i = 0; i < NR_PROGS; i++)
		if ((probes[i].type == PT_ENTRY || probes[i].type == PT_EXIT) &&
		    strlen(probes[i].name) == len &&
		    !strncmp(probes[i].name, name, len))
			return i;
	return -1;
}

bool probes_any_fell_back(void)
{
	int i;

	for (i = 0; i < NR_PROGS; i++)
		if (probes[i].fell_back)
			return true;
	return false;
}

int probe_by_prog_name(const char *name)
{
	int i;

	for (i = 0; i < NR_PROGS; i++)
		if (probes[i].status == PS_PLANNED && probes[i].prog &&
		    !strcmp(bpf_program__name(probes[i].prog), name))
			return i;
	return -1;
}

/* A fentry probe that failed: a kprobe from the next load on */
static void fall_back(struct probe *p, const char *what, const char *why)
{
	fprintf(stderr, "mntlock: warning: probe %s (%s on %s) failed to %s: %s; trying %s\n",
		p->name, probe_type_name(p), p->func, what, why,
		p->type == PT_EXIT ? "kretprobe" : "kprobe");
	p->mode = AM_KPROBE;
	p->fell_back = true;
	snprintf(p->reason, sizeof(p->reason), "fentry failed to %s: %s",
		 what, why);
}

int probe_load_failed(int id, const char *why)
{
	struct probe *p = &probes[id];

	if (p->mode == AM_FENTRY) {
		fall_back(p, "load", why);
		return EX_OK;
	}
	fprintf(stderr, "mntlock: %sprobe %s (%s on %s) failed to load: %s\n",
		p->required ? "required " : "warning: optional ", p->name,
		probe_type_name(p), p->func, why);
	p->status = PS_FAILED;
	snprintf(p->reason, sizeof(p->reason), "%s%s",
		 p->fell_back ? "fentry and kprobe failed to load: " :
		 "failed to load: ", why);
	return p->required ? EX_PROBE : EX_OK;
}

static struct bpf_link *attach_one(struct probe *p)
{
	char cat[64];
	const char *ev;

	switch (p->mode) {
	case AM_FENTRY:
		return bpf_program__attach_trace(p->prog);
	case AM_KPROBE:
		return bpf_program__attach_kprobe(p->prog,
						  p->type == PT_EXIT,
						  p->func);
	case AM_TP:
		ev = strchr(p->func, '/');
		if (!ev || ev - p->func >= (long)sizeof(cat)) {
			errno = EINVAL;
			return NULL;
		}
		snprintf(cat, sizeof(cat), "%.*s", (int)(ev - p->func),
			 p->func);
		return bpf_program__attach_tracepoint(p->prog, cat, ev + 1);
	default:
		errno = EINVAL;
		return NULL;
	}
}

/* Kernel support an attach error usually points to */
static const char *attach_hint(const struct probe *p, int err)
{
	if (p->mode == AM_KPROBE && (err == ENOENT || err == EOPNOTSUPP))
		return " (CONFIG_KPROBES=y and CONFIG_KPROBE_EVENTS=y needed; or the function is on the kprobe blacklist)";
	/* 524: the kernel's ENOTSUPP, not in the uapi headers */
	if (p->mode == AM_FENTRY && (err == EOPNOTSUPP || err == 524))
		return " (CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS=y needed)";
	if (p->mode == AM_TP && err == ENOENT)
		return " (tracefs not mounted, or the tracepoint is missing)";
	return "";
}

int probes_attach(bool *reload)
{
	char why[160];
	int i, err;

	*reload = false;
	for (i = 0; i < NR_PROGS; i++) {
		struct probe *p = &probes[i];

		if (p->status != PS_PLANNED)
			continue;
		/* run, not attached: ready once loaded */
		if (p->mode == AM_RUN) {
			p->status = PS_ATTACHED;
			continue;
		}
		*p->link = attach_one(p);
		if (*p->link) {
			p->status = PS_ATTACHED;
			continue;
		}
		err = errno;
		/*
		 * fentry that loads but cannot attach (no trampolines, a
		 * function ftrace will not patch): kprobe, after a reload
		 * that the other fentry failures share
		 */
		if (p->mode == AM_FENTRY) {
			snprintf(why, sizeof(why), "%s%s", strerror(err),
				 attach_hint(p, err));
			fall_back(p, "attach", why);
			*reload = true;
			continue;
		}
		p->status = PS_FAILED;
		snprintf(p->reason, sizeof(p->reason), "attach failed: %s%s",
			 strerror(err), attach_hint(p, err));
		if (p->required) {
			fprintf(stderr,
				"mntlock: required probe %s (%s on %s) failed: %s\n",
				p->name, probe_type_name(p), p->func,
				p->reason);
			return EX_PROBE;
		}
		fprintf(stderr,
			"mntlock: warning: optional probe %s (%s on %s) failed: %s\n",
			p->name, probe_type_name(p), p->func, p->reason);
	}
	/* the skeleton goes, and its links with it */
	for (i = 0; *reload && i < NR_PROGS; i++)
		if (probes[i].status == PS_ATTACHED)
			probes[i].status = PS_PLANNED;
	return EX_OK;
}

const char *probe_mode_name(enum attach_mode m)
{
	static const char * const names[] = {
		[AM_NONE] = "none", [AM_FENTRY] = "fentry",
		[AM_KPROBE] = "kprobe", [AM_TP] = "tracepoint",
		[AM_RUN] = "syscall",
	};

	return names[m];
}

/* fexit/kretprobe for exits: the name a user would look for */
const char *probe_type_name(const struct probe *p)
{
	if (p->type != PT_EXIT)
		return probe_mode_name(p->mode);
	return p->mode == AM_FENTRY ? "fexit" :
	       p->mode == AM_KPROBE ? "kretprobe" : "none";
}

const char *probe_status_name(enum probe_status s)
{
	static const char * const names[] = {
		[PS_DISABLED] = "disabled", [PS_ABSENT] = "absent",
		[PS_UNAVAILABLE] = "unavailable", [PS_PLANNED] = "planned",
		[PS_FAILED] = "failed", [PS_ATTACHED] = "attached",
	};

	return names[s];
}

void probes_print_table(FILE *f)
{
	int i;

	fprintf(f, "%-31s %-33s %-10s %-8s %-11s %12s\n", "PROBE",
		"FUNCTION/TRACEPOINT", "TYPE", "REQUIRED", "STATUS", "HITS");
	for (i = 0; i < NR_PROGS; i++) {
		const struct probe *p = &probes[i];

		fprintf(f, "%-31s %-33s %-10s %-8s %-11s %12llu", p->name,
			p->func, probe_type_name(p), p->required ? "yes" : "no",
			probe_status_name(p->status),
			(unsigned long long)p->hits);
		if (p->status != PS_ATTACHED && p->reason[0])
			fprintf(f, "  %s", p->reason);
		fprintf(f, "\n");
	}
}
