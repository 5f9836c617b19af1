#!/bin/bash
# make bench: picamgo's Go capture loop beside a plain C++ libcamera loop, in
# one run, at three frame sizes. Rounds alternate Go and C++ so that both see
# the same machine; the table shows the median of the rounds.
#
#   .ci/bench.sh [benchtime] [rounds]     (inside the test root: make bench)
set -euo pipefail
benchtime=${1:-2s}
rounds=${2:-7}
export LIBCAMERA_PIPELINES_MATCH_LIST=virtual LIBCAMERA_LOG_LEVELS=${LIBCAMERA_LOG_LEVELS:-*:FATAL}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

g++ -O2 -std=c++20 libcamera/testdata/cxxloop/loop.cpp $(pkg-config --cflags --libs libcamera) -lpthread -o "$out/cxxloop"
go test -c -o "$out/libcamera.test" ./libcamera
go build -o "$out/goloop" ./libcamera/testdata/cxxloop/goloop

declare -A frames=([64x48]=60000 [640x480]=8000 [1920x1080]=1200)
sizes="64x48 640x480 1920x1080"
for round in $(seq "$rounds"); do
	for size in $sizes; do
		for loop in CaptureLoop ChannelCaptureLoop; do
			"$out/libcamera.test" -test.run '^$' -test.bench "^Benchmark$loop\$/^$size\$" -test.benchmem \
				-test.benchtime="$benchtime" | awk -v size="$size" -v name="go-$loop" '/^Benchmark/ {
					for (i = 2; i <= NF; i++) {
						if ($i == "frames/s") fps = $(i-1)
						if ($i == "cpu-µs/frame") cpu = $(i-1)
						if ($i == "allocs/op") allocs = $(i-1)
						if ($i == "B/op") bytes = $(i-1)
					}
					print name, size, fps, cpu, allocs, bytes }' >>"$out/results"
		done
		for prog in cxxloop goloop; do
			for mode in thread handler; do
				[ "$prog" = goloop ] && [ "$mode" = handler ] && continue
				"$out/$prog" -s "$size" -n "${frames[$size]}" -m "$mode" | awk -v size="$size" -v prog="$prog" '{
					for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
					print (prog == "goloop" ? "ingo-" : "cxx-") v["mode"], size, v["fps"], v["cpu_us_per_frame"], "-", "-" }' >>"$out/results"
			done
		done
	done
done

echo "picamgo capture loop vs plain C++ libcamera loop (libcamera $(pkg-config --modversion libcamera), $(nproc) cores, median of $rounds rounds)"
echo "go: Camera.WaitRequest (BenchmarkCaptureLoop); go chan: receiving from Camera.RequestCompleted."
echo "C++ 'thread': completion handed to the app thread, which requeues (what the Go loop does)."
echo "C++ 'handler': requeued inside libcamera's completion handler (libcamera's fastest case)."
echo "C++ in Go: the C++ 'thread' loop run inside a Go process (goloop): the Go runtime around it, no Go per frame."
awk -v sizes="$sizes" '
	function median(key,   n, i, j, t, a) {
		n = split(vals[key], a, " ")
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
		return a[int((n + 1) / 2)]
	}
	{ k = $1 SUBSEP $2; vals[k "fps"] = vals[k "fps"] " " $3; vals[k "cpu"] = vals[k "cpu"] " " $4; allocs[k] = $5; bytes[k] = $6 }
	END {
		printf "%-10s %10s %10s %10s %10s %10s %8s %8s %8s %8s %13s %13s %13s %13s\n", "size", "go fps", "go chan", "c++ fps",
			"c++ hdl", "c++ in go", "go/c++", "chan/c++", "go/hdl", "ingo/c++", "go cpu-µs/fr", "c++ cpu-µs/fr", "hdl cpu-µs/fr", "go allocs/fr"
		n = split(sizes, s, " ")
		for (i = 1; i <= n; i++) {
			g = "go-CaptureLoop" SUBSEP s[i]; q = "go-ChannelCaptureLoop" SUBSEP s[i]
			c = "cxx-thread" SUBSEP s[i]; h = "cxx-handler" SUBSEP s[i]; w = "ingo-thread" SUBSEP s[i]
			gf = median(g "fps"); qf = median(q "fps"); cf = median(c "fps"); hf = median(h "fps"); nf = median(w "fps")
			printf "%-10s %10.0f %10.0f %10.0f %10.0f %10.0f %8.2f %8.2f %8.2f %8.2f %13.1f %13.1f %13.1f %13s\n", s[i], gf, qf, cf, hf, nf,
				gf / cf, qf / cf, gf / hf, nf / cf, median(g "cpu"), median(c "cpu"), median(h "cpu"), allocs[g]
		}
	}' "$out/results"

# pkg/picam: its loop beside this one, two cameras, frame copies (issue 12).
"$(dirname "$0")/bench-picam.sh" "$benchtime" "$rounds"

# pkg/video's benchmarks (JPEG, H.264 1080p30, MJPEG server), the same number
# of rounds; skipped where the root has no FFmpeg (make bench-video alone).
.ci/bench-video.sh "$rounds"
