package picam

import (
	"image"
	"testing"
)

// The cost of the checked mode per pixel read: NV12.At over a 640x480
// view without a lease (the default) and with one.
func BenchmarkViewAt(b *testing.B) {
	w, h := 640, 480
	y, uv := make([]byte, w*h), make([]byte, w*h/2)
	for _, checked := range []bool{false, true} {
		img := &NV12{Y: y, UV: uv, YStride: w, UVStride: w, Rect: image.Rect(0, 0, w, h)}
		name := "default"
		if checked {
			img.lease = &lease{h: &handle{s: &slot{}}}
			name = "checked"
		}
		b.Run(name, func(b *testing.B) {
			n := 0
			for b.Loop() {
				for yy := 0; yy < h; yy += 8 {
					for xx := 0; xx < w; xx += 8 {
						n += int(img.YCbCrAt(xx, yy).Y)
					}
				}
			}
			_ = n
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*(w/8)*(h/8)), "ns/pixel")
		})
	}
}
