package picam

import (
	"context"
	"errors"
	"image"
	"image/color"
	_ "image/jpeg"
	_ "image/png"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// barLevels are the Y values of the virtual camera's eight colour bars
// (BT.601 limited range: white, yellow, cyan, green, magenta, red, blue,
// black).
var barLevels = []byte{235, 210, 169, 144, 107, 82, 41, 16}

// checkBars checks a frame of the bars camera: each line is the eight bars,
// scrolled left by one pixel per frame.
func checkBars(t *testing.T, f Frame, seq uint32) {
	t.Helper()
	img, err := f.Image()
	if err != nil {
		t.Fatal(err)
	}
	nv, ok := img.(*NV12)
	if !ok {
		t.Fatalf("%v: image %T, want *NV12", f, img)
	}
	w, h := int(f.Size.Width), int(f.Size.Height)
	bar := w / 8
	for _, y := range []int{0, h / 2, h - 1} {
		// Find the scroll: where the black-to-white edge is.
		row := nv.Y[y*nv.YStride : y*nv.YStride+w]
		shift := -1
		for x := range w {
			if row[x] == 235 && row[(x+w-1)%w] == 16 {
				shift = (w - x) % w
				break
			}
		}
		if shift < 0 {
			t.Fatalf("%v seq %d line %d: no bars edge in %v", f, seq, y, row)
		}
		for i, level := range barLevels {
			x := (i*bar + bar/2 - shift + w) % w
			if got := nv.YCbCrAt(x, y).Y; got != level {
				t.Fatalf("%v seq %d: bar %d at x=%d line %d has Y %d, want %d (shift %d)", f, seq, i, x, y, got, level, shift)
			}
		}
	}
}

// scroll returns the bars' scroll of a frame (see checkBars).
func scroll(f Frame) int {
	w := int(f.Size.Width)
	row := f.Planes[0][:w]
	for x := range w {
		if row[x] == 235 && row[(x+w-1)%w] == 16 {
			return (w - x) % w
		}
	}
	return -1
}

func TestCaptureFrames(t *testing.T) {
	c, _ := startCamera(t, barsID, Size{Width: 640, Height: 480})
	var prev struct {
		seq    uint32
		ts     int64
		scroll int
	}
	for i := range 60 {
		r := capture(t, c)
		f, err := r.Frame(Main)
		if err != nil {
			t.Fatal(err)
		}
		seq, ts := r.Sequence(), r.SensorTimestamp()
		md, err := r.Metadata()
		if err != nil {
			t.Fatal(err)
		}
		if mts, ok := md.SensorTimestamp(); !ok || mts != ts {
			t.Fatalf("metadata SensorTimestamp %d %v, request %d", mts, ok, ts)
		}
		if d := time.Since(r.Time()); d < 0 || d > 5*time.Second {
			t.Errorf("frame time %v is %v ago", r.Time(), d)
		}
		checkBars(t, f, seq)
		sc := scroll(f)
		if i > 0 {
			if seq <= prev.seq || ts <= prev.ts {
				t.Fatalf("frame %d: sequence %d ts %d after %d, %d", i, seq, ts, prev.seq, prev.ts)
			}
			// One pixel of scroll per frame the camera produced: the
			// sequence gap is the number of frames in between.
			if want := (prev.scroll + int(seq-prev.seq)) % 640; sc != want {
				t.Fatalf("frame %d: scroll %d after %d, sequence %d after %d", i, sc, prev.scroll, seq, prev.seq)
			}
		}
		prev.seq, prev.ts, prev.scroll = seq, ts, sc
		if err := r.Release(); err != nil {
			t.Fatal(err)
		}
	}
	st := c.Stats()
	if st.Frames < 60 || st.Leaked != 0 || st.Stalls != 0 || st.Dropped != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestLinesCamera(t *testing.T) {
	c, _ := startCamera(t, linesID, Size{Width: 320, Height: 240})
	r := capture(t, c)
	defer r.Release()
	img, err := r.Image(Main)
	if err != nil {
		t.Fatal(err)
	}
	// Diagonal black and white lines, no colour.
	levels := map[uint8]bool{}
	for y := 0; y < 240; y += 7 {
		for x := 0; x < 320; x += 5 {
			p := img.(*NV12).YCbCrAt(x, y)
			levels[p.Y] = true
			if p.Cb != 128 || p.Cr != 128 {
				t.Fatalf("(%d,%d) = %v, want grey", x, y, p)
			}
		}
	}
	if !levels[16] || !levels[235] {
		t.Errorf("levels %v, want black (16) and white (235)", levels)
	}
}

// queueFalse configures a camera that keeps no frame back, so that the
// application holds every held request.
func startNoQueue(t *testing.T, id string, opts func(*Options)) (*Camera, *logBuffer) {
	t.Helper()
	o, lb := testOptions(id)
	if opts != nil {
		opts(&o)
	}
	c, err := OpenWith(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	cfg := nv12Config(c, Size{Width: 64, Height: 48})
	cfg.Queue = false
	if _, err := c.Configure(cfg); err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	return c, lb
}

func heldCount(c *Camera) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.set.held()
}

func waitHeld(t *testing.T, c *Camera, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second) // only against a hang
	for heldCount(c) != n {
		if time.Now().After(deadline) {
			t.Fatalf("held %d, want %d", heldCount(c), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestReleaseSemantics(t *testing.T) {
	c, _ := startNoQueue(t, barsID, nil)
	r := capture(t, c)
	r2 := r.Acquire()
	waitHeld(t, c, 1)
	if err := r.Release(); err != nil {
		t.Fatal(err)
	}
	if err := r.Release(); !errors.Is(err, ErrReleased) {
		t.Errorf("second Release = %v, want ErrReleased", err)
	}
	if _, err := r.Frame(Main); !errors.Is(err, ErrReleased) {
		t.Errorf("Frame after Release = %v, want ErrReleased", err)
	}
	if !r.Released() || r2.Released() {
		t.Error("Released()")
	}
	// The second handle keeps the frame: its buffer is not requeued.
	seq := r2.Sequence()
	f, err := r2.Frame(Main)
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		capture(t, c).Release()
	}
	waitHeld(t, c, 1)
	checkBars(t, f, seq)
	if r2.Sequence() != seq {
		t.Errorf("held frame's sequence changed from %d to %d", seq, r2.Sequence())
	}
	if err := r2.Release(); err != nil {
		t.Fatal(err)
	}
	waitHeld(t, c, 0)
	if r3 := r.Acquire(); !r3.Released() || r3.Release() == nil {
		t.Error("Acquire of a released request gave a live handle")
	}
	// Exactly-once requeue: every buffer still circulates.
	for range 20 {
		capture(t, c).Release()
	}
	var nilReq *CompletedRequest
	if err := nilReq.Release(); err != nil {
		t.Errorf("nil Release = %v", err)
	}
}

func TestReleaseAfterClose(t *testing.T) {
	done := checkLeaks(t)
	func() {
		c, _ := startNoQueue(t, barsID, nil)
		r := capture(t, c)
		f, _ := r.Frame(Main)
		seq := r.Sequence()
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		// Still mapped and unchanged after Close.
		checkBars(t, f, seq)
		if err := r.Release(); !errors.Is(err, ErrClosed) {
			t.Errorf("Release after Close = %v, want ErrClosed", err)
		}
		if err := r.Release(); !errors.Is(err, ErrReleased) {
			t.Errorf("second Release after Close = %v, want ErrReleased", err)
		}
	}()
	done()
}

// leakRequests captures n requests and drops them without Release.
func leakRequests(t *testing.T, c *Camera, n int) {
	for range n {
		r := capture(t, c)
		_ = r.Sequence()
	}
}

func TestLeakedRequestRecovered(t *testing.T) {
	c, lb := startNoQueue(t, barsID, nil)
	leakRequests(t, c, 4) // every buffer the camera has
	waitHeld(t, c, 4)
	deadline := time.Now().Add(10 * time.Second)
	for c.Stats().Leaked < 4 {
		if time.Now().After(deadline) {
			t.Fatalf("leaked requests not recovered: %+v", c.Stats())
		}
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
	}
	log := lb.String()
	if strings.Count(log, "never released") != 4 || !strings.Contains(log, "capture_test.go") || !strings.Contains(log, "leakRequests") {
		t.Errorf("leak log does not name the capture site:\n%s", log)
	}
	// The buffers are back: capture goes on.
	for range 10 {
		capture(t, c).Release()
	}
	waitHeld(t, c, 0)
}

func TestStall(t *testing.T) {
	// The stall timeout is far above the tests' frame interval (2ms), so
	// that capture calls do not stall while frames flow, even on a loaded
	// machine that leaves the camera's threads unscheduled for a while
	// (200ms did not hold at a load of 8 on 2 cores), and far below
	// OpenWith's 3s default, so that a stall after it would show that the
	// option was ignored.
	const timeout, defaultTimeout = time.Second, 3 * time.Second
	c, _ := startNoQueue(t, barsID, func(o *Options) { o.StallTimeout = timeout })
	var held []*CompletedRequest
	for range 4 {
		held = append(held, capture(t, c))
	}
	start := time.Now()
	_, err := c.CaptureRequest(ctxT(t))
	d := time.Since(start)
	var se *StallError
	if !errors.Is(err, ErrStalled) || !errors.As(err, &se) {
		t.Fatalf("CaptureRequest with every buffer held = %v, want ErrStalled", err)
	}
	// Timers never fire early, so the lower bounds are exact. The upper one
	// only tells the timeout from the default: the 2s between them are
	// left to scheduling delays, which the test does not judge.
	if d < timeout || se.Waited < timeout || d >= defaultTimeout {
		t.Errorf("stalled after %v (reported %v), want %v or a little more", d, se.Waited, timeout)
	}
	if se.Camera != barsID || len(se.Held) != 4 || se.Queued != 0 || !strings.Contains(se.Held[0], "capture_test.go:") {
		t.Errorf("stall error %+v", se)
	}
	if st := c.Stats(); st.Stalls != 1 {
		t.Errorf("stats after the stall %+v", st)
	}
	t.Log(err)
	// A context ends the wait first, and leaves nothing behind: cancelled
	// as soon as the engine took the wait, a whole timeout before the
	// stall.
	errc, cancel := waitingCapture(t, c)
	defer cancel()
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("CaptureRequest cancelled while waiting = %v", err)
	}
	// Nobody waits any more: the camera is not stalled however long the
	// buffers stay held.
	time.Sleep(2 * timeout)
	if st := c.Stats(); st.Stalls != 1 {
		t.Errorf("a stall counted with only a cancelled waiter: %+v", st)
	}
	for _, r := range held {
		r.Release()
	}
	for range 5 {
		capture(t, c).Release()
	}
	waitHeld(t, c, 0)
	if st := c.Stats(); st.Stalls != 1 {
		t.Errorf("stats %+v", st)
	}
}

// waitingCapture starts a CaptureRequest on a camera whose buffers are all
// held and returns once the engine took its wait: its result comes on
// errc; cancel cancels its context.
func waitingCapture(t *testing.T, c *Camera) (errc <-chan error, cancel context.CancelFunc) {
	t.Helper()
	cctx, cancel := context.WithCancel(context.Background())
	ctx := &doneCounter{Context: cctx, second: make(chan struct{})}
	ch := make(chan error, 1)
	go func() {
		_, err := c.CaptureRequest(ctx)
		ch <- err
	}()
	select {
	case <-ctx.second:
	case err := <-ch:
		cancel()
		t.Fatalf("CaptureRequest with every buffer held = %v before waiting", err)
	case <-time.After(20 * time.Second):
		cancel()
		t.Fatalf("CaptureRequest did not wait within 20s (ctx.Done called %d times)", ctx.calls.Load())
	}
	return ch, cancel
}

// doneCounter is a context that closes second when Done is called a
// second time: CaptureRequest calls it once to hand its wait to the engine
// and again, once the engine took it, to wait for the frame.
type doneCounter struct {
	context.Context
	calls  atomic.Int32
	second chan struct{}
}

func (d *doneCounter) Done() <-chan struct{} {
	if d.calls.Add(1) == 2 {
		close(d.second)
	}
	return d.Context.Done()
}

// TestStopWhileWaiting: a capture call waiting when the camera stops fails
// with ErrNotStarted, held requests survive the stop and are queued again
// at the next start, where sequence numbers restart at 0.
func TestStopWhileWaiting(t *testing.T) {
	c, _ := startNoQueue(t, barsID, nil)
	var held []*CompletedRequest
	for range 4 {
		held = append(held, capture(t, c))
	}
	// With every buffer held no frame comes: once the engine took the
	// call's wait, it waits until Stop.
	ctx := &doneCounter{Context: context.Background(), second: make(chan struct{})}
	errc := make(chan error)
	go func() {
		_, err := c.CaptureRequest(ctx)
		errc <- err
	}()
	select {
	case <-ctx.second:
	case <-time.After(10 * time.Second):
		t.Fatalf("CaptureRequest did not wait within 10s (ctx.Done called %d times)", ctx.calls.Load())
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	// "stopped": the engine ended the wait, rather than the call finding
	// the camera stopped.
	select {
	case err := <-errc:
		if !errors.Is(err, ErrNotStarted) || !strings.Contains(err.Error(), "stopped") {
			t.Errorf("waiting CaptureRequest at Stop = %v, want ErrNotStarted from the stop", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a CaptureRequest waiting at Stop did not return within 10s")
	}
	// Held requests survive Stop; released, they are queued at the next Start.
	for _, r := range held {
		if _, err := r.Frame(Main); err != nil {
			t.Fatal(err)
		}
		r.Release()
	}
	// The first frames after the restart, whenever this goroutine runs: the
	// pre-callback sees every frame while the callback goroutine keeps up,
	// and the first one always.
	firstSeq := make(chan uint32, 1)
	c.SetPreCallback(func(r *CompletedRequest) {
		select {
		case firstSeq <- r.Sequence():
		default:
		}
	})
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	for range 8 {
		capture(t, c).Release()
	}
	c.SetPreCallback(nil)
	if seq := <-firstSeq; seq >= 4 {
		t.Errorf("first sequence after restart %d: libcamera restarts them at 0", seq)
	}
}

func TestFlush(t *testing.T) {
	c, _ := startCamera(t, barsID, Size{Width: 64, Height: 48})
	capture(t, c).Release()
	time.Sleep(30 * time.Millisecond) // the camera keeps its newest frame back
	before := MonotonicNow()
	stale := capture(t, c)
	if stale.SensorTimestamp() >= before {
		t.Logf("queued frame is from after the call (%d >= %d)", stale.SensorTimestamp(), before)
	}
	stale.Release()
	time.Sleep(30 * time.Millisecond)
	for _, opt := range []func() CaptureOption{Flush, func() CaptureOption { return After(time.Now()) }} {
		before := MonotonicNow()
		r := capture(t, c, opt())
		if ts := r.SensorTimestamp(); ts < before {
			t.Errorf("flushed frame started at %d, before the call at %d", ts, before)
		}
		r.Release()
	}
	// A time in the past takes the queued frame at once.
	time.Sleep(30 * time.Millisecond)
	r := capture(t, c, After(time.Now().Add(-time.Hour)))
	if r.SensorTimestamp() >= MonotonicNow() {
		t.Error("frame from the future")
	}
	r.Release()
}

func TestConcurrentCaptures(t *testing.T) {
	c, _ := startCamera(t, barsID, Size{Width: 640, Height: 480})
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for g := range 4 {
		wg.Go(func() {
			var last uint32
			for i := range 25 {
				r, err := c.CaptureRequest(context.Background())
				if err != nil {
					errs <- err
					return
				}
				if i > 0 && r.Sequence() <= last {
					t.Errorf("goroutine %d: sequence %d after %d", g, r.Sequence(), last)
				}
				last = r.Sequence()
				f, _ := r.Frame(Main)
				cp := f.Clone() // copy on this goroutine, while held
				r2 := r.Acquire()
				r.Release()
				if _, err := cp.Image(); err != nil {
					errs <- err
				}
				r2.Release()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if st := c.Stats(); st.Leaked != 0 || st.Stalls != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestCopies(t *testing.T) {
	c, _ := startCamera(t, barsID, Size{Width: 640, Height: 480})
	ctx := ctxT(t)
	f, md, err := c.CaptureFrame(ctx, Main)
	if err != nil {
		t.Fatal(err)
	}
	seq, _ := md.SensorTimestamp()
	if seq == 0 || f.Len() != 640*480*3/2 {
		t.Errorf("CaptureFrame: %v, md %v", f, md)
	}
	// The copy is ours: more captures do not change it.
	before := f.AppendBytes(nil)
	for range 5 {
		capture(t, c).Release()
	}
	if string(before) != string(f.AppendBytes(nil)) {
		t.Error("captured frame changed after more captures")
	}
	buf, err := c.CaptureBuffer(ctx, Main)
	if err != nil || len(buf) != 640*480*3/2 {
		t.Errorf("CaptureBuffer: %d bytes, %v", len(buf), err)
	}
	img, err := c.CaptureImage(ctx, Main)
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds() != image.Rect(0, 0, 640, 480) {
		t.Errorf("CaptureImage bounds %v", img.Bounds())
	}
	// The first bar is white, the last black.
	rgba := ToRGBA(img)
	sc := scroll(f)
	_ = sc
	if md, err := c.CaptureMetadata(ctx); err != nil || len(md.Map()) == 0 {
		t.Errorf("CaptureMetadata: %v %v", md, err)
	}
	var white, black bool
	for x := 0; x < 640; x += 4 {
		switch rgba.RGBAAt(x, 100) {
		case color.RGBA{235, 235, 235, 255}:
			white = true
		case color.RGBA{16, 16, 16, 255}:
			black = true
		}
	}
	if !white || !black {
		t.Error("no white or black bar in the RGBA conversion")
	}
	dir := t.TempDir()
	for _, name := range []string{"a.jpg", "b.JPEG", "c.png"} {
		md, err := c.CaptureFile(ctx, dir+"/"+name, Main)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := md.SensorTimestamp(); !ok {
			t.Errorf("%s: metadata %v", name, md)
		}
		checkImageFile(t, dir+"/"+name, 640, 480)
	}
	if _, err := c.CaptureFile(ctx, dir+"/d.bmp", Main); !errors.Is(err, ErrUnsupported) {
		t.Errorf("CaptureFile(.bmp) = %v, want ErrUnsupported", err)
	}
	if _, err := os.Stat(dir + "/d.bmp"); err == nil {
		t.Error("a .bmp file was written")
	}
	if err := c.DropFrames(ctx, 3); err != nil {
		t.Fatal(err)
	}
}

func checkImageFile(t *testing.T, path string, w, h int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, format, err := image.DecodeConfig(f)
	if err != nil || cfg.Width != w || cfg.Height != h {
		t.Errorf("%s: %s %dx%d, %v; want %dx%d", path, format, cfg.Width, cfg.Height, err, w, h)
	}
}
