#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build axas.ko (and axas_kunit.ko when the kernel has KUnit) for ARCH
# against the kernel build tree KDIR, in OUT. Sources stay in place: OUT
# mirrors them with symlinks, because Kbuild writes objects beside the
# sources of an external module and one tree serves several arches.
#
# usage: scripts/build-module.sh ARCH KDIR OUT [make args...]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
# A parent make (make ARCH=...) must not leak its variables into Kbuild.
unset MAKEFLAGS MFLAGS MAKELEVEL

arch=${1:?arch}; kdir=${2:?kdir}; out=${3:?out}; shift 3
arch_setup "$arch"
case "$out" in *,*) die "Kbuild cannot build in a path with a comma: $out" ;; esac

mkdir -p "$out"
out=$(cd "$out" && pwd)
# Drop links whose source is gone, then link every current source.
find "$out" -type l ! -exec test -e {} \; -delete
(cd "$AXAS_ROOT" && find . -path ./logs -prune -o -path ./build -prune -o \
	\( -name '*.[ch]' -o -name Kbuild \) -print) |
while read -r f; do
	case "$f" in ./selftests/*|./tools/*) continue ;; esac
	mkdir -p "$out/$(dirname "$f")"
	ln -sfn "$AXAS_ROOT/${f#./}" "$out/$f"
done

exec make -C "$kdir" M="$out" ARCH="$KARCH" CROSS_COMPILE="$CROSS" "$@" modules
