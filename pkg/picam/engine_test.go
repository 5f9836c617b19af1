package picam

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// MaxFrameRate paces on a fixed schedule: timer lateness must not add up to
// a lower rate, and frames never come faster than asked.
//
// Checked on the schedule picam computed and the sensor timestamps, not on
// the rate a loaded machine achieved: each request is queued at or after
// its slot; slots follow each other by exactly one period, so that a late
// timer or a late release does not shift the ones after it, except when a
// queueing came more than a period late, which starts the schedule afresh
// from then (no burst to catch up); and every frame's sensor timestamp,
// taken when libcamera got the request, is at or after the time it was due.
// From the first frame on: at Start, one request goes at once and the
// others wait for their slots (issue 14: the rate used to start once the
// buffers had cycled).
func TestMaxFrameRateSchedule(t *testing.T) {
	const rate, bufs = 100, 4
	const period = time.Second / rate
	type queueing struct {
		slot, at time.Time
		monoSlot int64 // slot in CLOCK_MONOTONIC ns, as SensorTimestamp
	}
	var mu sync.Mutex
	var trace []queueing // in queueing order: the i-th has sequence i
	c, _ := startCamera(t, barsID, small, startOpts{NoQueue: true, Buffers: bufs, Options: func(o *Options) { o.MaxFrameRate = rate }, Running: true})
	// Traced from a Start on.
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	c.paceTrace = func(slot, at time.Time) {
		mono := MonotonicNow() - int64(time.Since(slot)) // at most the true value
		mu.Lock()
		trace = append(trace, queueing{slot, at, mono})
		mu.Unlock()
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const frames = 101
	type frame struct {
		seq uint32
		ts  int64
	}
	var got []frame
	for r, err := range c.Frames(ctx, FrameStreamOptions{Policy: Block}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, frame{r.Sequence(), r.SensorTimestamp()})
		if len(got) == frames {
			break
		}
	}
	c.Stop() // nothing is queued (or traced) any more
	mu.Lock()
	defer mu.Unlock()
	if len(trace) < int(got[len(got)-1].seq)+1 {
		t.Fatalf("%d queueings traced, frame %d received", len(trace), got[len(got)-1].seq)
	}
	restarts := 0
	if len(trace) > 0 && trace[0].at.Before(trace[0].slot) {
		t.Fatalf("request 0 queued %v before its slot", trace[0].slot.Sub(trace[0].at))
	}
	for i := 1; i < len(trace); i++ {
		q, prev := trace[i], trace[i-1]
		if q.at.Before(q.slot) {
			t.Fatalf("request %d queued %v before its slot", i, q.slot.Sub(q.at))
		}
		due := prev.slot.Add(period)
		switch {
		case q.slot.Equal(due):
		case q.slot.Equal(q.at) && q.at.Sub(due) > period:
			restarts++ // more than a period late: afresh, no burst
		default:
			t.Fatalf("request %d: slot %v after the previous one, queued %v after its due time; want exactly %v, or afresh if more than %v late",
				i, q.slot.Sub(prev.slot), q.at.Sub(due), period, period)
		}
	}
	// A request goes to libcamera once its due time (the previous slot
	// plus a period) has come; its slot is that due time, or the time
	// after queueing it when it went more than a period late. Its frame's
	// timestamp is at or after the due time either way.
	for _, f := range got {
		if f.seq == 0 {
			continue // due when Start said
		}
		if due := trace[f.seq-1].monoSlot + int64(period); f.ts < due {
			t.Errorf("frame %d: sensor timestamp %v before it was due", f.seq, time.Duration(due-f.ts))
		}
	}
	span := float64(got[len(got)-1].ts-got[0].ts) / 1e9
	t.Logf("%d frames at %.2f frames/s (asked %d); %d of %d queueings more than a period late restarted the schedule",
		frames, float64(frames-1)/span, rate, restarts, len(trace)-1)
}

func TestStall(t *testing.T) {
	// The stall timeout is far above the tests' frame interval (2ms), so
	// that capture calls do not stall while frames flow, even on a loaded
	// machine that leaves the camera's threads unscheduled for a while
	// (200ms did not hold at a load of 8 on 2 cores), and far below
	// OpenWith's 3s default, so that a stall after it would show that the
	// option was ignored.
	const timeout, defaultTimeout = time.Second, 3 * time.Second
	c, _ := startCamera(t, barsID, small, startOpts{NoQueue: true, Options: func(o *Options) { o.StallTimeout = timeout }})
	var held []*CompletedRequest
	for range 4 {
		held = append(held, capture(t, c))
	}
	start := time.Now()
	_, err := c.CaptureRequest(ctxT(t))
	d := time.Since(start)
	var se *StallError
	if !errors.Is(err, ErrStalled) || !errors.As(err, &se) {
		t.Fatalf("CaptureRequest with every buffer held = %v, want ErrStalled", err)
	}
	// Timers never fire early, so the lower bounds are exact. The upper one
	// only tells the timeout from the default: the 2s between them are
	// left to scheduling delays, which the test does not judge.
	if d < timeout || se.Waited < timeout || d >= defaultTimeout {
		t.Errorf("stalled after %v (reported %v), want %v or a little more", d, se.Waited, timeout)
	}
	if se.Camera != barsID || len(se.Held) != 4 || se.Queued != 0 || !strings.Contains(se.Held[0], "engine_test.go:") {
		t.Errorf("stall error %+v", se)
	}
	if st := c.Stats(); st.Stalls != 1 {
		t.Errorf("stats after the stall %+v", st)
	}
	t.Log(err)
	// A context ends the wait first, and leaves nothing behind: cancelled
	// as soon as the engine took the wait, a whole timeout before the
	// stall.
	errc, cancel := waitingCapture(t, c)
	defer cancel()
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("CaptureRequest cancelled while waiting = %v", err)
	}
	// Nobody waits any more: the camera is not stalled however long the
	// buffers stay held.
	time.Sleep(2 * timeout)
	if st := c.Stats(); st.Stalls != 1 {
		t.Errorf("a stall counted with only a cancelled waiter: %+v", st)
	}
	for _, r := range held {
		r.Release()
	}
	for range 5 {
		capture(t, c).Release()
	}
	waitHeld(t, c, 0)
	if st := c.Stats(); st.Stalls != 1 {
		t.Errorf("stats %+v", st)
	}
}

// TestWaitOutlastingStallTimeouts keeps a stream open, its consumer always
// waiting, for several stall timeouts while frames flow: the watchdog's
// timer is not moved per frame, so it runs out again and again and must
// each time find the last frame recent and arm itself anew, not report a
// stall. Counted in frames, not time: 60 frames at 20 frames/s span three
// timeouts of 1 s (plus the 50 ms period) at the least, more on a slow
// machine; 1 s between two frames is the margin TestStall found load needs.
func TestWaitOutlastingStallTimeouts(t *testing.T) {
	const rate, frames = 20, 60
	c, _ := startCamera(t, barsID, small, startOpts{Options: func(o *Options) {
		o.MaxFrameRate, o.StallTimeout = rate, time.Second
	}})
	var last uint32
	n := 0
	for r, err := range c.Frames(ctxT(t), FrameStreamOptions{Policy: Block}) {
		if err != nil {
			t.Fatalf("frame %d: %v", n, err)
		}
		if n > 0 && r.Sequence() <= last {
			t.Errorf("sequence %d after %d", r.Sequence(), last)
		}
		f, err := r.Frame(Main)
		if err != nil {
			t.Fatal(err)
		}
		checkBars(t, f, r.Sequence())
		last = r.Sequence()
		if n++; n == frames {
			break
		}
	}
	if st := c.Stats(); st.Stalls != 0 {
		t.Errorf("%d stalls while frames flowed at %d frames/s", st.Stalls, rate)
	}
}
