// SPDX-License-Identifier: GPL-2.0
/*
 * The work, once the options are known: check the system, build the
 * scratch tree, then for each layer count mount the overlay, run the
 * tasks, sample them and unmount; finally write the JSON and a summary.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "ovlbench.h"
#include "layers.h"
#include "mountapi.h"
#include "report.h"
#include "run.h"
#include "sample.h"
#include "tasks.h"
#include "util.h"
#include "workload.h"

static bool has_overlay(const char *path)
{
	char line[256];
	bool found = false;
	FILE *f = fopen(path, "re");

	while (f && !found && fgets(line, sizeof(line), f))
		found = !strcmp(line, "nodev\toverlay\n") ||
			!strcmp(line, "\toverlay\n");
	if (f)
		fclose(f);
	return found;
}

/* overlay in /proc/filesystems, loading the module if need be */
static void check_overlay(void)
{
	const char *path = getenv("OVLBENCH_PROC_FILESYSTEMS");
	int status;
	pid_t pid;

	if (!path)
		path = "/proc/filesystems";
	if (has_overlay(path))
		return;
	pid = fork();
	if (!pid) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 1);
		dup2(null, 2);
		execlp("modprobe", "modprobe", "overlay", NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
	if (!has_overlay(path))
		die(EXIT_NOOVL,
		    "overlay: not in %s and modprobe overlay did not add it; this kernel needs CONFIG_OVERLAY_FS",
		    path);
}

/* --check: which layer does task 0's file come from? */
static void check_read(struct run *r)
{
	const char *want = layer_name(r->nlayers);
	char buf[64] = "";
	ssize_t n;
	int fd;

	fd = open("m/f0", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die(EXIT_MOUNT, "open %s/m/f0: %s", scratch_root(),
		    strerror(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	printf("layers=%u file_layer=%s mount_api=%s overlay_mode=%s content=%s\n",
	       r->nlayers, file_layer_names[opt.file_layer], r->api, r->mode,
	       buf);
	fflush(stdout);
	if (strcmp(buf, want))
		die(EXIT_INTERNAL, "check: read \"%s\" through the overlay, expected \"%s\"",
		    buf, want);
}

#define SWITCH "/sys/module/overlay/parameters/private_mounts"

/* Select the mode of overlays mounted from now on */
static void write_switch(const char *mode)
{
	int fd = open(SWITCH, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		die(EXIT_NOOVL, "--pair-modes: %s: %s (this kernel has no private_mounts switch)",
		    SWITCH, strerror(errno));
	n = write(fd, mode, strlen(mode));
	close(fd);
	if (n < 0)
		die(EXIT_USAGE, "--pair-modes: mode %s: %s (see %s)", mode,
		    strerror(errno), SWITCH);
}

static char *read_switch(void)
{
	char buf[64] = "";
	ssize_t n;
	int fd = open(SWITCH, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		die(EXIT_NOOVL, "--pair-modes: %s: %s (this kernel has no private_mounts switch)",
		    SWITCH, strerror(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return xstrdup(buf);
}

/*
 * Overlay B of a paired run, on m2: the same lower layers, the other mode;
 * then the switch goes back to what it was before overlay A.
 */
static void mount_pair(struct run *r, unsigned int nlayers, char *orig)
{
	struct ovl_req req;
	char err[1024];

	ovl_req_init(&req, nlayers, -1, "m2");
	write_switch(opt.pair[1]);
	if (ovl_mount(&req, err, sizeof(err)))
		die(EXIT_MOUNT, "mounting a %u-layer overlay on %s/m2: %s",
		    nlayers, scratch_root(), err);
	write_switch(orig);
	ovl_req_free(&req);
	free(orig);
	r->mode2 = ovl_mode("m2");
	if (strcmp(r->mode, opt.pair[0]) || strcmp(r->mode2, opt.pair[1]))
		die(EXIT_MOUNT, "--pair-modes=%s,%s: the overlays have modes %s and %s",
		    opt.pair[0], opt.pair[1], r->mode, r->mode2);
}

static void setup_tasks(struct run *r)
{
	bool shared = opt.wl->flags & WL_SHARED_FILE;
	unsigned int i;
	char *path;

	r->tasks = xcalloc(r->ntasks, sizeof(*r->tasks));
	for (i = 0; i < r->ntasks; i++) {
		struct task *t = &r->tasks[i];

		t->id = i;
		t->cpu = opt.cpus[i % opt.ncpus];
		t->role = workload_role(opt.wl, i, r->ntasks, opt.victims);
		t->run = opt.marks ? marked_loop : opt.wl->run;
		t->read_size = opt.read_size;
		t->ops = opt.ops ? opt.ops : ULONG_MAX;
		if (t->role == ROLE_CHURN) {
			if (asprintf(&path, "c/%u", i) < 0)
				die(EXIT_INTERNAL, "out of memory");
			ovl_req_init(&t->req, r->nlayers,
				     opt.upper ? (int)i + 1 : -1, path);
			free(path);
			t->path = t->req.target;
		} else if (role_is_victim(t->role)) {
			if (asprintf(&path, "%s/f%u", r->victim_dir, i) < 0)
				die(EXIT_INTERNAL, "out of memory");
			t->path = path;
			t->comm = VICTIM_COMM;
		} else if (opt.target) {
			t->path = opt.target;
		} else {
			if (asprintf(&path, "%s/m/f%u", scratch_root(),
				     shared ? 0 : i) < 0)
				die(EXIT_INTERNAL, "out of memory");
			t->path = path;
		}
		t->paths[0] = t->path;
		t->paths[1] = t->path;
		if (opt.pair[0]) {
			if (asprintf(&path, "%s/m2/f%u", scratch_root(),
				     shared ? 0 : i) < 0)
				die(EXIT_INTERNAL, "out of memory");
			t->paths[1] = path;
		}
	}
}

static void run_one(struct run *r, unsigned int nlayers)
{
	char *orig = NULL;
	struct ovl_req req;
	bool mounted = false;
	char err[1024];
	int status, stuck;
	unsigned int i;

	r->nlayers = nlayers;
	r->ntasks = opt.ntasks;
	if ((opt.wl->flags & WL_VICTIMS) &&
	    asprintf(&r->victim_dir, "%s/v", scratch_root()) < 0)
		die(EXIT_INTERNAL, "out of memory");
	if (opt.wl->flags & WL_NO_OVERLAY) {
		r->mode = xstrdup("not-overlay");
		r->api = "none";
	} else if (opt.target) {
		r->mode = ovl_mode(opt.target);
		r->api = "none";
	} else {
		files_place(nlayers, opt.ntasks);
		ovl_req_init(&req, nlayers, opt.upper ? 0 : -1, "m");
		if (opt.pair[0]) {
			orig = read_switch();
			write_switch(opt.pair[0]);
		}
		if (ovl_mount(&req, err, sizeof(err)))
			die(EXIT_MOUNT, "mounting a %u-layer overlay on %s/m: %s",
			    nlayers, scratch_root(), err);
		ovl_req_free(&req);
		mounted = true;
		r->mode = ovl_mode("m");
		r->api = ovl_api_name();
		if (opt.pair[0])
			mount_pair(r, nlayers, orig);
	}
	if (opt.check)
		check_read(r);
	if (mounted && (opt.check || !workload_has_load(opt.wl, r->ntasks))) {
		if (umount2("m", 0))
			die(EXIT_MOUNT, "umount %s/m: %s", scratch_root(),
			    strerror(errno));
		mounted = false;
	}
	check_signal();
	if (opt.check)
		goto out;

	setup_tasks(r);
	tasks_start(r);
	status = sample_run(r);
	stuck = tasks_stop(r, status != RUN_OK);
	for (i = 0; opt.wl->cleanup && i < r->ntasks; i++)
		opt.wl->cleanup(&r->tasks[i]);
	check_signal();
	if (status == RUN_FAILED || stuck)
		die(EXIT_TASK, "%s; all tasks stopped, no output written",
		    r->failure);
	tasks_collect(r);
	if (mounted && umount2("m", 0))
		die(EXIT_MOUNT, "umount %s/m: %s", scratch_root(),
		    strerror(errno));
	if (mounted && opt.pair[0] && umount2("m2", 0))
		die(EXIT_MOUNT, "umount %s/m2: %s", scratch_root(),
		    strerror(errno));
out:
	if (!opt.target)
		files_remove(nlayers, opt.ntasks);
}

/* Exit EXIT_NA if this kernel lacks what the workload needs */
static void probe_workload(void)
{
	const char *what = "";
	struct utsname u;
	int err;

	if (!opt.wl->probe)
		return;
	err = opt.wl->probe(&what);
	if (!err)
		return;
	uname(&u);
	die(EXIT_NA, "workload %s: n/a on Linux %s: %s: %s; no output written",
	    opt.wl->name, u.release, what, strerror(err));
}

int run_main(void)
{
	struct run *runs = xcalloc(opt.nruns, sizeof(*runs));
	unsigned int i, max = 0;

	signals_init();
	probe_workload();
	if (!opt.target) {
		if (geteuid())
			die(EXIT_ROOT, "must run as root to mount (euid %u); or use --target",
			    geteuid());
		check_overlay();
		scratch_setup();
		for (i = 0; i < opt.nruns; i++)
			max = opt.layers[i] > max ? opt.layers[i] : max;
		layers_create(max, opt.ntasks + 1);
		if ((opt.wl->flags & WL_VICTIMS) && !opt.check)
			victims_setup(opt.ntasks);
	}
	for (i = 0; i < opt.nruns; i++)
		run_one(&runs[i], opt.target ? 0 : opt.layers[i]);
	scratch_cleanup();
	if (opt.check)
		return 0;
	report_write(runs, opt.nruns);
	check_signal();
	if (!opt.quiet)
		report_summary(stderr, runs, opt.nruns);
	return 0;
}
