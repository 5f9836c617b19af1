package picamcv

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/picamgo/picamgo/libcamera"
	"github.com/picamgo/picamgo/pkg/picam"
	"gocv.io/x/gocv"
)

var vga = picam.Size{Width: 640, Height: 480}

// TestZeroCopy proves the Mat is the camera's buffer: its data pointer is
// the frame's first plane, the chroma rows are the second plane, and a byte
// written through the frame is read through the Mat.
func TestZeroCopy(t *testing.T) {
	c := startCamera(t, vga)
	r := capture(t, c)
	defer r.Release()
	f, err := r.Frame(picam.Main)
	if err != nil {
		t.Fatal(err)
	}
	fm, err := NewFrameMat(r, picam.Main)
	if err != nil {
		t.Fatal(err)
	}
	defer fm.Close()
	w, h, s := int(f.Size.Width), int(f.Size.Height), f.Stride
	t.Logf("frame %v: %d planes of %v bytes, plane 1 at plane 0 + %d", f, len(f.Planes), planeLens(f),
		uintptr(unsafe.Pointer(&f.Planes[1][0]))-uintptr(unsafe.Pointer(&f.Planes[0][0])))
	if !fm.ZeroCopy() {
		t.Fatalf("ZeroCopy() = false for %v", f)
	}
	m, err := fm.Mat()
	if err != nil {
		t.Fatal(err)
	}
	if m.Type() != gocv.MatTypeCV8UC1 || m.Rows() != h*3/2 || m.Cols() != w || m.Step() != s {
		t.Fatalf("Mat %v %dx%d step %d, want CV8UC1 %d rows, %d cols, step %d", m.Type(), m.Rows(), m.Cols(), m.Step(), h*3/2, w, s)
	}
	data, err := m.DataPtrUint8()
	if err != nil {
		t.Fatal(err)
	}
	if len(data) != s*h*3/2 {
		t.Errorf("Mat data has %d bytes, want %d", len(data), s*h*3/2)
	}
	if &data[0] != &f.Planes[0][0] {
		t.Errorf("Mat data at %p, frame's Y plane at %p: not the same memory", &data[0], &f.Planes[0][0])
	}
	if len(f.Planes) > 1 && &data[s*h] != &f.Planes[1][0] {
		t.Errorf("Mat chroma rows at %p, frame's CbCr plane at %p", &data[s*h], &f.Planes[1][0])
	}
	// Write through the frame, read through the Mat (and back).
	y0, uv0 := f.Planes[0][5], f.Planes[1][7]
	f.Planes[0][5], f.Planes[1][7] = ^y0, ^uv0
	gy, guv := m.GetUCharAt(0, 5), m.GetUCharAt(h, 7)
	f.Planes[0][5], f.Planes[1][7] = y0, uv0
	if gy != ^y0 || guv != ^uv0 {
		t.Errorf("wrote %d, %d into the frame, read %d, %d through the Mat", ^y0, ^uv0, gy, guv)
	}
	// The first h rows are the grey image: a region, still no copy.
	grey := m.Region(imageRect(w, h))
	defer grey.Close()
	if p := grey.GetUCharAt(3, 4); p != f.Planes[0][3*s+4] {
		t.Errorf("grey region (3,4) = %d, Y plane %d", p, f.Planes[0][3*s+4])
	}
}

func planeLens(f picam.Frame) []int {
	var n []int
	for _, p := range f.Planes {
		n = append(n, len(p))
	}
	return n
}

// TestBGRBars converts frames of the bars camera every way there is and
// checks the colours of the bars, and that every way gives the same image.
func TestBGRBars(t *testing.T) {
	c := startCamera(t, vga)
	for range 5 {
		r := capture(t, c)
		seq := r.Sequence()
		fm, err := NewFrameMat(r, picam.Main)
		if err != nil {
			t.Fatal(err)
		}
		f, err := r.Frame(picam.Main)
		if err != nil {
			t.Fatal(err)
		}
		owned := f.Clone() // Go memory, two planes: FrameBGR pins and copies
		viaFM, err := fm.BGR()
		if err != nil {
			t.Fatal(err)
		}
		viaReq, err := BGR(r, picam.Main)
		if err != nil {
			t.Fatal(err)
		}
		viaFrame, err := FrameBGR(f)
		if err != nil {
			t.Fatal(err)
		}
		viaCopy, err := FrameBGR(owned)
		if err != nil {
			t.Fatal(err)
		}
		checkBars(t, "FrameMat.BGR", viaFM, seq)
		// The check sees the scroll: two columns off fails.
		if want := barsAs(barsSpace); len(barsErrs(viaFM, seq+2, want)) == 0 || len(barsErrs(viaFM, seq-2, want)) == 0 {
			t.Errorf("frame %d passes the bars check for frames %d and %d too", seq, seq+2, seq-2)
		}
		// Labelled as what it is, the frame has the bars' own colours.
		truth := f
		truth.ColorSpace = new(libcamera.ColorSpaceSmpte170m)
		viaTruth, err := FrameBGR(truth)
		if err != nil {
			t.Fatal(err)
		}
		checkBarsAs(t, "FrameBGR as SMPTE170M", viaTruth, seq, truth.ColorSpace)
		viaTruth.Close()
		want := viaFM.ToBytes()
		for _, got := range []struct {
			what string
			m    gocv.Mat
		}{{"BGR", viaReq}, {"FrameBGR(view)", viaFrame}, {"FrameBGR(clone)", viaCopy}} {
			if got.m.Rows() != 480 || got.m.Cols() != 640 || !bytes.Equal(got.m.ToBytes(), want) {
				t.Errorf("%s differs from FrameMat.BGR", got.what)
			}
			got.m.Close()
		}
		viaFM.Close()
		if err := fm.Close(); err != nil {
			t.Error(err)
		}
		r.Release()
	}
}

// TestBGRToReuses converts into one Mat: no reallocation.
func TestBGRToReuses(t *testing.T) {
	c := startCamera(t, vga)
	dst := gocv.NewMat()
	defer dst.Close()
	var first *uint8
	for i := range 3 {
		r := capture(t, c)
		seq := r.Sequence()
		fm, err := NewFrameMat(r, picam.Main)
		r.Release()
		if err != nil {
			t.Fatal(err)
		}
		if err := fm.BGRTo(&dst); err != nil {
			t.Fatal(err)
		}
		if err := fm.Close(); err != nil {
			t.Error(err)
		}
		checkBars(t, "BGRTo", dst, seq)
		d, _ := dst.DataPtrUint8()
		if i == 0 {
			first = &d[0]
		} else if &d[0] != first {
			t.Errorf("BGRTo reallocated its destination")
		}
	}
	var nilMat gocv.Mat
	r := capture(t, c)
	defer r.Release()
	if err := BGRTo(r, picam.Main, &nilMat); !errors.Is(err, picam.ErrInvalid) {
		t.Errorf("BGRTo(zero Mat) = %v, want ErrInvalid", err)
	}
}

func TestLifetime(t *testing.T) {
	c := startCamera(t, vga)
	r := capture(t, c)
	seq := r.Sequence()
	fm, err := NewFrameMat(r, picam.Main)
	if err != nil {
		t.Fatal(err)
	}
	// The request's own handle is not the FrameMat's.
	if err := r.Release(); err != nil {
		t.Fatal(err)
	}
	if _, err := NewFrameMat(r, picam.Main); !errors.Is(err, picam.ErrReleased) {
		t.Errorf("NewFrameMat(released request) = %v, want ErrReleased", err)
	}
	if _, err := BGR(r, picam.Main); !errors.Is(err, picam.ErrReleased) {
		t.Errorf("BGR(released request) = %v, want ErrReleased", err)
	}
	// Frames go on; the FrameMat's frame stays its own.
	for range 8 {
		capture(t, c).Release()
	}
	bgr, err := fm.BGR()
	if err != nil {
		t.Fatal(err)
	}
	checkBars(t, "BGR after the request's release and 8 more frames", bgr, seq)
	bgr.Close()

	if err := fm.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := fm.Close(); !errors.Is(err, ErrClosed) {
		t.Errorf("second Close = %v, want ErrClosed", err)
	}
	if m, err := fm.Mat(); !errors.Is(err, ErrClosed) || !m.Closed() {
		t.Errorf("Mat after Close = %v (closed %v), want ErrClosed", err, m.Closed())
	}
	if _, err := fm.BGR(); !errors.Is(err, ErrClosed) {
		t.Errorf("BGR after Close = %v, want ErrClosed", err)
	}
	dst := gocv.NewMat()
	defer dst.Close()
	if err := fm.BGRTo(&dst); !errors.Is(err, ErrClosed) {
		t.Errorf("BGRTo after Close = %v, want ErrClosed", err)
	}
	if _, err := fm.Frame(); !errors.Is(err, ErrClosed) {
		t.Errorf("Frame after Close = %v, want ErrClosed", err)
	}
	if fm.ZeroCopy() {
		t.Errorf("ZeroCopy after Close = true")
	}
	var nilFM *FrameMat
	if err := nilFM.Close(); err != nil {
		t.Errorf("nil Close = %v", err)
	}
	if _, err := nilFM.Mat(); !errors.Is(err, picam.ErrInvalid) {
		t.Errorf("nil Mat = %v", err)
	}
}

// TestHoldsBuffers: FrameMats hold the camera's buffers until Close.
func TestHoldsBuffers(t *testing.T) {
	c := startCamera(t, vga)
	cfg, err := c.Configuration()
	if err != nil {
		t.Fatal(err)
	}
	n := cfg.BufferCount
	if n < 1 {
		t.Fatalf("BufferCount %d", n)
	}
	var fms []*FrameMat
	var seqs []uint32
	for range n {
		r := capture(t, c)
		seqs = append(seqs, r.Sequence())
		fm, err := NewFrameMat(r, picam.Main)
		r.Release()
		if err != nil {
			t.Fatal(err)
		}
		fms = append(fms, fm)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if r, err := c.CaptureRequest(ctx); err == nil {
		r.Release()
		t.Fatalf("captured a frame while %d FrameMats hold the %d buffers", n, n)
	} else if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("CaptureRequest while every buffer is held = %v, want the context's deadline", err)
	}
	for i, fm := range fms {
		// Each still has its own frame, not a later one.
		bgr, err := fm.BGR()
		if err != nil {
			t.Fatal(err)
		}
		checkBars(t, "held FrameMat", bgr, seqs[i])
		bgr.Close()
		if err := fm.Close(); err != nil {
			t.Error(err)
		}
	}
	last := seqs[n-1]
	for range 5 {
		r := capture(t, c)
		if r.Sequence() <= last {
			t.Errorf("frame %d after frame %d", r.Sequence(), last)
		}
		last = r.Sequence()
		r.Release()
	}
}

// TestCameraClosed: a FrameMat outlives its camera until Close, which then
// reports picam's ErrClosed.
func TestCameraClosed(t *testing.T) {
	c := startCamera(t, vga)
	r := capture(t, c)
	seq := r.Sequence()
	fm, err := NewFrameMat(r, picam.Main)
	r.Release()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	bgr, err := fm.BGR()
	if err != nil {
		t.Fatal(err)
	}
	checkBars(t, "BGR after the camera's Close", bgr, seq)
	bgr.Close()
	if err := fm.Close(); !errors.Is(err, picam.ErrClosed) {
		t.Errorf("Close after the camera's Close = %v, want picam.ErrClosed", err)
	}
}

// leakFrameMats makes n FrameMats and drops them unclosed.
func leakFrameMats(t *testing.T, c *picam.Camera, n int) {
	for range n {
		r := capture(t, c)
		fm, err := NewFrameMat(r, picam.Main)
		r.Release()
		if err != nil {
			t.Fatal(err)
		}
		if m, err := fm.Mat(); err != nil || m.Empty() {
			t.Fatal(err)
		}
	}
}

func TestLeakedFrameMatRecovered(t *testing.T) {
	lb := &logBuffer{}
	SetLogger(newLogger(lb))
	defer SetLogger(nil)
	c := startCamera(t, vga)
	before := Leaked()
	leakFrameMats(t, c, 4) // every buffer the camera has
	deadline := time.Now().Add(10 * time.Second)
	for Leaked() < before+4 {
		if time.Now().After(deadline) {
			t.Fatalf("leaked FrameMats not recovered: %d of 4", Leaked()-before)
		}
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
	}
	log := lb.String()
	if strings.Count(log, "never closed") != 4 || !strings.Contains(log, "picamcv_test.go") || !strings.Contains(log, "leakFrameMats") {
		t.Errorf("leak log does not name the site:\n%s", log)
	}
	// The buffers are back: capture goes on.
	for range 10 {
		capture(t, c).Release()
	}
	if st := c.Stats(); st.Leaked != 0 || st.Stalls != 0 {
		t.Errorf("camera stats %+v: picam saw a leak or stall", st)
	}
}

// TestNoLeaks: fds, mappings, goroutines (and gocv Mats with -tags
// matprofile) come back after cameras, frames and conversions.
func TestNoLeaks(t *testing.T) {
	done := checkLeaks(t)
	func() {
		c := startCamera(t, vga)
		dst := gocv.NewMat()
		defer dst.Close()
		for range 30 {
			r := capture(t, c)
			fm, err := NewFrameMat(r, picam.Main)
			if err != nil {
				t.Fatal(err)
			}
			if err := fm.BGRTo(&dst); err != nil {
				t.Fatal(err)
			}
			m, err := BGR(r, picam.Main)
			if err != nil {
				t.Fatal(err)
			}
			checkBars(t, "BGRTo", dst, r.Sequence())
			checkBars(t, "BGR", m, r.Sequence())
			m.Close()
			r.Release()
			if err := fm.Close(); err != nil {
				t.Error(err)
			}
		}
		c.Close()
	}()
	done()
	t.Logf("Mats open: %d (-1: build with -tags matprofile to count)", matCount())
}

func TestErrors(t *testing.T) {
	c := startCamera(t, vga)
	r := capture(t, c)
	defer r.Release()
	if _, err := NewFrameMat(r, picam.Lores); !errors.Is(err, picam.ErrInvalid) {
		t.Errorf("NewFrameMat(no lores) = %v, want ErrInvalid", err)
	}
	if _, err := NewFrameMat(nil, picam.Main); !errors.Is(err, picam.ErrReleased) {
		t.Errorf("NewFrameMat(nil) = %v, want ErrReleased", err)
	}
	if m, err := BGR(nil, picam.Main); err == nil || !m.Closed() {
		t.Errorf("BGR(nil request) = %v (Mat closed %v), want an error and no Mat", err, m.Closed())
	}
	if m, err := BGR(r, picam.Lores); !errors.Is(err, picam.ErrInvalid) || !m.Closed() {
		t.Errorf("BGR(no lores) = %v (Mat closed %v), want ErrInvalid", err, m.Closed())
	}
	if err := BGRTo(r, picam.Main, nil); !errors.Is(err, picam.ErrInvalid) {
		t.Errorf("BGRTo(nil Mat) = %v, want ErrInvalid", err)
	}
	closed := gocv.NewMat()
	closed.Close()
	if err := BGRTo(r, picam.Main, &closed); !errors.Is(err, picam.ErrInvalid) {
		t.Errorf("BGRTo(closed Mat) = %v, want ErrInvalid", err)
	}
	if m, err := FrameBGR(picam.Frame{}); !errors.Is(err, picam.ErrInvalid) || !m.Closed() {
		t.Errorf("FrameBGR(zero Frame) = %v (Mat closed %v), want ErrInvalid", err, m.Closed())
	}
	// A nil FrameMat: errors, no panic.
	var nilFM *FrameMat
	if _, err := nilFM.BGR(); !errors.Is(err, picam.ErrInvalid) {
		t.Errorf("nil BGR = %v, want ErrInvalid", err)
	}
	if _, err := nilFM.Frame(); !errors.Is(err, picam.ErrInvalid) {
		t.Errorf("nil Frame = %v, want ErrInvalid", err)
	}
	if nilFM.ZeroCopy() {
		t.Error("nil ZeroCopy = true")
	}
	var zeroFM FrameMat
	if _, err := zeroFM.Mat(); !errors.Is(err, picam.ErrInvalid) {
		t.Errorf("zero FrameMat's Mat = %v, want ErrInvalid", err)
	}
	if err := zeroFM.Close(); err != nil {
		t.Errorf("zero FrameMat's Close = %v", err)
	}
}
