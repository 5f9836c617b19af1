#!/bin/bash
# Builds (once) and enters a Debian trixie root with libcamera's virtual pipeline,
# because bookworm's libcamera (0.0.3) has none and trixie's needs a newer glibc.
#
#   .ci/testroot.sh path  FLAVOR          print the root's path, building it if needed
#   .ci/testroot.sh run   FLAVOR CMD...   run CMD in the root, repo at /src
#
# FLAVOR: 0.7 (trixie-backports, default) or 0.4 (trixie's own). Where the host's
# own libcamera has the virtual pipeline, `run` uses the host (set
# PICAMGO_NATIVE=0 to force the root, 1 to force the host).
# FLAVOR rpi-0.5 or rpi-0.7: Raspberry Pi's fork, built from source on the host
# by .ci/rpifork.sh (cached) and always run natively against that build.
# Roots are cached in $PICAMGO_CACHE (default ~/.cache/picamgo), outside the repo,
# and rebuilt when this recipe changes.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cache=${PICAMGO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/picamgo}
flavor=${2:-0.7}

packages="libcamera-dev pkg-config g++ ca-certificates"
extra=""

case "$flavor" in
# OpenCV (for gocv, pkg/picamcv) and FFmpeg + TurboJPEG (pkg/video, with the
# ffmpeg/ffprobe CLI its tests decode with, and a headless Chromium that loads
# its example page; exiftool, raw-identify and dcraw to read back EXIF and DNG
# files) only in the main root: about +1.8 GB.
0.7) backports=1 extra="libopencv-dev libavcodec-dev libavformat-dev libavutil-dev libturbojpeg0-dev ffmpeg chromium-headless-shell libimage-exiftool-perl libraw-bin dcraw" ;;
0.4) backports=0 ;;
rpi-*) backports=0 ;; # no root: see run_fork
*) echo "testroot: unknown libcamera flavor '$flavor' (want 0.7, 0.4, rpi-0.5 or rpi-0.7)" >&2; exit 2 ;;
esac

root="$cache/trixie-$flavor"

mirror() {
	# Reuse the host's own Debian mirror so no address is baked in here.
	if [ -n "${PICAMGO_DEBIAN_MIRROR:-}" ]; then echo "$PICAMGO_DEBIAN_MIRROR"; return; fi
	local uri
	uri=$(grep -hoE '^(URIs:|deb) +[a-z]+://[^ ]+/debian/?( |$)' \
		/etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null |
		grep -oE '[a-z]+://[^ ]+' | head -n1 || true)
	[ -n "$uri" ] || { echo "testroot: no Debian mirror in /etc/apt; set PICAMGO_DEBIAN_MIRROR" >&2; exit 1; }
	echo "${uri%/}"
}

build() {
	command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }
	local m tmp
	m=$(mirror)
	tmp="$root.tmp.$$"
	rm -rf "$root".tmp.* && mkdir -p "$cache"
	echo "testroot: building $root (libcamera $flavor) from $m ..." >&2
	debootstrap --variant=minbase --include="${packages// /,}" trixie "$tmp" "$m" >"$tmp.log" 2>&1 ||
		{ tail -n 30 "$tmp.log" >&2; exit 1; }
	# Extras first, from trixie itself: backports' libcamera then upgrades
	# what it shares with them (mesa) consistently.
	if [ -n "$extra" ]; then
		chroot "$tmp" sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $extra" >>"$tmp.log" 2>&1 ||
			{ tail -n 30 "$tmp.log" >&2; exit 1; }
	fi
	if [ "$backports" = 1 ]; then
		echo "deb $m trixie-backports main" >"$tmp/etc/apt/sources.list.d/backports.list"
		chroot "$tmp" sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -t trixie-backports libcamera-dev' >>"$tmp.log" 2>&1 ||
			{ tail -n 30 "$tmp.log" >&2; exit 1; }
	fi
	chroot "$tmp" apt-get clean
	mkdir -p "$tmp/src" "$tmp/usr/local/go" "$tmp/gocache" "$tmp/gomodcache" "$tmp/usr/share/libcamera/pipeline/virtual"
	echo "$recipe" >"$tmp/.picamgo-recipe"
	rm -rf "$root" && mv "$tmp" "$root" && rm -f "$tmp.log"
	echo "testroot: libcamera $(chroot "$root" pkg-config --modversion libcamera) ready" >&2
}

ensure() {
	if [ "$(cat "$root/.picamgo-recipe" 2>/dev/null)" != "$recipe" ]; then
		(
			# One builder at a time; a concurrent caller waits and then reuses it.
			flock 9
			[ "$(cat "$root/.picamgo-recipe" 2>/dev/null)" = "$recipe" ] || build
		) 9>"$cache.lock"
	fi
}

# The recipe's identity: what goes into the root and how. A change rebuilds it;
# editing how a root is used does not.
recipe=$( { declare -f build; echo "$packages $extra $flavor $backports"; } | sha256sum | cut -c1-16)

# The host can run the tests itself when its libcamera (0.4 or newer) has the
# virtual pipeline compiled in.
native_ok() {
	case "${PICAMGO_NATIVE:-auto}" in 1) return 0 ;; 0) return 1 ;; esac
	local v lib
	v=$(pkg-config --modversion libcamera 2>/dev/null) || return 1
	case "$v" in 0.[0-3] | 0.[0-3].*) return 1 ;; esac
	lib=$(pkg-config --variable=libdir libcamera)/libcamera.so
	[ -e "$lib" ] && grep -q PipelineHandlerVirtual "$(readlink -f "$lib")"
}

run_native() {
	# The virtual camera reads only this path (LIBCAMERA_DATA_DIR, fixed when
	# libcamera is built): put the repo's file there in a private mount
	# namespace so the host's own file is left alone.
	local yaml=${virtual_yaml:-/usr/share/libcamera/pipeline/virtual/virtual.yaml}
	libcamera_key
	exec unshare --mount --propagation private -- /bin/bash -c '
		set -e; yaml=$1 here=$2; shift 2
		mkdir -p "$(dirname "$yaml")"; [ -e "$yaml" ] || touch "$yaml"
		mount --bind "$here/testdata/virtual.yaml" "$yaml"
		cd "$here"; export LIBCAMERA_PIPELINES_MATCH_LIST=virtual CGO_ENABLED=1
		exec "$@"' sh "$yaml" "$here" "$@"
}

# Go's build cache does not key cgo packages on what pkg-config finds, so
# after switching libcamera (another PKG_CONFIG_PATH, an upgrade) it reused
# objects compiled against the old headers and linked to the old soname
# ("error while loading shared libraries: libcamera.so.0.5"). The version and
# library directory in CGO_CPPFLAGS make them part of the key: one set of
# cached objects per libcamera, none rebuilt when switching back.
# PICAMGO_LIBCAMERA_KEY=0 leaves it out (to show the failure it prevents).
libcamera_key() {
	[ "${PICAMGO_LIBCAMERA_KEY:-1}" != 0 ] || return 0
	local v dir
	v=$(pkg-config --modversion libcamera 2>/dev/null) || return 0
	dir=$(pkg-config --variable=libdir libcamera)
	export CGO_CPPFLAGS="${CGO_CPPFLAGS:-} -DPICAMGO_LIBCAMERA=$v -DPICAMGO_LIBCAMERA_LIBDIR=$dir"
}

# Raspberry Pi's fork: the host builds it (once, cached) and runs against it.
run_fork() {
	local prefix
	prefix=$("$here/.ci/rpifork.sh" prefix "$flavor")
	"$here/.ci/rpifork.sh" userland
	export PKG_CONFIG_PATH=$prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
	export LD_LIBRARY_PATH=$prefix/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
	virtual_yaml=$prefix/share/libcamera/pipeline/virtual/virtual.yaml
	# The tests of the fork's rpi:: controls must run here, not skip.
	export PICAMGO_EXPECT_RPI_CONTROLS=1
	echo "testroot: Raspberry Pi's libcamera $(pkg-config --modversion libcamera) from $prefix; running natively" >&2
	run_native "$@"
}

case "${1:-}" in
path)
	case "$flavor" in rpi-*) exec "$here/.ci/rpifork.sh" prefix "$flavor" ;; esac
	mkdir -p "$cache"; ensure; echo "$root" ;;
run)
	shift 2
	case "$flavor" in rpi-*) run_fork "$@" ;; esac
	if native_ok; then
		echo "testroot: host libcamera $(pkg-config --modversion libcamera) has the virtual pipeline; running natively" >&2
		run_native "$@"
	fi
	mkdir -p "$cache"; ensure
	PICAMGO_PASS_ENV="LIBCAMERA_LOG_LEVELS PICAMGO_LOG" exec "$here/.ci/enterroot.sh" "$root" "trixie-$flavor" "$@" ;;
*)
	sed -n '2,10p' "$0" >&2; exit 2 ;;
esac
