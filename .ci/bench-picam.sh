#!/bin/bash
# make bench, second part: pkg/picam's hot path (issue 12), in alternating
# rounds with medians, all in one run:
#   - picam's capture loop (CaptureRequest, a byte read, Release) beside the
#     low-level loop (Camera.WaitRequest, RequeueRequest) at 64x48, with the
#     frames the camera completed (Queue supersedes those nobody took) and
#     a job's allocations (CaptureRequestAsync);
#   - two cameras in one process (640x480 + 1280x720): the sum over both of
#     fps together / fps alone, picam (one goroutine per camera) beside the
#     C++ loop (libcamera/testdata/cxxloop, one thread per camera), and the
#     low-level Go loop (Go's completion path without picam);
#   - copying a mapped 1920x1080 NV12 frame: Clone and CloneInto beside
#     copy() between two reused Go buffers (memcpy).
#
#   .ci/bench-picam.sh [benchtime] [rounds]     (inside the test root)
# PICAM_TEST, LIBCAMERA_TEST: prebuilt test binaries to measure instead of
# building them (to compare two trees with the same script).
set -euo pipefail
benchtime=${1:-2s}
rounds=${2:-5}
export LIBCAMERA_PIPELINES_MATCH_LIST=virtual LIBCAMERA_LOG_LEVELS=${LIBCAMERA_LOG_LEVELS:-*:FATAL}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
src=$(pwd)

picam=${PICAM_TEST:-$out/picam.test}
lc=${LIBCAMERA_TEST:-$out/libcamera.test}
[ -n "${PICAM_TEST:-}" ] || go test -c -o "$picam" ./pkg/picam
[ -n "${LIBCAMERA_TEST:-}" ] || go test -c -o "$lc" ./libcamera
g++ -O2 -std=c++20 libcamera/testdata/cxxloop/loop.cpp $(pkg-config --cflags --libs libcamera) -lpthread -o "$out/cxxloop"

# metric NAME UNIT: the value before UNIT on go test's benchmark line NAME.
metric() { awk -v name="$1" -v unit="$2" '$1 ~ "^"name"(-[0-9]+)?$" { for (i = 2; i <= NF; i++) if ($i == unit) print $(i-1) }'; }
# twocam DIR BINARY: BenchmarkTwoCameras's rates, 640x480 and 1280x720
# alone, then together.
twocam() {
	local tc
	tc=$(cd "$1" && "$2" -test.run '^$' -test.bench '^BenchmarkTwoCameras$' -test.benchtime=20x)
	echo "$(echo "$tc" | metric BenchmarkTwoCameras/alone-640x480 fps-640x480)" \
		"$(echo "$tc" | metric BenchmarkTwoCameras/alone-1280x720 fps-1280x720)" \
		"$(echo "$tc" | metric BenchmarkTwoCameras/together fps-640x480)" \
		"$(echo "$tc" | metric BenchmarkTwoCameras/together fps-1280x720)"
}
cxxfps() { awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "fps") print kv[2] } }'; }

for round in $(seq "$rounds"); do
	# picam's loop and the low-level loop at 64x48.
	ll=$(cd "$src/libcamera" && "$lc" -test.run '^$' -test.bench '^BenchmarkCaptureLoop$/^64x48$' -test.benchtime="$benchtime" |
		metric BenchmarkCaptureLoop/64x48 frames/s)
	pl=$(cd "$src/pkg/picam" && "$picam" -test.run '^$' -test.bench '^BenchmarkCaptureRequest(Async)?$' -test.benchmem -test.benchtime="$benchtime")
	pf=$(echo "$pl" | metric BenchmarkCaptureRequest ns/op | awk '{ print 1e9 / $1 }')
	pa=$(echo "$pl" | metric BenchmarkCaptureRequest allocs/op)
	# Frames the camera completed per frame captured (Queue supersedes the
	# rest), and a job's allocations.
	pc=$(echo "$pl" | metric BenchmarkCaptureRequest completions/frame)
	ja=$(echo "$pl" | metric BenchmarkCaptureRequestAsync allocs/op)
	echo "loop $ll $pf $pa ${pc:-1} ${ja:--}" >>"$out/results"

	# Two cameras: picam, the low-level loop (Go's completion path without
	# picam), then C++.
	echo "twocam-go $(twocam "$src/pkg/picam" "$picam")" >>"$out/results"
	echo "twocam-ll $(twocam "$src/libcamera" "$lc")" >>"$out/results"
	a=$("$out/cxxloop" -c 0 -s 640x480 -n 4000 | cxxfps)
	b=$("$out/cxxloop" -c 1 -s 1280x720 -n 900 | cxxfps)
	both=$("$out/cxxloop" -c 0,1 -s 640x480,1280x720 -n 4000,900 | cxxfps | tr '\n' ' ')
	echo "twocam-cxx $a $b $both" >>"$out/results"

	# Copies of a 1080p frame.
	fc=$(cd "$src/pkg/picam" && "$picam" -test.run '^$' -test.bench '^BenchmarkFrameCopy$' -test.benchtime=1s)
	echo "copy $(echo "$fc" | metric BenchmarkFrameCopy/memcpy ns/op) $(echo "$fc" | metric BenchmarkFrameCopy/Clone ns/op)" \
		"$(echo "$fc" | metric BenchmarkFrameCopy/CloneInto ns/op)" >>"$out/results"
done

echo
echo "pkg/picam's hot path (libcamera $(pkg-config --modversion libcamera), $(nproc) cores, median of $rounds rounds; ratios per round, then the median)"
awk '
	function median(s,   n, i, j, t, a) {
		n = split(s, a, " ")
		if (n == 0) return "-"
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
		return a[int((n + 1) / 2)]
	}
	$1 == "loop" { ll = ll " " $2; pf = pf " " $3; r = r " " $3 / $2; allocs = $4; camf = camf " " $3 * $5; cr = cr " " $3 * $5 / $2; comp = comp " " $5; jallocs = $6 }
	$1 == "twocam-go" { g = g " " ($4 / $2 + $5 / $3); for (i = 2; i <= 5; i++) gf[i] = gf[i] " " $i }
	$1 == "twocam-ll" { l = l " " ($4 / $2 + $5 / $3) }
	$1 == "twocam-cxx" { c = c " " ($4 / $2 + $5 / $3); for (i = 2; i <= 5; i++) cf[i] = cf[i] " " $i }
	$1 == "copy" { mc = mc " " $2; cl = cl " " $3; clr = clr " " $2 / $3; if (NF >= 4 && $4 != "") { ci = ci " " $4; cir = cir " " $2 / $4 } }
	END {
		printf "%-46s %12s %12s %10s\n", "", "picam", "reference", "ratio"
		printf "%-46s %12.0f %12.0f %10.2f   (%s allocs/frame; a job: %s)\n", "capture loop at 64x48, frames/s (ref: low-level)", median(pf), median(ll), median(r), allocs, jallocs
		printf "%-46s %12.0f %12.0f %10.2f   (%s completions/frame)\n", "  frames the camera made, per second", median(camf), median(ll), median(cr), median(comp)
		printf "%-46s %12.2f %12.2f %10.2f\n", "two cameras, sum of fps together/alone (ref: C++)", median(g), median(c), median(g) / median(c)
		if (l != "") printf "%-46s %12.2f %12.2f %10.2f\n", "  the low-level Go loop (ref: C++)", median(l), median(c), median(l) / median(c)
		printf "%-46s %12s %12s\n", "  640x480 fps alone, together", median(gf[2]) ", " median(gf[4]), median(cf[2]) ", " median(cf[4])
		printf "%-46s %12s %12s\n", "  1280x720 fps alone, together", median(gf[3]) ", " median(gf[5]), median(cf[3]) ", " median(cf[5])
		printf "%-46s %12.0f %12.0f %10.2f\n", "1080p Clone, us (ref: memcpy)", median(cl) / 1000, median(mc) / 1000, median(clr)
		if (ci != "") printf "%-46s %12.0f %12.0f %10.2f\n", "1080p CloneInto, us (ref: memcpy)", median(ci) / 1000, median(mc) / 1000, median(cir)
	}' "$out/results"
