# SPDX-License-Identifier: GPL-2.0
# Shared definitions for the axas scripts; source, do not run.

AXAS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
AXAS_CACHE=${AXAS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/axas}
AXAS_LOGS=${AXAS_LOGS:-$AXAS_ROOT/logs}

# The one place the Debian kernel ABI is pinned (stock kernels and source).
AXAS_DEB_KVER=${AXAS_DEB_KVER:-6.12.117+deb12}
AXAS_DEB_PKGVER=${AXAS_DEB_PKGVER:-6.12.117-1~deb12u1}

die() { echo "axas: $*" >&2; exit 1; }

# arch_setup ARCH: sets KARCH, CROSS, IMAGE (path inside a build dir).
arch_setup() {
	case "$1" in
	x86_64)  KARCH=x86_64; CROSS=;                     IMAGE=arch/x86/boot/bzImage ;;
	arm64)   KARCH=arm64;  CROSS=aarch64-linux-gnu-;   IMAGE=arch/arm64/boot/Image ;;
	riscv64) KARCH=riscv;  CROSS=riscv64-linux-gnu-;   IMAGE=arch/riscv/boot/Image ;;
	*) die "unknown arch '$1' (x86_64, arm64, riscv64)" ;;
	esac
	if [ "$1" = "$(uname -m)" ] || { [ "$1" = arm64 ] && [ "$(uname -m)" = aarch64 ]; }; then
		CROSS=
	fi
	# An explicit CROSS_COMPILE (environment or make's command line) wins.
	CROSS=${CROSS_COMPILE-$CROSS}
}

# The extracted linux-source-6.12 tree (read-only; builds use O=).
ksrc_dir() {
	local ver
	ver=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null) ||
		die "linux-source-6.12 is not installed (run scripts/deps.sh)"
	# Kbuild dislikes unusual characters in paths: keep [A-Za-z0-9._-].
	echo "$AXAS_CACHE/src/linux-source-6.12-${ver//[^A-Za-z0-9._-]/_}"
}

ensure_ksrc() {
	local d
	d=$(ksrc_dir)
	if [ ! -f "$d/.axas-extracted" ]; then
		mkdir -p "$AXAS_CACHE/src"
		(
			flock 9
			if [ ! -f "$d/.axas-extracted" ]; then
				rm -rf "$d" "$d.tmp"
				mkdir -p "$d.tmp"
				tar -C "$d.tmp" -xf /usr/src/linux-source-6.12.tar.xz --strip-components=1
				touch "$d.tmp/.axas-extracted"
				mv "$d.tmp" "$d"
			fi
		) 9>"$AXAS_CACHE/src/.lock"
	fi
	echo "$d"
}

# kernel_frags ARCH [VARIANT]: the config fragments of a test kernel.
# VARIANT is debug (default: lockdep, KASAN, kmemleak, ...) or kcsan.
kernel_frags() {
	local v=${2:-debug}
	[ -f "$AXAS_ROOT/scripts/kconfig/$v.config" ] || die "unknown kernel variant '$v'"
	echo "$AXAS_ROOT/scripts/kconfig/base.config"
	echo "$AXAS_ROOT/scripts/kconfig/$v.config"
	echo "$AXAS_ROOT/scripts/kconfig/$1.config"
}

# kernel_make_args [VARIANT]: extra make arguments of a test kernel. The
# KCSAN kernel instruments no core-kernel object (KCSAN_SANITIZE=n on the
# command line overrides every directory): modules built against it, axas,
# are instrumented, so KCSAN's sampling (one watchpoint per
# CONFIG_KCSAN_SKIP_WATCH instrumented accesses) spends itself on axas,
# and the core kernel's own known races do not drown its reports. Races
# of axas against the core kernel still show as value changes.
kernel_make_args() {
	[ "${1:-debug}" = kcsan ] && echo KCSAN_SANITIZE=n
	return 0
}

# The cache key of a test kernel: source version, arch, compiler, fragments.
kernel_key() {
	local arch=$1 ksrc
	arch_setup "$arch"
	ksrc=$(ksrc_dir)
	{
		echo "v1 $ksrc $arch"
		"${CROSS}gcc" --version | head -1
		kernel_frags "$arch" "${2:-debug}" | xargs cat
		kernel_make_args "${2:-debug}"
	} | sha256sum | cut -c1-16
}

# kernel_dir ARCH [VARIANT]
kernel_dir() {
	local v=${2:-debug} tag=$1
	[ "$v" = debug ] || tag=$1-$v
	echo "$AXAS_CACHE/kernel/$tag-$(kernel_key "$1" "$v")"
}
