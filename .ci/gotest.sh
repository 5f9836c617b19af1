#!/bin/bash
# go vet and go test (with the given flags) in the main module and in every
# nested module; those that need OpenCV, or FFmpeg and TurboJPEG (pkg/video),
# are skipped, loudly, where the root has none (only the libcamera 0.7 root
# installs them).
set -euo pipefail
for mod in $(find . -name go.mod -not -path './out/*' -printf '%h\n' | sort); do
	if grep -q 'gocv.io/x/gocv' "$mod/go.mod" && ! pkg-config --exists opencv4; then
		echo "SKIP $mod: needs OpenCV (pkg-config opencv4), which this root lacks"
		continue
	fi
	if [ "$mod" = ./pkg/video ] && ! pkg-config --exists libavcodec libavformat libavutil libturbojpeg; then
		echo "SKIP $mod: needs FFmpeg and TurboJPEG (pkg-config libavcodec libavformat libavutil libturbojpeg), which this root lacks"
		continue
	fi
	echo "--- $mod"
	(cd "$mod" && go vet ./... && go test "$@" ./...)
done
