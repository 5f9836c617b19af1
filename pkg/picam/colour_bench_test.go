package picam

import (
	"fmt"
	"testing"

	"github.com/picamgo/picamgo/libcamera"
)

// benchFrame returns a w×h frame of format with every byte set from a
// pattern, so that the conversion sees varied Y', Cb and Cr.
func benchFrame(format PixelFormat, w, h int, cs *ColorSpace) Frame {
	stride, n := w, w*h*3/2
	if format == FormatYUYV {
		stride, n = w*2, w*2*h
	}
	buf := make([]byte, n)
	for i := range buf {
		buf[i] = byte(i*7 + i/w)
	}
	return Frame{Format: format, Size: Size{Width: uint32(w), Height: uint32(h)}, Stride: stride,
		Planes: [][]byte{buf}, ColorSpace: cs}
}

// BenchmarkFrameRGBA measures Frame.RGBA of the Y'CbCr formats: JFIF (no
// colour space, the image/color conversion) against Rec709 limited range.
func BenchmarkFrameRGBA(b *testing.B) {
	for _, format := range []PixelFormat{FormatNV12, FormatYUV420, FormatYUYV} {
		for _, sz := range [][2]int{{640, 480}, {1920, 1080}} {
			for _, cs := range []struct {
				name string
				cs   *ColorSpace
			}{{"JFIF", nil}, {"Rec709", new(libcamera.ColorSpaceRec709)}} {
				f := benchFrame(format, sz[0], sz[1], cs.cs)
				b.Run(fmt.Sprintf("%v/%dx%d/%s", format, sz[0], sz[1], cs.name), func(b *testing.B) {
					b.SetBytes(int64(sz[0] * sz[1]))
					b.ReportAllocs()
					for b.Loop() {
						if _, err := f.RGBA(); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}
