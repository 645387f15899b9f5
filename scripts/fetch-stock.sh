#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Fetch Debian's stock kernel for ARCH (image + headers) into the cache,
# unpacked with dpkg -x, never installed system-wide. Prints the folder.
# The ABI is pinned in scripts/lib.sh (AXAS_DEB_KVER).
#
# usage: scripts/fetch-stock.sh x86_64|arm64
set -euo pipefail
. "$(dirname "$0")/lib.sh"

arch=${1:?usage: fetch-stock.sh x86_64|arm64}
case "$arch" in
x86_64) darch=amd64 ;;
arm64)  darch=arm64 ;;
*) die "no Debian stock kernel for $arch in bookworm" ;;
esac
K=$AXAS_DEB_KVER
out=$AXAS_CACHE/stock/$K-$darch
[ -f "$out/.axas-complete" ] && { echo "$out"; exit 0; }

mkdir -p "$AXAS_CACHE/stock"
exec 9>"$AXAS_CACHE/stock/.lock"
flock 9
[ -f "$out/.axas-complete" ] && { echo "$out"; exit 0; }

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
if [ "$darch" != "$(dpkg --print-architecture)" ] &&
   ! dpkg --print-foreign-architectures | grep -qx "$darch"; then
	$SUDO dpkg --add-architecture "$darch"
	$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
fi

# The kbuild tools must run here: take them from the host architecture.
pkgs=("linux-image-$K-$darch-unsigned:$darch" "linux-headers-$K-$darch:$darch"
      "linux-headers-$K-common" "linux-kbuild-$K")
tmp=$out.tmp
rm -rf "$tmp"
mkdir -p "$tmp/debs"
echo "axas: fetching Debian's $K $darch kernel" >&2
if ! (cd "$tmp/debs" && apt-get download -q "${pkgs[@]}" >/dev/null 2>&1); then
	$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
	(cd "$tmp/debs" && apt-get download -q "${pkgs[@]}" >/dev/null) ||
		die "cannot download ${pkgs[*]}"
fi
for d in "$tmp"/debs/*.deb; do
	dpkg -x "$d" "$tmp/root"
done
rm -rf "$tmp/debs"

# The headers' Makefile names the common headers by absolute path.
hdr=$tmp/root/usr/src/linux-headers-$K-$darch
sed -i "s|/usr/src/linux-headers-$K-common|$out/root/usr/src/linux-headers-$K-common|g" \
	"$hdr/Makefile"
# Early-boot drivers the test VMs need that Debian builds as modules.
for m in drivers/virtio/virtio_mmio; do
	f=$tmp/root/lib/modules/$K-$darch/kernel/$m.ko.xz
	[ -f "$f" ] && xz -dk "$f"
done
touch "$tmp/.axas-complete"
rm -rf "$out"
mv "$tmp" "$out"
echo "$out"
