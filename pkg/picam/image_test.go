package picam

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"

	"github.com/picamgo/picamgo/libcamera"
)

// Synthetic frames: pixel (x, y) has R=10x+y, G=100+x, B=200-y (4x2 image,
// stride with padding), and YCbCr Y=16+x+10y, Cb=100+cx, Cr=150+cy.
const tw, th = 4, 2

func rgbOf(x, y int) color.RGBA {
	return color.RGBA{R: uint8(10*x + y), G: uint8(100 + x), B: uint8(200 - y), A: 255}
}

func ycc(x, y int) color.YCbCr {
	return color.YCbCr{Y: uint8(16 + x + 10*y), Cb: uint8(100 + x/2), Cr: uint8(150 + y/2)}
}

func packed(bpp, r, g, b, stride int) []byte {
	buf := make([]byte, stride*th)
	for y := range th {
		for x := range tw {
			p := rgbOf(x, y)
			i := y*stride + x*bpp
			buf[i+r], buf[i+g], buf[i+b] = p.R, p.G, p.B
			if bpp == 4 {
				buf[i+3] = 0x5a // padding, not alpha
			}
		}
	}
	return buf
}

func TestRGBViews(t *testing.T) {
	for _, tc := range []struct {
		format       PixelFormat
		bpp, r, g, b int
	}{
		{FormatRGB888, 3, 2, 1, 0},   // memory B, G, R
		{FormatBGR888, 3, 0, 1, 2},   // memory R, G, B
		{FormatXRGB8888, 4, 2, 1, 0}, // memory B, G, R, X
		{FormatXBGR8888, 4, 0, 1, 2}, // memory R, G, B, X
	} {
		stride := tw*tc.bpp + 4
		buf := packed(tc.bpp, tc.r, tc.g, tc.b, stride)
		f := Frame{Format: tc.format, Size: Size{Width: tw, Height: th}, Stride: stride, Planes: [][]byte{buf}}
		img, err := f.Image()
		if err != nil {
			t.Fatal(err)
		}
		v, ok := img.(*RGB)
		if !ok {
			t.Fatalf("%v: %T", tc.format, img)
		}
		// Zero copy: the view's pixels are the frame's.
		if &v.Pix[0] != &buf[0] {
			t.Errorf("%v: view copies", tc.format)
		}
		rgba, _ := f.RGBA()
		for y := range th {
			for x := range tw {
				if got := v.At(x, y); got != rgbOf(x, y) {
					t.Errorf("%v (%d,%d) = %v, want %v", tc.format, x, y, got, rgbOf(x, y))
				}
				if got := rgba.RGBAAt(x, y); got != rgbOf(x, y) {
					t.Errorf("%v RGBA (%d,%d) = %v", tc.format, x, y, got)
				}
			}
		}
		sub := v.SubImage(image.Rect(1, 1, 3, 2))
		if sub.Bounds() != image.Rect(1, 1, 3, 2) || sub.At(2, 1) != rgbOf(2, 1) {
			t.Errorf("%v SubImage", tc.format)
		}
	}
}

func yuvFrame(format PixelFormat, onePlane bool) Frame {
	stride := tw + 4
	y := make([]byte, stride*th)
	for j := range th {
		for i := range tw {
			y[j*stride+i] = ycc(i, j).Y
		}
	}
	var c1, c2 []byte
	switch format {
	case FormatNV12, FormatNV21:
		c1 = make([]byte, stride*(th/2))
		for j := range th / 2 {
			for i := range tw / 2 {
				p := ycc(2*i, 2*j)
				a, b := p.Cb, p.Cr
				if format == FormatNV21 {
					a, b = b, a
				}
				c1[j*stride+2*i], c1[j*stride+2*i+1] = a, b
			}
		}
	case FormatYUV420, FormatYVU420:
		cs := stride / 2
		c1, c2 = make([]byte, cs*(th/2)), make([]byte, cs*(th/2))
		for j := range th / 2 {
			for i := range tw / 2 {
				p := ycc(2*i, 2*j)
				c1[j*cs+i], c2[j*cs+i] = p.Cb, p.Cr
			}
		}
		if format == FormatYVU420 {
			c1, c2 = c2, c1
		}
	}
	planes := [][]byte{y, c1}
	if c2 != nil {
		planes = append(planes, c2)
	}
	if onePlane { // as a Raspberry Pi gives them
		var all []byte
		for _, p := range planes {
			all = append(all, p...)
		}
		planes = [][]byte{all}
	}
	return Frame{Format: format, Size: Size{Width: tw, Height: th}, Stride: stride, Planes: planes}
}

func TestYUVViews(t *testing.T) {
	for _, format := range []PixelFormat{FormatNV12, FormatNV21, FormatYUV420, FormatYVU420} {
		for _, one := range []bool{false, true} {
			f := yuvFrame(format, one)
			img, err := f.Image()
			if err != nil {
				t.Fatal(err)
			}
			at := func(x, y int) color.YCbCr {
				switch m := img.(type) {
				case *NV12:
					return m.YCbCrAt(x, y)
				case *image.YCbCr:
					return m.YCbCrAt(x, y)
				}
				t.Fatalf("%v: %T", format, img)
				return color.YCbCr{}
			}
			if &f.Planes[0][0] != yPlane(img) {
				t.Errorf("%v: Y plane copied", format)
			}
			rgba := ToRGBA(img)
			for y := range th {
				for x := range tw {
					if got := at(x, y); got != ycc(x, y) {
						t.Errorf("%v one plane %v (%d,%d) = %v, want %v", format, one, x, y, got, ycc(x, y))
					}
					want := color.RGBAModel.Convert(ycc(x, y)).(color.RGBA)
					if got := rgba.RGBAAt(x, y); got != want {
						t.Errorf("%v RGBA (%d,%d) = %v, want %v", format, x, y, got, want)
					}
				}
			}
			if nv, ok := img.(*NV12); ok {
				yc := nv.YCbCr()
				for y := range th {
					for x := range tw {
						if yc.YCbCrAt(x, y) != ycc(x, y) {
							t.Errorf("%v YCbCr() (%d,%d) = %v", format, x, y, yc.YCbCrAt(x, y))
						}
					}
				}
			}
		}
	}
}

func yPlane(img image.Image) *byte {
	switch m := img.(type) {
	case *NV12:
		return &m.Y[0]
	case *image.YCbCr:
		return &m.Y[0]
	}
	return nil
}

func TestYUYVView(t *testing.T) {
	stride := tw*2 + 2
	buf := make([]byte, stride*th)
	for y := range th {
		for x := 0; x < tw; x += 2 {
			i := y*stride + x*2
			buf[i], buf[i+1], buf[i+2], buf[i+3] = ycc(x, y).Y, ycc(x, 0).Cb, ycc(x+1, y).Y, ycc(x, 0).Cr
		}
	}
	f := Frame{Format: FormatYUYV, Size: Size{Width: tw, Height: th}, Stride: stride, Planes: [][]byte{buf}}
	img, err := f.Image()
	if err != nil {
		t.Fatal(err)
	}
	v := img.(*YUYV)
	rgba := ToRGBA(v)
	for y := range th {
		for x := range tw {
			want := color.YCbCr{Y: ycc(x, y).Y, Cb: ycc(x, 0).Cb, Cr: ycc(x, 0).Cr}
			if got := v.YCbCrAt(x, y); got != want {
				t.Errorf("(%d,%d) = %v, want %v", x, y, got, want)
			}
			if rgba.RGBAAt(x, y) != color.RGBAModel.Convert(want).(color.RGBA) {
				t.Errorf("RGBA (%d,%d)", x, y)
			}
		}
	}
}

func TestMJPEGAndRaw(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 16, 8))
	for i := range src.Pix {
		src.Pix[i] = 200
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, src, nil); err != nil {
		t.Fatal(err)
	}
	f := Frame{Format: FormatMJPEG, Size: Size{Width: 16, Height: 8}, Planes: [][]byte{buf.Bytes()}}
	img, err := f.Image()
	if err != nil || img.Bounds() != src.Bounds() {
		t.Fatalf("MJPEG Image() = %v, %v", img, err)
	}
	// An MJPEG frame is written as it is.
	var out bytes.Buffer
	if err := f.Encode(&out, "jpeg", 90); err != nil || !bytes.Equal(out.Bytes(), buf.Bytes()) {
		t.Errorf("MJPEG to JPEG: %v", err)
	}

	raw, err := libcamera.ParsePixelFormat("SRGGB10_CSI2P")
	if err != nil {
		t.Fatal(err)
	}
	rf := Frame{Format: raw, Size: Size{Width: 4056, Height: 3040}, Stride: 5072, Planes: [][]byte{nil}}
	l, err := rf.RawLayout()
	if err != nil || l.BayerOrder != "RGGB" || l.BitDepth != 10 || !l.Packed || l.Compressed || l.Stride != 5072 {
		t.Errorf("RawLayout = %+v, %v", l, err)
	}
	if _, err := rf.Image(); !errors.Is(err, ErrUnsupported) {
		t.Errorf("raw Image() = %v, want ErrUnsupported", err)
	}
	for name, want := range map[string]RawLayout{
		"SBGGR12":         {BayerOrder: "BGGR", BitDepth: 12},
		"R8":              {BitDepth: 8},
		"GRBG_PISP_COMP1": {BayerOrder: "GRBG", BitDepth: 16, Compressed: true},
	} {
		pf, err := libcamera.ParsePixelFormat(name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		l, err := Frame{Format: pf}.RawLayout()
		if err != nil || l.BayerOrder != want.BayerOrder || l.BitDepth != want.BitDepth || l.Compressed != want.Compressed || l.Packed {
			t.Errorf("%s: %+v %v", name, l, err)
		}
	}
	for _, pf := range []PixelFormat{FormatNV12, FormatYUV420, FormatRGB888, FormatYUYV, FormatMJPEG} {
		if _, err := (Frame{Format: pf}).RawLayout(); !errors.Is(err, ErrUnsupported) {
			t.Errorf("%v is not raw, RawLayout = %v", pf, err)
		}
	}
}

func TestEncodeAndClone(t *testing.T) {
	f := yuvFrame(FormatNV12, false)
	var j, p bytes.Buffer
	if err := f.Encode(&j, "jpeg", 95); err != nil {
		t.Fatal(err)
	}
	if err := f.Encode(&p, "png", 0); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&p)
	if err != nil {
		t.Fatal(err)
	}
	// PNG is lossless after the RGB conversion.
	want := color.RGBAModel.Convert(ycc(1, 1)).(color.RGBA)
	if got := color.RGBAModel.Convert(img.At(1, 1)).(color.RGBA); got != want {
		t.Errorf("PNG pixel %v, want %v", got, want)
	}
	if _, err := jpeg.Decode(&j); err != nil {
		t.Error(err)
	}
	if err := f.Encode(&p, "gif", 0); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Encode(gif) = %v", err)
	}
	c := f.Clone()
	c.Planes[0][0] = 99
	if f.Planes[0][0] == 99 || c.Len() != f.Len() || len(c.Planes) != 2 {
		t.Error("Clone shares memory or lost planes")
	}
	// Too short a buffer is an error, not a panic.
	short := Frame{Format: FormatNV12, Size: Size{Width: 64, Height: 48}, Stride: 64, Planes: [][]byte{make([]byte, 100)}}
	if _, err := short.Image(); !errors.Is(err, ErrInvalid) {
		t.Errorf("short frame: %v", err)
	}
}

// TestCloneInto: a copy into a copy reuses its memory (no allocation, the
// same bytes), a view given as the destination keeps its planes, and the
// copy holds the frame's pixels and colour space.
func TestCloneInto(t *testing.T) {
	c, _ := startCamera(t, barsID, Size{Width: 640, Height: 480}, startOpts{})
	r := capture(t, c)
	defer r.Release()
	f, err := r.Frame(Main)
	if err != nil {
		t.Fatal(err)
	}
	var dst Frame
	f.CloneInto(&dst)
	if dst.Mapped || len(dst.Planes) != len(f.Planes) || !bytes.Equal(dst.AppendBytes(nil), f.AppendBytes(nil)) {
		t.Fatalf("CloneInto: %v mapped %v, not a copy of %v", dst, dst.Mapped, f)
	}
	if f.ColorSpace != nil && (dst.ColorSpace == nil || dst.ColorSpace == f.ColorSpace || *dst.ColorSpace != *f.ColorSpace) {
		t.Errorf("colour space %v (%p), want a copy of %v (%p)", dst.ColorSpace, dst.ColorSpace, f.ColorSpace, f.ColorSpace)
	}
	mem, planes := &dst.Planes[0][0], &dst.Planes[0]
	if n := testing.AllocsPerRun(20, func() { f.CloneInto(&dst) }); n != 0 {
		t.Errorf("CloneInto into a copy: %v allocations, want 0", n)
	}
	if &dst.Planes[0][0] != mem || &dst.Planes[0] != planes {
		t.Error("CloneInto did not reuse the destination's memory")
	}
	// A view as destination: its planes are the camera's, never written.
	view, err := r.Frame(Main)
	if err != nil {
		t.Fatal(err)
	}
	shared := view.Planes
	g := Frame{Format: f.Format, Size: f.Size, Stride: f.Stride, Planes: [][]byte{make([]byte, 16)}}
	g.CloneInto(&view)
	if view.Mapped || &view.Planes[0] == &shared[0] || len(shared[0]) != len(f.Planes[0]) {
		t.Errorf("CloneInto into a view wrote over the view's planes")
	}
	// A larger frame into a smaller copy: new memory, then reused.
	small := g.Clone()
	f.CloneInto(&small)
	if !bytes.Equal(small.AppendBytes(nil), f.AppendBytes(nil)) {
		t.Error("CloneInto into a smaller copy lost bytes")
	}
}
