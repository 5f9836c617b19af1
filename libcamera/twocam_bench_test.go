package libcamera

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
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
	for _, tc := range []struct {
		id   string
		size Size
	}{{barsID, Size{640, 480}}, {linesID, Size{1280, 720}}} {
		cams = append(cams, cam{newRig(b, tc.id, tc.size, AllocatorMemfd), "fps-" + tc.size.String()})
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
		twoCamSink.Add(uint32(req.Buffer(r.stream).Planes()[0].Data[0]))
		if err := r.cam.RequeueRequest(req); err != nil {
			b.Error(err)
			return false
		}
		return true
	}
	run := func(b *testing.B, started []cam, d time.Duration) {
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
		}
		counts := make([]atomic.Int64, len(started))
		var wg sync.WaitGroup
		stop := make(chan struct{})
		t0 := time.Now()
		for i, k := range started {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					if !frame(k.r) {
						return
					}
					counts[i].Add(1)
				}
			})
		}
		time.Sleep(d)
		close(stop)
		wg.Wait()
		elapsed := time.Since(t0)
		for i, k := range started {
			b.ReportMetric(float64(counts[i].Load())/elapsed.Seconds(), k.name)
			k.r.stopAndDrain(b)
		}
	}
	window := func(b *testing.B) time.Duration { return time.Duration(b.N) * 100 * time.Millisecond }
	for _, k := range cams {
		b.Run("alone-"+k.name[len("fps-"):], func(b *testing.B) { run(b, []cam{k}, window(b)) })
	}
	b.Run("together", func(b *testing.B) { run(b, cams, window(b)) })
}

var twoCamSink atomic.Uint32
