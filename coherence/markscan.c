// SPDX-License-Identifier: GPL-2.0
/*
 * markscan FILE...: where the coherence markers (lib/coherence_marks.h)
 * occur in each file, e.g. a vmlinux or the binaries a guest runs: a
 * marker that anything but a marked program executes would cut ops in
 * the wrong places.  Prints "FILE: N" and then each offset and kind.
 * Exit status: 0 done, 2 a file could not be read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coherence_marks.h"

static const char prefix[] = COHERENCE_MARK_PREFIX;

static int scan(const char *path)
{
	unsigned char buf[1 << 16];
	unsigned char win[COHERENCE_MARK_LEN] = { 0 };
	unsigned long long off = 0, hits = 0;
	size_t n, i, have = 0;
	FILE *f = fopen(path, "rb");

	if (!f) {
		fprintf(stderr, "markscan: %s: %s\n", path, strerror(errno));
		return -1;
	}
	/* a sliding window of the last 8 bytes, across buffer ends */
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		for (i = 0; i < n; i++, off++) {
			memmove(win, win + 1, COHERENCE_MARK_LEN - 1);
			win[COHERENCE_MARK_LEN - 1] = buf[i];
			if (have < COHERENCE_MARK_LEN)
				have++;
			if (have == COHERENCE_MARK_LEN &&
			    !memcmp(win, prefix, sizeof(prefix) - 1) &&
			    win[7] >= COHERENCE_MARK_OP &&
			    win[7] <= COHERENCE_MARK_CLOSE) {
				hits++;
				printf("  0x%llx kind 0x%02x\n",
				       off + 1 - COHERENCE_MARK_LEN, win[7]);
			}
		}
	}
	if (ferror(f)) {
		fprintf(stderr, "markscan: %s: read error\n", path);
		fclose(f);
		return -1;
	}
	fclose(f);
	printf("%s: %llu\n", path, hits);
	return 0;
}

int main(int argc, char **argv)
{
	int i, bad = 0;

	if (argc < 2) {
		fputs("usage: markscan FILE...\n", stderr);
		return 2;
	}
	for (i = 1; i < argc; i++)
		bad |= scan(argv[i]) != 0;
	return bad ? 2 : 0;
}
