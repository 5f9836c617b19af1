package libcamera

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestWaitRequestExpiringContextRace waits with contexts that expire while
// the doorbell registers them (its context.AfterFunc), under -race, while
// frames flow (the audit of issue 10 item 2).
func TestWaitRequestExpiringContextRace(t *testing.T) {
	r := newRig(t, barsID, Size{64, 48}, AllocatorAuto)
	r.start(t)
	var got int
	for i := range 500 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(i%20)*time.Microsecond)
		req, err := r.cam.WaitRequest(ctx)
		cancel()
		switch {
		case err == nil:
			got++
			r.requeue(t, req)
		case !errors.Is(err, context.DeadlineExceeded):
			t.Fatalf("WaitRequest: %v", err)
		}
	}
	t.Logf("%d of 500 waits got a request before their context expired", got)
	back := r.stopAndDrain(t)
	if len(back) != len(r.requests) {
		t.Errorf("%d requests came back at stop, want every one (%d)", len(back), len(r.requests))
	}
	if n := r.cam.LostCompletions(); n != 0 {
		t.Errorf("%d completions lost", n)
	}
}
