// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel side of mntlock: mntput() fast/slow path,
 * mount_lock contention, overlay teardown (grace periods) and the
 * reader side of mount_lock (RCU path walks redone after -ECHILD).
 *
 * Every function probe exists twice, as fentry/fexit and as
 * kprobe/kretprobe; user space loads one of the two per probe (fentry
 * where the function has BTF and trampolines work).  Both variants call
 * the same __always_inline handler.
 *
 * Hot paths (mntput, the qspinlock slowpath) touch per-CPU maps only, and
 * one lookup in the read-mostly layer map, which is written at mount and
 * teardown time only.  Teardown probes are cold and use ordinary hash
 * maps keyed by thread id, because they sleep and may change CPU.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "mntlock.h"

/*
 * Declared weak so that the object still loads (kprobe fallback, which
 * does not use it) on kernels older than 6.2.
 */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

/* ERR_PTR(-EINVAL), see fs/mount.h */
#define MNT_NS_INTERNAL		((__u64)-22)
#define MAX_ERRNO		4095
#define ECHILD			10

/* Set by user space before load (volatile: libbpf's rodata idiom) */
const volatile __u64 mount_lock_addr;	/* &mount_lock.lock */
const volatile __u32 targ_tgid;		/* 0: any process */
const volatile bool filter_comm;
const volatile __u64 targ_comm[MNTLOCK_COMM_LEN / 8];	/* NUL-padded */
/* 0xff over targ_comm's characters and its NUL, 0 after */
const volatile __u64 targ_comm_mask[MNTLOCK_COMM_LEN / 8];
const volatile bool latency;		/* time mntput() (fexit) */
const volatile bool walk_time;		/* time do_filp_open() */
/* &mount_lock.seqcount.seqcount.sequence, 0: unresolved */
const volatile __u64 mount_lock_seq_addr;

/*
 * Set by user space when the interval starts and cleared when it ends:
 * attaching and detaching take a while, and events in between (the
 * attach itself waits for grace periods) are not part of the interval.
 */
__u32 active;

/* Written by BPF, read by user space after the links are gone */
__u64 ring_head;	/* umount records written to the ring so far */
__u64 umount_seq;	/* umount records opened so far */
__u64 layers_scanned;	/* layers found by ovl_show_options() */
__u32 mount_lock_seq;	/* the last value sc_mount_lock_seq read */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mntlock_cpu);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NR_HISTS);
	__type(key, __u32);
	__type(value, struct mntlock_hist);
} hists SEC(".maps");

/*
 * Entry timestamps of the hot functions, per CPU.  mntput() and the
 * qspinlock slowpath do not sleep, so entry and exit run on one CPU;
 * nested calls (irq) are last in, first out: a small stack per CPU.
 */
struct frame {
	__u64 ts;
	__u64 task;	/* current at entry: detects a stray exit */
	__u64 key;	/* mount or lock address */
	__u32 tag;	/* what to account at exit, FT_* */
	__u32 pad;
};

struct frames {
	__u32 depth;
	__u32 overflow;	/* entries not pushed: stack full */
	struct frame f[MNTLOCK_FRAMES];
};

enum { FS_MNTPUT, FS_LOCK, FS_CONT, NR_FS };
enum { FT_SKIP, FT_FAST, FT_SLOW, FT_MATCH };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NR_FS);
	__type(key, __u32);
	__type(value, struct frames);
} frames SEC(".maps");

/* Private clones made by clone_private_mount(): struct vfsmount * -> ts */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u64);
} layers SEC(".maps");

/*
 * Bumped after every change of the layer map: an answer cached below is
 * good for the generation it was looked up in only (a freed layer's
 * address may come back as another mount).
 */
__u64 layers_gen;

/*
 * The last mount classified on this CPU, and whether it is a layer: the
 * puts of a workload hit the same few mounts, and a per-CPU array is
 * cheaper than hashing into the layer map on every slow put.
 */
struct putcache {
	__u64 vfsmnt;
	__u64 gen;
	__u64 layer;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct putcache);
} putcache SEC(".maps");

/* Teardown timing state of a thread (these functions sleep) */
struct tstate {
	__u64 t0[NR_TFN];
	__u32 depth[NR_TFN];
	__u64 gp_t0;
	__u32 gp_depth;
	__u32 gp_kind;
	__u32 gp_where;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct tstate);
} tstates SEC(".maps");

/* Open umount records, by thread id */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct mntlock_umount);
} umounts SEC(".maps");

/* Closed umount records, the last MNTLOCK_RING of them */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MNTLOCK_RING);
	__type(key, __u32);
	__type(value, struct mntlock_umount);
} ring SEC(".maps");

static const struct tstate tstate_zero;
static const struct mntlock_umount umount_zero;

static __always_inline struct mntlock_cpu *cpu_stats(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&stats, &zero);
}

/* Count a program run; returns the per-CPU counters, NULL: do nothing */
static __always_inline struct mntlock_cpu *hit(int prog)
{
	struct mntlock_cpu *c;

	if (!active)
		return NULL;
	c = cpu_stats();
	if (c && prog >= 0 && prog < NR_PROGS)
		c->hits[prog]++;
	return c;
}

/*
 * The --pid/--comm filter.  Only the name and its NUL are compared (two
 * masked 8-byte compares): what follows the NUL is not padding
 * everywhere.  6.1 sets comm with strlcpy() (exec, PR_SET_NAME), which
 * leaves the bytes of a longer old name behind the NUL, and its
 * bpf_get_current_comm() copies with strscpy(), which leaves the
 * buffer's bytes there.  fentry programs (btf) load comm straight from
 * the trusted task pointer; kprobes copy it with the helper, which
 * costs several times more on the hottest probe.
 */
static __always_inline bool pass_task(bool btf)
{
	__u64 comm[MNTLOCK_COMM_LEN / 8] = {};
	struct task_struct *t;

	if (targ_tgid && (bpf_get_current_pid_tgid() >> 32) != targ_tgid)
		return false;
	if (!filter_comm)
		return true;
	if (btf) {
		t = bpf_get_current_task_btf();
		comm[0] = *(__u64 *)&t->comm[0];
		comm[1] = *(__u64 *)&t->comm[8];
	} else {
		bpf_get_current_comm(comm, sizeof(comm));
	}
	return (comm[0] & targ_comm_mask[0]) == targ_comm[0] &&
	       (comm[1] & targ_comm_mask[1]) == targ_comm[1];
}

static __always_inline bool pass(void)
{
	return pass_task(false);
}

/* 64-bit throughout: 6.1's verifier loses the bounds of 32-bit results */
static __always_inline __u64 log2_u64(__u64 v)
{
	__u64 r, shift;

	r = (v > 0xffffffffULL) << 5;
	v >>= r;
	shift = (v > 0xffff) << 4;
	v >>= shift;
	r |= shift;
	shift = (v > 0xff) << 3;
	v >>= shift;
	r |= shift;
	shift = (v > 0xf) << 2;
	v >>= shift;
	r |= shift;
	shift = (v > 0x3) << 1;
	v >>= shift;
	r |= shift;
	r |= (v >> 1);
	return r;
}

static __always_inline void hist_add(__u32 id, __u64 v)
{
	struct mntlock_hist *h = bpf_map_lookup_elem(&hists, &id);
	__u64 slot;

	if (!h)
		return;
	slot = log2_u64(v);
	if (slot >= MNTLOCK_HIST_SLOTS)
		slot = MNTLOCK_HIST_SLOTS - 1;
	h->slots[slot]++;
	h->count++;
	h->sum += v;
	if (v > h->max)
		h->max = v;
}

static __always_inline void frame_push(__u32 which, __u64 key, __u32 tag)
{
	struct frames *fs = bpf_map_lookup_elem(&frames, &which);
	struct frame *f;
	__u32 d;

	if (!fs)
		return;
	d = fs->depth;
	if (d >= MNTLOCK_FRAMES) {
		fs->overflow++;
		return;
	}
	f = &fs->f[d & (MNTLOCK_FRAMES - 1)];
	/* a frame only kept for pairing needs no (costly) clock read */
	f->ts = tag == FT_SKIP ? 0 : bpf_ktime_get_ns();
	f->task = bpf_get_current_task();
	f->key = key;
	f->tag = tag;
	fs->depth = d + 1;
}

/*
 * Pop the frame of this exit.  key is the same address as at entry, or 0
 * when the exit cannot see it (kretprobe).  Returns the tag, FT_SKIP when
 * there is nothing to account; *delta is the time since entry.
 */
static __always_inline __u32 frame_pop(__u32 which, __u64 key, __u64 *delta,
				       __u64 *unpaired)
{
	struct frames *fs = bpf_map_lookup_elem(&frames, &which);
	struct frame *f;
	__u32 d;

	if (!fs)
		return FT_SKIP;
	if (fs->overflow) {
		fs->overflow--;
		return FT_SKIP;
	}
	d = fs->depth;
	if (!d || d > MNTLOCK_FRAMES) {
		/* entry ran before we attached, or was skipped */
		(*unpaired)++;
		return FT_SKIP;
	}
	d--;
	f = &fs->f[d & (MNTLOCK_FRAMES - 1)];
	if (f->task != bpf_get_current_task() || (key && f->key != key)) {
		/*
		 * Only possible if a task was preempted inside the function
		 * and moved: start over rather than pair wrong frames.
		 */
		fs->depth = 0;
		(*unpaired)++;
		return FT_SKIP;
	}
	fs->depth = d;
	if (f->tag != FT_SKIP)
		*delta = bpf_ktime_get_ns() - f->ts;
	return f->tag;
}

static __always_inline bool is_layer(__u64 vfsmnt)
{
	__u32 zero = 0;
	struct putcache *pc = bpf_map_lookup_elem(&putcache, &zero);
	/* read before the lookup: a change after it invalidates the entry */
	__u64 gen = *(volatile __u64 *)&layers_gen;
	bool layer;

	if (pc && pc->vfsmnt == vfsmnt && pc->gen == gen)
		return pc->layer;
	layer = bpf_map_lookup_elem(&layers, &vfsmnt) != NULL;
	if (pc) {
		pc->vfsmnt = vfsmnt;
		pc->gen = gen;
		pc->layer = layer;
	}
	return layer;
}

/* After a change of the layer map, never before it (see is_layer()) */
static __always_inline void layers_changed(void)
{
	__sync_fetch_and_add(&layers_gen, 1);
}

/* mntput() ------------------------------------------------------------- */

/* mntput() by filesystem type and mount state */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, MNTLOCK_BYMOUNT);
	__type(key, struct mntlock_bymount_key);
	__type(value, struct mntlock_bymount);
} bymount SEC(".maps");

static const struct mntlock_bymount bymount_zero;

static __always_inline __u32 ns_class(__u64 ns)
{
	if (!ns)
		return NS_NULL;
	return ns == MNT_NS_INTERNAL ? NS_INTERNAL : NS_MNT;
}

/*
 * One put of a mount of filesystem type fstype (the superblock's
 * struct file_system_type *) in state cls.  The name is read where the
 * key is new on this CPU only: a per-CPU hash gives other CPUs a zeroed
 * value when one inserts.
 */
static __always_inline struct mntlock_bymount *
bymount_entry(struct mntlock_cpu *c, __u64 fstype, __u32 cls)
{
	struct mntlock_bymount_key k = { .fstype = fstype, .state = cls };
	struct file_system_type *t = (struct file_system_type *)fstype;
	struct mntlock_bymount *v;

	v = bpf_map_lookup_elem(&bymount, &k);
	if (!v) {
		bpf_map_update_elem(&bymount, &k, &bymount_zero, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&bymount, &k);
		if (!v) {
			c->bymount_full++;
			return NULL;
		}
	}
	if (!v->name[0])
		bpf_probe_read_kernel_str(v->name, sizeof(v->name),
					  BPF_CORE_READ(t, name));
	return v;
}

static __always_inline void bymount_count(struct mntlock_cpu *c,
					  __u64 fstype, __u32 cls, bool slow)
{
	struct mntlock_bymount *v;

	if (slow && fstype && c->bm_fstype == fstype && c->bm_state == cls) {
		c->bm_slow++;
		return;
	}
	if (slow && c->bm_fstype) {
		/* another mount's slow put: the last one's go to the hash */
		v = bymount_entry(c, c->bm_fstype, c->bm_state);
		if (v)
			v->slow += c->bm_slow;
		c->bm_fstype = 0;
		c->bm_slow = 0;
	}
	v = bymount_entry(c, fstype, cls);
	if (!v)
		return;
	if (!slow) {
		v->all++;
		return;
	}
	/* the entry exists (and has its name): count on this CPU from now */
	c->bm_fstype = fstype;
	c->bm_state = cls;
	c->bm_slow = 1;
}

/*
 * Read mnt_ns and the filesystem type of the struct mount around
 * vfsmnt.  fentry (btf): a read-only BTF cast and plain loads, no helper
 * call; kprobe: CO-RE probe reads.  Both are relocated against the
 * running kernel.
 */
static __always_inline __u64 mnt_ns_of(__u64 vfsmnt, bool btf, __u64 *fstype)
{
	__u64 mount = vfsmnt - bpf_core_field_offset(struct mount, mnt);
	struct mount *m;

	if (btf) {
		m = bpf_rdonly_cast((void *)mount,
				    bpf_core_type_id_kernel(struct mount));
		*fstype = (__u64)m->mnt.mnt_sb->s_type;
		return (__u64)m->mnt_ns;
	}
	m = (struct mount *)mount;
	*fstype = (__u64)BPF_CORE_READ(m, mnt.mnt_sb, s_type);
	return (__u64)BPF_CORE_READ(m, mnt_ns);
}

static __always_inline int on_mntput(__u64 vfsmnt, bool btf)
{
	struct mntlock_cpu *c = hit(PR_MNTPUT);
	__u64 ns, fstype = 0;
	bool ok;
	__u32 cls;

	if (!c)
		return 0;
	ok = pass_task(btf);
	if (!ok || !vfsmnt) {
		/* mntput(NULL) returns at once: count it apart */
		if (ok)
			c->mntput_null_arg++;
		/* the exit pops a frame in any case */
		if (latency)
			frame_push(FS_MNTPUT, vfsmnt, FT_SKIP);
		return 0;
	}
	ns = mnt_ns_of(vfsmnt, btf, &fstype);
	cls = ns_class(ns);
	c->mntput[SC_ALL][cls]++;
	bymount_count(c, fstype, cls, false);
	/* Layer clones are never in a namespace: skip the lookup then */
	if (cls != NS_MNT && is_layer(vfsmnt))
		c->mntput[SC_LAYER][cls]++;
	if (latency)
		frame_push(FS_MNTPUT, vfsmnt,
			   cls == NS_NULL ? FT_SLOW : FT_FAST);
	return 0;
}

static __always_inline int on_mntput_ret(__u64 vfsmnt)
{
	struct mntlock_cpu *c = hit(PR_MNTPUT_RET);
	__u64 delta = 0;
	__u32 tag;

	if (!c)
		return 0;
	tag = frame_pop(FS_MNTPUT, vfsmnt, &delta, &c->mntput_unpaired);
	if (tag == FT_FAST)
		hist_add(H_MNTPUT_FAST, delta);
	else if (tag == FT_SLOW)
		hist_add(H_MNTPUT_SLOW, delta);
	return 0;
}

SEC("fentry/mntput")
int BPF_PROG(fe_mntput, struct vfsmount *mnt)
{
	return on_mntput((__u64)mnt, true);
}

SEC("fexit/mntput")
int BPF_PROG(fx_mntput, struct vfsmount *mnt)
{
	return on_mntput_ret((__u64)mnt);
}

SEC("kprobe/mntput")
int BPF_KPROBE(kp_mntput, struct vfsmount *mnt)
{
	return on_mntput((__u64)mnt, false);
}

SEC("kretprobe/mntput")
int BPF_KRETPROBE(kr_mntput)
{
	return on_mntput_ret(0);
}

/* mntput()'s slow path, without a probe on every mntput() --------------- */

/*
 * mntput_no_expire() calls mnt_get_count() right after it took
 * mount_lock for a mount whose mnt_ns is NULL, and nowhere on the fast
 * path.  One probe here counts slow puts exactly at a fraction of the
 * price of classifying every mntput() (about 4 per open+close): the
 * default.  The other callers are umount's busy checks, on the mounts
 * being unmounted, never on a layer clone: "layer" is exact, "all"
 * includes them (by mount, as state "ns": those mounts are still in
 * their namespace).
 */
static __always_inline int on_slowput(struct mount *m, bool btf)
{
	struct mntlock_cpu *c = hit(PR_SLOWPUT);
	__u64 vfsmnt, ns, fstype;

	if (!c || !pass_task(btf))
		return 0;
	c->slowput[SC_ALL]++;
	vfsmnt = (__u64)m + bpf_core_field_offset(struct mount, mnt);
	if (is_layer(vfsmnt))
		c->slowput[SC_LAYER]++;
	/* fentry: the argument is a BTF pointer, loads need no helper */
	if (btf) {
		ns = (__u64)m->mnt_ns;
		fstype = (__u64)m->mnt.mnt_sb->s_type;
	} else {
		ns = (__u64)BPF_CORE_READ(m, mnt_ns);
		fstype = (__u64)BPF_CORE_READ(m, mnt.mnt_sb, s_type);
	}
	bymount_count(c, fstype, ns_class(ns), true);
	return 0;
}

SEC("fentry/mnt_get_count")
int BPF_PROG(fe_slowput, struct mount *mnt)
{
	return on_slowput(mnt, true);
}

SEC("kprobe/mnt_get_count")
int BPF_KPROBE(kp_slowput, struct mount *mnt)
{
	return on_slowput(mnt, false);
}

/* queued_spin_lock_slowpath() on &mount_lock.lock ---------------------- */

/*
 * Only contended acquisitions get here, but of any spinlock (a dentry's
 * d_lock when tasks share a file): the exit runs inside the caller's
 * critical section, so other locks leave as soon as possible.  fexit
 * sees the lock and needs a frame for mount_lock only; a kretprobe
 * cannot see it, so every kprobe entry pushes a frame, matching or not,
 * for its exit to pop.
 */
static __always_inline int on_lock(int prog, __u64 lock, bool btf)
{
	struct mntlock_cpu *c = hit(prog);
	bool match = lock == mount_lock_addr;

	if (!c || (btf && !match))
		return 0;
	match = match && pass_task(btf);
	if (match)
		c->lock_slowpath++;
	frame_push(FS_LOCK, lock, match ? FT_MATCH : FT_SKIP);
	return 0;
}

static __always_inline int on_lock_ret(int prog, __u64 lock)
{
	struct mntlock_cpu *c = hit(prog);
	__u64 delta = 0;

	if (!c || (lock && lock != mount_lock_addr))
		return 0;
	if (frame_pop(FS_LOCK, lock, &delta, &c->lock_unpaired) == FT_MATCH)
		hist_add(H_LOCK_WAIT, delta);
	return 0;
}

SEC("fentry/queued_spin_lock_slowpath")
int BPF_PROG(fe_lock, struct qspinlock *lock)
{
	return on_lock(PR_LOCK, (__u64)lock, true);
}

SEC("fexit/queued_spin_lock_slowpath")
int BPF_PROG(fx_lock, struct qspinlock *lock)
{
	return on_lock_ret(PR_LOCK_RET, (__u64)lock);
}

SEC("kprobe/queued_spin_lock_slowpath")
int BPF_KPROBE(kp_lock, struct qspinlock *lock)
{
	return on_lock(PR_LOCK, (__u64)lock, false);
}

SEC("kretprobe/queued_spin_lock_slowpath")
int BPF_KRETPROBE(kr_lock)
{
	return on_lock_ret(PR_LOCK_RET, 0);
}

/* The paravirt slowpath (KVM guests with PV spinlocks), same handlers */
SEC("fentry/__pv_queued_spin_lock_slowpath")
int BPF_PROG(fe_lock_pv, struct qspinlock *lock)
{
	return on_lock(PR_LOCK_PV, (__u64)lock, true);
}

SEC("fexit/__pv_queued_spin_lock_slowpath")
int BPF_PROG(fx_lock_pv, struct qspinlock *lock)
{
	return on_lock_ret(PR_LOCK_PV_RET, (__u64)lock);
}

SEC("kprobe/__pv_queued_spin_lock_slowpath")
int BPF_KPROBE(kp_lock_pv, struct qspinlock *lock)
{
	return on_lock(PR_LOCK_PV, (__u64)lock, false);
}

SEC("kretprobe/__pv_queued_spin_lock_slowpath")
int BPF_KRETPROBE(kr_lock_pv)
{
	return on_lock_ret(PR_LOCK_PV_RET, 0);
}

/*
 * lock:contention_begin/end on the same lock.  qspinlock emits them only
 * once a waiter queues: a waiter that spins on the pending bit is never
 * seen here, hence the comparison with the slowpath count.
 */
SEC("tracepoint/lock/contention_begin")
int tp_cont_begin(struct trace_event_raw_contention_begin *ctx)
{
	struct mntlock_cpu *c = hit(PR_CONT_BEGIN);
	__u64 lock = (__u64)ctx->lock_addr;

	if (!c || lock != mount_lock_addr || !pass())
		return 0;
	c->cont_begin++;
	frame_push(FS_CONT, lock, FT_MATCH);
	return 0;
}

SEC("tracepoint/lock/contention_end")
int tp_cont_end(struct trace_event_raw_contention_end *ctx)
{
	struct mntlock_cpu *c = hit(PR_CONT_END);
	__u64 lock = (__u64)ctx->lock_addr;
	__u64 delta = 0;

	if (!c || lock != mount_lock_addr || !pass())
		return 0;
	c->cont_end++;
	if (frame_pop(FS_CONT, lock, &delta, &c->cont_unpaired) == FT_MATCH)
		hist_add(H_CONT_WAIT, delta);
	return 0;
}

/* Layer tracking: clone_private_mount() .. cleanup_mnt() --------------- */

static __always_inline int on_clone_ret(__u64 vfsmnt)
{
	struct mntlock_cpu *c = hit(PR_CLONE_RET);
	__u64 ts = bpf_ktime_get_ns();

	/* Never filtered: a missed clone would be misclassified for good */
	if (!c || !vfsmnt || vfsmnt >= (__u64)-MAX_ERRNO)
		return 0;
	if (bpf_map_update_elem(&layers, &vfsmnt, &ts, BPF_ANY))
		c->layers_full++;
	else
		c->layers_added++;
	layers_changed();
	return 0;
}

SEC("fexit/clone_private_mount")
int BPF_PROG(fx_clone, const struct path *path, struct vfsmount *ret)
{
	return on_clone_ret((__u64)ret);
}

SEC("kretprobe/clone_private_mount")
int BPF_KRETPROBE(kr_clone, struct vfsmount *ret)
{
	return on_clone_ret((__u64)ret);
}

/*
 * Overlays mounted before mntlock started: user space reads the
 * mountinfo of every mount namespace before the interval starts, which
 * calls ovl_show_options() for each overlay; the layer clones are in its
 * superblock's ovl_fs.  Not gated by "active", and never filtered.
 */
static __always_inline int on_ovl_show(struct dentry *dentry)
{
	struct mntlock_cpu *c = hit(PR_OVL_SHOW);
	__u64 sz = bpf_core_type_size(struct ovl_layer);
	__u64 ts = bpf_ktime_get_ns();
	struct ovl_fs *ofs;
	void *layers_base;
	__u32 i, n;

	ofs = (struct ovl_fs *)BPF_CORE_READ(dentry, d_sb, s_fs_info);
	if (!ofs)
		return 0;
	n = BPF_CORE_READ(ofs, numlayer);
	/* const in 6.1's struct ovl_fs, not in 6.12's */
	layers_base = (void *)BPF_CORE_READ(ofs, layers);
	if (!layers_base)
		return 0;
	for (i = 0; i < MNTLOCK_MAX_LAYERS && i < n; i++) {
		struct ovl_layer *l = layers_base + i * sz;
		__u64 mnt = (__u64)BPF_CORE_READ(l, mnt);

		/* layers[0] is the upper layer, NULL without one */
		if (!mnt)
			continue;
		if (!bpf_map_update_elem(&layers, &mnt, &ts, BPF_NOEXIST)) {
			layers_changed();
			__sync_fetch_and_add(&layers_scanned, 1);
			if (c)
				c->layers_added++;
		}
	}
	return 0;
}

SEC("fentry/ovl_show_options")
int BPF_PROG(fe_ovl_show, struct seq_file *m, struct dentry *dentry)
{
	return on_ovl_show(dentry);
}

SEC("kprobe/ovl_show_options")
int BPF_KPROBE(kp_ovl_show, struct seq_file *m, struct dentry *dentry)
{
	return on_ovl_show(dentry);
}

/* Teardown ---------------------------------------------------------- */

static __always_inline struct tstate *tstate_get(struct mntlock_cpu *c,
						 __u32 tid, bool create)
{
	struct tstate *st = bpf_map_lookup_elem(&tstates, &tid);

	if (st || !create)
		return st;
	if (bpf_map_update_elem(&tstates, &tid, &tstate_zero, BPF_NOEXIST) &&
	    c)
		c->tstate_full++;
	return bpf_map_lookup_elem(&tstates, &tid);
}

static __always_inline void tstate_put(__u32 tid, struct tstate *st)
{
	int i;

	for (i = 0; i < NR_TFN; i++)
		if (st->depth[i])
			return;
	if (!st->gp_depth)
		bpf_map_delete_elem(&tstates, &tid);
}

static __always_inline int on_tfn(int prog, __u32 fn)
{
	struct mntlock_cpu *c = hit(prog);
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct tstate *st;

	if (!c || fn >= NR_TFN || !pass())
		return 0;
	st = tstate_get(c, tid, true);
	if (!st)
		return 0;
	/* Time the outermost call only */
	if (!st->depth[fn]++)
		st->t0[fn] = bpf_ktime_get_ns();
	return 0;
}

static __always_inline int on_tfn_ret(int prog, __u32 fn)
{
	struct mntlock_cpu *c = hit(prog);
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct mntlock_umount *r;
	struct tstate *st;
	__u64 now, d;

	if (!c || fn >= NR_TFN)
		return 0;
	st = tstate_get(c, tid, false);
	if (!st || !st->depth[fn])
		return 0;
	if (--st->depth[fn])
		return 0;
	now = bpf_ktime_get_ns();
	d = now - st->t0[fn];
	c->tfn[fn].calls++;
	c->tfn[fn].ns += d;
	r = bpf_map_lookup_elem(&umounts, &tid);
	if (r) {
		r->tfn[fn].calls++;
		r->tfn[fn].ns += d;
		r->end_ns = now;
		if (fn == TF_OVL_FREE_FS && r->sys_exit_ns)
			r->ovl_after_exit = 1;
	}
	tstate_put(tid, st);
	return 0;
}

static __always_inline int on_gp(int prog, __u32 kind)
{
	struct mntlock_cpu *c = hit(prog);
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct tstate *st;

	if (!c || !pass())
		return 0;
	st = tstate_get(c, tid, true);
	if (!st)
		return 0;
	/*
	 * synchronize_rcu() may call synchronize_rcu_expedited() (with
	 * rcu_expedited=1): count the outer call, the API the caller chose.
	 */
	if (st->gp_depth++)
		return 0;
	st->gp_t0 = bpf_ktime_get_ns();
	st->gp_kind = kind;
	if (st->depth[TF_OVL_FREE_FS])
		st->gp_where = GW_OVL;
	else if (bpf_map_lookup_elem(&umounts, &tid))
		st->gp_where = GW_UMOUNT;
	else
		st->gp_where = GW_OTHER;
	return 0;
}

static __always_inline int on_gp_ret(int prog)
{
	struct mntlock_cpu *c = hit(prog);
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct mntlock_umount *r;
	struct tstate *st;
	__u64 kind, where;	/* indexes: 64-bit for 6.1's verifier */
	__u64 now, d;

	if (!c)
		return 0;
	st = tstate_get(c, tid, false);
	if (!st || !st->gp_depth)
		return 0;
	if (--st->gp_depth)
		return 0;
	now = bpf_ktime_get_ns();
	d = now - st->gp_t0;
	kind = st->gp_kind < NR_GP_KIND ? st->gp_kind : 0;
	where = st->gp_where < NR_GP_WHERE ? st->gp_where : GW_OTHER;
	c->gp[where][kind].calls++;
	c->gp[where][kind].ns += d;
	r = where == GW_OTHER ? NULL : bpf_map_lookup_elem(&umounts, &tid);
	if (r) {
		r->gp[where == GW_OVL ? 0 : 1][kind].calls++;
		r->gp[where == GW_OVL ? 0 : 1][kind].ns += d;
		r->end_ns = now;
	}
	tstate_put(tid, st);
	return 0;
}

/*
 * cleanup_mnt() frees a mount: the clone stops being a layer (its
 * address may be reused).  It runs as task_work of the task whose mntput
 * dropped the last reference, after that task's syscall exit: its exit
 * marks the end of an umount's deferred teardown.
 */
static __always_inline int on_cleanup(__u64 mount)
{
	struct mntlock_cpu *c = hit(PR_CLEANUP);
	__u64 vfsmnt = mount + bpf_core_field_offset(struct mount, mnt);

	if (!bpf_map_delete_elem(&layers, &vfsmnt)) {
		layers_changed();
		if (c)
			c->layers_removed++;
	}
	return on_tfn(-1, TF_CLEANUP_MNT);
}

/*
 * The four programs of a timed teardown function; the macro defines
 * functions, so the returns in it are theirs.
 */
#define TEARDOWN_PROBES(fn, fe, fx, kp, kr, tf, pr, pr_ret)		\
SEC("fentry/" #fn)							\
int BPF_PROG(fe)							\
{									\
	return on_tfn(pr, tf);						\
}									\
SEC("fexit/" #fn)							\
int BPF_PROG(fx)							\
{									\
	return on_tfn_ret(pr_ret, tf);					\
}									\
SEC("kprobe/" #fn)							\
int BPF_KPROBE(kp)							\
{									\
	return on_tfn(pr, tf);						\
}									\
SEC("kretprobe/" #fn)							\
int BPF_KRETPROBE(kr)							\
{									\
	return on_tfn_ret(pr_ret, tf);					\
}

TEARDOWN_PROBES(ovl_free_fs, fe_ovl_free, fx_ovl_free, kp_ovl_free,
		kr_ovl_free, TF_OVL_FREE_FS, PR_OVL_FREE, PR_OVL_FREE_RET)
TEARDOWN_PROBES(kern_unmount_array, fe_kua, fx_kua, kp_kua, kr_kua,
		TF_KERN_UNMOUNT_ARRAY, PR_KUA, PR_KUA_RET)
TEARDOWN_PROBES(kern_unmount, fe_ku, fx_ku, kp_ku, kr_ku,
		TF_KERN_UNMOUNT, PR_KU, PR_KU_RET)

SEC("fentry/cleanup_mnt")
int BPF_PROG(fe_cleanup, struct mount *mnt)
{
	return on_cleanup((__u64)mnt);
}

SEC("fexit/cleanup_mnt")
int BPF_PROG(fx_cleanup)
{
	return on_tfn_ret(PR_CLEANUP_RET, TF_CLEANUP_MNT);
}

SEC("kprobe/cleanup_mnt")
int BPF_KPROBE(kp_cleanup, struct mount *mnt)
{
	return on_cleanup((__u64)mnt);
}

SEC("kretprobe/cleanup_mnt")
int BPF_KRETPROBE(kr_cleanup)
{
	return on_tfn_ret(PR_CLEANUP_RET, TF_CLEANUP_MNT);
}

/* The four programs of a grace-period function, as above */
#define GP_PROBES(fn, fe, fx, kp, kr, kind, pr, pr_ret)			\
SEC("fentry/" #fn)							\
int BPF_PROG(fe)							\
{									\
	return on_gp(pr, kind);						\
}									\
SEC("fexit/" #fn)							\
int BPF_PROG(fx)							\
{									\
	return on_gp_ret(pr_ret);					\
}									\
SEC("kprobe/" #fn)							\
int BPF_KPROBE(kp)							\
{									\
	return on_gp(pr, kind);						\
}									\
SEC("kretprobe/" #fn)							\
int BPF_KRETPROBE(kr)							\
{									\
	return on_gp_ret(pr_ret);					\
}

GP_PROBES(synchronize_rcu, fe_sync_rcu, fx_sync_rcu, kp_sync_rcu,
	  kr_sync_rcu, GP_RCU, PR_SYNC_RCU, PR_SYNC_RCU_RET)
GP_PROBES(synchronize_rcu_expedited, fe_sync_rcu_exp, fx_sync_rcu_exp,
	  kp_sync_rcu_exp, kr_sync_rcu_exp, GP_RCU_EXP, PR_SYNC_RCU_EXP,
	  PR_SYNC_RCU_EXP_RET)

/* umount records ------------------------------------------------------- */

static __always_inline void umount_close(struct mntlock_cpu *c, __u32 tid,
					 struct mntlock_umount *r, __u32 why)
{
	__u32 idx;

	r->closed_by = why;
	idx = __sync_fetch_and_add(&ring_head, 1) & (MNTLOCK_RING - 1);
	bpf_map_update_elem(&ring, &idx, r, BPF_ANY);
	bpf_map_delete_elem(&umounts, &tid);
	c->umounts_closed++;
}

/*
 * umount(2) entry and exit, on the syscall's own function: a syscall
 * tracepoint would switch every task to the slow syscall path, a cost on
 * each open() and close() of the workload.
 */
static __always_inline int on_umount(const void *name, __s64 flags)
{
	struct mntlock_cpu *c = hit(PR_UMOUNT_ENTER);
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct mntlock_umount *r;

	if (!c || !pass())
		return 0;
	r = bpf_map_lookup_elem(&umounts, &tid);
	if (r)
		umount_close(c, tid, r, CL_NEXT_UMOUNT);
	if (bpf_map_update_elem(&umounts, &tid, &umount_zero, BPF_NOEXIST)) {
		c->umounts_full++;
		return 0;
	}
	r = bpf_map_lookup_elem(&umounts, &tid);
	if (!r)
		return 0;
	r->seq = __sync_fetch_and_add(&umount_seq, 1);
	r->tid = tid;
	r->pid = id >> 32;
	bpf_get_current_comm(r->comm, sizeof(r->comm));
	bpf_probe_read_user_str(r->target, sizeof(r->target), name);
	r->flags = flags;
	r->start_ns = bpf_ktime_get_ns();
	r->end_ns = r->start_ns;
	c->umounts_opened++;
	return 0;
}

static __always_inline int on_umount_ret(__s64 ret)
{
	struct mntlock_cpu *c = hit(PR_UMOUNT_EXIT);
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct mntlock_umount *r;

	if (!c)
		return 0;
	r = bpf_map_lookup_elem(&umounts, &tid);
	if (!r || r->sys_exit_ns)
		return 0;
	r->sys_exit_ns = bpf_ktime_get_ns();
	r->end_ns = r->sys_exit_ns;
	r->ret = ret;
	return 0;
}

/* The wrapper takes the user registers (attach target set at load) */
SEC("fentry/__x64_sys_umount")
int BPF_PROG(fe_umount, struct pt_regs *regs)
{
	return on_umount((const void *)PT_REGS_PARM1_CORE_SYSCALL(regs),
			 (__s64)(int)PT_REGS_PARM2_CORE_SYSCALL(regs));
}

SEC("fexit/__x64_sys_umount")
int BPF_PROG(fx_umount, struct pt_regs *regs, long ret)
{
	return on_umount_ret(ret);
}

SEC("kprobe/__x64_sys_umount")
int BPF_KSYSCALL(kp_umount, const char *name, int flags)
{
	return on_umount(name, flags);
}

SEC("kretprobe/__x64_sys_umount")
int BPF_KRETPROBE(kr_umount, long ret)
{
	return on_umount_ret(ret);
}

/*
 * The deferred teardown (task_work) runs before the task returns to user
 * space, so by the time it makes another syscall, or exits, its umount
 * is complete.  Closing on exit keeps the open-record map bounded by the
 * number of live tasks.
 */
SEC("tracepoint/sched/sched_process_exit")
int tp_task_exit(void *ctx)
{
	struct mntlock_cpu *c = hit(PR_TASK_EXIT);
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct mntlock_umount *r;

	if (!c)
		return 0;
	bpf_map_delete_elem(&tstates, &tid);
	r = bpf_map_lookup_elem(&umounts, &tid);
	if (r)
		umount_close(c, tid, r, CL_TASK_EXIT);
	return 0;
}

/* The reader side: path walks ------------------------------------------ */

/*
 * do_filp_open() walks with path_openat(.., LOOKUP_RCU) first and redoes
 * the whole walk in ref-walk mode when that returns -ECHILD, e.g. after
 * __legitimize_mnt() saw mount_lock's sequence move; filename_lookup()
 * does the same with path_lookupat().  The -ECHILD returns are counted
 * at the walks' own exits, whatever step gave up (try_to_unlazy(),
 * try_to_unlazy_next(), a permission check in RCU mode).  Return values
 * narrower than 64 bits are truncated here: the upper bits of the return
 * register are undefined.
 */
static __always_inline void walk_count(struct mntlock_cpu *c, __u32 all,
				       __u32 hit_if, bool cond)
{
	if (all < NR_WALK)
		c->walk[all]++;
	if (cond && hit_if < NR_WALK)
		c->walk[hit_if]++;
}

/*
 * Start time of the task's do_filp_open() and whether one of its walks
 * returned -ECHILD.  Opens sleep and move between CPUs: task storage,
 * which after the first open of a task is a lookup without locks.
 */
struct opentime {
	__u64 t0;
	__u32 armed;		/* an entry in the interval, no exit yet */
	__u32 restarted;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct opentime);
} opentimes SEC(".maps");

static __always_inline struct opentime *opentime_of(bool create)
{
	return bpf_task_storage_get(&opentimes, bpf_get_current_task_btf(), 0,
				    create ? BPF_LOCAL_STORAGE_GET_F_CREATE :
				    0);
}

/*
 * Each entry re-arms the timer: an exit that was missed (a kretprobe
 * out of instances) costs one open, not the task's later ones.  An open
 * nested in an open (firmware loading) is timed instead of the outer.
 */
static __always_inline int on_filp_open(bool btf)
{
	struct mntlock_cpu *c = hit(PR_FILP_OPEN);
	struct opentime *ot;

	if (!c || !pass_task(btf))
		return 0;
	c->walk[W_OPENS]++;
	if (!walk_time)
		return 0;
	ot = opentime_of(true);
	if (!ot) {
		c->open_untimed++;
		return 0;
	}
	ot->restarted = 0;
	ot->armed = 1;
	/* last: the walk starts right after this program */
	ot->t0 = bpf_ktime_get_ns();
	return 0;
}

static __always_inline int on_filp_open_ret(void)
{
	__u64 now = bpf_ktime_get_ns();
	struct mntlock_cpu *c = hit(PR_FILP_OPEN_RET);
	struct opentime *ot;
	__u32 k;

	if (!c)
		return 0;
	ot = opentime_of(false);
	if (!ot || !ot->armed)
		return 0;
	ot->armed = 0;
	k = ot->restarted ? OT_RESTARTED : OT_CLEAN;
	c->open_time[k].calls++;
	c->open_time[k].ns += now - ot->t0;
	return 0;
}

static __always_inline int on_openat_ret(__u64 ret, bool btf)
{
	struct mntlock_cpu *c = hit(PR_OPENAT_RET);
	bool echild = (long)ret == -ECHILD;
	struct opentime *ot;

	if (!c || !pass_task(btf))
		return 0;
	walk_count(c, W_OPENAT, W_OPEN_RESTARTS, echild);
	if (!echild || !walk_time)
		return 0;
	ot = opentime_of(false);
	if (ot && ot->armed)
		ot->restarted = 1;
	return 0;
}

static __always_inline int on_lookup(bool btf)
{
	struct mntlock_cpu *c = hit(PR_LOOKUP);

	if (c && pass_task(btf))
		c->walk[W_LOOKUPS]++;
	return 0;
}

static __always_inline int on_lookupat_ret(__u64 ret, bool btf)
{
	struct mntlock_cpu *c = hit(PR_LOOKUPAT_RET);

	if (c && pass_task(btf))
		walk_count(c, W_LOOKUPAT, W_LOOKUP_RESTARTS,
			   (int)ret == -ECHILD);
	return 0;
}

/* 1: mount_lock moved; -1: it moved while the mount was grabbed */
static __always_inline int on_legit_ret(__u64 ret, bool btf)
{
	struct mntlock_cpu *c = hit(PR_LEGIT_RET);

	if (c && pass_task(btf))
		walk_count(c, W_LEGIT, W_LEGIT_FAILED, (int)ret != 0);
	return 0;
}

static __always_inline int on_unlazy_ret(__u64 ret, bool btf)
{
	struct mntlock_cpu *c = hit(PR_UNLAZY_RET);

	if (c && pass_task(btf))
		walk_count(c, W_UNLAZY, W_UNLAZY_FAILED, !(__u8)ret);
	return 0;
}

SEC("fentry/do_filp_open")
int BPF_PROG(fe_filp_open)
{
	return on_filp_open(true);
}

SEC("fexit/do_filp_open")
int BPF_PROG(fx_filp_open)
{
	return on_filp_open_ret();
}

SEC("kprobe/do_filp_open")
int BPF_KPROBE(kp_filp_open)
{
	return on_filp_open(false);
}

SEC("kretprobe/do_filp_open")
int BPF_KRETPROBE(kr_filp_open)
{
	return on_filp_open_ret();
}

/* path_openat(nd, op, flags), returns a struct file * or ERR_PTR() */
SEC("fexit/path_openat")
int BPF_PROG(fx_openat, void *nd, void *op, __u64 flags, __u64 ret)
{
	return on_openat_ret(ret, true);
}

SEC("kretprobe/path_openat")
int BPF_KRETPROBE(kr_openat, __u64 ret)
{
	return on_openat_ret(ret, false);
}

SEC("fentry/filename_lookup")
int BPF_PROG(fe_lookup)
{
	return on_lookup(true);
}

SEC("kprobe/filename_lookup")
int BPF_KPROBE(kp_lookup)
{
	return on_lookup(false);
}

/* path_lookupat(nd, flags, path), returns 0 or -errno */
SEC("fexit/path_lookupat")
int BPF_PROG(fx_lookupat, void *nd, __u64 flags, void *path, __u64 ret)
{
	return on_lookupat_ret(ret, true);
}

SEC("kretprobe/path_lookupat")
int BPF_KRETPROBE(kr_lookupat, __u64 ret)
{
	return on_lookupat_ret(ret, false);
}

/* __legitimize_mnt(bastard, seq), returns 0, 1 or -1 */
SEC("fexit/__legitimize_mnt")
int BPF_PROG(fx_legit, void *mnt, __u64 seq, __u64 ret)
{
	return on_legit_ret(ret, true);
}

SEC("kretprobe/__legitimize_mnt")
int BPF_KRETPROBE(kr_legit, __u64 ret)
{
	return on_legit_ret(ret, false);
}

/* try_to_unlazy(nd), returns bool */
SEC("fexit/try_to_unlazy")
int BPF_PROG(fx_unlazy, void *nd, __u64 ret)
{
	return on_unlazy_ret(ret, true);
}

SEC("kretprobe/try_to_unlazy")
int BPF_KRETPROBE(kr_unlazy, __u64 ret)
{
	return on_unlazy_ret(ret, false);
}

/*
 * mount_lock's sequence, read by user space (BPF_PROG_TEST_RUN) when the
 * interval starts and when it ends: every write section adds 2, so the
 * difference counts the write sections of the whole system, with no
 * probe on the write side (lock_mount_hash() is inline).
 */
SEC("syscall")
int sc_mount_lock_seq(void *ctx)
{
	__u32 v;

	if (!mount_lock_seq_addr)
		return 1;
	if (bpf_probe_read_kernel(&v, sizeof(v), (void *)mount_lock_seq_addr))
		return 2;
	mount_lock_seq = v;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
