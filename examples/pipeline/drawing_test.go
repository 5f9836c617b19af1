package main

import (
	"testing"

	"github.com/picamgo/picamgo/pkg/picam"
)

// The virtual camera's drawing threads are found once a camera is open,
// go to SCHED_IDLE and back, and the camera still delivers frames while
// they are idle.
func TestDrawingThreads(t *testing.T) {
	cam, err := picam.OpenWith(picam.Options{ID: "picamgo-bars", MaxFrameRate: 200})
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
	for range 10 {
		if _, err := cam.CaptureMetadata(t.Context()); err != nil {
			t.Fatalf("capture with the drawing idle: %v", err)
		}
	}
	if _, err := setDrawingIdle(false); err != nil {
		t.Fatal(err)
	}
	if got := drawingPolicy(); got != "normal" {
		t.Fatalf("policy after restoring: %q, want normal", got)
	}
}
