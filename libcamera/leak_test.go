package libcamera

import (
	"context"
	"errors"
	"testing"
)

// A warm-up manager start, so that what libcamera keeps for the process's
// life (its logger, udev context) is not counted as a leak.
func warmUp(t *testing.T) {
	m := newManager(t)
	if _, err := m.Cameras(); err != nil {
		t.Fatal(err)
	}
	m.Close()
}

func TestNoLeaksOverCycles(t *testing.T) {
	warmUp(t)
	done := checkLeaks(t)
	for i := range 20 {
		t.Run("", func(t *testing.T) {
			r := newRig(t, []string{barsID, linesID}[i%2], []Size{{64, 48}, {320, 240}}[i%2], AllocatorAuto)
			r.start(t)
			for range 5 {
				r.requeue(t, r.next(t))
			}
			r.stopAndDrain(t)
			for _, req := range r.requests {
				if err := req.Free(); err != nil {
					t.Fatal(err)
				}
			}
			if err := r.alloc.Free(r.stream); err != nil {
				t.Fatal(err)
			}
			if err := r.cam.Release(); err != nil {
				t.Fatal(err)
			}
			r.m.Close()
		})
	}
	done()
}

func TestCloseWithRequestsHeld(t *testing.T) {
	warmUp(t)
	done := checkLeaks(t)
	var held *Request
	var data []byte
	t.Run("", func(t *testing.T) {
		r := newRig(t, barsID, Size{640, 480}, AllocatorMemfd)
		r.start(t)
		held = r.next(t) // completed, not reused: the application holds it
		data = held.Buffer(r.stream).Planes()[0].Data
		before := countResources()
		// Close with the camera running, requests queued and one held.
		if err := r.m.Close(); err != nil {
			t.Fatal(err)
		}
		if err := r.m.Close(); err != nil {
			t.Fatal("second Close:", err)
		}
		// The held request's memory is still mapped and readable.
		sum := 0
		for _, v := range data {
			sum += int(v)
		}
		if sum == 0 {
			t.Error("held frame is all zero")
		}
		if after := countResources(); after.mappings != 1 || after.memfdMaps != 1 {
			t.Errorf("after Close: %d mappings (%d memfd maps), want only the held request's; before %+v", after.mappings, after.memfdMaps, before)
		}
		// Using a closed camera's objects is an error, not a crash.
		for name, err := range map[string]error{
			"Reuse":         held.Reuse(ReuseBuffers),
			"QueueRequest":  r.cam.QueueRequest(held),
			"Start":         r.cam.Start(nil),
			"CreateRequest": func() error { _, err := r.cam.CreateRequest(1); return err }(),
			"WaitRequest":   func() error { _, err := r.cam.WaitRequest(context.Background()); return err }(),
		} {
			if !errors.Is(err, ErrClosed) {
				t.Errorf("%s after Close: %v, want ErrClosed", name, err)
			}
		}
	})
	// Freeing the held request releases the last mapping.
	if err := held.Free(); err != nil {
		t.Fatal(err)
	}
	if err := held.Free(); err != nil {
		t.Fatal("second Free:", err)
	}
	done()
}
