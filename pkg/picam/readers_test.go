package picam

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Tests of how the engine hands completed requests out and requeues them on
// release (requeue.go), with several goroutines capturing and releasing
// at once, on an unpaced camera so that frames come as fast as they are
// released.

// TestConcurrentReadersFrameOrder runs readers whose context cannot end
// beside readers whose context can, with and without Configuration.Queue. Every reader must see sequence numbers
// strictly increasing, and a call must never get a frame that an earlier
// call had already returned: a call starting after some call returned
// frame s gets a frame after s. Frames handed out of order, or a frame
// kept after it was handed out, break one or the other.
func TestConcurrentReadersFrameOrder(t *testing.T) {
	for _, noQueue := range []bool{false, true} {
		name := "Queue"
		if noQueue {
			name = "NoQueue"
		}
		t.Run(name, func(t *testing.T) {
			c, _ := startCamera(t, barsID, small, startOpts{NoQueue: noQueue, Options: unpaced})
			capture(t, c).Release() // frames flow
			if err := c.Stop(); err != nil {
				t.Fatal(err)
			}
			done := checkLeaks(t) // stopped, as the test ends
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			const readers, frames = 4, 150
			var (
				returned atomic.Int64 // the newest sequence any call returned, +1
				wg       sync.WaitGroup
				got      [readers][]uint32
				errs     = make(chan error, readers)
			)
			cancelCtx, cancel := context.WithCancel(ctxT(t))
			defer cancel()
			for i := range readers {
				ctx := context.Background() // cannot end
				if i%2 == 1 {
					ctx = cancelCtx
				}
				wg.Go(func() {
					for range frames {
						floor := returned.Load()
						r, err := c.CaptureRequest(ctx)
						if err != nil {
							errs <- err
							return
						}
						seq := int64(r.Sequence())
						if seq+1 <= floor {
							errs <- errors.New("a call got a frame older than or equal to one returned before it started")
							r.Release()
							return
						}
						for {
							old := returned.Load()
							if seq+1 <= old || returned.CompareAndSwap(old, seq+1) {
								break
							}
						}
						got[i] = append(got[i], uint32(seq))
						if i == 0 && seq%3 == 0 {
							// Hold one frame while the next is captured: the
							// release then races with the other readers'.
							r2, err := c.CaptureRequest(ctx)
							if err == nil {
								got[i] = append(got[i], r2.Sequence())
								r2.Release()
							}
						}
						r.Release()
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			for i, seqs := range got {
				if len(seqs) < frames {
					t.Errorf("reader %d got %d frames, want at least %d", i, len(seqs), frames)
				}
				for j := 1; j < len(seqs); j++ {
					if seqs[j] <= seqs[j-1] {
						t.Fatalf("reader %d: sequence %d after %d (frame %d)", i, seqs[j], seqs[j-1], j)
					}
				}
			}
			want := 0
			if !noQueue {
				want = 1 // the newest frame kept back
			}
			if h := heldCount(c); h > want {
				t.Errorf("held %d after every reader released, want at most %d", h, want)
			}
			if err := c.Stop(); err != nil {
				t.Fatal(err)
			}
			if st := c.Stats(); st.Held != 0 {
				t.Errorf("Held = %d after Stop, want 0", st.Held)
			}
			done()
		})
	}
}

// TestReleaseRacesStopAndSwitch captures on several goroutines and
// releases each frame on another goroutine, while the camera is stopped,
// started again, switched to another mode and finally closed. Every call
// must end with a frame or the stopped or closed camera's error, every
// frame handed out must be released exactly once (a second release says
// ErrReleased), each reader's frames must come in order within a start,
// and nothing may leak.
func TestReleaseRacesStopAndSwitch(t *testing.T) {
	cycle(t, 0) // warm-up: what libcamera keeps for the process's life is no leak
	done := checkLeaks(t)
	c, _ := startCamera(t, barsID, small, startOpts{Options: unpaced})
	releases := make(chan *CompletedRequest, 64)
	var relWG sync.WaitGroup
	for range 2 {
		relWG.Go(func() {
			for r := range releases {
				if err := r.Release(); err != nil && !errors.Is(err, ErrClosed) {
					t.Errorf("Release: %v", err)
				}
			}
		})
	}
	var (
		stop   atomic.Bool
		frames atomic.Int64
		wg     sync.WaitGroup
		// starts goes up before and after each Stop and Start or switch:
		// a call that begins and ends with the same even count captured
		// within one start, whose sequence numbers go up.
		starts atomic.Int64
	)
	ctx, cancel := context.WithCancel(ctxT(t))
	defer cancel()
	for i := range 3 {
		rctx := context.Background()
		if i == 2 {
			rctx = ctx
		}
		wg.Go(func() {
			last, lastStart := int64(-1), int64(-1)
			for !stop.Load() {
				before := starts.Load()
				r, err := c.CaptureRequest(rctx)
				switch {
				case err == nil:
				case errors.Is(err, ErrNotStarted):
					continue
				case errors.Is(err, ErrClosed):
					return
				default:
					t.Errorf("CaptureRequest: %v", err)
					return
				}
				seq := int64(r.Sequence())
				if after := starts.Load(); after != before || after%2 == 1 {
					last, lastStart = -1, -1 // across a restart: no order to check
				} else {
					if after == lastStart && seq <= last {
						t.Errorf("sequence %d after %d within one start", seq, last)
					}
					last, lastStart = seq, after
				}
				frames.Add(1)
				releases <- r
			}
		})
	}
	other := nv12Config(c, Size{Width: 640, Height: 480})
	for round := range 12 {
		for frames.Load() < int64(40*(round+1)) {
			if err := ctx.Err(); err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			time.Sleep(100 * time.Microsecond)
		}
		starts.Add(1)
		switch round % 3 {
		case 0:
			if err := c.Stop(); err != nil {
				t.Fatalf("Stop: %v", err)
			}
			if err := c.Start(); err != nil {
				t.Fatalf("Start: %v", err)
			}
		case 1:
			if _, err := c.SwitchMode(other); err != nil {
				t.Fatalf("SwitchMode: %v", err)
			}
		case 2:
			if _, err := c.SwitchMode(nv12Config(c, small)); err != nil {
				t.Fatalf("SwitchMode back: %v", err)
			}
		}
		starts.Add(1)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	stop.Store(true)
	wg.Wait()
	close(releases)
	relWG.Wait()
	if st := c.Stats(); st.Held != 0 || st.Leaked != 0 {
		t.Errorf("after Close and every release: Held = %d, Leaked = %d, want 0, 0", st.Held, st.Leaked)
	}
	t.Logf("%d frames captured across stops, switches and the close", frames.Load())
	done()
}

// TestCaptureEndsAtStallAndStop waits with a context that cannot end while
// every buffer is held: no completion will wake the call, so the stall
// watchdog and then Stop must. A call woken only by completions would hang
// here.
func TestCaptureEndsAtStallAndStop(t *testing.T) {
	c, _ := startCamera(t, barsID, small, startOpts{NoQueue: true, Options: func(o *Options) { o.StallTimeout = time.Second }, Running: true})
	var held []*CompletedRequest
	for range 4 {
		r, err := c.CaptureRequest(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, r)
	}
	handed := make(chan struct{}, 1)
	c.waitHanded = func() { handed <- struct{}{} }
	result := make(chan error, 1)
	go func() {
		_, err := c.CaptureRequest(context.Background())
		result <- err
	}()
	<-handed
	if err := awaitResult(t, result); !errors.Is(err, ErrStalled) {
		t.Fatalf("a capture with every buffer held = %v, want ErrStalled", err)
	}
	// Again, ended by Stop this time, after the stall restarted the
	// watchdog.
	go func() {
		_, err := c.CaptureRequest(context.Background())
		result <- err
	}()
	<-handed
	c.waitHanded = nil
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := awaitResult(t, result); !errors.Is(err, ErrNotStarted) {
		t.Fatalf("a capture at Stop = %v, want ErrNotStarted", err)
	}
	for _, r := range held {
		r.Release()
	}
	if st := c.Stats(); st.Held != 0 || st.Stalls != 1 {
		t.Errorf("Held = %d, Stalls = %d, want 0 and 1", st.Held, st.Stalls)
	}
}

// awaitResult returns the call's result; 20s is only against a hang.
func awaitResult(t *testing.T, result <-chan error) error {
	t.Helper()
	select {
	case err := <-result:
		return err
	case <-time.After(20 * time.Second):
		t.Fatal("the waiting call did not end within 20s")
		return nil
	}
}
