package picamcv

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/picamgo/picamgo/internal/ycc/ycctest"
	"github.com/picamgo/picamgo/libcamera"
	"github.com/picamgo/picamgo/pkg/picam"
	"gocv.io/x/gocv"
)

// The colour spaces of the tests: the first three take OpenCV's own
// conversion (BT.601 limited range, whatever the primaries), the others the
// matrix path.
var testSpaces = []struct {
	name string
	cs   *picam.ColorSpace
}{
	{"none", nil},
	{"SMPTE170M", new(libcamera.ColorSpaceSmpte170m)},
	{"Rec601-limited-Rec709-primaries", &picam.ColorSpace{Primaries: libcamera.PrimariesRec709, TransferFunction: libcamera.TransferSrgb, YcbcrEncoding: libcamera.YcbcrRec601, Range: libcamera.RangeLimited}},
	{"sYCC", new(libcamera.ColorSpaceSycc)},
	{"Rec709", new(libcamera.ColorSpaceRec709)},
	{"Rec709-full", &picam.ColorSpace{Primaries: libcamera.PrimariesRec709, TransferFunction: libcamera.TransferRec709, YcbcrEncoding: libcamera.YcbcrRec709, Range: libcamera.RangeFull}},
	{"Rec2020", new(libcamera.ColorSpaceRec2020)},
	{"Rec2020-full", &picam.ColorSpace{Primaries: libcamera.PrimariesRec2020, TransferFunction: libcamera.TransferRec709, YcbcrEncoding: libcamera.YcbcrRec2020, Range: libcamera.RangeFull}},
}

// refBGR is the reference conversion of the tests (ycctest.RGB, written
// from the standards' definitions rather than from the package's matrix),
// clamped, in OpenCV's order. nil is BT.601 limited range, as OpenCV
// converts.
func refBGR(cs *picam.ColorSpace, y, cb, cr uint8) [3]float64 {
	enc, rng := libcamera.YcbcrRec601, libcamera.RangeLimited
	if cs != nil {
		enc, rng = cs.YcbcrEncoding, cs.Range
	}
	r, g, b := ycctest.RGB(enc, rng, y, cb, cr)
	clamp := func(v float64) float64 { return math.Max(0, math.Min(255, v)) }
	return [3]float64{clamp(b), clamp(g), clamp(r)}
}

// TestReferenceDefault: a frame without a colour space is BT.601 limited
// range, as OpenCV converts (the reference's coefficients are checked in
// ycctest).
func TestReferenceDefault(t *testing.T) {
	// BT.601 limited: 1.164383 (Y-16), Cr 1.596027 / -0.812968, Cb 2.017232 / -0.391762.
	want := [3]float64{1.164383*84 + 2.017232*22, 1.164383*84 - 0.391762*22 + 0.812968*38, 1.164383*84 - 1.596027*38}
	got := refBGR(nil, 100, 150, 90)
	for i := range got {
		if math.Abs(got[i]-want[i]) > 0.01 {
			t.Fatalf("refBGR(nil, 100, 150, 90) = %.3f, want %.3f", got, want)
		}
	}
}

// yccImage is a frame's samples: Y' per pixel, Cb and Cr per chroma sample
// (cw x ch of them).
type yccImage struct {
	w, h, cw, ch  int
	y, cb, cr     []byte
	verticalShare bool // 4:2:0: a chroma sample covers two lines
}

// randomYCC fills an image with samples over the whole 0-255 range, the
// extremes and the limited range's bounds included.
func randomYCC(w, h int, format picam.PixelFormat, seed uint64) yccImage {
	im := yccImage{w: w, h: h, cw: w / 2, ch: h / 2, verticalShare: true}
	if format == picam.FormatYUYV {
		im.ch, im.verticalShare = h, false
	}
	rnd := rand.New(rand.NewPCG(seed, 1))
	special := []byte{0, 1, 16, 128, 235, 240, 254, 255}
	sample := func(i int) byte {
		if i < len(special)*len(special) && i%3 == 0 {
			return special[(i/3)%len(special)]
		}
		return byte(rnd.UintN(256))
	}
	im.y = make([]byte, w*h)
	for i := range im.y {
		im.y[i] = sample(i)
	}
	im.cb, im.cr = make([]byte, im.cw*im.ch), make([]byte, im.cw*im.ch)
	for i := range im.cb {
		im.cb[i], im.cr[i] = sample(i+1), sample(i+2)
	}
	return im
}

func (im yccImage) at(x, y int) (Y, Cb, Cr uint8) {
	cy := y
	if im.verticalShare {
		cy = y / 2
	}
	c := cy*im.cw + x/2
	return im.y[y*im.w+x], im.cb[c], im.cr[c]
}

// yccFrame lays an image out as a frame of format, stride bytes per line of
// its first plane, its planes as spec says.
func yccFrame(t *testing.T, im yccImage, format picam.PixelFormat, stride int, spec planeSpec, cs *picam.ColorSpace) picam.Frame {
	t.Helper()
	w, h := im.w, im.h
	var sizes []int
	switch format {
	case picam.FormatNV12, picam.FormatNV21:
		sizes = []int{stride * h, stride * h / 2}
	case picam.FormatYUV420, picam.FormatYVU420:
		sizes = []int{stride * h, stride / 2 * h / 2, stride / 2 * h / 2}
	case picam.FormatYUYV:
		sizes = []int{stride * h}
	default:
		t.Fatalf("no Y'CbCr frame of %v", format)
	}
	p, all := allocPlanes(t, sizes, spec)
	for y := range h {
		for x := range w {
			Y, Cb, Cr := im.at(x, y)
			switch format {
			case picam.FormatNV12, picam.FormatNV21:
				p[0][y*stride+x] = Y
				if x%2 == 0 && y%2 == 0 {
					c := y/2*stride + x
					if format == picam.FormatNV21 {
						Cb, Cr = Cr, Cb
					}
					p[1][c], p[1][c+1] = Cb, Cr
				}
			case picam.FormatYUV420, picam.FormatYVU420:
				p[0][y*stride+x] = Y
				if x%2 == 0 && y%2 == 0 {
					c := y/2*(stride/2) + x/2
					u, v := p[1], p[2]
					if format == picam.FormatYVU420 {
						u, v = v, u
					}
					u[c], v[c] = Cb, Cr
				}
			case picam.FormatYUYV:
				p[0][y*stride+2*x] = Y
				if x%2 == 0 {
					p[0][y*stride+2*x+1], p[0][y*stride+2*x+3] = Cb, Cr
				}
			}
		}
	}
	f := picam.Frame{Stream: picam.Main, Format: format, Size: picam.Size{Width: uint32(w), Height: uint32(h)},
		Stride: stride, Planes: p, ColorSpace: cs}
	if spec == onePlane || spec == goOnePlane {
		f.Planes = [][]byte{all}
	}
	return f
}

// checkYCC compares a BGR Mat with refBGR of every pixel of im in colour
// space cs: at most 2 levels off in each channel.
func checkYCC(t *testing.T, what string, bgr gocv.Mat, im yccImage, cs *picam.ColorSpace) {
	t.Helper()
	if bgr.Type() != gocv.MatTypeCV8UC3 || bgr.Cols() != im.w || bgr.Rows() != im.h {
		t.Fatalf("%s: BGR Mat %v %dx%d, want CV8UC3 %dx%d", what, bgr.Type(), bgr.Cols(), bgr.Rows(), im.w, im.h)
	}
	// OpenCV's own conversion reads luma below 16 (footroom) as 16.
	footroom := cs != nil && (cs.YcbcrEncoding != libcamera.YcbcrRec601 || cs.Range != libcamera.RangeLimited)
	px := bgr.ToBytes()
	bad := 0
	for y := range im.h {
		for x := range im.w {
			Y, Cb, Cr := im.at(x, y)
			if !footroom {
				Y = max(Y, 16)
			}
			want := refBGR(cs, Y, Cb, Cr)
			got := px[(y*im.w+x)*3:][:3]
			for i := range 3 {
				if math.Abs(float64(got[i])-want[i]) > 2 {
					if bad++; bad <= 5 {
						t.Errorf("%s: pixel (%d, %d) Y'CbCr %d,%d,%d: BGR %v, want %.1f", what, x, y, Y, Cb, Cr, got, want)
					}
					break
				}
			}
		}
	}
	if bad > 5 {
		t.Errorf("%s: %d pixels wrong in all", what, bad)
	}
}

// TestColourSpaces converts synthetic frames of known samples in every
// colour space, format and memory layout, one-shot (FrameBGR) and through
// views with one scratch reused across all of them as a FrameMat reuses
// its own, and checks every pixel against refBGR.
func TestColourSpaces(t *testing.T) {
	var s scratch // shared: sizes, formats and matrices change under it
	defer s.close()
	dst := gocv.NewMat()
	defer dst.Close()
	formats := []struct {
		format   picam.PixelFormat
		rowBytes int // per pixel
	}{{picam.FormatNV12, 1}, {picam.FormatNV21, 1}, {picam.FormatYUV420, 1}, {picam.FormatYVU420, 1}, {picam.FormatYUYV, 2}}
	// 62x34: a chroma plane of I420 that does not start on a row of
	// OpenCV's layout, odd chroma widths.
	sizes := [][2]int{{64, 48}, {62, 34}}
	seed := uint64(0)
	for _, sz := range sizes {
		for _, fm := range formats {
			seed++
			im := randomYCC(sz[0], sz[1], fm.format, seed)
			for _, pad := range []int{0, 32} {
				for _, spec := range []planeSpec{onePlane, adjacent, apart, goMemory, goOnePlane} {
					for _, sp := range testSpaces {
						name := fmt.Sprintf("%dx%d/%v/pad%d/%v/%s", sz[0], sz[1], fm.format, pad, spec, sp.name)
						f := yccFrame(t, im, fm.format, sz[0]*fm.rowBytes+pad, spec, sp.cs)
						bgr, err := FrameBGR(f)
						if err != nil {
							t.Fatalf("%s: FrameBGR: %v", name, err)
						}
						checkYCC(t, name+": FrameBGR", bgr, im, sp.cs)
						bgr.Close()
						if spec == goMemory || spec == goOnePlane {
							continue // views are of mapped memory only
						}
						l, err := layoutOf(f)
						if err != nil {
							t.Fatal(err)
						}
						view, _, err := newView(f, l, true)
						if err != nil {
							t.Fatal(err)
						}
						yc := ycbcrOf(f, l)
						if opencv := sp.cs == nil || *sp.cs == libcamera.ColorSpaceSmpte170m || sp.name == "Rec601-limited-Rec709-primaries"; yc.opencv != opencv {
							t.Errorf("%s: OpenCV's own conversion: %v, want %v", name, yc.opencv, opencv)
						}
						if err := convert(view, l, &yc, &s, &dst); err != nil {
							t.Fatal(err)
						}
						checkYCC(t, name+": view", dst, im, sp.cs)
						view.Close()
					}
				}
			}
		}
	}
}

// TestLimitedVsFull: the same bytes read as limited range (SMPTE170M, the
// fast path) and full range (sYCC, the matrix path) give different images,
// each right; and BT.601 against BT.709 gives other hues.
func TestLimitedVsFull(t *testing.T) {
	const w, h = 32, 16
	im := yccImage{w: w, h: h, cw: w / 2, ch: h / 2, verticalShare: true}
	im.y, im.cb, im.cr = make([]byte, w*h), make([]byte, w*h/4), make([]byte, w*h/4)
	for i := range im.y {
		im.y[i] = byte(16 + i%220) // a luma ramp over the limited range
	}
	for i := range im.cb {
		im.cb[i], im.cr[i] = 128, 128
		if i%2 == 1 { // and a saturated colour
			im.cb[i], im.cr[i] = 90, 240
		}
	}
	mats := map[string]gocv.Mat{}
	for _, cs := range []*picam.ColorSpace{new(libcamera.ColorSpaceSmpte170m), new(libcamera.ColorSpaceSycc), new(libcamera.ColorSpaceRec709)} {
		f := yccFrame(t, im, picam.FormatNV12, w, adjacent, cs)
		bgr, err := FrameBGR(f)
		if err != nil {
			t.Fatal(err)
		}
		defer bgr.Close()
		checkYCC(t, cs.String(), bgr, im, cs)
		mats[cs.String()] = bgr
	}
	maxDiff := func(a, b gocv.Mat) int {
		pa, pb, d := a.ToBytes(), b.ToBytes(), 0
		for i := range pa {
			d = max(d, absDiff(int(pa[i]), int(pb[i])))
		}
		return d
	}
	// Luma 16 is black in limited range, 16 in full; 235 is white, or 235.
	if d := maxDiff(mats["SMPTE170M"], mats["sYCC"]); d < 16 {
		t.Errorf("limited and full range differ by at most %d levels", d)
	}
	if d := maxDiff(mats["SMPTE170M"], mats["Rec709"]); d < 16 {
		t.Errorf("BT.601 and BT.709 differ by at most %d levels", d)
	}
	lim, fr := mats["SMPTE170M"], mats["sYCC"]
	grey, full := lim.GetVecbAt(0, 0), fr.GetVecbAt(0, 0) // Y' 16
	if grey[0] != 0 || full[0] != 16 {
		t.Errorf("Y' 16: limited range %v, full range %v; want 0 and 16", []uint8(grey), []uint8(full))
	}
}

func TestColourSpaceErrors(t *testing.T) {
	im := randomYCC(16, 8, picam.FormatNV12, 7)
	for _, cs := range []picam.ColorSpace{
		{Primaries: 7, TransferFunction: libcamera.TransferSrgb, YcbcrEncoding: libcamera.YcbcrRec601, Range: libcamera.RangeFull},
		{Primaries: libcamera.PrimariesRec709, YcbcrEncoding: 9, Range: libcamera.RangeFull},
		{Primaries: libcamera.PrimariesRec709, YcbcrEncoding: libcamera.YcbcrRec709, Range: 5},
	} {
		for _, format := range []picam.PixelFormat{picam.FormatNV12, picam.FormatYUV420, picam.FormatYUYV} {
			im := im
			if format == picam.FormatYUYV {
				im = randomYCC(16, 8, format, 7)
			}
			f := yccFrame(t, im, format, 16*map[bool]int{true: 2, false: 1}[format == picam.FormatYUYV], adjacent, &cs)
			m, err := FrameBGR(f)
			if !errors.Is(err, ErrColorSpace) || !errors.Is(err, picam.ErrUnsupported) || !m.Closed() {
				t.Errorf("%v in %v: FrameBGR = %v (Mat closed %v), want ErrColorSpace", format, cs, err, m.Closed())
			}
		}
	}
	// A Y'CbCr frame labelled with no encoding converts as libcamera infers
	// one: sRGB and Raw as sYCC, exactly.
	for _, format := range []picam.PixelFormat{picam.FormatNV12, picam.FormatYUV420, picam.FormatYUYV} {
		im := im
		if format == picam.FormatYUYV {
			im = randomYCC(16, 8, format, 7)
		}
		stride := 16 * map[bool]int{true: 2, false: 1}[format == picam.FormatYUYV]
		want, err := FrameBGR(yccFrame(t, im, format, stride, adjacent, new(libcamera.ColorSpaceSycc)))
		if err != nil {
			t.Fatal(err)
		}
		for _, cs := range []picam.ColorSpace{libcamera.ColorSpaceSrgb, libcamera.ColorSpaceRaw} {
			got, err := FrameBGR(yccFrame(t, im, format, stride, adjacent, &cs))
			if err != nil {
				t.Errorf("%v in %v: %v", format, cs, err)
				continue
			}
			if diff := gocv.NormWithMats(got, want, gocv.NormInf); diff != 0 {
				t.Errorf("%v in %v: differs from sYCC by up to %v", format, cs, diff)
			}
			got.Close()
		}
		want.Close()
	}
	// RGB formats need no matrix: any colour space converts.
	for _, cs := range []picam.ColorSpace{libcamera.ColorSpaceSrgb, libcamera.ColorSpaceSycc, libcamera.ColorSpaceRec2020} {
		f := synthFrame(t, picam.FormatXBGR8888, 16, 8, 64, adjacent)
		f.ColorSpace = &cs
		bgr, err := FrameBGR(f)
		if err != nil {
			t.Fatalf("XBGR8888 in %v: %v", cs, err)
		}
		checkHalves(t, "XBGR8888 in "+cs.String(), bgr, 16, 8)
		bgr.Close()
	}
}

// relabel makes fm convert as if its frame were in colour space cs.
func relabel(fm *FrameMat, cs *picam.ColorSpace) {
	st := fm.s
	st.mu.Lock()
	defer st.mu.Unlock()
	f := st.frame
	f.ColorSpace = cs
	st.yc = ycbcrOf(f, st.lay)
}

// frameYCC reads the samples of an NV12 frame.
func frameYCC(f picam.Frame) yccImage {
	w, h := int(f.Size.Width), int(f.Size.Height)
	im := yccImage{w: w, h: h, cw: w / 2, ch: h / 2, verticalShare: true}
	im.y, im.cb, im.cr = make([]byte, w*h), make([]byte, w*h/4), make([]byte, w*h/4)
	for y := range h {
		copy(im.y[y*w:], f.Planes[0][y*f.Stride:][:w])
	}
	for y := range h / 2 {
		for x := range w / 2 {
			im.cb[y*w/2+x], im.cr[y*w/2+x] = f.Planes[1][y*f.Stride+2*x], f.Planes[1][y*f.Stride+2*x+1]
		}
	}
	return im
}

// TestFrameMatColourSpaces converts one real frame, zero copy, through a
// FrameMat in every colour space, into one reused Mat, from several
// goroutines at once, and checks every pixel, that the destination is not
// reallocated and that a conversion allocates nothing in Go.
func TestFrameMatColourSpaces(t *testing.T) {
	c := startCamera(t, vga)
	r := capture(t, c)
	defer r.Release()
	fm, err := NewFrameMat(r, picam.Main)
	if err != nil {
		t.Fatal(err)
	}
	defer fm.Close()
	f, err := fm.Frame()
	if err != nil {
		t.Fatal(err)
	}
	if !fm.ZeroCopy() {
		t.Fatalf("%v: not zero copy", f)
	}
	// FrameBGRTo and FrameBGR read a request's view in place too.
	if l, err := layoutOf(f); err != nil {
		t.Fatal(err)
	} else if v, copied, err := newView(f, l, f.Mapped); err != nil || copied {
		t.Fatalf("%v (Mapped %v): view copied %v, %v", f, f.Mapped, copied, err)
	} else {
		v.Close()
	}
	im := frameYCC(f)
	t.Logf("the virtual camera labels its frames %v", f.ColorSpace)
	spaces := append([]struct {
		name string
		cs   *picam.ColorSpace
	}{{"own", f.ColorSpace}}, testSpaces...)
	dst := gocv.NewMat()
	defer dst.Close()
	for _, sp := range spaces {
		relabel(fm, sp.cs)
		if err := fm.BGRTo(&dst); err != nil {
			t.Fatalf("%s: %v", sp.name, err)
		}
		checkYCC(t, sp.name, dst, im, sp.cs)
		d, _ := dst.DataPtrUint8()
		first := &d[0]
		// AllocsPerRun counts the whole process's allocations, the camera's
		// goroutines' too, and divides by the runs in whole numbers: 100
		// runs hide up to 99 of theirs and still show one per call.
		allocs := testing.AllocsPerRun(100, func() {
			if err := fm.BGRTo(&dst); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 && matCount() < 0 { // gocv's Mat profile allocates
			t.Errorf("%s: BGRTo allocates %.0f times a call", sp.name, allocs)
		}
		if d, _ := dst.DataPtrUint8(); &d[0] != first {
			t.Errorf("%s: BGRTo reallocated its destination", sp.name)
		}
		checkYCC(t, sp.name+", again", dst, im, sp.cs)

		// The same by the other ways.
		relabelled := f
		relabelled.ColorSpace = sp.cs
		viaFrame, err := FrameBGR(relabelled)
		if err != nil {
			t.Fatal(err)
		}
		checkYCC(t, sp.name+": FrameBGR", viaFrame, im, sp.cs)
		viaFrame.Close()
		if err := FrameBGRTo(relabelled, &dst); err != nil {
			t.Fatal(err)
		}
		checkYCC(t, sp.name+": FrameBGRTo", dst, im, sp.cs)
		if d, _ := dst.DataPtrUint8(); &d[0] != first {
			t.Errorf("%s: FrameBGRTo reallocated its destination", sp.name)
		}
		if sp.name == "own" {
			viaReq, err := BGR(r, picam.Main)
			if err != nil {
				t.Fatal(err)
			}
			checkYCC(t, "own: BGR", viaReq, im, sp.cs)
			viaReq.Close()
		}
	}

	// Conversions in parallel share the FrameMat's scratch in turn.
	relabel(fm, new(libcamera.ColorSpaceSycc))
	var wg sync.WaitGroup
	outs := make([]gocv.Mat, 4)
	for i := range outs {
		outs[i] = gocv.NewMat()
		defer outs[i].Close()
		wg.Go(func() {
			for range 5 {
				if err := fm.BGRTo(&outs[i]); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	for i, m := range outs {
		checkYCC(t, fmt.Sprintf("sYCC in goroutine %d", i), m, im, new(libcamera.ColorSpaceSycc))
	}

	// A colour space with no conversion: the view still works.
	relabel(fm, &picam.ColorSpace{Primaries: libcamera.PrimariesRec709, YcbcrEncoding: libcamera.YcbcrRec709, Range: 5})
	if _, err := fm.BGR(); !errors.Is(err, ErrColorSpace) {
		t.Errorf("BGR of an NV12 frame with an undefined range = %v, want ErrColorSpace", err)
	}
	if m, err := fm.Mat(); err != nil || m.Empty() {
		t.Errorf("Mat of an NV12 frame with an undefined range = %v", err)
	}
}
