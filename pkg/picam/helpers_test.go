package picam

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/picamgo/picamgo/internal/testenv"
	"github.com/picamgo/picamgo/libcamera"
)

// The cameras of testdata/virtual.yaml.
const (
	barsID  = "picamgo-bars"
	linesID = "picamgo-lines"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// env counts what a leak would grow, buffer mappings included.
var env = testenv.Env{LiveMappings: libcamera.LiveMappings}

// logBuffer collects a camera's log for checks.
type logBuffer = testenv.LogBuffer

// testOptions paces the virtual camera (which has no frame pacing of its
// own) so that tests do not spin two cores.
func testOptions(id string) (Options, *logBuffer) {
	lb := &logBuffer{}
	return Options{ID: id, MaxFrameRate: 500, StallTimeout: 2 * time.Second,
		Logger: slog.New(slog.NewTextHandler(lb, &slog.HandlerOptions{Level: slog.LevelDebug}))}, lb
}

func openCamera(t testing.TB, id string) (*Camera, *logBuffer) {
	t.Helper()
	opts, lb := testOptions(id)
	return openWith(t, opts, lb), lb
}

// openWith opens a camera with opts, and closes it when the test ends;
// in verbose mode, its log lb is shown then.
func openWith(t testing.TB, opts Options, lb *logBuffer) *Camera {
	t.Helper()
	c, err := OpenWith(opts)
	if err != nil {
		t.Fatalf("OpenWith(%s): %v", opts.ID, err)
	}
	t.Cleanup(func() {
		c.Close()
		if testing.Verbose() && lb.String() != "" {
			t.Logf("camera log:\n%s", lb)
		}
	})
	return c
}

// nv12Config is a configuration the virtual camera takes unadjusted.
func nv12Config(c *Camera, size Size) Configuration {
	cfg := c.PreviewConfiguration()
	cfg.Main = StreamConfig{Size: size, Format: FormatNV12}
	cfg.ColorSpace = nil
	cfg.Strict = true
	return cfg
}

// startOpts are how startCamera configures and starts a camera. The zero
// value keeps PreviewConfiguration's frame queue and buffer count.
type startOpts struct {
	// NoQueue turns Configuration.Queue off: no frame is kept back, so the
	// application holds every held request and a held count of zero means
	// every buffer is back.
	NoQueue bool
	// Buffers is the configuration's BufferCount, unless zero.
	Buffers int
	// Options changes the camera's testOptions.
	Options func(*Options)
	// Running waits for the first frame after Start (see running).
	Running bool
}

// startCamera opens camera id, configures its main stream as NV12 of size
// (which the virtual camera takes unadjusted), as so says, and starts it.
func startCamera(t testing.TB, id string, size Size, so startOpts) (*Camera, *logBuffer) {
	t.Helper()
	opts, lb := testOptions(id)
	if so.Options != nil {
		so.Options(&opts)
	}
	c := openWith(t, opts, lb)
	cfg := nv12Config(c, size)
	if so.NoQueue {
		cfg.Queue = false
	}
	if so.Buffers != 0 {
		cfg.BufferCount = so.Buffers
	}
	if _, err := c.Configure(cfg); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	if err := c.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	if so.Running {
		running(t, c)
	}
	return c, lb
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func capture(t testing.TB, c *Camera, opts ...CaptureOption) *CompletedRequest {
	t.Helper()
	r, err := c.CaptureRequest(ctxT(t), opts...)
	if err != nil {
		t.Fatalf("CaptureRequest: %v", err)
	}
	return r
}

func countResources() testenv.Counts { return env.Count() }

// checkLeaks returns a function that fails the test if fds, mappings or
// goroutines grew since checkLeaks was called (see [testenv.Env.CheckLeaks]).
func checkLeaks(t testing.TB) func() testenv.Counts {
	t.Helper()
	return env.CheckLeaks(t)
}

// running waits for the started camera's first frame. What libcamera sets
// up lazily once frames flow, and keeps until the camera stops or closes,
// is there then, so that a leak check that starts counting now does not
// take it for a leak: on libcamera 0.7 the virtual camera's frame thread
// (with its eventfd) starts with the camera, and the thread that completes
// requests counts as one more goroutine from its first call into Go
// (cgo keeps a C thread's Go binding until the thread exits). Under load
// the first frame can come after the leak check's count has settled.
func running(t testing.TB, c *Camera) {
	t.Helper()
	r, err := c.CaptureRequest(ctxT(t))
	if err != nil {
		t.Fatalf("first frame: %v", err)
	}
	r.Release()
	waitHeld(t, c, 0)
}

var small = Size{Width: 64, Height: 48}

// eventually polls cond until it holds; the 20s deadline is only against
// a hang, and fails the test.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(200 * time.Microsecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited 20s for %s", what)
		}
	}
}

// heldCount counts the requests held outside libcamera by anyone but the
// engine's kept-back newest frame (Configuration.Queue), as StallError's
// list does. A running camera that queues keeps a frame back from its
// first frame on; counting it, a held count of zero came only in the
// instant a capture took the kept frame, or when the count was read
// half-way through a newer frame replacing it (0, or 2), so waitHeld(0)
// raced the camera (it waited out its 20s under load). The count is read
// under the engine's lock, so that no frame is counted half-way.
func heldCount(c *Camera) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.eng.Load()
	if e == nil || e.set != c.set {
		return c.set.held()
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, s := range c.set.slots {
		refs := s.refs.Load()
		if s == e.latest && !e.ended {
			refs-- // the engine's own reference
		}
		if refs > 0 {
			n++
		}
	}
	return n
}

func waitHeld(t testing.TB, c *Camera, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second) // only against a hang
	for heldCount(c) != n {
		if time.Now().After(deadline) {
			t.Fatalf("held %d, want %d", heldCount(c), n)
		}
		time.Sleep(time.Millisecond)
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
