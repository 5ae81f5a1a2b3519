#!/bin/sh
# PID 1 of the mntbench guest. The root is the host's, read-only over 9p.
# Kernel command line: mntbench.ctl=<host dir of the control files>
# mntbench.res=<host results dir> mntbench.tmp=<entries of the host's /tmp
# to keep visible, comma-separated>; each value octal-escaped by the runner
# (harness/kernel/vm.py cmdline_word), so any path survives word splitting. The
# control dir holds `cmd` (run with /bin/sh), `cwd` and `env`; this script
# writes `rc` there when the command has run (`error` when it could not
# run), then powers off. Each stage is a line on the console (the
# runner's "Last console lines" when something hangs).
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH HOME=/root TERM=dumb LANG=C.UTF-8

say() {
	echo "mntbench-init: $* (uptime $(cut -d' ' -f1 /proc/uptime 2>/dev/null)s)"
}

# /tmp is mounted last of the mounts near the root. The kernel hashes a
# mount by the sum of its parent mount's and its mountpoint's addresses,
# and a path walk scans the chain past every mount hashed after the one
# it crosses. Mounts made at boot sit at nearby addresses, so a mount on
# /sys made after /tmp shared /tmp's chain in 6 of 68 boots and cost
# every walk through /tmp 7 instructions (README, Noise).
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug
mount -t bpf bpf /sys/fs/bpf
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /run

for arg in $(cat /proc/cmdline); do
	case "$arg" in
	mntbench.ctl=*) ctl=$(printf '%b' "${arg#mntbench.ctl=}") ;;
	mntbench.res=*) res=$(printf '%b' "${arg#mntbench.res=}") ;;
	mntbench.tmp=*) keep=${arg#mntbench.tmp=} ;;
	esac
done
if [ -n "${keep:-}" ]; then
	mkdir /run/host && mount --bind / /run/host
fi
mount -t tmpfs tmpfs /tmp
say "started; proc, sys, tracefs, debugfs, bpf, dev, run, tmp mounted"

# The guest's tmpfs hides the host's /tmp: bind back, read-only like the
# rest of the host root, the entries the runner named (the checkout or
# the working directory may live there).
for name in $(echo "${keep:-}" | tr , ' '); do
	name=$(printf '%b' "$name")
	mkdir -p "/tmp/$name"
	mount --bind "/run/host/tmp/$name" "/tmp/$name"
done
say "host /tmp entries mounted"

# The results share is the only writable host directory; it is mounted at
# its host path, so commands can use the same paths as on the host.
# Under /tmp or /run the host path is hidden by the guest's tmpfs: make it.
mkdir -p "$res" 2>/dev/null
if mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 results "$res"
then
	say "results share mounted at $res"
else
	say "cannot mount the results share at $res"
fi

# Command output goes to the runner's stdout/stderr over two virtio serial
# ports (not hvc consoles: a tty drops what is unsent when it is closed).
out=/dev/console
err=/dev/console
for port in /sys/class/virtio-ports/*; do
	case "$(cat "$port/name" 2>/dev/null)" in
	mntbench.out) out=/dev/${port##*/} ;;
	mntbench.err) err=/dev/${port##*/} ;;
	esac
done

if [ -r "$ctl/cmd" ]; then
	[ -r "$ctl/env" ] && . "$ctl/env"
	cd "$(cat "$ctl/cwd" 2>/dev/null || echo /)" 2>/dev/null || cd /
	say "running the command in $(pwd); console loglevel 4 while it runs"
	# Only errors reach the (slow, serial) console while it measures.
	echo 4 >/proc/sys/kernel/printk
	/bin/sh "$ctl/cmd" </dev/null >$out 2>$err
	rc=$?
	echo 7 >/proc/sys/kernel/printk
	# over the room the runner left (a full results disk takes no new
	# block); without it, a file of its own
	if [ -f "$ctl/rc.tmp" ]; then
		echo "$rc" 1<>"$ctl/rc.tmp"
	else
		echo "$rc" >"$ctl/rc.tmp"
	fi && mv "$ctl/rc.tmp" "$ctl/rc"
	say "exit $rc"
else
	say "no command at $ctl/cmd"
	echo "no command at $ctl/cmd" >"$ctl/error" 2>/dev/null
fi
sync
umount "$res" 2>/dev/null
say "powering off"
echo o >/proc/sysrq-trigger
sleep 5
echo b >/proc/sysrq-trigger
