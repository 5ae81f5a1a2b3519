// SPDX-License-Identifier: GPL-2.0
/*
 * The private mount namespace, the scratch tmpfs and the layer tree.
 *
 * The tmpfs is mounted on a fresh mkdtemp() directory under /tmp, inside
 * a private mount namespace, so no mount is ever visible on the host and
 * every mount goes away with the last ovlbench process, even on SIGKILL.
 * The directory is removed at exit; only after SIGKILL can an empty
 * /tmp/ovlbench.XXXXXX remain.  Mounting over /tmp itself would leave
 * nothing behind but would hide the host's /tmp from --output and from
 * the layers' users, so it is not done.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "ovlbench.h"
#include "layers.h"
#include "util.h"

static char root[] = "/tmp/ovlbench.XXXXXX";
static pid_t owner;
static int state;	/* 1: directory made, 2: tmpfs mounted */

const char *scratch_root(void)
{
	return root;
}

void scratch_cleanup(void)
{
	if (!state || getpid() != owner)
		return;
	if (chdir("/"))
		return;
	if (state == 2 && umount2(root, MNT_DETACH))
		fprintf(stderr, "ovlbench: umount %s: %s\n", root,
			strerror(errno));
	if (rmdir(root))
		fprintf(stderr, "ovlbench: rmdir %s: %s\n", root,
			strerror(errno));
	state = 0;
}

static void xmkdir(const char *path)
{
	if (mkdir(path, 0755) && errno != EEXIST)
		die(EXIT_MOUNT, "mkdir %s/%s: %s", root, path, strerror(errno));
}

void scratch_setup(void)
{
	if (unshare(CLONE_NEWNS))
		die(EXIT_MOUNT, "unshare(CLONE_NEWNS): %s", strerror(errno));
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		die(EXIT_MOUNT, "making / private: %s", strerror(errno));
	if (!mkdtemp(root))
		die(EXIT_MOUNT, "mkdtemp %s: %s", root, strerror(errno));
	owner = getpid();
	state = 1;
	atexit(scratch_cleanup);
	if (mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755"))
		die(EXIT_MOUNT, "mount tmpfs on %s: %s", root, strerror(errno));
	state = 2;
	if (chdir(root))
		die(EXIT_MOUNT, "chdir %s: %s", root, strerror(errno));
	xmkdir("l");
	xmkdir("u");
	xmkdir("w");
	xmkdir("c");
	xmkdir("m");
	xmkdir("m2");
}

/* Lower layers 0..nlayers-1, upper/work slots and churn mount points */
void layers_create(unsigned int nlayers, unsigned int nslots)
{
	char path[32];
	unsigned int i;

	for (i = 0; i < nlayers; i++) {
		snprintf(path, sizeof(path), "l/%u", i);
		xmkdir(path);
	}
	for (i = 0; i < nslots; i++) {
		snprintf(path, sizeof(path), "c/%u", i);
		xmkdir(path);
		if (!opt.upper)
			continue;
		snprintf(path, sizeof(path), "u/%u", i);
		xmkdir(path);
		snprintf(path, sizeof(path), "w/%u", i);
		xmkdir(path);
	}
}

/* What the target file holds when read through an overlay of nlayers */
const char *layer_name(unsigned int nlayers)
{
	static char name[32];

	if (opt.file_layer == FL_UPPER)
		return "upper";
	snprintf(name, sizeof(name), "lower%u",
		 opt.file_layer == FL_TOP ? 0 : nlayers - 1);
	return name;
}

static void write_files(const char *dir, const char *name, unsigned int n)
{
	char buf[FILE_SIZE], path[48];
	unsigned int i;
	int fd;

	memset(buf, '\n', sizeof(buf));
	memcpy(buf, name, strlen(name));
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/f%u", dir, i);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || write(fd, buf, sizeof(buf)) != sizeof(buf))
			die(EXIT_MOUNT, "writing %s/%s: %s", root, path,
			    strerror(errno));
		close(fd);
	}
}

/*
 * Put f0..f<nfiles-1> in the chosen layer, and f0 also in every layer
 * below it, each copy holding its own layer's name, so that reading f0
 * through the overlay shows which layer won.
 */
void files_place(unsigned int nlayers, unsigned int nfiles)
{
	unsigned int first = opt.file_layer == FL_BOTTOM ? nlayers - 1 : 0;
	char dir[16], name[16];
	unsigned int i;

	if (opt.file_layer == FL_UPPER)
		write_files("u/0", "upper", nfiles);
	for (i = first; i < nlayers; i++) {
		snprintf(dir, sizeof(dir), "l/%u", i);
		snprintf(name, sizeof(name), "lower%u", i);
		write_files(dir, name, opt.file_layer != FL_UPPER &&
			    i == first ? nfiles : 1);
	}
}

/*
 * collateral's victims: f0..f<nfiles-1> on a tmpfs of their own on v,
 * which is no layer of any overlay; it goes with the scratch tmpfs.
 */
void victims_setup(unsigned int nfiles)
{
	xmkdir("v");
	if (mount("tmpfs", "v", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755"))
		die(EXIT_MOUNT, "mount tmpfs on %s/v: %s", root,
		    strerror(errno));
	write_files("v", "victim", nfiles);
}

void files_remove(unsigned int nlayers, unsigned int nfiles)
{
	char path[48];
	unsigned int i, j;

	for (j = 0; j < nfiles; j++) {
		snprintf(path, sizeof(path), "u/0/f%u", j);
		unlink(path);
		for (i = 0; i < nlayers; i++) {
			snprintf(path, sizeof(path), "l/%u/f%u", i, j);
			unlink(path);
		}
	}
}
