// SPDX-License-Identifier: GPL-2.0
/* Kernel symbol (/proc/kallsyms) and BTF look-ups for mntlock */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include "ksyms.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

int ksyms_lookup(const char *path, struct ksym *syms, int n)
{
	char line[512], name[256], type;
	unsigned long long addr;
	FILE *f;
	int i;

	for (i = 0; i < n; i++) {
		syms[i].addr = 0;
		syms[i].count = 0;
		syms[i].type = 0;
	}
	f = fopen(path, "r");
	if (!f)
		return -errno;
	/* "ffffffff81253cd0 T mntput" or "... t ovl_free_fs\t[overlay]" */
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %255s", &addr, &type, name) != 3)
			continue;
		for (i = 0; i < n; i++) {
			if (strcmp(name, syms[i].name))
				continue;
			if (!syms[i].count++) {
				syms[i].addr = addr;
				syms[i].type = type;
			}
		}
	}
	fclose(f);
	return 0;
}

bool btf_has_func(const struct btf *btf, const char *name)
{
	return btf && btf__find_by_name_kind(btf, name, BTF_KIND_FUNC) > 0;
}

/*
 * Bit offset of member name in the struct or union type_id, looking into
 * anonymous struct/union members (spinlock_t wraps rlock in one).
 * Returns the offset and sets *member_type, or -1.
 */
static long member_bits(const struct btf *btf, __u32 type_id,
			const char *name, __u32 *member_type)
{
	const struct btf_type *t;
	const struct btf_member *m;
	int i, id;

	id = btf__resolve_type(btf, type_id);
	if (id < 0)
		return -1;
	t = btf__type_by_id(btf, id);
	if (!t || (!btf_is_struct(t) && !btf_is_union(t)))
		return -1;
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++, m++) {
		const char *mname = btf__name_by_offset(btf, m->name_off);
		long off;

		if (mname && *mname) {
			if (!strcmp(mname, name)) {
				*member_type = m->type;
				return btf_member_bit_offset(t, i);
			}
			continue;
		}
		off = member_bits(btf, m->type, name, member_type);
		if (off >= 0)
			return btf_member_bit_offset(t, i) + off;
	}
	return -1;
}

/* Byte offset of the member at path inside seqlock_t, or -errno */
static long seqlock_member(const struct btf *btf, const char * const *path,
			   unsigned int n)
{
	long bits = 0, off;
	__u32 type;
	unsigned int i;
	int id;

	id = btf__find_by_name_kind(btf, "seqlock_t", BTF_KIND_TYPEDEF);
	if (id <= 0)
		return -ENOENT;
	type = id;
	for (i = 0; i < n; i++) {
		off = member_bits(btf, type, path[i], &type);
		if (off < 0)
			return -ENOENT;
		bits += off;
	}
	if (bits % 8)
		return -EINVAL;
	return bits / 8;
}

long btf_seqlock_spin_offset(const struct btf *btf)
{
	/* seqlock_t.lock -> spinlock_t.rlock -> raw_spinlock_t.raw_lock */
	static const char * const path[] = { "lock", "rlock", "raw_lock" };

	return seqlock_member(btf, path, ARRAY_SIZE(path));
}

long btf_seqlock_seq_offset(const struct btf *btf)
{
	/* seqlock_t.seqcount -> seqcount_spinlock_t.seqcount -> .sequence */
	static const char * const path[] = {
		"seqcount", "seqcount", "sequence",
	};

	return seqlock_member(btf, path, ARRAY_SIZE(path));
}
