package main

import (
	"context"
	"math"
	"slices"
	"time"
)

// heartbeat is a goroutine that wakes every period, as a 1 kHz control loop
// would, and measures how late it wakes: the responsiveness of the rest of
// the program while frames are captured and processed.
type heartbeat struct {
	period time.Duration
	timer  string // "go": time.Sleep; "timerfd": a Linux timer file
	reqs   chan beatRequest
}

// beatRequest asks the heartbeat for len(samples) beats, and is sent back
// with samples cut to those it measured.
type beatRequest struct {
	samples []time.Duration
	err     error
}

func newHeartbeat(period time.Duration, timer string) *heartbeat {
	return &heartbeat{period: period, timer: timer, reqs: make(chan beatRequest)}
}

// run is the heartbeat goroutine: it idles between measurements and ends
// with ctx.
func (h *heartbeat) run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case r := <-h.reqs:
			var n int
			if h.timer == "timerfd" {
				n, r.err = h.beatTimerfd(ctx, r.samples)
			} else {
				n = h.beat(ctx, r.samples)
			}
			r.samples = r.samples[:n]
			h.reqs <- r // hand the result back
		}
	}
}

// measure runs len(samples) beats on the heartbeat goroutine and returns the
// lateness of each (fewer if ctx ends first).
func (h *heartbeat) measure(ctx context.Context, samples []time.Duration) ([]time.Duration, error) {
	select {
	case h.reqs <- beatRequest{samples: samples}:
	case <-ctx.Done():
		return samples[:0], ctx.Err()
	}
	r := <-h.reqs // run always answers once it took a request
	return r.samples, r.err
}

// beat sleeps until each scheduled time start+k*period and records how late
// it woke. A wake-up that misses several beats records each of them, with
// its own lateness: the schedule never slips, so a stall shows in full. It
// allocates nothing.
func (h *heartbeat) beat(ctx context.Context, samples []time.Duration) int {
	start := time.Now()
	i := 0
	for i < len(samples) {
		due := start.Add(time.Duration(i+1) * h.period)
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		now := time.Now()
		for i < len(samples) {
			due := start.Add(time.Duration(i+1) * h.period)
			if due.After(now) {
				break
			}
			samples[i] = now.Sub(due)
			i++
		}
		if ctx.Err() != nil {
			break
		}
	}
	return i
}

// latency summarises samples: median, 99th percentile and maximum.
type latency struct {
	N             int
	P50, P99, Max time.Duration
}

// summarize sorts samples (in place) and returns their percentiles.
func summarize(samples []time.Duration) latency {
	slices.Sort(samples)
	if len(samples) == 0 {
		return latency{}
	}
	return latency{N: len(samples), P50: percentile(samples, 50), P99: percentile(samples, 99), Max: samples[len(samples)-1]}
}

// percentile returns the nearest-rank p-th percentile (0 < p <= 100) of
// sorted: the smallest value at least p% of the samples do not exceed.
func percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := int(math.Ceil(p * float64(n) / 100)) // exact for whole p: p*n is an integer
	rank = min(max(rank, 1), n)
	return sorted[rank-1]
}

// ms formats a duration in milliseconds with 3 decimals.
func ms(d time.Duration) string {
	return formatFloat(float64(d)/1e6, 3)
}
