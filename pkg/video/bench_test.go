package video

import (
	"context"
	"runtime/metrics"
	"slices"
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

// heartbeat is a goroutine waking every millisecond (a 1 kHz control loop
// beside the recording, as examples/pipeline's) until stop is closed; it
// returns how late each wake-up was. The schedule never slips: a wake-up
// that misses several beats records each with its own lateness.
func heartbeat(stop <-chan struct{}) <-chan []time.Duration {
	out := make(chan []time.Duration, 1)
	go func() {
		late := make([]time.Duration, 0, 120_000)
		start := time.Now()
		for i := 1; ; {
			select {
			case <-stop:
				out <- late
				return
			default:
			}
			due := start.Add(time.Duration(i) * time.Millisecond)
			if d := time.Until(due); d > 0 {
				time.Sleep(d)
			}
			now := time.Now()
			for ; !start.Add(time.Duration(i) * time.Millisecond).After(now); i++ {
				late = append(late, now.Sub(start.Add(time.Duration(i)*time.Millisecond)))
			}
		}
	}()
	return out
}

// BenchmarkRecord1080p30: H.264 (libx264, tune zerolatency) of the virtual
// camera paced at 30 frames/s, 1080p, to an MP4 file, at the default
// preset (ultrafast, Picamera2's on a Raspberry Pi 5) with the default
// threads (cores - 1), at ultrafast with 3 threads (libx264's own choice on
// 2 cores), and at fast: per frame, the frames dropped (the goal is
// 0) and the CPU time of the whole process (camera, copy, encoder threads,
// muxer); the most frames waiting for the encoder at once; and the
// lateness of a 1 kHz heartbeat goroutine in the same process while
// recording (p99; the goal is below 2 ms) and, for comparison, for 3 s
// before the recording starts (camera running, nothing recorded).
// -benchtime 1800x is a minute.
func BenchmarkRecord1080p30(b *testing.B) {
	for _, v := range []struct {
		name    string
		preset  string
		threads int
		nice    int
	}{
		{"ultrafast", "ultrafast", 0, 0}, {"ultrafast-keep", "ultrafast", 0, KeepPriority},
		{"ultrafast-3threads", "ultrafast", 3, 0}, {"fast", "fast", 0, 0}, {"fast-keep", "fast", 0, KeepPriority},
	} {
		b.Run(v.name, func(b *testing.B) {
			c := startCamera(b, picam.Size{Width: 1920, Height: 1080}, 30)
			stop := make(chan struct{})
			idleSched0 := schedLatencies()
			beats := heartbeat(stop)
			time.Sleep(3 * time.Second)
			close(stop)
			idle := <-beats
			idleSched := schedLatencies().since(idleSched0)
			// No deadline: a minute's run outlasts the tests' ctxT.
			r, err := Start(context.Background(), c, Options{Encoder: H264{Preset: v.preset, Threads: v.threads, Nice: v.nice},
				Outputs: []Output{File(b.TempDir() + "/b.mp4")}})
			if err != nil {
				b.Fatal(err)
			}
			waitFrames(b, r, 5) // warmed up
			stop = make(chan struct{})
			beats = heartbeat(stop)
			s0, cpu0, t0, sched0 := r.Stats(), cpuTime(), time.Now(), schedLatencies()
			b.ResetTimer()
			// Every frame the camera gives is encoded or counted dropped.
			for st := r.Stats(); st.Frames+st.Dropped < s0.Frames+s0.Dropped+uint64(b.N); st = r.Stats() {
				select {
				case <-r.Done():
					b.Fatalf("recording ended: %v", r.Err())
				case <-time.After(5 * time.Millisecond):
				}
			}
			st := r.Stats()
			cpu, wall, sched := cpuTime()-cpu0, time.Since(t0), schedLatencies()
			b.StopTimer()
			close(stop)
			late := <-beats
			if err := r.Stop(); err != nil {
				b.Fatal(err)
			}
			frames := float64(st.Frames - s0.Frames)
			given := frames + float64(st.Dropped-s0.Dropped)
			b.ReportMetric(float64(st.Dropped-s0.Dropped)/given, "dropped/frame")
			b.ReportMetric(float64(st.Dropped-s0.Dropped), "dropped")
			b.ReportMetric(float64(cpu.Microseconds())/1000/frames, "cpu-ms/frame")
			b.ReportMetric(given/wall.Seconds(), "frames/s")
			b.ReportMetric(float64(r.queueMax.Load()), "queue-max")
			b.ReportMetric(sched.since(sched0).quantile(0.99)*1000, "sched-p99-ms")
			b.ReportMetric(idleSched.quantile(0.99)*1000, "idle-sched-p99-ms")
			reportBeats(b, "beat", late)
			reportBeats(b, "idle-beat", idle)
		})
	}
}

// reportBeats reports a heartbeat's lateness: p50, p99 and the maximum.
func reportBeats(b *testing.B, name string, late []time.Duration) {
	if len(late) == 0 {
		return
	}
	slices.Sort(late)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(late[len(late)/2]), name+"-p50-ms")
	b.ReportMetric(ms(late[len(late)*99/100]), name+"-p99-ms")
	b.ReportMetric(ms(late[len(late)-1]), name+"-max-ms")
}

// schedHist is runtime/metrics' histogram of how long goroutines waited,
// runnable, for a Go processor (P) to run on: the Go scheduler's part of a
// goroutine's lateness, whatever the kernel does with the threads.
type schedHist struct {
	counts  []uint64
	buckets []float64
}

func schedLatencies() schedHist {
	s := []metrics.Sample{{Name: "/sched/latencies:seconds"}}
	metrics.Read(s)
	h := s[0].Value.Float64Histogram()
	return schedHist{counts: slices.Clone(h.Counts), buckets: h.Buckets}
}

// since is the histogram of the waits after old.
func (h schedHist) since(old schedHist) schedHist {
	d := schedHist{counts: slices.Clone(h.counts), buckets: h.buckets}
	for i := range d.counts {
		d.counts[i] -= old.counts[i]
	}
	return d
}

// quantile is the upper bound (seconds) of the bucket holding quantile q.
func (h schedHist) quantile(q float64) float64 {
	var total uint64
	for _, c := range h.counts {
		total += c
	}
	var n uint64
	for i, c := range h.counts {
		n += c
		if float64(n) >= q*float64(total) {
			return h.buckets[i+1]
		}
	}
	return h.buckets[len(h.buckets)-1]
}
