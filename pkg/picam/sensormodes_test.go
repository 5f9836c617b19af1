package picam

import (
	"errors"
	"testing"
)

// TestSensorModes: the virtual camera has no raw stream, so its modes are
// the sizes of testdata/virtual.yaml in the formats its main stream gives,
// and each one configures.
func TestSensorModes(t *testing.T) {
	c, _ := openCamera(t, barsID)
	modes, err := c.SensorModes()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%v", modes)
	sizes := map[Size]bool{}
	for _, m := range modes {
		if m.Raw || m.BitDepth != 0 {
			t.Errorf("mode %v: the virtual camera has no raw stream", m)
		}
		sizes[m.Size] = true
	}
	for _, want := range []Size{{Width: 64, Height: 48}, {Width: 640, Height: 480}, {Width: 1920, Height: 1080}} {
		if !sizes[want] {
			t.Errorf("modes %v lack %v from virtual.yaml", modes, want)
		}
	}
	for _, m := range modes {
		cfg := c.PreviewConfiguration()
		cfg.Main = StreamConfig{Size: m.Size, Format: m.Format}
		cfg.Strict = true
		cfg.BufferCount = 4
		cfg.ColorSpace = nil // libcamera 0.7 adjusts sYCC; only the mode is tested here
		if _, err := c.Configure(cfg); err != nil {
			t.Errorf("mode %v does not configure: %v", m, err)
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SensorModes(); !errors.Is(err, ErrClosed) {
		t.Errorf("SensorModes after Close = %v, want ErrClosed", err)
	}
}
