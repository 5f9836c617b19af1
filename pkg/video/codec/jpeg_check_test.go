package codec

import (
	"image"
	"testing"

	"github.com/picamgo/picamgo/pkg/video/internal/bars"
)

// checkJPEGBars checks that a decoded JPEG is frame n of the bars: the
// white bar where frame n has it and the eight colours in order.
func checkJPEGBars(t *testing.T, m image.Image, n int) {
	t.Helper()
	ycc, ok := m.(*image.YCbCr)
	if !ok {
		t.Fatalf("decoded %T, want *image.YCbCr", m)
	}
	w, h := m.Bounds().Dx(), m.Bounds().Dy()
	x, err := bars.FindWhite(ycc.Y, w, h, ycc.YStride)
	if err != nil {
		t.Fatalf("frame %d: %v", n, err)
	}
	if want := bars.WhiteX(w, n); x != want {
		t.Errorf("frame %d: white bar at %d, want %d", n, x, want)
	}
	got := bars.Colours(w, h, x, func(x, y int) (r, g, b uint8) {
		c := m.At(x, y)
		r32, g32, b32, _ := c.RGBA()
		return uint8(r32 >> 8), uint8(g32 >> 8), uint8(b32 >> 8)
	})
	if got != bars.Names {
		t.Errorf("frame %d: bars %s, want %s", n, got, bars.Names)
	}
}
