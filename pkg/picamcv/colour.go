package picamcv

import (
	"fmt"
	"image"

	"github.com/picamgo/picamgo/internal/ycc"
	"github.com/picamgo/picamgo/libcamera"
	"github.com/picamgo/picamgo/pkg/picam"
	"gocv.io/x/gocv"
)

// ErrColorSpace is returned, wrapped, when a Y'CbCr frame's colour space has
// values libcamera does not define. It matches [picam.ErrUnsupported] too.
var ErrColorSpace = fmt.Errorf("picamcv: colour space not supported: %w", picam.ErrUnsupported)

// sampling is how a Y'CbCr layout places its chroma.
type sampling uint8

const (
	notYCbCr sampling = iota // RGB: no matrix
	nv12                     // 4:2:0, CbCr interleaved
	nv21                     // 4:2:0, CrCb interleaved
	i420                     // 4:2:0, Cb then Cr planes
	yv12                     // 4:2:0, Cr then Cb planes
	yuyv                     // 4:2:2, Y0 Cb Y1 Cr
)

// ycbcr says how a frame's Y'CbCr samples become B, G, R: OpenCV's own
// conversion, which is BT.601 limited range, or matrix m. err, if not nil,
// says why neither applies.
type ycbcr struct {
	opencv bool
	m      [12]float32 // rows B, G, R; columns Y', Cb, Cr, 1
	err    error
}

// ycbcrOf returns the conversion for a frame in layout l.
func ycbcrOf(f picam.Frame, l layout) ycbcr {
	cs := f.ColorSpace
	if l.sampling == notYCbCr || cs == nil {
		return ycbcr{opencv: true}
	}
	e, err := ycc.Of(*cs)
	if err != nil {
		return ycbcr{err: fmt.Errorf("picamcv: %v: %w: %w", f, err, ErrColorSpace)}
	}
	if e.Matrix == libcamera.YcbcrRec601 && !e.Full() {
		return ycbcr{opencv: true} // OpenCV's own, whatever the primaries
	}
	ky, rCr, gCb, gCr, bCb := e.Coefficients()
	gCb, gCr = -gCb, -gCr
	y0 := e.Y0
	row := func(cb, cr float64) [4]float32 {
		return [4]float32{float32(ky), float32(cb), float32(cr), float32(-ky*y0 - 128*(cb+cr))}
	}
	var c ycbcr
	for i, r := range [3][4]float32{row(bCb, 0), row(gCb, gCr), row(0, rCr)} {
		copy(c.m[4*i:], r[:])
	}
	return c
}

// scratch is what the matrix path keeps between conversions: the frame as
// 4:4:4 Y'CbCr, chroma planes split from interleaved layouts, luma for YUYV,
// and the matrix as a Mat. The zero value is ready; close frees it.
type scratch struct {
	made        bool
	ycc, cb, cr gocv.Mat
	y, tm       gocv.Mat
	tmOf        [12]float32
	tmSet       bool
}

func (s *scratch) init() {
	if s.made {
		return
	}
	s.ycc, s.cb, s.cr, s.y = gocv.NewMat(), gocv.NewMat(), gocv.NewMat(), gocv.NewMat()
	s.tm = gocv.NewMatWithSize(3, 4, gocv.MatTypeCV32F)
	s.made = true
}

func (s *scratch) close() {
	if !s.made {
		return
	}
	for _, m := range []*gocv.Mat{&s.ycc, &s.cb, &s.cr, &s.y, &s.tm} {
		m.Close()
	}
	*s = scratch{}
}

// toBGR converts a Y'CbCr view of layout l into dst with matrix m. The
// frame is first made 4:4:4 in s.ycc, each chroma sample repeated over the
// pixels it covers as OpenCV's own conversions do, then cv::transform
// applies the matrix, saturating to 0-255. Only OpenCV operations that
// allocate nothing in Go are used (gocv's Merge and MixChannels do).
func (s *scratch) toBGR(view gocv.Mat, l layout, m *[12]float32, dst *gocv.Mat) {
	s.init()
	w, h := l.w, l.h
	// Headers made here, closed at the end: the data stays the view's or
	// the scratch's.
	var tmp [10]gocv.Mat
	nt := 0
	hold := func(x gocv.Mat) gocv.Mat { tmp[nt] = x; nt++; return x }
	var cb, cr gocv.Mat // one sample a pixel pair: w/2 columns
	var dsts [2]gocv.Mat
	nd := 0
	switch l.sampling {
	case nv12, nv21, i420, yv12:
		y := hold(view.Region(image.Rect(0, 0, w, h)))
		gocv.CvtColor(y, &s.ycc, gocv.ColorGrayToBGR) // Y' in every channel for now
		if l.sampling == nv12 || l.sampling == nv21 {
			c := hold(view.Region(image.Rect(0, h, w, h*3/2)))
			c2 := hold(c.Reshape(2, 0))
			gocv.ExtractChannel(c2, &s.cb, 0)
			gocv.ExtractChannel(c2, &s.cr, 1)
			cb, cr = s.cb, s.cr
		} else {
			// OpenCV's I420 layout is one continuous Mat whose chroma
			// planes need not start on one of its rows.
			flat := hold(view.Reshape(1, 1))
			n := w * h / 4
			p1 := hold(flat.Region(image.Rect(w*h, 0, w*h+n, 1)))
			p2 := hold(flat.Region(image.Rect(w*h+n, 0, w*h+2*n, 1)))
			cb, cr = hold(p1.Reshape(1, h/2)), hold(p2.Reshape(1, h/2))
		}
		if l.sampling == nv21 || l.sampling == yv12 {
			cb, cr = cr, cb
		}
		// A row of pixel pairs is two lines of the image: its first w/2
		// pairs are the even line, the next w/2 the odd one.
		pairs := hold(s.ycc.Reshape(6, h/2))
		dsts[0] = hold(pairs.Region(image.Rect(0, 0, w/2, h/2)))
		dsts[1] = hold(pairs.Region(image.Rect(w/2, 0, w, h/2)))
		nd = 2
	case yuyv:
		gocv.CvtColor(view, &s.y, gocv.ColorYUVToGRAYYUY2)
		gocv.CvtColor(s.y, &s.ycc, gocv.ColorGrayToBGR)
		quads := hold(view.Reshape(4, 0)) // Y0 Cb Y1 Cr
		gocv.ExtractChannel(quads, &s.cb, 1)
		gocv.ExtractChannel(quads, &s.cr, 3)
		cb, cr = s.cb, s.cr
		dsts[0] = hold(s.ycc.Reshape(6, 0))
		nd = 1
	}
	for i := range nd {
		gocv.InsertChannel(cb, &dsts[i], 1)
		gocv.InsertChannel(cb, &dsts[i], 4)
		gocv.InsertChannel(cr, &dsts[i], 2)
		gocv.InsertChannel(cr, &dsts[i], 5)
	}
	for i := range nt {
		tmp[i].Close()
	}
	if !s.tmSet || s.tmOf != *m {
		for i, v := range m {
			s.tm.SetFloatAt(i/4, i%4, v)
		}
		s.tmOf, s.tmSet = *m, true
	}
	gocv.Transform(s.ycc, dst, s.tm)
}
