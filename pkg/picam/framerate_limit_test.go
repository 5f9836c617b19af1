package picam

import (
	"fmt"
	"testing"
)

// TestFrameRateOnLimit: a FrameRate whose duration lies beyond the
// camera's FrameDurationLimits by less than a microsecond is the camera's
// own rate and lands on the limit. The lines camera of testdata/virtual.yaml
// (frame_rates [15, 30]) gives 33333..66666 µs: 15 frames/s (66666.7 µs,
// 66667 rounded) is its slowest and 30.001 (33332.2 µs) its fastest,
// within a microsecond; rates further out are left to the limits check.
func TestFrameRateOnLimit(t *testing.T) {
	c, _ := openCamera(t, linesID)
	info, ok := c.CameraControls().Find("FrameDurationLimits")
	if !ok {
		t.Fatal("the lines camera has no FrameDurationLimits")
	}
	if got := fmt.Sprint(info.Min, "..", info.Max); got != "33333..66666" {
		t.Fatalf("lines camera's FrameDurationLimits %s, want 33333..66666 (testdata/virtual.yaml)", got)
	}
	for _, tc := range []struct {
		rate float64
		want string
	}{
		{15, "[66666 66666]"},
		{30.001, "[33333 33333]"},
		{30, "[33333 33333]"},
		{20, "[50000 50000]"},
		{14.999, "[66671 66671]"}, // 4.4 µs beyond: not the camera's rate
		{30.01, "[33322 33322]"},
	} {
		pairs := (&Controls{FrameRate: new(tc.rate)}).pairs()
		if len(pairs) != 1 {
			t.Fatalf("FrameRate %g gives %d pairs", tc.rate, len(pairs))
		}
		if got := fmt.Sprint(pairs[0].onLimit(info).value); got != tc.want {
			t.Errorf("FrameRate %g: FrameDurationLimits %s, want %s", tc.rate, got, tc.want)
		}
	}
	// Through Configure: the slowest and fastest rates are taken as they
	// are, with nothing adjusted; a frame comes.
	for _, rate := range []float64{15, 30.001} {
		if c.Started() {
			if err := c.Stop(); err != nil {
				t.Fatal(err)
			}
		}
		cfg := nv12Config(c, Size{Width: 320, Height: 240})
		cfg.Controls.FrameDurationLimits = nil
		cfg.Controls.FrameRate = new(rate)
		adj, err := c.Configure(cfg)
		if err != nil {
			t.Fatalf("Configure with FrameRate %g: %v", rate, err)
		}
		for _, a := range adj {
			if a.Field == "FrameDurationLimits" {
				t.Errorf("FrameRate %g adjusted: %v", rate, a)
			}
		}
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		capture(t, c).Release()
	}
}
