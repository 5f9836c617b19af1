package libcamera

// #include "cshim.h"
import "C"

import (
	"fmt"
	"runtime"
	"syscall"
)

// ConfigurationStatus is the outcome of [CameraConfiguration.Validate].
type ConfigurationStatus int

const (
	ConfigurationValid    ConfigurationStatus = iota // usable as it is
	ConfigurationAdjusted                            // usable, but libcamera changed something
	ConfigurationInvalid                             // not usable
)

func (s ConfigurationStatus) String() string {
	switch s {
	case ConfigurationValid:
		return "Valid"
	case ConfigurationAdjusted:
		return "Adjusted"
	case ConfigurationInvalid:
		return "Invalid"
	}
	return fmt.Sprintf("ConfigurationStatus(%d)", int(s))
}

// Orientation is the image's orientation, numbered as EXIF's (1 = upright).
type Orientation int

// The orientations, as libcamera's Orientation (EXIF values).
const (
	Rotate0         Orientation = 1
	Rotate0Mirror   Orientation = 2
	Rotate180       Orientation = 3
	Rotate180Mirror Orientation = 4
	Rotate90Mirror  Orientation = 5
	Rotate270       Orientation = 6
	Rotate270Mirror Orientation = 7
	Rotate90        Orientation = 8
)

func (o Orientation) String() string {
	names := [...]string{"", "Rotate0", "Rotate0Mirror", "Rotate180", "Rotate180Mirror", "Rotate90Mirror",
		"Rotate270", "Rotate270Mirror", "Rotate90"}
	if o >= 1 && int(o) < len(names) {
		return names[o]
	}
	return fmt.Sprintf("Orientation(%d)", int(o))
}

// SensorConfiguration asks for a sensor mode (bit depth and output size), as
// Picamera2's sensor configuration does.
type SensorConfiguration struct {
	BitDepth   uint32
	OutputSize Size
}

// StreamConfiguration is one stream's format, size and buffers. Set the
// fields before [CameraConfiguration.Validate]; Stride and FrameSize are
// filled in by libcamera.
type StreamConfiguration struct {
	PixelFormat PixelFormat
	Size        Size
	Stride      uint32
	FrameSize   uint32
	BufferCount uint32
	ColorSpace  *ColorSpace // nil: none (libcamera picks, or the stream has none)

	formats *StreamFormats
	stream  *Stream
}

func (s *StreamConfiguration) String() string {
	cs := ""
	if s.ColorSpace != nil {
		cs = "-" + s.ColorSpace.String()
	}
	return fmt.Sprintf("%v-%v%s", s.Size, s.PixelFormat, cs)
}

// Formats returns the pixel formats and sizes the stream can take.
func (s *StreamConfiguration) Formats() *StreamFormats { return s.formats }

// Stream returns the stream this configuration was applied to, or nil before
// [Camera.Configure].
func (s *StreamConfiguration) Stream() *Stream { return s.stream }

// StreamFormats lists a stream's pixel formats and, per format, its sizes.
type StreamFormats struct {
	formats []streamFormat
}

type streamFormat struct {
	format PixelFormat
	rng    SizeRange
	sizes  []Size
}

// PixelFormats returns the formats the stream can produce.
func (f *StreamFormats) PixelFormats() []PixelFormat {
	var out []PixelFormat
	for _, sf := range f.formats {
		out = append(out, sf.format)
	}
	return out
}

// Sizes returns the discrete sizes libcamera lists for format.
func (f *StreamFormats) Sizes(format PixelFormat) []Size {
	for _, sf := range f.formats {
		if sf.format == format {
			return append([]Size(nil), sf.sizes...)
		}
	}
	return nil
}

// Range returns the range of sizes for format.
func (f *StreamFormats) Range(format PixelFormat) SizeRange {
	for _, sf := range f.formats {
		if sf.format == format {
			return sf.rng
		}
	}
	return SizeRange{}
}

// Adjustment is one change libcamera made while validating.
type Adjustment struct {
	Stream    int    // stream index, or -1 for the whole configuration
	Field     string // "PixelFormat", "Size", "BufferCount", "ColorSpace", "Orientation" or "Configuration"
	Requested string
	Got       string
}

func (a Adjustment) String() string {
	if a.Stream < 0 {
		return fmt.Sprintf("%s: %s -> %s", a.Field, a.Requested, a.Got)
	}
	return fmt.Sprintf("stream %d %s: %s -> %s", a.Stream, a.Field, a.Requested, a.Got)
}

// CameraConfiguration is a camera's configuration: one
// [StreamConfiguration] per stream plus the orientation and sensor mode.
type CameraConfiguration struct {
	camera       *Camera
	h            *C.picam_config // nil once freed
	cleanup      runtime.Cleanup
	streams      []*StreamConfiguration
	Orientation  Orientation
	SensorConfig *SensorConfiguration // nil: libcamera picks the mode
}

func newConfiguration(c *Camera, h *C.picam_config) (*CameraConfiguration, error) {
	cfg := &CameraConfiguration{camera: c, h: h}
	cfg.cleanup = runtime.AddCleanup(cfg, func(h *C.picam_config) { C.picam_config_free(h) }, h)
	n := int(C.picam_config_size(h))
	for range n {
		cfg.streams = append(cfg.streams, &StreamConfiguration{})
	}
	if err := cfg.pull(); err != nil {
		return nil, err
	}
	b := C.picam_bytes_new()
	defer C.picam_bytes_free(b)
	for i, s := range cfg.streams {
		var e C.picam_error
		if err := cError("StreamConfiguration.Formats", C.picam_config_formats(h, C.int(i), b, &e), &e); err != nil {
			return nil, err
		}
		f, err := decodeFormats(cBytes(b))
		if err != nil {
			return nil, err
		}
		s.formats = f
	}
	return cfg, nil
}

func decodeFormats(data []byte) (*StreamFormats, error) {
	d := &decoder{b: data}
	f := &StreamFormats{}
	for n := d.u32(); n > 0 && d.err == nil; n-- {
		sf := streamFormat{format: PixelFormat{FourCC: d.u32()}}
		d.u32()
		sf.format.Modifier = d.u64()
		sf.rng.Min = Size{d.u32(), d.u32()}
		sf.rng.Max = Size{d.u32(), d.u32()}
		sf.rng.HStep, sf.rng.VStep = d.u32(), d.u32()
		for k := d.u32(); k > 0 && d.err == nil; k-- {
			sf.sizes = append(sf.sizes, Size{d.u32(), d.u32()})
		}
		f.formats = append(f.formats, sf)
	}
	return f, d.err
}

// Free releases libcamera's configuration now, as every other C-backed
// type of the package can be, rather than when the garbage collector finds
// it. Validate and Configure then fail with an error matching [ErrClosed];
// the Go fields stay readable. Freeing twice is harmless.
func (cfg *CameraConfiguration) Free() {
	c := cfg.camera
	c.mu.Lock()
	defer c.mu.Unlock()
	if cfg.h == nil {
		return
	}
	cfg.cleanup.Stop()
	C.picam_config_free(cfg.h)
	cfg.h = nil
}

// Len returns the number of streams.
func (cfg *CameraConfiguration) Len() int { return len(cfg.streams) }

// At returns stream i's configuration, to read or change.
func (cfg *CameraConfiguration) At(i int) *StreamConfiguration { return cfg.streams[i] }

func (cfg *CameraConfiguration) String() string {
	return fmt.Sprintf("%v %v", cfg.streams, cfg.Orientation)
}

// push writes the Go fields into libcamera's configuration.
func (cfg *CameraConfiguration) push() error {
	if cfg.h == nil {
		return errorf("CameraConfiguration", syscall.EBADF, "configuration is freed")
	}
	var e C.picam_error
	for i, s := range cfg.streams {
		in := C.picam_stream_config{
			pixel_format: C.uint32_t(s.PixelFormat.FourCC),
			modifier:     C.uint64_t(s.PixelFormat.Modifier),
			width:        C.uint32_t(s.Size.Width),
			height:       C.uint32_t(s.Size.Height),
			stride:       C.uint32_t(s.Stride),
			frame_size:   C.uint32_t(s.FrameSize),
			buffer_count: C.uint32_t(s.BufferCount),
		}
		if s.ColorSpace != nil {
			in.color_space = C.picam_color_space{valid: 1, primaries: C.uint8_t(s.ColorSpace.Primaries),
				transfer: C.uint8_t(s.ColorSpace.TransferFunction), ycbcr_encoding: C.uint8_t(s.ColorSpace.YcbcrEncoding),
				_range: C.uint8_t(s.ColorSpace.Range)}
		}
		if err := cError("CameraConfiguration", C.picam_config_set(cfg.h, C.int(i), &in, &e), &e); err != nil {
			return err
		}
	}
	if err := cError("CameraConfiguration", C.picam_config_set_orientation(cfg.h, C.int(cfg.Orientation), &e), &e); err != nil {
		return err
	}
	var depth, w, h uint32
	if sc := cfg.SensorConfig; sc != nil {
		depth, w, h = sc.BitDepth, sc.OutputSize.Width, sc.OutputSize.Height
		if depth == 0 {
			return errorf("CameraConfiguration", syscall.EINVAL, "sensor configuration needs a bit depth")
		}
	}
	return cError("CameraConfiguration", C.picam_config_set_sensor(cfg.h, C.uint32_t(depth), C.uint32_t(w), C.uint32_t(h), &e), &e)
}

// pull reads libcamera's configuration into the Go fields.
func (cfg *CameraConfiguration) pull() error {
	var e C.picam_error
	for i, s := range cfg.streams {
		var out C.picam_stream_config
		if err := cError("CameraConfiguration", C.picam_config_get(cfg.h, C.int(i), &out, &e), &e); err != nil {
			return err
		}
		s.PixelFormat = PixelFormat{FourCC: uint32(out.pixel_format), Modifier: uint64(out.modifier)}
		s.Size = Size{uint32(out.width), uint32(out.height)}
		s.Stride = uint32(out.stride)
		s.FrameSize = uint32(out.frame_size)
		s.BufferCount = uint32(out.buffer_count)
		s.ColorSpace = nil
		if cs := out.color_space; cs.valid != 0 {
			s.ColorSpace = &ColorSpace{Primaries: Primaries(cs.primaries), TransferFunction: TransferFunction(cs.transfer),
				YcbcrEncoding: YcbcrEncoding(cs.ycbcr_encoding), Range: Range(cs._range)}
		}
	}
	cfg.Orientation = Orientation(C.picam_config_orientation(cfg.h))
	return nil
}

// Validate asks libcamera to check the configuration and adjust it to what
// the camera can do, as libcamera's CameraConfiguration::validate. It returns
// ConfigurationValid, or ConfigurationAdjusted with every change made (also
// when libcamera changed a field but reported Valid), or an error matching
// [ErrInvalid] for a configuration the camera cannot use.
func (cfg *CameraConfiguration) Validate() (ConfigurationStatus, []Adjustment, error) {
	c := cfg.camera
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ConfigurationInvalid, nil, c.errClosed("CameraConfiguration.Validate")
	}
	before := cfg.snapshot()
	if err := cfg.push(); err != nil {
		return ConfigurationInvalid, nil, err
	}
	var e C.picam_error
	ret := C.picam_config_validate(cfg.h, &e)
	if err := cError("CameraConfiguration.Validate", ret, &e); err != nil {
		return ConfigurationInvalid, nil, err
	}
	if err := cfg.pull(); err != nil {
		return ConfigurationInvalid, nil, err
	}
	if ConfigurationStatus(ret) == ConfigurationInvalid {
		return ConfigurationInvalid, nil, errorf("CameraConfiguration.Validate", syscall.EINVAL,
			"camera %s cannot use configuration %v", c.id, before.streams)
	}
	adj := cfg.diff(before)
	if ConfigurationStatus(ret) == ConfigurationValid {
		if len(adj) == 0 {
			return ConfigurationValid, nil, nil
		}
		// libcamera's virtual pipeline forces its buffer count without
		// saying so; a change is an adjustment whatever libcamera reports.
		return ConfigurationAdjusted, adj, nil
	}
	if len(adj) == 0 {
		// libcamera changed something the Go view does not carry (such as
		// the sensor mode); say so rather than report nothing.
		adj = append(adj, Adjustment{Stream: -1, Field: "Configuration", Requested: "as set", Got: "adjusted by libcamera"})
	}
	return ConfigurationStatus(ret), adj, nil
}

type configSnapshot struct {
	streams     []StreamConfiguration
	orientation Orientation
}

func (cfg *CameraConfiguration) snapshot() configSnapshot {
	s := configSnapshot{orientation: cfg.Orientation}
	for _, sc := range cfg.streams {
		s.streams = append(s.streams, *sc)
	}
	return s
}

func (cfg *CameraConfiguration) diff(before configSnapshot) []Adjustment {
	var out []Adjustment
	add := func(i int, field string, a, b any) {
		if fmt.Sprint(a) != fmt.Sprint(b) {
			out = append(out, Adjustment{Stream: i, Field: field, Requested: fmt.Sprint(a), Got: fmt.Sprint(b)})
		}
	}
	for i, sc := range cfg.streams {
		old := before.streams[i]
		add(i, "PixelFormat", old.PixelFormat, sc.PixelFormat)
		add(i, "Size", old.Size, sc.Size)
		add(i, "BufferCount", old.BufferCount, sc.BufferCount)
		// Stride and frame size are libcamera's outputs, not requests.
		if old.ColorSpace != nil {
			add(i, "ColorSpace", old.ColorSpace, colorSpaceString(sc.ColorSpace))
		}
	}
	add(-1, "Orientation", before.orientation, cfg.Orientation)
	return out
}

func colorSpaceString(cs *ColorSpace) string {
	if cs == nil {
		return "<none>"
	}
	return cs.String()
}
