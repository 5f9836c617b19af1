package picam

// CLOCK_MONOTONIC, the clock libcamera stamps frames with, and its
// conversion to wall-clock time.

import (
	"sync/atomic"
	"time"

	"github.com/picamgo/picamgo/internal/linux"
)

// MonotonicNow returns CLOCK_MONOTONIC in nanoseconds, the clock of
// SensorTimestamp.
func MonotonicNow() int64 { return linux.MonotonicNow() }

// MonotonicTime converts a CLOCK_MONOTONIC timestamp in nanoseconds (such as
// a SensorTimestamp) to wall-clock time. Zero gives the zero Time.
//
// The same timestamp converts to the same time on every call while the wall
// clock keeps pace with CLOCK_MONOTONIC; a step or slew of the wall clock
// (NTP setting a Raspberry Pi's clock after boot) is followed once it moves
// the conversion by more than a millisecond.
func MonotonicTime(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	b := clockBase()
	return b.wall.Add(time.Duration(ns - b.mono))
}

// A wallReading is time.Now with CLOCK_MONOTONIC read around it.
type wallReading struct {
	wall time.Time
	mono int64
}

func (r *wallReading) offset() time.Duration {
	return time.Duration(r.wall.UnixNano() - r.mono)
}

// base is the reading conversions use. Converting against a fresh pair of
// clock reads on every call gave the same timestamp a different time each
// time (the reads are a few hundred nanoseconds apart, more under load):
// a JPEG's EXIF time and the frame's Time() disagreed in the millisecond.
var base atomic.Pointer[wallReading]

const (
	// tightRead bounds the gap between the two CLOCK_MONOTONIC reads
	// around time.Now for a reading trusted to replace base.
	tightRead = 50 * time.Microsecond
	// maxDrift is how far the wall clock may move against base before
	// conversions follow it.
	maxDrift = time.Millisecond
)

func clockBase() *wallReading {
	cur := base.Load()
	fresh, gap := readWallClock()
	if cur != nil {
		d := fresh.offset() - cur.offset()
		if gap > tightRead || (d < maxDrift && d > -maxDrift) {
			return cur
		}
	}
	base.Store(fresh)
	return fresh
}

// readWallClock returns the tightest of a few readings and its gap.
func readWallClock() (*wallReading, time.Duration) {
	var best wallReading
	bestGap := time.Duration(1<<63 - 1)
	for range 4 {
		m1 := linux.MonotonicNow()
		w := time.Now()
		m2 := linux.MonotonicNow()
		if gap := time.Duration(m2 - m1); gap < bestGap {
			best, bestGap = wallReading{wall: w, mono: m1 + (m2-m1)/2}, gap
		}
		if bestGap <= tightRead {
			break
		}
	}
	return &best, bestGap
}
