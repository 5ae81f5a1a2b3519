// SPDX-License-Identifier: GPL-2.0
/*
 * Closing a window: wait until no other vCPU is inside a callback, merge
 * the per-vCPU tables by physical line, and write the lines two or more
 * vCPUs touched in their complete ops (coherence/SCHEMA.md).  Whether a
 * line is fought over is decided by the reader (harness), in one place.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "outfile.h"
#include "window.h"

#define MAX_SITES	12	/* instructions listed per line */

struct windows win = { .dirfd = -1 };

struct entry {
	uint64_t pa;
	unsigned int vcpu;
	const struct line *l;
};

static int by_pa(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->pa != y->pa)
		return x->pa < y->pa ? -1 : 1;
	return (int)x->vcpu - (int)y->vcpu;
}

static int by_pc(const void *a, const void *b)
{
	const struct site *x = a, *y = b;

	return x->pc < y->pc ? -1 : x->pc > y->pc;
}

static int by_count(const void *a, const void *b)
{
	const struct site *x = a, *y = b;
	uint64_t cx = x->loads + x->stores, cy = y->loads + y->stores;

	if (cx != cy)
		return cx > cy ? -1 : 1;
	return by_pc(a, b);
}

void window_open(void)
{
	__atomic_add_fetch(&win.id, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&win.open, 1, __ATOMIC_SEQ_CST);
}

static void hex(struct json *j, const char *key, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)v);
	json_str(j, key, buf);
}

/* The sites of one line over its vCPUs, merged by pc, busiest first */
static void write_sites(struct json *j, const struct entry *e, size_t n)
{
	struct site *all = NULL, *s;
	size_t ns = 0, cap = 0, i, m = 0;
	uint64_t other_loads = 0, other_stores = 0;

	for (i = 0; i < n; i++) {
		for (s = e[i].l->sites; s; s = s->next) {
			if (ns == cap) {
				cap = cap ? 2 * cap : 64;
				all = realloc(all, cap * sizeof(*all));
				if (!all)
					abort();
			}
			all[ns++] = *s;
		}
	}
	if (ns)
		qsort(all, ns, sizeof(*all), by_pc);
	for (i = 0; i < ns; i++) {
		if (m && all[m - 1].pc == all[i].pc) {
			all[m - 1].loads += all[i].loads;
			all[m - 1].stores += all[i].stores;
		} else {
			all[m++] = all[i];
		}
	}
	if (m)
		qsort(all, m, sizeof(*all), by_count);
	json_open(j, "sites", '[');
	for (i = 0; i < m; i++) {
		if (i >= MAX_SITES) {
			other_loads += all[i].loads;
			other_stores += all[i].stores;
			continue;
		}
		json_open(j, NULL, '{');
		hex(j, "pc", all[i].pc);
		json_uint(j, "loads", all[i].loads);
		json_uint(j, "stores", all[i].stores);
		json_close(j);
	}
	json_close(j);
	json_open(j, "other_sites", '{');
	json_uint(j, "sites", m > MAX_SITES ? m - MAX_SITES : 0);
	json_uint(j, "loads", other_loads);
	json_uint(j, "stores", other_stores);
	json_close(j);
	free(all);
}

static void write_line(struct json *j, const struct entry *e, size_t n)
{
	size_t i;

	json_open(j, NULL, '{');
	hex(j, "pa", e[0].pa);
	json_open(j, "vcpus", '[');
	for (i = 0; i < n; i++) {
		const struct line *l = e[i].l;

		json_open(j, NULL, '{');
		json_uint(j, "vcpu", e[i].vcpu);
		hex(j, "va", l->va);
		json_uint(j, "ops_touch", l->ops_touch);
		json_uint(j, "ops_write", l->ops_write);
		json_uint(j, "loads", l->loads);
		json_uint(j, "stores", l->stores);
		hex(j, "touch_mask", l->touch_mask);
		hex(j, "write_mask", l->write_mask);
		json_bool(j, "gs", l->gs);
		json_close(j);
	}
	json_close(j);
	write_sites(j, e, n);
	json_close(j);
}

static size_t touched_by(const struct entry *e, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += e[i].l->ops_touch > 0;
	return k;
}

static void write_doc(struct json *j, struct entry *e, size_t n)
{
	unsigned int w = win.id, i;
	size_t a, b;

	json_open(j, NULL, '{');
	json_str(j, "tool", "mntbench-coherence");
	json_uint(j, "schema", 1);
	json_uint(j, "window", w);
	json_uint(j, "line_size", LINE_SIZE);
	json_open(j, "vcpus", '[');
	for (i = 0; i < win.nvcpus; i++) {
		const struct vcpu *v = &win.vcpus[i];

		if (v->window != w)
			continue;
		json_open(j, NULL, '{');
		json_uint(j, "vcpu", i);
		json_uint(j, "ops", v->ops);
		json_uint(j, "loads", v->loads);
		json_uint(j, "stores", v->stores);
		json_uint(j, "lines", v->nlines);
		json_close(j);
	}
	json_close(j);
	json_open(j, "lines", '[');
	for (a = 0; a < n; a = b) {
		for (b = a + 1; b < n && e[b].pa == e[a].pa; b++)
			;
		if (touched_by(e + a, b - a) >= 2)
			write_line(j, e + a, b - a);
	}
	json_close(j);
	json_close(j);
}

/* Every vCPU's lines of this window, sorted by line, then vCPU */
static struct entry *gather(size_t *np)
{
	size_t n = 0, k = 0, bkt;
	unsigned int i;
	struct entry *e;
	struct line *l;

	for (i = 0; i < win.nvcpus; i++)
		if (win.vcpus[i].window == win.id)
			n += win.vcpus[i].nlines;
	e = malloc((n ? n : 1) * sizeof(*e));
	if (!e)
		abort();
	for (i = 0; i < win.nvcpus; i++) {
		struct vcpu *v = &win.vcpus[i];

		if (v->window != win.id)
			continue;
		for (bkt = 0; bkt < v->nbuckets; bkt++)
			for (l = v->buckets[bkt]; l; l = l->next)
				e[k++] = (struct entry){ l->pa, i, l };
	}
	qsort(e, k, sizeof(*e), by_pa);
	*np = k;
	return e;
}

void window_close(unsigned int closer)
{
	char name[32];
	struct outfile o;
	struct json j;
	struct entry *e;
	unsigned int i;
	size_t n;
	bool ok;
	int err;

	__atomic_store_n(&win.open, 0, __ATOMIC_SEQ_CST);
	/* MTTCG: let every other vCPU leave the callback it is in */
	for (i = 0; i < win.nvcpus; i++)
		while (i != closer &&
		       __atomic_load_n(&win.vcpus[i].busy, __ATOMIC_ACQUIRE) & 1)
			sched_yield();
	snprintf(name, sizeof(name), "window-%u.json", win.id);
	err = outfile_open(&o, win.dirfd, name);
	if (!err) {
		e = gather(&n);
		memset(&j, 0, sizeof(j));
		j.f = o.f;
		write_doc(&j, e, n);
		free(e);
		ok = !ferror(o.f);
		err = outfile_close(&o, ok);
		if (!err && !ok)
			err = -EIO;
	}
	if (err) {
		fprintf(stderr, "coherence: cannot write %s: %s\n", name,
			strerror(-err));
		win.failed++;
	} else {
		win.written++;
	}
}
