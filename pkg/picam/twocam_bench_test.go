package picam

import (
	"context"
	"testing"
	"time"

	"github.com/picamgo/picamgo/internal/twocam"
)

// BenchmarkTwoCameras measures how two cameras of one process scale: the
// virtual bars camera at 640x480 and lines at 1280x720, unpaced, each
// looping on CaptureRequest, a byte read and Release on a goroutine of its
// own. "alone" runs one camera, the other stopped; "together" runs both
// over the same window. Each reports its frames per second (fps-640x480,
// fps-1280x720); make bench sums fps together / fps alone over the two
// cameras (2 would be perfect scaling) beside the C++ loop's
// (libcamera/testdata/cxxloop, one thread per camera).
func BenchmarkTwoCameras(b *testing.B) {
	type cam struct {
		c    *Camera
		name string
	}
	var cams []cam
	for _, tc := range twocam.Cameras {
		size := Size{Width: tc.Width, Height: tc.Height}
		opts, _ := testOptions(tc.ID)
		opts.MaxFrameRate = 0
		c, err := OpenWith(opts)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Configure(nv12Config(c, size)); err != nil {
			b.Fatal(err)
		}
		cams = append(cams, cam{c, "fps-" + size.String()})
	}
	ctx := context.Background()
	frame := func(c *Camera) bool {
		r, err := c.CaptureRequest(ctx)
		if err != nil {
			b.Error(err)
			return false
		}
		f, _ := r.Frame(Main)
		twocam.Sink.Add(uint32(f.Planes[0][0]))
		r.Release()
		return true
	}
	// run loops every started camera for d and reports each one's rate.
	run := func(b *testing.B, started []cam, d time.Duration) {
		for _, k := range started {
			if err := k.c.Start(); err != nil {
				b.Fatal(err)
			}
			for range 50 { // warm up
				frame(k.c)
			}
		}
		// Frames each camera completed: those beyond one per frame captured
		// were superseded (Configuration.Queue keeps the newest), and were
		// drawn by the virtual camera on the same cores all the same.
		completed := make([]uint64, len(started))
		var frames []func() bool
		for i, k := range started {
			completed[i] = k.c.Stats().Frames
			frames = append(frames, func() bool { return frame(k.c) })
		}
		counts, elapsed := twocam.Loop(frames, d)
		for i, k := range started {
			b.ReportMetric(float64(counts[i])/elapsed.Seconds(), k.name)
			if n := counts[i]; n > 0 {
				b.ReportMetric(float64(k.c.Stats().Frames-completed[i])/float64(n), "completions/frame-"+k.name[len("fps-"):])
			}
			if err := k.c.Stop(); err != nil {
				b.Fatal(err)
			}
		}
	}
	for _, k := range cams {
		b.Run("alone-"+k.name[len("fps-"):], func(b *testing.B) { run(b, []cam{k}, twocam.Window(b)) })
	}
	b.Run("together", func(b *testing.B) { run(b, cams, twocam.Window(b)) })
}
