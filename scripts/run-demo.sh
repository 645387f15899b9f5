#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# "make run": boot an x86_64 VM with Debian's stock kernel (set
# AXAS_RUN_KERNEL=debug for the project's debug kernel), load axas.ko and
# run the example VMM, tools/axas-vmm.c.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

arch=x86_64
kind=${AXAS_RUN_KERNEL:-stock}
"$AXAS_ROOT/scripts/deps.sh"
case "$kind" in
stock)
	sdir=$("$AXAS_ROOT/scripts/fetch-stock.sh" $arch)
	kdir=$sdir/root/usr/src/linux-headers-$AXAS_DEB_KVER-amd64
	desc="Debian's stock $AXAS_DEB_KVER kernel" ;;
debug)
	kdir=$("$AXAS_ROOT/scripts/build-kernel.sh" $arch)
	desc="the axas debug test kernel" ;;
*) die "AXAS_RUN_KERNEL must be stock or debug" ;;
esac
out=$AXAS_ROOT/build/run-$arch-$kind
mkdir -p "$AXAS_LOGS" "$out"
echo "== building axas.ko for $desc"
"$AXAS_ROOT/scripts/build-module.sh" $arch "$kdir" "$out" >"$AXAS_LOGS/run-build.log" 2>&1 ||
	{ cat "$AXAS_LOGS/run-build.log"; die "module build failed"; }
"$AXAS_ROOT/scripts/build-user.sh" $arch "$out/user"

echo "== booting an $arch VM (QEMU, TCG) with $desc; running the example VMM"
echo
start=$SECONDS
rc=0
"$AXAS_ROOT/scripts/vm/run.sh" --quiet --name run --arch $arch --kernel "$kind" --timeout 300 \
	--file "$out/axas.ko" --file "$out/user/axas-vmm:/bin/axas-vmm" -- \
	'insmod /axas.ko' '/bin/axas-vmm' 'rmmod axas' || rc=$?
echo
if [ $rc -eq 0 ]; then
	echo "== demo finished in $((SECONDS - start)) s: module loaded, example VMM ran, module unloaded cleanly"
else
	echo "== demo FAILED (rc=$rc); logs in $AXAS_LOGS/run-$arch.console and run-$arch.out"
fi
exit $rc
