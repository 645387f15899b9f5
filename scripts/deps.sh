#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install the host packages axas needs. Idempotent: asks apt only for what
# is missing, so a warm machine spends no time here.
set -euo pipefail

PKGS=(
	linux-source-6.12 linux-config-6.12
	qemu-system-x86 qemu-system-arm qemu-system-misc
	gcc-aarch64-linux-gnu gcc-riscv64-linux-gnu
	libc6-dev-arm64-cross libc6-dev-riscv64-cross
	flex bison bc libelf-dev libssl-dev cpio xz-utils kmod pahole ccache
	sparse busybox-static python3-docutils python3-sphinx make gcc
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "axas: installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
