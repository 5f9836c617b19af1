// Package twocam runs the loops of the two-camera benchmarks (pkg/picam's
// and the low-level package's BenchmarkTwoCameras): each started camera
// captures on a goroutine of its own, over the same window, and the
// benchmark reports each one's rate. make bench (.ci/bench-picam.sh) sets
// the scalings of picam, the low-level Go loop and the C++ loop side by side.
package twocam

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Cameras are the two virtual cameras (testdata/virtual.yaml) and the
// sizes both benchmarks run them at.
var Cameras = [2]struct {
	ID            string
	Width, Height uint32
}{{"picamgo-bars", 640, 480}, {"picamgo-lines", 1280, 720}}

// Window is a run's length: b.N tenths of a second, so that -benchtime=20x
// runs each case for 2 s.
func Window(b *testing.B) time.Duration { return time.Duration(b.N) * 100 * time.Millisecond }

// Loop calls each of frames on a goroutine of its own, over and over, for
// d, and returns how many calls each made before d was up (a call that
// returns false ends its loop), and how long the loops took.
func Loop(frames []func() bool, d time.Duration) (counts []int64, elapsed time.Duration) {
	n := make([]atomic.Int64, len(frames))
	var wg sync.WaitGroup
	stop := make(chan struct{})
	t0 := time.Now()
	for i, frame := range frames {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if !frame() {
					return
				}
				n[i].Add(1)
			}
		})
	}
	time.Sleep(d)
	close(stop)
	wg.Wait()
	elapsed = time.Since(t0)
	counts = make([]int64, len(frames))
	for i := range n {
		counts[i] = n[i].Load()
	}
	return counts, elapsed
}

// Sink keeps the bytes the loops read from being optimised away.
var Sink atomic.Uint32
