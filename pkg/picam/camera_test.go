package picam

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/picamgo/picamgo/libcamera"
)

func TestGlobalCameraInfo(t *testing.T) {
	infos, err := GlobalCameraInfo()
	if err != nil {
		t.Fatal(err)
	}
	want := []CameraInfo{
		{Model: "picamgo virtual bars", Location: libcamera.LocationFront, ID: barsID, Index: 0},
		{Model: "picamgo virtual lines", Location: libcamera.LocationBack, ID: linesID, Index: 1},
	}
	if len(infos) != len(want) {
		t.Fatalf("GlobalCameraInfo() = %+v", infos)
	}
	for i := range want {
		if infos[i] != want[i] {
			t.Errorf("camera %d = %+v, want %+v", i, infos[i], want[i])
		}
	}
	// Open by index gives the same camera as by id.
	c, err := Open(1)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.ID() != linesID || c.Info() != want[1] {
		t.Errorf("Open(1) = %s %+v", c.ID(), c.Info())
	}
}

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
	if _, err := c.CaptureRequest(ctxT(t)); !errors.Is(err, ErrNotStarted) {
		t.Errorf("CaptureRequest before Start = %v, want ErrNotStarted", err)
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
	if _, err := c.SetControls(Controls{FrameRate: new(30.0)}); !errors.Is(err, ErrClosed) {
		t.Errorf("SetControls after Close = %v, want ErrClosed", err)
	}
	// Close released the camera: it opens again.
	c3, err := OpenID(barsID)
	if err != nil {
		t.Fatalf("reopen after Close: %v", err)
	}
	c3.Close()
}

func TestConfigurationDefaults(t *testing.T) {
	c, _ := openCamera(t, barsID)
	fdl := func(cfg Configuration) [2]time.Duration {
		if cfg.Controls.FrameDurationLimits == nil {
			return [2]time.Duration{}
		}
		return *cfg.Controls.FrameDurationLimits
	}
	const fd30 = 33333 * time.Microsecond // the bars camera's only frame duration
	for _, tc := range []struct {
		cfg     Configuration
		useCase string
		main    StreamConfig
		buffers int
		cs      libcamera.ColorSpace
	}{
		{c.PreviewConfiguration(), "preview", StreamConfig{Size: Size{Width: 640, Height: 480}, Format: FormatXBGR8888}, 4, libcamera.ColorSpaceSycc},
		{c.StillConfiguration(), "still", StreamConfig{Size: Size{Width: 1920, Height: 1080}, Format: FormatBGR888}, 1, libcamera.ColorSpaceSycc},
		{c.VideoConfiguration(), "video", StreamConfig{Size: Size{Width: 1280, Height: 720}, Format: FormatXBGR8888}, 6, libcamera.ColorSpaceRec709},
	} {
		cfg := tc.cfg
		if cfg.UseCase != tc.useCase || cfg.Main.Size != tc.main.Size || cfg.Main.Format != tc.main.Format ||
			cfg.BufferCount != tc.buffers || !cfg.Queue || cfg.ColorSpace == nil || *cfg.ColorSpace != tc.cs {
			t.Errorf("%s configuration = %v (queue %v, colour space %v)", tc.useCase, cfg, cfg.Queue, cfg.ColorSpace)
		}
		if cfg.Lores != nil || cfg.Raw != nil {
			t.Errorf("%s: lores %v raw %v, want none on a camera without a Bayer sensor", tc.useCase, cfg.Lores, cfg.Raw)
		}
		// Picamera2's default frame duration limits, clamped to the
		// camera's [33333..33333]; it has no NoiseReductionMode.
		if got := fdl(cfg); got != [2]time.Duration{fd30, fd30} {
			t.Errorf("%s: FrameDurationLimits %v", tc.useCase, got)
		}
		if cfg.Controls.NoiseReductionMode != nil {
			t.Errorf("%s: NoiseReductionMode set on a camera without it", tc.useCase)
		}
	}
	// The lines camera accepts 33333..66666 µs: the preview's 100..83333
	// becomes 33333..66666.
	l, _ := openCamera(t, linesID)
	if got := fdl(l.PreviewConfiguration()); got != [2]time.Duration{fd30, 66666 * time.Microsecond} {
		t.Errorf("lines preview FrameDurationLimits %v", got)
	}
	if got := l.StillConfiguration().Main.Size; got != (Size{Width: 1280, Height: 720}) {
		t.Errorf("lines still size %v, want its full resolution", got)
	}
}

func TestAlign(t *testing.T) {
	cfg := Configuration{
		Main:  StreamConfig{Size: Size{Width: 1641, Height: 1233}, Format: FormatXBGR8888},
		Lores: &StreamConfig{Size: Size{Width: 641, Height: 481}, Format: FormatYUV420},
	}
	cfg.Align()
	if cfg.Main.Size != (Size{Width: 1632, Height: 1232}) || cfg.Lores.Size != (Size{Width: 640, Height: 480}) {
		t.Errorf("aligned main %v lores %v", cfg.Main.Size, cfg.Lores.Size)
	}
	cfg.Main = StreamConfig{Size: Size{Width: 1000, Height: 500}, Format: FormatBGR888}
	cfg.Align()
	if cfg.Main.Size != (Size{Width: 960, Height: 500}) {
		t.Errorf("aligned BGR888 %v", cfg.Main.Size)
	}
	if Flip(true, false) != libcamera.Rotate0Mirror || Flip(false, true) != libcamera.Rotate180Mirror ||
		Flip(true, true) != libcamera.Rotate180 || Flip(false, false) != libcamera.Rotate0 {
		t.Error("Flip")
	}
}

func TestConfigureAdjusted(t *testing.T) {
	c, lb := openCamera(t, barsID)
	// Strict: the virtual camera only gives NV12, so Picamera2's preview
	// default is refused with every adjustment listed.
	cfg := c.PreviewConfiguration()
	cfg.Strict = true
	adj, err := c.Configure(cfg)
	var ae *AdjustedError
	if !errors.Is(err, ErrAdjusted) || !errors.As(err, &ae) {
		t.Fatalf("strict Configure = %v, want *AdjustedError", err)
	}
	if !hasAdjustment(ae.Adjustments, Main, "PixelFormat", "XBGR8888", "NV12") || len(adj) != len(ae.Adjustments) {
		t.Errorf("adjustments %v (returned %v)", ae.Adjustments, adj)
	}
	if _, err := c.Configuration(); !errors.Is(err, ErrNotConfigured) {
		t.Errorf("after a refused configuration: %v, want ErrNotConfigured", err)
	}
	// Default: applied, and reported.
	cfg.Strict = false
	adj, err = c.Configure(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !hasAdjustment(adj, Main, "PixelFormat", "XBGR8888", "NV12") {
		t.Errorf("adjustments %v", adj)
	}
	if !strings.Contains(lb.String(), "adjusted") {
		t.Errorf("adjustment not logged: %q", lb)
	}
	got, err := c.Configuration()
	if err != nil {
		t.Fatal(err)
	}
	m := got.Main
	if m.Format != FormatNV12 || m.Size != (Size{Width: 640, Height: 480}) || m.Stride != 640 || m.FrameSize != 640*480*3/2 || got.BufferCount != 4 {
		t.Errorf("applied %v stride %d frame size %d buffers %d", m, m.Stride, m.FrameSize, got.BufferCount)
	}
	// Still: one buffer becomes four, and BGR888 NV12.
	adj, err = c.Configure(c.StillConfiguration())
	if err != nil {
		t.Fatal(err)
	}
	if !hasAdjustment(adj, Main, "BufferCount", "1", "4") || !hasAdjustment(adj, Main, "PixelFormat", "BGR888", "NV12") {
		t.Errorf("still adjustments %v", adj)
	}
	// A buffer count the camera changes is an adjustment too, though the
	// virtual camera calls the configuration valid: refused when strict,
	// reported and applied otherwise.
	six := nv12Config(c, Size{Width: 64, Height: 48})
	six.BufferCount = 6
	adj, err = c.Configure(six)
	if !errors.Is(err, ErrAdjusted) || !errors.As(err, &ae) || len(ae.Adjustments) != 1 ||
		!hasAdjustment(ae.Adjustments, Main, "BufferCount", "6", "4") {
		t.Errorf("strict Configure with 6 buffers = %v %v, want only a BufferCount adjustment 6 -> 4", adj, err)
	}
	six.Strict = false
	adj, err = c.Configure(six)
	if err != nil || len(adj) != 1 || !hasAdjustment(adj, Main, "BufferCount", "6", "4") {
		t.Errorf("Configure with 6 buffers = %v %v", adj, err)
	}
	if got, _ := c.Configuration(); got.BufferCount != 4 {
		t.Errorf("applied BufferCount %d, want 4", got.BufferCount)
	}
	// An exact NV12 configuration is not adjusted even in strict mode.
	if adj, err := c.Configure(nv12Config(c, Size{Width: 64, Height: 48})); err != nil || adj != nil {
		t.Errorf("NV12 64x48: %v %v", adj, err)
	}
	// Invalid controls in a configuration are refused.
	bad := nv12Config(c, Size{Width: 64, Height: 48})
	bad.Controls.ExposureTime = new(10 * time.Millisecond)
	if _, err := c.Configure(bad); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Configure with ExposureTime on a camera without it = %v", err)
	}
}

func hasAdjustment(adj []Adjustment, s Stream, field, from, to string) bool {
	for _, a := range adj {
		if a.Stream == s && a.Field == field && a.Requested == from && a.Got == to {
			return true
		}
	}
	return false
}

func TestStreams(t *testing.T) {
	c, _ := openCamera(t, barsID)
	cfg := nv12Config(c, Size{Width: 640, Height: 480})
	cfg.Lores = &StreamConfig{Size: Size{Width: 64, Height: 48}, Format: FormatNV12}
	if _, err := c.Configure(cfg); err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	r := capture(t, c)
	defer r.Release()
	for s, size := range map[Stream]Size{Main: {Width: 640, Height: 480}, Lores: {Width: 64, Height: 48}} {
		f, err := r.Frame(s)
		if err != nil {
			t.Fatal(err)
		}
		if f.Size != size || f.Format != FormatNV12 || len(f.Planes[0]) != int(size.Width*size.Height) {
			t.Errorf("%v frame %v", s, f)
		}
		checkBars(t, f, r.Sequence())
	}
	if _, err := r.Frame(Raw); !errors.Is(err, ErrInvalid) {
		t.Errorf("Frame(Raw) without a raw stream = %v", err)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	r.Release()

	cfg.Lores.Size = Size{Width: 1920, Height: 1080}
	if _, err := c.Configure(cfg); !errors.Is(err, ErrInvalid) {
		t.Errorf("lores larger than main = %v, want ErrInvalid", err)
	}
	cfg.Lores = nil
	cfg.EnableRaw()
	if _, err := c.Configure(cfg); !errors.Is(err, ErrUnsupported) {
		t.Errorf("raw stream on the virtual camera = %v, want ErrUnsupported", err)
	}
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

func TestSwitchMode(t *testing.T) {
	c, _ := startCamera(t, barsID, Size{Width: 640, Height: 480})
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
	if !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), "camera_test.go") {
		t.Errorf("Configure with a request held = %v, want ErrBusy naming the capture site", err)
	}
	r.Release()
	if _, err := c.Configure(nv12Config(c, Size{Width: 640, Height: 480})); err != nil {
		t.Fatal(err)
	}
}

func TestOrientationSensorModeColourSpace(t *testing.T) {
	c, _ := openCamera(t, barsID)
	cfg := nv12Config(c, Size{Width: 640, Height: 480})
	cfg.Strict = false
	cfg.Orientation = Flip(true, true)
	cfg.SensorMode = &SensorMode{OutputSize: Size{Width: 640, Height: 480}, BitDepth: 8}
	cfg.ColorSpace = new(libcamera.ColorSpaceSmpte170m)
	adj, err := c.Configure(cfg)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := c.Configuration()
	t.Logf("adjustments %v; applied orientation %v colour space %v", adj, got.Orientation, got.Main.ColorSpace)
	// Whatever libcamera made of them is reported, never dropped silently.
	if got.Orientation != libcamera.Rotate180 && !slicesContainsField(adj, "Orientation") {
		t.Errorf("orientation %v with no adjustment reported", got.Orientation)
	}
	if cs := got.Main.ColorSpace; (cs == nil || *cs != libcamera.ColorSpaceSmpte170m) && !slicesContainsField(adj, "ColorSpace") {
		t.Errorf("colour space %v with no adjustment reported", cs)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	capture(t, c).Release()
}

func slicesContainsField(adj []Adjustment, field string) bool {
	for _, a := range adj {
		if a.Field == field {
			return true
		}
	}
	return false
}

func TestSwitchModeRefusedResumes(t *testing.T) {
	c, _ := startCamera(t, barsID, Size{Width: 640, Height: 480})
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
