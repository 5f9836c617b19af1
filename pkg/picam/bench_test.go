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
