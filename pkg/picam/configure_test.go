package picam

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/picamgo/picamgo/libcamera"
)

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

func hasAdjustment(adj []Adjustment, s StreamName, field, from, to string) bool {
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
	for s, size := range map[StreamName]Size{Main: {Width: 640, Height: 480}, Lores: {Width: 64, Height: 48}} {
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
	// The configuration reports the colour space applied, not the one
	// asked for (libcamera 0.7's virtual camera makes sYCC Rec709).
	for _, asked := range []ColorSpace{libcamera.ColorSpaceSmpte170m, libcamera.ColorSpaceSycc} {
		cfg.ColorSpace = new(asked)
		adj, err := c.Configure(cfg)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := c.Configuration()
		want := got.Main.ColorSpace
		if want == nil {
			want = &asked // none reported (libcamera 0.4)
		}
		if got.ColorSpace == nil || *got.ColorSpace != *want {
			t.Errorf("asked %v: Configuration().ColorSpace = %v, main stream's %v (adjustments %v)", asked, got.ColorSpace, got.Main.ColorSpace, adj)
		}
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
