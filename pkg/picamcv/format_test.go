package picamcv

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"syscall"
	"testing"

	"github.com/picamgo/picamgo/libcamera"
	"github.com/picamgo/picamgo/pkg/picam"
	"gocv.io/x/gocv"
)

// Synthetic frames of every format with a view, in mapped memory as the
// camera's, to check layouts the virtual camera cannot give: strides wider
// than a line, one plane (as on a Raspberry Pi), planes apart in memory.

// mapped returns n bytes of anonymous mapped memory, unmapped at the end of
// the test.
func mapped(t *testing.T, n int) []byte {
	t.Helper()
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Munmap(b) })
	return b
}

// Two colours in BT.601 limited range, left and right half of the frames.
var (
	leftRGB  = color.RGBA{R: 255, A: 255} // red
	rightRGB = color.RGBA{B: 255, A: 255} // blue
	leftYUV  = [3]byte{81, 90, 240}       // Y, Cb, Cr of red
	rightYUV = [3]byte{41, 240, 110}      // of blue
)

// planeSpec is how a synthetic frame's planes are laid out.
type planeSpec int

const (
	onePlane   planeSpec = iota // one plane holding all (Raspberry Pi)
	adjacent                    // one plane each, following each other (virtual camera)
	apart                       // one plane each, in separate mappings
	goMemory                    // one plane each, Go memory (Frame.Clone)
	goOnePlane                  // one plane, Go memory
)

func (p planeSpec) String() string {
	return [...]string{"one plane", "adjacent planes", "planes apart", "Go memory", "Go memory, one plane"}[p]
}

// synthFrame builds a w x h frame of format, stride bytes per line of the
// first plane, left half red, right half blue; padding bytes are 0xEE.
func synthFrame(t *testing.T, format picam.PixelFormat, w, h, stride int, spec planeSpec) picam.Frame {
	t.Helper()
	var sizes []int
	var fill func(planes [][]byte)
	px := func(x int) (yuv [3]byte, rgb color.RGBA) {
		if x < w/2 {
			return leftYUV, leftRGB
		}
		return rightYUV, rightRGB
	}
	switch format {
	case picam.FormatNV12, picam.FormatNV21:
		sizes = []int{stride * h, stride * h / 2}
		fill = func(p [][]byte) {
			for y := range h {
				for x := range w {
					c, _ := px(x)
					p[0][y*stride+x] = c[0]
					if y%2 == 0 && x%2 == 0 {
						u, v := c[1], c[2]
						if format == picam.FormatNV21 {
							u, v = v, u
						}
						p[1][y/2*stride+x], p[1][y/2*stride+x+1] = u, v
					}
				}
			}
		}
	case picam.FormatYUV420, picam.FormatYVU420:
		cs := stride / 2
		sizes = []int{stride * h, cs * h / 2, cs * h / 2}
		fill = func(p [][]byte) {
			u, v := p[1], p[2]
			if format == picam.FormatYVU420 {
				u, v = v, u
			}
			for y := range h {
				for x := range w {
					c, _ := px(x)
					p[0][y*stride+x] = c[0]
					if y%2 == 0 && x%2 == 0 {
						u[y/2*cs+x/2], v[y/2*cs+x/2] = c[1], c[2]
					}
				}
			}
		}
	case picam.FormatYUYV:
		sizes = []int{stride * h}
		fill = func(p [][]byte) {
			for y := range h {
				for x := 0; x < w; x += 2 {
					c, _ := px(x)
					copy(p[0][y*stride+2*x:], []byte{c[0], c[1], c[0], c[2]})
				}
			}
		}
	case picam.FormatRGB888, picam.FormatBGR888, picam.FormatXRGB8888, picam.FormatXBGR8888:
		sizes = []int{stride * h}
		bpp := 3
		if format == picam.FormatXRGB8888 || format == picam.FormatXBGR8888 {
			bpp = 4
		}
		fill = func(p [][]byte) {
			for y := range h {
				for x := range w {
					_, c := px(x)
					b := []byte{c.B, c.G, c.R, 0x55} // RGB888, XRGB8888
					if format == picam.FormatBGR888 || format == picam.FormatXBGR8888 {
						b = []byte{c.R, c.G, c.B, 0x55}
					}
					copy(p[0][y*stride+x*bpp:y*stride+x*bpp+bpp], b)
				}
			}
		}
	default:
		t.Fatalf("no synthetic %v", format)
	}
	planes, all := allocPlanes(t, sizes, spec)
	fill(planes)
	f := picam.Frame{Stream: picam.Main, Format: format, Size: picam.Size{Width: uint32(w), Height: uint32(h)}, Stride: stride, Planes: planes}
	if spec == onePlane || spec == goOnePlane {
		f.Planes = [][]byte{all}
	}
	return f
}

// allocPlanes returns planes of the given sizes laid out as spec says, filled
// with 0xEE, and, when they are parts of one buffer, that buffer.
func allocPlanes(t *testing.T, sizes []int, spec planeSpec) (planes [][]byte, all []byte) {
	t.Helper()
	total := 0
	for _, n := range sizes {
		total += n
	}
	planes = make([][]byte, len(sizes))
	switch spec {
	case onePlane, adjacent, goOnePlane, goMemory:
		if spec == goOnePlane || spec == goMemory {
			all = make([]byte, total)
		} else {
			all = mapped(t, total)
		}
		off := 0
		for i, n := range sizes {
			planes[i] = all[off : off+n : off+n]
			off += n
		}
		for i := range all {
			all[i] = 0xEE
		}
	case apart:
		for i, n := range sizes {
			planes[i] = mapped(t, n)
			for j := range planes[i] {
				planes[i][j] = 0xEE
			}
		}
	}
	return planes, all
}

// checkHalves checks a BGR image is red on the left, blue on the right.
func checkHalves(t *testing.T, what string, bgr gocv.Mat, w, h int) {
	t.Helper()
	if bgr.Type() != gocv.MatTypeCV8UC3 || bgr.Cols() != w || bgr.Rows() != h {
		t.Fatalf("%s: BGR Mat %v %dx%d, want CV8UC3 %dx%d", what, bgr.Type(), bgr.Cols(), bgr.Rows(), w, h)
	}
	for _, y := range []int{0, h / 2, h - 1} {
		for _, x := range []int{0, w/2 - 1, w / 2, w - 1} {
			want := leftRGB
			if x >= w/2 {
				want = rightRGB
			}
			v := bgr.GetVecbAt(y, x)
			if absDiff(int(v[0]), int(want.B)) > 4 || absDiff(int(v[1]), int(want.G)) > 4 || absDiff(int(v[2]), int(want.R)) > 4 {
				t.Errorf("%s: pixel (%d, %d) is BGR %v, want %d,%d,%d", what, x, y, []uint8(v), want.B, want.G, want.R)
				return
			}
		}
	}
}

func TestFormats(t *testing.T) {
	const w, h = 64, 48
	cases := []struct {
		format        picam.PixelFormat
		typ           gocv.MatType
		rows, rowByte int
	}{
		{picam.FormatNV12, gocv.MatTypeCV8UC1, h * 3 / 2, w},
		{picam.FormatNV21, gocv.MatTypeCV8UC1, h * 3 / 2, w},
		{picam.FormatYUV420, gocv.MatTypeCV8UC1, h * 3 / 2, w},
		{picam.FormatYVU420, gocv.MatTypeCV8UC1, h * 3 / 2, w},
		{picam.FormatYUYV, gocv.MatTypeCV8UC2, h, 2 * w},
		{picam.FormatRGB888, gocv.MatTypeCV8UC3, h, 3 * w},
		{picam.FormatBGR888, gocv.MatTypeCV8UC3, h, 3 * w},
		{picam.FormatXRGB8888, gocv.MatTypeCV8UC4, h, 4 * w},
		{picam.FormatXBGR8888, gocv.MatTypeCV8UC4, h, 4 * w},
	}
	for _, tc := range cases {
		for _, pad := range []int{0, 64} {
			for _, spec := range []planeSpec{onePlane, adjacent, apart, goMemory, goOnePlane} {
				name := fmt.Sprintf("%v/pad%d/%v", tc.format, pad, spec)
				t.Run(name, func(t *testing.T) {
					stride := tc.rowByte + pad
					f := synthFrame(t, tc.format, w, h, stride, spec)
					multi := tc.rows != h
					// FrameBGR: any memory.
					bgr, err := FrameBGR(f)
					if err != nil {
						t.Fatal(err)
					}
					checkHalves(t, "FrameBGR", bgr, w, h)
					bgr.Close()
					if spec == goMemory || spec == goOnePlane {
						return // views are of mapped memory only
					}
					l, err := layoutOf(f)
					if err != nil {
						t.Fatal(err)
					}
					view, copied, err := newView(f, l, true)
					if err != nil {
						t.Fatal(err)
					}
					defer view.Close()
					wantCopy := (spec == apart && multi) || (l.code == gocv.ColorYUVToBGRIYUV || l.code == gocv.ColorYUVToBGRYV12) && pad != 0
					if copied != wantCopy {
						t.Errorf("copied = %v, want %v", copied, wantCopy)
					}
					if view.Type() != tc.typ || view.Rows() != tc.rows || view.Cols()*view.Channels() != tc.rowByte {
						t.Errorf("view %v %d rows x %d cols, want %v %d rows x %d bytes", view.Type(), view.Rows(), view.Cols(), tc.typ, tc.rows, tc.rowByte)
					}
					if !copied {
						if view.Step() != stride {
							t.Errorf("view step %d, want the stride %d", view.Step(), stride)
						}
						// Write through the frame, read through the view.
						last := f.Planes[len(f.Planes)-1]
						i := len(last) - pad - 1 // the last pixel byte
						if len(f.Planes) == 1 {
							i = (tc.rows-1)*stride + tc.rowByte - 1
						}
						old := last[i]
						last[i] = ^old
						got := view.GetUCharAt(tc.rows-1, tc.rowByte-1)
						last[i] = old
						if got != ^old {
							t.Errorf("wrote %d at the frame's last pixel byte, read %d through the view", ^old, got)
						}
					}
					dst := gocv.NewMat()
					defer dst.Close()
					if err := convert(view, l, new(ycbcrOf(f, l)), nil, &dst); err != nil {
						t.Fatal(err)
					}
					checkHalves(t, "view", dst, w, h)
				})
			}
		}
	}
}

func TestMJPEG(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 32, 16))
	for y := range 16 {
		for x := range 32 {
			c := leftRGB
			if x >= 16 {
				c = rightRGB
			}
			img.SetRGBA(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	f := picam.Frame{Format: picam.FormatMJPEG, Size: picam.Size{Width: 32, Height: 16}, Planes: [][]byte{buf.Bytes()}}
	bgr, err := FrameBGR(f)
	if err != nil {
		t.Fatal(err)
	}
	defer bgr.Close()
	if bgr.Cols() != 32 || bgr.Rows() != 16 {
		t.Fatalf("decoded %dx%d", bgr.Cols(), bgr.Rows())
	}
	for _, x := range []int{2, 29} {
		v, want := bgr.GetVecbAt(8, x), leftRGB
		if x >= 16 {
			want = rightRGB
		}
		if absDiff(int(v[0]), int(want.B)) > 12 || absDiff(int(v[2]), int(want.R)) > 12 {
			t.Errorf("decoded pixel %d is BGR %v, want %v", x, []uint8(v), want)
		}
	}
	if _, err := layoutOf(f); !errors.Is(err, picam.ErrUnsupported) {
		t.Errorf("MJPEG view: %v, want ErrUnsupported", err)
	}
	bad := f
	bad.Planes = [][]byte{[]byte("not a jpeg")}
	if m, err := FrameBGR(bad); err == nil {
		m.Close()
		t.Errorf("FrameBGR(not a JPEG) succeeded")
	}
}

func TestLayoutErrors(t *testing.T) {
	srggb10, err := libcamera.ParsePixelFormat("SRGGB10")
	if err != nil {
		t.Fatal(err)
	}
	nv12 := func(w, h, stride, n int) picam.Frame {
		return picam.Frame{Format: picam.FormatNV12, Size: picam.Size{Width: uint32(w), Height: uint32(h)}, Stride: stride, Planes: [][]byte{make([]byte, n)}}
	}
	for _, tc := range []struct {
		what string
		f    picam.Frame
		want error
	}{
		{"odd height", nv12(64, 47, 64, 64*48*2), picam.ErrUnsupported},
		{"odd width", nv12(63, 48, 64, 64*48*2), picam.ErrUnsupported},
		{"stride below width", nv12(64, 48, 32, 64*48*2), picam.ErrInvalid},
		{"short plane", nv12(64, 48, 64, 64*48), picam.ErrInvalid},
		{"no planes", picam.Frame{Format: picam.FormatNV12, Size: picam.Size{Width: 64, Height: 48}, Stride: 64}, picam.ErrInvalid},
		{"empty", nv12(0, 0, 64, 10), picam.ErrInvalid},
		{"raw", picam.Frame{Format: srggb10, Size: picam.Size{Width: 64, Height: 48}, Stride: 80, Planes: [][]byte{make([]byte, 80*48)}}, picam.ErrUnsupported},
	} {
		m, err := FrameBGR(tc.f)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: FrameBGR = %v, want %v", tc.what, err, tc.want)
		}
		if err == nil {
			m.Close()
		}
	}
}
