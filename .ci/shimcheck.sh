#!/bin/bash
# The shim compiled with every warning an error, as CI checks it: cgo builds
# it with -Wall only (libcamera/cgo.go) and shows its warnings to nobody, so
# this pass compiles cshim.cpp and shim/*.cpp on their own, against the
# root's libcamera, with -Wall -Wextra -Werror.
#
#   .ci/shimcheck.sh          (inside a test root: .ci/testroot.sh run 0.7 .ci/shimcheck.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
flags=(-std=c++20 -fsyntax-only -Wall -Wextra -Werror -I. $(pkg-config --cflags libcamera))
status=0
for f in cshim.cpp shim/*.cpp; do
	g++ "${flags[@]}" "$f" || status=1
done
[ "$status" = 0 ] && echo "shim: no warnings with -Wall -Wextra -Werror (libcamera $(pkg-config --modversion libcamera))"
exit "$status"
