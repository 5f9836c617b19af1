package picam

import (
	"testing"
)

func TestMetadata(t *testing.T) {
	c, _ := startCamera(t, barsID, Size{Width: 64, Height: 48}, startOpts{})
	md, err := c.CaptureMetadata(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	ts, ok := md.SensorTimestamp()
	if !ok || ts <= 0 || ts > MonotonicNow() {
		t.Errorf("SensorTimestamp %d %v", ts, ok)
	}
	if v, ok := md.Get("SensorTimestamp"); !ok || v.(int64) != ts {
		t.Errorf("Get(SensorTimestamp) = %v", v)
	}
	if m := md.Map(); m["SensorTimestamp"] != ts {
		t.Errorf("Map() = %v", m)
	}
	// The virtual camera reports nothing else.
	if _, ok := md.ExposureTime(); ok {
		t.Error("ExposureTime from the virtual camera")
	}
	if _, ok := md.ColourGains(); ok {
		t.Error("ColourGains from the virtual camera")
	}
	if _, ok := (Metadata{}).AnalogueGain(); ok {
		t.Error("zero Metadata has a gain")
	}
	if (Metadata{}).String() != "{}" || len((Metadata{}).Map()) != 0 {
		t.Error("zero Metadata")
	}
}
