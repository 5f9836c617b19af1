package picam

import (
	"errors"
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

	// Capture and stop: the request stays valid, through a reconfiguration
	// too, until released.
	r, err := c.SwitchModeCaptureRequestAndStop(ctxT(t), still)
	if err != nil {
		t.Fatal(err)
	}
	if c.Started() {
		t.Error("camera still started")
	}
	f, _ := r.Frame(Main)
	checkBars(t, f, r.Sequence())
	if _, err := c.Configure(nv12Config(c, Size{Width: 640, Height: 480})); err != nil {
		t.Fatalf("Configure with a request of the previous mode held = %v", err)
	}
	checkBars(t, f, r.Sequence())
	if err := r.Release(); err != nil {
		t.Errorf("release of a request of an earlier mode: %v", err)
	}
}

// A mode switch that fails leaves the camera in its previous mode,
// running: refused by validation (Strict), or failing once the previous
// configuration was dropped.
func TestSwitchModeRefusedResumes(t *testing.T) {
	c, _ := startCamera(t, barsID, Size{Width: 640, Height: 480}, startOpts{})
	strict := nv12Config(c, Size{Width: 800, Height: 600}) // the virtual camera would change the size
	if _, err := c.SwitchMode(strict); !errors.Is(err, ErrAdjusted) {
		t.Fatalf("SwitchMode to a size the camera adjusts, Strict = %v, want ErrAdjusted", err)
	}
	if !c.Started() {
		t.Fatal("camera not resumed after a refused mode switch")
	}
	if f, _, err := c.CaptureFrame(ctxT(t), Main); err != nil || f.Size != (Size{Width: 640, Height: 480}) {
		t.Errorf("after refused switch: %v %v", f, err)
	}
	errRefused := errors.New("the camera refuses this mode")
	c.configureFault = func(cfg Configuration) error {
		if cfg.Main.Size.Width == 1920 {
			return errRefused
		}
		return nil
	}
	if _, err := c.SwitchMode(nv12Config(c, Size{Width: 1920, Height: 1080})); !errors.Is(err, errRefused) {
		t.Fatalf("SwitchMode failing after the old mode was dropped = %v, want its error", err)
	}
	c.configureFault = nil
	if cfg, err := c.Configuration(); err != nil || cfg.Main.Size != (Size{Width: 640, Height: 480}) || !c.Started() {
		t.Fatalf("after a failed switch: %v, %v, started %v; want the previous mode, running", cfg.Main, err, c.Started())
	}
	if f, _, err := c.CaptureFrame(ctxT(t), Main); err != nil || f.Size != (Size{Width: 640, Height: 480}) {
		t.Errorf("after failed switch: %v %v", f, err)
	}
	// Long exposures stretch the stall timeout; "unlimited" maximum frame
	// durations do not.
	if _, err := c.Configure(c.StillConfiguration()); !errors.Is(err, ErrState) {
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

// TestSwitchModeKeepsRequests is Picamera2's program that keeps the still
// it captured and reads it back in preview mode: requests of earlier modes
// stay valid (pixels, metadata) while the camera runs in another, and each
// one's buffer is freed at its last release, not before and not never.
func TestSwitchModeKeepsRequests(t *testing.T) {
	c, _ := startCamera(t, barsID, Size{Width: 640, Height: 480}, startOpts{NoQueue: true, Running: true})
	leaks := checkLeaks(t)
	preview, err := c.Configuration()
	if err != nil {
		t.Fatal(err)
	}
	var kept []*CompletedRequest
	for _, size := range []Size{{Width: 1920, Height: 1080}, small, {Width: 1920, Height: 1080}} {
		still := nv12Config(c, size)
		still.UseCase = "still"
		err := c.SwitchModeAndCapture(ctxT(t), still, 1, func(r *CompletedRequest) error {
			kept = append(kept, r.Acquire())
			return nil
		})
		if err != nil {
			t.Fatalf("SwitchModeAndCapture keeping the request: %v", err)
		}
		if cfg, err := c.Configuration(); err != nil || cfg.Main.Size != preview.Main.Size || !c.Started() {
			t.Fatalf("after switching back: %v, %v, started %v; want the preview mode, running", cfg.Main, err, c.Started())
		}
		for range 3 { // preview frames flow, in buffers of their own
			r := capture(t, c)
			f, _ := r.Frame(Main)
			if f.Size != preview.Main.Size {
				t.Fatalf("preview frame %v", f)
			}
			checkBars(t, f, r.Sequence())
			r.Release()
		}
	}
	for i, r := range kept {
		f, err := r.Frame(Main)
		if err != nil {
			t.Fatal(err)
		}
		if want := []Size{{Width: 1920, Height: 1080}, small, {Width: 1920, Height: 1080}}[i]; f.Size != want {
			t.Errorf("kept request %d: %v, want %v", i, f, want)
		}
		checkBars(t, f, r.Sequence())
		if md, err := r.Metadata(); err != nil {
			t.Errorf("kept request %d metadata: %v", i, err)
		} else if ts, ok := md.SensorTimestamp(); !ok || ts == 0 {
			t.Errorf("kept request %d has no timestamp in %v", i, md)
		}
	}
	if st := c.Stats(); st.Held != len(kept) {
		t.Errorf("Stats.Held = %d with %d requests of earlier modes held", st.Held, len(kept))
	}
	// Each release frees that request's buffer: one mapping (NV12 in one
	// memfd) less each time.
	for i := len(kept) - 1; i >= 0; i-- {
		before := libcamera.LiveMappings()
		if err := kept[i].Release(); err != nil {
			t.Errorf("release of kept request %d: %v", i, err)
		}
		if got := libcamera.LiveMappings(); got != before-1 {
			t.Errorf("release of kept request %d: %d mappings, %d before; want its buffer freed", i, got, before)
		}
		if st := c.Stats(); st.Held != i {
			t.Errorf("Stats.Held = %d with %d kept requests left", st.Held, i)
		}
	}
	leaks()
}

// A failed switch back from SwitchModeAndCapture leaves the camera stopped
// and unconfigured, not in the mode meant for one capture.
func TestSwitchModeAndCaptureFailingBack(t *testing.T) {
	c, _ := startCamera(t, barsID, Size{Width: 640, Height: 480}, startOpts{Running: true})
	errRefused := errors.New("the camera refuses this mode")
	captured := false
	err := c.SwitchModeAndCapture(ctxT(t), nv12Config(c, Size{Width: 1920, Height: 1080}), 0, func(r *CompletedRequest) error {
		captured = true
		c.configureFault = func(cfg Configuration) error { return errRefused }
		return nil
	})
	c.configureFault = nil
	if !captured || !errors.Is(err, errRefused) {
		t.Fatalf("SwitchModeAndCapture with the switch back failing = %v (captured %v), want its error", err, captured)
	}
	if c.Started() {
		t.Error("the camera runs after the switch back failed")
	}
	if cfg, err := c.Configuration(); !errors.Is(err, ErrNotConfigured) {
		t.Errorf("configuration after the switch back failed = %v, %v; want none", cfg.Main, err)
	}
	if err := c.Start(); err != nil { // configures the preview configuration
		t.Fatal(err)
	}
	capture(t, c).Release()
}
