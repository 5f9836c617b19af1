package picamcv

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/picamgo/picamgo/internal/callsite"
	"github.com/picamgo/picamgo/pkg/picam"
	"gocv.io/x/gocv"
)

// ErrClosed is returned by a [FrameMat]'s methods after its Close.
var ErrClosed = errors.New("picamcv: FrameMat is closed")

// FrameMat is one stream of a captured frame as a gocv.Mat over the
// camera's buffer, without a copy. It holds its own reference on the
// request (see [picam.CompletedRequest.Acquire]), so the buffer stays the
// frame's until [FrameMat.Close], whatever happens to the request it was
// made from: released, or its camera closed.
//
// The Mat it lends ([FrameMat.Mat]) belongs to the FrameMat: do not Close
// it, and do not use it, nor any Mat sharing its data (a Region, a
// Reshape), after Close. Keep the FrameMat reachable while the Mat is in
// use, typically with defer fm.Close(). [FrameMat.BGR] gives a copy that
// outlives it.
//
// A FrameMat may be used from several goroutines; Close waits for
// conversions in progress. Conversions by a matrix (see Colours in the
// package doc) take turns with the scratch Mats the FrameMat keeps for them.
type FrameMat struct {
	s       *state
	cleanup runtime.Cleanup
}

// state is a FrameMat's state, apart so that the cleanup detecting a leak
// reaches it without keeping the FrameMat alive.
type state struct {
	mu     sync.RWMutex
	closed bool
	req    *picam.CompletedRequest // our own handle
	frame  picam.Frame
	lay    layout
	view   gocv.Mat
	copied bool
	yc     ycbcr // decided once: the frame's colour space is fixed
	// The matrix path's scratch, reused by every conversion of the frame.
	scrMu sync.Mutex
	scr   scratch
	npc   int
	pcs   [16]uintptr
}

// NewFrameMat makes a Mat view of one stream of a held request. The
// request stays the caller's to release (right away, if it only wanted the
// Mat): the FrameMat holds a reference of its own until Close.
//
// The Mat has OpenCV's layout for the format, rows stride bytes apart:
//   - NV12, NV21: CV_8UC1, height*3/2 rows of width (Y, then interleaved
//     chroma), as for [gocv.ColorYUVToBGRNV12]; rows 0 to height-1 are the
//     grey image
//   - YUV420, YVU420: CV_8UC1, height*3/2 rows of width (I420, YV12)
//   - YUYV: CV_8UC2
//   - RGB888 (B, G, R in memory: OpenCV's BGR), BGR888 (R, G, B): CV_8UC3
//   - XRGB8888 (B, G, R, X), XBGR8888 (R, G, B, X): CV_8UC4
//
// Widths and heights of the YUV 4:2:0 formats must be even. When the
// planes of a multi-planar format do not follow each other in memory as
// OpenCV expects, or the stride of YUV420 exceeds its width, the Mat is a
// copy made once here, and [FrameMat.ZeroCopy] reports false. The
// virtual camera and the Raspberry Pi's single-plane buffers need no copy.
// MJPEG and raw formats have no view ([picam.ErrUnsupported]); [BGR]
// decodes MJPEG. The view is the frame's samples whatever its colour
// space, which only the conversions to BGR use.
func NewFrameMat(r *picam.CompletedRequest, stream picam.StreamName) (*FrameMat, error) {
	h := r.Acquire()
	if h.Released() {
		return nil, fmt.Errorf("picamcv: new FrameMat: %w", picam.ErrReleased)
	}
	st, err := newState(h, stream)
	if err != nil {
		h.Release()
		return nil, err
	}
	st.npc = runtime.Callers(2, st.pcs[:])
	m := &FrameMat{s: st}
	m.cleanup = runtime.AddCleanup(m, leaked, st)
	return m, nil
}

func newState(h *picam.CompletedRequest, stream picam.StreamName) (*state, error) {
	f, err := h.Frame(stream)
	if err != nil {
		return nil, err
	}
	l, err := layoutOf(f)
	if err != nil {
		return nil, err
	}
	view, copied, err := newView(f, l, true)
	if err != nil {
		return nil, err
	}
	return &state{req: h, frame: f, lay: l, view: view, copied: copied, yc: ycbcrOf(f, l)}, nil
}

// Mat returns the view: no copy, valid until Close, owned by the FrameMat
// (do not Close it). After Close it returns an error matching [ErrClosed].
func (m *FrameMat) Mat() (gocv.Mat, error) {
	st, err := m.rlock("mat")
	if err != nil {
		return gocv.Mat{}, err
	}
	defer st.mu.RUnlock()
	return st.view, nil
}

// Frame returns the frame the Mat is a view of: its format, size and
// stride, and its planes, valid until Close.
func (m *FrameMat) Frame() (picam.Frame, error) {
	st, err := m.rlock("frame")
	if err != nil {
		return picam.Frame{}, err
	}
	defer st.mu.RUnlock()
	return st.frame, nil
}

// ZeroCopy reports whether the Mat is the camera's buffer itself (true) or
// a copy NewFrameMat had to make.
func (m *FrameMat) ZeroCopy() bool {
	st, err := m.rlock("zero copy")
	if err != nil {
		return false
	}
	defer st.mu.RUnlock()
	return !st.copied
}

// BGR returns a new Mat (CV_8UC3) with the frame converted to BGR in its
// colour space, which is the caller's to Close and outlives the FrameMat.
// A colour space with no conversion gives an error matching
// [ErrColorSpace].
func (m *FrameMat) BGR() (gocv.Mat, error) {
	dst := gocv.NewMat()
	if err := m.BGRTo(&dst); err != nil {
		dst.Close()
		return gocv.Mat{}, err
	}
	return dst, nil
}

// BGRTo converts the frame to BGR into dst, a Mat made with gocv.NewMat
// (or a previous result), reallocated only if its size or type differ: a
// loop converting every frame into one Mat allocates nothing in Go. The
// matrix path's scratch Mats are the FrameMat's, made at its first
// conversion and freed at Close. A colour space with no conversion gives an
// error matching [ErrColorSpace].
func (m *FrameMat) BGRTo(dst *gocv.Mat) error {
	if err := checkDst(dst); err != nil {
		return err
	}
	st, err := m.rlock("bgr")
	if err != nil {
		return err
	}
	defer st.mu.RUnlock()
	if st.yc.err != nil || st.yc.opencv {
		return convert(st.view, st.lay, &st.yc, nil, dst)
	}
	st.scrMu.Lock()
	defer st.scrMu.Unlock()
	return convert(st.view, st.lay, &st.yc, &st.scr, dst)
}

func (m *FrameMat) rlock(op string) (*state, error) {
	if m == nil || m.s == nil {
		return nil, fmt.Errorf("picamcv: %s of a nil FrameMat: %w", op, picam.ErrInvalid)
	}
	st := m.s
	st.mu.RLock()
	if st.closed {
		st.mu.RUnlock()
		return nil, fmt.Errorf("picamcv: %s: %w", op, ErrClosed)
	}
	return st, nil
}

// Close frees the view and releases the FrameMat's reference on the
// request. Closing again returns an error matching [ErrClosed]; closing
// after the camera was closed returns picam's error matching
// [picam.ErrClosed]. Both are harmless.
func (m *FrameMat) Close() error {
	if m == nil || m.s == nil {
		return nil
	}
	m.cleanup.Stop()
	return m.s.close()
}

func (st *state) close() error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.closed {
		return fmt.Errorf("picamcv: close: %w", ErrClosed)
	}
	st.closed = true
	st.view.Close()
	st.scr.close()
	st.frame = picam.Frame{}
	err := st.req.Release()
	st.req = nil
	return err
}

// BGR converts one stream of a held request to a new BGR Mat (CV_8UC3),
// the caller's to Close: a copy, made without taking a reference on the
// request. Y'CbCr frames are converted in their colour space, with an error
// matching [ErrColorSpace] for one with no conversion; MJPEG frames are
// decoded.
func BGR(r *picam.CompletedRequest, stream picam.StreamName) (gocv.Mat, error) {
	dst := gocv.NewMat()
	if err := BGRTo(r, stream, &dst); err != nil {
		dst.Close()
		return gocv.Mat{}, err
	}
	return dst, nil
}

// BGRTo is [BGR] into dst, a Mat made with gocv.NewMat, reallocated only
// if its size or type differ. Frames converted by a matrix need scratch
// Mats, made for each call: [FrameMat.BGRTo] reuses its own.
func BGRTo(r *picam.CompletedRequest, stream picam.StreamName, dst *gocv.Mat) error {
	f, err := r.Frame(stream)
	if err != nil {
		return err
	}
	err = frameBGRTo(f, dst, true)
	runtime.KeepAlive(r) // the frame is r's until this returns
	return err
}

// FrameBGR converts any frame to a new BGR Mat (CV_8UC3), the caller's to
// Close: a view from [picam.CompletedRequest.Frame] while its request is
// held, or a copy of a frame such as [picam.Camera.CaptureFrame] returns.
// Y'CbCr frames are converted in f.ColorSpace, as [BGR] does.
// A view of a held request (f.Mapped) is read in place; frames in Go
// memory are pinned while OpenCV reads them, and the planes of a
// multi-planar one are gathered into one Mat first.
func FrameBGR(f picam.Frame) (gocv.Mat, error) {
	dst := gocv.NewMat()
	if err := frameBGRTo(f, &dst, f.Mapped); err != nil {
		dst.Close()
		return gocv.Mat{}, err
	}
	return dst, nil
}

// FrameBGRTo is [FrameBGR] into dst, a Mat made with gocv.NewMat,
// reallocated only if its size or type differ. It converts in f.ColorSpace,
// which the caller may set: for a camera whose label is wrong, or frames
// from elsewhere. A view of a held request (f.Mapped) is read in place, as
// [BGRTo] does. As with [BGRTo], a matrix conversion makes scratch Mats for
// each call.
func FrameBGRTo(f picam.Frame, dst *gocv.Mat) error {
	return frameBGRTo(f, dst, f.Mapped)
}

// Leak detection, as picam's for requests.

var (
	logger atomic.Pointer[slog.Logger]
	leaks  atomic.Uint64
)

// SetLogger sets where a FrameMat found unclosed by the garbage collector
// is reported (nil: slog.Default()).
func SetLogger(l *slog.Logger) { logger.Store(l) }

// Leaked returns how many FrameMats the garbage collector found unclosed.
func Leaked() uint64 { return leaks.Load() }

// leaked runs when a FrameMat became unreachable without Close: it frees
// the view and gives the buffer back, so that a forgotten Close cannot hold
// one of the camera's few buffers forever.
func leaked(st *state) {
	st.mu.RLock()
	closed, f := st.closed, st.frame
	st.mu.RUnlock()
	if closed {
		return
	}
	leaks.Add(1)
	l := logger.Load()
	if l == nil {
		l = slog.Default()
	}
	l.Warn("picamcv: a FrameMat was never closed; releasing its frame",
		"frame", f.String(), "created_at", callSite(st.pcs[:st.npc]))
	st.close()
}

// callSite describes where a FrameMat was made: the first three callers
// outside this package, innermost first.
func callSite(pcs []uintptr) string {
	return callsite.Describe(pcs, "github.com/picamgo/picamgo/pkg/picamcv")
}
