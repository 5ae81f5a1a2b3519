// SPDX-License-Identifier: GPL-2.0
/*
 * Mounting an overlay: the new mount API (fsopen, one fsconfig
 * "lowerdir+" per layer, fsmount, move_mount) through syscall(), or
 * mount(2) with a "lowerdir=a:b:c" string where "lowerdir+" is missing
 * (Linux < 6.8), overlay has no fs_context (< 6.5) or fsopen() is missing.  The mount(2) string must fit in a page;
 * layer paths are short and relative to the scratch root to make it fit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "ovlbench.h"
#include "mountapi.h"
#include "util.h"

static char lower[OVL_MAX_STACK][8];	/* "l/0" .. "l/499" */
static char *opt_key[MAX_OVL_OPTS], *opt_val[MAX_OVL_OPTS];
static enum mount_api api_used;

const char *ovl_api_name(void)
{
	return api_used == API_LEGACY ? "legacy" : "new";
}

static void setup_once(void)
{
	unsigned int i;
	char *eq;

	if (lower[0][0])
		return;
	for (i = 0; i < OVL_MAX_STACK; i++)
		snprintf(lower[i], sizeof(lower[i]), "l/%u", i);
	for (i = 0; i < opt.novl_opts; i++) {
		opt_key[i] = xstrdup(opt.ovl_opts[i]);
		eq = strchr(opt_key[i], '=');
		if (eq) {
			*eq = '\0';
			opt_val[i] = eq + 1;
		}
	}
	api_used = opt.api;
}

/* slot < 0: no upper layer */
void ovl_req_init(struct ovl_req *r, unsigned int nlayers, int slot,
		  const char *target)
{
	size_t len = 0, size = 64;
	unsigned int i;

	setup_once();
	memset(r, 0, sizeof(*r));
	r->nlayers = nlayers;
	snprintf(r->target, sizeof(r->target), "%s", target);
	if (slot >= 0) {
		snprintf(r->upper, sizeof(r->upper), "u/%d", slot);
		snprintf(r->work, sizeof(r->work), "w/%d", slot);
	}
	for (i = 0; i < opt.novl_opts; i++)
		size += strlen(opt.ovl_opts[i]) + 1;
	r->data = xcalloc(size + nlayers * sizeof(lower[0]), 1);
	len = sprintf(r->data, "lowerdir=");
	for (i = 0; i < nlayers; i++)
		len += sprintf(r->data + len, "%s%s", i ? ":" : "", lower[i]);
	if (slot >= 0)
		len += sprintf(r->data + len, ",upperdir=%s,workdir=%s",
			       r->upper, r->work);
	for (i = 0; i < opt.novl_opts; i++)
		len += sprintf(r->data + len, ",%s", opt.ovl_opts[i]);
	r->datalen = len;
}

void ovl_req_free(struct ovl_req *r)
{
	free(r->data);
	r->data = NULL;
}

/* Append the messages the kernel logged on the fs_context, if any */
static void read_log(int fd, char *err, size_t errlen)
{
	size_t len = strlen(err);
	char buf[256];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf) - 1)) > 0 && len < errlen) {
		buf[n] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		len += snprintf(err + len, errlen - len, " (%s)", buf);
	}
}

__printf(3, 4)
static void errmsg(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* 0 or -errno */
static int config(int fs, int cmd, const char *key, const char *val,
		  char *err, size_t errlen)
{
	int ret;

	if (!syscall(SYS_fsconfig, fs, cmd, key, val, 0))
		return 0;
	ret = -errno;
	errmsg(err, errlen, "fsconfig %s%s%s: %s", key ? key : "create",
	       val ? " " : "", val ? val : "", strerror(-ret));
	if (err)
		read_log(fs, err, errlen);
	return ret;
}

/*
 * Before 6.5 overlay has no fs_context of its own: fsopen() succeeds
 * through the VFS's legacy shim, which takes any key ("lowerdir+" too)
 * and hands the joined string to mount(2)'s parser at create time, where
 * it fails.  The shim accepts an unknown flag; a native fs_context rejects
 * it.  true: this fsopen() fd is the shim's.
 */
static bool legacy_shim(int fs)
{
	return !syscall(SYS_fsconfig, fs, FSCONFIG_SET_FLAG,
			"mntbench-probe-legacy-shim", NULL, 0);
}

/* 0, -errno, or 1 if this kernel lacks fsopen() or "lowerdir+" */
static int mount_new(const struct ovl_req *r, char *err, size_t errlen)
{
	int fs, mnt = -1, ret;
	unsigned int i;

	fs = syscall(SYS_fsopen, "overlay", FSOPEN_CLOEXEC);
	if (fs < 0) {
		ret = -errno;
		if (ret == -ENOSYS && api_used == API_AUTO)
			return 1;
		errmsg(err, errlen, "fsopen overlay: %s", strerror(-ret));
		return ret;
	}
	if (api_used == API_AUTO && legacy_shim(fs)) {
		close(fs);
		return 1;
	}
	for (i = 0; i < r->nlayers; i++) {
		ret = config(fs, FSCONFIG_SET_STRING, "lowerdir+", lower[i],
			     err, errlen);
		if (ret) {
			if (!i && ret == -EINVAL && api_used == API_AUTO)
				ret = 1;
			goto out;
		}
	}
	if (r->upper[0]) {
		ret = config(fs, FSCONFIG_SET_STRING, "upperdir", r->upper,
			     err, errlen);
		if (!ret)
			ret = config(fs, FSCONFIG_SET_STRING, "workdir",
				     r->work, err, errlen);
		if (ret)
			goto out;
	}
	for (i = 0; i < opt.novl_opts; i++) {
		ret = config(fs, opt_val[i] ? FSCONFIG_SET_STRING :
			     FSCONFIG_SET_FLAG, opt_key[i], opt_val[i],
			     err, errlen);
		if (ret)
			goto out;
	}
	ret = config(fs, FSCONFIG_CMD_CREATE, NULL, NULL, err, errlen);
	if (ret)
		goto out;
	mnt = syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, 0);
	if (mnt < 0) {
		ret = -errno;
		errmsg(err, errlen, "fsmount: %s", strerror(-ret));
		goto out;
	}
	if (syscall(SYS_move_mount, mnt, "", AT_FDCWD, r->target,
		    MOVE_MOUNT_F_EMPTY_PATH)) {
		ret = -errno;
		errmsg(err, errlen, "move_mount to %s: %s", r->target,
		       strerror(-ret));
	}
out:
	if (mnt >= 0)
		close(mnt);
	close(fs);
	return ret;
}

static int mount_legacy(const struct ovl_req *r, char *err, size_t errlen)
{
	long page = sysconf(_SC_PAGESIZE);

	int ret;

	if ((long)r->datalen >= page) {
		errmsg(err, errlen,
		       "mount(2) options for %u layers are %zu bytes, more than one page (%ld); this needs the new mount API (\"lowerdir+\", Linux >= 6.8)",
		       r->nlayers, r->datalen, page);
		return -E2BIG;
	}
	if (!mount("overlay", r->target, "overlay", 0, r->data))
		return 0;
	ret = -errno;
	errmsg(err, errlen, "mount(2) overlay on %s: %s", r->target,
	       strerror(-ret));
	return ret;
}

/*
 * Mount the overlay; 0 or -errno with the reason in err (err may be
 * NULL).  In auto mode the first mount settles which API is used.
 */
int ovl_mount(const struct ovl_req *r, char *err, size_t errlen)
{
	int ret;

	if (api_used != API_LEGACY) {
		ret = mount_new(r, err, errlen);
		if (ret <= 0) {
			api_used = API_NEW;
			return ret;
		}
		api_used = API_LEGACY;
	}
	return mount_legacy(r, err, errlen);
}

/*
 * The private_mounts= mode of the mount that path is on: "unpatched" for
 * an overlay without the option, "not-overlay" for another filesystem.
 */
char *ovl_mode(const char *path)
{
	struct statx stx;
	char *line = NULL, *p, *mode = NULL;
	unsigned long long id;
	size_t size = 0;
	FILE *f;

	if (statx(AT_FDCWD, path, 0, STATX_MNT_ID, &stx) ||
	    !(stx.stx_mask & STATX_MNT_ID))
		return xstrdup("unknown");
	f = fopen("/proc/self/mountinfo", "re");
	while (f && !mode && getline(&line, &size, f) > 0) {
		if (sscanf(line, "%llu", &id) != 1 || id != stx.stx_mnt_id)
			continue;
		p = strstr(line, " - ");
		if (!p || strncmp(p, " - overlay ", 11)) {
			mode = xstrdup("not-overlay");
			break;
		}
		p = strstr(p, ",private_mounts=");
		if (!p) {
			mode = xstrdup("unpatched");
			break;
		}
		p += strlen(",private_mounts=");
		mode = xstrdup(p);
		mode[strcspn(mode, "\n, ")] = '\0';
	}
	free(line);
	if (f)
		fclose(f);
	return mode ? mode : xstrdup("unknown");
}
