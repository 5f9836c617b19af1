package picam

import (
	"errors"
	"os"
	"testing"

	"github.com/picamgo/picamgo/libcamera"
)

// The typed fields for Raspberry Pi's own controls name controls of the type
// and shape picam sends, with the enumerators picam defines, wherever the
// installed libcamera declares them (Raspberry Pi's fork); elsewhere setting
// one is an error naming the control.
func TestRaspberryPiTypedControls(t *testing.T) {
	fields := Controls{ScalerCrops: []Rectangle{{X: 1, Y: 2, Width: 3, Height: 4}, {Width: 5, Height: 6}},
		SyncMode: new(SyncModeServer)}
	if _, declared := libcamera.LookupControl("rpi::SyncMode"); !declared {
		cam, _ := openCamera(t, "")
		_, _, err := cam.SetControls(fields)
		var ce *ControlError
		if !errors.As(err, &ce) || ce.Name != "ScalerCrops" || ce.Reason != "no control has this name" {
			t.Fatalf("SetControls(rpi controls) on libcamera %s = %v, want a ControlError for ScalerCrops", libcamera.Version(), err)
		}
		if os.Getenv("PICAMGO_EXPECT_RPI_CONTROLS") == "1" {
			t.Fatalf("PICAMGO_EXPECT_RPI_CONTROLS=1, but libcamera %s declares no rpi::SyncMode", libcamera.BuildVersion())
		}
		t.Skipf("libcamera %s declares no rpi:: controls (not Raspberry Pi's fork)", libcamera.BuildVersion())
	}
	for _, p := range fields.pairs() {
		id, ok := libcamera.LookupControl(p.name)
		if !ok || id.Vendor != "rpi" {
			t.Fatalf("%s: %v %v, want an rpi:: control", p.name, id, ok)
		}
		v, err := libcamera.NewControlValue(p.value)
		if err != nil || v.Type() != id.Type || v.IsArray() != id.IsArray {
			t.Errorf("%s: we send %v (%v), libcamera wants %v array %v", p.name, v, err, id.Type, id.IsArray)
		}
	}
	sync, _ := libcamera.LookupControl("rpi::SyncMode")
	for v, n := range map[SyncMode]string{SyncModeOff: "SyncModeOff", SyncModeServer: "SyncModeServer", SyncModeClient: "SyncModeClient"} {
		if got := sync.Enumerators[int32(v)]; got != n {
			t.Errorf("SyncMode %d = %q in libcamera, want %q (all %v)", v, got, n, sync.Enumerators)
		}
	}
	// What the typed metadata accessors read.
	for name, want := range map[string]libcamera.ControlType{"SyncReady": libcamera.ControlTypeBool, "SyncTimer": libcamera.ControlTypeInt64} {
		if id, ok := libcamera.LookupControl("rpi::" + name); !ok || id.Type != want || id.IsArray {
			t.Errorf("rpi::%s = %v, want a single %v", name, id, want)
		}
	}
	// The virtual camera has none of them: a clear error, not a libcamera abort.
	cam, _ := openCamera(t, "")
	var ce *ControlError
	if _, _, err := cam.SetControls(fields); !errors.As(err, &ce) || ce.Name != "ScalerCrops" {
		t.Fatalf("SetControls(rpi controls) on the virtual camera = %v, want a ControlError for ScalerCrops", err)
	}
}
