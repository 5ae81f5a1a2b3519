#!/bin/sh
# Install the Debian packages mntbench needs; apt-get only for what is
# missing, so a second run costs a dpkg query.  Then, once, extract
# checkpatch.pl and the files it reads from Debian's kernel source into
# the cache, where the Makefiles' checkpatch targets look for it.
# Arguments: the kernel sources a command asks for; one of Debian's
# (/usr/src/linux-source-X.tar.xz) that is missing is installed then, and
# only then, so the default run does not fetch other kernels.
set -eu
extra=
for ksrc in "$@"; do
	case $ksrc in
	/usr/src/linux-source-*.tar.xz)
		[ -e "$ksrc" ] ||
			extra="$extra $(basename "$ksrc" .tar.xz)" ;;
	esac
done
PKGS="linux-source-6.12$extra xz-utils gcc make bc flex bison libelf-dev libssl-dev
dwarves rsync cpio qemu-system-x86 clang llvm libbpf-dev bpftool bpftrace
linux-perf pkg-config zlib1g-dev libzstd-dev python3 python3-numpy
python3-scipy python3-statsmodels python3-matplotlib python3-jsonschema
python3-hypothesis git"
# One dpkg-query for them all (one each took seconds, on every make
# target); a package it does not know is missing too.
installed=" $(dpkg-query -W -f='${Status} ${Package}\n' $PKGS 2>/dev/null |
	sed -n 's/^install ok installed //p' | tr '\n' ' ')"
missing=
for p in $PKGS; do
	case $installed in
	*" $p "*) ;;
	*) missing="$missing $p" ;;
	esac
done
if [ -n "$missing" ]; then
	echo "deps: installing$missing"
	if [ "$(id -u)" != 0 ]; then
		echo "deps: error: need root to apt-get install$missing" >&2
		exit 2
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q --no-install-recommends $missing
fi

cache=${MNTBENCH_CACHE:-$HOME/.cache/mntbench}
dest=$cache/checkpatch
# checked before every use: a damaged copy is said and extracted again
if [ -f "$dest/SHA256SUMS" ]; then
	(cd "$dest" && sha256sum --quiet --strict -c SHA256SUMS) \
		>/dev/null 2>&1 && exit 0
	echo "deps: $dest differs from its SHA256SUMS: extracting it again"
fi
# MNTBENCH_CHECKPATCH_TAR: only for harness/tests/test_faults.py, which
# points it at a small tarball with the same member paths
src=${MNTBENCH_CHECKPATCH_TAR:-/usr/src/linux-source-6.12.tar.xz}
echo "deps: extracting checkpatch.pl from $src into $dest"
mkdir -p "$cache"
tmp=$(mktemp -d "$cache/checkpatch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# --no-tree needs these three; checkpatch finds the others next to itself
tar -xJf "$src" -C "$tmp" --strip-components=1 \
	linux-source-6.12/scripts/checkpatch.pl \
	linux-source-6.12/scripts/spelling.txt \
	linux-source-6.12/scripts/const_structs.checkpatch
(cd "$tmp" && sha256sum scripts/checkpatch.pl scripts/spelling.txt \
	scripts/const_structs.checkpatch > SHA256SUMS)
rm -rf "$dest"
mv "$tmp" "$dest"
