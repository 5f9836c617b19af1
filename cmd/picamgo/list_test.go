package main

import (
	"strings"
	"testing"
)

func TestList(t *testing.T) {
	r := mustRun(t, t.TempDir(), "list")
	for _, want := range []string{
		"0 : picamgo virtual bars [1920x1080] (picamgo-bars)",
		"1 : picamgo virtual lines [1280x720] (picamgo-lines)",
		"Location: front", "Location: back",
		// Only the sizes of testdata/virtual.yaml: the others libcamera
		// advertises are adjusted.
		"'NV12' : 64x48, 640x480, 1920x1080",
		"'NV12' : 320x240, 1280x720",
		"FrameDurationLimits: 33333..33333",
		"FrameDurationLimits: 33333..66666",
		"Fastest frame rate: 30.00 frames/s",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("no %q in the list", want)
		}
	}
	// Nothing on stderr: libcamera keeps to warnings, and the virtual
	// camera's "Could not open any dma-buf provider" ERROR lines (nothing a
	// user can act on) are not shown.
	if r.stderr != "" {
		t.Errorf("stderr is not empty:\n%s", r.stderr)
	}
}

func TestListVerbose(t *testing.T) {
	r := mustRun(t, t.TempDir(), "list", "-v", "--camera", "picamgo-lines", "--no-controls")
	if strings.Contains(r.stdout, "picamgo-bars") || !strings.Contains(r.stdout, "picamgo-lines") {
		t.Errorf("--camera picamgo-lines lists:\n%s", r.stdout)
	}
	if strings.Contains(r.stdout, "Controls:") {
		t.Errorf("--no-controls lists controls")
	}
	// -v: libcamera's INFO lines, the dma-buf ones too.
	for _, want := range []string{"INFO Camera", "Adding camera 'picamgo-lines'", "DmaBufAllocator"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("-v: no %q on stderr", want)
		}
	}
}
