# Cross-compiling for Raspberry Pi OS without Docker (included by the Makefile).
#
#   make cross                  examples/ and cmd/picamgo (.ci/cross.sh's commands) for linux/arm64 into out/arm64/
#   make cross ARCH=armhf       the same for 32-bit Raspberry Pi OS (GOARCH=arm, GOARM=7) into out/armhf/
#   make test-arm64             the tests built for arm64, run under qemu-aarch64 (virtual camera)
#   make test-armhf             the same for armhf under qemu-arm
#   make cross-root             build (once) and print the cached cross root
#   make clean-cross-root       remove it
#
#   make cross LIBCAMERA=rpi-0.5        against Raspberry Pi's libcamera fork (0.5.2, Raspberry Pi
#   make test-arm64 LIBCAMERA=rpi-0.5   OS 12's), cross-built from its source tarball on this
#                                       bookworm host (.ci/rpifork.sh) instead of a root;
#                                       output in out/$(ARCH)-rpi-0.5, out/test-arm64-rpi-0.5
#
# The steps run in a Debian trixie root cached in $(PICAMGO_CACHE) as
# trixie-cross-$(ARCH), a sibling of the `make test` roots (libcamera-dev for
# amd64 and for arm64 cannot be installed side by side). Dockerfile.cross runs
# the same script, .ci/cross.sh; its settings (LIBCAMERA_SOURCE, LIBCAMERA_KEYRING,
# CROSS_SUITE, CROSS_TESTFLAGS) are read from the environment; see
# docs/raspberry-pi.md.

ARCH ?= arm64
CROSS := .ci/cross.sh

# $(call cross_run,ARCH): where the cross steps run, and the output's suffix.
ifneq ($(filter rpi-%,$(LIBCAMERA)),)
cross_run = .ci/rpifork.sh cross $(1) $(LIBCAMERA)
CROSS_OUT := -$(LIBCAMERA)
else
cross_run = $(CROSS) run $(1)
CROSS_OUT :=
endif

.PHONY: cross test-arm64 test-armhf cross-root clean-cross-root

cross:
	$(call cross_run,$(ARCH)) build out/$(ARCH)$(CROSS_OUT)

test-arm64:
	$(call cross_run,arm64) test out/test-arm64$(CROSS_OUT)

test-armhf:
	$(call cross_run,armhf) test out/test-armhf$(CROSS_OUT)

cross-root:
	$(CROSS) path $(ARCH)

clean-cross-root:
	rm -rf "$${PICAMGO_CACHE:-$${XDG_CACHE_HOME:-$$HOME/.cache}/picamgo}/$${CROSS_SUITE:-trixie}-cross-$(ARCH)"
