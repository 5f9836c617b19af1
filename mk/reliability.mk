# The reliability suite (issue 10; included by the Makefile). What each part
# proves and its figures are in docs/reliability.md.
#
#   make soak                   10^5 frames at 64x48 (SOAKFRAMES), fds, mappings, goroutines, heap, RSS
#   make chaos                  CHAOSOPS random concurrent calls on one camera; CHAOSSEED=N replays a seed
#   make fuzz                   each fuzz target for FUZZTIME (FUZZ=FuzzControls picks one)
#   make test-asan              the tests with AddressSanitizer, the C++ shim instrumented too
#
# Short versions of soak, chaos and the fuzz seed corpora run in every `make test`.

SOAKFRAMES ?= 100000
CHAOSOPS ?= 20000
CHAOSSEED ?=
FUZZTIME ?= 60s
# package:target, one `go test -fuzz` each (go test fuzzes one target at a time).
FUZZ_TARGETS ?= ./pkg/picam:FuzzConfigure ./pkg/picam:FuzzControls ./libcamera:FuzzConfiguration ./libcamera:FuzzControlList
FUZZ ?=

# go test -asan adds -fsanitize=address to cgo's C flags and linker flags but
# not to its C++ flags, so the shim (C++) is instrumented through CGO_CXXFLAGS.
# libcamera itself is not instrumented: ASan checks the shim's and cgo's
# accesses, not libcamera's internals. ASAN_OPTIONS: see docs/reliability.md.
ASAN_CXXFLAGS ?= -O1 -g -fsanitize=address -fno-omit-frame-pointer
ASAN_OPTIONS ?= detect_leaks=1
ASAN_PKGS ?= ./libcamera/... ./pkg/picam/... ./internal/...

.PHONY: soak chaos fuzz test-asan

# Without -race, whose own memory would hide the library's RSS (make test runs
# a short soak with -race).
soak:
	$(RUN) env PICAMGO_SOAK_FRAMES=$(SOAKFRAMES) go test -count=1 -timeout 60m -run '^TestSoak$$' -v ./pkg/picam

chaos:
	$(RUN) env PICAMGO_CHAOS_OPS=$(CHAOSOPS) $(if $(CHAOSSEED),PICAMGO_CHAOS_SEED=$(CHAOSSEED)) \
		go test -race -count=1 -timeout 60m -run '^TestChaos$$' -v ./pkg/picam

# Every target runs even if one fails, so that one failure hides no other.
# .ci/fuzz.sh tells a finding from Go 1.26's coordinator race at -fuzztime.
fuzz:
	@failed=; for t in $(if $(FUZZ),$(filter %:$(FUZZ),$(FUZZ_TARGETS)),$(FUZZ_TARGETS)); do \
		echo "--- fuzz $${t#*:} in $${t%%:*} for $(FUZZTIME)"; \
		$(RUN) .ci/fuzz.sh "$${t%%:*}" "$${t#*:}" $(FUZZTIME) || failed="$$failed $${t#*:}"; \
	done; [ -z "$$failed" ] || { echo "fuzz: failed:$$failed"; exit 1; }

test-asan:
	$(RUN) env CGO_CXXFLAGS='$(ASAN_CXXFLAGS)' ASAN_OPTIONS='$(ASAN_OPTIONS)' \
		go test -asan -count=1 $(ASAN_PKGS)
