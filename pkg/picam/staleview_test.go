package picam

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Views of a frame used after Release: in the default mode they never
// crash (zeros once the buffer is freed, a later frame while the camera
// runs); in the checked mode (PICAMGO_CHECK=views) every checked accessor
// reports the use with the capture and release sites.

// viewSet is every kind of view Frame.Image returns, over one real mapped
// frame: its own NV12 view, and the same memory read as the other formats
// (the virtual camera gives NV12 only).
type viewSet struct {
	frames map[string]Frame
	images map[string]image.Image
}

// viewsOf builds the views of f, which must be a mapped NV12 frame of
// 640x480 (stride 640): NV12, NV21, YUV420 (image.YCbCr), YUYV, RGB888 and
// XBGR8888 (RGB).
func viewsOf(t *testing.T, f Frame) viewSet {
	t.Helper()
	if f.Format != FormatNV12 || f.Stride != 640 || len(f.Planes) != 2 || !f.Mapped {
		t.Fatalf("want a mapped 640-stride NV12 frame of 2 planes, got %v mapped=%v", f, f.Mapped)
	}
	y, uv := f.Planes[0], f.Planes[1]
	half := len(uv) / 2
	as := func(format PixelFormat, w int, planes ...[]byte) Frame {
		g := f
		g.Format, g.Size.Width, g.Planes = format, uint32(w), planes
		return g
	}
	vs := viewSet{frames: map[string]Frame{
		"NV12":     f,
		"NV21":     as(FormatNV21, 640, y, uv),
		"YUV420":   as(FormatYUV420, 640, y, uv[:half], uv[half:]),
		"YUYV":     as(FormatYUYV, 320, y),
		"RGB888":   as(FormatRGB888, 213, y),
		"XBGR8888": as(FormatXBGR8888, 160, y),
	}, images: map[string]image.Image{}}
	for name, g := range vs.frames {
		img, err := g.Image()
		if err != nil {
			t.Fatalf("%s Image: %v", name, err)
		}
		vs.images[name] = img
	}
	for name, want := range map[string]any{"NV12": &NV12{}, "YUV420": &image.YCbCr{}, "YUYV": &YUYV{}, "RGB888": &RGB{}} {
		if got := vs.images[name]; reflect.TypeOf(got) != reflect.TypeOf(want) {
			t.Fatalf("%s Image is %T, want %T", name, got, want)
		}
	}
	return vs
}

// pixelSum adds up every channel of every third pixel of every third line
// of img, through At (the planes' bytes are checked all).
func pixelSum(img image.Image) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			switch c := img.At(x, y).(type) {
			case color.YCbCr:
				n += int(c.Y) + int(c.Cb) + int(c.Cr)
			case color.RGBA:
				n += int(c.R) + int(c.G) + int(c.B)
			default:
				r, g, bl, _ := c.RGBA()
				n += int(r + g + bl)
			}
		}
	}
	return n
}

func byteSum(planes ...[]byte) int {
	n := 0
	for _, p := range planes {
		for _, v := range p {
			n += int(v)
		}
	}
	return n
}

// checkNonZero fails if a view shows nothing: the frame must be real.
func (vs viewSet) checkNonZero(t *testing.T) {
	t.Helper()
	for name, img := range vs.images {
		if pixelSum(img) == 0 {
			t.Fatalf("%s view of a captured frame is all zero", name)
		}
	}
}

// checkZero reads every view after its buffer is gone: all zero (RGB
// views are opaque black), and the copying calls work on them.
func (vs viewSet) checkZero(t *testing.T) {
	t.Helper()
	runtime.GC()
	for name, f := range vs.frames {
		if n := byteSum(f.Planes...); n != 0 {
			t.Errorf("%s planes sum to %d after the buffer was freed, want zeros", name, n)
		}
		c := f.Clone()
		if byteSum(c.Planes...) != 0 || c.Len() != f.Len() {
			t.Errorf("%s Clone of a freed buffer: %d bytes, sum %d", name, c.Len(), byteSum(c.Planes...))
		}
		if err := f.Encode(io.Discard, "png", 0); err != nil {
			t.Errorf("%s Encode: %v", name, err)
		}
		f.Planes[0][0] = 7 // writes go to private zero pages
		if f.Planes[0][0] != 7 {
			t.Errorf("%s: a write through a stale plane is lost", name)
		}
		f.Planes[0][0] = 0
	}
	for name, img := range vs.images {
		if n := pixelSum(img); n != 0 {
			t.Errorf("%s view sums to %d after the buffer was freed, want zeros", name, n)
		}
		if rgba := ToRGBA(img); rgba.Bounds() != img.Bounds() {
			t.Errorf("%s ToRGBA bounds %v", name, rgba.Bounds())
		}
	}
	if nv, ok := vs.images["NV12"].(*NV12); ok {
		if n := byteSum(nv.YCbCr().Cb); n != 0 {
			t.Errorf("NV12.YCbCr chroma of a freed buffer sums to %d", n)
		}
	}
}

// requestViews returns the views of r's main stream, checked to show a frame.
func requestViews(t *testing.T, r *CompletedRequest) viewSet {
	t.Helper()
	f, err := r.Frame(Main)
	if err != nil {
		t.Fatal(err)
	}
	vs := viewsOf(t, f)
	vs.checkNonZero(t)
	return vs
}

func captureViews(t *testing.T, c *Camera) (*CompletedRequest, viewSet) {
	t.Helper()
	r := capture(t, c)
	return r, requestViews(t, r)
}

func TestStaleViewAfterClose(t *testing.T) {
	withCheckedViews(t, false)
	done := checkLeaks(t)
	t.Run("ReleaseClose", func(t *testing.T) {
		c, _ := startCamera(t, barsID, Size{Width: 640, Height: 480}, startOpts{})
		r, vs := captureViews(t, c)
		r.Release()
		c.Close()
		vs.checkZero(t)
	})
	t.Run("CloseRelease", func(t *testing.T) {
		// Closed while the request is held; released afterwards.
		c, _ := startCamera(t, barsID, Size{Width: 640, Height: 480}, startOpts{})
		r, vs := captureViews(t, c)
		c.Close()
		if err := r.Release(); !errors.Is(err, ErrClosed) {
			t.Errorf("Release after Close: %v, want ErrClosed", err)
		}
		vs.checkZero(t)
	})
	t.Run("Stream", func(t *testing.T) {
		c, _ := startCamera(t, barsID, Size{Width: 640, Height: 480}, startOpts{})
		st, err := c.OpenFrameStream(ctxT(t), FrameStreamOptions{})
		if err != nil {
			t.Fatal(err)
		}
		r, err := st.Next(ctxT(t))
		if err != nil {
			t.Fatal(err)
		}
		vs := requestViews(t, r)
		r.Release()
		st.Close()
		c.Close()
		vs.checkZero(t)
	})
	t.Run("Frames", func(t *testing.T) {
		// The iterator releases each request after the loop body.
		c, _ := startCamera(t, barsID, Size{Width: 640, Height: 480}, startOpts{})
		var vs viewSet
		for r, err := range c.Frames(ctxT(t), FrameStreamOptions{}) {
			if err != nil {
				t.Fatal(err)
			}
			vs = requestViews(t, r)
			break
		}
		c.Close()
		vs.checkZero(t)
	})
	t.Run("SwitchMode", func(t *testing.T) {
		// The buffers are freed and others mapped, possibly at the freed
		// buffers' addresses (when they fit the ranges, which depends on
		// what earlier tests left): the views read zeros or the new
		// mode's frames, and never fault.
		c, _ := startCamera(t, barsID, Size{Width: 640, Height: 480}, startOpts{})
		r, vs := captureViews(t, c)
		r.Release()
		if _, err := c.SwitchMode(nv12Config(c, Size{Width: 1920, Height: 1080})); err != nil {
			t.Fatal(err)
		}
		capture(t, c).Release()
		for _, img := range vs.images {
			pixelSum(img)
		}
		for _, f := range vs.frames {
			byteSum(f.Planes...)
		}
		c.Close()
		vs.checkZero(t)
	})
	done()
}

// While the camera runs, a view read after Release shows whatever frame
// the buffer holds now: a later one. Documented, not checked by default.
func TestStaleViewWhileRunning(t *testing.T) {
	withCheckedViews(t, false)
	c, _ := startCamera(t, barsID, Size{Width: 640, Height: 480}, startOpts{})
	r1 := capture(t, c)
	f1, err := r1.Frame(Main)
	if err != nil {
		t.Fatal(err)
	}
	kept, seq1 := f1.Clone(), r1.Sequence()
	r1.Release()
	for range 200 {
		r2 := capture(t, c)
		f2, err := r2.Frame(Main)
		if err != nil {
			t.Fatal(err)
		}
		if &f2.Planes[0][0] != &f1.Planes[0][0] {
			r2.Release()
			continue
		}
		// The same buffer, with a later frame (the bars move every frame).
		if r2.Sequence() <= seq1 {
			t.Fatalf("sequence %d after %d", r2.Sequence(), seq1)
		}
		if !bytes.Equal(f1.Planes[0], f2.Planes[0]) || bytes.Equal(f1.Planes[0], kept.Planes[0]) {
			t.Errorf("stale view: equal to frame %d: %v, to its own frame %d: %v, want the later one only",
				r2.Sequence(), bytes.Equal(f1.Planes[0], f2.Planes[0]), seq1, bytes.Equal(f1.Planes[0], kept.Planes[0]))
		}
		r2.Release()
		return
	}
	t.Fatal("the first frame's buffer never came back")
}

// withCheckedViews sets the checked mode for one test, whatever
// PICAMGO_CHECK says.
func withCheckedViews(t *testing.T, on bool) {
	was := checkViews.Swap(on)
	t.Cleanup(func() { checkViews.Store(was) })
}

// staleErr runs f and returns the *StaleViewError it panicked with, or nil.
func staleErr(t *testing.T, f func()) (got *StaleViewError) {
	t.Helper()
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		err, ok := v.(error)
		if !ok || !errors.As(err, &got) {
			panic(v)
		}
	}()
	f()
	return nil
}

// checkReport checks that err reports a stale view used by op, captured
// and released at the given lines of this file (the capture site's
// innermost caller is the test helper capture).
func checkReport(t *testing.T, err error, op, captured, released string) {
	t.Helper()
	var sv *StaleViewError
	if !errors.As(err, &sv) || !errors.Is(err, ErrReleased) {
		t.Errorf("%s: %v, want a *StaleViewError matching ErrReleased", op, err)
		return
	}
	if sv.Op != op || !strings.Contains(sv.CapturedAt, " "+captured+" ") || !strings.HasPrefix(sv.ReleasedAt, released) {
		t.Errorf("%s: reported %q (op %q, captured at %q, released at %q), want op %s, captured at %s, released at %s",
			op, err, sv.Op, sv.CapturedAt, sv.ReleasedAt, op, captured, released)
	}
}

// nextLine names the line after its caller's, as call sites are named.
func nextLine() string {
	_, file, line, _ := runtime.Caller(1)
	return filepath.Base(file) + ":" + strconv.Itoa(line+1)
}

// checkAllStale checks that every checked accessor of the views reports
// the use after release.
func checkAllStale(t *testing.T, vs viewSet, captured, released string) {
	t.Helper()
	for name, f := range vs.frames {
		_, err := f.Image()
		checkReport(t, err, "Frame.Image", captured, released)
		checkReport(t, f.Encode(io.Discard, "jpeg", 0), "Frame.Encode", captured, released)
		_, err = f.RGBA()
		checkReport(t, err, "Frame.Image", captured, released)
		checkReport(t, f.Save(t.TempDir()+"/x.png", 0), "Frame.Encode", captured, released)
		if err := staleErr(t, func() { f.Clone() }); err == nil {
			t.Errorf("%s Clone of a released frame did not panic", name)
		} else {
			checkReport(t, err, "Frame.Clone", captured, released)
		}
		if err := staleErr(t, func() { f.AppendBytes(nil) }); err == nil {
			t.Errorf("%s AppendBytes of a released frame did not panic", name)
		}
	}
	ops := map[string]string{"NV12": "NV12.YCbCrAt", "NV21": "NV12.YCbCrAt", "YUYV": "YUYV.YCbCrAt", "RGB888": "RGB.RGBAAt", "XBGR8888": "RGB.RGBAAt"}
	for name, img := range vs.images {
		op, checked := ops[name]
		if !checked {
			continue // image.YCbCr is the standard library's: not checked
		}
		err := staleErr(t, func() { img.At(0, 0) })
		checkReport(t, err, op, captured, released)
		sub := img.(interface {
			SubImage(image.Rectangle) image.Image
		}).SubImage(image.Rect(1, 1, 9, 9))
		if staleErr(t, func() { sub.At(2, 2) }) == nil {
			t.Errorf("%s SubImage of a released frame did not panic", name)
		}
		checkReport(t, staleErr(t, func() { ToRGBA(img) }), "ToRGBA", captured, released)
	}
	checkReport(t, staleErr(t, func() { vs.images["NV12"].(*NV12).YCbCr() }), "NV12.YCbCr", captured, released)
}

func TestStaleViewChecked(t *testing.T) {
	withCheckedViews(t, true)
	done := checkLeaks(t)
	t.Run("Release", func(t *testing.T) {
		c, _ := startCamera(t, barsID, Size{Width: 640, Height: 480}, startOpts{})
		capturedAt := nextLine()
		r, vs := captureViews(t, c)
		releasedAt := nextLine()
		r.Release()
		checkAllStale(t, vs, capturedAt, releasedAt)
		c.Close() // and after Close, the same report
		checkAllStale(t, vs, capturedAt, releasedAt)
	})
	t.Run("Acquired", func(t *testing.T) {
		// Another handle keeps the frame: no report until it is released.
		c, _ := startCamera(t, barsID, Size{Width: 640, Height: 480}, startOpts{})
		capturedAt := nextLine()
		r, vs := captureViews(t, c)
		r2 := r.Acquire()
		releasedAt := nextLine()
		r.Release()
		vs.checkNonZero(t) // At on every view: no panic
		for _, f := range vs.frames {
			if _, err := f.Image(); err != nil {
				t.Fatalf("Image while another handle holds the frame: %v", err)
			}
		}
		r2.Release()
		checkAllStale(t, vs, capturedAt, releasedAt)
	})
	t.Run("NeverReleased", func(t *testing.T) {
		// The request is dropped unreleased; the garbage collector's
		// recovery of it ends the frame.
		c, _ := startCamera(t, barsID, Size{Width: 640, Height: 480}, startOpts{})
		var capturedAt string
		f := func() Frame {
			capturedAt = nextLine()
			r := capture(t, c)
			f, err := r.Frame(Main)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}()
		for range 50 {
			runtime.GC()
			if c.Stats().Leaked > 0 {
				break
			}
		}
		if c.Stats().Leaked == 0 {
			t.Fatal("the dropped request was not recovered")
		}
		_, err := f.Image()
		checkReport(t, err, "Frame.Image", capturedAt, "never: the garbage collector")
	})
	t.Run("Unmapped", func(t *testing.T) {
		// Frames made by the application carry no lease: never reported.
		c, _ := startCamera(t, barsID, Size{Width: 640, Height: 480}, startOpts{})
		r, vs := captureViews(t, c)
		clone := vs.frames["NV12"].Clone()
		r.Release()
		img, err := clone.Image()
		if err != nil {
			t.Fatal(err)
		}
		if pixelSum(img) == 0 {
			t.Error("clone is all zero")
		}
		mine := Frame{Format: FormatNV12, Size: Size{Width: 2, Height: 2}, Stride: 2, Planes: [][]byte{make([]byte, 4), make([]byte, 2)}}
		if _, err := mine.Image(); err != nil {
			t.Error(err)
		}
	})
	done()
}

// The environment variable turns the checked mode on: a child test binary
// run with PICAMGO_CHECK=views panics, naming the sites, where one run
// without it reads a later frame and exits cleanly.
func TestStaleViewCheckedEnv(t *testing.T) {
	if os.Getenv("PICAMGO_STALEVIEW_CHILD") != "" {
		staleViewChild(t)
		return
	}
	for _, checked := range []bool{false, true} {
		env := []string{"PICAMGO_STALEVIEW_CHILD=1"}
		if checked {
			env = append(env, "PICAMGO_CHECK=trace, views")
		}
		out, err := runSelf(t, "^TestStaleViewCheckedEnv$", env)
		switch {
		case strings.Contains(out, "SIGSEGV") || strings.Contains(out, "fatal error"):
			t.Errorf("checked=%v: the child crashed:\n%s", checked, out)
		case !checked && err != nil:
			t.Errorf("unchecked child failed: %v\n%s", err, out)
		case !checked && !strings.Contains(out, "checked mode: false"):
			t.Errorf("unchecked child output:\n%s", out)
		case checked && err == nil:
			t.Errorf("checked child did not panic:\n%s", out)
		case checked && !childReport.MatchString(out):
			t.Errorf("checked child's report:\n%s", out)
		}
	}
}

// childReport is the checked child's panic, naming both sites.
var childReport = regexp.MustCompile(`panic: picam: NV12\.YCbCrAt: view of a released frame \(captured at [^;]*staleview_test\.go:\d+ picam\.staleViewChild[^;]*; released at staleview_test\.go:\d+ picam\.staleViewChild`)

// staleViewChild reads a view after Release, in whichever mode the
// environment set.
func staleViewChild(t *testing.T) {
	t.Logf("checked mode: %v", checkViews.Load())
	c, _ := startCamera(t, barsID, Size{Width: 640, Height: 480}, startOpts{})
	r := capture(t, c)
	img, err := r.Image(Main)
	if err != nil {
		t.Fatal(err)
	}
	r.Release()
	capture(t, c).Release()
	_ = img.At(10, 10) // panics in the checked mode, unrecovered
	c.Close()
	_ = img.At(10, 10)
}

// runSelf runs this test binary's tests matching run, with env added to
// the environment, and returns its output.
func runSelf(t *testing.T, run string, env []string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run="+run, "-test.v", "-test.count=1")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PICAMGO_CHECK=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	if errors.Is(err, syscall.ENOEXEC) {
		// An arm64 test binary run by qemu-aarch64 (make test-arm64) on a
		// host without binfmt_misc cannot start itself again.
		t.Skipf("cannot re-run the test binary here: %v", err)
	}
	return string(out), err
}

// A request still held when its camera closes keeps its frame: Frame gives
// the planes it had before Close, with the same pixels, not an empty frame.
func TestHeldRequestFrameAfterClose(t *testing.T) {
	withCheckedViews(t, false)
	c, _ := startCamera(t, barsID, Size{Width: 640, Height: 480}, startOpts{})
	r := capture(t, c)
	before, err := r.Frame(Main)
	if err != nil {
		t.Fatal(err)
	}
	want := append([]byte(nil), before.Planes[0]...)
	if byteSum(want) == 0 {
		t.Fatal("captured frame is all zeros")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	after, err := r.Frame(Main)
	if err != nil {
		t.Fatalf("Frame of a held request after Close: %v", err)
	}
	if len(after.Planes) != len(before.Planes) {
		t.Fatalf("after Close the frame has %d planes, want %d", len(after.Planes), len(before.Planes))
	}
	if !bytes.Equal(after.Planes[0], want) {
		t.Fatal("after Close the held frame's Y plane differs from what was captured")
	}
	if err := r.Release(); err != nil && !errors.Is(err, ErrClosed) {
		t.Fatalf("Release after Close: %v, want nil or ErrClosed", err)
	}
}
