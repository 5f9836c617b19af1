#!/bin/bash
# The README's main job (make demo): build picamgo, list the cameras, save a
# still, record a few seconds to MP4, and say where the files are. Runs where
# libcamera has a camera (the 0.7 test root's virtual ones without hardware).
#
#   .ci/demo.sh [DIR]   files into DIR (default out/demo), picamgo into out/picamgo
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-out/demo}
mkdir -p "$dir"
(cd cmd/picamgo && go build -o ../../out/picamgo .)
run() {
	echo "\$ picamgo $*"
	out/picamgo "$@"
	echo
}
run list --no-controls
run still -o "$dir/still.jpg"
run vid -t 3s -o "$dir/clip.mp4"
