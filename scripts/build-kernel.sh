#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build (or find in the cache) the axas debug test kernel for ARCH and
# print its build directory. The result is keyed on the source version,
# the compiler and the config fragments, built under a temporary name and
# renamed when complete, so an interrupted build is never used.
#
# usage: scripts/build-kernel.sh ARCH [debug|kcsan]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
# A parent make (make ARCH=...) must not leak its variables into Kbuild.
unset MAKEFLAGS MFLAGS MAKELEVEL

arch=${1:?usage: build-kernel.sh x86_64|arm64|riscv64 [debug|kcsan]}
variant=${2:-debug}
arch_setup "$arch"
ksrc=$(ensure_ksrc)
out=$(kernel_dir "$arch" "$variant")
tag=$arch; [ "$variant" = debug ] || tag=$arch-$variant
[ -f "$out/.axas-complete" ] && { echo "$out"; exit 0; }

mkdir -p "$AXAS_CACHE/kernel"
exec 9>"$AXAS_CACHE/kernel/.lock"
flock 9
[ -f "$out/.axas-complete" ] && { echo "$out"; exit 0; }

# Under the lock, any .tmp folder is an interrupted build: drop them all.
rm -rf "$AXAS_CACHE"/kernel/*.tmp
tmp=$out.tmp
mkdir -p "$tmp" "$AXAS_LOGS"
log=$AXAS_LOGS/kernel-build-$tag.log
echo "axas: building the $tag test kernel in $out (log: $log)" >&2
mapfile -t frags < <(kernel_frags "$arch" "$variant")
mapfile -t margs < <(kernel_make_args "$variant")
kmake=(make -C "$ksrc" O="$tmp" ARCH="$KARCH" CROSS_COMPILE="$CROSS"
       CC="ccache ${CROSS}gcc" HOSTCC="ccache gcc" -j"$(nproc)" "${margs[@]}")
export CCACHE_DIR=${CCACHE_DIR:-$AXAS_CACHE/ccache} CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}
start=$SECONDS
{
	"${kmake[@]}" tinyconfig
	(cd "$tmp" && "$ksrc/scripts/kconfig/merge_config.sh" -m -O "$tmp" "$tmp/.config" "${frags[@]}")
	"${kmake[@]}" olddefconfig
} >"$log" 2>&1 || die "$tag kernel config failed; see $log"

# A fragment line that did not survive olddefconfig is a silent hole in
# the test coverage: refuse to build such a kernel.
bad=0
for f in "${frags[@]}"; do
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=n) sym=${line%%=*}
			grep -q "^$sym=" "$tmp/.config" && { echo "axas: $tag: $line did not stick" >&2; bad=1; } ;;
		CONFIG_*) grep -qx "$line" "$tmp/.config" || { echo "axas: $tag: $line did not stick" >&2; bad=1; } ;;
		esac
	done <"$f"
done
[ $bad -eq 0 ] || die "$tag kernel config is not what the fragments ask for"

"${kmake[@]}" >>"$log" 2>&1 || die "$tag kernel build failed; see $log"
touch "$tmp/.axas-complete"
rm -rf "$out"
mv "$tmp" "$out"
echo "axas: $tag test kernel built in $((SECONDS - start)) s" >&2
echo "$out"
