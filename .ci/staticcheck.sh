#!/bin/bash
# staticcheck (honnef.co/go/tools, the version pinned in .ci/tools/go.mod)
# over every module: the root, pkg/picamcv, pkg/video, examples/pipeline and
# any other. Run it in the libcamera 0.7 root, which has what every module
# needs (OpenCV, FFmpeg, TurboJPEG): make staticcheck.
set -euo pipefail
cd "$(dirname "$0")/.."
tools=$PWD/.ci/tools/go.mod
# Its cache beside Go's, not in the (shared) root's home.
export STATICCHECK_CACHE=${STATICCHECK_CACHE:-$(go env GOCACHE)/staticcheck}
status=0
for mod in $(find . -name go.mod -not -path './out/*' -not -path './.ci/*' -printf '%h\n' | sort); do
	echo "--- staticcheck $mod"
	(cd "$mod" && go tool -modfile="$tools" staticcheck ./...) || status=1
done
exit "$status"
