#!/bin/bash
# Writes libcamera/shimhash.h, the hash of the shim's sources (cshim.h,
# cshim.cpp, shim/*.h, shim/*.cpp). cgo compiles the shim into package
# libcamera through libcamera/zshim_*.cpp, and Go's build cache sees only the
# files in the package's directory: after a shim edit, a plain `go build` or
# `go test` would reuse the old shim. Writing the new hash into the package
# directory makes Go rebuild it; TestShimHash fails, saying to run this
# script, while the hash is out of date. (make passes the hash in
# CGO_CPPFLAGS as well, so make never builds a stale shim.)
set -euo pipefail
cd "$(dirname "$0")/.."
export LC_ALL=C
hash=$(cat cshim.h cshim.cpp shim/*.h shim/*.cpp | sha256sum | cut -c1-16)
new="// The hash of the shim's sources this package is built from: written by
// .ci/shimhash.sh after a shim edit, so that Go's build cache, which sees
// only this directory, rebuilds the shim (see TestShimHash).
#define PICAMGO_SHIM_SOURCES \"$hash\""
if [ "$(cat libcamera/shimhash.h 2>/dev/null)" != "$new" ]; then
	printf '%s\n' "$new" >libcamera/shimhash.h
	echo "libcamera/shimhash.h: $hash"
fi
