package picamcv

import (
	"fmt"
	"image"
	"runtime"
	"unsafe"

	"github.com/picamgo/picamgo/pkg/picam"
	"gocv.io/x/gocv"
)

// layout is how OpenCV sees a frame format: a Mat of rows lines, each of
// rowBytes bytes of pixels stride bytes apart, with elements of typ (cn
// 8-bit channels), made of the frame's planes (segs) one after the other.
type layout struct {
	typ      gocv.MatType
	cn       int
	rows     int
	rowBytes int
	stride   int
	segs     []segment
	// wrappable: OpenCV reads the planes, stride apart, as they are laid
	// out; otherwise (a layout OpenCV has no step for) they are copied.
	wrappable bool
	code      gocv.ColorConversionCode // to BGR, BT.601 limited range for Y'CbCr
	isBGR     bool                     // already BGR: converting copies
	sampling  sampling                 // of Y'CbCr layouts, for other matrices
	w, h      int                      // the frame's size in pixels
}

// segment is one plane as OpenCV expects it, right after the previous one:
// rows lines of rowLen bytes, pitch bytes apart.
type segment struct{ pitch, rowLen, rows int }

func (s segment) size() int { return s.pitch * s.rows }

// size is the bytes of the frame's planes the view covers.
func (l layout) size() int {
	n := 0
	for _, s := range l.segs {
		n += s.size()
	}
	return n
}

func (l layout) cols() int { return l.rowBytes / l.cn }

// layoutOf checks the frame's format, size and stride and returns its
// layout for OpenCV.
func layoutOf(f picam.Frame) (layout, error) {
	w, h, s := int(f.Size.Width), int(f.Size.Height), f.Stride
	if w <= 0 || h <= 0 {
		return layout{}, fmt.Errorf("picamcv: %v: empty frame: %w", f, picam.ErrInvalid)
	}
	l := layout{stride: s, wrappable: true, w: w, h: h}
	even := func() error {
		if w%2 != 0 || h%2 != 0 {
			return fmt.Errorf("picamcv: %v: OpenCV needs an even width and height for %v: %w", f, f.Format, picam.ErrUnsupported)
		}
		return nil
	}
	packed := func(cn int, code gocv.ColorConversionCode) {
		l.typ = map[int]gocv.MatType{2: gocv.MatTypeCV8UC2, 3: gocv.MatTypeCV8UC3, 4: gocv.MatTypeCV8UC4}[cn]
		l.cn, l.rows, l.rowBytes, l.code = cn, h, w*cn, code
		l.segs = []segment{{s, w * cn, h}}
	}
	switch f.Format {
	case picam.FormatNV12, picam.FormatNV21:
		if err := even(); err != nil {
			return layout{}, err
		}
		l.typ, l.cn, l.rows, l.rowBytes = gocv.MatTypeCV8UC1, 1, h*3/2, w
		l.segs = []segment{{s, w, h}, {s, w, h / 2}}
		l.code, l.sampling = gocv.ColorYUVToBGRNV12, nv12
		if f.Format == picam.FormatNV21 {
			l.code, l.sampling = gocv.ColorYUVToBGRNV21, nv21
		}
	case picam.FormatYUV420, picam.FormatYVU420:
		if err := even(); err != nil {
			return layout{}, err
		}
		if s%2 != 0 {
			return layout{}, fmt.Errorf("picamcv: %v: odd stride: %w", f, picam.ErrInvalid)
		}
		l.typ, l.cn, l.rows, l.rowBytes = gocv.MatTypeCV8UC1, 1, h*3/2, w
		l.segs = []segment{{s, w, h}, {s / 2, w / 2, h / 2}, {s / 2, w / 2, h / 2}}
		// OpenCV's I420/YV12 layout packs two chroma lines in each line of
		// the Mat, the second at column width/2: with a stride above the
		// width the chroma lines libcamera gives (stride/2 apart) differ.
		l.wrappable = s == w
		l.code, l.sampling = gocv.ColorYUVToBGRIYUV, i420
		if f.Format == picam.FormatYVU420 {
			l.code, l.sampling = gocv.ColorYUVToBGRYV12, yv12
		}
	case picam.FormatYUYV:
		if w%2 != 0 {
			return layout{}, fmt.Errorf("picamcv: %v: YUYV needs an even width: %w", f, picam.ErrInvalid)
		}
		packed(2, gocv.ColorYUVToBGRYUY2)
		l.sampling = yuyv
	case picam.FormatRGB888: // B, G, R in memory: OpenCV's BGR
		packed(3, 0)
		l.isBGR = true
	case picam.FormatBGR888: // R, G, B
		packed(3, gocv.ColorRGBToBGR)
	case picam.FormatXRGB8888: // B, G, R, X
		packed(4, gocv.ColorBGRAToBGR)
	case picam.FormatXBGR8888: // R, G, B, X
		packed(4, gocv.ColorRGBAToBGR)
	default:
		if f.Format == picam.FormatMJPEG {
			return layout{}, fmt.Errorf("picamcv: %v: no Mat view of compressed frames (BGR decodes them): %w", f, picam.ErrUnsupported)
		}
		return layout{}, fmt.Errorf("picamcv: no Mat view of %v: %w", f.Format, picam.ErrUnsupported)
	}
	if s < l.segs[0].rowLen {
		return layout{}, fmt.Errorf("picamcv: %v: stride %d below the %d bytes of a line: %w", f, s, l.segs[0].rowLen, picam.ErrInvalid)
	}
	return l, nil
}

// planes returns each segment's bytes (the frame's own planes, or
// consecutive parts of its single plane) and, when mapped, whether they
// follow each other in memory as OpenCV expects, starting at base.
//
// Only frames in mapped (non-Go) memory are tested for contiguity: two Go
// allocations that happen to be adjacent are still two objects.
func (l layout) planes(f picam.Frame, mapped bool) (segs [][]byte, base *byte, contiguous bool, err error) {
	if len(f.Planes) == 0 {
		return nil, nil, false, fmt.Errorf("picamcv: %v has no planes: %w", f, picam.ErrInvalid)
	}
	segs = make([][]byte, len(l.segs))
	if len(f.Planes) < len(l.segs) {
		all, off := f.Planes[0], 0
		if len(all) < l.size() {
			return nil, nil, false, fmt.Errorf("picamcv: %v has %d bytes, want %d: %w", f, len(all), l.size(), picam.ErrInvalid)
		}
		for i, s := range l.segs {
			segs[i] = all[off : off+s.size() : off+s.size()]
			off += s.size()
		}
		return segs, &all[0], true, nil
	}
	for i, s := range l.segs {
		if len(f.Planes[i]) < s.size() {
			return nil, nil, false, fmt.Errorf("picamcv: %v plane %d has %d bytes, want %d: %w", f, i, len(f.Planes[i]), s.size(), picam.ErrInvalid)
		}
		segs[i] = f.Planes[i][:s.size():s.size()]
	}
	if len(segs) == 1 {
		return segs, &segs[0][0], true, nil
	}
	if !mapped {
		return segs, nil, false, nil
	}
	// Compared as integers: the addresses are not Go pointers to one object.
	start, off := uintptr(unsafe.Pointer(&segs[0][0])), uintptr(0)
	for i, s := range l.segs {
		if uintptr(unsafe.Pointer(&segs[i][0])) != start+off {
			return segs, nil, false, nil
		}
		off += uintptr(s.size())
	}
	return segs, &segs[0][0], true, nil
}

// newView returns a Mat over the frame's memory, or, where OpenCV cannot
// describe its layout, a copy of it in a Mat of its own (copied). mapped
// says the planes are mapped buffers rather than Go memory; Go memory must
// be pinned for as long as the view is used.
func newView(f picam.Frame, l layout, mapped bool) (m gocv.Mat, copied bool, err error) {
	segs, base, contiguous, err := l.planes(f, mapped)
	if err != nil {
		return gocv.Mat{}, false, err
	}
	if contiguous && l.wrappable {
		m, err := wrap(unsafe.Slice(base, l.rows*l.stride), l)
		return m, false, err
	}
	m = gocv.NewMatWithSize(l.rows, l.cols(), l.typ)
	dst, err := m.DataPtrUint8()
	if err != nil {
		m.Close()
		return gocv.Mat{}, false, fmt.Errorf("picamcv: %v: %w", f, err)
	}
	o := 0
	for i, s := range l.segs {
		for r := range s.rows {
			o += copy(dst[o:o+s.rowLen], segs[i][r*s.pitch:r*s.pitch+s.rowLen])
		}
	}
	return m, true, nil
}

// wrap makes a Mat over data, rows lines of rowBytes bytes stride apart.
// gocv.NewMatFromBytes wraps (cv::Mat(rows, cols, type, data), no copy) but
// takes no step: a wider stride is a Mat of stride columns cropped to the
// line, a region that shares the data.
func wrap(data []byte, l layout) (gocv.Mat, error) {
	if l.stride == l.rowBytes {
		return gocv.NewMatFromBytes(l.rows, l.cols(), l.typ, data)
	}
	full, err := gocv.NewMatFromBytes(l.rows, l.stride, gocv.MatTypeCV8UC1, data)
	if err != nil {
		return gocv.Mat{}, err
	}
	m := full.Region(image.Rect(0, 0, l.rowBytes, l.rows))
	full.Close() // the data is not the Mat's: closing frees the header only
	if l.cn == 1 {
		return m, nil
	}
	px := m.Reshape(l.cn, 0) // channels, same rows, same step
	m.Close()
	return px, nil
}

// convert writes the view's pixels as BGR into dst, with OpenCV's own
// conversion where it is right for the frame's colour space (yc), else with
// yc's matrix and the scratch Mats of s.
func convert(view gocv.Mat, l layout, yc *ycbcr, s *scratch, dst *gocv.Mat) error {
	switch {
	case yc.err != nil:
		return yc.err
	case l.isBGR:
		view.CopyTo(dst)
	case yc.opencv:
		gocv.CvtColor(view, dst, l.code)
	default:
		s.toBGR(view, l, &yc.m, dst)
	}
	return nil
}

func checkDst(dst *gocv.Mat) error {
	if dst == nil || dst.Closed() {
		return fmt.Errorf("picamcv: destination Mat is nil or closed (make it with gocv.NewMat): %w", picam.ErrInvalid)
	}
	return nil
}

// frameBGRTo converts a frame into dst. Frames not in mapped memory are
// pinned while OpenCV reads them.
func frameBGRTo(f picam.Frame, dst *gocv.Mat, mapped bool) error {
	if err := checkDst(dst); err != nil {
		return err
	}
	var pin runtime.Pinner
	defer pin.Unpin()
	if !mapped {
		for _, p := range f.Planes {
			if len(p) > 0 {
				pin.Pin(&p[0])
			}
		}
	}
	if f.Format == picam.FormatMJPEG {
		if len(f.Planes) == 0 || len(f.Planes[0]) == 0 {
			return fmt.Errorf("picamcv: %v has no data: %w", f, picam.ErrInvalid)
		}
		if err := gocv.IMDecodeIntoMat(f.Planes[0], gocv.IMReadColor, dst); err != nil {
			return fmt.Errorf("picamcv: decode %v: %w", f, err)
		}
		if dst.Empty() {
			return fmt.Errorf("picamcv: decode %v: not a JPEG image: %w", f, picam.ErrInvalid)
		}
		return nil
	}
	l, err := layoutOf(f)
	if err != nil {
		return err
	}
	yc := ycbcrOf(f, l)
	if yc.err != nil {
		return yc.err
	}
	view, _, err := newView(f, l, mapped)
	if err != nil {
		return err
	}
	defer view.Close()
	var s scratch
	defer s.close()
	return convert(view, l, &yc, &s, dst)
}
