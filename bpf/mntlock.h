/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Layout shared by mntlock.bpf.c (kernel side) and mntlock.c
 * (user side).  Only fixed-size types: the BPF side includes vmlinux.h,
 * the user side <linux/types.h>.
 */
#ifndef MNTLOCK_H
#define MNTLOCK_H

#define MNTLOCK_COMM_LEN	16
#define MNTLOCK_TARGET_LEN	64
/* Overlay layers read per superblock: OVL_MAX_STACK lower + upper */
#define MNTLOCK_MAX_LAYERS	501
/* Per-umount records kept; a power of two, the ring index is masked */
#define MNTLOCK_RING		1024
/* log2 histogram slots: slot k counts values in [2^k, 2^(k+1)) */
#define MNTLOCK_HIST_SLOTS	40
/* Nesting depth of the per-CPU entry/exit stacks (task, softirq, hardirq) */
#define MNTLOCK_FRAMES		4
/* A filesystem type's name (file_system_type.name), NUL-padded */
#define MNTLOCK_FSTYPE_LEN	32
/* (filesystem type, mount state) pairs counted; a few dozen are used */
#define MNTLOCK_BYMOUNT		1024

/*
 * One hit counter per BPF program, counted before any filter, so that
 * --list can show that each probe fires.  The kprobe and the fentry
 * variant of a probe share an index: only one of them is ever loaded.
 */
enum mntlock_prog {
	PR_MNTPUT,
	PR_MNTPUT_RET,
	PR_SLOWPUT,
	PR_LOCK,
	PR_LOCK_RET,
	PR_LOCK_PV,
	PR_LOCK_PV_RET,
	PR_CONT_BEGIN,
	PR_CONT_END,
	PR_CLONE_RET,
	PR_OVL_SHOW,
	PR_CLEANUP,
	PR_CLEANUP_RET,
	PR_OVL_FREE,
	PR_OVL_FREE_RET,
	PR_KUA,
	PR_KUA_RET,
	PR_KU,
	PR_KU_RET,
	PR_SYNC_RCU,
	PR_SYNC_RCU_RET,
	PR_SYNC_RCU_EXP,
	PR_SYNC_RCU_EXP_RET,
	PR_UMOUNT_ENTER,
	PR_UMOUNT_EXIT,
	PR_TASK_EXIT,
	PR_FILP_OPEN,		/* the reader side: path walks */
	PR_FILP_OPEN_RET,
	PR_OPENAT_RET,
	PR_LOOKUP,
	PR_LOOKUPAT_RET,
	PR_LEGIT_RET,
	PR_UNLAZY_RET,
	PR_MLSEQ,		/* mount_lock's sequence, read at start and end */
	NR_PROGS,
};

/* What mntput() found in mnt_ns, i.e. which path mntput_no_expire took */
enum mntlock_ns {
	NS_MNT,		/* in a namespace: lockless fast path */
	NS_INTERNAL,	/* MNT_NS_INTERNAL (longterm): lockless fast path */
	NS_NULL,	/* NULL (detached): mount_lock slow path */
	NR_NS,
};

enum mntlock_scope {
	SC_ALL,		/* every mount */
	SC_LAYER,	/* private clones made by clone_private_mount() */
	NR_SCOPES,
};

/* Teardown functions timed per call */
enum mntlock_tfn {
	TF_OVL_FREE_FS,
	TF_KERN_UNMOUNT_ARRAY,
	TF_KERN_UNMOUNT,
	TF_CLEANUP_MNT,
	NR_TFN,
};

enum mntlock_gp_kind {
	GP_RCU,		/* synchronize_rcu() */
	GP_RCU_EXP,	/* synchronize_rcu_expedited() */
	NR_GP_KIND,
};

/* Where a grace period was waited for */
enum mntlock_gp_where {
	GW_OVL,		/* inside ovl_free_fs() */
	GW_UMOUNT,	/* outside it, by a task inside an umount record */
	GW_OTHER,	/* anyone else */
	NR_GP_WHERE,
};

enum mntlock_hist_id {
	H_MNTPUT_FAST,	/* NS_MNT and NS_INTERNAL */
	H_MNTPUT_SLOW,	/* NS_NULL */
	H_LOCK_WAIT,	/* queued_spin_lock_slowpath on &mount_lock.lock */
	H_CONT_WAIT,	/* lock:contention_begin .. end on that lock */
	NR_HISTS,
};

/*
 * The reader side of mount_lock: RCU path walks that fail to legitimize
 * their mounts after a write section and are redone in ref-walk mode.
 */
enum mntlock_walk {
	W_OPENS,		/* do_filp_open() calls */
	W_OPENAT,		/* path_openat() calls */
	W_OPEN_RESTARTS,	/* path_openat() returned -ECHILD */
	W_LOOKUPS,		/* filename_lookup() calls */
	W_LOOKUPAT,		/* path_lookupat() calls */
	W_LOOKUP_RESTARTS,	/* path_lookupat() returned -ECHILD */
	W_LEGIT,		/* __legitimize_mnt() calls */
	W_LEGIT_FAILED,		/* ... that returned non-zero */
	W_UNLAZY,		/* try_to_unlazy() calls */
	W_UNLAZY_FAILED,	/* ... that returned false */
	NR_WALK,
};

/* Timed do_filp_open() calls, by whether the walk was redone */
enum mntlock_open_kind {
	OT_CLEAN,		/* no path_openat() returned -ECHILD */
	OT_RESTARTED,
	NR_OT,
};

/* Why an umount record was closed */
enum mntlock_close {
	CL_OPEN,	/* still open when mntlock stopped */
	CL_NEXT_UMOUNT,	/* the same task started another umount */
	CL_TASK_EXIT,	/* the task exited */
};

struct mntlock_calls {
	__u64 calls;
	__u64 ns;
};

/* Per-CPU counters: one element of a BPF_MAP_TYPE_PERCPU_ARRAY */
struct mntlock_cpu {
	__u64 hits[NR_PROGS];
	__u64 mntput[NR_SCOPES][NR_NS];
	/*
	 * mnt_get_count() calls: mntput()'s slow path (and, on "all",
	 * umount's busy checks).  Counted without --all-puts as well.
	 */
	__u64 slowput[NR_SCOPES];
	__u64 mntput_null_arg;		/* mntput(NULL): returns at once */
	__u64 mntput_unpaired;		/* exits without a matching entry */
	__u64 lock_slowpath;		/* slowpath entries on mount_lock */
	__u64 lock_unpaired;
	__u64 cont_begin;
	__u64 cont_end;
	__u64 cont_unpaired;
	__u64 layers_added;
	__u64 layers_removed;
	__u64 layers_full;		/* layer map full: clone not tracked */
	struct mntlock_calls tfn[NR_TFN];
	struct mntlock_calls gp[NR_GP_WHERE][NR_GP_KIND];
	__u64 umounts_opened;
	__u64 umounts_closed;
	__u64 umounts_full;		/* record map full: umount not tracked */
	__u64 tstate_full;		/* task state map full */
	__u64 walk[NR_WALK];
	struct mntlock_calls open_time[NR_OT];
	__u64 open_untimed;		/* no task storage for the timing */
	__u64 bymount_full;		/* a put not broken down: map full */
	/*
	 * Slow puts of the last (type, state) this CPU saw, not yet in the
	 * bymount hash (report.c adds them): a run of slow puts of one
	 * mount costs a compare each, not a hash lookup.  Not sums.
	 */
	__u64 bm_fstype;		/* 0: none yet */
	__u64 bm_state;
	__u64 bm_slow;
};

/*
 * mntput() by filesystem type and mount state: a per-CPU hash keyed by
 * the superblock's struct file_system_type * (the name is read once,
 * when a key is first seen on a CPU) and enum mntlock_ns.
 */
struct mntlock_bymount_key {
	__u64 fstype;
	__u32 state;			/* enum mntlock_ns */
	__u32 pad;
};

struct mntlock_bymount {
	char name[MNTLOCK_FSTYPE_LEN];	/* empty on a CPU that never saw it */
	__u64 slow;			/* mnt_get_count() calls: slow puts */
	__u64 all;			/* mntput() calls (--all-puts) */
};

struct mntlock_hist {
	__u64 slots[MNTLOCK_HIST_SLOTS];
	__u64 count;
	__u64 sum;
	__u64 max;
};

/* One umount(2), from syscall entry to the end of its deferred teardown */
struct mntlock_umount {
	__u64 seq;			/* order of opening */
	__u32 tid;
	__u32 pid;
	char comm[MNTLOCK_COMM_LEN];
	char target[MNTLOCK_TARGET_LEN];
	__s64 flags;
	__s64 ret;
	__u64 start_ns;			/* bpf_ktime_get_ns() at sys_enter */
	__u64 sys_exit_ns;		/* at sys_exit, 0 while inside */
	__u64 end_ns;			/* last teardown step seen */
	__u32 closed_by;		/* enum mntlock_close */
	__u32 ovl_after_exit;		/* ovl_free_fs ran after sys_exit */
	struct mntlock_calls tfn[NR_TFN];
	/* [0]: inside ovl_free_fs, [1]: outside it */
	struct mntlock_calls gp[2][NR_GP_KIND];
};

#endif /* MNTLOCK_H */
