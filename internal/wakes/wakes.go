// Package wakes counts wake-ups for benchmarks: goroutines made to run by
// Go's scheduler and the process's threads put to sleep and woken by the
// kernel (context switches), per operation. A hand-off between goroutines
// shows as a goroutine wake; one that also wakes a parked thread shows as
// context switches too, the dearer kind.
package wakes

import (
	"runtime/metrics"
	"syscall"
	"testing"
)

// Meter holds the counts at its start.
type Meter struct {
	goWakes uint64
	ctxsw   int64
}

// Start returns a meter counting from now.
func Start() Meter {
	return Meter{goWakes: goroutineWakes(), ctxsw: contextSwitches()}
}

// Report adds go-wakes/op and ctxsw/op to b's results, per n operations
// since the meter started.
func (m Meter) Report(b *testing.B, n int, unit string) {
	if n <= 0 {
		return
	}
	b.ReportMetric(float64(goroutineWakes()-m.goWakes)/float64(n), "go-wakes/"+unit)
	b.ReportMetric(float64(contextSwitches()-m.ctxsw)/float64(n), "ctxsw/"+unit)
}

// trackingPeriod is how often the runtime records a goroutine's
// scheduling latency: every 8th time it stops running, per goroutine
// (runtime.gTrackingPeriod in Go 1.26).
const trackingPeriod = 8

// goroutineWakes estimates how many times a goroutine went from runnable
// to running: the count of the scheduler's latency histogram, which
// samples one in trackingPeriod.
func goroutineWakes() uint64 {
	s := []metrics.Sample{{Name: "/sched/latencies:seconds"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindFloat64Histogram {
		return 0
	}
	var n uint64
	for _, c := range s[0].Value.Float64Histogram().Counts {
		n += c
	}
	return n * trackingPeriod
}

// contextSwitches is the process's voluntary and involuntary context
// switches, all threads (libcamera's too).
func contextSwitches() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return int64(ru.Nvcsw) + int64(ru.Nivcsw)
}
