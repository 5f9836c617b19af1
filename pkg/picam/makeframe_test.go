package picam

import (
	"bytes"
	"errors"
	"image"
	"testing"
)

// TestMakeFrameFromCaptureBuffer rebuilds a frame of the virtual camera
// from its bytes, as CaptureBuffer gives them, and the stream's
// configuration: the planes and the image are the frame's.
func TestMakeFrameFromCaptureBuffer(t *testing.T) {
	c, _ := startCamera(t, barsID, Size{Width: 640, Height: 480}, startOpts{})
	r := capture(t, c)
	defer r.Release()
	f, err := r.Frame(Main)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := c.StreamConfiguration(Main)
	if err != nil {
		t.Fatal(err)
	}
	buf := f.AppendBytes(nil) // what CaptureBuffer returns for this frame
	m, err := MakeFrame(buf, sc)
	if err != nil {
		t.Fatal(err)
	}
	if m.Format != f.Format || m.Size != f.Size || m.Stride != f.Stride || len(m.Planes) != 2 {
		t.Fatalf("made %v, captured %v", m, f)
	}
	for i := range f.Planes {
		if !bytes.Equal(m.Planes[i], f.Planes[i][:len(m.Planes[i])]) {
			t.Errorf("plane %d differs", i)
		}
	}
	if &m.Planes[0][0] != &buf[0] {
		t.Error("MakeFrame copied the bytes")
	}
	checkBars(t, m, r.Sequence())
	got, err := m.RGBA()
	if err != nil {
		t.Fatal(err)
	}
	want, err := f.RGBA()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Pix, want.Pix) {
		t.Error("the made frame's pixels are not the captured frame's")
	}
	if _, err := MakeFrame(buf[:len(buf)-1], sc); !errors.Is(err, ErrInvalid) {
		t.Errorf("a byte short: %v, want ErrInvalid", err)
	}
}

// TestMakeFrameLayouts checks the planes MakeFrame cuts for the formats
// the virtual camera does not produce, with and without line padding.
func TestMakeFrameLayouts(t *testing.T) {
	raw10, err := ParsePixelFormat("SBGGR10_CSI2P")
	if err != nil {
		t.Fatal(err)
	}
	const w, h = 6, 4
	for _, c := range []struct {
		format PixelFormat
		stride int
		planes []int
	}{
		{FormatYUV420, 0, []int{6 * 4, 3 * 2, 3 * 2}},
		{FormatYUV420, 8, []int{8 * 4, 4 * 2, 4 * 2}},
		{FormatNV21, 0, []int{6 * 4, 6 * 2}},
		{FormatRGB888, 0, []int{18 * 4}},
		{FormatXBGR8888, 32, []int{32 * 4}},
		{FormatYUYV, 0, []int{12 * 4}},
		{raw10, 0, []int{10 * 4}}, // 6 pixels: two groups of 5 bytes
	} {
		buf := make([]byte, 1000)
		for i := range buf {
			buf[i] = byte(i)
		}
		f, err := MakeFrame(buf, StreamConfig{Size: Size{Width: w, Height: h}, Format: c.format, Stride: c.stride})
		if err != nil {
			t.Errorf("%v stride %d: %v", c.format, c.stride, err)
			continue
		}
		off := 0
		for i, n := range c.planes {
			if i >= len(f.Planes) || len(f.Planes[i]) != n || f.Planes[i][0] != byte(off) {
				t.Errorf("%v stride %d: plane %d not %d bytes at %d: %v", c.format, c.stride, i, n, off, f)
				break
			}
			off += n
		}
		if len(f.Planes) != len(c.planes) {
			t.Errorf("%v: %d planes, want %d", c.format, len(f.Planes), len(c.planes))
		}
		if c.format != raw10 {
			if img, err := f.Image(); err != nil || img.Bounds() != image.Rect(0, 0, w, h) {
				t.Errorf("%v: image %v, %v", c.format, img, err)
			}
		}
	}
	for _, sc := range []StreamConfig{
		{Size: Size{Width: 0, Height: 4}, Format: FormatNV12},
		{Size: Size{Width: 4, Height: 4}, Format: PixelFormat{FourCC: 1}},
		{Size: Size{Width: 4, Height: 4}, Format: FormatNV12, Stride: -4},
	} {
		if _, err := MakeFrame(make([]byte, 100), sc); !errors.Is(err, ErrInvalid) {
			t.Errorf("%v: %v, want ErrInvalid", sc, err)
		}
	}
}
