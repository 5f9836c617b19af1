package main

import (
	"strconv"
	"strings"
	"testing"
)

// TestBench: the loop captures the frames asked for, paced to the virtual
// camera's 30 frames/s, and reports CPU per frame. Paced, 90 frames take at
// least the time of the slots between them, less the camera's 4 buffers
// that may be filled ahead: at most 30*90/85 = 31.8 frames/s, a bound a
// loaded machine cannot break.
func TestBench(t *testing.T) {
	r := mustRun(t, t.TempDir(), "bench", "--frames", "90")
	line := lastLine(r.stderr)
	if !strings.HasPrefix(line, "90 frames of 640x480 NV12 (paced)") || !strings.Contains(line, "ms per frame") {
		t.Fatalf("bench printed %q", line)
	}
	fps, err := strconv.ParseFloat(strings.Fields(line[strings.Index(line, ": ")+2:])[0], 64)
	if err != nil {
		t.Fatal(err)
	}
	if fps > 31.8 {
		t.Errorf("%.1f frames/s: the virtual camera is not paced to its 30", fps)
	}
	// --framerate paces (and sets the FrameRate control) below the
	// camera's fastest: the lines camera takes 15 to 30 frames/s.
	r = mustRun(t, t.TempDir(), "bench", "--camera", "picamgo-lines", "--framerate", "15", "--frames", "45", "--width", "320", "--height", "240")
	line = lastLine(r.stderr)
	if !strings.HasPrefix(line, "45 frames of 320x240 NV12 (paced)") {
		t.Fatalf("bench --framerate 15 printed %q", line)
	}
	if fps, _ := strconv.ParseFloat(strings.Fields(line[strings.Index(line, ": ")+2:])[0], 64); fps > 15*45/40.0 {
		t.Errorf("--framerate 15: %.1f frames/s", fps)
	}
	r = mustRun(t, t.TempDir(), "bench", "--unpaced", "--frames", "200", "--width", "64", "--height", "48")
	if line := lastLine(r.stderr); !strings.HasPrefix(line, "200 frames of 64x48 NV12 (unpaced)") {
		t.Fatalf("bench --unpaced printed %q", line)
	}
}
