package video

import (
	"errors"
	"testing"

	"github.com/picamgo/picamgo/pkg/picam"
	"github.com/picamgo/picamgo/pkg/video/codec"
)

// TestFrameImage: frames in one plane (as a Raspberry Pi gives them) are
// split into Y and chroma at the stride; several planes are used as given.
func TestFrameImage(t *testing.T) {
	const w, h, s = 64, 48, 128 // stride with padding
	size := picam.Size{Width: w, Height: h}
	one := make([]byte, s*h*3/2)
	for i := range one {
		one[i] = byte(i / (s * h / 4)) // 0-3: Y; 4, 5: chroma quarters
	}
	f := picam.Frame{Format: picam.FormatNV12, Size: size, Stride: s, Planes: [][]byte{one}}
	img, err := frameImage(f)
	if err != nil {
		t.Fatal(err)
	}
	if img.Format != codec.NV12 || len(img.Planes[0]) != s*h || len(img.Planes[1]) != s*h/2 || img.Strides != [3]int{s, s, 0} {
		t.Fatalf("NV12: planes %d, %d bytes, strides %v", len(img.Planes[0]), len(img.Planes[1]), img.Strides)
	}
	if img.Planes[1][0] != 4 {
		t.Errorf("NV12 chroma starts with %d, want the byte after Y", img.Planes[1][0])
	}
	f.Format = picam.FormatYUV420
	img, err = frameImage(f)
	if err != nil {
		t.Fatal(err)
	}
	if img.Strides != [3]int{s, s / 2, s / 2} || len(img.Planes[1]) != s*h/4 || img.Planes[1][0] != 4 || img.Planes[2][0] != 5 {
		t.Fatalf("YUV420: strides %v, U %d bytes starting %d, V starting %d", img.Strides, len(img.Planes[1]), img.Planes[1][0], img.Planes[2][0])
	}
	f.Format = picam.FormatRGB888
	if _, err := frameImage(f); !errors.Is(err, ErrUnsupported) {
		t.Errorf("RGB888: %v, want ErrUnsupported", err)
	}
	f.Format = picam.FormatNV12
	f.Planes = [][]byte{one[:s*h]}
	if _, err := frameImage(f); !errors.Is(err, ErrInvalid) {
		t.Errorf("a plane without chroma: %v, want ErrInvalid", err)
	}
}
