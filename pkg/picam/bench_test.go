package picam

import (
	"context"
	"testing"
)

// BenchmarkCaptureRequest measures a capture loop through the engine:
// CaptureRequest, read a byte of the frame, Release. The virtual camera
// completes requests as fast as they are queued (no pacing here).
func BenchmarkCaptureRequest(b *testing.B) {
	opts, _ := testOptions(barsID)
	opts.MaxFrameRate = 0
	c, err := OpenWith(opts)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Configure(nv12Config(c, Size{Width: 64, Height: 48})); err != nil {
		b.Fatal(err)
	}
	if err := c.Start(); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var sink byte
	b.ReportAllocs()
	for b.Loop() {
		r, err := c.CaptureRequest(ctx)
		if err != nil {
			b.Fatal(err)
		}
		f, _ := r.Frame(Main)
		sink += f.Planes[0][0]
		r.Release()
	}
	_ = sink
}

func benchCamera(b *testing.B, bufs int) *Camera {
	c, _ := startCamera(b, barsID, small, startOpts{Buffers: bufs, Options: func(o *Options) { o.MaxFrameRate = 0 }})
	return c
}

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
