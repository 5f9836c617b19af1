package picam

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/picamgo/picamgo/internal/wakes"
)

// BenchmarkCaptureRequest measures a capture loop through the engine:
// CaptureRequest, read a byte of the frame, Release. The virtual camera
// completes requests as fast as they are queued (no pacing here).
func BenchmarkCaptureRequest(b *testing.B) {
	c, _ := startCamera(b, barsID, small, startOpts{Options: unpaced})
	ctx := context.Background()
	var sink byte
	b.ReportAllocs()
	start, cpu0, wk, st0 := time.Now(), processCPU(), wakes.Start(), c.Stats()
	for b.Loop() {
		r, err := c.CaptureRequest(ctx)
		if err != nil {
			b.Fatal(err)
		}
		f, _ := r.Frame(Main)
		sink += f.Planes[0][0]
		r.Release()
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "frames/s")
	b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/frame")
	wk.Report(b, b.N, "frame")
	// Frames the camera completed per frame captured: the ones beyond one
	// were superseded (Configuration.Queue keeps the newest) and cost the
	// camera's thread as much as the others.
	b.ReportMetric(float64(c.Stats().Frames-st0.Frames)/float64(b.N), "completions/frame")
	_ = sink
}

func benchCamera(b *testing.B, bufs int) *Camera {
	c, _ := startCamera(b, barsID, small, startOpts{Buffers: bufs, Options: unpaced})
	return c
}

// unpaced lets the virtual camera go as fast as requests come back.
func unpaced(o *Options) { o.MaxFrameRate = 0 }

// BenchmarkFrames measures a stream loop: one frame through Frames (Block),
// a byte read, the automatic release.
func BenchmarkFrames(b *testing.B) {
	c := benchCamera(b, 4)
	var sink byte
	n := 0
	b.ReportAllocs()
	b.ResetTimer()
	for r, err := range c.Frames(context.Background(), FrameStreamOptions{Policy: Block, Buffer: 2}) {
		if err != nil {
			b.Fatal(err)
		}
		f, _ := r.Frame(Main)
		sink += f.Planes[0][0]
		if n++; n >= b.N {
			break
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(c.Stats().StreamDropped)/float64(b.N), "dropped/op")
	_ = sink
}

// BenchmarkProcess measures ordered parallel processing: one frame through
// Process with a trivial function, in frame order.
func BenchmarkProcess(b *testing.B) {
	c := benchCamera(b, 4)
	n := 0
	b.ReportAllocs()
	b.ResetTimer()
	for _, err := range Process(context.Background(), c, ProcessOptions{Workers: 2}, func(ctx context.Context, r *CompletedRequest) (byte, error) {
		f, err := r.Frame(Main)
		if err != nil {
			return 0, err
		}
		return f.Planes[0][0], nil
	}) {
		if err != nil {
			b.Fatal(err)
		}
		if n++; n >= b.N {
			break
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(c.Stats().StreamDropped)/float64(b.N), "dropped/op")
}

// BenchmarkCaptureRequestAsync measures a job per frame: CaptureRequestAsync,
// Wait, a byte read, Release. A job is a goroutine with a context of its
// own; its allocations are the job's, the capture inside it has none.
func BenchmarkCaptureRequestAsync(b *testing.B) {
	c := benchCamera(b, 4)
	ctx := context.Background()
	var sink byte
	b.ReportAllocs()
	for b.Loop() {
		r, err := c.CaptureRequestAsync(ctx).Wait(ctx)
		if err != nil {
			b.Fatal(err)
		}
		f, _ := r.Frame(Main)
		sink += f.Planes[0][0]
		r.Release()
	}
	_ = sink
}

// processCPU is the process's user and system CPU time, all threads
// (libcamera's too), as the low-level benchmark and the C++ loop measure.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
