#!/bin/sh
# Check the bisect recipe on a history made here: Debian's 6.12 source,
# then C1 the private_mounts switch (good), C2 a comment, C3 the default
# forced to longterm-serial (the regression), C4 a comment. `git bisect
# run harness/ci/bisect-run.sh` must name C3.
#
#   harness/ci/bisect-demo.sh [WORKDIR]      (default /tmp/mntbench-bisect)
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
work=${1:-/tmp/mntbench-bisect}
linux=$work/linux
rm -rf "$work"
mkdir -p "$linux"
tar xf /usr/src/linux-source-6.12.tar.xz -C "$linux" --strip-components=1
cd "$linux"
git init -q
git config user.name mntbench
git config user.email mntbench@localhost
git add -f -A
git commit -q -m "Linux 6.12 (Debian linux-source-6.12)"
git apply "$here"/kernel-patches/series-6.12/0001-*.patch
git commit -q -a -m "C1 ovl: private_mounts switch"
c1=$(git rev-parse HEAD)
echo "/* bisect demo: harmless */" >> fs/overlayfs/util.c
git commit -q -a -m "C2 ovl: a comment"
sed -i 's/^static int ovl_mnt_mode_param = OVL_MNT_LONGTERM_ARRAY;/static int ovl_mnt_mode_param = OVL_MNT_LONGTERM_SERIAL;/' \
	fs/overlayfs/params.c
grep -q "= OVL_MNT_LONGTERM_SERIAL;" fs/overlayfs/params.c
git commit -q -a -m "C3 ovl: default to longterm-serial (the regression)"
c3=$(git rev-parse HEAD)
echo "/* bisect demo: harmless too */" >> fs/overlayfs/util.c
git commit -q -a -m "C4 ovl: another comment"
c4=$(git rev-parse HEAD)

export MNTBENCH="$here" MNTBENCH_BISECT_SETS="$work/sets" PYTHONPATH="$here"
git checkout -q "$c1"
(cd "$here" && /usr/bin/python3 -m harness.flows.bench --ksrc "$linux" \
	--patches none --profile bisect-teardown --seed 1 --out "$work/base")
export BASE="$work/base"
git checkout -q "$c4"
git bisect start "$c4" "$c1"
git bisect run "$here"/harness/ci/bisect-run.sh | tee "$work/bisect.log"
first=$(sed -n 's/^\([0-9a-f]\{40\}\) is the first bad commit$/\1/p' \
	"$work/bisect.log")
git bisect reset >/dev/null
if [ "$first" = "$c3" ]; then
	echo "bisect-demo: OK: the first bad commit is C3 ($c3)"
else
	echo "bisect-demo: FAIL: bisect named '$first', expected C3 ($c3)" >&2
	exit 1
fi
