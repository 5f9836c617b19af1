#!/bin/bash
# Raspberry Pi's libcamera fork (what Raspberry Pi OS ships, tagged
# vX.Y.Z+rptYYYYMMDD), built from its source tarballs, so that the tests run
# against the libcamera picamgo's users actually link with.
#
#   .ci/rpifork.sh prefix FLAVOR [ARCH]   build once (cached) and print the install prefix
#   .ci/rpifork.sh install TARBALL ARCH PREFIX LIBDIR
#                                         build and install into this system (Dockerfile.cross)
#   .ci/rpifork.sh tarball FLAVOR         print the tarball FLAVOR stands for
#   .ci/rpifork.sh userland               install the host's own OpenCV, FFmpeg and test tools (for
#                                         the nested modules) where missing
#   .ci/rpifork.sh cross ARCH FLAVOR STEP [OUTDIR]
#                                         `.ci/cross.sh STEP` (build or test) on this
#                                         host against FLAVOR cross-built for ARCH:
#                                         test binaries run under qemu-user, with the
#                                         host's multiarch libraries as the target's
#
# FLAVOR: rpi-0.5 or rpi-0.7: the newest libcamera-0.5.*.tar.xz (or 0.7.*) in
# $PICAMGO_LIBCAMERA_RPI, default ../shared/libcamera-rpi beside the repository.
# ARCH: amd64 (the build machine, default), arm64 or armhf, cross-compiled with
# Debian's multiarch packages and cross compilers on a Debian (bookworm) host.
# Builds are cached in $PICAMGO_CACHE (default ~/.cache/picamgo) as
# libcamera-FLAVOR-ARCH (prefix, lib/ and lib/pkgconfig/) and rebuilt when the
# tarball or this recipe changes. The virtual pipeline reads its cameras from
# PREFIX/share/libcamera/pipeline/virtual/virtual.yaml (a compile-time path).
set -euo pipefail

die() { echo "rpifork: $*" >&2; exit 1; }

here=$(cd "$(dirname "$0")/.." && pwd)
cache=${PICAMGO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/picamgo}
srcdir=${PICAMGO_LIBCAMERA_RPI:-$here/../shared/libcamera-rpi}

# Only what the tests need: the virtual camera, and the vc4 pipeline because
# the fork's rpi:: controls (control_ids_rpi.yaml) are declared only when an
# rpi pipeline is built. No IPA modules, tools, bindings or docs. Optimised
# as a distribution builds it; warnings are not errors (gcc 12 at -O2 warns
# falsely, -Wrestrict, in 0.7's src/apps).
meson_options="-Dbuildtype=debugoptimized -Dwerror=false
	-Dpipelines=virtual,rpi/vc4 -Dipas= -Dcam=disabled -Dqcam=disabled
	-Dlc-compliance=disabled -Dgstreamer=disabled -Dv4l2=false -Dpycamera=disabled
	-Dtest=false -Ddocumentation=disabled -Dtracing=disabled"

# Debian architecture -> GNU triplet and meson's CPU names.
target() {
	case "$1" in
	amd64) triplet=x86_64-linux-gnu cpu_family=x86_64 cpu=x86_64 ;;
	arm64) triplet=aarch64-linux-gnu cpu_family=aarch64 cpu=aarch64 ;;
	armhf) triplet=arm-linux-gnueabihf cpu_family=arm cpu=armv7hl ;;
	*) die "unknown ARCH '$1' (want amd64, arm64 or armhf)" ;;
	esac
}

# The build dependencies, installed with apt where missing. libudev is needed
# at run time (CameraManager::start enumerates devices through it); libyuv by
# the virtual pipeline (without it meson tries to clone it), with libjpeg.
deps() {
	local arch=$1 native q="" want=() p
	native=$(dpkg --print-architecture)
	[ "$arch" = "$native" ] || q=":$arch"
	want=(meson ninja-build pkg-config python3-yaml python3-ply python3-jinja2 g++
		"libyaml-dev$q" "libssl-dev$q" "libyuv-dev$q" "libjpeg-dev$q" "libudev-dev$q")
	[ -z "$q" ] || want+=("g++-$triplet")
	local missing=()
	for p in "${want[@]}"; do
		dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -gt 0 ] || return 0
	echo "rpifork: apt-get install ${missing[*]}" >&2
	if [ -n "$q" ] && ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
		dpkg --add-architecture "$arch"
	fi
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# meson's description of the target when cross-compiling.
cross_file() {
	cat <<EOF
[binaries]
c = '$triplet-gcc'
cpp = '$triplet-g++'
ar = '$triplet-ar'
strip = '$triplet-strip'
pkgconfig = 'pkg-config'

[properties]
pkg_config_libdir = '/usr/lib/$triplet/pkgconfig:/usr/share/pkgconfig'

[host_machine]
system = 'linux'
cpu_family = '$cpu_family'
cpu = '$cpu'
endian = 'little'
EOF
}

# Builds TARBALL for ARCH and installs it into PREFIX (libraries in PREFIX/LIBDIR).
build() {
	local tarball=$1 arch=$2 prefix=$3 libdir=$4 work cross=()
	target "$arch"
	deps "$arch"
	work=$(mktemp -d "${TMPDIR:-/tmp}/picamgo-libcamera.XXXXXX")
	trap 'rm -rf "$work"' RETURN
	tar -xf "$tarball" -C "$work"
	local src
	src=$(find "$work" -mindepth 1 -maxdepth 1 -type d | head -n1)
	if [ "$arch" != "$(dpkg --print-architecture)" ]; then
		cross_file >"$work/cross.txt"
		cross=(--cross-file "$work/cross.txt")
	fi
	echo "rpifork: building $(basename "$tarball") for $arch into $prefix ..." >&2
	# Debian's python3 (with ply, yaml, jinja2), not one earlier on PATH.
	# shellcheck disable=SC2086 # word list on purpose
	(cd "$src" && PATH=/usr/bin:/bin:/usr/sbin:/sbin meson setup "$work/build" \
		--prefix="$prefix" --libdir="$libdir" "${cross[@]}" $meson_options) \
		>"$work/log" 2>&1 || { tail -n 40 "$work/log" >&2; return 1; }
	PATH=/usr/bin:/bin:/usr/sbin:/sbin ninja -C "$work/build" install >>"$work/log" 2>&1 ||
		{ tail -n 40 "$work/log" >&2; return 1; }
}

tarball_for() {
	local flavor=$1 v
	case "$flavor" in
	rpi-[0-9]*.[0-9]*) v=${flavor#rpi-} ;;
	*) die "unknown flavor '$flavor' (want rpi-0.5 or rpi-0.7)" ;;
	esac
	[ -d "$srcdir" ] || die "no fork sources at $srcdir (set PICAMGO_LIBCAMERA_RPI)"
	local t
	t=$(find "$srcdir" -maxdepth 1 -name "libcamera-$v.*.tar.xz" | sort -V | tail -n1)
	[ -n "$t" ] || die "no libcamera-$v.*.tar.xz in $srcdir"
	echo "$t"
}

# The cached build of FLAVOR for ARCH: rebuilt when the tarball or this recipe changes.
prefix_for() {
	local flavor=$1 arch=${2:-$(dpkg --print-architecture)} tarball prefix recipe
	tarball=$(tarball_for "$flavor")
	prefix=$cache/libcamera-$flavor-$arch
	recipe=$({ sha256sum <"$tarball"; declare -f build deps cross_file target
		echo "$meson_options $arch"; } | sha256sum | cut -c1-16)
	mkdir -p "$cache"
	if [ "$(cat "$prefix/.picamgo-recipe" 2>/dev/null)" != "$recipe" ]; then
		(
			# One builder per prefix; a concurrent caller waits and then reuses it.
			flock 9
			if [ "$(cat "$prefix/.picamgo-recipe" 2>/dev/null)" != "$recipe" ]; then
				local t0=$SECONDS
				rm -rf "$prefix"
				build "$tarball" "$arch" "$prefix" lib
				mkdir -p "$prefix/share/libcamera/pipeline/virtual"
				echo "$recipe" >"$prefix/.picamgo-recipe"
				echo "rpifork: libcamera $(PKG_CONFIG_PATH=$prefix/lib/pkgconfig pkg-config --modversion libcamera)" \
					"for $arch ready in $((SECONDS - t0))s" >&2
			fi
		) 9>"$prefix.lock"
	fi
	echo "$prefix"
}

# Runs .ci/cross.sh's build or test step on this host against the fork
# cross-built for ARCH: the nearest thing to Raspberry Pi OS 12 without a Pi
# when the host is bookworm (its glibc, libstdc++ and libraries, for ARCH).
cross() {
	local arch=$1 flavor=$2 prefix qemu
	shift 2
	[ $# -gt 0 ] || die "cross ARCH FLAVOR STEP [OUTDIR]"
	target "$arch"
	prefix=$(prefix_for "$flavor" "$arch")
	case "$arch" in arm64) qemu=qemu-aarch64 ;; armhf) qemu=qemu-arm ;; *) die "cross: ARCH arm64 or armhf" ;; esac
	if [ "$1" = test ] && ! command -v "$qemu" >/dev/null; then
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-user >/dev/null
	fi
	echo "rpifork: Raspberry Pi's libcamera $(PKG_CONFIG_LIBDIR=$prefix/lib/pkgconfig pkg-config --modversion libcamera)" \
		"for $arch from $prefix" >&2
	# The target's libcamera is found through pkg-config at build time and
	# LD_LIBRARY_PATH at run time (qemu hands it to the target's loader); its
	# virtual cameras are the repo's, bound in a private mount namespace.
	cd "$here"
	exec unshare --mount --propagation private -- /usr/bin/env \
		CROSS_PKG_CONFIG_LIBDIR="$prefix/lib/pkgconfig" LD_LIBRARY_PATH="$prefix/lib" ARCH="$arch" \
		PICAMGO_EXPECT_RPI_CONTROLS=1 \
		/bin/bash -c 'set -e; yaml=$1/share/libcamera/pipeline/virtual/virtual.yaml; shift
			mkdir -p "$(dirname "$yaml")" && touch "$yaml"
			mount --bind testdata/virtual.yaml "$yaml"
			exec .ci/cross.sh "$@"' sh "$prefix" "$@"
}

# The nested modules need OpenCV (gocv) and FFmpeg with TurboJPEG
# (pkg/video; its live example's page test a headless Chromium): the tests
# take the host's own, as a Raspberry Pi OS 12 user would (bookworm: OpenCV
# 4.6, FFmpeg 5.1), so that .ci/gotest.sh judges those versions rather than
# skipping for want of any. The tests read their files back with ffprobe
# and ffmpeg (cmd/picamgo fails without them), exiftool, raw-identify and
# dcraw (pkg/picam's EXIF and DNG checks), as in the 0.7 test root: a fresh
# host has none of them.
userland() {
	local want=(libopencv-dev libavcodec-dev libavformat-dev libavutil-dev libturbojpeg0-dev
		chromium-headless-shell ffmpeg libimage-exiftool-perl libraw-bin dcraw) missing=() p
	for p in "${want[@]}"; do
		dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -gt 0 ] || return 0
	echo "rpifork: apt-get install ${missing[*]}" >&2
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

case "${1:-}" in
cross) shift; cross "$@" ;;
userland) userland ;;
prefix) shift; prefix_for "$@" ;;
install) shift; [ $# -eq 4 ] || die "install TARBALL ARCH PREFIX LIBDIR"; build "$@" ;;
tarball) shift; tarball_for "$@" ;;
*) sed -n '2,18p' "$0" >&2; exit 2 ;;
esac
