#!/bin/sh
# Generator cost on the icount clock: ovlbench's own overlay against
# hand-built ones (mount(8), on tmpfs), and ovlbench's loop against
# tools/minloop on the same file. Run from the repository root, in a
# 1-vCPU icount guest (guest ns per op = instructions per op):
#   make vm ACCEL=icount CPUS=1 CMD='sh bench/tools/gencost.sh'
B=$PWD/bench/ovlbench
M=$PWD/bench/tools/minloop
ns() { /usr/bin/python3 -c "import json,sys; s=json.load(open(sys.argv[1]))['runs'][0]['summary']; print('%.1f' % s['cpu_ns_per_op'])" "$1"; }
run() { label=$1; shift; $B -w open-close -t 1 -c 0 -d 0.5 -i 0.5 --warmup 0.2 -q -o /tmp/g.json "$@" && echo "$label: $(ns /tmp/g.json) ns/op"; }
mini() { label=$1; out=$($M "$2" 1); echo "$label: $(echo $out | awk '{printf "%.1f", 1e9/$3}') ns/op (minloop $out)"; }
for i in 1 2; do
run "ovlbench own, 2 lowers, file top" --layers 2
run "ovlbench own, 2 lowers + upper, file upper" --layers 2 --upper --file-layer upper
run "ovlbench own, legacy mount API, file top" --layers 2 --mount-api legacy
done
mkdir -p /tmp/o && mount -t tmpfs tmpfs /tmp/o && cd /tmp/o && mkdir l1 l2 u w m
echo u > u/f0
mount -t overlay overlay -o lowerdir=/tmp/o/l1:/tmp/o/l2,upperdir=/tmp/o/u,workdir=/tmp/o/w /tmp/o/m
run "ovlbench --target, hand overlay, file upper" --target /tmp/o/m/f0
mini "minloop, hand overlay, file upper" /tmp/o/m/f0
mkdir -p /tmp/o2 && mount -t tmpfs tmpfs /tmp/o2 && cd /tmp/o2 && mkdir l1 l2 m
echo 1 > l1/f0; echo 2 > l2/f0
mount -t overlay overlay -o lowerdir=/tmp/o2/l1:/tmp/o2/l2 /tmp/o2/m
run "ovlbench --target, hand overlay, file top lower (also in bottom)" --target /tmp/o2/m/f0
mini "minloop, hand overlay, file top lower" /tmp/o2/m/f0
mkdir -p /tmp/o3 && mount -t tmpfs tmpfs /tmp/o3 && mkdir -p /tmp/o3/a/b/c/d/e && cd /tmp/o3/a/b/c/d/e && mkdir l1 l2 m
echo 1 > l1/f0
mount -t overlay overlay -o lowerdir=$PWD/l1:$PWD/l2 $PWD/m
run "ovlbench --target, hand overlay, 8-deep path" --target $PWD/m/f0
mini "minloop, hand overlay, 8-deep path" $PWD/m/f0
mini "minloop, plain tmpfs file" /tmp/o/u/f0
