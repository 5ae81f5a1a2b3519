// SPDX-License-Identifier: GPL-2.0
/*
 * Read mntlock's maps and write one JSON document, schema
 * mntbench.mntlock/2 (see SCHEMA.md).  Totals are sums over CPUs of the
 * per-CPU maps; histogram maxima are maxima.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <signal.h>
#include <bpf/libbpf.h>
#include "mntlock.skel.h"
#include "probes.h"
#include "report.h"

/* Minimal JSON writer --------------------------------------------------- */

struct json {
	FILE *f;
	int depth;
	bool first[32];
};

static void j_sep(struct json *j, const char *key)
{
	if (j->depth > 0) {
		fputs(j->first[j->depth] ? "\n" : ",\n", j->f);
		j->first[j->depth] = false;
	}
	fprintf(j->f, "%*s", 2 * j->depth, "");
	if (key)
		fprintf(j->f, "\"%s\": ", key);
}

static void j_open(struct json *j, const char *key, char c)
{
	j_sep(j, key);
	fputc(c, j->f);
	if (j->depth < 31)
		j->depth++;
	j->first[j->depth] = true;
}

static void j_close(struct json *j, char c)
{
	bool empty = j->first[j->depth];

	j->depth--;
	if (!empty)
		fprintf(j->f, "\n%*s", 2 * j->depth, "");
	fputc(c, j->f);
}

#define j_obj(j, k)	j_open(j, k, '{')
#define j_arr(j, k)	j_open(j, k, '[')
#define j_end_obj(j)	j_close(j, '}')
#define j_end_arr(j)	j_close(j, ']')

static void j_u64(struct json *j, const char *key, __u64 v)
{
	j_sep(j, key);
	fprintf(j->f, "%" PRIu64, (uint64_t)v);
}

static void j_i64(struct json *j, const char *key, __s64 v)
{
	j_sep(j, key);
	fprintf(j->f, "%" PRId64, (int64_t)v);
}

static void j_dbl(struct json *j, const char *key, double v)
{
	j_sep(j, key);
	fprintf(j->f, "%.6f", v);
}

static void j_bool(struct json *j, const char *key, bool v)
{
	j_sep(j, key);
	fputs(v ? "true" : "false", j->f);
}

static void j_null(struct json *j, const char *key)
{
	j_sep(j, key);
	fputs("null", j->f);
}

/* A string of at most max bytes (comm, target: maybe not terminated) */
static void j_strn(struct json *j, const char *key, const char *s,
		   size_t max)
{
	size_t i;

	j_sep(j, key);
	fputc('"', j->f);
	for (i = 0; i < max && s[i]; i++) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\')
			fprintf(j->f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(j->f, "\\u%04x", c);
		else
			fputc(c, j->f);
	}
	fputc('"', j->f);
}

static void j_str(struct json *j, const char *key, const char *s)
{
	if (s)
		j_strn(j, key, s, (size_t)-1);
	else
		j_null(j, key);
}

static void j_hex(struct json *j, const char *key, __u64 v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, (uint64_t)v);
	j_str(j, key, buf);
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
	err = 0;
	qsort(r->recs, r->nrecs, sizeof(*r->recs), cmp_seq);
out:
	free(hv);
	return err;
}

void report_free(struct report *r)
{
	free(r->cpu);
	free(r->recs);
	r->cpu = NULL;
	r->recs = NULL;
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
	j_obj(j, key);
	j_u64(j, "calls", c->calls);
	j_u64(j, "ns", c->ns);
	j_end_obj(j);
}

static void w_mntput_scope(struct json *j, const char *key, const __u64 *v)
{
	int k;

	j_obj(j, key);
	j_u64(j, "calls", v[NS_MNT] + v[NS_INTERNAL] + v[NS_NULL]);
	j_u64(j, "fast_path", v[NS_MNT] + v[NS_INTERNAL]);
	j_u64(j, "slow_path", v[NS_NULL]);
	for (k = 0; k < NR_NS; k++)
		j_u64(j, ns_keys[k], v[k]);
	j_end_obj(j);
}

static void w_hist(struct json *j, const char *key,
		   const struct mntlock_hist *h)
{
	int k;

	j_obj(j, key);
	j_u64(j, "count", h->count);
	j_u64(j, "sum_ns", h->sum);
	j_u64(j, "max_ns", h->max);
	j_dbl(j, "mean_ns", h->count ? (double)h->sum / h->count : 0);
	j_arr(j, "log2_buckets");
	for (k = 0; k < MNTLOCK_HIST_SLOTS; k++) {
		if (!h->slots[k])
			continue;
		j_obj(j, NULL);
		j_u64(j, "lo", k ? 1ULL << k : 0);
		j_u64(j, "hi", (1ULL << (k + 1)) - 1);
		j_u64(j, "count", h->slots[k]);
		j_end_obj(j);
	}
	j_end_arr(j);
	j_end_obj(j);
}

static void w_gp_kinds(struct json *j, const char *key,
		       const struct mntlock_calls *g)
{
	int k;

	j_obj(j, key);
	for (k = 0; k < NR_GP_KIND; k++)
		w_calls(j, gp_keys[k], &g[k]);
	j_end_obj(j);
}

static void w_record(struct json *j, const struct mntlock_umount *u,
		     const struct run_info *ri)
{
	int k;

	j_obj(j, NULL);
	j_u64(j, "seq", u->seq);
	j_u64(j, "tid", u->tid);
	j_u64(j, "pid", u->pid);
	j_strn(j, "comm", u->comm, sizeof(u->comm));
	j_strn(j, "target", u->target, sizeof(u->target));
	j_i64(j, "flags", u->flags);
	if (u->sys_exit_ns)
		j_i64(j, "ret", u->ret);
	else
		j_null(j, "ret");
	j_dbl(j, "start_s", u->start_ns >= ri->t0_ns ?
	      (u->start_ns - ri->t0_ns) / 1e9 : 0);
	if (u->sys_exit_ns)
		j_u64(j, "syscall_ns", u->sys_exit_ns - u->start_ns);
	else
		j_null(j, "syscall_ns");
	j_u64(j, "total_ns", u->end_ns - u->start_ns);
	if (u->sys_exit_ns && u->end_ns >= u->sys_exit_ns)
		j_u64(j, "deferred_ns", u->end_ns - u->sys_exit_ns);
	else
		j_null(j, "deferred_ns");
	j_str(j, "closed_by", close_names[u->closed_by <= CL_TASK_EXIT ?
					  u->closed_by : CL_OPEN]);
	j_bool(j, "overlay", u->tfn[TF_OVL_FREE_FS].calls > 0);
	j_bool(j, "ovl_free_fs_after_syscall_exit", u->ovl_after_exit);
	for (k = 0; k < NR_TFN; k++)
		w_calls(j, tfn_keys[k], &u->tfn[k]);
	j_obj(j, "gp");
	w_gp_kinds(j, "in_ovl_free_fs", u->gp[0]);
	w_gp_kinds(j, "outside_ovl_free_fs", u->gp[1]);
	j_end_obj(j);
	j_end_obj(j);
}

/*
 * The mntput counts both the JSON total and each CPU hold: the slow
 * path always, fast/slow per mnt_ns class only with --all-puts (null
 * otherwise: not measured, rather than 0).
 */
static void w_mntput_counts(struct json *j, const struct mntlock_cpu *c,
			    const struct run_info *ri)
{
	j_bool(j, "classified", ri->all_puts);
	if (probes[PR_SLOWPUT].status == PS_ATTACHED) {
		j_obj(j, "slow_path");
		j_str(j, "function", probes[PR_SLOWPUT].func);
		j_u64(j, "all", c->slowput[SC_ALL]);
		j_u64(j, "layer", c->slowput[SC_LAYER]);
		j_end_obj(j);
	} else {
		j_null(j, "slow_path");
	}
	if (!ri->all_puts) {
		j_null(j, "all");
		j_null(j, "layer");
		j_null(j, "null_arg");
		return;
	}
	w_mntput_scope(j, "all", c->mntput[SC_ALL]);
	w_mntput_scope(j, "layer", c->mntput[SC_LAYER]);
	j_u64(j, "null_arg", c->mntput_null_arg);
}

static void w_cpu(struct json *j, const struct mntlock_cpu *c,
		  const struct run_info *ri)
{
	int k, w;

	j_obj(j, "mntput");
	w_mntput_counts(j, c, ri);
	j_end_obj(j);
	j_obj(j, "mount_lock");
	j_u64(j, "slowpath", c->lock_slowpath);
	j_u64(j, "contention_begin", c->cont_begin);
	j_u64(j, "contention_end", c->cont_end);
	j_end_obj(j);
	j_obj(j, "teardown");
	for (k = 0; k < NR_TFN; k++)
		w_calls(j, tfn_keys[k], &c->tfn[k]);
	j_obj(j, "gp");
	for (w = 0; w < NR_GP_WHERE; w++)
		w_gp_kinds(j, where_keys[w], c->gp[w]);
	j_end_obj(j);
	j_end_obj(j);
}

/* CPUs listed in /sys/devices/system/cpu/online, as a bitmap */
static void online_cpus(bool *on, int n)
{
	FILE *f = fopen("/sys/devices/system/cpu/online", "r");
	int a, b, i;
	char sep;

	for (i = 0; i < n; i++)
		on[i] = !f;
	if (!f)
		return;
	while (fscanf(f, "%d", &a) == 1) {
		b = a;
		sep = fgetc(f);
		if (sep == '-') {
			if (fscanf(f, "%d", &b) != 1)
				break;
			sep = fgetc(f);
		}
		for (i = a; i <= b && i < n; i++)
			if (i >= 0)
				on[i] = true;
		if (sep != ',')
			break;
	}
	fclose(f);
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

static void w_probes(struct json *j)
{
	int i;

	j_arr(j, "probes");
	for (i = 0; i < NR_PROGS; i++) {
		const struct probe *p = &probes[i];

		j_obj(j, NULL);
		j_str(j, "name", p->name);
		j_str(j, "target", p->func);
		j_str(j, "type", probe_type_name(p));
		j_bool(j, "required", p->required);
		j_str(j, "status", probe_status_name(p->status));
		j_str(j, "reason", p->reason[0] ? p->reason : NULL);
		j_u64(j, "hits", p->hits);
		j_end_obj(j);
	}
	j_end_arr(j);
}

static void w_header(struct json *j, const struct run_info *ri, int ncpus)
{
	struct utsname u;
	int i;

	j_str(j, "schema", MNTLOCK_SCHEMA);
	j_str(j, "tool", "mntlock");
	j_str(j, "version", MNTLOCK_VERSION);
	j_obj(j, "kernel");
	j_str(j, "release", uname(&u) ? NULL : u.release);
	j_str(j, "btf", ri->btf_path);
	j_u64(j, "possible_cpus", ncpus);
	j_end_obj(j);
	j_obj(j, "attach");
	j_bool(j, "fentry_fallback_to_kprobe", ri->fentry_fallback);
	j_bool(j, "all_puts", ri->all_puts);
	j_bool(j, "mntput_latency", ri->latency);
	j_end_obj(j);
	j_obj(j, "filter");
	if (ri->filter_pid)
		j_i64(j, "pid", ri->filter_pid);
	else
		j_null(j, "pid");
	j_str(j, "comm", ri->filter_comm);
	j_end_obj(j);
	if (ri->argv) {
		j_obj(j, "command");
		j_arr(j, "argv");
		for (i = 0; ri->argv[i]; i++)
			j_str(j, NULL, ri->argv[i]);
		j_end_arr(j);
		j_i64(j, "pid", ri->cmd_pid);
		if (ri->cmd_done && WIFEXITED(ri->cmd_status))
			j_i64(j, "exit_status", WEXITSTATUS(ri->cmd_status));
		else
			j_null(j, "exit_status");
		if (ri->cmd_done && WIFSIGNALED(ri->cmd_status))
			j_i64(j, "signal", WTERMSIG(ri->cmd_status));
		else
			j_null(j, "signal");
		j_end_obj(j);
	} else {
		j_null(j, "command");
	}
	j_obj(j, "interval");
	j_dbl(j, "duration_s", ri->duration_s);
	if (ri->requested_s >= 0)
		j_dbl(j, "requested_s", ri->requested_s);
	else
		j_null(j, "requested_s");
	j_str(j, "ended_by", ri->ended_by);
	j_end_obj(j);
	j_obj(j, "mount_lock");
	j_hex(j, "symbol", ri->mount_lock_sym);
	j_i64(j, "spinlock_offset", ri->mount_lock_off);
	j_hex(j, "spinlock", ri->mount_lock_addr);
	j_end_obj(j);
}

int report_write_json(FILE *f, const struct report *r,
		      const struct run_info *ri)
{
	struct json js = { .f = f }, *j = &js;
	const struct mntlock_cpu *t = &r->total;
	bool *on = calloc(r->ncpus, sizeof(bool));
	int cpu, k, w;

	if (!on)
		return -ENOMEM;
	j_obj(j, NULL);
	w_header(j, ri, r->ncpus);
	w_probes(j);

	j_obj(j, "mntput");
	w_mntput_counts(j, t, ri);
	j_obj(j, "layers_tracked");
	j_i64(j, "overlays_at_start", ri->overlays_at_start);
	j_u64(j, "layers_at_start", ri->layers_at_start);
	j_u64(j, "added", t->layers_added);
	j_u64(j, "removed", t->layers_removed);
	j_u64(j, "map_full", t->layers_full);
	j_end_obj(j);
	j_obj(j, "latency");
	w_hist(j, "fast", &r->hist[H_MNTPUT_FAST]);
	w_hist(j, "slow", &r->hist[H_MNTPUT_SLOW]);
	j_u64(j, "unpaired", t->mntput_unpaired);
	j_end_obj(j);
	j_end_obj(j);

	j_obj(j, "mount_lock_contention");
	j_obj(j, "slowpath");
	j_u64(j, "count", t->lock_slowpath);
	w_hist(j, "wait", &r->hist[H_LOCK_WAIT]);
	j_u64(j, "unpaired", t->lock_unpaired);
	j_end_obj(j);
	j_obj(j, "tracepoints");
	j_u64(j, "contention_begin", t->cont_begin);
	j_u64(j, "contention_end", t->cont_end);
	w_hist(j, "wait", &r->hist[H_CONT_WAIT]);
	j_u64(j, "unpaired", t->cont_unpaired);
	j_end_obj(j);
	j_end_obj(j);

	j_obj(j, "teardown");
	j_obj(j, "functions");
	for (k = 0; k < NR_TFN; k++)
		w_calls(j, tfn_keys[k], &t->tfn[k]);
	j_end_obj(j);
	j_obj(j, "gp");
	for (w = 0; w < NR_GP_WHERE; w++)
		w_gp_kinds(j, where_keys[w], t->gp[w]);
	j_end_obj(j);
	j_obj(j, "umounts");
	j_u64(j, "opened", r->opened);
	j_u64(j, "closed", r->ring_head);
	j_u64(j, "open_at_exit", r->open_at_exit);
	j_u64(j, "dropped_from_ring", r->ring_head > MNTLOCK_RING ?
	      r->ring_head - MNTLOCK_RING : 0);
	j_u64(j, "not_tracked_map_full", t->umounts_full);
	j_u64(j, "task_state_map_full", t->tstate_full);
	j_end_obj(j);
	j_arr(j, "records");
	for (k = 0; k < r->nrecs; k++)
		w_record(j, &r->recs[k], ri);
	j_end_arr(j);
	j_end_obj(j);

	online_cpus(on, r->ncpus);
	j_arr(j, "per_cpu");
	for (cpu = 0; cpu < r->ncpus; cpu++) {
		if (!on[cpu] && !cpu_nonzero(&r->cpu[cpu]))
			continue;
		j_obj(j, NULL);
		j_u64(j, "cpu", cpu);
		w_cpu(j, &r->cpu[cpu], ri);
		j_end_obj(j);
	}
	j_end_arr(j);
	j_end_obj(j);
	fputc('\n', f);
	free(on);
	return ferror(f) ? -EIO : 0;
}
