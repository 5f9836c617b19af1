package picam

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"time"

	"github.com/picamgo/picamgo/libcamera"
)

// Controls are camera settings, applied with [Camera.SetControls] or at
// start through [Configuration.Controls]. Nil fields are left as they are;
// set a field with Go's new, as in
//
//	picam.Controls{ExposureTime: new(10 * time.Millisecond), AeEnable: new(false)}
//
// Any other libcamera control goes in ByName, with a value of the control's
// type (see [libcamera.NewControlValue]; Go ints and float64 are accepted
// where they fit). Every value is checked against the camera's limits.
//
// Values that mean nothing whatever the camera are refused with a
// [*ControlError] before that: NaN and infinite numbers (and floats beyond
// libcamera's float32), negative exposure times, gains, contrast,
// saturation, sharpness, lens positions and frame durations, a frame rate
// that is not positive, frame duration limits whose minimum is above their
// maximum, an empty ScalerCrop, and a value of an enumerated control
// (AfMode, HdrMode, ...) that libcamera does not define.
type Controls struct {
	AeEnable            *bool
	ExposureTime        *time.Duration // libcamera's ExposureTime, in µs
	AnalogueGain        *float64
	ExposureValue       *float64 // EV compensation
	AwbEnable           *bool
	ColourGains         *[2]float64 // red, blue
	Brightness          *float64    // -1..1
	Contrast            *float64    // 1 is normal
	Saturation          *float64    // 1 is normal
	Sharpness           *float64
	FrameDurationLimits *[2]time.Duration // min, max frame duration
	// FrameRate fixes the frame rate: it sets FrameDurationLimits to
	// 1/FrameRate for both limits, as Picamera2's FrameRate does, in
	// whole microseconds, onto the camera's limit when within one of it
	// (15 frames/s is 66666 µs on a camera whose slowest is 66666). It
	// must be positive; errors name FrameDurationLimits.
	FrameRate          *float64
	ScalerCrop         *Rectangle
	AfMode             *AfMode
	AfTrigger          *AfTrigger
	LensPosition       *float64 // dioptres
	HdrMode            *HdrMode
	NoiseReductionMode *NoiseReductionMode

	// Raspberry Pi's libcamera only (its rpi:: controls; elsewhere setting
	// them is an error naming the control).

	// ScalerCrops is a crop per stream, in the order of the configuration's
	// streams (rpi::ScalerCrops; on a Pi 5); it wins over ScalerCrop.
	ScalerCrops []Rectangle
	// SyncMode makes cameras on several Pis run in step: one server, the
	// rest clients (rpi::SyncMode). See Metadata.SyncReady.
	SyncMode *SyncMode

	// ByName sets any control by libcamera's name, e.g. "AeMeteringMode".
	ByName map[string]any
}

// AfMode is libcamera's AfMode control.
type AfMode int32

const (
	AfModeManual     AfMode = 0
	AfModeAuto       AfMode = 1
	AfModeContinuous AfMode = 2
)

// AfTrigger is libcamera's AfTrigger control.
type AfTrigger int32

const (
	AfTriggerStart  AfTrigger = 0
	AfTriggerCancel AfTrigger = 1
)

// HdrMode is libcamera's HdrMode control.
type HdrMode int32

const (
	HdrModeOff                   HdrMode = 0
	HdrModeMultiExposureUnmerged HdrMode = 1
	HdrModeMultiExposure         HdrMode = 2
	HdrModeSingleExposure        HdrMode = 3
	HdrModeNight                 HdrMode = 4
)

// NoiseReductionMode is libcamera's (draft) NoiseReductionMode control.
type NoiseReductionMode int32

const (
	NoiseReductionOff         NoiseReductionMode = 0
	NoiseReductionFast        NoiseReductionMode = 1
	NoiseReductionHighQuality NoiseReductionMode = 2
	NoiseReductionMinimal     NoiseReductionMode = 3
	NoiseReductionZSL         NoiseReductionMode = 4
)

// SyncMode is Raspberry Pi's rpi::SyncMode control.
type SyncMode int32

const (
	SyncModeOff    SyncMode = 0
	SyncModeServer SyncMode = 1
	SyncModeClient SyncMode = 2
)

// Set sets a control by name in ByName and returns c, for chaining.
func (c *Controls) Set(name string, value any) *Controls {
	if c.ByName == nil {
		c.ByName = map[string]any{}
	}
	c.ByName[name] = value
	return c
}

// IsZero reports whether no control is set.
func (c *Controls) IsZero() bool { return len(c.pairs()) == 0 }

type controlPair struct {
	name  string
	value any // in libcamera's type
	shown any // as the caller gave it, for errors
	// invalid says why the value means nothing whatever the camera (NaN, a
	// negative gain, a frame rate of zero), or is "".
	invalid string
	// rate is FrameRate's frames/s when the pair is its
	// FrameDurationLimits: see onLimit.
	rate float64
}

func f32(p *float64) any { return float32(*p) }

// Why a typed value is meaningless, or "": every float must be a finite
// number that fits libcamera's float; some must not be negative.
func badFloat(x float64) string {
	switch {
	case math.IsNaN(x):
		return "not a number"
	case math.IsInf(x, 0):
		return "infinite"
	case math.Abs(x) > math.MaxFloat32:
		return "too large for libcamera's float"
	}
	return ""
}

func badNonNegative(x float64) string {
	if r := badFloat(x); r != "" {
		return r
	}
	if x < 0 {
		return "negative"
	}
	return ""
}

// badExposure is why an exposure time is meaningless: libcamera takes
// int32 microseconds.
func badExposure(d time.Duration) string {
	switch {
	case d < 0:
		return "negative"
	case d.Microseconds() > math.MaxInt32:
		return fmt.Sprintf("longer than libcamera's %v", time.Duration(math.MaxInt32)*time.Microsecond)
	}
	return ""
}

// badFrameRate is why a frame rate is meaningless: it must be positive,
// finite, and low enough for a frame to last a whole microsecond
// (libcamera's unit of frame duration).
func badFrameRate(r float64) string {
	if reason := badFloat(r); reason != "" {
		return reason
	}
	switch {
	case r <= 0:
		return "a frame rate must be positive"
	case math.Round(1e6/r) < 1:
		return "too high: a frame would last less than 1µs"
	}
	return ""
}

// onLimit puts the frame duration of a FrameRate (1/rate, rounded to the
// microsecond libcamera counts in) onto the camera's FrameDurationLimits
// when it lies beyond one by less than a microsecond. Cameras give their
// limits in whole microseconds, truncated or rounded: 15 frames/s is
// 66666.7 µs, which rounds to 66667, while a camera whose slowest rate is
// 15 frames/s (libcamera's virtual camera with frame_rates [15, 30], many
// sensors) says 66666. The rate asked for is then the camera's own, and
// refusing it (or clamping it and reporting an adjustment) would be wrong.
// Durations further out are left for the limits check. Other pairs are
// returned as they are.
func (p controlPair) onLimit(info *libcamera.ControlInfo) controlPair {
	if p.rate <= 0 || p.invalid != "" || info == nil {
		return p
	}
	exact := 1e6 / p.rate
	lo, hasLo := firstNumber(info.Min)
	hi, hasHi := firstNumber(info.Max)
	d := int64(0)
	switch {
	case hasLo && exact < lo && lo-exact < 1:
		d = int64(lo)
	case hasHi && exact > hi && exact-hi < 1:
		d = int64(hi)
	default:
		return p
	}
	p.value = []int64{d, d}
	return p
}

// badDurationLimits is why frame duration limits are meaningless. Zero is
// allowed (Raspberry Pi's pipeline reads it as "the sensor mode's
// default"); the camera's limits then decide.
func badDurationLimits(l [2]time.Duration) string {
	switch {
	case l[0] < 0 || l[1] < 0:
		return "negative"
	case l[0] > 0 && l[1] > 0 && l[0] > l[1]:
		return "the minimum is above the maximum"
	}
	return ""
}

// pairs lists the set controls as libcamera names and values.
func (c *Controls) pairs() []controlPair {
	var out []controlPair
	add := func(name string, v, shown any, invalid string) {
		out = append(out, controlPair{name: name, value: v, shown: shown, invalid: invalid})
	}
	if c.AeEnable != nil {
		add("AeEnable", *c.AeEnable, *c.AeEnable, "")
	}
	if c.ExposureTime != nil {
		// Saturated, not wrapped, so that the limits check sees the value.
		us := min(max(c.ExposureTime.Microseconds(), math.MinInt32), math.MaxInt32)
		add("ExposureTime", int32(us), *c.ExposureTime, badExposure(*c.ExposureTime))
	}
	if c.AnalogueGain != nil {
		add("AnalogueGain", f32(c.AnalogueGain), *c.AnalogueGain, badNonNegative(*c.AnalogueGain))
	}
	if c.ExposureValue != nil {
		add("ExposureValue", f32(c.ExposureValue), *c.ExposureValue, badFloat(*c.ExposureValue))
	}
	if c.AwbEnable != nil {
		add("AwbEnable", *c.AwbEnable, *c.AwbEnable, "")
	}
	if c.ColourGains != nil {
		g := c.ColourGains
		add("ColourGains", []float32{float32(g[0]), float32(g[1])}, *g, cmp.Or(badNonNegative(g[0]), badNonNegative(g[1])))
	}
	for _, p := range []struct {
		name string
		v    *float64
		bad  func(float64) string
	}{
		{"Brightness", c.Brightness, badFloat}, // -1..1: negative is darker
		{"Contrast", c.Contrast, badNonNegative},
		{"Saturation", c.Saturation, badNonNegative},
		{"Sharpness", c.Sharpness, badNonNegative},
		{"LensPosition", c.LensPosition, badNonNegative}, // dioptres: 0 is infinity
	} {
		if p.v != nil {
			add(p.name, f32(p.v), *p.v, p.bad(*p.v))
		}
	}
	if c.FrameDurationLimits != nil {
		l := c.FrameDurationLimits
		add("FrameDurationLimits", []int64{l[0].Microseconds(), l[1].Microseconds()}, *l, badDurationLimits(*l))
	}
	if c.FrameRate != nil {
		invalid := badFrameRate(*c.FrameRate)
		d := int64(0)
		if invalid == "" {
			d = int64(math.Round(1e6 / *c.FrameRate))
		}
		out = append(out, controlPair{name: "FrameDurationLimits", value: []int64{d, d},
			shown: fmt.Sprintf("FrameRate %g", *c.FrameRate), invalid: invalid, rate: *c.FrameRate})
	}
	if c.ScalerCrop != nil {
		invalid := ""
		if c.ScalerCrop.Width == 0 || c.ScalerCrop.Height == 0 {
			invalid = "an empty rectangle"
		}
		add("ScalerCrop", *c.ScalerCrop, *c.ScalerCrop, invalid)
	}
	if c.AfMode != nil {
		add("AfMode", int32(*c.AfMode), *c.AfMode, "")
	}
	if c.AfTrigger != nil {
		add("AfTrigger", int32(*c.AfTrigger), *c.AfTrigger, "")
	}
	if c.HdrMode != nil {
		add("HdrMode", int32(*c.HdrMode), *c.HdrMode, "")
	}
	if c.NoiseReductionMode != nil {
		add("NoiseReductionMode", int32(*c.NoiseReductionMode), *c.NoiseReductionMode, "")
	}
	if c.ScalerCrops != nil {
		invalid := ""
		for _, r := range c.ScalerCrops {
			if r.Width == 0 || r.Height == 0 {
				invalid = "an empty rectangle"
			}
		}
		add("ScalerCrops", slices.Clone(c.ScalerCrops), c.ScalerCrops, invalid)
	}
	if c.SyncMode != nil {
		add("SyncMode", int32(*c.SyncMode), *c.SyncMode, "")
	}
	for _, name := range slices.Sorted(maps.Keys(c.ByName)) {
		add(name, c.ByName[name], c.ByName[name], "")
	}
	for i := range out {
		if out[i].invalid == "" {
			out[i].invalid = badEnum(out[i].name, out[i].value)
		}
	}
	return out
}

// badEnum is why v is not a value of an enumerated control (AfMode,
// HdrMode, ...), or "": libcamera names every value such a control takes.
func badEnum(name string, v any) string {
	id, ok := libcamera.LookupControl(name)
	if !ok || len(id.Enumerators) == 0 {
		return ""
	}
	rv := reflect.ValueOf(v)
	if !rv.CanInt() {
		return "" // a wrong type: validate says so
	}
	if n := rv.Int(); n >= math.MinInt32 && n <= math.MaxInt32 {
		if _, known := id.Enumerators[int32(n)]; known {
			return ""
		}
	}
	return "not one of libcamera's values of " + name
}
