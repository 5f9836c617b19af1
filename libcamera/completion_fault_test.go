package libcamera

import (
	"errors"
	"syscall"
	"testing"
)

// TestCompletionFailureComesBack makes the shim fail to copy completions on
// libcamera's thread, as an allocation failure would (fault injection):
// the requests must still come back, cancelled, with the error in Err()
// and no metadata, be reusable, and the camera must go on with complete
// frames; libcamera's thread survives and no completion is lost.
func TestCompletionFailureComesBack(t *testing.T) {
	r := newRig(t, barsID, Size{64, 48}, AllocatorAuto)
	const failed = 3
	if err := r.cam.failCompletions(failed); err != nil {
		t.Fatal(err)
	}
	r.start(t)
	var bad, good int
	for good < 2*len(r.requests) {
		req := r.next(t)
		if err := req.Err(); err != nil {
			bad++
			if !errors.Is(err, syscall.ENOMEM) || req.Status() != RequestCancelled {
				t.Errorf("failed completion: Err %v, status %v; want ENOMEM and cancelled", err, req.Status())
			}
			if md, err := req.Metadata(); err != nil || md.Len() != 0 {
				t.Errorf("failed completion: metadata %v, %v; want none", md, err)
			}
		} else {
			if bad != failed {
				t.Fatalf("a good completion after %d failed ones, want %d failed first", bad, failed)
			}
			good++
			if req.Status() != RequestComplete || req.SensorTimestamp() == 0 {
				t.Errorf("completion after the failures: status %v, timestamp %d", req.Status(), req.SensorTimestamp())
			}
		}
		r.requeue(t, req)
	}
	back := r.stopAndDrain(t)
	if len(back) != len(r.requests) {
		t.Errorf("%d requests came back at stop, want %d", len(back), len(r.requests))
	}
	if n := r.cam.LostCompletions(); n != 0 {
		t.Errorf("%d completions lost", n)
	}
}
