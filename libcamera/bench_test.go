package libcamera

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/picamgo/picamgo/internal/wakes"
)

var sink byte

// BenchmarkCaptureLoop measures the binding's capture loop: wait for a
// completed request ([Camera.WaitRequest]), read its frame, requeue it
// ([Camera.RequeueRequest]: reuse and queue in one call), with four
// buffers in flight. libcamera's virtual camera
// completes requests as fast as they are queued, so frames per second
// measure the loop plus the camera's own thread, which even at 64x48 spends
// 20-30 µs a frame (mostly unmapping the buffer it drew; see
// docs/performance.md). make bench runs it beside a plain C++ libcamera
// loop doing the same.
func BenchmarkCaptureLoop(b *testing.B) {
	benchmarkLoop(b, func(r *rig) *Request {
		req, err := r.cam.WaitRequest(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		return req
	})
}

// BenchmarkChannelCaptureLoop is the same loop receiving from
// [Camera.RequestCompleted], for comparison.
func BenchmarkChannelCaptureLoop(b *testing.B) {
	benchmarkLoop(b, func(r *rig) *Request { return <-r.cam.RequestCompleted() })
}

func benchmarkLoop(b *testing.B, next func(*rig) *Request) {
	for _, size := range []Size{{64, 48}, {640, 480}, {1920, 1080}} {
		b.Run(size.String(), func(b *testing.B) {
			r := newRig(b, barsID, size, AllocatorMemfd)
			r.start(b)
			loop := func() {
				req := next(r)
				if req.Status() != RequestComplete {
					b.Fatalf("status %v", req.Status())
				}
				sink += req.Buffer(r.stream).Planes()[0].Data[0] + byte(req.Sequence())
				if err := r.cam.RequeueRequest(req); err != nil {
					b.Fatal(err)
				}
			}
			for range 100 {
				loop()
			}
			cpu0, wk := cpuTime(), wakes.Start()
			start := time.Now()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				loop()
			}
			b.StopTimer()
			elapsed, cpu := time.Since(start), cpuTime()-cpu0
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "frames/s")
			b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/frame")
			wk.Report(b, b.N, "frame")
			r.stopAndDrain(b)
		})
	}
}

// cpuTime is the process's user and system CPU time, all threads included
// (libcamera's too), as the C++ loop measures with CLOCK_PROCESS_CPUTIME_ID.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(fmt.Sprint("getrusage: ", err))
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
