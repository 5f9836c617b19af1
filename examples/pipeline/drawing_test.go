package main

import (
	"testing"

	"github.com/picamgo/picamgo/pkg/picam"
)

// The virtual camera's drawing threads are found once a camera is open,
// go to SCHED_IDLE and back, and the camera still delivers frames while
// they are idle. At SCHED_IDLE the drawing runs only on spare CPU: on a
// loaded machine a frame takes seconds (with two busy loops per core, a
// 3 s stall was seen), so the stall timeout is an upper bound, not a
// measure, and three frames show that capture goes on.
func TestDrawingThreads(t *testing.T) {
	cam, err := picam.OpenWith(picam.Options{ID: "picamgo-bars", MaxFrameRate: 200, StallTimeout: drawingIdleStall})
	if err != nil {
		t.Fatal(err)
	}
	defer cam.Close()
	if _, err := cam.Configure(cam.PreviewConfiguration()); err != nil {
		t.Fatal(err)
	}
	if err := cam.Start(); err != nil {
		t.Fatal(err)
	}
	defer cam.Stop()
	// Looked for after a frame: right after Start, under load, the drawing
	// thread was once not found and the test skipped.
	first, err := cam.CaptureRequest(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	seq, ts := first.Sequence(), first.SensorTimestamp()
	first.Release()
	tids, err := drawingThreads()
	if err != nil {
		t.Fatal(err)
	}
	if len(tids) == 0 {
		t.Skip("no VirtualCamera thread: libcamera before 0.6 draws on its CameraManager thread")
	}
	if got := drawingPolicy(); got != "normal" {
		t.Fatalf("policy before: %q, want normal", got)
	}
	n, err := setDrawingIdle(true)
	if err != nil || n != len(tids) {
		t.Fatalf("setDrawingIdle(true) = %d, %v; want %d threads", n, err, len(tids))
	}
	if got := drawingPolicy(); got != "idle" {
		t.Fatalf("policy after lowering: %q, want idle", got)
	}
	// New frames, drawn while idle: sequences and sensor timestamps go on
	// rising from the first frame's.
	for range 3 {
		r, err := cam.CaptureRequest(t.Context())
		if err != nil {
			t.Fatalf("capture with the drawing idle: %v", err)
		}
		if r.Sequence() <= seq || r.SensorTimestamp() <= ts {
			t.Errorf("frame with the drawing idle: sequence %d, timestamp %d after %d, %d; want both later",
				r.Sequence(), r.SensorTimestamp(), seq, ts)
		}
		seq, ts = r.Sequence(), r.SensorTimestamp()
		r.Release()
	}
	if _, err := setDrawingIdle(false); err != nil {
		t.Fatal(err)
	}
	if got := drawingPolicy(); got != "normal" {
		t.Fatalf("policy after restoring: %q, want normal", got)
	}
}
