// SPDX-License-Identifier: GPL-2.0
/*
 * coherence.so: a QEMU TCG plugin (API version 1) that records, per vCPU
 * and per physical 64-byte line, which ops touch and write each line,
 * inside a window the guest opens and closes with marker instructions
 * (lib/coherence_marks.h).  Usage:
 *
 *	qemu-system-x86_64 ... -plugin coherence.so,dir=DIR
 *
 * DIR must exist; each window is written to DIR/window-N.json.  MMIO is
 * left out.  The hot path touches only its own vCPU's tables, so the
 * plugin is safe under MTTCG; a closing window waits for the others.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coherence_marks.h"
#include "qemu_plugin_api.h"
#include "window.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

static const char mark_prefix[] = COHERENCE_MARK_PREFIX;

/* Markers run while no window was open, over the whole QEMU run */
static uint64_t stray_marks;

/*
 * The instruction's address and whether it has a %gs prefix (the
 * kernel's per-CPU accesses) in one pointer-sized word: bit 62 of a
 * canonical address equals bit 63, so a flipped bit 62 is the flag.
 */
#define GS_BIT		(1ull << 62)

static void *site_word(uint64_t pc, bool gs)
{
	return (void *)(uintptr_t)(gs ? pc ^ GS_BIT : pc);
}

static uint64_t site_pc(uint64_t w, bool *gs)
{
	*gs = !(w >> 63) != !(w & GS_BIT);
	return *gs ? w ^ GS_BIT : w;
}

static bool has_gs_prefix(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		switch (p[i]) {
		case 0x65:
			return true;
		case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64:
		case 0x66: case 0x67: case 0xf0: case 0xf2: case 0xf3:
			continue;
		default:
			return false;
		}
	}
	return false;
}

/* The marker's kind byte, or -1 */
static int mark_kind(const unsigned char *p, size_t n)
{
	if (n != COHERENCE_MARK_LEN ||
	    memcmp(p, mark_prefix, sizeof(mark_prefix) - 1))
		return -1;
	if (p[7] < COHERENCE_MARK_OP || p[7] > COHERENCE_MARK_CLOSE)
		return -1;
	return p[7];
}

/* Entered with the window open: false if it closed meanwhile */
static bool enter(struct vcpu *v)
{
	__atomic_store_n(&v->busy, v->busy + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return __atomic_load_n(&win.open, __ATOMIC_RELAXED);
}

static void leave(struct vcpu *v)
{
	__atomic_store_n(&v->busy, v->busy + 1, __ATOMIC_RELEASE);
}

static void on_mem(unsigned int cpu, qemu_plugin_meminfo_t info,
		   uint64_t vaddr, void *udata)
{
	struct vcpu *v = &win.vcpus[cpu];
	struct qemu_plugin_hwaddr *hw;
	uint64_t pc;
	bool gs;

	if (!__atomic_load_n(&win.open, __ATOMIC_RELAXED) || !v->in_op)
		return;
	if (enter(v) && v->in_op) {
		hw = qemu_plugin_get_hwaddr(info, vaddr);
		if (hw && !qemu_plugin_hwaddr_is_io(hw)) {
			pc = site_pc((uintptr_t)udata, &gs);
			vcpu_access(v, qemu_plugin_hwaddr_phys_addr(hw), vaddr,
				    1u << qemu_plugin_mem_size_shift(info),
				    qemu_plugin_mem_is_store(info), pc, gs);
		}
	}
	leave(v);
}

static void on_mark(unsigned int cpu, void *udata)
{
	struct vcpu *v = &win.vcpus[cpu];
	int kind = (int)(uintptr_t)udata;

	if (kind == COHERENCE_MARK_OPEN) {
		window_open();
		return;
	}
	if (!enter(v)) {
		__atomic_add_fetch(&stray_marks, 1, __ATOMIC_RELAXED);
		leave(v);
		return;
	}
	if (v->window != win.id)
		vcpu_reset(v, win.id);
	switch (kind) {
	case COHERENCE_MARK_OP:
		if (v->in_op)
			vcpu_commit_op(v);
		v->in_op = true;
		break;
	case COHERENCE_MARK_DONE:
		if (v->in_op)
			vcpu_commit_op(v);
		v->in_op = false;
		break;
	case COHERENCE_MARK_CLOSE:
		if (v->in_op)
			vcpu_drop_op(v);
		v->in_op = false;
		window_close(cpu);
		break;
	}
	leave(v);
}

static void on_tb(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t i, n = qemu_plugin_tb_n_insns(tb);
	struct qemu_plugin_insn *insn;
	const unsigned char *p;
	size_t len;
	int kind;

	(void)id;
	for (i = 0; i < n; i++) {
		insn = qemu_plugin_tb_get_insn(tb, i);
		p = qemu_plugin_insn_data(insn);
		len = qemu_plugin_insn_size(insn);
		kind = mark_kind(p, len);
		if (kind >= 0) {
			qemu_plugin_register_vcpu_insn_exec_cb(
				insn, on_mark, QEMU_PLUGIN_CB_NO_REGS,
				(void *)(uintptr_t)kind);
			continue;
		}
		qemu_plugin_register_vcpu_mem_cb(
			insn, on_mem, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_RW,
			site_word(qemu_plugin_insn_vaddr(insn),
				  has_gs_prefix(p, len)));
	}
}

static void at_exit(qemu_plugin_id_t id, void *udata)
{
	char msg[160];

	(void)id;
	(void)udata;
	if (!win.failed && !win.open && !stray_marks)
		return;
	snprintf(msg, sizeof(msg),
		 "coherence: %u windows written, %u failed%s, %llu markers outside a window\n",
		 win.written, win.failed,
		 win.open ? ", the last one never closed" : "",
		 (unsigned long long)stray_marks);
	qemu_plugin_outs(msg);
}

static int fail(const char *why, const char *arg)
{
	fprintf(stderr, "coherence: %s%s%s\n", why, arg ? ": " : "",
		arg ? arg : "");
	return -1;
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
					   const qemu_info_t *info,
					   int argc, char **argv)
{
	const char *dir = NULL;
	int i;

	if (info->version.min > QEMU_PLUGIN_VERSION ||
	    info->version.cur < QEMU_PLUGIN_VERSION)
		return fail("plugin API version 1 is not supported", NULL);
	if (!info->system_emulation || strcmp(info->target_name, "x86_64"))
		return fail("needs qemu-system-x86_64, not",
			    info->target_name);
	for (i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "dir=", 4))
			dir = argv[i] + 4;
		else
			return fail("unknown argument (allowed: dir=DIR)",
				    argv[i]);
	}
	if (!dir || !*dir)
		return fail("dir=DIR is required", NULL);
	win.dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (win.dirfd < 0)
		return fail(strerror(errno), dir);
	win.nvcpus = info->system.max_vcpus;
	win.vcpus = aligned_alloc(128, win.nvcpus * sizeof(*win.vcpus));
	if (!win.vcpus)
		return fail("out of memory", NULL);
	memset(win.vcpus, 0, win.nvcpus * sizeof(*win.vcpus));
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_tb);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
