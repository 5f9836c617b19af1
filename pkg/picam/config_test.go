package picam

import (
	"testing"
	"time"

	"github.com/picamgo/picamgo/libcamera"
)

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
