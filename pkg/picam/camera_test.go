package picam

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/picamgo/picamgo/libcamera"
)

func TestOpenErrors(t *testing.T) {
	if _, err := Open(7); !errors.Is(err, ErrNoDevice) {
		t.Errorf("Open(7) = %v, want ErrNoDevice", err)
	}
	if _, err := OpenID("no-such-camera"); !errors.Is(err, ErrNoDevice) {
		t.Errorf("OpenID(no-such-camera) = %v, want ErrNoDevice", err)
	}
	c, _ := openCamera(t, barsID)
	// A camera in use is a clear error.
	if c2, err := OpenID(barsID); !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), barsID) {
		t.Errorf("second OpenID(%s) = %v, want ErrBusy naming the camera", barsID, err)
		if c2 != nil {
			c2.Close()
		}
	}
	// Not configured, not started.
	if _, err := c.Configuration(); !errors.Is(err, ErrNotConfigured) {
		t.Errorf("Configuration() = %v, want ErrNotConfigured", err)
	}
	if _, err := c.CaptureRequest(cancelled()); !errors.Is(err, context.Canceled) {
		t.Errorf("CaptureRequest before Start = %v, want it to wait for Start (and give up with its context)", err)
	}
	if err := c.Stop(); err != nil {
		t.Errorf("Stop of a stopped camera = %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if _, err := c.Configure(nv12Config(c, Size{Width: 64, Height: 48})); !errors.Is(err, ErrClosed) {
		t.Errorf("Configure after Close = %v, want ErrClosed", err)
	}
	if err := c.Start(); !errors.Is(err, ErrClosed) {
		t.Errorf("Start after Close = %v, want ErrClosed", err)
	}
	if _, err := c.CaptureRequest(ctxT(t)); !errors.Is(err, ErrClosed) {
		t.Errorf("CaptureRequest after Close = %v, want ErrClosed", err)
	}
	if _, _, err := c.SetControls(Controls{FrameRate: new(30.0)}); !errors.Is(err, ErrClosed) {
		t.Errorf("SetControls after Close = %v, want ErrClosed", err)
	}
	// Close released the camera: it opens again.
	c3, err := OpenID(barsID)
	if err != nil {
		t.Fatalf("reopen after Close: %v", err)
	}
	c3.Close()
}

func TestStartUnconfigured(t *testing.T) {
	c, _ := openCamera(t, barsID)
	// As Picamera2: Start configures the preview configuration first.
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Errorf("second Start = %v", err)
	}
	cfg, err := c.Configuration()
	if err != nil || cfg.UseCase != "preview" || cfg.Main.Size != (Size{Width: 640, Height: 480}) {
		t.Fatalf("configuration %v %v", cfg, err)
	}
	if _, err := c.Configure(cfg); !errors.Is(err, libcamera.ErrState) {
		t.Errorf("Configure while started = %v, want ErrState", err)
	}
	capture(t, c).Release()
}

// TestStopWhileWaiting: a capture call waiting when the camera stops fails
// with ErrNotStarted, held requests survive the stop and are queued again
// at the next start, where sequence numbers restart at 0.
func TestStopWhileWaiting(t *testing.T) {
	c, _ := startCamera(t, barsID, small, startOpts{NoQueue: true})
	var held []*CompletedRequest
	for range 4 {
		held = append(held, capture(t, c))
	}
	// With every buffer held no frame comes: once the engine took the
	// call's wait, it waits until Stop.
	ctx := &doneCounter{Context: context.Background(), second: make(chan struct{})}
	errc := make(chan error)
	go func() {
		_, err := c.CaptureRequest(ctx)
		errc <- err
	}()
	select {
	case <-ctx.second:
	case <-time.After(10 * time.Second):
		t.Fatalf("CaptureRequest did not wait within 10s (ctx.Done called %d times)", ctx.calls.Load())
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	// "stopped": the engine ended the wait, rather than the call finding
	// the camera stopped.
	select {
	case err := <-errc:
		if !errors.Is(err, ErrNotStarted) || !strings.Contains(err.Error(), "stopped") {
			t.Errorf("waiting CaptureRequest at Stop = %v, want ErrNotStarted from the stop", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a CaptureRequest waiting at Stop did not return within 10s")
	}
	// Held requests survive Stop; released, they are queued at the next Start.
	for _, r := range held {
		if _, err := r.Frame(Main); err != nil {
			t.Fatal(err)
		}
		r.Release()
	}
	// The first frames after the restart, whenever this goroutine runs: the
	// pre-callback sees every frame while the callback goroutine keeps up,
	// and the first one always.
	firstSeq := make(chan uint32, 1)
	c.SetPreCallback(func(r *CompletedRequest) {
		select {
		case firstSeq <- r.Sequence():
		default:
		}
	})
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	for range 8 {
		capture(t, c).Release()
	}
	c.SetPreCallback(nil)
	if seq := <-firstSeq; seq >= 4 {
		t.Errorf("first sequence after restart %d: libcamera restarts them at 0", seq)
	}
}
