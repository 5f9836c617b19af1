#!/bin/bash
# make bench-video (and the end of make bench): pkg/video's benchmarks in
# rounds, each round running every benchmark once so that all of them see
# the same machine, and a table of medians over the rounds. Run inside the
# libcamera 0.7 root (the one with FFmpeg, TurboJPEG and the virtual camera).
#
#   .ci/bench-video.sh [rounds] [record-frames]
#
# Per round:
#   JPEG     one 1080p NV12 bars frame at quality 85: the binding (median of
#            30 calls, and the part of each spent in C), TurboJPEG timed alone
#            in a C program (testdata/tjbench.c, median of 30), Go's image/jpeg
#            (mean of 5)
#   H.264    1080p30 from the paced virtual camera, libx264 ultrafast (the
#            default: x264 threads = cores - 1), ultrafast with 3 x264
#            threads (libx264's own choice on 2 cores), and fast, each with the
#            encoder niced (the default) and at the program's priority
#            ("-keep": H264.Nice = KeepPriority), record-frames frames each
#            (default 300, 10 s): frames dropped, CPU per frame, the most
#            frames waiting for the encoder, a 1 kHz heartbeat goroutine's
#            lateness while recording and in the 3 s before, and the p99 of
#            the Go scheduler's latency (runtime/metrics) while recording
#   MJPEG    the HTTP handler at 640x480, 30 frames/s, 1, 5 and 20 clients on
#            loopback, 90 frames each: encodes/s, delivery latency
# Each round's load average is printed: the figures mean something only
# beside it.
set -euo pipefail
rounds=${1:-7}
record_frames=${2:-300}
export LIBCAMERA_PIPELINES_MATCH_LIST=virtual LIBCAMERA_LOG_LEVELS=${LIBCAMERA_LOG_LEVELS:-*:FATAL}
if ! pkg-config --exists libavcodec libavformat libavutil libturbojpeg; then
	echo "SKIP video benchmarks: needs FFmpeg and TurboJPEG (the libcamera 0.7 root has them)"
	exit 0
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
here=$(pwd)
(cd pkg/video && go test -c -o "$out/video.test" . && go test -c -o "$out/codec.test" ./codec)
cc -O3 -o "$out/tjbench" pkg/video/codec/testdata/tjbench.c $(pkg-config --cflags --libs libturbojpeg)

# metrics ROUND: each "Benchmark<name>-N  iters  v unit  v unit ..." line
# on stdin as "ROUND name unit value" lines.
metrics() {
	awk -v round="$1" '/^Benchmark/ {
		name = $1; sub(/^Benchmark/, "", name); sub(/-[0-9]+$/, "", name)
		for (i = 3; i < NF; i += 2) print round, name, $(i+1), $i }'
}

for round in $(seq "$rounds"); do
	echo "video bench round $round of $rounds: load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
	(cd pkg/video/codec && "$out/codec.test" -test.run '^$' -test.bench '^BenchmarkJPEG1080p$/^bars$' -test.benchtime 30x) |
		metrics "$round" >>"$out/results"
	"$out/tjbench" 30 | awk -v round="$round" '{ for (i = 1; i <= NF; i++) if ($i == "median") print round, "TJAlone", "ms", $(i+1) }' >>"$out/results"
	(cd pkg/video/codec && "$out/codec.test" -test.run '^$' -test.bench '^BenchmarkGoJPEG1080p$/^bars$' -test.benchtime 5x) |
		metrics "$round" >>"$out/results"
	(cd pkg/video && "$out/video.test" -test.run '^$' -test.bench '^BenchmarkRecord1080p30$' -test.benchtime "${record_frames}x") |
		metrics "$round" >>"$out/results"
	(cd pkg/video && "$out/video.test" -test.run '^$' -test.bench '^BenchmarkMJPEGClients$' -test.benchtime 90x) |
		metrics "$round" >>"$out/results"
	echo "round $round" "$(cut -d' ' -f1 /proc/loadavg)" >>"$out/loads"
done
cd "$here"

echo
echo "pkg/video (libavcodec $(pkg-config --modversion libavcodec), TurboJPEG $(pkg-config --modversion libturbojpeg), $(nproc) cores, median of $rounds rounds; load average per round: $(awk '{ printf "%s ", $3 }' "$out/loads"))"
awk '
	function median(key,   n, i, j, t, a) {
		n = split(vals[key], a, " ")
		if (n == 0) return -1
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
		return a[int((n + 1) / 2)]
	}
	{ vals[$2 SUBSEP $3] = vals[$2 SUBSEP $3] " " $4 }
	END {
		bind = median("JPEG1080p/bars" SUBSEP "median-ns/call") / 1e6
		inc = median("JPEG1080p/bars" SUBSEP "median-C-ns/call") / 1e6
		alone = median("TJAlone" SUBSEP "ms")
		gojpeg = median("GoJPEG1080p/bars" SUBSEP "ns/op") / 1e6
		printf "JPEG 1080p NV12 bars q85: binding %.2f ms/frame (%.2f in C), TurboJPEG alone in C %.2f ms: binding/C alone %.2f; Go image/jpeg %.1f ms: %.1fx the binding\n",
			bind, inc, alone, bind / alone, gojpeg, gojpeg / bind
		printf "%-26s %8s %8s %12s %9s %13s %13s %13s %14s\n", "H.264 1080p30 (libx264)", "frames/s", "dropped", "cpu-ms/frame", "queue-max",
			"beat p50 ms", "beat p99 ms", "idle p99 ms", "Go sched p99"
		n = split("ultrafast ultrafast-keep ultrafast-3threads fast fast-keep", p, " ")
		for (i = 1; i <= n; i++) {
			k = "Record1080p30/" p[i]
			printf "%-26s %8.1f %8s %12.1f %9s %13.3f %13.3f %13.3f %14.3f\n", p[i], median(k SUBSEP "frames/s"), median(k SUBSEP "dropped"),
				median(k SUBSEP "cpu-ms/frame"), median(k SUBSEP "queue-max"), median(k SUBSEP "beat-p50-ms"), median(k SUBSEP "beat-p99-ms"),
				median(k SUBSEP "idle-beat-p99-ms"), median(k SUBSEP "sched-p99-ms")
		}
		printf "%-26s %9s %8s %12s %12s %16s %18s\n", "MJPEG 640x480 30 fps", "encodes/s", "dropped", "p50 ms", "p99 ms", "encoded p99 ms", "sensor->enc p99 ms"
		n = split("1 5 20", c, " ")
		for (i = 1; i <= n; i++) {
			k = "MJPEGClients/clients=" c[i]
			printf "%-26s %9.1f %8s %12.2f %12.2f %16.2f %18.2f\n", c[i] " clients", median(k SUBSEP "encodes/s"), median(k SUBSEP "dropped"),
				median(k SUBSEP "p50-ms"), median(k SUBSEP "p99-ms"), median(k SUBSEP "encoded-p99-ms"), median(k SUBSEP "sensor-encoded-p99-ms")
		}
	}' "$out/results"
