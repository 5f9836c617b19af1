package picam

import (
	"errors"
	"math"
	"testing"

	"github.com/picamgo/picamgo/libcamera"
)

// Bad input is a Go error before libcamera sees it, and the camera goes on.
func TestBadInputRefused(t *testing.T) {
	c, _ := startCamera(t, barsID, Size{Width: 640, Height: 480}, startOpts{})
	ctx := ctxT(t)

	if _, err := c.OpenFrameStream(ctx, FrameStreamOptions{Policy: Policy(99)}); !errors.Is(err, ErrInvalid) {
		t.Errorf("Stream with policy 99 = %v, want ErrInvalid", err)
	}
	still := nv12Config(c, Size{Width: 1920, Height: 1080})
	if err := c.SwitchModeAndCapture(ctx, still, 0, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("SwitchModeAndCapture with a nil func = %v, want ErrInvalid", err)
	}
	if cfg, _ := c.Configuration(); cfg.Main.Size != (Size{Width: 640, Height: 480}) || !c.Started() {
		t.Errorf("refused switch changed the camera: %v, started %v", cfg.Main.Size, c.Started())
	}

	// A frame with a stride too short for its width gives no view that
	// would read past a line.
	r := capture(t, c)
	f, err := r.Frame(Main)
	if err != nil {
		t.Fatal(err)
	}
	bad := f
	bad.Stride = int(f.Size.Width) - 2
	if _, err := bad.Image(); !errors.Is(err, ErrInvalid) {
		t.Errorf("Image with stride %d for width %d = %v, want ErrInvalid", bad.Stride, f.Size.Width, err)
	}
	if img, err := f.Image(); err != nil || img.Bounds().Dx() != 640 {
		t.Errorf("Image of the real frame = %v, %v", img, err)
	}
	r.Release()

	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	cfg := nv12Config(c, Size{Width: 640, Height: 480})
	cfg.SensorMode = &SensorMode{OutputSize: Size{Width: 640, Height: 480}, BitDepth: -1}
	if _, err := c.Configure(cfg); !errors.Is(err, ErrInvalid) {
		t.Errorf("Configure with bit depth -1 = %v, want ErrInvalid", err)
	}
	if _, err := c.Configure(nv12Config(c, Size{Width: 640, Height: 480})); err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	capture(t, c).Release()
}

// NaN passes every comparison, so the limits check names it; a number
// beyond the limits is clamped to them, in the value's own type.
func TestLimitNaNAndClamp(t *testing.T) {
	val := func(x any) libcamera.ControlValue {
		v, err := libcamera.NewControlValue(x)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	info := &libcamera.ControlInfo{Min: val(float32(1)), Max: val(float32(16))}
	if _, reason := limit(info, val(float32(math.NaN()))); reason != "not a number" {
		t.Errorf("limit(NaN) = %q", reason)
	}
	for _, tc := range []struct{ in, want float32 }{{2, 2}, {17, 16}, {-3, 1}} {
		if got, reason := limit(info, val(tc.in)); reason != "" || !got.Equal(val(tc.want)) {
			t.Errorf("limit(%v) in [1, 16] = %v, %q; want %v", tc.in, got, reason, tc.want)
		}
	}
	// Array limits per element; elements within them stay as they were.
	fdl := &libcamera.ControlInfo{Min: val(int64(33333)), Max: val(int64(66666))}
	if got, _ := limit(fdl, val([]int64{1000, 40000})); !got.Equal(val([]int64{33333, 40000})) {
		t.Errorf("limit([1000 40000]) = %v", got)
	}
}
