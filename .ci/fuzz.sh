#!/bin/bash
# make fuzz, one target: fuzz TARGET in package PKG for TIME.
#
#   .ci/fuzz.sh PKG TARGET TIME          (inside the test root, from the repo)
#
# Fails on what fuzzing finds (an input written to PKG/testdata/fuzz/TARGET,
# a crash, a failing seed) and on any other error, with one exception: Go
# 1.26's fuzzing coordinator can end a run that found nothing with a bare
# "context deadline exceeded" at the -fuzztime boundary, when a worker is
# still busy as the deadline passes (go.dev/issue/75804; seen in CI on a
# 2-core machine, FuzzControlList, after 1.4 million clean executions). A
# run that ends so, wrote no input, and whose corpus then replays clean
# (`go test -run TARGET`: seeds and testdata) passes, saying so.
set -uo pipefail
pkg=$1 target=$2 time=$3
corpus=$pkg/testdata/fuzz/$target
log=$(mktemp)
trap 'rm -f "$log"' EXIT

inputs() { ls "$corpus" 2>/dev/null | sort; }
before=$(inputs)
go test -run '^$' -fuzz "^$target\$" -fuzztime "$time" "$pkg" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
[ "$rc" -eq 0 ] && exit 0

if [ "$(inputs)" != "$before" ] || grep -q 'Failing input written to' "$log"; then
	echo "fuzz: $target found a failing input (above)"
	exit 1
fi
# The coordinator's own error is the one line under the target's FAIL line.
if [ "$(grep -A1 -- "^--- FAIL: $target " "$log" | sed -n 2p | tr -d '[:space:]')" != "contextdeadlineexceeded" ]; then
	exit "$rc"
fi
echo "fuzz: $target: the fuzzing coordinator ended with \"context deadline exceeded\" and wrote no input (go.dev/issue/75804); replaying the corpus"
go test -count=1 -run "^$target\$" "$pkg" || exit 1
echo "fuzz: $target: the corpus replays clean; the run counts as passed"
