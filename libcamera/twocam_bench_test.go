package libcamera

import (
	"context"
	"testing"
	"time"

	"github.com/picamgo/picamgo/internal/twocam"
)

// BenchmarkTwoCameras is pkg/picam's BenchmarkTwoCameras on the low-level
// loop: the virtual bars camera at 640x480 and lines at 1280x720, unpaced,
// each looping on WaitRequest, a byte read and RequeueRequest on a
// goroutine of its own; "alone" runs one camera, "together" both over the
// same window. make bench sets its scaling (the sum over the two cameras of
// fps together / fps alone) beside picam's and the C++ loop's: what Go's
// completion path costs two cameras, apart from picam's own work.
func BenchmarkTwoCameras(b *testing.B) {
	type cam struct {
		r    *rig
		name string
	}
	var cams []cam
	for _, tc := range twocam.Cameras {
		size := Size{tc.Width, tc.Height}
		cams = append(cams, cam{newRig(b, tc.ID, size, AllocatorMemfd), "fps-" + size.String()})
	}
	ctx := context.Background()
	frame := func(r *rig) bool {
		req, err := r.cam.WaitRequest(ctx)
		if err != nil {
			b.Error(err)
			return false
		}
		if req.Status() != RequestComplete {
			b.Errorf("status %v", req.Status())
			return false
		}
		twocam.Sink.Add(uint32(req.Buffer(r.stream).Planes()[0].Data[0]))
		if err := r.cam.RequeueRequest(req); err != nil {
			b.Error(err)
			return false
		}
		return true
	}
	run := func(b *testing.B, started []cam, d time.Duration) {
		var frames []func() bool
		for _, k := range started {
			for _, req := range k.r.requests { // back from an earlier run
				if err := req.Reuse(ReuseBuffers); err != nil {
					b.Fatal(err)
				}
			}
			k.r.start(b)
			for range 50 { // warm up
				frame(k.r)
			}
			frames = append(frames, func() bool { return frame(k.r) })
		}
		counts, elapsed := twocam.Loop(frames, d)
		for i, k := range started {
			b.ReportMetric(float64(counts[i])/elapsed.Seconds(), k.name)
			k.r.stopAndDrain(b)
		}
	}
	for _, k := range cams {
		b.Run("alone-"+k.name[len("fps-"):], func(b *testing.B) { run(b, []cam{k}, twocam.Window(b)) })
	}
	b.Run("together", func(b *testing.B) { run(b, cams, twocam.Window(b)) })
}
