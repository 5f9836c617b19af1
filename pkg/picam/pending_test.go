package picam

import (
	"testing"
	"time"
)

func TestControlsSequence(t *testing.T) {
	// The sequence a control change first rode on: every frame before it
	// has a lower ControlsID, every one from it on has the id.
	c, _ := startCamera(t, barsID, small, startOpts{NoQueue: true})
	for range 3 {
		capture(t, c).Release()
	}
	id, _, err := c.SetControls(Controls{FrameRate: new(30.0)})
	if err != nil {
		t.Fatal(err)
	}
	var firstWith uint32
	found := false
	for range 12 {
		r := capture(t, c)
		switch {
		case r.ControlsID() >= id && !found:
			firstWith, found = r.Sequence(), true
		case r.ControlsID() < id && found:
			t.Errorf("frame %d without the controls after frame %d with them", r.Sequence(), firstWith)
		}
		r.Release()
	}
	if !found {
		t.Fatal("no frame carried the controls")
	}
	t.Logf("controls %d first rode on sequence %d", id, firstWith)

	// Set while stopped: applied at Start, from the first frame.
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	id, _, err = c.SetControls(Controls{FrameDurationLimits: new([2]time.Duration{33333 * time.Microsecond, 33333 * time.Microsecond})})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	r := capture(t, c)
	if r.ControlsID() != id {
		t.Errorf("first frame after Start has controls %d, want %d", r.ControlsID(), id)
	}
	r.Release()
}
