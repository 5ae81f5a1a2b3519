/* SPDX-License-Identifier: GPL-2.0 */
/* Kernel symbol (/proc/kallsyms) and BTF look-ups for mntlock */
#ifndef MNTLOCK_KSYMS_H
#define MNTLOCK_KSYMS_H

#include <stdbool.h>
#include <linux/types.h>

struct btf;

struct ksym {
	const char *name;	/* in: symbol name */
	__u64 addr;		/* out: first address seen (0 if hidden) */
	int count;		/* out: how many symbols carry the name */
	char type;		/* out: nm-style type letter */
};

/*
 * Look up n names in a kallsyms file in one pass.  Returns 0, or -errno
 * if the file cannot be read.
 */
int ksyms_lookup(const char *path, struct ksym *syms, int n);

/* Whether the BTF has a function (BTF_KIND_FUNC) of that name */
bool btf_has_func(const struct btf *btf, const char *name);

/*
 * Byte offset of the qspinlock inside a seqlock_t (seqlock_t.lock, a
 * spinlock_t, down to its arch_spinlock_t), from BTF.  Returns the
 * offset or -errno.
 */
long btf_seqlock_spin_offset(const struct btf *btf);

/*
 * Byte offset of the sequence counter (an unsigned int) inside a
 * seqlock_t, from BTF; every write section adds 2 to it.  Returns the
 * offset or -errno.
 */
long btf_seqlock_seq_offset(const struct btf *btf);

#endif /* MNTLOCK_KSYMS_H */
