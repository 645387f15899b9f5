#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the user-space programs (kselftest, example VMM) for ARCH as static
# binaries in OUT, so they run in an initramfs with no libc.
#
# usage: scripts/build-user.sh ARCH OUT [extra CFLAGS...]
set -euo pipefail
. "$(dirname "$0")/lib.sh"

arch=${1:?arch}; out=${2:?out}; shift 2
arch_setup "$arch"
ksrc=$(ensure_ksrc)
mkdir -p "$out"
cflags=(-static -O2 -g -Wall -D_GNU_SOURCE -I"$AXAS_ROOT/include/uapi" "$@")
cc=${CROSS}gcc

# One kselftest program per selftests/axas/*_test.c: $out/uapi_test, ...
for t in "$AXAS_ROOT"/selftests/axas/*_test.c; do
	"$cc" "${cflags[@]}" -I"$ksrc/tools/testing/selftests" -pthread \
		-o "$out/$(basename "$t" .c)" "$t"
done
"$cc" "${cflags[@]}" -o "$out/axas-vmm" "$AXAS_ROOT/tools/axas-vmm.c"
"$cc" "${cflags[@]}" -o "$out/axasctl" "$AXAS_ROOT/tools/axasctl.c"
"$cc" "${cflags[@]}" -pthread -o "$out/axas-bench" "$AXAS_ROOT/tools/axas-bench.c"
