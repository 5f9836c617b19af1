package picam

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestSetControlsInvalidValues sets every typed field of Controls to NaN,
// ±Inf, zero, negative and out-of-limit values on the virtual camera
// (which has only FrameDurationLimits, 33333..66666 µs on the lines
// camera, and FaceDetectMode): a meaningless value gets a *ControlError
// saying why, whether or not the camera has the control; a meaningful one
// the camera lacks says so (ErrUnsupported); one within its limits passes;
// one beyond them is clamped to them and reported as an Adjustment.
func TestSetControlsInvalidValues(t *testing.T) {
	c, _ := startCamera(t, linesID, Size{Width: 320, Height: 240}, startOpts{})
	nan, inf := math.NaN(), math.Inf(1)
	const (
		unsupported = "not supported by camera"
		ok          = ""
		clamped     = "clamped"
	)
	type tc struct {
		name   string
		ctrls  Controls
		reason string // in the ControlError; ok or clamped for none
		ctrl   string // the control the error names
		got    string // clamped: the value applied
	}
	var cases []tc
	add := func(name, ctrl, reason string, ctrls Controls) {
		cases = append(cases, tc{name, ctrls, reason, ctrl, ""})
	}
	clamp := func(name, got string, ctrls Controls) {
		cases = append(cases, tc{name, ctrls, clamped, "FrameDurationLimits", got})
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
	clamp("FrameRate 60", "[33333 33333]", Controls{FrameRate: new(60.0)})
	clamp("FrameRate 10", "[66666 66666]", Controls{FrameRate: new(10.0)})
	add("FrameRate 20", "", ok, Controls{FrameRate: new(20.0)})
	fdl := func(lo, hi time.Duration) Controls { return Controls{FrameDurationLimits: &[2]time.Duration{lo, hi}} }
	add("FrameDurationLimits negative", "FrameDurationLimits", "negative", fdl(-time.Microsecond, 40*time.Millisecond))
	add("FrameDurationLimits min>max", "FrameDurationLimits", "minimum is above", fdl(60*time.Millisecond, 40*time.Millisecond))
	clamp("FrameDurationLimits 0", "[33333 33333]", fdl(0, 0))
	clamp("FrameDurationLimits 1ms", "[33333 33333]", fdl(time.Millisecond, time.Millisecond))
	clamp("FrameDurationLimits 1s", "[66666 66666]", fdl(time.Second, time.Second))
	clamp("FrameDurationLimits 1ms..1s", "[33333 66666]", fdl(time.Millisecond, time.Second))
	clamp("FrameDurationLimits by name 1..40000", "[33333 40000]", *new(Controls).Set("FrameDurationLimits", []int64{1, 40000}))
	add("FrameDurationLimits by name negative", "FrameDurationLimits", "negative", *new(Controls).Set("FrameDurationLimits", []int64{-1, 40000}))
	add("FrameDurationLimits by name min>max", "FrameDurationLimits", "minimum is above", *new(Controls).Set("FrameDurationLimits", []int64{50000, 40000}))
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

	var last ControlsID
	for _, tc := range cases {
		id, adj, err := c.SetControls(tc.ctrls)
		last = max(last, id)
		switch tc.reason {
		case ok:
			if err != nil || id == 0 || len(adj) != 0 {
				t.Errorf("%s: SetControls = %d, %v, %v; want an id and no adjustment or error", tc.name, id, adj, err)
			}
			continue
		case clamped:
			if err != nil || id == 0 || len(adj) != 1 || adj[0].Field != tc.ctrl || adj[0].Got != tc.got || adj[0].Stream != NoStream {
				t.Errorf("%s: SetControls = %d, %v, %v; want an id and %s clamped to %s", tc.name, id, adj, err, tc.ctrl, tc.got)
			}
			if v, _ := c.Controls().Get(tc.ctrl); v.String() != tc.got {
				t.Errorf("%s: Controls() has %s = %v, want the clamped %s", tc.name, tc.ctrl, v, tc.got)
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

	// Configure checks a configuration's controls the same way: it
	// refuses meaningless values, clamps the others and reports them with
	// its other adjustments, which Strict refuses. (A frame with the last
	// controls first, so that none are left pending over the configuration's.)
	capture(t, c, WithControls(last)).Release()
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	cfg := nv12Config(c, Size{Width: 320, Height: 240})
	cfg.Controls = Controls{FrameRate: new(nan)}
	var ce *ControlError
	if _, err := c.Configure(cfg); !errors.As(err, &ce) || ce.Reason != "not a number" {
		t.Errorf("Configure with FrameRate NaN = %v, want a *ControlError", err)
	}
	for _, rate := range []float64{2, 25} {
		cfg.Controls = Controls{FrameRate: new(rate)}
		cfg.Strict = true
		var ae *AdjustedError
		_, err := c.Configure(cfg)
		if named := errors.As(err, &ae) && slices.ContainsFunc(ae.Adjustments, func(a Adjustment) bool { return a.Field == "FrameDurationLimits" }); named != (rate == 2) {
			t.Errorf("strict Configure with FrameRate %g = %v, want an *AdjustedError naming FrameDurationLimits only for 2", rate, err)
		}
		cfg.Strict = false
		adj, err := c.Configure(cfg)
		want := map[float64]string{2: "[66666 66666]", 25: "[40000 40000]"}[rate]
		i := slices.IndexFunc(adj, func(a Adjustment) bool { return a.Field == "FrameDurationLimits" })
		switch {
		case err != nil:
			t.Errorf("Configure with FrameRate %g = %v, want it clamped", rate, err)
		case rate == 2 && (i < 0 || adj[i].Got != want):
			t.Errorf("Configure with FrameRate 2 adjusted %v, want FrameDurationLimits clamped to %s", adj, want)
		case rate == 25 && i >= 0:
			t.Errorf("Configure with FrameRate 25 (within the limits) adjusted %v", adj)
		}
		if v, _ := c.Controls().Get("FrameDurationLimits"); v.String() != want {
			t.Errorf("after Configure with FrameRate %g, Controls() has FrameDurationLimits %v, want %s", rate, v, want)
		}
	}
}
