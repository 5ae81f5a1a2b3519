#!/bin/sh
# Install the Debian packages mntbench needs; apt-get only for what is
# missing, so a second run costs a dpkg query.
set -eu
PKGS="linux-source-6.12 xz-utils gcc make bc flex bison libelf-dev libssl-dev
dwarves rsync cpio qemu-system-x86 clang llvm libbpf-dev bpftool bpftrace
linux-perf pkg-config zlib1g-dev libzstd-dev python3 python3-numpy
python3-scipy python3-statsmodels python3-matplotlib python3-jsonschema git"
missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
		grep -q '^install ok installed$' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
if [ "$(id -u)" != 0 ]; then
	echo "deps: error: need root to apt-get install$missing" >&2
	exit 2
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends $missing
