package picamcv

import (
	"fmt"
	"testing"

	"github.com/picamgo/picamgo/libcamera"
	"github.com/picamgo/picamgo/pkg/picam"
	"gocv.io/x/gocv"
)

// The cost of a zero-copy view against a BGR conversion, on one held frame,
// by OpenCV's own conversion (SMPTE170M) and by the matrix path (sYCC,
// Rec709). The frame is relabelled: the virtual camera's own label depends
// on libcamera's version.
func BenchmarkConvert(b *testing.B) {
	spaces := []*picam.ColorSpace{new(libcamera.ColorSpaceSmpte170m), new(libcamera.ColorSpaceSycc), new(libcamera.ColorSpaceRec709)}
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
		for _, cs := range spaces {
			b.Run(fmt.Sprintf("BGRTo/%v/%s", cs, name), func(b *testing.B) { // into one Mat, reused
				fm, err := NewFrameMat(r, picam.Main)
				if err != nil {
					b.Fatal(err)
				}
				defer fm.Close()
				relabel(fm, cs)
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
			b.Run(fmt.Sprintf("FrameMatBGRTo/%v/%s", cs, name), func(b *testing.B) { // a FrameMat a frame, as a capture loop
				dst := gocv.NewMat()
				defer dst.Close()
				b.ReportAllocs()
				b.SetBytes(int64(size.Width * size.Height * 3))
				for b.Loop() {
					fm, err := NewFrameMat(r, picam.Main)
					if err != nil {
						b.Fatal(err)
					}
					relabel(fm, cs)
					if err := fm.BGRTo(&dst); err != nil {
						b.Fatal(err)
					}
					fm.Close()
				}
			})
			b.Run(fmt.Sprintf("BGR/%v/%s", cs, name), func(b *testing.B) { // one-shot, a new Mat each time
				f, err := r.Frame(picam.Main)
				if err != nil {
					b.Fatal(err)
				}
				f.ColorSpace = cs
				b.ReportAllocs()
				b.SetBytes(int64(size.Width * size.Height * 3))
				for b.Loop() {
					m := gocv.NewMat()
					if err := frameBGRTo(f, &m, true); err != nil {
						b.Fatal(err)
					}
					m.Close()
				}
			})
		}
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
