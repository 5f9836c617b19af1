package libcamera

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// waitResult is what a WaitRequest running in a goroutine returned.
type waitResult struct {
	req *Request
	err error
}

func waitAsync(cam *Camera, ctx context.Context) <-chan waitResult {
	ch := make(chan waitResult, 1)
	go func() {
		req, err := cam.WaitRequest(ctx)
		ch <- waitResult{req, err}
	}()
	return ch
}

// expectBlocked fails if a wait finished within d: nothing was queued.
func expectBlocked(t *testing.T, ch <-chan waitResult, d time.Duration) {
	t.Helper()
	select {
	case res := <-ch:
		t.Fatalf("WaitRequest returned %v, %v with no request queued", res.req, res.err)
	case <-time.After(d):
	}
}

func expectResult(t *testing.T, ch <-chan waitResult) waitResult {
	t.Helper()
	select {
	case res := <-ch:
		return res
	case <-time.After(5 * time.Second):
		t.Fatal("WaitRequest still blocked after 5 s")
	}
	return waitResult{}
}

// A blocked WaitRequest ends with its context; a context cancelled while
// nobody waits, or a context left over from an earlier call, disturbs no
// later wait.
func TestWaitRequestContext(t *testing.T) {
	warmUp(t)
	done := checkLeaks(t)
	t.Run("", func(t *testing.T) {
		r := newRig(t, barsID, Size{64, 48}, AllocatorMemfd)
		if err := r.cam.Start(nil); err != nil { // nothing queued: nothing completes
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		w := waitAsync(r.cam, ctx)
		expectBlocked(t, w, 100*time.Millisecond)
		start := time.Now()
		cancel()
		if res := expectResult(t, w); !errors.Is(res.err, context.Canceled) {
			t.Fatalf("after cancel: %v, %v; want context.Canceled", res.req, res.err)
		}
		t.Logf("cancel ended the wait in %v", time.Since(start))

		tctx, tcancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer tcancel()
		if _, err := r.cam.WaitRequest(tctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("timeout: %v, want context.DeadlineExceeded", err)
		}
		if _, err := r.cam.WaitRequest(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled context: %v, want context.Canceled", err)
		}

		// A request arrives with the context still registered; then that
		// context is cancelled while nobody waits. The next wait, with
		// another context, must block until a request comes, not fail.
		long, longCancel := context.WithCancel(context.Background())
		r.requeueFresh(t, r.requests[0])
		req, err := r.cam.WaitRequest(long)
		if err != nil || req != r.requests[0] {
			t.Fatalf("WaitRequest: %v, %v; want the queued request", req, err)
		}
		longCancel()
		w = waitAsync(r.cam, context.Background())
		expectBlocked(t, w, 100*time.Millisecond)
		r.requeue(t, req)
		if res := expectResult(t, w); res.err != nil || res.req != req {
			t.Fatalf("WaitRequest after a stale cancellation: %v, %v", res.req, res.err)
		}
		r.stopAndDrain(t)
	})
	done()
}

// requeueFresh queues a request that has never been queued.
func (r *rig) requeueFresh(t *testing.T, req *Request) {
	t.Helper()
	if err := r.cam.QueueRequest(req); err != nil {
		t.Fatalf("QueueRequest: %v", err)
	}
}

// Several goroutines waiting at once (one on the doorbell, the others on
// the channel) share the frames: none is lost or delivered twice.
func TestWaitRequestConcurrentWaiters(t *testing.T) {
	warmUp(t)
	done := checkLeaks(t)
	t.Run("", func(t *testing.T) {
		r := newRig(t, barsID, Size{64, 48}, AllocatorMemfd)
		r.start(t)
		const total = 3000
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		var (
			mu     sync.Mutex
			seen   = map[uint32]bool{}
			perG   [3]int
			failed error
			wg     sync.WaitGroup
		)
		for g := range perG {
			wg.Go(func() {
				for {
					mu.Lock()
					finished := len(seen) >= total || failed != nil
					mu.Unlock()
					if finished {
						return
					}
					wctx, wcancel := context.WithTimeout(ctx, 200*time.Millisecond)
					req, err := r.cam.WaitRequest(wctx)
					wcancel()
					if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
						continue // the others took the frames in flight
					}
					mu.Lock()
					switch {
					case err != nil:
						failed = err
					case req.Status() != RequestComplete:
						failed = errors.New("status " + req.Status().String())
					case seen[req.Sequence()]:
						failed = errors.New("a sequence number was delivered twice")
					default:
						seen[req.Sequence()] = true
						perG[g]++
					}
					mu.Unlock()
					if err != nil {
						return
					}
					if err := req.Reuse(ReuseBuffers); err != nil {
						mu.Lock()
						failed = err
						mu.Unlock()
						return
					}
					if err := r.cam.QueueRequest(req); err != nil {
						mu.Lock()
						failed = err
						mu.Unlock()
						return
					}
				}
			})
		}
		wg.Wait()
		if failed != nil {
			t.Fatal(failed)
		}
		if len(seen) < total {
			t.Fatalf("%d frames, want %d", len(seen), total)
		}
		if n := r.cam.LostCompletions(); n != 0 {
			t.Fatalf("%d completions lost", n)
		}
		t.Logf("frames per waiter: %v", perG)
		r.stopAndDrain(t)
	})
	done()
}

// Closing the camera ends every wait with ErrClosed, and releases the
// doorbell's descriptor (checkLeaks counts it).
func TestWaitRequestClose(t *testing.T) {
	warmUp(t)
	done := checkLeaks(t)
	t.Run("", func(t *testing.T) {
		r := newRig(t, barsID, Size{64, 48}, AllocatorMemfd)
		if err := r.cam.Start(nil); err != nil {
			t.Fatal(err)
		}
		w1 := waitAsync(r.cam, context.Background())
		w2 := waitAsync(r.cam, context.Background()) // one of the two waits on the channel
		expectBlocked(t, w1, 100*time.Millisecond)
		if err := r.m.Close(); err != nil {
			t.Fatal(err)
		}
		for _, w := range []<-chan waitResult{w1, w2} {
			if res := expectResult(t, w); !errors.Is(res.err, ErrClosed) {
				t.Errorf("blocked WaitRequest at Close: %v, %v; want ErrClosed", res.req, res.err)
			}
		}
		if _, err := r.cam.WaitRequest(context.Background()); !errors.Is(err, ErrClosed) {
			t.Errorf("WaitRequest after Close: %v, want ErrClosed", err)
		}
	})
	done()
}

// The capture loop allocates nothing per frame, with a cancellable context
// reused across calls (the benchmark reports the same with -benchmem).
func TestWaitRequestNoAllocs(t *testing.T) {
	if asanEnabled {
		// Measured: 3 per frame with -asan, 0 without; the instrumented
		// cgo calls allocate, the loop does not.
		t.Skip("allocation counts under AddressSanitizer are the instrumentation's")
	}
	r := newRig(t, barsID, Size{64, 48}, AllocatorMemfd)
	r.start(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	loop := func() {
		req, err := r.cam.WaitRequest(ctx)
		if err != nil {
			t.Fatal(err)
		}
		r.requeue(t, req)
	}
	for range 50 {
		loop()
	}
	if n := testing.AllocsPerRun(500, loop); n != 0 {
		t.Errorf("%v allocations per frame, want 0", n)
	}
	r.stopAndDrain(t)
}

// taggedCtx is a context that cannot be compared (it holds a slice):
// WaitRequest must not compare contexts.
type taggedCtx struct {
	context.Context
	tags []string
}

func TestWaitRequestUncomparableContext(t *testing.T) {
	r := newRig(t, barsID, Size{64, 48}, AllocatorMemfd)
	r.start(t)
	parent, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := range 20 {
		ctx := taggedCtx{parent, []string{"frame", string(rune('a' + i))}}
		req, err := r.cam.WaitRequest(ctx)
		if err != nil {
			t.Fatal(err)
		}
		r.requeue(t, req)
	}
	r.stopAndDrain(t)
}
