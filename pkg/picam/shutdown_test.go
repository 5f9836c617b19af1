package picam

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// stuckCallback is a callback that blocks until released, and reads its
// frame's pixels once it may go on, after the camera gave up on it.
type stuckCallback struct {
	started chan uint32   // the frame's sequence, once running
	block   chan struct{} // closed by unblock to let it return
	unblock func()
	read    chan int // non-zero bytes it read from its frame afterwards
	once    bool
}

func newStuckCallback() *stuckCallback {
	s := &stuckCallback{started: make(chan uint32, 1), block: make(chan struct{}), read: make(chan int, 1)}
	s.unblock = sync.OnceFunc(func() { close(s.block) })
	return s
}

func (s *stuckCallback) fn(r *CompletedRequest) {
	if s.once {
		return // only the first frame blocks
	}
	s.once = true
	f, err := r.Frame(Main)
	s.started <- r.Sequence()
	<-s.block
	// The camera gave up waiting (and may be closed): the view taken
	// before must still read the frame until this returns.
	n := -1
	if err == nil {
		n = 0
		for _, b := range f.Planes[0] {
			if b != 0 {
				n++
			}
		}
	}
	s.read <- n
}

// TestShutdownBoundedByStuckCallback blocks a pre- or post-callback and
// checks that Close, Stop, SwitchMode and Shutdown return within their
// bound with a *CallbackStuckError naming the callback and the frame,
// that the camera is stopped (or closed) all the same, that the stuck
// callback still reads its frame, and that once it returns a later call
// finishes the cleanup and nothing is left: goroutines, fds, mappings.
func TestShutdownBoundedByStuckCallback(t *testing.T) {
	cycle(t, 0) // what libcamera keeps for the process's life is not a leak
	for _, where := range []string{"pre-callback", "post-callback"} {
		for _, call := range []string{"Close", "Shutdown", "Stop", "SwitchMode"} {
			t.Run(where+"/"+call, func(t *testing.T) {
				testStuckCallback(t, where, call)
			})
		}
	}
}

func testStuckCallback(t *testing.T, where, call string) {
	done := checkLeaks(t)
	opts, lb := testOptions(barsID)
	opts.ShutdownTimeout = 200 * time.Millisecond // the bound tested; the test waits for events
	c, err := OpenWith(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if t.Failed() {
			t.Logf("camera log:\n%s", lb)
		}
	}()
	size := Size{Width: 64, Height: 48}
	if _, err := c.Configure(nv12Config(c, size)); err != nil {
		t.Fatal(err)
	}
	stuck := newStuckCallback()
	t.Cleanup(func() {
		stuck.unblock()
		c.Close()
	})
	if where == "pre-callback" {
		c.SetPreCallback(stuck.fn)
	} else {
		c.SetPostCallback(stuck.fn)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	var seq uint32
	select {
	case seq = <-stuck.started:
	case <-time.After(20 * time.Second):
		t.Fatal("the callback never ran")
	}

	var shutdownCancel context.CancelFunc
	run := func() error {
		switch call {
		case "Close":
			return c.Close()
		case "Stop":
			return c.Stop()
		case "SwitchMode":
			_, err := c.SwitchMode(nv12Config(c, Size{Width: 640, Height: 480}))
			return err
		default:
			ctx, cancel := context.WithCancel(context.Background())
			shutdownCancel = cancel
			go func() {
				time.Sleep(50 * time.Millisecond)
				cancel()
			}()
			return c.Shutdown(ctx)
		}
	}
	returned := make(chan error, 1)
	go func() { returned <- run() }()
	select {
	case err = <-returned:
	case <-time.After(30 * time.Second): // the bound is 200ms: this only catches a hang
		stuck.unblock()
		t.Fatalf("%s did not return behind a stuck %s", call, where)
	}
	if shutdownCancel != nil {
		shutdownCancel()
	}
	var se *CallbackStuckError
	if !errors.Is(err, ErrCallbackStuck) || !errors.As(err, &se) {
		stuck.unblock()
		t.Fatalf("%s behind a stuck %s = %v, want a *CallbackStuckError", call, where, err)
	}
	wantCause := context.DeadlineExceeded
	if call == "Shutdown" {
		wantCause = context.Canceled
	}
	if se.Where != where || se.Sequence != seq || !strings.Contains(se.SetAt, "shutdown_test.go:") ||
		se.Camera != c.ID() || !errors.Is(err, wantCause) {
		t.Errorf("error = %+v (%v); want %s on frame %d set in shutdown_test.go, caused by %v", se, err, where, seq, wantCause)
	}
	t.Logf("%s: %v", call, err)
	if c.Started() {
		t.Errorf("camera started after %s gave up waiting", call)
	}
	closed := call == "Close" || call == "Shutdown"
	if _, err := c.CaptureRequest(cancelled()); closed && !errors.Is(err, ErrClosed) || !closed && !errors.Is(err, context.Canceled) {
		t.Errorf("CaptureRequest after %s = %v", call, err)
	}
	if call == "SwitchMode" {
		if cfg, err := c.Configuration(); err != nil || cfg.Main.Size != size {
			t.Errorf("configuration after a SwitchMode that gave up = %v, %v; want the previous one (%v)", cfg.Main.Size, err, size)
		}
	}
	// Asked again while the callback is still stuck: the same answer.
	if err := run(); !errors.Is(err, ErrCallbackStuck) {
		t.Errorf("%s again while the %s is still stuck = %v, want ErrCallbackStuck", call, where, err)
	}

	stuck.unblock()
	select {
	case n := <-stuck.read:
		if n <= 0 {
			t.Errorf("the stuck callback read %d non-zero bytes of its frame after the camera gave up, want the bars", n)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("the callback did not finish reading its frame; panics: %d", c.Stats().CallbackPanics)
	}
	// Its goroutine ends by itself once it returned; what follows then
	// waits for nothing, whatever the machine's load.
	callbacksEnded(t, c)
	if call == "Stop" || call == "SwitchMode" {
		// The camera works again once the callback returned.
		if call == "SwitchMode" {
			if _, err := c.SwitchMode(nv12Config(c, Size{Width: 640, Height: 480})); err != nil {
				t.Fatalf("SwitchMode after the callback returned: %v", err)
			}
		}
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		r, err := c.CaptureRequest(ctxT(t))
		if err != nil {
			t.Fatalf("CaptureRequest after the callback returned: %v", err)
		}
		r.Release()
	}
	// The later Close finishes the cleanup.
	if err := c.Close(); err != nil {
		t.Errorf("Close after the callback returned = %v, want nil", err)
	}
	done()
}

// callbacksEnded waits until every callback goroutine of the camera's
// stopped engines has ended.
func callbacksEnded(t *testing.T, c *Camera) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		c.mu.Lock()
		n := len(c.pendingCallbacks())
		c.mu.Unlock()
		if n == 0 {
			return
		}
	}
	t.Fatal("a callback goroutine did not end after its callback returned")
}
