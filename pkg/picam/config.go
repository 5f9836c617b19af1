package picam

import (
	"fmt"
	"time"

	"github.com/picamgo/picamgo/libcamera"
)

// Types shared with the low-level package, so that most programs need only
// import picam.
type (
	Size        = libcamera.Size
	Rectangle   = libcamera.Rectangle
	PixelFormat = libcamera.PixelFormat
	ColorSpace  = libcamera.ColorSpace
	Orientation = libcamera.Orientation
)

// Pixel formats, as libcamera names them. Note libcamera's (DRM's) naming:
// RGB888 is stored B, G, R in memory and BGR888 is stored R, G, B;
// XBGR8888 is R, G, B, X and XRGB8888 is B, G, R, X.
var (
	FormatNV12     = libcamera.FormatNV12
	FormatNV21     = libcamera.FormatNV21
	FormatYUV420   = libcamera.FormatYUV420
	FormatYVU420   = libcamera.FormatYVU420
	FormatYUYV     = libcamera.FormatYUYV
	FormatRGB888   = libcamera.FormatRGB888
	FormatBGR888   = libcamera.FormatBGR888
	FormatXRGB8888 = libcamera.FormatXRGB8888
	FormatXBGR8888 = libcamera.FormatXBGR8888
	FormatMJPEG    = libcamera.FormatMJPEG
)

// Orientations (Picamera2's Transform). Use [Flip] for the common cases.
const (
	Rotate0         = libcamera.Rotate0
	Rotate0Mirror   = libcamera.Rotate0Mirror
	Rotate180       = libcamera.Rotate180
	Rotate180Mirror = libcamera.Rotate180Mirror
)

// Flip returns the orientation of Picamera2's Transform(hflip, vflip).
func Flip(hflip, vflip bool) Orientation {
	switch {
	case hflip && vflip:
		return libcamera.Rotate180
	case hflip:
		return libcamera.Rotate0Mirror
	case vflip:
		return libcamera.Rotate180Mirror
	}
	return libcamera.Rotate0
}

// StreamName names one of a configuration's streams, as Picamera2's
// name="main" argument: [Main], [Lores] or [Raw]. (A [FrameStream] is a
// feed of frames; a [libcamera.Stream] is libcamera's own stream object.)
type StreamName int

const (
	Main     StreamName = iota // the main, full-quality stream
	Lores                      // a second, lower-resolution stream (YUV420 by default)
	Raw                        // the sensor's raw (Bayer) stream
	NoStream StreamName = -1   // no stream: an Adjustment of the whole configuration
)

var streamNames = [...]string{"main", "lores", "raw"}

func (s StreamName) String() string {
	if s >= 0 && int(s) < len(streamNames) {
		return streamNames[s]
	}
	if s == NoStream {
		return "configuration"
	}
	return fmt.Sprintf("StreamName(%d)", int(s))
}

// StreamConfig is one stream of a [Configuration].
type StreamConfig struct {
	// Size in pixels. Zero picks the stream's default: 640x480 for main,
	// main's size for lores, libcamera's choice for raw.
	Size Size
	// Format is the pixel format. Zero picks the default: XBGR8888 for
	// main, YUV420 for lores, libcamera's choice for raw.
	Format PixelFormat

	// Filled in by Configure from what libcamera applied.
	Stride     int         // bytes per line of the first plane
	FrameSize  int         // bytes per frame, all planes
	ColorSpace *ColorSpace // nil when libcamera reports none
}

func (s StreamConfig) String() string { return fmt.Sprintf("%v-%v", s.Size, s.Format) }

// SensorMode asks for a sensor mode by output size and bit depth, as
// Picamera2's sensor configuration.
type SensorMode struct {
	OutputSize Size
	BitDepth   int
}

// Configuration is what [Camera.Configure] sets up: Picamera2's
// CameraConfiguration as a plain struct. Get one filled with Picamera2's
// defaults from [Camera.PreviewConfiguration], [Camera.StillConfiguration]
// or [Camera.VideoConfiguration] and change what you need.
type Configuration struct {
	// UseCase is "preview", "still" or "video"; informational.
	UseCase string
	Main    StreamConfig
	Lores   *StreamConfig // nil: no lores stream
	Raw     *StreamConfig // nil: no raw stream
	// BufferCount is the number of requests (and buffers per stream).
	// Zero means 4. Cameras may change it (the virtual camera always uses
	// 4): Configure reports that as an [Adjustment] of the main stream's
	// "BufferCount" (refused with Strict) like any other.
	BufferCount int
	// Queue keeps the newest completed frame back for the next capture
	// call, which then returns at once (possibly with a frame from before
	// the call: use [Flush] when that matters). Only with two buffers or more.
	Queue bool
	// Controls are applied when the camera starts.
	Controls Controls
	// Orientation is the image transform (0 means Rotate0). See [Flip].
	Orientation Orientation
	// ColorSpace of the main and lores streams; nil lets libcamera choose.
	// RGB formats get it without a YCbCr encoding, as in Picamera2.
	// [Camera.Configuration] reports the colour space libcamera applied
	// (each stream's own is in its StreamConfig).
	ColorSpace *ColorSpace
	// SensorMode picks the sensor mode; nil lets libcamera choose.
	SensorMode *SensorMode
	// Strict makes Configure fail with an [*AdjustedError] (and keep the
	// camera's previous configuration, if any) when libcamera would adjust
	// anything. By default
	// Configure applies libcamera's adjustments and returns them.
	Strict bool
}

func (cfg Configuration) String() string {
	s := fmt.Sprintf("%s main %v", cfg.UseCase, cfg.Main)
	if cfg.Lores != nil {
		s += fmt.Sprintf(" lores %v", *cfg.Lores)
	}
	if cfg.Raw != nil {
		s += fmt.Sprintf(" raw %v", *cfg.Raw)
	}
	return s + fmt.Sprintf(" buffers %d", cfg.BufferCount)
}

// Stream returns the named stream's configuration, or nil if the
// configuration has no such stream.
func (cfg *Configuration) Stream(s StreamName) *StreamConfig {
	switch s {
	case Main:
		return &cfg.Main
	case Lores:
		return cfg.Lores
	case Raw:
		return cfg.Raw
	}
	return nil
}

// EnableLores adds a lores stream (YUV420 at size) if there is none.
func (cfg *Configuration) EnableLores(size Size) {
	if cfg.Lores == nil {
		cfg.Lores = &StreamConfig{Size: size, Format: FormatYUV420}
	}
}

// EnableRaw adds a raw stream with libcamera's default format if there is none.
func (cfg *Configuration) EnableRaw() {
	if cfg.Raw == nil {
		cfg.Raw = &StreamConfig{}
	}
}

// Align rounds the main and lores sizes down to what the Raspberry Pi's ISP
// handles most efficiently, as Picamera2's align_configuration: widths to a
// multiple of 64 pixels (128 for YUV420/YVU420, 32 for 32-bit RGB), heights
// to even. The raw stream is not aligned.
func (cfg *Configuration) Align() {
	alignStream(&cfg.Main)
	if cfg.Lores != nil {
		alignStream(cfg.Lores)
	}
}

func alignStream(s *StreamConfig) {
	a := uint32(64)
	switch s.Format {
	case FormatYUV420, FormatYVU420:
		a *= 2
	case FormatXBGR8888, FormatXRGB8888:
		a /= 2
	}
	s.Size.Width -= s.Size.Width % a
	s.Size.Height -= s.Size.Height % 2
}

// PreviewConfiguration returns Picamera2's preview defaults: main 640x480
// XBGR8888, 4 buffers, queue, sYCC, NoiseReductionMode Minimal and
// FrameDurationLimits 100µs..83.333ms (at least 12 fps). Default controls
// the camera lacks are left out, and limits are clamped to the camera's.
func (c *Camera) PreviewConfiguration() Configuration {
	cfg := Configuration{
		UseCase:     "preview",
		Main:        StreamConfig{Size: Size{Width: 640, Height: 480}, Format: FormatXBGR8888},
		BufferCount: 4,
		Queue:       true,
		ColorSpace:  new(libcamera.ColorSpaceSycc),
	}
	c.defaultControls(&cfg, NoiseReductionMinimal, 100*time.Microsecond, 83333*time.Microsecond)
	c.defaultRaw(&cfg)
	return cfg
}

// StillConfiguration returns Picamera2's still defaults: main BGR888 at the
// sensor's full resolution, 1 buffer, sYCC, NoiseReductionMode HighQuality
// and FrameDurationLimits 100µs..1000s.
func (c *Camera) StillConfiguration() Configuration {
	cfg := Configuration{
		UseCase:     "still",
		Main:        StreamConfig{Size: c.SensorResolution(), Format: FormatBGR888},
		BufferCount: 1,
		Queue:       true,
		ColorSpace:  new(libcamera.ColorSpaceSycc),
	}
	c.defaultControls(&cfg, NoiseReductionHighQuality, 100*time.Microsecond, 1000*time.Second)
	c.defaultRaw(&cfg)
	return cfg
}

// VideoConfiguration returns Picamera2's video defaults: main 1280x720
// XBGR8888, 6 buffers, Rec709 (SMPTE 170M below 1280x720),
// NoiseReductionMode Fast and FrameDurationLimits fixed at 33.333ms (30 fps;
// set [Controls.FrameRate] for another rate).
func (c *Camera) VideoConfiguration() Configuration {
	cfg := Configuration{
		UseCase:     "video",
		Main:        StreamConfig{Size: Size{Width: 1280, Height: 720}, Format: FormatXBGR8888},
		BufferCount: 6,
		Queue:       true,
		ColorSpace:  new(libcamera.ColorSpaceRec709),
	}
	if s := cfg.Main.Size; s.Width < 1280 || s.Height < 720 {
		cfg.ColorSpace = new(libcamera.ColorSpaceSmpte170m)
	}
	c.defaultControls(&cfg, NoiseReductionFast, 33333*time.Microsecond, 33333*time.Microsecond)
	c.defaultRaw(&cfg)
	return cfg
}

// defaultRaw adds a raw stream for Bayer sensors, as Picamera2 does (it
// fixes the sensor mode); cameras without a colour filter arrangement (USB
// and virtual cameras) get none.
func (c *Camera) defaultRaw(cfg *Configuration) {
	if c.lc.Properties().Contains("ColorFilterArrangement") {
		cfg.Raw = &StreamConfig{}
	}
}

// defaultControls sets the configuration's default controls where the
// camera has them, clamped to its limits.
func (c *Camera) defaultControls(cfg *Configuration, nr NoiseReductionMode, minFD, maxFD time.Duration) {
	infos := c.lc.Controls()
	if info, ok := infos.Find("NoiseReductionMode"); ok && enumAllowed(info, int64(nr)) {
		cfg.Controls.NoiseReductionMode = new(nr)
	}
	if info, ok := infos.Find("FrameDurationLimits"); ok {
		lo, hi := clampInfo(info, minFD.Microseconds()), clampInfo(info, maxFD.Microseconds())
		cfg.Controls.FrameDurationLimits = new([2]time.Duration{
			time.Duration(lo) * time.Microsecond, time.Duration(hi) * time.Microsecond})
	}
}

func clampInfo(info *libcamera.ControlInfo, v int64) int64 {
	if lo, ok := firstNumber(info.Min); ok && float64(v) < lo {
		v = int64(lo)
	}
	if hi, ok := firstNumber(info.Max); ok && float64(v) > hi {
		v = int64(hi)
	}
	return v
}

func enumAllowed(info *libcamera.ControlInfo, v int64) bool {
	if len(info.Values) == 0 {
		return true
	}
	for _, a := range info.Values {
		if n, ok := a.Int64(); ok && n == v {
			return true
		}
	}
	return false
}
