#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot a test VM under QEMU (TCG), run a script of commands in it and exit
# with the script's status.
#
# usage: scripts/vm/run.sh [options] [--] [LINE...]
#   --arch ARCH        x86_64 (default), arm64 or riscv64
#   --kernel KIND      debug (default: the cached debug test kernel, built
#                      when missing), kcsan (the KCSAN test kernel), stock
#                      (Debian's kernel; x86_64/arm64) or a path to an image
#   --file SRC[:DEST]  put SRC into the initramfs at DEST (default /NAME);
#                      may be repeated; static binaries only (no libc there)
#   --script FILE      take the command lines from FILE
#   --timeout SEC      kill the VM after SEC seconds (default 900)
#   --name NAME        log name (default: vm)
#   --smp N --mem SIZE vCPUs (default 2) and memory (default 2G)
#   --append ARGS      extra kernel command-line arguments
#   --quiet            show only the commands' own output on stdout
#   --chan DEV         the result channel in the VM (default: /dev/ttyS1 on
#                      x86_64, /dev/hvc0 elsewhere; a missing one tests the
#                      fallback to the console)
#   --nonce TOKEN      the token init echoes at start and end (default:
#                      random); the verdict counts only with it
# Each LINE (or line of --script) is one command for the VM's init
# (scripts/vm/init.c): a program with its arguments, or a built-in:
# insmod FILE [PARAMS], rmmod NAME, cat FILE, kunit-results,
# kmemleak-clear, kmemleak-scan, sleep N. A leading '-' ignores a failure.
#
# Output of the commands travels over a channel the kernel never writes to
# and is copied to stdout and to logs/NAME-ARCH.out; the kernel console
# goes to logs/NAME-ARCH.console. The run fails when a line fails, when
# the console shows a kernel splat (BUG, WARNING, KASAN, UBSAN, lockdep,
# kmemleak report, soft lockup, hung task, RCU stall, oops, panic), or on
# a hang (timeout); the log paths are printed then. A splat ends the VM
# 15 s later (time for the backtrace), not at the timeout. On the kcsan
# kernel, KCSAN reports that do not involve axas are set aside in
# logs/NAME-ARCH.kcsan-other (the core kernel has known benign races);
# reports that name axas code fail the run.
#
# A kernel that crashes while booting, before the first command of the
# script started, is booted once more (seen: Debian's x86_64 kernel under
# TCG, an int3 Oops during boot-time code patching); the retry and its
# cause are written to logs/NAME-ARCH.retry, the first console to
# logs/NAME-ARCH.console.boot1. A crash after the first command is always
# a failure. If the result channel never appeared, init writes to the
# console and the verdict is read from there (loudly).
#
# Example: run one extra static binary on the arm64 debug kernel:
#   scripts/vm/run.sh --arch arm64 --file ./mytool:/bin/mytool -- \
#       'insmod /axas.ko' '/bin/mytool --verbose'
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

arch=x86_64 kernel=debug timeout=900 name=vm smp=2 mem=2G append= quiet=
files=() lines=() script= nonce= chan=
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
	--nonce) nonce=$2; shift 2 ;;
	--chan) chan=$2; shift 2 ;;
	--) shift; lines+=("$@"); break ;;
	-*) die "unknown option $1 (see the top of $0)" ;;
	*) lines+=("$1"); shift ;;
	esac
done
arch_setup "$arch"

mkdir -p "$AXAS_LOGS"
console=$AXAS_LOGS/$name-$arch.console
out=$AXAS_LOGS/$name-$arch.out
retry=$AXAS_LOGS/$name-$arch.retry
kcsan_other=$AXAS_LOGS/$name-$arch.kcsan-other
# Nothing of an earlier run may be read as this run's.
rm -f "$console" "$console.boot1" "$out" "$retry" "$kcsan_other"

preload=()
case "$kernel" in
debug|kcsan)
	kdir=$("$AXAS_ROOT/scripts/build-kernel.sh" "$arch" "$kernel")
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
work=$(mktemp -d "${TMPDIR:-/tmp}/axas-vm.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The init is static so it runs with nothing else in the initramfs.
init_bin=$AXAS_ROOT/build/vm/init-$arch
if [ ! -x "$init_bin" ] || [ "$init_bin" -ot "$AXAS_ROOT/scripts/vm/init.c" ]; then
	mkdir -p "$(dirname "$init_bin")"
	# VMs start in parallel: build aside, rename into place atomically.
	"${CROSS}gcc" -static -Os -Wall -o "$init_bin.$$" "$AXAS_ROOT/scripts/vm/init.c"
	mv -f "$init_bin.$$" "$init_bin"
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
if [ -z "$chan" ]; then
	chan=/dev/hvc0
	[ "$arch" = x86_64 ] && chan=/dev/ttyS1
fi
echo "$chan" >"$root/axas/chan"
[ -n "$nonce" ] || nonce=$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')
echo "$nonce" >"$root/axas/nonce"
if [ -n "$script" ]; then
	cp "$script" "$root/axas/script"
else
	printf '%s\n' "${lines[@]}" >"$root/axas/script"
fi
(cd "$root" && find . | cpio -o -H newc --owner=0:0 --quiet | gzip -1) >"$work/initrd.gz"

common=(-nographic -no-reboot -smp "$smp" -m "$mem" -kernel "$image"
	-initrd "$work/initrd.gz" -monitor none -nic none
	-chardev "file,id=con,path=$console" -chardev "file,id=res,path=$out")
# Hang detectors with thresholds a loaded host can meet (soft lockup after
# 2 x watchdog_thresh); init waits for the result channel up to 2/3 of the
# timeout. Hung tasks after 120 s, not the kernel's 45: insmod of the KUnit
# module waits for one test case at a time, and a single case ran 50-64 s
# under KCSAN on a host loaded by other VMs.
cmdline="panic=-1 oops=panic panic_on_warn=1 rdinit=/init loglevel=7"
cmdline+=" watchdog_thresh=20 sysctl.kernel.hung_task_timeout_secs=120"
cmdline+=" rcupdate.rcu_cpu_stall_timeout=45 axas_chan_wait=$((timeout * 2 / 3))"
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

splat='(BUG:|WARNING:|KASAN:|UBSAN:|KCSAN:|Oops|kernel BUG|Kernel panic|general protection fault|Unable to handle kernel|unreferenced object|possible recursive locking|circular locking dependency|inconsistent lock state|suspicious RCU usage|soft lockup|hard LOCKUP|rcu.*detected stalls|self-detected stall|INFO: task .* blocked|blocked for more than|ODEBUG:|Call Trace:|Call trace:)'

# verdict_console [FILE]: the console as the verdict sees it: on the kcsan
# kernel, KCSAN reports that involve no axas code go to FILE instead
# (default: nowhere).
verdict_console() {
	if [ "$kernel" = kcsan ]; then
		awk -v other="${1:-/dev/null}" '
		/BUG: KCSAN:/ { inblk = 1; blk = $0 "\n"; ax = ($0 ~ /axas/); next }
		inblk {
			blk = blk $0 "\n"
			if ($0 ~ /axas/) ax = 1
			if ($0 ~ /====================/) {
				if (ax) printf "%s", blk; else printf "%s", blk >> other
				inblk = 0
			}
			next
		}
		{ print }
		END { if (inblk) printf "%s", blk }' "$console"
	else
		cat "$console"
	fi
}

# boot_once: one boot; sets verdict ("" when the VM ended by itself).
boot_once() {
	: >"$console"
	: >"$out"
	"${qemu[@]}" -append "$cmdline $append" </dev/null >"$work/qemu.log" 2>&1 &
	qpid=$!
	if [ -n "$quiet" ]; then
		tail -n +1 -f --pid=$qpid "$out" | grep --line-buffered -v -e '^axas-init: ' -e '^AXAS-INIT-' &
	else
		tail -n +1 -f --pid=$qpid "$out" &
	fi
	tpid=$!

	# Watch for the end: QEMU exits (reboot), a panic (early panics hang),
	# a splat (15 s for the rest of the report, then stop), the timeout.
	verdict=
	local start=$SECONDS splat_at=
	while kill -0 $qpid 2>/dev/null; do
		if grep -q 'Kernel panic - not syncing' "$console" 2>/dev/null; then
			sleep 2
			verdict="kernel panic"
			break
		fi
		if [ -z "$splat_at" ] && verdict_console | grep -Eq "$splat"; then
			splat_at=$SECONDS
		fi
		if [ -n "$splat_at" ] && [ $((SECONDS - splat_at)) -ge 15 ]; then
			verdict="kernel splat (VM stopped 15 s after it)"
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
}

boot_once
# A crash before the first command of the script is not a test result:
# one more boot, recorded. A crash is a panic or splat, or a VM that ended
# without init's last line; a hang is not retried.
if [ "${verdict#hang}" = "$verdict" ] &&
   { [ -n "$verdict" ] || verdict_console | grep -Eq "$splat" ||
     ! grep -q "AXAS-INIT-DONE .*nonce=$nonce" "$out" "$console"; } &&
   ! grep -q 'axas-init: line [0-9]*:' "$console"; then
	cause=$(grep -E -m 1 "$splat" "$console" | cut -c1-160)
	echo "boot crash before the first command (${verdict:+$verdict: }${cause:-no splat line, no end of init}); booted again" >"$retry"
	echo "axas-vm: $arch: RETRY: $(cat "$retry")" >&2
	cp "$console" "$console.boot1"
	boot_once
fi

# Init fell back to the console: take the verdict from there.
if ! grep -q "^AXAS-INIT-DONE .*nonce=$nonce" "$out" && grep -q 'AXAS-CHAN-FALLBACK' "$console"; then
	echo "axas-vm: $arch: WARNING: the result channel never appeared; results read from the console" >&2
	sed -n "/^AXAS-INIT-START nonce=$nonce/,/^AXAS-INIT-DONE/p" "$console" |
		grep -v '^\[ *[0-9]*\.[0-9]*\]' >>"$out"
fi

rc=$(sed -n "s/^AXAS-INIT-DONE rc=\([0-9]*\) nonce=$nonce\$/\1/p" "$out" | tail -1)
rm -f "$kcsan_other"
verdict_console "$kcsan_other" >"$work/verdict.console"
if grep -Eq "$splat" "$work/verdict.console"; then
	echo "axas-vm: kernel splat on $arch:" >&2
	grep -E -m 5 "$splat" "$work/verdict.console" | sed 's/^/axas-vm:   /' >&2
	verdict=${verdict:-kernel splat}
fi
[ -s "$kcsan_other" ] && echo "axas-vm: $arch: $(grep -c 'BUG: KCSAN' "$kcsan_other") KCSAN report(s) outside axas set aside in $kcsan_other" >&2
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
