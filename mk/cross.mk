# Cross-compiling for Raspberry Pi OS without Docker (included by the Makefile).
#
#   make cross                  examples/ for linux/arm64 into out/arm64/
#   make cross ARCH=armhf       the same for 32-bit Raspberry Pi OS (GOARCH=arm, GOARM=7) into out/armhf/
#   make test-arm64             the tests built for arm64, run under qemu-aarch64 (virtual camera)
#   make test-armhf             the same for armhf under qemu-arm
#   make cross-root             build (once) and print the cached cross root
#   make clean-cross-root       remove it
#
# The steps run in a Debian trixie root cached in $(PICAMGO_CACHE) as
# trixie-cross-$(ARCH), a sibling of the `make test` roots (libcamera-dev for
# amd64 and for arm64 cannot be installed side by side). Dockerfile.cross runs
# the same script, .ci/cross.sh; its settings (LIBCAMERA_SOURCE, LIBCAMERA_KEYRING,
# CROSS_SUITE, CROSS_TESTFLAGS) are read from the environment; see
# docs/raspberry-pi.md.

ARCH ?= arm64
CROSS := .ci/cross.sh

.PHONY: cross test-arm64 test-armhf cross-root clean-cross-root

cross:
	$(CROSS) run $(ARCH) build out/$(ARCH)

test-arm64:
	$(CROSS) run arm64 test out/test-arm64

test-armhf:
	$(CROSS) run armhf test out/test-armhf

cross-root:
	$(CROSS) path $(ARCH)

clean-cross-root:
	rm -rf "$${PICAMGO_CACHE:-$${XDG_CACHE_HOME:-$$HOME/.cache}/picamgo}/$${CROSS_SUITE:-trixie}-cross-$(ARCH)"
