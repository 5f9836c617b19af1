package picam

import (
	"errors"
	"testing"
	"time"

	"github.com/picamgo/picamgo/libcamera"
)

func TestControlEnumsMatchLibcamera(t *testing.T) {
	for name, want := range map[string]map[int32]string{
		"AfMode":    {int32(AfModeManual): "AfModeManual", int32(AfModeAuto): "AfModeAuto", int32(AfModeContinuous): "AfModeContinuous"},
		"AfTrigger": {int32(AfTriggerStart): "AfTriggerStart", int32(AfTriggerCancel): "AfTriggerCancel"},
		"HdrMode": {int32(HdrModeOff): "HdrModeOff", int32(HdrModeMultiExposureUnmerged): "HdrModeMultiExposureUnmerged",
			int32(HdrModeMultiExposure): "HdrModeMultiExposure", int32(HdrModeSingleExposure): "HdrModeSingleExposure", int32(HdrModeNight): "HdrModeNight"},
		"NoiseReductionMode": {int32(NoiseReductionOff): "NoiseReductionModeOff", int32(NoiseReductionFast): "NoiseReductionModeFast",
			int32(NoiseReductionHighQuality): "NoiseReductionModeHighQuality", int32(NoiseReductionMinimal): "NoiseReductionModeMinimal",
			int32(NoiseReductionZSL): "NoiseReductionModeZSL"},
	} {
		id, ok := libcamera.LookupControl(name)
		if !ok {
			t.Errorf("libcamera has no %s", name)
			continue
		}
		for v, n := range want {
			if got := id.Enumerators[v]; got != n {
				t.Errorf("%s %d = %q in libcamera, want %q (all %v)", name, v, got, n, id.Enumerators)
			}
		}
	}
	// Every typed control names a libcamera control of the type we send.
	all := Controls{AeEnable: new(true), ExposureTime: new(time.Millisecond), AnalogueGain: new(1.0), ExposureValue: new(0.0),
		AwbEnable: new(true), ColourGains: new([2]float64{1, 1}), Brightness: new(0.0), Contrast: new(1.0), Saturation: new(1.0),
		Sharpness: new(1.0), FrameDurationLimits: new([2]time.Duration{}), ScalerCrop: new(Rectangle{}), AfMode: new(AfModeAuto),
		AfTrigger: new(AfTriggerStart), LensPosition: new(1.0), HdrMode: new(HdrModeOff), NoiseReductionMode: new(NoiseReductionFast)}
	for _, p := range all.pairs() {
		id, ok := libcamera.LookupControl(p.name)
		if !ok {
			t.Errorf("libcamera has no %s", p.name)
			continue
		}
		v, err := libcamera.NewControlValue(p.value)
		if err != nil || v.Type() != id.Type || v.IsArray() != id.IsArray {
			t.Errorf("%s: we send %v (%v), libcamera wants %v array %v", p.name, v, err, id.Type, id.IsArray)
		}
	}
}

func TestSetControls(t *testing.T) {
	c, _ := startCamera(t, linesID, Size{Width: 320, Height: 240}, startOpts{}) // FrameDurationLimits 33333..66666 µs
	// Out of range: clamped to the limits, and reported.
	id, adj, err := c.SetControls(Controls{FrameRate: new(60.0)})
	if err != nil || id == 0 || len(adj) != 1 || adj[0].String() != "FrameDurationLimits: [16667 16667] -> [33333 33333]" {
		t.Errorf("FrameRate 60 = %d, %v, %v; want FrameDurationLimits clamped to 33333", id, adj, err)
	}
	// A control the camera lacks.
	if _, _, err := c.SetControls(Controls{ExposureTime: new(10 * time.Millisecond), AeEnable: new(false)}); !errors.Is(err, ErrUnsupported) || !errors.Is(err, ErrInvalid) {
		t.Errorf("ExposureTime on the virtual camera = %v, want ErrUnsupported", err)
	}
	for _, tc := range []struct {
		name string
		v    any
	}{
		{"NoSuchControl", 1},
		{"FrameDurationLimits", "fast"},
		{"FrameDurationLimits", []int64{1}},
		{"FaceDetectMode", 1}, // the camera lists only 0
	} {
		if _, _, err := c.SetControls(*new(Controls).Set(tc.name, tc.v)); !errors.Is(err, ErrInvalid) {
			t.Errorf("Set(%s, %v) = %v, want ErrInvalid", tc.name, tc.v, err)
		} else {
			t.Log(err)
		}
	}
	// Valid: typed and by name. Ids increase; the frames say which
	// controls they were queued with.
	id1, _, err := c.SetControls(Controls{FrameRate: new(20.0)})
	if err != nil {
		t.Fatal(err)
	}
	id2, _, err := c.SetControls(*new(Controls).Set("FrameDurationLimits", []int64{40000, 50000}).Set("FaceDetectMode", 0))
	if err != nil || id2 <= id1 {
		t.Fatalf("second SetControls = %d, %v (first %d)", id2, err, id1)
	}
	r := capture(t, c, WithControls(id2))
	first := r.Sequence()
	if r.ControlsID() < id2 {
		t.Errorf("frame with controls %d, asked for %d", r.ControlsID(), id2)
	}
	r.Release()
	// Later frames keep the newest id; none before first carried it.
	for range 5 {
		r := capture(t, c)
		if r.ControlsID() != id2 || r.Sequence() <= first {
			t.Errorf("later frame %d has controls %d", r.Sequence(), r.ControlsID())
		}
		r.Release()
	}
	if _, _, err := c.SetControls(Controls{}); err != nil {
		t.Errorf("empty SetControls = %v", err)
	}
	// Read-back: every control set, the newest value of each.
	if got := c.Controls().String(); got != "{FrameDurationLimits: [40000 50000], FaceDetectMode: 0}" {
		t.Errorf("Controls() = %s", got)
	}
}
