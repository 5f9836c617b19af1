package picam

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

// TestSetControlsInvalidValues sets every typed field of Controls to NaN,
// ±Inf, zero, negative and out-of-limit values on the virtual camera
// (which has only FrameDurationLimits, 33333..66666 µs on the lines
// camera, and FaceDetectMode): a meaningless value gets a *ControlError
// saying why, whether or not the camera has the control; a meaningful one
// the camera lacks says so (ErrUnsupported); one within its limits passes.
func TestSetControlsInvalidValues(t *testing.T) {
	c, _ := startCamera(t, linesID, Size{Width: 320, Height: 240}, startOpts{})
	nan, inf := math.NaN(), math.Inf(1)
	const (
		unsupported = "not supported by camera"
		outOfRange  = "out of range"
		ok          = ""
	)
	type tc struct {
		name   string
		ctrls  Controls
		reason string // in the ControlError; ok for none
		ctrl   string // the control the error names
	}
	var cases []tc
	add := func(name, ctrl, reason string, ctrls Controls) {
		cases = append(cases, tc{name, ctrls, reason, ctrl})
	}
	for _, x := range []struct {
		v      float64
		reason string
	}{{nan, "not a number"}, {inf, "infinite"}, {-inf, "infinite"}, {1e39, "too large"}} {
		add("AnalogueGain", "AnalogueGain", x.reason, Controls{AnalogueGain: new(x.v)})
		add("ExposureValue", "ExposureValue", x.reason, Controls{ExposureValue: new(x.v)})
		add("Brightness", "Brightness", x.reason, Controls{Brightness: new(x.v)})
		add("Contrast", "Contrast", x.reason, Controls{Contrast: new(x.v)})
		add("Saturation", "Saturation", x.reason, Controls{Saturation: new(x.v)})
		add("Sharpness", "Sharpness", x.reason, Controls{Sharpness: new(x.v)})
		add("LensPosition", "LensPosition", x.reason, Controls{LensPosition: new(x.v)})
		add("ColourGains red", "ColourGains", x.reason, Controls{ColourGains: &[2]float64{x.v, 1}})
		add("ColourGains blue", "ColourGains", x.reason, Controls{ColourGains: &[2]float64{1, x.v}})
		add("FrameRate", "FrameDurationLimits", x.reason, Controls{FrameRate: new(x.v)})
	}
	// Negative where it means nothing; zero and negative where it does
	// mean something reach the camera, which lacks these controls.
	add("AnalogueGain -1", "AnalogueGain", "negative", Controls{AnalogueGain: new(-1.0)})
	add("AnalogueGain 0", "AnalogueGain", unsupported, Controls{AnalogueGain: new(0.0)})
	add("ExposureValue -1", "ExposureValue", unsupported, Controls{ExposureValue: new(-1.0)})
	add("Brightness -0.5", "Brightness", unsupported, Controls{Brightness: new(-0.5)})
	for _, name := range []string{"Contrast", "Saturation", "Sharpness", "LensPosition"} {
		set := func(v float64) Controls {
			var ctrls Controls
			p := map[string]**float64{"Contrast": &ctrls.Contrast, "Saturation": &ctrls.Saturation,
				"Sharpness": &ctrls.Sharpness, "LensPosition": &ctrls.LensPosition}[name]
			*p = new(v)
			return ctrls
		}
		add(name+" -1", name, "negative", set(-1))
		add(name+" 0", name, unsupported, set(0))
	}
	add("ColourGains negative", "ColourGains", "negative", Controls{ColourGains: &[2]float64{-1, 1}})
	add("ColourGains 0", "ColourGains", unsupported, Controls{ColourGains: &[2]float64{0, 0}})
	add("ExposureTime -1ms", "ExposureTime", "negative", Controls{ExposureTime: new(-time.Millisecond)})
	add("ExposureTime 0", "ExposureTime", unsupported, Controls{ExposureTime: new(time.Duration(0))})
	add("ExposureTime 100 years", "ExposureTime", "longer than", Controls{ExposureTime: new(100 * 365 * 24 * time.Hour)})
	add("FrameRate 0", "FrameDurationLimits", "must be positive", Controls{FrameRate: new(0.0)})
	add("FrameRate -1", "FrameDurationLimits", "must be positive", Controls{FrameRate: new(-1.0)})
	add("FrameRate 3e6", "FrameDurationLimits", "too high", Controls{FrameRate: new(3e6)})
	add("FrameRate 60", "FrameDurationLimits", outOfRange, Controls{FrameRate: new(60.0)})
	add("FrameRate 10", "FrameDurationLimits", outOfRange, Controls{FrameRate: new(10.0)})
	add("FrameRate 20", "", ok, Controls{FrameRate: new(20.0)})
	fdl := func(lo, hi time.Duration) Controls { return Controls{FrameDurationLimits: &[2]time.Duration{lo, hi}} }
	add("FrameDurationLimits negative", "FrameDurationLimits", "negative", fdl(-time.Microsecond, 40*time.Millisecond))
	add("FrameDurationLimits min>max", "FrameDurationLimits", "minimum is above", fdl(60*time.Millisecond, 40*time.Millisecond))
	add("FrameDurationLimits 0", "FrameDurationLimits", outOfRange, fdl(0, 0))
	add("FrameDurationLimits 1ms", "FrameDurationLimits", outOfRange, fdl(time.Millisecond, time.Millisecond))
	add("FrameDurationLimits 1s", "FrameDurationLimits", outOfRange, fdl(time.Second, time.Second))
	add("FrameDurationLimits 40..50ms", "", ok, fdl(40*time.Millisecond, 50*time.Millisecond))
	add("ScalerCrop empty", "ScalerCrop", "empty", Controls{ScalerCrop: &Rectangle{}})
	add("ScalerCrop", "ScalerCrop", unsupported, Controls{ScalerCrop: &Rectangle{Width: 10, Height: 10}})
	add("AfMode 99", "AfMode", "not one of libcamera's values", Controls{AfMode: new(AfMode(99))})
	add("AfMode -1", "AfMode", "not one of libcamera's values", Controls{AfMode: new(AfMode(-1))})
	add("AfMode Auto", "AfMode", unsupported, Controls{AfMode: new(AfModeAuto)})
	add("AfTrigger 5", "AfTrigger", "not one of libcamera's values", Controls{AfTrigger: new(AfTrigger(5))})
	add("HdrMode 42", "HdrMode", "not one of libcamera's values", Controls{HdrMode: new(HdrMode(42))})
	add("NoiseReductionMode -1", "NoiseReductionMode", "not one of libcamera's values", Controls{NoiseReductionMode: new(NoiseReductionMode(-1))})
	add("FaceDetectMode 7 by name", "FaceDetectMode", "not one of libcamera's values", *new(Controls).Set("FaceDetectMode", 7))
	add("AeEnable", "AeEnable", unsupported, Controls{AeEnable: new(false)})
	add("AwbEnable", "AwbEnable", unsupported, Controls{AwbEnable: new(false)})

	for _, tc := range cases {
		id, err := c.SetControls(tc.ctrls)
		if tc.reason == ok {
			if err != nil || id == 0 {
				t.Errorf("%s: SetControls = %d, %v; want an id and no error", tc.name, id, err)
			}
			continue
		}
		var ce *ControlError
		if !errors.As(err, &ce) || !errors.Is(err, ErrInvalid) || id != 0 {
			t.Errorf("%s: SetControls = %d, %v; want a *ControlError (%s)", tc.name, id, err, tc.reason)
			continue
		}
		if ce.Name != tc.ctrl || !strings.Contains(ce.Reason, tc.reason) {
			t.Errorf("%s: %v; want control %s, reason %q", tc.name, err, tc.ctrl, tc.reason)
		}
	}

	// Configure checks a configuration's controls the same way.
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	cfg := nv12Config(c, Size{Width: 320, Height: 240})
	cfg.Controls = Controls{FrameRate: new(nan)}
	var ce *ControlError
	if _, err := c.Configure(cfg); !errors.As(err, &ce) || ce.Reason != "not a number" {
		t.Errorf("Configure with FrameRate NaN = %v, want a *ControlError", err)
	}
}
