#!/bin/bash
# Runs a command inside a trixie root made by testroot.sh or cross.sh, with
# the repository at /src, the host's Go at /usr/local/go, the host's module
# cache (the root needs no network) and a Go build cache of the root's own,
# and the repository's test cameras as the virtual pipeline's configuration.
#
#   .ci/enterroot.sh ROOT CACHE_TAG CMD...
#
# The environment is cleared; variables named in PICAMGO_PASS_ENV are passed
# through when set. Everything runs in a private mount namespace, so no mount
# outlives the command, even when it fails.
set -euo pipefail
root=$1 tag=$2
shift 2
here=$(cd "$(dirname "$0")/.." && pwd)
goroot=$(go env GOROOT)
gocache=$(go env GOCACHE)-$tag
gomodcache=$(go env GOMODCACHE)
mkdir -p "$gocache" "$gomodcache"
# Nested modules (those that need OpenCV) have their own go.mod.
for mod in $(cd "$here" && find . -name go.mod -not -path './out/*' -printf '%h\n'); do
	(cd "$here/$mod" && go mod download)
done
pass=(CGO_CPPFLAGS GOEXPERIMENT ${PICAMGO_PASS_ENV:-})
envs=()
for v in "${pass[@]}"; do
	[ -n "${!v:-}" ] && envs+=("$v=${!v}")
done
exec unshare --mount --propagation private -- /bin/bash -c '
	set -e
	root=$1 here=$2 goroot=$3 gocache=$4 gomodcache=$5 n=$6; shift 6
	envs=("${@:1:$n}"); shift "$n"
	yaml=/usr/share/libcamera/pipeline/virtual/virtual.yaml
	mount -t proc proc "$root/proc"
	mount --rbind /dev "$root/dev"
	mount --bind "$goroot" "$root/usr/local/go"
	mount --bind "$here" "$root/src"
	mount --bind "$gocache" "$root/gocache"
	mount --bind "$gomodcache" "$root/gomodcache"
	mkdir -p "$root$(dirname "$yaml")" && touch "$root$yaml"
	mount --bind "$here/testdata/virtual.yaml" "$root$yaml"
	exec chroot "$root" /usr/bin/env -i \
		PATH=/usr/local/go/bin:/usr/bin:/bin HOME=/root TERM=dumb \
		GOTOOLCHAIN=local GOCACHE=/gocache GOMODCACHE=/gomodcache GOPROXY=off GOFLAGS=-mod=mod \
		CGO_ENABLED=1 LIBCAMERA_PIPELINES_MATCH_LIST=virtual "${envs[@]}" \
		/bin/sh -c "cd /src && exec \"\$@\"" sh "$@"
' sh "$root" "$here" "$goroot" "$gocache" "$gomodcache" "${#envs[@]}" "${envs[@]}" "$@"
