#!/bin/bash
# Cross-compiles picamgo for Raspberry Pi OS (arm64, or 32-bit armhf) and runs
# the cross-built tests under qemu-user. Dockerfile.cross and `make cross` /
# `make test-arm64` both run this one script, so the two routes cannot drift.
#
# Steps, run inside a Debian system (a Docker build stage, or the cross root):
#   .ci/cross.sh setup             arm64/armhf multiarch, the cross compilers,
#                                  libcamera-dev:$ARCH, FFmpeg and TurboJPEG for
#                                  $ARCH (plus qemu-user, the ffmpeg CLI and headless
#                                  Chromium if QEMU=1)
#   .ci/cross.sh build [OUTDIR]    every main package under examples/ for $ARCH
#                                  into OUTDIR (default out/$ARCH), also pkg/video's
#   .ci/cross.sh test [OUTDIR]     test binaries of every package with tests for
#                                  $ARCH into OUTDIR (default out/test-$ARCH; a nested
#                                  module's in OUTDIR/its/path), each run under
#                                  qemu from its package's directory
#   (nested modules whose C libraries the target lacks are skipped, loudly)
# On a host without Docker (what make does):
#   .ci/cross.sh path ARCH         print the cached cross root, building it if needed
#   .ci/cross.sh run ARCH STEP...  run `.ci/cross.sh STEP...` in that root, repo at /src
#
# Settings (environment; Dockerfile.cross passes its build arguments through):
#   ARCH               arm64 (default) or armhf
#   LIBCAMERA_SOURCE   where libcamera-dev:$ARCH comes from:
#                        backports  CODENAME-backports of the Debian mirror (default;
#                                   0.7.x on trixie)
#                        distro     the base release's own libcamera (0.4.0 on trixie)
#                        deb ...    any apt source line, e.g. Raspberry Pi's archive:
#                                   "deb http://archive.raspberrypi.com/debian/ bookworm main";
#                                   its libcamera* packages are pinned above Debian's
#   LIBCAMERA_KEYRING  URL or file of the key that signs that source (armored or binary)
#   GOARM              for armhf (default 7)
#   CROSS_SUITE        Debian release of the cached root (default trixie); must be
#                      the release the Pi runs, e.g. bookworm for Raspberry Pi OS 12
#   CROSS_TESTFLAGS    extra flags for the test binaries (e.g. -test.run=Capture -test.v)
# Roots live in $PICAMGO_CACHE (default ~/.cache/picamgo) as SUITE-cross-ARCH and
# are rebuilt when the recipe (setup, the root build, these settings) changes.
set -euo pipefail

ARCH=${ARCH:-arm64}
LIBCAMERA_SOURCE=${LIBCAMERA_SOURCE:-backports}
LIBCAMERA_KEYRING=${LIBCAMERA_KEYRING:-}
CROSS_SUITE=${CROSS_SUITE:-trixie}

die() { echo "cross: $*" >&2; exit 1; }

# The target's names: Debian architecture -> GNU triplet, Go architecture, qemu.
target() {
	case "$ARCH" in
	arm64) triplet=aarch64-linux-gnu goarch=arm64 qemu=qemu-aarch64 ;;
	armhf) triplet=arm-linux-gnueabihf goarch=arm qemu=qemu-arm ;;
	*) die "unknown ARCH '$ARCH' (want arm64 or armhf)" ;;
	esac
}

# The Debian mirror this system already uses (its apt sources), so that no
# address is baked in here.
debian_mirror() {
	if [ -n "${PICAMGO_DEBIAN_MIRROR:-}" ]; then echo "${PICAMGO_DEBIAN_MIRROR%/}"; return; fi
	local uri
	uri=$(grep -hoE '^(URIs:|deb) +[a-z]+://[^ ]+/debian/?( |$)' \
		/etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null |
		grep -oE '[a-z]+://[^ ]+' | head -n1 || true)
	echo "${uri:-http://deb.debian.org/debian}" | sed 's,/$,,'
}

# In the build system: multiarch, cross compilers, libcamera-dev for the target.
setup() {
	target
	export DEBIAN_FRONTEND=noninteractive
	local codename mirror host tools release=()
	codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
	mirror=$(debian_mirror)
	if [ "$(dpkg --print-architecture)" = "$ARCH" ]; then
		tools="gcc g++" # already on the target (e.g. Docker on an arm64 machine)
	else
		tools="gcc-$triplet g++-$triplet"
		dpkg --add-architecture "$ARCH"
	fi
	apt-get update -qq
	case "$LIBCAMERA_SOURCE" in
	backports)
		echo "deb $mirror $codename-backports main" >/etc/apt/sources.list.d/picamgo-libcamera.list
		release=(-t "$codename-backports") ;;
	distro) ;;
	deb\ *)
		if [ -n "$LIBCAMERA_KEYRING" ]; then
			local key=/tmp/picamgo-libcamera.key
			case "$LIBCAMERA_KEYRING" in
			http://* | https://*)
				command -v curl >/dev/null || apt-get install -y -qq --no-install-recommends curl ca-certificates >/dev/null
				curl -fsSL "$LIBCAMERA_KEYRING" -o "$key" ;;
			*) cp "$LIBCAMERA_KEYRING" "$key" ;;
			esac
			# apt reads armored keys as .asc and binary ones as .gpg.
			if grep -q 'BEGIN PGP PUBLIC KEY' "$key"; then
				mv "$key" /etc/apt/trusted.gpg.d/picamgo-libcamera.asc
			else
				mv "$key" /etc/apt/trusted.gpg.d/picamgo-libcamera.gpg
			fi
		fi
		echo "$LIBCAMERA_SOURCE" >/etc/apt/sources.list.d/picamgo-libcamera.list
		# Take libcamera (and nothing else) from that source even where Debian's
		# version number is higher.
		host=$(echo "$LIBCAMERA_SOURCE" | grep -oE '[a-z]+://[^/ ]+' | head -n1 | sed 's,.*://,,')
		printf 'Package: libcamera*:any libpisp*:any\nPin: origin "%s"\nPin-Priority: 1001\n' "$host" \
			>/etc/apt/preferences.d/picamgo-libcamera ;;
	*) die "LIBCAMERA_SOURCE must be backports, distro or an apt line 'deb URL SUITE COMPONENT...'" ;;
	esac
	apt-get update -qq
	# shellcheck disable=SC2086 # word lists on purpose
	apt-get install -y -qq --no-install-recommends ca-certificates pkg-config $tools \
		${QEMU:+qemu-user} >/dev/null
	# With libcamera, pkg/video's FFmpeg and TurboJPEG for the target; where the
	# tests run (QEMU=1) also the build system's own ffmpeg CLI (the tests decode
	# what they wrote with ffprobe/ffmpeg) and headless Chromium (the live
	# example's page test). One call, from the same release as libcamera: the
	# libraries both architectures share (Multi-Arch: same, e.g. Mesa, which
	# libcamera-dev:arm64 from backports pulls from backports) must have one
	# version, which separate calls fail to agree on.
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends "${release[@]}" "libcamera-dev:$ARCH" \
		"libavcodec-dev:$ARCH" "libavformat-dev:$ARCH" "libavutil-dev:$ARCH" "libturbojpeg0-dev:$ARCH" \
		${QEMU:+ffmpeg chromium-headless-shell} >/dev/null
	apt-get clean
	rm -rf /var/lib/apt/lists/*
	echo "cross: libavcodec-dev:$ARCH $(dpkg-query -W -f '${Version}' "libavcodec-dev:$ARCH")," \
		"libturbojpeg0-dev:$ARCH $(dpkg-query -W -f '${Version}' "libturbojpeg0-dev:$ARCH")" >&2
	echo "cross: libcamera-dev:$ARCH $(dpkg-query -W -f '${Version}' "libcamera-dev:$ARCH")," \
		"soname $(cd "/usr/lib/$triplet" && ls libcamera.so.* | grep -E '^libcamera\.so\.[0-9]+\.[0-9]+$')" >&2
}

# In the build system: the Go environment for the target.
go_env() {
	target
	export CGO_ENABLED=1 GOOS=linux GOARCH=$goarch
	if [ "$ARCH" = armhf ]; then export GOARM=${GOARM:-7}; else unset GOARM; fi
	if [ "$(dpkg --print-architecture)" = "$ARCH" ]; then
		export CC=gcc CXX=g++
	else
		export CC=$triplet-gcc CXX=$triplet-g++
	fi
	# Only the target's .pc files: the build system's own must not leak in.
	# (CROSS_PKG_CONFIG_LIBDIR: a libcamera built for the target elsewhere,
	# e.g. Raspberry Pi's fork by .ci/rpifork.sh.)
	unset PKG_CONFIG_PATH
	export PKG_CONFIG_LIBDIR=${CROSS_PKG_CONFIG_LIBDIR:-/usr/lib/$triplet/pkgconfig:/usr/share/pkgconfig}
	pkg-config --exists libcamera || die "no libcamera-dev:$ARCH (run: .ci/cross.sh setup)"
	# Go does not see edits to the shim's C++ files outside the package
	# directory: the Makefile puts a hash of them into CGO_CPPFLAGS (part of the
	# build cache key); outside make, compute the same.
	if [ -z "${CGO_CPPFLAGS:-}" ]; then
		CGO_CPPFLAGS=-DPICAMGO_SHIM_HASH=$(cat cshim.h cshim.cpp shim/*.h shim/*.cpp | sha256sum | cut -c1-16)
	fi
	# Nor what pkg-config finds: key the build cache on the libcamera version
	# and directory, or a root rebuilt with another libcamera (or another
	# CROSS_PKG_CONFIG_LIBDIR) reuses objects built for the old one.
	CGO_CPPFLAGS="$CGO_CPPFLAGS -DPICAMGO_LIBCAMERA=$(pkg-config --modversion libcamera) -DPICAMGO_LIBCAMERA_LIBDIR=$(pkg-config --variable=libdir libcamera)"
	export CGO_CPPFLAGS
	echo "cross: GOOS=linux GOARCH=$GOARCH${GOARM:+ GOARM=$GOARM} CC=$CC," \
		"libcamera $(pkg-config --modversion libcamera) for $ARCH" >&2
}

# The modules to build for the target: the main one, and each nested module
# whose C libraries the target has (pkg-config, the target's .pc files); the
# others are skipped, loudly. pkg/video, and the modules that require it
# (cmd/picamgo; found by their go.mod, as .ci/gotest.sh finds them), need
# FFmpeg and TurboJPEG (setup installs them); the gocv modules OpenCV, which
# no cross root installs.
modules() {
	local mod
	echo .
	for mod in $(find . -name go.mod -not -path './out/*' -not -path './.ci/*' -not -path ./go.mod -printf '%h\n' | sort); do
		if grep -q 'gocv.io/x/gocv' "$mod/go.mod" && ! pkg-config --exists opencv4; then
			echo "cross: SKIP $mod: needs OpenCV for $ARCH (pkg-config opencv4)" >&2
			continue
		fi
		if { [ "$mod" = ./pkg/video ] || grep -q 'picamgo/pkg/video ' "$mod/go.mod"; } &&
			! pkg-config --exists libavcodec libavformat libavutil libturbojpeg; then
			echo "cross: SKIP $mod: needs FFmpeg and TurboJPEG for $ARCH (libavcodec-dev:$ARCH" \
				"libavformat-dev:$ARCH libavutil-dev:$ARCH libturbojpeg0-dev:$ARCH)" >&2
			continue
		fi
		echo "$mod"
	done
}

build() {
	local out=${1:-out/$ARCH} pkgs names=() p mod
	go_env
	mkdir -p "$out"
	out=$(cd "$out" && pwd)
	for mod in $(modules); do
		pkgs=""
		if [ -d "$mod/examples" ]; then
			pkgs=$(cd "$mod" && go list -f '{{if eq .Name "main"}}{{.ImportPath}}{{end}}' ./examples/...)
		fi
		if [ -n "$pkgs" ]; then
			# shellcheck disable=SC2086
			(cd "$mod" && go build -trimpath -o "$out/" $pkgs)
			for p in $pkgs; do names+=("$out/${p##*/}"); done
		elif [ "$mod" = . ]; then
			# Nothing under examples/ yet: the test binaries are the real programs
			# there are (they need testdata/virtual.yaml installed to pass).
			echo "cross: no main package under examples/; building the test binaries instead" >&2
			pkgs=$(go list -f '{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}}{{end}}' ./...)
			# shellcheck disable=SC2086
			go test -c -trimpath -o "$out/" $pkgs
			for p in $pkgs; do names+=("$out/${p##*/}.test"); done
		fi
	done
	file_type "${names[@]}"
}

# What each binary is: machine, dynamic loader and the libcamera soname it
# needs (the one the Pi must have), from its ELF headers.
file_type() {
	local f readelf=readelf
	command -v "$triplet-readelf" >/dev/null && readelf=$triplet-readelf
	command -v "$readelf" >/dev/null || return 0
	for f; do
		[ -f "$f" ] || continue
		printf 'cross: %s: %s bytes, %s, %s, needs %s\n' "$f" "$(stat -c %s "$f")" \
			"$("$readelf" -h "$f" | sed -n 's/^ *Machine: *//p')" \
			"$("$readelf" -l "$f" | grep -o 'interpreter: [^]]*' || echo 'static')" \
			"$("$readelf" -d "$f" | { grep -oE '(libcamera|libavcodec|libturbojpeg)\.so\.[0-9.]*' || echo 'no libcamera'; } | sort -u | paste -sd' ')" >&2
	done
}

test_step() {
	local out=${1:-out/test-$ARCH} list name dir bin rc=0 t0 mod mout
	go_env
	mkdir -p "$out"
	out=$(cd "$out" && pwd)
	command -v "$qemu" >/dev/null || die "$qemu not found (qemu-user)"
	for mod in $(modules); do
		# A nested module's binaries in a directory of their own (package names repeat).
		mout=$out${mod#.}
		mkdir -p "$mout"
		list=$(cd "$mod" && go list -f '{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}} {{.Dir}}{{end}}' ./...)
		[ -n "$list" ] || die "$mod: no package with tests"
		# No -race: Go's race detector exists for linux/arm64, but its ThreadSanitizer
		# needs a 48-bit address space and qemu-user on x86-64 offers 47 bits ("FATAL:
		# ThreadSanitizer: unsupported VMA range / Found 47 - Supported 48");
		# `make test` runs the tests with -race on amd64.
		# shellcheck disable=SC2046
		(cd "$mod" && go test -c -o "$mout/" $(echo "$list" | cut -d' ' -f1))
		# -L /: the target's dynamic loader and libraries are this system's
		# multiarch ones (/lib/ld-linux-*.so, /usr/lib/$triplet).
		while read -r pkg dir; do
			name=${pkg##*/}
			bin=$mout/$name.test
			echo "cross: $pkg: $qemu $bin (in $dir)" >&2
			t0=$(date +%s)
			# shellcheck disable=SC2086
			# PICAMGO_EMULATOR tells tests that the process's memory is the
			# emulator's too (its translated code grows its RSS).
			if (cd "$dir" && LIBCAMERA_PIPELINES_MATCH_LIST=virtual LIBCAMERA_LOG_LEVELS='*:FATAL' \
				PICAMGO_EMULATOR="$qemu" "$qemu" -L / "$bin" -test.timeout=60m ${CROSS_TESTFLAGS:-}); then
				echo "ok   $pkg ($ARCH under $qemu) $(($(date +%s) - t0))s"
			else
				rc=1
				echo "FAIL $pkg ($ARCH under $qemu) $(($(date +%s) - t0))s"
			fi
		done <<<"$list"
	done
	return $rc
}

# Commands, each a module of its own, that `build` makes beside examples/
# where the target has their C libraries (the picamgo command records through
# pkg/video: FFmpeg and TurboJPEG).
commands="cmd/picamgo"

build_commands() {
	local out=${1:-out/$ARCH} c
	mkdir -p "$out"
	out=$(cd "$out" && pwd)
	for c in $commands; do
		if ! pkg-config --exists libavcodec libavformat libavutil libturbojpeg; then
			echo "cross: SKIP $c: needs FFmpeg and TurboJPEG for $ARCH (libavcodec-dev:$ARCH" \
				"libavformat-dev:$ARCH libavutil-dev:$ARCH libturbojpeg0-dev:$ARCH)" >&2
			continue
		fi
		(cd "$c" && go build -trimpath -o "$out/" .)
		file_type "$out/${c##*/}"
	done
}

# ---- the cached root on the host (no Docker) --------------------------------

here=$(cd "$(dirname "$0")/.." && pwd)
cache=${PICAMGO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/picamgo}

build_root() {
	command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }
	local m tmp
	m=$(debian_mirror)
	tmp="$root.tmp.$$"
	rm -rf "$root".tmp.* && mkdir -p "$cache"
	echo "cross: building $root ($CROSS_SUITE, $ARCH, libcamera from $LIBCAMERA_SOURCE) from $m ..." >&2
	debootstrap --variant=minbase "$CROSS_SUITE" "$tmp" "$m" >"$tmp.log" 2>&1 ||
		{ tail -n 30 "$tmp.log" >&2; exit 1; }
	cp "$here/.ci/cross.sh" "$tmp/tmp/cross.sh"
	[ -z "$LIBCAMERA_KEYRING" ] || [ ! -f "$LIBCAMERA_KEYRING" ] || cp "$LIBCAMERA_KEYRING" "$tmp/tmp/libcamera.key"
	chroot "$tmp" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root QEMU=1 ARCH="$ARCH" \
		LIBCAMERA_SOURCE="$LIBCAMERA_SOURCE" \
		LIBCAMERA_KEYRING="$( [ -f "$LIBCAMERA_KEYRING" ] && echo /tmp/libcamera.key || echo "$LIBCAMERA_KEYRING")" \
		/bin/bash /tmp/cross.sh setup 2>&1 | tee -a "$tmp.log" | grep '^cross:' >&2 ||
		{ tail -n 30 "$tmp.log" >&2; exit 1; }
	rm -f "$tmp/tmp/cross.sh" "$tmp/tmp/libcamera.key"
	mkdir -p "$tmp/src" "$tmp/usr/local/go" "$tmp/gocache" "$tmp/gomodcache" "$tmp/usr/share/libcamera/pipeline/virtual"
	echo "$recipe" >"$tmp/.picamgo-recipe"
	rm -rf "$root" && mv "$tmp" "$root" && rm -f "$tmp.log"
	echo "cross: $root ready" >&2
}

ensure_root() {
	mkdir -p "$cache"
	if [ "$(cat "$root/.picamgo-recipe" 2>/dev/null)" != "$recipe" ]; then
		(
			# One builder per root; a concurrent caller waits and then reuses it.
			flock 9
			[ "$(cat "$root/.picamgo-recipe" 2>/dev/null)" = "$recipe" ] || build_root
		) 9>"$root.lock"
	fi
}

host_root() {
	ARCH=${1:-$ARCH}
	target
	root="$cache/$CROSS_SUITE-cross-$ARCH"
	# The recipe's identity: what goes into the root and how. A change rebuilds
	# it; editing the build and test steps does not.
	recipe=$({ declare -f build_root setup target debian_mirror
		echo "$CROSS_SUITE $ARCH $LIBCAMERA_SOURCE $LIBCAMERA_KEYRING"; } | sha256sum | cut -c1-16)
}

case "${1:-}" in
setup) setup ;;
build) shift; build "$@"; build_commands "$@" ;;
test) shift; test_step "$@" ;;
path)
	host_root "${2:-}"; ensure_root; echo "$root" ;;
run)
	host_root "${2:-}"; shift 2
	[ $# -gt 0 ] || die "run ARCH STEP..."
	export ARCH
	ensure_root
	PICAMGO_PASS_ENV="ARCH GOARM CROSS_TESTFLAGS" \
		exec "$here/.ci/enterroot.sh" "$root" "$CROSS_SUITE-cross-$ARCH" /bin/bash .ci/cross.sh "$@" ;;
*)
	sed -n '2,37p' "$0" >&2; exit 2 ;;
esac
