package picam

import (
	"testing"
	"time"
)

// TestMonotonicTimeStable converts one timestamp many times: every call must
// give the same time (a refresh for a wall clock moved by NTP allowed once).
// Converting against fresh clock reads on each call gave hundreds of
// different times here, and a JPEG's EXIF time a millisecond off the
// frame's Time() in CI.
func TestMonotonicTimeStable(t *testing.T) {
	ts := MonotonicNow() - int64(40*time.Millisecond)
	seen := map[int64]int{}
	for range 20000 {
		seen[MonotonicTime(ts).UnixNano()]++
	}
	if len(seen) > 2 {
		t.Errorf("one timestamp converted to %d different times", len(seen))
	}
}

// TestMonotonicTimeFollowsClocks checks the conversion against the two
// clocks read now, and against Go's own monotonic reading.
func TestMonotonicTimeFollowsClocks(t *testing.T) {
	if !MonotonicTime(0).IsZero() {
		t.Error("zero timestamp gave a time")
	}
	before := time.Now()
	got := MonotonicTime(MonotonicNow())
	after := time.Now()
	// Wall parts only (Round(0) drops the monotonic reading), with a
	// millisecond for the refresh threshold.
	if got.Round(0).Before(before.Round(0).Add(-time.Millisecond)) || got.Round(0).After(after.Round(0).Add(time.Millisecond)) {
		t.Errorf("now converted to %v, outside [%v, %v]", got, before, after)
	}
	// The monotonic parts, which time.Sub prefers.
	if got.Before(before.Add(-time.Millisecond)) || got.After(after.Add(time.Millisecond)) {
		t.Errorf("now converted to %v (monotonic), outside [%v, %v]", got, before, after)
	}
	past := MonotonicTime(MonotonicNow() - int64(time.Hour))
	if d := got.Sub(past); d < time.Hour-2*time.Millisecond || d > time.Hour+time.Second {
		t.Errorf("an hour ago converted to %v before now", d)
	}
}

// TestMonotonicTimeFollowsWallClockSteps moves the stored reading as a clock
// step would look and checks the next conversion follows the wall clock.
func TestMonotonicTimeFollowsWallClockSteps(t *testing.T) {
	ts := MonotonicNow()
	want := MonotonicTime(ts)
	saved := base.Load()
	defer base.Store(saved)
	stale := *saved
	stale.wall = stale.wall.Add(-time.Hour) // the clock was an hour slow
	base.Store(&stale)
	var got time.Time
	for range 100 { // a reading under load may be too loose to trust
		if got = MonotonicTime(ts); base.Load() != &stale {
			break
		}
	}
	if d := got.Round(0).Sub(want.Round(0)); d < -time.Millisecond || d > time.Millisecond {
		t.Errorf("after a step the conversion is %v off the wall clock", d)
	}
}
