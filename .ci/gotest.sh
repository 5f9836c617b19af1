#!/bin/bash
# go vet and go test (with the given flags) in the main module and in every
# nested module; those that need OpenCV, or FFmpeg and TurboJPEG (pkg/video),
# are skipped, loudly, where the root has none (only the libcamera 0.7 root
# installs them) or, for OpenCV, an older one than gocv needs (Debian
# bookworm, Raspberry Pi OS 12: OpenCV 4.6).
set -euo pipefail
# gocv v0.39's minimum. With bookworm's 4.6 it does not compile (cv::aruco's
# detector API, OpenCV 4.7+: "'aruco' in namespace 'cv' does not name a type").
gocv_opencv=4.10.0
for mod in $(find . -name go.mod -not -path './out/*' -not -path './.ci/*' -printf '%h\n' | sort); do
	if grep -q 'gocv.io/x/gocv' "$mod/go.mod"; then
		if ! pkg-config --exists opencv4; then
			echo "SKIP $mod: needs OpenCV (pkg-config opencv4), which this root lacks"
			continue
		fi
		if ! pkg-config --atleast-version="$gocv_opencv" opencv4; then
			echo "SKIP $mod: gocv needs OpenCV $gocv_opencv or newer; this system has $(pkg-config --modversion opencv4)"
			continue
		fi
	fi
	# pkg/video and the modules that use it (cmd/picamgo).
	if { [ "$mod" = ./pkg/video ] || grep -q 'picamgo/pkg/video ' "$mod/go.mod"; } &&
		! pkg-config --exists libavcodec libavformat libavutil libturbojpeg; then
		echo "SKIP $mod: needs FFmpeg and TurboJPEG (pkg-config libavcodec libavformat libavutil libturbojpeg), which this root lacks"
		continue
	fi
	echo "--- $mod"
	(cd "$mod" && go vet ./... && go test "$@" ./...)
done
