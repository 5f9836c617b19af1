package picam

import (
	"testing"

	"github.com/picamgo/picamgo/libcamera"
)

func TestGlobalCameraInfo(t *testing.T) {
	infos, err := GlobalCameraInfo()
	if err != nil {
		t.Fatal(err)
	}
	want := []CameraInfo{
		{Model: "picamgo virtual bars", Location: libcamera.LocationFront, ID: barsID, Index: 0},
		{Model: "picamgo virtual lines", Location: libcamera.LocationBack, ID: linesID, Index: 1},
	}
	if len(infos) != len(want) {
		t.Fatalf("GlobalCameraInfo() = %+v", infos)
	}
	for i := range want {
		if infos[i] != want[i] {
			t.Errorf("camera %d = %+v, want %+v", i, infos[i], want[i])
		}
	}
	// Open by index gives the same camera as by id.
	c, err := Open(1)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.ID() != linesID || c.Info() != want[1] {
		t.Errorf("Open(1) = %s %+v", c.ID(), c.Info())
	}
}
