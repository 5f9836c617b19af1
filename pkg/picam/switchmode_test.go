package picam

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/picamgo/picamgo/libcamera"
)

// Switching modes while a callback is busy with a frame waits for the
// callback instead of failing with ErrBusy.
func TestSwitchModeWithBusyCallback(t *testing.T) {
	c, _ := startCamera(t, barsID, small, startOpts{NoQueue: true, Running: true})
	busy := make(chan struct{}, 1)
	c.SetPreCallback(func(r *CompletedRequest) {
		select {
		case busy <- struct{}{}:
		default:
		}
		time.Sleep(20 * time.Millisecond) // holds the frame while SwitchMode runs
	})
	sizes := []Size{{Width: 640, Height: 480}, small}
	for i := range 6 {
		<-busy // a callback is running
		if _, err := c.SwitchMode(nv12Config(c, sizes[i%2])); err != nil {
			t.Fatalf("SwitchMode %d with a callback running: %v", i, err)
		}
		if !c.Started() {
			t.Fatalf("SwitchMode %d left the camera stopped", i)
		}
	}
	c.SetPreCallback(nil)
	capture(t, c).Release()
}

func TestSwitchMode(t *testing.T) {
	c, _ := startCamera(t, barsID, Size{Width: 640, Height: 480}, startOpts{})
	capture(t, c).Release()
	still := nv12Config(c, Size{Width: 1920, Height: 1080})
	still.UseCase = "still"
	var seen Size
	err := c.SwitchModeAndCapture(ctxT(t), still, 2, func(r *CompletedRequest) error {
		f, err := r.Frame(Main)
		seen = f.Size
		return err
	})
	if err != nil || seen != (Size{Width: 1920, Height: 1080}) {
		t.Fatalf("SwitchModeAndCapture: %v, frame %v", err, seen)
	}
	if cfg, _ := c.Configuration(); cfg.Main.Size != (Size{Width: 640, Height: 480}) || !c.Started() {
		t.Fatalf("after switching back: %v started %v", cfg, c.Started())
	}
	capture(t, c).Release()

	path := t.TempDir() + "/still.jpg"
	if _, err := c.SwitchModeAndCaptureFile(ctxT(t), still, path, Main); err != nil {
		t.Fatal(err)
	}
	checkImageFile(t, path, 1920, 1080)

	// Capture and stop: the request stays valid, and reconfiguring waits
	// for it to be released, naming where it was captured.
	r, err := c.SwitchModeCaptureRequestAndStop(ctxT(t), still)
	if err != nil {
		t.Fatal(err)
	}
	if c.Started() {
		t.Error("camera still started")
	}
	f, _ := r.Frame(Main)
	checkBars(t, f, r.Sequence())
	_, err = c.Configure(nv12Config(c, Size{Width: 640, Height: 480}))
	if !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), "switchmode_test.go") {
		t.Errorf("Configure with a request held = %v, want ErrBusy naming the capture site", err)
	}
	r.Release()
	if _, err := c.Configure(nv12Config(c, Size{Width: 640, Height: 480})); err != nil {
		t.Fatal(err)
	}
}

func TestSwitchModeRefusedResumes(t *testing.T) {
	c, _ := startCamera(t, barsID, Size{Width: 640, Height: 480}, startOpts{})
	r := capture(t, c) // held: the mode cannot change
	_, err := c.SwitchMode(nv12Config(c, Size{Width: 1920, Height: 1080}))
	if !errors.Is(err, ErrBusy) {
		t.Fatalf("SwitchMode with a request held = %v, want ErrBusy", err)
	}
	if !c.Started() {
		t.Fatal("camera not resumed after a refused mode switch")
	}
	r.Release()
	if f, _, err := c.CaptureFrame(ctxT(t), Main); err != nil || f.Size != (Size{Width: 640, Height: 480}) {
		t.Errorf("after refused switch: %v %v", f, err)
	}
	// Long exposures stretch the stall timeout; "unlimited" maximum frame
	// durations do not.
	if _, err := c.Configure(c.StillConfiguration()); !errors.Is(err, libcamera.ErrState) {
		t.Errorf("Configure while started = %v", err)
	}
	c.noteDurations(&Controls{FrameDurationLimits: new([2]time.Duration{time.Second / 10, 1000 * time.Second})})
	if got := c.stallTimeout(); got != 2*time.Second {
		t.Errorf("stall timeout %v, want the configured 2s", got)
	}
	c.noteDurations(&Controls{ExposureTime: new(time.Second)})
	if got := c.stallTimeout(); got != 3*time.Second {
		t.Errorf("stall timeout %v after a 1s exposure, want 3s", got)
	}
}
