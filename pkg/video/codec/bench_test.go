package codec

import (
	"bytes"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"slices"
	"syscall"
	"testing"
	"time"
)

// noisyBars is a 1080p bars frame with luma noise (±12 levels), closer to
// a camera's picture than the flat bars for a compressor.
func noisyBars(n int) *Image {
	const w, h = 1920, 1080
	img := barsImage(w, h, n, w)
	rng := rand.New(rand.NewPCG(uint64(n), 7))
	for i, v := range img.Planes[0] {
		img.Planes[0][i] = byte(min(max(int(v)+rng.IntN(25)-12, 0), 255))
	}
	return img
}

func benchFrames(b *testing.B, noisy bool) *Image {
	if noisy {
		return noisyBars(0)
	}
	return barsImage(1920, 1080, 0, 1920)
}

// BenchmarkJPEG1080p: the binding (cgo call, deinterleave of NV12's
// chroma, TurboJPEG) per 1080p NV12 frame at quality 85, with the time
// spent in C alone (split-ns: the deinterleave, tj-ns: TurboJPEG's
// tjCompressFromYUVPlanes) as measured inside the C layer.
func BenchmarkJPEG1080p(b *testing.B) {
	for _, noisy := range []bool{false, true} {
		name := "bars"
		if noisy {
			name = "noisy"
		}
		b.Run(name, func(b *testing.B) {
			img := benchFrames(b, noisy)
			j, err := NewJPEG()
			if err != nil {
				b.Fatal(err)
			}
			defer j.Close()
			buf := make([]byte, 0, JPEGBound(1920, 1080))
			var split, tj time.Duration
			var size int
			// Medians of single calls: on a shared machine a mean mostly
			// measures the neighbours.
			var calls, inC []time.Duration
			b.ResetTimer()
			for b.Loop() {
				t0 := time.Now()
				out, s, c, err := j.AppendTimed(buf[:0], img, 85)
				calls = append(calls, time.Since(t0))
				if err != nil {
					b.Fatal(err)
				}
				inC = append(inC, s+c)
				split += s
				tj += c
				size = len(out)
			}
			n := float64(b.N)
			b.ReportMetric(float64(split.Nanoseconds())/n, "split-ns/op")
			b.ReportMetric(float64(tj.Nanoseconds())/n, "tj-ns/op")
			b.ReportMetric(float64(median(calls).Nanoseconds()), "median-ns/call")
			b.ReportMetric(float64(median(inC).Nanoseconds()), "median-C-ns/call")
			b.ReportMetric(float64(size), "bytes")
		})
	}
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkGoJPEG1080p: Go's image/jpeg on the same frames (an
// image.YCbCr 4:2:0 made from the NV12 planes, the deinterleave counted).
func BenchmarkGoJPEG1080p(b *testing.B) {
	for _, noisy := range []bool{false, true} {
		name := "bars"
		if noisy {
			name = "noisy"
		}
		b.Run(name, func(b *testing.B) {
			img := benchFrames(b, noisy)
			ycc := image.NewYCbCr(image.Rect(0, 0, 1920, 1080), image.YCbCrSubsampleRatio420)
			var out bytes.Buffer
			b.ResetTimer()
			for b.Loop() {
				copy(ycc.Y, img.Planes[0])
				uv := img.Planes[1]
				for i := range ycc.Cb {
					ycc.Cb[i], ycc.Cr[i] = uv[2*i], uv[2*i+1]
				}
				out.Reset()
				if err := jpeg.Encode(&out, ycc, &jpeg.Options{Quality: 85}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(out.Len()), "bytes")
		})
	}
}

// cpuTime is the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkH264_1080p: libx264 per 1080p NV12 frame (camera-like noisy
// bars, a new frame each time as the pattern scrolls), frame copy
// included, with the CPU time per frame over all of x264's threads.
func BenchmarkH264_1080p(b *testing.B) {
	frames := make([]*Image, 30)
	for i := range frames {
		frames[i] = noisyBars(i)
	}
	for _, preset := range []string{"ultrafast", "superfast", "veryfast", "fast"} {
		b.Run(preset, func(b *testing.B) {
			enc, err := NewH264(H264Options{Width: 1920, Height: 1080, Codec: "libx264", Preset: preset})
			if err != nil {
				b.Fatal(err)
			}
			defer enc.Close()
			var bytes int
			sink := func(p Packet) error { bytes += len(p.Data); return nil }
			cpu0 := cpuTime()
			i := 0
			b.ResetTimer()
			for b.Loop() {
				if err := enc.Take(frames[i%len(frames)], time.Duration(i)*interval, false); err != nil {
					b.Fatal(err)
				}
				if err := enc.Encode(sink); err != nil {
					b.Fatal(err)
				}
				i++
			}
			if err := enc.Flush(sink); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/frame")
			b.ReportMetric(float64(bytes)/float64(b.N), "bytes/frame")
		})
	}
}
