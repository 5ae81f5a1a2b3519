// SPDX-License-Identifier: GPL-2.0
/*
 * Read mntlock's maps and write one JSON document, schema
 * mntbench.mntlock/3 (see SCHEMA.md).  Totals are sums over CPUs of the
 * per-CPU maps; histogram maxima are maxima.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <signal.h>
#include <bpf/libbpf.h>
#include "mntlock.skel.h"
#include "cpulist.h"
#include "json.h"
#include "probes.h"
#include "report.h"

/* An address, as a string: JSON numbers lose bits beyond 2^53 */
static void json_hex(struct json *j, const char *key, __u64 v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, (uint64_t)v);
	json_str(j, key, buf);
}

/* Reading the maps ------------------------------------------------------ */

/* Sum of all per-CPU counter structs; every member is a __u64 */
static void sum_cpu(struct mntlock_cpu *t, const struct mntlock_cpu *c)
{
	__u64 *dst = (__u64 *)t;
	const __u64 *src = (const __u64 *)c;
	size_t i;

	for (i = 0; i < sizeof(*t) / sizeof(__u64); i++)
		dst[i] += src[i];
}

static int cmp_seq(const void *a, const void *b)
{
	const struct mntlock_umount *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static const char * const state_names[NR_NS] = {
	[NS_MNT] = "ns", [NS_INTERNAL] = "internal", [NS_NULL] = "detached",
};

static int cmp_bymount(const void *a, const void *b)
{
	const struct bymount_row *x = a, *y = b;
	int c;

	if (x->slow != y->slow)
		return x->slow > y->slow ? -1 : 1;
	c = strcmp(x->fstype, y->fstype);
	if (c)
		return c;
	return strcmp(state_names[x->state], state_names[y->state]);
}

/*
 * The per-CPU hash of puts by (file_system_type *, state), summed over
 * CPUs and merged by type name (a name on a CPU that inserted the key)
 */
static int collect_bymount(struct report *r, struct mntlock_bpf *skel)
{
	struct mntlock_bymount_key key, next, *prev = NULL;
	struct mntlock_bymount *v;
	struct bymount_row row, *n;
	int cpu, i, err, cap = 0;

	v = calloc(r->ncpus, sizeof(*v));
	if (!v)
		return -ENOMEM;
	while (!bpf_map__get_next_key(skel->maps.bymount, prev, &next,
				      sizeof(next))) {
		key = next;
		prev = &key;
		err = bpf_map__lookup_elem(skel->maps.bymount, &key,
					   sizeof(key), v,
					   r->ncpus * sizeof(*v), 0);
		if (err)
			continue;
		memset(&row, 0, sizeof(row));
		snprintf(row.fstype, sizeof(row.fstype), "?");
		row.state = key.state < NR_NS ? key.state : NS_MNT;
		for (cpu = 0; cpu < r->ncpus; cpu++) {
			const struct mntlock_cpu *c = &r->cpu[cpu];

			if (v[cpu].name[0])
				memcpy(row.fstype, v[cpu].name,
				       sizeof(row.fstype) - 1);
			row.slow += v[cpu].slow;
			row.all += v[cpu].all;
			/* the CPU's run of slow puts not yet in the hash */
			if (c->bm_fstype == key.fstype &&
			    c->bm_state == key.state)
				row.slow += c->bm_slow;
		}
		for (i = 0; i < r->nbymount; i++)
			if (r->bymount[i].state == row.state &&
			    !strcmp(r->bymount[i].fstype, row.fstype))
				break;
		if (i < r->nbymount) {
			r->bymount[i].slow += row.slow;
			r->bymount[i].all += row.all;
			continue;
		}
		if (r->nbymount == cap) {
			cap = cap ? 2 * cap : 32;
			n = realloc(r->bymount, cap * sizeof(*n));
			if (!n) {
				free(v);
				return -ENOMEM;
			}
			r->bymount = n;
		}
		r->bymount[r->nbymount++] = row;
	}
	free(v);
	qsort(r->bymount, r->nbymount, sizeof(*r->bymount), cmp_bymount);
	return 0;
}

int report_collect(struct report *r, struct mntlock_bpf *skel)
{
	struct mntlock_hist *hv = NULL;
	__u32 key, tid, next;
	__u64 i, first;
	int cpu, h, cap, err = 0;

	memset(r, 0, sizeof(*r));
	r->ncpus = libbpf_num_possible_cpus();
	if (r->ncpus <= 0)
		return r->ncpus ? r->ncpus : -EINVAL;
	r->cpu = calloc(r->ncpus, sizeof(*r->cpu));
	hv = calloc(r->ncpus, sizeof(*hv));
	cap = MNTLOCK_RING + 64;
	r->recs = calloc(cap, sizeof(*r->recs));
	if (!r->cpu || !hv || !r->recs) {
		err = -ENOMEM;
		goto out;
	}
	key = 0;
	err = bpf_map__lookup_elem(skel->maps.stats, &key, sizeof(key),
				   r->cpu, r->ncpus * sizeof(*r->cpu), 0);
	if (err)
		goto out;
	for (cpu = 0; cpu < r->ncpus; cpu++)
		sum_cpu(&r->total, &r->cpu[cpu]);
	for (h = 0; h < NR_HISTS; h++) {
		key = h;
		err = bpf_map__lookup_elem(skel->maps.hists, &key, sizeof(key),
					   hv, r->ncpus * sizeof(*hv), 0);
		if (err)
			goto out;
		for (cpu = 0; cpu < r->ncpus; cpu++) {
			struct mntlock_hist *d = &r->hist[h], *s = &hv[cpu];
			int k;

			for (k = 0; k < MNTLOCK_HIST_SLOTS; k++)
				d->slots[k] += s->slots[k];
			d->count += s->count;
			d->sum += s->sum;
			if (s->max > d->max)
				d->max = s->max;
		}
	}
	for (i = 0; i < NR_PROGS; i++)
		probes[i].hits = r->total.hits[i];

	/* Closed records: the last MNTLOCK_RING of the ring */
	r->ring_head = skel->bss->ring_head;
	r->opened = skel->bss->umount_seq;
	first = r->ring_head > MNTLOCK_RING ? r->ring_head - MNTLOCK_RING : 0;
	for (i = first; i < r->ring_head; i++) {
		key = i & (MNTLOCK_RING - 1);
		if (!bpf_map__lookup_elem(skel->maps.ring, &key, sizeof(key),
					  &r->recs[r->nrecs],
					  sizeof(*r->recs), 0))
			r->nrecs++;
	}
	/* Records still open: their tasks live on */
	for (err = bpf_map__get_next_key(skel->maps.umounts, NULL, &next,
					 sizeof(next));
	     !err;
	     err = bpf_map__get_next_key(skel->maps.umounts, &tid, &next,
					 sizeof(next))) {
		tid = next;
		if (r->nrecs == cap) {
			struct mntlock_umount *n;

			n = realloc(r->recs, 2 * cap * sizeof(*n));
			if (!n) {
				err = -ENOMEM;
				goto out;
			}
			r->recs = n;
			cap *= 2;
		}
		if (!bpf_map__lookup_elem(skel->maps.umounts, &tid,
					  sizeof(tid), &r->recs[r->nrecs],
					  sizeof(*r->recs), 0)) {
			r->recs[r->nrecs].closed_by = CL_OPEN;
			r->nrecs++;
			r->open_at_exit++;
		}
	}
	qsort(r->recs, r->nrecs, sizeof(*r->recs), cmp_seq);
	err = collect_bymount(r, skel);
out:
	free(hv);
	return err;
}

void report_free(struct report *r)
{
	free(r->cpu);
	free(r->recs);
	free(r->bymount);
	r->cpu = NULL;
	r->recs = NULL;
	r->bymount = NULL;
}

/* Writing --------------------------------------------------------------- */

static const char * const ns_keys[NR_NS] = {
	[NS_MNT] = "in_namespace", [NS_INTERNAL] = "internal",
	[NS_NULL] = "null_ns",
};

static const char * const tfn_keys[NR_TFN] = {
	[TF_OVL_FREE_FS] = "ovl_free_fs",
	[TF_KERN_UNMOUNT_ARRAY] = "kern_unmount_array",
	[TF_KERN_UNMOUNT] = "kern_unmount",
	[TF_CLEANUP_MNT] = "cleanup_mnt",
};

static const char * const gp_keys[NR_GP_KIND] = {
	[GP_RCU] = "synchronize_rcu",
	[GP_RCU_EXP] = "synchronize_rcu_expedited",
};

static const char * const where_keys[NR_GP_WHERE] = {
	[GW_OVL] = "in_ovl_free_fs",
	[GW_UMOUNT] = "in_umount",
	[GW_OTHER] = "other",
};

static const char * const close_names[] = {
	[CL_OPEN] = "open", [CL_NEXT_UMOUNT] = "next-umount",
	[CL_TASK_EXIT] = "task-exit",
};

static void w_calls(struct json *j, const char *key,
		    const struct mntlock_calls *c)
{
	json_open(j, key, '{');
	json_uint(j, "calls", c->calls);
	json_uint(j, "ns", c->ns);
	json_close(j);
}

static void w_mntput_scope(struct json *j, const char *key, const __u64 *v)
{
	int k;

	json_open(j, key, '{');
	json_uint(j, "calls", v[NS_MNT] + v[NS_INTERNAL] + v[NS_NULL]);
	json_uint(j, "fast_path", v[NS_MNT] + v[NS_INTERNAL]);
	json_uint(j, "slow_path", v[NS_NULL]);
	for (k = 0; k < NR_NS; k++)
		json_uint(j, ns_keys[k], v[k]);
	json_close(j);
}

static void w_hist(struct json *j, const char *key,
		   const struct mntlock_hist *h)
{
	int k;

	json_open(j, key, '{');
	json_uint(j, "count", h->count);
	json_uint(j, "sum_ns", h->sum);
	json_uint(j, "max_ns", h->max);
	json_fixed(j, "mean_ns", h->count ? (double)h->sum / h->count : 0,
		   6);
	json_open(j, "log2_buckets", '[');
	for (k = 0; k < MNTLOCK_HIST_SLOTS; k++) {
		if (!h->slots[k])
			continue;
		json_open(j, NULL, '{');
		json_uint(j, "lo", k ? 1ULL << k : 0);
		json_uint(j, "hi", (1ULL << (k + 1)) - 1);
		json_uint(j, "count", h->slots[k]);
		json_close(j);
	}
	json_close(j);
	json_close(j);
}

static void w_gp_kinds(struct json *j, const char *key,
		       const struct mntlock_calls *g)
{
	int k;

	json_open(j, key, '{');
	for (k = 0; k < NR_GP_KIND; k++)
		w_calls(j, gp_keys[k], &g[k]);
	json_close(j);
}

static void w_record(struct json *j, const struct mntlock_umount *u,
		     const struct run_info *ri)
{
	int k;

	json_open(j, NULL, '{');
	json_uint(j, "seq", u->seq);
	json_uint(j, "tid", u->tid);
	json_uint(j, "pid", u->pid);
	json_strn(j, "comm", u->comm, sizeof(u->comm));
	json_strn(j, "target", u->target, sizeof(u->target));
	json_int(j, "flags", u->flags);
	if (u->sys_exit_ns)
		json_int(j, "ret", u->ret);
	else
		json_null(j, "ret");
	json_fixed(j, "start_s", u->start_ns >= ri->t0_ns ?
		   (u->start_ns - ri->t0_ns) / 1e9 : 0, 6);
	if (u->sys_exit_ns)
		json_uint(j, "syscall_ns", u->sys_exit_ns - u->start_ns);
	else
		json_null(j, "syscall_ns");
	json_uint(j, "total_ns", u->end_ns - u->start_ns);
	if (u->sys_exit_ns && u->end_ns >= u->sys_exit_ns)
		json_uint(j, "deferred_ns", u->end_ns - u->sys_exit_ns);
	else
		json_null(j, "deferred_ns");
	json_str(j, "closed_by", close_names[u->closed_by <= CL_TASK_EXIT ?
					     u->closed_by : CL_OPEN]);
	json_bool(j, "overlay", u->tfn[TF_OVL_FREE_FS].calls > 0);
	json_bool(j, "ovl_free_fs_after_syscall_exit", u->ovl_after_exit);
	for (k = 0; k < NR_TFN; k++)
		w_calls(j, tfn_keys[k], &u->tfn[k]);
	json_open(j, "gp", '{');
	w_gp_kinds(j, "in_ovl_free_fs", u->gp[0]);
	w_gp_kinds(j, "outside_ovl_free_fs", u->gp[1]);
	json_close(j);
	json_close(j);
}

/*
 * The mntput counts both the JSON total and each CPU hold: the slow
 * path always, fast/slow per mnt_ns class only with --all-puts (null
 * otherwise: not measured, rather than 0).
 */
static void w_mntput_counts(struct json *j, const struct mntlock_cpu *c,
			    const struct run_info *ri)
{
	json_bool(j, "classified", ri->all_puts);
	if (probes[PR_SLOWPUT].status == PS_ATTACHED) {
		json_open(j, "slow_path", '{');
		json_str(j, "function", probes[PR_SLOWPUT].func);
		json_uint(j, "all", c->slowput[SC_ALL]);
		json_uint(j, "layer", c->slowput[SC_LAYER]);
		json_close(j);
	} else {
		json_null(j, "slow_path");
	}
	if (!ri->all_puts) {
		json_null(j, "all");
		json_null(j, "layer");
		json_null(j, "null_arg");
		return;
	}
	w_mntput_scope(j, "all", c->mntput[SC_ALL]);
	w_mntput_scope(j, "layer", c->mntput[SC_LAYER]);
	json_uint(j, "null_arg", c->mntput_null_arg);
}

static void w_cpu(struct json *j, const struct mntlock_cpu *c,
		  const struct run_info *ri)
{
	int k, w;

	json_open(j, "mntput", '{');
	w_mntput_counts(j, c, ri);
	json_close(j);
	json_open(j, "mount_lock", '{');
	json_uint(j, "slowpath", c->lock_slowpath);
	json_uint(j, "contention_begin", c->cont_begin);
	json_uint(j, "contention_end", c->cont_end);
	json_close(j);
	json_open(j, "teardown", '{');
	for (k = 0; k < NR_TFN; k++)
		w_calls(j, tfn_keys[k], &c->tfn[k]);
	json_open(j, "gp", '{');
	for (w = 0; w < NR_GP_WHERE; w++)
		w_gp_kinds(j, where_keys[w], c->gp[w]);
	json_close(j);
	json_close(j);
}

/* The online CPUs as a bitmap; -errno */
static int online_cpus(bool *on, int n)
{
	int *cpus = calloc(n, sizeof(*cpus));
	int i, k;

	if (!cpus)
		return -ENOMEM;
	k = cpulist_online(cpus, n);
	for (i = 0; i < k; i++)
		on[cpus[i]] = true;
	free(cpus);
	return 0;
}

static bool cpu_nonzero(const struct mntlock_cpu *c)
{
	const __u64 *v = (const __u64 *)c;
	size_t i;

	for (i = 0; i < sizeof(*c) / sizeof(__u64); i++)
		if (v[i])
			return true;
	return false;
}

/* A path walk count: null where its probe is not attached, never 0 */
static void w_walk_uint(struct json *j, const char *key, int prog, __u64 v)
{
	if (probe_attached(prog))
		json_uint(j, key, v);
	else
		json_null(j, key);
}

static void w_walk_counts(struct json *j, const __u64 *w)
{
	w_walk_uint(j, "opens", PR_FILP_OPEN, w[W_OPENS]);
	w_walk_uint(j, "path_openat", PR_OPENAT_RET, w[W_OPENAT]);
	w_walk_uint(j, "rcu_restarts", PR_OPENAT_RET, w[W_OPEN_RESTARTS]);
	w_walk_uint(j, "lookups", PR_LOOKUP, w[W_LOOKUPS]);
	w_walk_uint(j, "path_lookupat", PR_LOOKUPAT_RET, w[W_LOOKUPAT]);
	w_walk_uint(j, "lookup_restarts", PR_LOOKUPAT_RET,
		    w[W_LOOKUP_RESTARTS]);
	w_walk_uint(j, "legitimize_calls", PR_LEGIT_RET, w[W_LEGIT]);
	w_walk_uint(j, "legitimize_failed", PR_LEGIT_RET, w[W_LEGIT_FAILED]);
	w_walk_uint(j, "unlazy_calls", PR_UNLAZY_RET, w[W_UNLAZY]);
	w_walk_uint(j, "unlazy_failed", PR_UNLAZY_RET, w[W_UNLAZY_FAILED]);
}

/* The restarted flag comes from path_openat()'s exit */
static bool opens_timed(void)
{
	return probe_attached(PR_FILP_OPEN) &&
	       probe_attached(PR_FILP_OPEN_RET) &&
	       probe_attached(PR_OPENAT_RET);
}

static double mean_ns(const struct mntlock_calls *c)
{
	return (double)c->ns / c->calls;
}

static void w_path_walk(struct json *j, const struct report *r,
			const struct run_info *ri, const bool *on)
{
	const struct mntlock_calls *ot = r->total.open_time;
	int cpu;

	json_open(j, "path_walk", '{');
	w_walk_counts(j, r->total.walk);
	/* a difference of means needs an open of each kind */
	if (opens_timed() && ot[OT_CLEAN].calls && ot[OT_RESTARTED].calls)
		json_fixed(j, "restart_cost_ns", mean_ns(&ot[OT_RESTARTED]) -
			   mean_ns(&ot[OT_CLEAN]), 1);
	else
		json_null(j, "restart_cost_ns");
	if (opens_timed()) {
		json_open(j, "timed_opens", '{');
		w_calls(j, "not_restarted", &ot[OT_CLEAN]);
		w_calls(j, "restarted", &ot[OT_RESTARTED]);
		json_uint(j, "untimed", r->total.open_untimed);
		json_close(j);
	} else {
		json_null(j, "timed_opens");
	}
	if (ri->mount_lock_seq_read)
		json_uint(j, "mount_lock_writes", ri->mount_lock_writes);
	else
		json_null(j, "mount_lock_writes");
	json_open(j, "per_cpu", '[');
	for (cpu = 0; cpu < r->ncpus; cpu++) {
		if (!on[cpu] && !cpu_nonzero(&r->cpu[cpu]))
			continue;
		json_open(j, NULL, '{');
		json_uint(j, "cpu", cpu);
		w_walk_counts(j, r->cpu[cpu].walk);
		json_close(j);
	}
	json_close(j);
	json_close(j);
}

/*
 * mntput_by_mount: slow puts always, all puts with --all-puts (null
 * otherwise: not measured)
 */
static void w_bymount(struct json *j, const struct report *r,
		      const struct run_info *ri)
{
	int i;

	json_open(j, "mntput_by_mount", '[');
	for (i = 0; i < r->nbymount; i++) {
		const struct bymount_row *b = &r->bymount[i];

		json_open(j, NULL, '{');
		json_str(j, "fstype", b->fstype);
		json_str(j, "state", state_names[b->state]);
		json_uint(j, "slow", b->slow);
		if (ri->all_puts)
			json_uint(j, "all", b->all);
		else
			json_null(j, "all");
		json_close(j);
	}
	json_close(j);
}

void report_print_bymount(FILE *f, const struct report *r,
			  const struct run_info *ri)
{
	int i;

	fprintf(f, "\n%-16s %-9s %12s %12s\n", "FSTYPE", "STATE", "SLOW",
		"ALL");
	for (i = 0; i < r->nbymount; i++) {
		const struct bymount_row *b = &r->bymount[i];

		fprintf(f, "%-16s %-9s %12llu ", b->fstype,
			state_names[b->state], (unsigned long long)b->slow);
		if (ri->all_puts)
			fprintf(f, "%12llu\n", (unsigned long long)b->all);
		else
			fprintf(f, "%12s\n", "-");
	}
	if (r->total.bymount_full)
		fprintf(f, "(%llu puts not broken down: map full)\n",
			(unsigned long long)r->total.bymount_full);
}

static void w_probes(struct json *j)
{
	const char * const *c;
	int i;

	json_open(j, "probes", '[');
	for (i = 0; i < NR_PROGS; i++) {
		const struct probe *p = &probes[i];

		json_open(j, NULL, '{');
		json_str(j, "name", p->name);
		json_str(j, "target", p->func);
		if (p->candidates) {
			json_open(j, "candidates", '[');
			for (c = p->candidates; *c; c++)
				json_str(j, NULL, *c);
			json_close(j);
		} else {
			json_null(j, "candidates");
		}
		json_str(j, "type", probe_type_name(p));
		json_bool(j, "required", p->required);
		json_str(j, "status", probe_status_name(p->status));
		json_str(j, "reason", p->reason[0] ? p->reason : NULL);
		json_uint(j, "hits", p->hits);
		json_close(j);
	}
	json_close(j);
}

static void w_header(struct json *j, const struct run_info *ri, int ncpus)
{
	struct utsname u;
	int i;

	json_str(j, "schema", MNTLOCK_SCHEMA);
	json_str(j, "tool", "mntlock");
	json_str(j, "version", MNTLOCK_VERSION);
	json_open(j, "kernel", '{');
	json_str(j, "release", uname(&u) ? NULL : u.release);
	json_str(j, "btf", ri->btf_path);
	json_uint(j, "possible_cpus", ncpus);
	json_close(j);
	json_open(j, "attach", '{');
	json_bool(j, "fentry_fallback_to_kprobe", ri->fentry_fallback);
	json_open(j, "fentry_fallback_probes", '[');
	for (i = 0; i < NR_PROGS; i++)
		if (probes[i].fell_back)
			json_str(j, NULL, probes[i].name);
	json_close(j);
	json_bool(j, "all_puts", ri->all_puts);
	json_bool(j, "mntput_latency", ri->latency);
	json_bool(j, "path_walk", ri->path_walk);
	json_bool(j, "restart_cost", ri->restart_cost);
	json_close(j);
	json_open(j, "filter", '{');
	if (ri->filter_pid)
		json_int(j, "pid", ri->filter_pid);
	else
		json_null(j, "pid");
	json_str(j, "comm", ri->filter_comm);
	json_close(j);
	if (ri->argv) {
		json_open(j, "command", '{');
		json_open(j, "argv", '[');
		for (i = 0; ri->argv[i]; i++)
			json_str(j, NULL, ri->argv[i]);
		json_close(j);
		json_int(j, "pid", ri->cmd_pid);
		if (ri->cmd_done && WIFEXITED(ri->cmd_status))
			json_int(j, "exit_status", WEXITSTATUS(ri->cmd_status));
		else
			json_null(j, "exit_status");
		if (ri->cmd_done && WIFSIGNALED(ri->cmd_status))
			json_int(j, "signal", WTERMSIG(ri->cmd_status));
		else
			json_null(j, "signal");
		json_close(j);
	} else {
		json_null(j, "command");
	}
	json_open(j, "interval", '{');
	json_fixed(j, "duration_s", ri->duration_s, 6);
	if (ri->requested_s >= 0)
		json_fixed(j, "requested_s", ri->requested_s, 6);
	else
		json_null(j, "requested_s");
	json_str(j, "ended_by", ri->ended_by);
	json_close(j);
	json_open(j, "mount_lock", '{');
	json_hex(j, "symbol", ri->mount_lock_sym);
	json_int(j, "spinlock_offset", ri->mount_lock_off);
	json_hex(j, "spinlock", ri->mount_lock_addr);
	json_int(j, "sequence_offset", ri->mount_lock_seq_off);
	json_close(j);
}

int report_write_json(FILE *f, const struct report *r,
		      const struct run_info *ri)
{
	struct json js = { .f = f }, *j = &js;
	const struct mntlock_cpu *t = &r->total;
	bool *on = calloc(r->ncpus, sizeof(bool));
	int cpu, k, w;

	if (!on || online_cpus(on, r->ncpus)) {
		free(on);
		return -ENOMEM;
	}
	json_open(j, NULL, '{');
	w_header(j, ri, r->ncpus);
	w_probes(j);

	json_open(j, "mntput", '{');
	w_mntput_counts(j, t, ri);
	json_open(j, "layers_tracked", '{');
	json_int(j, "overlays_at_start", ri->overlays_at_start);
	json_uint(j, "layers_at_start", ri->layers_at_start);
	json_uint(j, "added", t->layers_added);
	json_uint(j, "removed", t->layers_removed);
	json_uint(j, "map_full", t->layers_full);
	json_close(j);
	json_uint(j, "by_mount_map_full", t->bymount_full);
	json_open(j, "latency", '{');
	w_hist(j, "fast", &r->hist[H_MNTPUT_FAST]);
	w_hist(j, "slow", &r->hist[H_MNTPUT_SLOW]);
	json_uint(j, "unpaired", t->mntput_unpaired);
	json_close(j);
	json_close(j);

	json_open(j, "mount_lock_contention", '{');
	json_open(j, "slowpath", '{');
	json_uint(j, "count", t->lock_slowpath);
	w_hist(j, "wait", &r->hist[H_LOCK_WAIT]);
	json_uint(j, "unpaired", t->lock_unpaired);
	json_close(j);
	json_open(j, "tracepoints", '{');
	json_uint(j, "contention_begin", t->cont_begin);
	json_uint(j, "contention_end", t->cont_end);
	w_hist(j, "wait", &r->hist[H_CONT_WAIT]);
	json_uint(j, "unpaired", t->cont_unpaired);
	json_close(j);
	json_close(j);

	w_bymount(j, r, ri);
	w_path_walk(j, r, ri, on);

	json_open(j, "teardown", '{');
	json_open(j, "functions", '{');
	for (k = 0; k < NR_TFN; k++)
		w_calls(j, tfn_keys[k], &t->tfn[k]);
	json_close(j);
	json_open(j, "gp", '{');
	for (w = 0; w < NR_GP_WHERE; w++)
		w_gp_kinds(j, where_keys[w], t->gp[w]);
	json_close(j);
	json_open(j, "umounts", '{');
	json_uint(j, "opened", r->opened);
	json_uint(j, "closed", r->ring_head);
	json_uint(j, "open_at_exit", r->open_at_exit);
	json_uint(j, "dropped_from_ring", r->ring_head > MNTLOCK_RING ?
		  r->ring_head - MNTLOCK_RING : 0);
	json_uint(j, "not_tracked_map_full", t->umounts_full);
	json_uint(j, "task_state_map_full", t->tstate_full);
	json_close(j);
	json_open(j, "records", '[');
	for (k = 0; k < r->nrecs; k++)
		w_record(j, &r->recs[k], ri);
	json_close(j);
	json_close(j);

	json_open(j, "per_cpu", '[');
	for (cpu = 0; cpu < r->ncpus; cpu++) {
		if (!on[cpu] && !cpu_nonzero(&r->cpu[cpu]))
			continue;
		json_open(j, NULL, '{');
		json_uint(j, "cpu", cpu);
		w_cpu(j, &r->cpu[cpu], ri);
		json_close(j);
	}
	json_close(j);
	json_close(j);
	free(on);
	return ferror(f) ? -EIO : 0;
}
