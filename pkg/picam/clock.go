package picam

// CLOCK_MONOTONIC, the clock libcamera stamps frames with, and its
// conversion to wall-clock time.

import (
	"time"

	"github.com/picamgo/picamgo/internal/linux"
)

// MonotonicNow returns CLOCK_MONOTONIC in nanoseconds, the clock of
// SensorTimestamp.
func MonotonicNow() int64 { return linux.MonotonicNow() }

// MonotonicTime converts a CLOCK_MONOTONIC timestamp in nanoseconds (such as
// a SensorTimestamp) to wall-clock time. Zero gives the zero Time.
func MonotonicTime(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Now().Add(-time.Duration(MonotonicNow() - ns))
}
