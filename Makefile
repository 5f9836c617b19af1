# picamgo: build, test and benchmark against libcamera.
#
#   make test                      vet + tests (with -race) on libcamera 0.7 (trixie-backports)
#   make test LIBCAMERA=0.4        the same on trixie's libcamera 0.4.0 (the oldest supported)
#   make test LIBCAMERA=rpi-0.5    the same on Raspberry Pi's libcamera fork (also rpi-0.7), built
#                                  from ../shared/libcamera-rpi on this bookworm host (.ci/rpifork.sh)
#   make test-switch               rpi-0.5, rpi-0.7, rpi-0.5 under one Go build cache: no stale build
#   make test GOEXPERIMENT=cgocheck2   the same with full cgo pointer checks
#   make bench                     Go capture loop vs a plain C++ libcamera loop, side by side,
#                                  then make bench-video's rows
#   make bench-video               pkg/video: JPEG vs TurboJPEG in C and image/jpeg, H.264 1080p30
#                                  drops/CPU/heartbeat, MJPEG server latency (VIDEO_FRAMES per record)
#   make demo                      the main job: picamgo lists the cameras, saves a still, records an MP4
#   make picamgo ARGS="vid -t 10s -o out/clip.mp4"   any picamgo command (the virtual camera without hardware)
#   make capture                   examples/capture: capture frames, save the last
#   make pipeline ARGS="-workers 4"    capture, process in parallel, send in order; heartbeat lateness
#   make soak / chaos / fuzz / test-asan   the reliability suite (docs/reliability.md)
#   make staticcheck / shimcheck   staticcheck over every module; the shim with -Wall -Wextra -Werror
#
# Where the host's own libcamera has the virtual pipeline the commands run
# natively; otherwise in a Debian trixie root built once and cached in
# $(PICAMGO_CACHE) (default ~/.cache/picamgo). See .ci/testroot.sh.

SHELL := /bin/bash
LIBCAMERA ?= 0.7
TESTFLAGS ?= -race -count=1
BENCHTIME ?= 2s
# Single rounds vary by ±15% on 2 cores (thread placement): the table is a median.
BENCHROUNDS ?= 7

# Go does not notice edits to C++ files outside a package's directory (the
# shim reaches libcamera/ through libcamera/zshim_*.cpp), so a hash of the
# shim goes into CGO_CPPFLAGS, which is part of Go's build cache key.
SHIM_HASH := $(shell cat cshim.h cshim.cpp shim/*.h shim/*.cpp | sha256sum | cut -c1-16)
export CGO_CPPFLAGS := -DPICAMGO_SHIM_HASH=$(SHIM_HASH)

RUN := .ci/testroot.sh run $(LIBCAMERA)

.PHONY: test vet bench bench-video demo picamgo capture pipeline root clean-root test-switch staticcheck shimcheck

test:
	$(RUN) .ci/gotest.sh $(TESTFLAGS)

vet:
	$(RUN) go vet ./...

# staticcheck over every module (the 0.7 root has every module's libraries),
# and the shim compiled on its own with -Wall -Wextra -Werror.
staticcheck:
	.ci/testroot.sh run 0.7 .ci/staticcheck.sh

shimcheck:
	$(RUN) .ci/shimcheck.sh

bench:
	$(RUN) .ci/bench.sh $(BENCHTIME) $(BENCHROUNDS)

VIDEO_FRAMES ?= 300
bench-video:
	$(RUN) .ci/bench-video.sh $(BENCHROUNDS) $(VIDEO_FRAMES)

# picamgo (cmd/picamgo, a module of its own) needs FFmpeg and TurboJPEG: the 0.7 root has them.
# Its files land in out/ of this repository (the root sees it as /src).
demo:
	.ci/testroot.sh run 0.7 .ci/demo.sh out/demo
	@echo "The still and the video: $(CURDIR)/out/demo/still.jpg $(CURDIR)/out/demo/clip.mp4"

picamgo:
	@.ci/testroot.sh run 0.7 sh -c 'cd cmd/picamgo && go build -o ../../out/picamgo . && cd ../.. && exec out/picamgo "$$@"' picamgo $(ARGS)

capture:
	$(RUN) go run ./examples/capture $(ARGS)

# The asyncio user's program, in Go: capture, process on workers (OpenCV), send in order over
# TCP, and measure a 1 kHz heartbeat's lateness (a nested module: needs OpenCV,
# which only the 0.7 root has).
pipeline:
	.ci/testroot.sh run 0.7 sh -c 'cd examples/pipeline && go run . $(ARGS)'

root:
	.ci/testroot.sh path $(LIBCAMERA)

clean-root:
	rm -rf "$${PICAMGO_CACHE:-$${XDG_CACHE_HOME:-$$HOME/.cache}/picamgo}/trixie-$(LIBCAMERA)"
	rm -rf "$${PICAMGO_CACHE:-$${XDG_CACHE_HOME:-$$HOME/.cache}/picamgo}/libcamera-$(LIBCAMERA)-"*

# Switching libcamera under one Go build cache (as after an upgrade on a Pi).
test-switch:
	.ci/libcamera-switch.sh

include mk/cross.mk
include mk/reliability.mk
