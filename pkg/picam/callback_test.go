package picam

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestCallbacks(t *testing.T) {
	c, lb := startCamera(t, barsID, small, startOpts{NoQueue: true, Running: true})
	ctx := ctxT(t)
	leaks := checkLeaks(t)
	var pre, post atomic.Int32
	var order sync.Map // sequence -> "pre" then "pre,post"
	c.SetPreCallback(func(r *CompletedRequest) {
		pre.Add(1)
		f, _ := r.Frame(Main)
		f.Planes[0][0] = 1 // drawn before anyone sees the frame
		order.Store(r.Sequence(), "pre")
	})
	c.SetPostCallback(func(r *CompletedRequest) {
		post.Add(1)
		if v, _ := order.Load(r.Sequence()); v != "pre" {
			t.Errorf("post-callback of frame %d after %v", r.Sequence(), v)
		}
		order.Store(r.Sequence(), "pre,post")
	})
	// Each scenario goes on with the camera the ones before left running.
	var perr *PanicError // the first panic reported
	t.Run("pre-callback before captures", func(t *testing.T) {
		for range 20 {
			r := capture(t, c)
			if f, _ := r.Frame(Main); f.Planes[0][0] != 1 {
				t.Error("a frame was handed out before its pre-callback")
			}
			r.Release()
		}
	})
	t.Run("pre-callback before streams", func(t *testing.T) {
		for r, err := range c.Frames(ctx, FrameStreamOptions{}) {
			if err != nil {
				t.Fatal(err)
			}
			if f, _ := r.Frame(Main); f.Planes[0][0] != 1 {
				t.Error("a streamed frame was handed out before its pre-callback")
			}
			if r.Sequence() > 60 {
				break
			}
		}
		// Every frame captured went through the pre-callback. The
		// post-callback may skip frames while the callback goroutine is behind
		// (a loaded machine), but it goes on with the camera's frames.
		if pre.Load() < 20 {
			t.Errorf("pre-callback ran %d times for 20 captures", pre.Load())
		}
		for deadline := time.Now().Add(10 * time.Second); post.Load() < 20; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("post-callback ran %d times in 10s; stats %+v", post.Load(), c.Stats())
			}
		}
	})
	// Panics: recovered, reported, and the camera goes on.
	t.Run("panics", func(t *testing.T) {
		var calls atomic.Int32
		c.SetPreCallback(func(r *CompletedRequest) {
			if calls.Add(1)%3 == 0 {
				panic("boom in pre")
			}
		})
		c.SetPostCallback(func(r *CompletedRequest) {
			if r.Sequence()%4 == 0 {
				panic(fmt.Errorf("boom in post %d", r.Sequence()))
			}
		})
		for range 30 {
			capture(t, c).Release()
		}
		// No waiting: the frames captured went through the pre-callback, at
		// least 29 of them through this one, and a panic is reported before
		// its frame goes on.
		select {
		case err := <-c.CallbackErrors():
			if !errors.As(err, &perr) || !errors.Is(err, ErrPanic) || perr.Camera != barsID ||
				!strings.Contains(string(perr.Stack), "callback_test.go") {
				t.Errorf("callback error %v", err)
			}
		default:
			t.Fatalf("no callback error reported; stats %+v", c.Stats())
		}
		st := c.Stats()
		if st.CallbackPanics < 5 {
			t.Errorf("stats %+v", st)
		}
		if !strings.Contains(lb.String(), "callback panicked") || !strings.Contains(lb.String(), "boom in p") {
			t.Error("panic not logged")
		}
	})
	// A slow pre-callback: frames it cannot take are dropped, the camera
	// and the engine go on, and capture calls get frames late, not never.
	// Slow relative to the camera, whatever the load: each call waits for
	// the camera to complete slowWait more frames. At most cbQueue of them
	// can wait for the callback goroutine, so the others are skipped.
	t.Run("slow pre-callback", func(t *testing.T) {
		const slowWait = 5
		c.SetPostCallback(nil)
		var slowErr atomic.Value
		c.SetPreCallback(func(*CompletedRequest) {
			if slowErr.Load() != nil {
				return // failed: do not hold up the rest
			}
			from := c.frames.Load() // Stats().Frames
			deadline := time.Now().Add(10 * time.Second)
			for c.frames.Load() < from+slowWait {
				if time.Now().After(deadline) {
					slowErr.Store(fmt.Sprintf("the camera completed %d frames in 10s behind a slow pre-callback", c.frames.Load()-from))
					return
				}
				time.Sleep(200 * time.Microsecond)
			}
		})
		before := c.Stats()
		start := time.Now()
		for range 5 {
			capture(t, c).Release()
		}
		c.SetPreCallback(nil)
		after := c.Stats()
		if v := slowErr.Load(); v != nil {
			t.Error(v)
		}
		// Of the 5 frames captured, the last 4 went through slow pre-callbacks
		// that started after before was taken.
		if skipped := int(after.CallbackSkipped - before.CallbackSkipped); skipped < 4*(slowWait-cbQueue) || after.Frames-before.Frames < 4*slowWait {
			t.Errorf("slow pre-callback: before %+v after %+v in %v", before, after, time.Since(start))
		}
		for range 5 {
			capture(t, c).Release()
		}
	})
	waitHeld(t, c, 0)
	leaks()
	// A callback may stop the camera without deadlocking: a Stop that
	// waited for its own callback would never return. The deadline only
	// bounds that hang.
	t.Run("stop from a callback", func(t *testing.T) {
		stopped := make(chan error, 1)
		c.SetPostCallback(func(*CompletedRequest) {
			select {
			case stopped <- c.Stop():
			default:
			}
		})
		select {
		case err := <-stopped:
			if err != nil {
				t.Error(err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("Stop from a callback hung for 20s")
		}
		if c.Started() {
			t.Error("Stop from a callback left the camera started")
		}
		c.SetPostCallback(nil)
		waitHeld(t, c, 0)
	})
	t.Logf("stats %+v, first panic report: %v", c.Stats(), perr)
}
