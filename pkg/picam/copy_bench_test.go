package picam

import (
	"context"
	"runtime"
	"syscall"
	"testing"
)

// BenchmarkFrameCopy copies one held 1920x1080 NV12 frame (3 MB) out of the
// camera's mapping in the ways a program can, beside copy() between two
// reused Go buffers (memcpy speed) in the same run. faults/op counts the
// page faults each copy takes (minor faults, from getrusage): a fresh
// allocation of that size is new memory to the kernel, which faults in and
// zeroes every page of it; a reused buffer takes none.
func BenchmarkFrameCopy(b *testing.B) {
	c, _ := startCamera(b, barsID, full, startOpts{Options: unpaced})
	r, err := c.CaptureRequest(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	defer r.Release()
	// Stopped, so that the camera's own thread (which maps and unmaps each
	// buffer it draws) adds no page faults; the frame stays held and mapped.
	if err := c.Stop(); err != nil {
		b.Fatal(err)
	}
	f, err := r.Frame(Main)
	if err != nil {
		b.Fatal(err)
	}
	n := f.Len()
	src := f.AppendBytes(nil)
	dst := make([]byte, n)
	var buf []byte
	var into Frame
	for _, bc := range []struct {
		name string
		fn   func()
	}{
		{"memcpy", func() { copy(dst, src) }},
		{"Clone", func() { sinkFrame = f.Clone() }},
		{"AppendBytes-reused", func() { buf = f.AppendBytes(buf[:0]) }},
		{"CloneInto", func() { f.CloneInto(&into) }},
		{"make-and-copy-go", func() { sinkBytes = append(make([]byte, 0, n), src...) }},
		{"make-only", func() { sinkBytes = make([]byte, n) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			bc.fn()
			b.SetBytes(int64(n))
			b.ReportAllocs()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			f0, gc0 := minorFaults(), ms.NumGC
			for b.Loop() {
				bc.fn()
			}
			runtime.ReadMemStats(&ms)
			b.ReportMetric(float64(minorFaults()-f0)/float64(b.N), "faults/op")
			b.ReportMetric(float64(ms.NumGC-gc0)/float64(b.N), "gcs/op")
		})
	}
}

var (
	sinkFrame Frame
	sinkBytes []byte
	full      = Size{Width: 1920, Height: 1080}
)

// minorFaults is the process's minor page faults so far.
func minorFaults() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return int64(ru.Minflt) // int32 on 32-bit ARM
}

// BenchmarkCaptureFrame1080p measures CaptureFrame (a new copy per frame)
// beside CaptureFrameInto (one copy reused) at 1920x1080, the camera
// running unpaced.
func BenchmarkCaptureFrame1080p(b *testing.B) {
	c, _ := startCamera(b, barsID, full, startOpts{Options: unpaced})
	ctx := context.Background()
	var into Frame
	for _, bc := range []struct {
		name string
		fn   func() error
	}{
		{"CaptureFrame", func() error { f, _, err := c.CaptureFrame(ctx, Main); sinkFrame = f; return err }},
		{"CaptureFrameInto", func() error { _, err := c.CaptureFrameInto(ctx, &into, Main); return err }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(full.Width * full.Height * 3 / 2))
			b.ReportAllocs()
			for b.Loop() {
				if err := bc.fn(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
