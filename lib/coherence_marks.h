/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The marker instructions that the coherence plugin (coherence/) reads at
 * translation time, and that a marked guest program executes.
 *
 * A marker is the 8-byte hint NOP "nopl disp32(%rax,%rax,1)" (0f 1f 84
 * 00 + disp32): architecturally a no-op (0f 1f /0 never touches memory),
 * with the displacement "mnt" + a kind byte, which no compiler emits
 * (padding NOPs carry a zero displacement).  coherence/markscan checks a
 * kernel image or binary for the pattern: docs and tests run it.
 */
#ifndef LIB_COHERENCE_MARKS_H
#define LIB_COHERENCE_MARKS_H

#define COHERENCE_MARK_LEN	8
/*
 * The first 7 bytes, as the plugin compares them and as the assembler
 * emits them: the same bytes twice, which the controls' exact counts in
 * the tests check against each other.
 */
#define COHERENCE_MARK_PREFIX	"\x0f\x1f\x84\x00\x6d\x6e\x74"
#define COHERENCE_MARK_ASM	".byte 0x0f,0x1f,0x84,0x00,0x6d,0x6e,0x74,"

/* The kind byte */
#define COHERENCE_MARK_OP	0x30	/* an op boundary on this vCPU */
#define COHERENCE_MARK_DONE	0x31	/* this vCPU's ops are over */
#define COHERENCE_MARK_OPEN	0x32	/* the window opens */
#define COHERENCE_MARK_CLOSE	0x33	/* the window closes, is written */

#define __COHERENCE_STR(x)	#x
#define COHERENCE_STR(x)	__COHERENCE_STR(x)

/* The kind byte must be in the instruction: one function per kind */
static inline void coherence_mark_op(void)
{
	__asm__ volatile(COHERENCE_MARK_ASM COHERENCE_STR(COHERENCE_MARK_OP)
			 ::: "memory");
}

static inline void coherence_mark_done(void)
{
	__asm__ volatile(COHERENCE_MARK_ASM COHERENCE_STR(COHERENCE_MARK_DONE)
			 ::: "memory");
}

static inline void coherence_mark_open(void)
{
	__asm__ volatile(COHERENCE_MARK_ASM COHERENCE_STR(COHERENCE_MARK_OPEN)
			 ::: "memory");
}

static inline void coherence_mark_close(void)
{
	__asm__ volatile(COHERENCE_MARK_ASM COHERENCE_STR(COHERENCE_MARK_CLOSE)
			 ::: "memory");
}

#endif /* LIB_COHERENCE_MARKS_H */
