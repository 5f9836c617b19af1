package picam

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/picamgo/picamgo/internal/testenv"
)

// TestNoLeaksOver200Cycles opens, configures, starts, captures, stops and
// closes the cameras 200 times (Picamera2's #887 scenario) and checks that
// no descriptor, buffer mapping or goroutine is left behind.
func TestNoLeaksOver200Cycles(t *testing.T) {
	// A warm-up cycle: what libcamera keeps for the process's life is not a leak.
	cycle(t, 0)
	done := checkLeaks(t)
	before := countResources()
	start := time.Now()
	const n = 200
	for i := range n {
		cycle(t, i)
	}
	elapsed := time.Since(start)
	after := done()
	t.Logf("%d cycles in %v (%v each); before %+v, after %+v", n, elapsed.Round(time.Millisecond),
		(elapsed / n).Round(time.Microsecond), before, after)
}

func cycle(t *testing.T, i int) {
	id, size := barsID, Size{Width: 64, Height: 48}
	if i%2 == 1 {
		id, size = linesID, Size{Width: 320, Height: 240}
	}
	opts, _ := testOptions(id)
	c, err := OpenWith(opts)
	if err != nil {
		t.Fatalf("cycle %d: %v", i, err)
	}
	cfg := nv12Config(c, size)
	if i%3 == 0 {
		cfg.Lores = &StreamConfig{Size: size, Format: FormatNV12}
	}
	if _, err := c.Configure(cfg); err != nil {
		t.Fatalf("cycle %d: %v", i, err)
	}
	if err := c.Start(); err != nil {
		t.Fatalf("cycle %d: %v", i, err)
	}
	r := capture(t, c)
	if _, err := r.Frame(Main); err != nil {
		t.Fatal(err)
	}
	if i%4 == 0 {
		// Held across Stop and Close, released afterwards.
		if err := c.Stop(); err != nil {
			t.Fatal(err)
		}
		c.Close()
		r.Release()
		return
	}
	r.Release()
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestCloseEndsGoroutines: once Stop or Close returns, no callback runs
// (a running one was waited for) and the callback goroutine has given back
// its frames; once Close returns, asynchronous captures are done too. The
// fds and mappings are counted at once; goroutines with the leak check's
// grace period, since a goroutine that signalled its end exits just after.
func TestCloseEndsGoroutines(t *testing.T) {
	cycle(t, 0) // warm-up, as in TestNoLeaksOver200Cycles
	done := checkLeaks(t)
	base := env.Count()
	snap := testenv.TakeSnapshot()
	c, _ := startCamera(t, barsID, small, startOpts{NoQueue: true, Running: true})
	ctx := ctxT(t)
	var inside atomic.Int32
	entered := make(chan struct{}, 1)
	c.SetPostCallback(func(*CompletedRequest) {
		inside.Add(1)
		defer inside.Add(-1)
		select {
		case entered <- struct{}{}:
		default:
		}
		time.Sleep(30 * time.Millisecond)
	})
	<-entered
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if n := inside.Load(); n != 0 {
		t.Errorf("a callback runs after Stop returned")
	}
	c.mu.Lock()
	pending := len(c.stopped)
	c.mu.Unlock()
	if pending != 0 {
		t.Errorf("%d stopped engines not waited for", pending)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	<-entered
	// Jobs that wait for a frame that never comes end with Close.
	jobs := []*Job[*CompletedRequest]{
		c.CaptureRequestAsync(ctx, After(time.Now().Add(time.Hour))),
		c.CaptureRequestAsync(ctx, After(time.Now().Add(time.Hour))),
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if n := inside.Load(); n != 0 {
		t.Errorf("a callback runs after Close returned")
	}
	for _, j := range jobs {
		if _, err := j.Result(); !errors.Is(err, ErrNotStarted) && !errors.Is(err, ErrClosed) {
			t.Errorf("job after Close: %v, want done with ErrNotStarted or ErrClosed", err)
		}
	}
	if now := env.Count(); now.FDs != base.FDs || now.Mappings != base.Mappings || now.MemfdMaps != base.MemfdMaps {
		t.Errorf("right after Close: %v, before Open %v%s", now, base, testenv.TakeSnapshot().Since(snap))
	}
	// A job on a closed camera fails at once, without a goroutine.
	if _, err := c.CaptureRequestAsync(ctx).Result(); !errors.Is(err, ErrClosed) {
		t.Errorf("job on a closed camera: %v", err)
	}
	done()
}
