#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# "make bench": measure axas against references side by side in one VM on
# Debian's stock kernel (no debug options) and print a table of ratios.
# Under TCG only ratios mean anything: every figure is the median of
# AXAS_BENCH_REPS (default 5) interleaved repetitions.
#
# usage: scripts/bench.sh [x86_64|arm64]    (default: $ARCH, else x86_64)
# The table goes to stdout and to logs/bench-ARCH.txt; the VM's console and
# output to logs/bench-ARCH.{console,out}. Not part of "make check".
set -euo pipefail
. "$(dirname "$0")/lib.sh"

arch=${1:-${ARCH:-x86_64}}
[ "$arch" = aarch64 ] && arch=arm64
case "$arch" in
x86_64) darch=amd64 ;;
arm64)  darch=arm64 ;;
*) die "make bench runs on Debian's stock kernels: x86_64 or arm64, not $arch" ;;
esac
reps=${AXAS_BENCH_REPS:-5}
smp=2 mem=4G

sdir=$("$AXAS_ROOT/scripts/fetch-stock.sh" "$arch")
kdir=$sdir/root/usr/src/linux-headers-$AXAS_DEB_KVER-$darch
out=$AXAS_ROOT/build/bench-$arch
mkdir -p "$AXAS_LOGS"
echo "== building axas.ko and axas_bench.ko for Debian's $AXAS_DEB_KVER $arch kernel" >&2
"$AXAS_ROOT/scripts/build-module.sh" "$arch" "$kdir" "$out" W=1 \
	>"$AXAS_LOGS/bench-build.log" 2>&1 ||
	{ cat "$AXAS_LOGS/bench-build.log" >&2; die "module build failed"; }
"$AXAS_ROOT/scripts/build-user.sh" "$arch" "$out/user"

arch_setup "$arch"
qemu=qemu-system-x86_64
[ "$arch" = arm64 ] && qemu=qemu-system-aarch64
console=$AXAS_LOGS/bench-$arch.console
result=$AXAS_LOGS/bench-$arch.txt
tmp=$(mktemp -d "${TMPDIR:-/tmp}/axas-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# Which QEMU threads burn CPU: one per vCPU with multi-threaded TCG (QEMU
# 7.2's default for these guests on an x86_64 host), one for all without.
# Sample the VM's QEMU (found by its console path) until it exits.
sample_threads() {
	local pid= t
	for _ in $(seq 60); do
		pid=$(pgrep -f -n -- "path=$console" || true)
		[ -n "$pid" ] && break
		sleep 1
	done
	[ -n "$pid" ] || return 0
	while kill -0 "$pid" 2>/dev/null; do
		for t in /proc/"$pid"/task/*; do
			# utime + stime (fields 14, 15) in clock ticks
			awk -v t="${t##*/}" '{ print t, $14 + $15 }' "$t/stat" 2>/dev/null
		done >"$tmp/threads.new" || true
		mv "$tmp/threads.new" "$tmp/threads"
		sleep 2
	done
}
sample_threads &
sampler=$!

echo "== booting an $arch VM ($smp vCPUs, $mem) with Debian's stock kernel; $reps repetitions" >&2
start=$SECONDS
rc=0
"$AXAS_ROOT/scripts/vm/run.sh" --quiet --name bench --arch "$arch" --kernel stock \
	--smp $smp --mem $mem --timeout 900 \
	--file "$out/axas.ko" --file "$out/axas_bench.ko" \
	--file "$out/user/axas-bench:/bin/axas-bench" -- \
	'insmod /axas.ko' 'insmod /axas_bench.ko' "/bin/axas-bench -r $reps" \
	'rmmod axas_bench' 'rmmod axas' >"$tmp/table" || rc=$?
wait $sampler 2>/dev/null || true
[ $rc -eq 0 ] || { cat "$tmp/table"; die "bench VM failed (rc=$rc); see $console"; }

busy=0 threads=0
if [ -f "$tmp/threads" ]; then
	total=$(awk '{ s += $2 } END { print s + 0 }' "$tmp/threads")
	threads=$(wc -l <"$tmp/threads")
	busy=$(awk -v s="$total" '$2 > s * 0.2 { n++ } END { print n + 0 }' "$tmp/threads")
fi
if [ "$busy" -ge 2 ]; then
	mttcg="yes: $busy of its $threads threads each ran >20% of its CPU time"
else
	mttcg="no: $busy of its $threads threads ran >20% of its CPU time"
fi
{
	cmd="make bench"
	[ "$arch" = x86_64 ] || cmd="make bench ARCH=$arch"
	echo "command: $cmd   ($(date -u +%Y-%m-%d), ${SECONDS}s; VM run $((SECONDS - start)) s)"
	echo "host: $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), $(nproc) CPUs" \
	     "(shared; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg))"
	echo "qemu: $($qemu --version | head -1); TCG; -smp $smp -m $mem; multi-threaded TCG: $mttcg"
	grep -v -e '^axas-bench: repetition' "$tmp/table"
} | tee "$result"
echo "== table saved in $result" >&2
