package picam

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"
)

// Each fuzz target opens the camera once per process (a fuzzing worker
// runs many inputs; opening one per input would measure libcamera's
// start-up, not the input's handling) and closes it when done, so that the
// tests and examples after it find the camera free. Seed corpora are in
// testdata/fuzz/<FuzzName>/; go test runs them as tests, make fuzz fuzzes.
func fuzzCamera(f *testing.F) *Camera {
	opts, _ := testOptions(barsID)
	c, err := OpenWith(opts)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { c.Close() })
	return c
}

var fuzzFormats = []PixelFormat{FormatNV12, FormatNV21, FormatYUV420, FormatYVU420, FormatYUYV,
	FormatRGB888, FormatBGR888, FormatXRGB8888, FormatXBGR8888, FormatMJPEG, PixelFormat{}}

// FuzzConfigure configures the virtual camera with arbitrary sizes,
// formats, buffer counts, lores and raw streams, orientations and sensor
// modes. Every input gets either an error or a configuration that starts
// and gives a frame of the configured size; never a crash, a libcamera
// abort or a hang.
func FuzzConfigure(f *testing.F) {
	f.Add(uint16(64), uint16(48), uint8(0), uint8(4), false, uint16(0), uint16(0), false, uint8(0), false, int16(0))
	f.Add(uint16(640), uint16(480), uint8(0), uint8(2), true, uint16(64), uint16(48), false, uint8(0), true, int16(0))
	f.Add(uint16(0), uint16(0), uint8(3), uint8(0), false, uint16(0), uint16(0), true, uint8(2), false, int16(-1))
	f.Add(uint16(65535), uint16(1), uint8(10), uint8(255), true, uint16(65535), uint16(65535), true, uint8(7), true, int16(32767))
	c := fuzzCamera(f)
	f.Fuzz(func(t *testing.T, w, h uint16, format, bufs uint8, lores bool, lw, lh uint16, raw bool, orient uint8, queue bool, depth int16) {
		if err := c.Stop(); err != nil {
			t.Fatalf("Stop before the input: %v", err)
		}
		cfg := c.PreviewConfiguration()
		cfg.Main = StreamConfig{Size: Size{Width: uint32(w), Height: uint32(h)}, Format: fuzzFormats[int(format)%len(fuzzFormats)]}
		cfg.BufferCount = int(bufs)
		cfg.Queue = queue
		cfg.Orientation = Orientation(orient)
		if lores {
			cfg.Lores = &StreamConfig{Size: Size{Width: uint32(lw), Height: uint32(lh)}, Format: FormatYUV420}
		}
		if raw {
			cfg.EnableRaw()
		}
		if depth != 0 {
			cfg.SensorMode = &SensorMode{OutputSize: cfg.Main.Size, BitDepth: int(depth)}
		}
		if _, err := c.Configure(cfg); err != nil {
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrAdjusted) {
				t.Fatalf("Configure(%v) = %v: not an error the API documents", cfg, err)
			}
			return
		}
		got, err := c.Configuration()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Start(); err != nil {
			t.Fatalf("Start after Configure(%v) took %v: %v", cfg, got, err)
		}
		defer c.Stop()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		r, err := c.CaptureRequest(ctx)
		if err != nil {
			t.Fatalf("capture with %v: %v", got, err)
		}
		defer r.Release()
		fr, err := r.Frame(Main)
		if err != nil {
			t.Fatalf("frame of %v: %v", got, err)
		}
		if fr.Size != got.Main.Size || fr.Format != got.Main.Format || len(fr.Planes) == 0 {
			t.Fatalf("frame %v of configuration %v", fr, got)
		}
	})
}

// FuzzControls sets arbitrary values on named controls, through the typed
// fields and by name. Every value gets either an error or a control that
// libcamera takes: SetControls never crashes, a value it accepts is a
// number (not NaN or infinite; a rate or duration above zero), and a frame
// then comes with it.
func FuzzControls(f *testing.F) {
	f.Add(uint8(0), 30.0, int64(0), false)
	f.Add(uint8(1), math.NaN(), int64(-1), true)
	f.Add(uint8(2), math.Inf(1), int64(math.MaxInt64), false)
	f.Add(uint8(3), -1.0, int64(math.MinInt64), true)
	f.Add(uint8(4), 0.0, int64(33333), false)
	f.Add(uint8(7), 1e300, int64(1), true)
	c := fuzzCamera(f)
	if _, err := c.Configure(nv12Config(c, small)); err != nil {
		f.Fatal(err)
	}
	if err := c.Start(); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, which uint8, x float64, n int64, b bool) {
		var ctrls Controls
		// valid is false for values no camera can take: not a number,
		// infinite, a rate of zero or less, or a negative duration. Values
		// beyond the camera's limits are clamped, not refused.
		valid := !math.IsNaN(x) && !math.IsInf(x, 0)
		switch which % 9 {
		case 0:
			ctrls.FrameRate = &x
			valid = valid && x > 0
		case 1:
			d := time.Duration(n)
			ctrls.FrameDurationLimits = &[2]time.Duration{d, time.Duration(x)}
		case 2:
			d := time.Duration(n)
			ctrls.ExposureTime = &d
			valid = n >= 0
		case 3:
			ctrls.AnalogueGain = &x
		case 4:
			ctrls.Brightness = &x
		case 5:
			ctrls.AeEnable = &b
			valid = true
		case 6:
			ctrls.ByName = map[string]any{"FrameDurationLimits": []int64{n, n}}
			valid = n >= 0 // zero asks for the sensor mode's default
		case 7:
			ctrls.ByName = map[string]any{"FrameDurationLimits": x}
		case 8:
			ctrls.ColourGains = &[2]float64{x, float64(n)}
		}
		id, _, err := c.SetControls(ctrls)
		if err != nil {
			var ce *ControlError
			if !errors.As(err, &ce) && !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("SetControls(%d, %v, %d) = %v: not an error the API documents", which%9, x, n, err)
			}
			return
		}
		if !valid {
			t.Fatalf("SetControls(%d, %v, %d) accepted a value no camera can take", which%9, x, n)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		r, err := c.CaptureRequest(ctx, WithControls(id))
		if err != nil {
			t.Fatalf("no frame with controls %d: %v", id, err)
		}
		r.Release()
	})
}
