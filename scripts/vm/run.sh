#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot a test VM under QEMU (TCG), run a script of commands in it and exit
# with the script's status.
#
# usage: scripts/vm/run.sh [options] [--] [LINE...]
#   --arch ARCH        x86_64 (default), arm64 or riscv64
#   --kernel KIND      debug (default: the cached debug test kernel, built
#                      when missing), stock (Debian's kernel; x86_64/arm64)
#                      or a path to a kernel image
#   --file SRC[:DEST]  put SRC into the initramfs at DEST (default /NAME);
#                      may be repeated; static binaries only (no libc there)
#   --script FILE      take the command lines from FILE
#   --timeout SEC      kill the VM after SEC seconds (default 900)
#   --name NAME        log name (default: vm)
#   --smp N --mem SIZE vCPUs (default 2) and memory (default 2G)
#   --append ARGS      extra kernel command-line arguments
#   --quiet            show only the commands' own output on stdout
# Each LINE (or line of --script) is one command for the VM's init
# (scripts/vm/init.c): a program with its arguments, or a built-in:
# insmod FILE [PARAMS], rmmod NAME, cat FILE, kunit-results,
# kmemleak-clear, kmemleak-scan, sleep N. A leading '-' ignores a failure.
#
# Output of the commands travels over a channel the kernel never writes to
# and is copied to stdout and to logs/NAME-ARCH.out; the kernel console
# goes to logs/NAME-ARCH.console. The run fails when a line fails, when
# the console shows a kernel splat (BUG, WARNING, KASAN, UBSAN, lockdep,
# kmemleak report, oops, panic), or on a hang (timeout); the log paths are
# printed then.
#
# Example: run one extra static binary on the arm64 debug kernel:
#   scripts/vm/run.sh --arch arm64 --file ./mytool:/bin/mytool -- \
#       'insmod /axas.ko' '/bin/mytool --verbose'
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

arch=x86_64 kernel=debug timeout=900 name=vm smp=2 mem=2G append= quiet=
files=() lines=() script=
while [ $# -gt 0 ]; do
	case "$1" in
	--arch) arch=$2; shift 2 ;;
	--kernel) kernel=$2; shift 2 ;;
	--file) files+=("$2"); shift 2 ;;
	--script) script=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--name) name=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--append) append=$2; shift 2 ;;
	--quiet) quiet=1; shift ;;
	--) shift; lines+=("$@"); break ;;
	-*) die "unknown option $1 (see the top of $0)" ;;
	*) lines+=("$1"); shift ;;
	esac
done
arch_setup "$arch"

preload=()
case "$kernel" in
debug)
	kdir=$("$AXAS_ROOT/scripts/build-kernel.sh" "$arch")
	image=$kdir/$IMAGE ;;
stock)
	sdir=$("$AXAS_ROOT/scripts/fetch-stock.sh" "$arch")
	image=$(echo "$sdir"/root/boot/vmlinuz-*)
	if [ "$arch" = arm64 ]; then
		preload+=("$(echo "$sdir"/root/lib/modules/*/kernel/drivers/virtio/virtio_mmio.ko)")
	fi ;;
*)
	image=$kernel ;;
esac
[ -f "$image" ] || die "no kernel image at $image"

mkdir -p "$AXAS_LOGS"
console=$AXAS_LOGS/$name-$arch.console
out=$AXAS_LOGS/$name-$arch.out
work=$(mktemp -d "${TMPDIR:-/tmp}/axas-vm.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The init is static so it runs with nothing else in the initramfs.
init_bin=$AXAS_ROOT/build/vm/init-$arch
if [ ! -x "$init_bin" ] || [ "$init_bin" -ot "$AXAS_ROOT/scripts/vm/init.c" ]; then
	mkdir -p "$(dirname "$init_bin")"
	"${CROSS}gcc" -static -Os -Wall -o "$init_bin" "$AXAS_ROOT/scripts/vm/init.c"
fi

root=$work/root
mkdir -p "$root"/{axas,bin,dev,proc,sys,tmp}
cp "$init_bin" "$root/init"
for f in "${files[@]}"; do
	src=${f%%:*}
	dst=${f#*:}
	[ "$dst" = "$f" ] && dst=/$(basename "$src")
	[ -e "$src" ] || die "no such file: $src"
	mkdir -p "$root/$(dirname "$dst")"
	cp -L "$src" "$root/$dst"
done
for m in "${preload[@]}"; do
	cp "$m" "$root/axas/"
	echo "/axas/$(basename "$m")" >>"$root/axas/preload"
done
case "$arch" in
x86_64) echo /dev/ttyS1 >"$root/axas/chan" ;;
*)      echo /dev/hvc0 >"$root/axas/chan" ;;
esac
if [ -n "$script" ]; then
	cp "$script" "$root/axas/script"
else
	printf '%s\n' "${lines[@]}" >"$root/axas/script"
fi
(cd "$root" && find . | cpio -o -H newc --owner=0:0 --quiet | gzip -1) >"$work/initrd.gz"

common=(-nographic -no-reboot -smp "$smp" -m "$mem" -kernel "$image"
	-initrd "$work/initrd.gz" -monitor none -nic none
	-chardev "file,id=con,path=$console" -chardev "file,id=res,path=$out")
cmdline="panic=-1 oops=panic panic_on_warn=1 rdinit=/init loglevel=7"
case "$arch" in
x86_64)
	qemu=(qemu-system-x86_64 -cpu max -M pc "${common[@]}" -serial chardev:con -serial chardev:res
	      -device isa-debug-exit)
	cmdline="console=ttyS0 $cmdline" ;;
arm64)
	qemu=(qemu-system-aarch64 -M virt -cpu max,pauth-impdef=on "${common[@]}" -serial chardev:con
	      -device virtio-serial-device -device virtconsole,chardev=res)
	cmdline="console=ttyAMA0 $cmdline" ;;
riscv64)
	qemu=(qemu-system-riscv64 -M virt "${common[@]}" -serial chardev:con
	      -device virtio-serial-device -device virtconsole,chardev=res)
	cmdline="console=ttyS0 $cmdline" ;;
esac
: >"$console"
: >"$out"
"${qemu[@]}" -append "$cmdline $append" </dev/null >"$work/qemu.log" 2>&1 &
qpid=$!
if [ -n "$quiet" ]; then
	tail -n +1 -f --pid=$qpid "$out" | grep --line-buffered -v -e '^axas-init: ' -e '^AXAS-INIT-DONE' &
else
	tail -n +1 -f --pid=$qpid "$out" &
fi
tpid=$!

# Watch for the end: QEMU exits (reboot), a panic (early panics hang),
# or the timeout.
verdict=
start=$SECONDS
while kill -0 $qpid 2>/dev/null; do
	if grep -q 'Kernel panic - not syncing' "$console" 2>/dev/null; then
		sleep 2
		verdict="kernel panic"
		break
	fi
	if [ $((SECONDS - start)) -ge "$timeout" ]; then
		verdict="hang: no result after $timeout s"
		break
	fi
	sleep 1
done
kill $qpid 2>/dev/null || true
wait $qpid 2>/dev/null || true
wait $tpid 2>/dev/null || true

rc=$(sed -n 's/^AXAS-INIT-DONE rc=\([0-9]*\).*/\1/p' "$out" | tail -1)
splat='(BUG:|WARNING:|KASAN:|UBSAN:|Oops|kernel BUG|Kernel panic|general protection fault|Unable to handle kernel|unreferenced object|possible recursive locking|circular locking dependency|inconsistent lock state|suspicious RCU usage|rcu.*detected stalls|INFO: task .* blocked|ODEBUG:|Call Trace:|Call trace:)'
if grep -Eq "$splat" "$console"; then
	echo "axas-vm: kernel splat on $arch:" >&2
	grep -E -m 5 "$splat" "$console" | sed 's/^/axas-vm:   /' >&2
	verdict=${verdict:-kernel splat}
fi
if [ -z "$verdict" ] && [ -z "$rc" ]; then
	verdict="no verdict from the VM (crash or early exit)"
	tail -5 "$work/qemu.log" >&2 || true
fi
if [ -n "$verdict" ]; then
	echo "axas-vm: $arch: FAILED: $verdict; console: $console; output: $out" >&2
	exit 1
fi
[ "$rc" -eq 0 ] || echo "axas-vm: $arch: a command failed (rc=$rc); console: $console; output: $out" >&2
exit "$rc"
