package picam

import (
	"maps"
	"slices"
	"time"

	"github.com/picamgo/picamgo/libcamera"
)

// Metadata is what the camera reported about one frame (Picamera2's
// metadata dict). Typed accessors return false where the camera gave no
// value; [Metadata.Get] and [Metadata.Map] give every value by name.
type Metadata struct {
	list *libcamera.ControlList
}

// Get returns the named value as a Go value (see [libcamera.ControlValue.Value]).
func (m Metadata) Get(name string) (any, bool) {
	if m.list == nil {
		return nil, false
	}
	v, ok := m.list.Get(name)
	if !ok {
		return nil, false
	}
	return v.Value(), true
}

// Map returns every value by name.
func (m Metadata) Map() map[string]any {
	out := map[string]any{}
	if m.list != nil {
		for id, v := range m.list.All() {
			out[id.Name] = v.Value()
		}
	}
	return out
}

// Names returns the names of the values present, sorted.
func (m Metadata) Names() []string { return slices.Sorted(maps.Keys(m.Map())) }

// List returns libcamera's list, or nil.
func (m Metadata) List() *ControlList { return m.list }

func (m Metadata) String() string {
	if m.list == nil {
		return "{}"
	}
	return m.list.String()
}

func (m Metadata) value(name string) (libcamera.ControlValue, bool) {
	if m.list == nil {
		return libcamera.ControlValue{}, false
	}
	return m.list.Get(name)
}

func (m Metadata) int64(name string) (int64, bool) {
	v, ok := m.value(name)
	if !ok {
		return 0, false
	}
	return v.Int64()
}

func (m Metadata) float(name string) (float64, bool) {
	v, ok := m.value(name)
	if !ok {
		return 0, false
	}
	f, ok := v.Float()
	return float64(f), ok
}

func (m Metadata) micros(name string) (time.Duration, bool) {
	n, ok := m.int64(name)
	return time.Duration(n) * time.Microsecond, ok
}

// SensorTimestamp is the start of the frame's readout, in ns of CLOCK_MONOTONIC.
func (m Metadata) SensorTimestamp() (int64, bool) { return m.int64("SensorTimestamp") }

// ExposureTime is the frame's exposure time.
func (m Metadata) ExposureTime() (time.Duration, bool) { return m.micros("ExposureTime") }

// FrameDuration is the time from this frame's start to the next one's.
func (m Metadata) FrameDuration() (time.Duration, bool) { return m.micros("FrameDuration") }

// AnalogueGain is the sensor's gain.
func (m Metadata) AnalogueGain() (float64, bool) { return m.float("AnalogueGain") }

// DigitalGain is the ISP's gain.
func (m Metadata) DigitalGain() (float64, bool) { return m.float("DigitalGain") }

// Lux is the estimated scene illuminance.
func (m Metadata) Lux() (float64, bool) { return m.float("Lux") }

// ColourTemperature is the estimated colour temperature, in kelvin.
func (m Metadata) ColourTemperature() (int, bool) {
	n, ok := m.int64("ColourTemperature")
	return int(n), ok
}

// ColourGains are the red and blue white-balance gains.
func (m Metadata) ColourGains() ([2]float64, bool) {
	v, ok := m.value("ColourGains")
	if !ok {
		return [2]float64{}, false
	}
	g, ok := v.Value().([]float32)
	if !ok || len(g) != 2 {
		return [2]float64{}, false
	}
	return [2]float64{float64(g[0]), float64(g[1])}, true
}

// LensPosition is the lens position, in dioptres.
func (m Metadata) LensPosition() (float64, bool) { return m.float("LensPosition") }

// AfState is the autofocus state (libcamera's AfState: 0 idle, 1 scanning,
// 2 focused, 3 failed).
func (m Metadata) AfState() (int, bool) {
	n, ok := m.int64("AfState")
	return int(n), ok
}

// ScalerCrop is the sensor area the frame was scaled from.
func (m Metadata) ScalerCrop() (Rectangle, bool) {
	v, ok := m.value("ScalerCrop")
	if !ok {
		return Rectangle{}, false
	}
	r, ok := v.Value().(Rectangle)
	return r, ok
}

// SensorTemperature is the sensor's temperature in °C.
func (m Metadata) SensorTemperature() (float64, bool) { return m.float("SensorTemperature") }

// SyncReady reports, in [SyncMode] (Raspberry Pi's libcamera), that this is
// the frame the cameras in step agreed on (rpi::SyncReady).
func (m Metadata) SyncReady() (bool, bool) {
	v, ok := m.value("rpi::SyncReady")
	if !ok {
		return false, false
	}
	return v.Bool()
}

// SyncTimer is, in [SyncMode] (Raspberry Pi's libcamera), the time left until
// the cameras are in step (rpi::SyncTimer, in µs).
func (m Metadata) SyncTimer() (time.Duration, bool) { return m.micros("rpi::SyncTimer") }
