package video

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/picamgo/picamgo/pkg/picam"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkRecord1080p30: H.264 (libx264, the default ultrafast preset)
// of the virtual camera paced at 30 frames/s, 1080p, to an MP4 file: per
// frame, the frames dropped (the goal is 0) and the CPU time of the whole
// process (camera, copy, encoder threads, muxer). -benchtime 1800x is a
// minute.
func BenchmarkRecord1080p30(b *testing.B) {
	for _, preset := range []string{"ultrafast", "superfast"} {
		b.Run(preset, func(b *testing.B) {
			c := startCamera(b, picam.Size{Width: 1920, Height: 1080}, 30)
			// No deadline: a minute's run outlasts the tests' ctxT.
			r, err := Start(context.Background(), c, Options{Encoder: H264{Preset: preset}, Outputs: []Output{File(b.TempDir() + "/b.mp4")}})
			if err != nil {
				b.Fatal(err)
			}
			waitFrames(b, r, 5) // warmed up
			f0, d0, cpu0, t0 := r.Stats().Frames, r.Stats().Dropped, cpuTime(), time.Now()
			b.ResetTimer()
			waitFrames(b, r, f0+uint64(b.N))
			st := r.Stats()
			cpu, wall := cpuTime()-cpu0, time.Since(t0)
			b.StopTimer()
			if err := r.Stop(); err != nil {
				b.Fatal(err)
			}
			frames := float64(st.Frames - f0)
			b.ReportMetric(float64(st.Dropped-d0)/frames, "dropped/frame")
			b.ReportMetric(float64(cpu.Microseconds())/1000/frames, "cpu-ms/frame")
			b.ReportMetric(frames/wall.Seconds(), "frames/s")
		})
	}
}
