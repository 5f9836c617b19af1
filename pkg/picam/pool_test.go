package picam

import (
	"context"
	"iter"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestPerFrameNoAllocs: once warm, the per-frame paths allocate nothing,
// whatever runs for them on the engine's goroutine included: a capture
// with its view and release, a stream's Next, the Frames iterator and a
// Process loop.
func TestPerFrameNoAllocs(t *testing.T) {
	if asanEnabled {
		t.Skip("allocation counts under AddressSanitizer are the instrumentation's")
	}
	c, _ := startCamera(t, barsID, small, startOpts{})
	ctx := ctxT(t)
	var sink byte
	// The view, its colour space where libcamera reports one (0.5 on).
	view := func(t *testing.T, r *CompletedRequest) {
		f, err := r.Frame(Main)
		if err != nil {
			t.Fatal(err)
		}
		sink += f.Planes[0][0] + byte(r.Sequence())
		if f.ColorSpace != nil {
			sink += byte(f.ColorSpace.Range)
		}
	}
	noAllocs := func(t *testing.T, frame func()) {
		t.Helper()
		for range 20 {
			frame()
		}
		if n := testing.AllocsPerRun(200, frame); n != 0 {
			t.Errorf("%v allocations per frame, want 0", n)
		}
	}
	t.Run("CaptureRequest", func(t *testing.T) {
		noAllocs(t, func() {
			r, err := c.CaptureRequest(ctx)
			if err != nil {
				t.Fatal(err)
			}
			view(t, r)
			if err := r.Release(); err != nil {
				t.Fatal(err)
			}
		})
	})
	t.Run("CaptureRequestLeading", func(t *testing.T) {
		// A context that cannot end: the call waits on the doorbell itself
		// when no frame is ready (lead.go).
		noAllocs(t, func() {
			r, err := c.CaptureRequest(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			view(t, r)
			r.Release()
		})
	})
	t.Run("Stream", func(t *testing.T) {
		st, err := c.Stream(ctx, StreamOptions{Policy: Block, Buffer: 2})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		noAllocs(t, func() {
			r, err := st.Next(ctx)
			if err != nil {
				t.Fatal(err)
			}
			view(t, r)
			r.Release()
		})
	})
	t.Run("Frames", func(t *testing.T) {
		next, stop := iter.Pull2(c.Frames(ctx, StreamOptions{Policy: Block, Buffer: 2}))
		defer stop()
		noAllocs(t, func() {
			r, err, ok := next() // releases the frame before
			if !ok || err != nil {
				t.Fatalf("Frames ended: %v", err)
			}
			view(t, r)
		})
	})
	t.Run("Process", func(t *testing.T) {
		next, stop := iter.Pull2(Process(ctx, c, ProcessOptions{Workers: 2}, func(_ context.Context, r *CompletedRequest) (byte, error) {
			f, err := r.Frame(Main)
			if err != nil {
				return 0, err
			}
			return f.Planes[0][0], nil
		}))
		defer stop()
		var last uint32
		noAllocs(t, func() {
			res, err, ok := next()
			if !ok || err != nil {
				t.Fatalf("Process ended: %v", err)
			}
			if last != 0 && res.Sequence <= last {
				t.Fatalf("result of frame %d after frame %d", res.Sequence, last)
			}
			last = res.Sequence
			sink += res.Value
		})
	})
	t.Run("CaptureRequestAsync", func(t *testing.T) {
		// A job is a goroutine with a context of its own, part of the Job
		// (jobcontext.go): the Job, its done channel, its context's, the
		// capture's closure and the goroutine's. A parent context that can
		// end adds its AfterFunc.
		const want = 5
		job := func() {
			r, err := c.CaptureRequestAsync(context.Background()).Wait(ctx)
			if err != nil {
				t.Fatal(err)
			}
			view(t, r)
			r.Release()
		}
		for range 20 {
			job()
		}
		if n := testing.AllocsPerRun(200, job); n > want {
			t.Errorf("%v allocations per job, want at most %d", n, want)
		}
	})
	_ = sink
	if st := c.Stats(); st.Leaked != 0 {
		t.Errorf("after the loops: %+v", st)
	}
}

// TestReusedHandleLeakGuard: handles the camera reuses keep the leak
// guard. Released handles, kept for reuse or let go by the free list when
// it is full, are never reported; a reused handle dropped unreleased is
// found, logged and its buffer recovered, as a new one is.
func TestReusedHandleLeakGuard(t *testing.T) {
	if checkViews.Load() {
		t.Skip("the checked mode (PICAMGO_CHECK=views) reuses no handle")
	}
	c, lb := startCamera(t, barsID, small, startOpts{NoQueue: true})
	r := capture(t, c)
	more := make([]*CompletedRequest, freeListMax+20)
	for i := range more {
		more[i] = r.Acquire()
	}
	for _, x := range more {
		x.Release()
	}
	r.Release()
	more = nil
	if n := len(c.handles.items); n != freeListMax {
		t.Fatalf("%d handles kept for reuse, want %d", n, freeListMax)
	}
	for range 3 {
		runtime.GC() // the 21 handles the free list let go are collected, released
	}
	leakRequests(t, c, 4) // reused handles: the free list is full
	if n := len(c.handles.items); n != freeListMax-4 {
		t.Fatalf("%d handles kept for reuse after 4 captures, want %d", n, freeListMax-4)
	}
	waitHeld(t, c, 4)
	waitLeaked(t, c, 4)
	for range 3 {
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
	}
	if n := c.Stats().Leaked; n != 4 {
		t.Errorf("%d requests reported leaked, want the 4 dropped unreleased", n)
	}
	if log := lb.String(); strings.Count(log, "never released") != 4 {
		t.Errorf("leak log:\n%s", log)
	}
	for range 10 {
		capture(t, c).Release()
	}
	waitHeld(t, c, 0)
}
