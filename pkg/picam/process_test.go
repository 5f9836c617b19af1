package picam

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestProcessOrdered: 3 workers, random processing times, results in frame
// order; buffers bounded (the camera keeps one of its 4) and all returned.
//
// Nothing here depends on timing: the first frame's worker waits until a
// later frame's worker has finished, so frames are processed in parallel
// and finish out of order whatever the scheduling; the bounds are measured
// exactly where they are kept (workers count themselves, the stream records
// the most frames it had out at once), not by sampling the camera.
func TestProcessOrdered(t *testing.T) {
	c, _ := startCamera(t, barsID, small, startOpts{NoQueue: true, Options: func(o *Options) { o.MaxFrameRate = 400 }, Running: true})
	ctx := ctxT(t)
	leaks := checkLeaks(t)
	var active, most atomic.Int32
	var finished []uint32 // completion order
	var mu sync.Mutex
	var stream atomic.Pointer[FrameStream] // the stream Process takes frames from
	var holding atomic.Int64               // 1 + the sequence of the frame held back
	laterDone := make(chan struct{})       // closed when a later frame is done
	var laterOnce sync.Once
	fn := func(ctx context.Context, r *CompletedRequest) (uint32, error) {
		n := active.Add(1)
		defer active.Add(-1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		stream.Store(r.h.stream)
		f, err := r.Frame(Main)
		if err != nil {
			return 0, err
		}
		if scroll(f) < 0 {
			return 0, errors.New("no bars")
		}
		seq := int64(r.Sequence())
		if holding.CompareAndSwap(0, seq+1) {
			// Hold the first frame a worker gets until another worker
			// finished a later one: that one ran in parallel and finished
			// first.
			select {
			case <-laterDone:
			case <-ctx.Done():
				return 0, ctx.Err()
			case <-time.After(10 * time.Second):
				return 0, errors.New("no other frame was processed while the first one was")
			}
		} else {
			time.Sleep(time.Duration(rand.IntN(16000)) * time.Microsecond)
		}
		mu.Lock()
		finished = append(finished, r.Sequence())
		mu.Unlock()
		if seq+1 > holding.Load() {
			laterOnce.Do(func() { close(laterDone) })
		}
		return r.Sequence(), nil
	}
	var results []Result[uint32]
	start := time.Now()
	for res, err := range Process(ctx, c, ProcessOptions{Workers: 3}, fn) {
		if err != nil {
			t.Fatal(err)
		}
		results = append(results, res)
		if len(results) == 150 {
			break
		}
	}
	elapsed := time.Since(start)
	for i, res := range results {
		if res.Value != res.Sequence || res.Timestamp == 0 {
			t.Fatalf("result %d: %+v", i, res)
		}
		if i > 0 && res.Sequence <= results[i-1].Sequence {
			t.Fatalf("result %d: sequence %d after %d", i, res.Sequence, results[i-1].Sequence)
		}
	}
	outOfOrder := 0
	for i := 1; i < len(finished); i++ {
		if finished[i] < finished[i-1] {
			outOfOrder++
		}
	}
	if outOfOrder == 0 || most.Load() < 2 {
		t.Errorf("no parallelism: %d out-of-order completions, at most %d at once", outOfOrder, most.Load())
	}
	// Frames with the workers plus those queued for them: at most 3 of the
	// 4 buffers, so that the camera always keeps one.
	held := int32(-1)
	if st := stream.Load(); st != nil {
		held = st.peak.Load()
	}
	if most.Load() > 3 || held > 3 || held < 1 {
		t.Errorf("%d frames processed at once, at most %d of 4 buffers taken by Process", most.Load(), held)
	}
	waitHeld(t, c, 0)
	leaks()
	t.Logf("150 results in order in %v (%.0f/s), %d finished out of order, at most %d at once, at most %d of 4 buffers taken; stats %+v",
		elapsed.Round(time.Millisecond), 150/elapsed.Seconds(), outOfOrder, most.Load(), held, c.Stats())
}

// TestProcessCancel cancels mid-stream while frames are being processed
// and counts the buffers and goroutines.
//
// "Every frame Process took was released" is checked on Process's own
// stream, the moment the loop ends: the camera's held count also counts
// the frame its engine is delivering at that moment, which a running
// camera may be doing at any time, so that one is only waited for.
func TestProcessCancel(t *testing.T) {
	c, _ := startCamera(t, barsID, small, startOpts{NoQueue: true, Running: true})
	leaks := checkLeaks(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var processing atomic.Int32
	var stream atomic.Pointer[FrameStream] // the stream Process takes frames from
	n := 0
	var last error
	for res, err := range Process(ctx, c, ProcessOptions{Workers: 4}, func(ctx context.Context, r *CompletedRequest) (int, error) {
		stream.Store(r.h.stream)
		processing.Add(1)
		defer processing.Add(-1)
		select {
		case <-time.After(time.Duration(rand.IntN(5)) * time.Millisecond):
		case <-ctx.Done():
		}
		return int(r.Sequence()), nil
	}) {
		if err != nil {
			last = err
			continue
		}
		if n++; n == 20 {
			cancel()
		}
		_ = res
	}
	if !errors.Is(last, context.Canceled) {
		t.Errorf("last error %v", last)
	}
	if p := processing.Load(); p != 0 {
		t.Errorf("%d workers still running after the loop", p)
	}
	checkProcessReleased(t, "the loop", stream.Swap(nil))
	waitHeld(t, c, 0)
	leaks()
	// Breaking out works the same.
	n = 0
	for _, err := range Process(context.Background(), c, ProcessOptions{}, func(ctx context.Context, r *CompletedRequest) (int, error) {
		stream.Store(r.h.stream)
		time.Sleep(time.Millisecond)
		return 0, nil
	}) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 10 {
			break
		}
	}
	checkProcessReleased(t, "break", stream.Load())
	waitHeld(t, c, 0)
	leaks()
}

// checkProcessReleased fails unless Process's stream st, right after the
// loop ended, is closed and holds no frame: none with a worker, none
// queued for the feeder.
func checkProcessReleased(t *testing.T, after string, st *FrameStream) {
	t.Helper()
	if st == nil {
		t.Fatalf("no frame was processed before %s", after)
	}
	if h := st.held.Load(); h != 0 {
		t.Errorf("%d frames of Process held right after %s", h, after)
	}
	if st.Err() == nil {
		t.Errorf("Process's stream still open right after %s", after)
	}
}

func TestProcessFirstError(t *testing.T) {
	c, _ := startCamera(t, barsID, small, startOpts{NoQueue: true, Running: true})
	ctx := ctxT(t)
	leaks := checkLeaks(t)
	boom := errors.New("boom")
	var first uint32
	var once sync.Once
	var seqs []uint32
	var last error
	for res, err := range Process(ctx, c, ProcessOptions{Workers: 3}, func(ctx context.Context, r *CompletedRequest) (uint32, error) {
		s := r.Sequence()
		once.Do(func() { first = s })
		if s >= first+10 {
			return 0, boom
		}
		time.Sleep(time.Duration(rand.IntN(3)) * time.Millisecond)
		return s, nil
	}) {
		if err != nil {
			if last != nil {
				t.Error("two errors yielded")
			}
			last = err
			continue
		}
		if last != nil {
			t.Error("a result after the error")
		}
		seqs = append(seqs, res.Sequence)
	}
	if !errors.Is(last, boom) || !strings.Contains(last.Error(), "process frame") {
		t.Errorf("error %v", last)
	}
	for i, s := range seqs {
		if s >= first+10 || (i > 0 && s <= seqs[i-1]) {
			t.Errorf("results %v (first frame %d)", seqs, first)
			break
		}
	}
	if h := heldCount(c); h != 0 {
		t.Errorf("%d buffers held after the error", h)
	}
	// A panic is an error too.
	for _, err := range Process(ctx, c, ProcessOptions{Workers: 2}, func(ctx context.Context, r *CompletedRequest) (int, error) {
		panic("worker boom")
	}) {
		var pe *PanicError
		if !errors.As(err, &pe) || pe.Where != "process" || pe.Value != "worker boom" {
			t.Errorf("panic error %v", err)
		}
	}
	waitHeld(t, c, 0)
	leaks()
	t.Logf("results %v then %v", seqs, last)
}
