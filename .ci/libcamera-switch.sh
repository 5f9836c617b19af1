#!/bin/bash
# Switching libcamera under one Go build cache, as after an upgrade on a Pi or
# with another PKG_CONFIG_PATH: builds and runs the capture example and the
# libcamera package's version test against Raspberry Pi's fork 0.5, then 0.7,
# then 0.5 again, all with the same GOCACHE, and checks that every binary
# starts and reports the libcamera it was built for.
#
#   .ci/libcamera-switch.sh            (make test-switch)
#
# It first shows the failure this guards against: without the libcamera key
# in the build (PICAMGO_LIBCAMERA_KEY=0, see testroot.sh) the 0.7 run reuses
# objects linked against 0.5 and must fail to load libcamera.so.0.5. GOCACHE
# is the caller's (the host's, by default): the keyed runs reuse what earlier
# runs built for the same libcamera.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "libcamera-switch: GOCACHE=$(go env GOCACHE)"

# run FLAVOR CMD...: CMD against FLAVOR, output in $tmp/out.
run() {
	local flavor=$1
	shift
	.ci/testroot.sh run "$flavor" "$@" >"$tmp/out" 2>&1
}

# expect FLAVOR VERSION: the example and the test binary start and report VERSION.
expect() {
	local flavor=$1 want=$2 t0=$SECONDS seen
	if ! run "$flavor" go run ./examples/capture -frames 3 -o "$tmp/frame.png" ||
		! grep -q "^libcamera v$want" "$tmp/out"; then
		cat "$tmp/out" >&2
		echo "libcamera-switch: FAIL: $flavor: the capture example did not run against libcamera $want" >&2
		exit 1
	fi
	seen=$(grep -m1 '^libcamera v' "$tmp/out")
	if ! run "$flavor" go test -count=1 -run '^TestVersion$' -v ./libcamera ||
		! grep -q "^--- PASS: TestVersion" "$tmp/out"; then
		cat "$tmp/out" >&2
		echo "libcamera-switch: FAIL: $flavor: TestVersion did not pass against libcamera $want" >&2
		exit 1
	fi
	echo "libcamera-switch: ok $flavor: \"$seen\"; TestVersion passed ($((SECONDS - t0))s)"
}

# The failure, without the key: 0.5, then 0.7 reusing 0.5's objects.
PICAMGO_LIBCAMERA_KEY=0 run rpi-0.5 go run ./examples/capture -frames 3 -o "$tmp/frame.png" ||
	{ cat "$tmp/out" >&2; echo "libcamera-switch: FAIL: rpi-0.5 without the key did not run" >&2; exit 1; }
if PICAMGO_LIBCAMERA_KEY=0 run rpi-0.7 go run ./examples/capture -frames 3 -o "$tmp/frame.png"; then
	echo "libcamera-switch: FAIL: without the libcamera key the switch to 0.7 still worked;" \
		"this test no longer shows the stale build it guards against" >&2
	exit 1
fi
grep -q 'error while loading shared libraries: libcamera.so.0.5' "$tmp/out" ||
	{ cat "$tmp/out" >&2; echo "libcamera-switch: FAIL: unexpected failure without the key" >&2; exit 1; }
echo "libcamera-switch: without the key, as expected: $(grep -o 'error while loading shared libraries: [^:]*' "$tmp/out" | head -n1)"

# With the key (what make and the scripts do): every switch works.
expect rpi-0.5 0.5
expect rpi-0.7 0.7
expect rpi-0.5 0.5
echo "libcamera-switch: ok"
