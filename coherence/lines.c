// SPDX-License-Identifier: GPL-2.0
/*
 * Per-vCPU line tables: chained hashing over entries that never move, so
 * that the current op's list of lines can hold pointers; entries come
 * from chunks freed all at once when a new window starts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lines.h"

#define CHUNK_BYTES	(1u << 20)
#define MIN_BUCKETS	4096

struct chunk {
	struct chunk *next;
	size_t used;
	char mem[];
};

static void *xalloc(size_t n)
{
	void *p = calloc(1, n);

	if (!p) {
		fputs("coherence: out of memory\n", stderr);
		abort();
	}
	return p;
}

static void *chunk_alloc(struct vcpu *v, size_t n)
{
	struct chunk *c = v->chunks;
	void *p;

	n = (n + 15) & ~(size_t)15;
	if (!c || c->used + n > CHUNK_BYTES - sizeof(*c)) {
		c = xalloc(CHUNK_BYTES);
		c->next = v->chunks;
		v->chunks = c;
	}
	p = c->mem + c->used;
	c->used += n;
	return p;
}

void vcpu_reset(struct vcpu *v, unsigned int window)
{
	struct chunk *c, *next;

	for (c = v->chunks; c; c = next) {
		next = c->next;
		free(c);
	}
	v->chunks = NULL;
	if (v->nbuckets != MIN_BUCKETS) {
		free(v->buckets);
		v->buckets = xalloc(MIN_BUCKETS * sizeof(*v->buckets));
		v->nbuckets = MIN_BUCKETS;
	} else {
		memset(v->buckets, 0, MIN_BUCKETS * sizeof(*v->buckets));
	}
	v->nlines = 0;
	v->npending = 0;
	v->window = window;
	v->in_op = false;
	v->op = 1;
	v->ops = 0;
	v->loads = 0;
	v->stores = 0;
}

static size_t bucket(uint64_t pa, size_t nbuckets)
{
	uint64_t h = (pa >> LINE_SHIFT) * 0x9e3779b97f4a7c15ull;

	return (h ^ h >> 32) & (nbuckets - 1);
}

static void grow(struct vcpu *v)
{
	size_t n = v->nbuckets * 2, i;
	struct line **b = xalloc(n * sizeof(*b));
	struct line *l, *next;

	for (i = 0; i < v->nbuckets; i++) {
		for (l = v->buckets[i]; l; l = next) {
			next = l->next;
			l->next = b[bucket(l->pa, n)];
			b[bucket(l->pa, n)] = l;
		}
	}
	free(v->buckets);
	v->buckets = b;
	v->nbuckets = n;
}

static struct line *vcpu_line(const struct vcpu *v, uint64_t pa)
{
	struct line *l;

	if (!v->nbuckets)
		return NULL;
	for (l = v->buckets[bucket(pa, v->nbuckets)]; l; l = l->next)
		if (l->pa == pa)
			return l;
	return NULL;
}

static struct line *line_get(struct vcpu *v, uint64_t pa, uint64_t va)
{
	struct line *l = vcpu_line(v, pa);
	size_t b;

	if (l)
		return l;
	if (v->nlines >= v->nbuckets)
		grow(v);
	l = chunk_alloc(v, sizeof(*l));
	l->pa = pa;
	l->va = va & ~(uint64_t)(LINE_SIZE - 1);
	b = bucket(pa, v->nbuckets);
	l->next = v->buckets[b];
	v->buckets[b] = l;
	v->nlines++;
	return l;
}

/* The site of pc, moved to the front: a hot line's few sites stay first */
static void site_count(struct vcpu *v, struct line *l, uint64_t pc,
		       bool store)
{
	struct site **pp, *s;

	for (pp = &l->sites; (s = *pp); pp = &s->next)
		if (s->pc == pc)
			break;
	if (s) {
		*pp = s->next;
	} else {
		s = chunk_alloc(v, sizeof(*s));
		s->pc = pc;
	}
	s->next = l->sites;
	l->sites = s;
	if (store)
		s->stores++;
	else
		s->loads++;
}

static void pending_add(struct vcpu *v, struct line *l)
{
	if (v->npending == v->cap_pending) {
		size_t cap = v->cap_pending ? 2 * v->cap_pending : 1024;
		struct line **p = realloc(v->pending, cap * sizeof(*p));

		if (!p) {
			fputs("coherence: out of memory\n", stderr);
			abort();
		}
		v->pending = p;
		v->cap_pending = cap;
	}
	v->pending[v->npending++] = l;
}

static void line_access(struct vcpu *v, uint64_t pa, uint64_t va,
			unsigned int off, unsigned int size, bool store,
			uint64_t pc, bool gs)
{
	struct line *l = line_get(v, pa, va);
	uint64_t bytes = size >= 64 ? ~0ull :
			 ((1ull << size) - 1) << off;

	if (l->stamp != v->op) {
		l->stamp = v->op;
		l->op_write = false;
		pending_add(v, l);
	}
	l->touch_mask |= bytes;
	if (store) {
		l->op_write = true;
		l->write_mask |= bytes;
		l->stores++;
	} else {
		l->loads++;
	}
	l->gs |= gs;
	site_count(v, l, pc, store);
}

void vcpu_access(struct vcpu *v, uint64_t pa, uint64_t va,
		 unsigned int size, bool store, uint64_t pc, bool gs)
{
	unsigned int off = pa & (LINE_SIZE - 1);
	unsigned int first = size;

	if (store)
		v->stores++;
	else
		v->loads++;
	/* an access across a line boundary touches both lines */
	if (off + size > LINE_SIZE)
		first = LINE_SIZE - off;
	line_access(v, pa - off, va - off, off, first, store, pc, gs);
	if (first < size)
		line_access(v, pa - off + LINE_SIZE, va - off + LINE_SIZE, 0,
			    size - first, store, pc, gs);
}

void vcpu_commit_op(struct vcpu *v)
{
	size_t i;

	for (i = 0; i < v->npending; i++) {
		v->pending[i]->ops_touch++;
		v->pending[i]->ops_write += v->pending[i]->op_write;
	}
	v->npending = 0;
	v->ops++;
	v->op++;
}

void vcpu_drop_op(struct vcpu *v)
{
	v->npending = 0;
	v->op++;
}
