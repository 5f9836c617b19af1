package picamcv

import (
	"fmt"
	"testing"

	"github.com/picamgo/picamgo/pkg/picam"
	"gocv.io/x/gocv"
)

// The cost of a zero-copy view against a BGR conversion, on one held frame.
func BenchmarkConvert(b *testing.B) {
	for _, size := range []picam.Size{{Width: 640, Height: 480}, {Width: 1920, Height: 1080}} {
		c := startCamera(b, size)
		r := capture(b, c)
		name := fmt.Sprintf("%dx%d", size.Width, size.Height)
		b.Run("View/"+name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				fm, err := NewFrameMat(r, picam.Main)
				if err != nil {
					b.Fatal(err)
				}
				fm.Close()
			}
		})
		b.Run("BGRTo/"+name, func(b *testing.B) { // into one Mat, reused
			fm, err := NewFrameMat(r, picam.Main)
			if err != nil {
				b.Fatal(err)
			}
			defer fm.Close()
			dst := gocv.NewMat()
			defer dst.Close()
			b.ReportAllocs()
			b.SetBytes(int64(size.Width * size.Height * 3))
			for b.Loop() {
				if err := fm.BGRTo(&dst); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("BGR/"+name, func(b *testing.B) { // one-shot, a new Mat each time
			b.ReportAllocs()
			b.SetBytes(int64(size.Width * size.Height * 3))
			for b.Loop() {
				m, err := BGR(r, picam.Main)
				if err != nil {
					b.Fatal(err)
				}
				m.Close()
			}
		})
		b.Run("PicamRGBA/"+name, func(b *testing.B) { // picam's pure-Go conversion, for scale
			f, _ := r.Frame(picam.Main)
			b.ReportAllocs()
			b.SetBytes(int64(size.Width * size.Height * 4))
			for b.Loop() {
				if _, err := f.RGBA(); err != nil {
					b.Fatal(err)
				}
			}
		})
		r.Release()
		c.Close()
	}
}
