package picam

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestStreamBlockInOrder(t *testing.T) {
	c, _ := startCamera(t, barsID, small, startOpts{NoQueue: true, Running: true})
	ctx := ctxT(t)
	leaks := checkLeaks(t)
	var seqs []uint32
	for r, err := range c.Frames(ctx, FrameStreamOptions{Policy: Block, Buffer: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		f, err := r.Frame(Main)
		if err != nil {
			t.Fatal(err)
		}
		checkBars(t, f, r.Sequence())
		seqs = append(seqs, r.Sequence())
		if len(seqs) == 100 {
			break
		}
	}
	gaps := 0
	for i := 1; i < len(seqs); i++ {
		if seqs[i] <= seqs[i-1] {
			t.Fatalf("sequence %d after %d", seqs[i], seqs[i-1])
		}
		if seqs[i] != seqs[i-1]+1 {
			gaps++
		}
	}
	waitHeld(t, c, 0)
	leaks()
	t.Logf("100 frames %d..%d, %d gaps; stats %+v", seqs[0], seqs[99], gaps, c.Stats())
}

// TestStreamDropOldestSlowConsumer: a consumer much slower than the camera
// gets fresh frames, the camera keeps running at its own rate, and capture
// calls are served meanwhile.
//
// The slowness is relative, not a sleep: holding each frame, the consumer
// waits until the camera delivered slowWait more frames to its stream and
// a capture call beside it got a frame. Whatever the load, DropOldest must
// then hand it one of the last two (Buffer) of those: a frame at least
// slowWait-1 sequence numbers later.
func TestStreamDropOldestSlowConsumer(t *testing.T) {
	const slowWait = 8
	c, _ := startCamera(t, barsID, small, startOpts{NoQueue: true, Options: func(o *Options) { o.MaxFrameRate = 200 }, Running: true})
	ctx := ctxT(t)
	leaks := checkLeaks(t)
	st, err := c.OpenFrameStream(ctx, FrameStreamOptions{Policy: DropOldest, Buffer: 2})
	if err != nil {
		t.Fatal(err)
	}
	// Capture calls on the side, while the consumer is slow.
	sideCtx, stopSide := context.WithCancel(ctx)
	var captures atomic.Int32
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			r, err := c.CaptureRequest(sideCtx)
			if err != nil {
				if sideCtx.Err() == nil {
					t.Error(err)
				}
				return
			}
			r.Release()
			captures.Add(1)
		}
	})
	defer func() { stopSide(); wg.Wait() }() // also after a t.Fatal
	// until polls cond; the deadline is only against a hang.
	until := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("a slow consumer waited 10s for %s; stream %+v, camera %+v", what, st.Stats(), c.Stats())
			}
			time.Sleep(200 * time.Microsecond)
		}
	}
	before := c.Stats()
	var seqs []uint32
	for range 10 {
		r, err := st.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, r.Sequence())
		// Slow: hold the frame while the camera delivers slowWait frames
		// to the stream and a capture call is served.
		delivered, captured := st.Stats().Delivered, captures.Load()
		until(fmt.Sprintf("%d more frames on its stream", slowWait), func() bool { return st.Stats().Delivered >= delivered+slowWait })
		until("a capture call beside the stream", func() bool { return captures.Load() > captured })
		r.Release()
	}
	after := c.Stats()
	stopSide()
	wg.Wait()
	st.Close()
	waitHeld(t, c, 0)

	// DropOldest keeps the newest: each frame is at least slowWait-1 frames
	// after the one before.
	for i := 1; i < len(seqs); i++ {
		if seqs[i]-seqs[i-1] < slowWait-1 {
			t.Errorf("frames %v: a slow DropOldest consumer got stale frames (want gaps of %d or more)", seqs, slowWait-1)
			break
		}
	}
	// What was queued and not taken was dropped, but for at most Buffer
	// frames still queued at Close.
	ss := st.Stats()
	if final := c.Stats(); ss.Dropped+10+2 < ss.Delivered || ss.Dropped < 9*(slowWait-2) || final.StreamDropped < ss.Dropped {
		t.Errorf("stream stats %+v, camera %+v", ss, final)
	}
	if !errors.Is(st.Err(), ErrStreamClosed) {
		t.Errorf("Err after Close = %v", st.Err())
	}
	leaks()
	t.Logf("camera %d frames; consumer got %v; stream %+v; %d side captures",
		after.Frames-before.Frames, seqs, ss, captures.Load())
}

// TestStreamLatestAndHoldLimit: a Latest consumer that hoards frames
// through the channel is held to its limit by the stream itself, the
// camera goes on with its last buffer, and once the consumer lets go it
// gets the newest frame.
//
// Nothing is timed: the windows are counted in frames. A broken limit
// would show on the first frame past it, and each window lasts several.
func TestStreamLatestAndHoldLimit(t *testing.T) {
	c, _ := startCamera(t, barsID, small, startOpts{NoQueue: true, Running: true})
	ctx := ctxT(t)
	st, err := c.OpenFrameStream(ctx, FrameStreamOptions{Policy: Latest, Hold: 8})
	if err != nil {
		t.Fatal(err)
	}
	const limit = 3 // Buffer 1 + Hold 8, cut to 3 of 4 buffers
	const window = 10
	var hoard []*CompletedRequest
	defer func() { // also after a t.Fatal
		for _, r := range hoard {
			r.Release()
		}
	}()
	for len(hoard) < limit {
		r, err := st.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		hoard = append(hoard, r)
	}
	// The camera still captures with its last buffer, and the stream
	// refuses every frame meanwhile.
	before := st.Stats()
	for range window {
		capture(t, c).Release()
	}
	// A capture call has its frame before the engine offered it to the
	// stream: wait for the engine to have done so for the last one.
	eventually(t, "the stream counted the frames captured", func() bool {
		s := st.Stats()
		return s.Delivered+s.Dropped-before.Delivered-before.Dropped >= window
	})
	ss := st.Stats()
	select {
	case r := <-st.C():
		hoard = append(hoard, r)
		t.Errorf("a frame past the limit of %d", limit)
	default:
	}
	if ss.Delivered != before.Delivered || ss.Dropped-before.Dropped < window {
		t.Errorf("over %d frames past the limit: stream %+v, before %+v", window, ss, before)
	}
	if held, peak := st.held.Load(), st.peak.Load(); held != limit || peak != limit {
		t.Errorf("stream holds %d, at most %d; want %d", held, peak, limit)
	}
	// Its own limit stopped it, not the engine's guard of the camera's
	// last buffer, which counts the frames it keeps from a stream that
	// would take them.
	if w := c.Stats().Withheld; w != 0 {
		t.Errorf("%d frames withheld from a stream at its limit", w)
	}
	for _, r := range hoard {
		r.Release()
	}
	hoard = nil
	// Latest keeps only the newest frame. When a capture call gets a
	// frame, the stream had every earlier one offered, so what waits for
	// it now is no older than the frame captured before: window frames
	// after the release, where Block would still give the first.
	var prev uint32
	for range window {
		r := capture(t, c)
		prev = r.Sequence()
		r.Release()
	}
	newest := capture(t, c)
	r, err := st.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if r.Sequence() < prev {
		t.Errorf("Latest gave frame %d after frames %d and %d were captured", r.Sequence(), prev, newest.Sequence())
	}
	r.Release()
	newest.Release()
	st.Close()
	waitHeld(t, c, 0)
	t.Logf("stream %+v camera %+v", st.Stats(), c.Stats())
}

func TestStreamEnds(t *testing.T) {
	c, _ := startCamera(t, barsID, small, startOpts{NoQueue: true, Running: true})
	leaks := checkLeaks(t)
	// Cancelling the context ends the stream and gives back its queue.
	ctx, cancel := context.WithCancel(context.Background())
	st, err := c.OpenFrameStream(ctx, FrameStreamOptions{Policy: Block, Buffer: 2})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond) // let it fill
	cancel()
	for {
		r, err := st.Next(context.Background())
		if err != nil {
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Next after cancel = %v", err)
			}
			break
		}
		r.Release() // taken before the stream closed
	}
	waitHeld(t, c, 0)
	leaks()
	// The iterator yields the context's error last.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	n := 0
	var last error
	for r, err := range c.Frames(ctx, FrameStreamOptions{}) {
		if err != nil {
			last = err
			continue
		}
		if r == nil {
			t.Fatal("nil request without error")
		}
		if n++; n == 5 {
			cancel()
		}
	}
	if !errors.Is(last, context.Canceled) || n < 5 {
		t.Errorf("Frames after cancel: %d frames, %v", n, last)
	}
	waitHeld(t, c, 0)
	leaks()
	// Stopping the camera ends its streams with ErrNotStarted; a frame the
	// consumer holds stays valid.
	st, err = c.OpenFrameStream(context.Background(), FrameStreamOptions{Buffer: 2})
	if err != nil {
		t.Fatal(err)
	}
	held, err := st.Next(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	for r := range st.C() {
		r.Release() // queued before the stop
	}
	if !errors.Is(st.Err(), ErrNotStarted) {
		t.Errorf("Err after Stop = %v", st.Err())
	}
	if f, err := held.Frame(Main); err != nil {
		t.Error(err)
	} else {
		checkBars(t, f, held.Sequence())
	}
	held.Release()
	st.Close()
	waitHeld(t, c, 0)
	if _, err := c.OpenFrameStream(context.Background(), FrameStreamOptions{}); !errors.Is(err, ErrNotStarted) {
		t.Errorf("Stream on a stopped camera = %v", err)
	}
	for _, err := range c.Frames(context.Background(), FrameStreamOptions{}) {
		if !errors.Is(err, ErrNotStarted) {
			t.Errorf("Frames on a stopped camera = %v", err)
		}
	}
}

func TestStreamStall(t *testing.T) {
	c, _ := startCamera(t, barsID, small, startOpts{NoQueue: true, Options: func(o *Options) { o.StallTimeout = 200 * time.Millisecond }, Running: true})
	ctx := ctxT(t)
	var held []*CompletedRequest
	for range 4 {
		held = append(held, capture(t, c))
	}
	st, err := c.OpenFrameStream(ctx, FrameStreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Next(ctx); !errors.Is(err, ErrStalled) {
		t.Errorf("Next with every buffer held = %v, want ErrStalled", err)
	}
	st.Close()
	for _, r := range held {
		r.Release()
	}
	waitHeld(t, c, 0)
}

// TestStreamsNeverStarveTheCamera: a consumer holds all its stream allows
// (3 of 4 buffers); a second stream opened then would take the last one,
// so the engine withholds every frame from streams, and the camera goes
// on.
//
// Nothing is timed: were the last buffer handed to the second stream, the
// camera would have none left and the capture calls below would stall.
func TestStreamsNeverStarveTheCamera(t *testing.T) {
	c, _ := startCamera(t, barsID, small, startOpts{NoQueue: true, Running: true})
	ctx := ctxT(t)
	s1, err := c.OpenFrameStream(ctx, FrameStreamOptions{Policy: Block, Buffer: 1, Hold: 2})
	if err != nil {
		t.Fatal(err)
	}
	var hoard []*CompletedRequest
	defer func() { // also after a t.Fatal
		for _, r := range hoard {
			r.Release()
		}
	}()
	for range 2 {
		r, err := s1.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		hoard = append(hoard, r)
	}
	// Two with the consumer, one queued. The stream's own count: the
	// camera's may include a frame passing through the engine.
	for deadline := time.Now().Add(20 * time.Second); s1.held.Load() != 3; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("first stream holds %d after 20s, want 3", s1.held.Load())
		}
	}
	s2, err := c.OpenFrameStream(ctx, FrameStreamOptions{Policy: DropOldest})
	if err != nil {
		t.Fatal(err)
	}
	// The engine took s2 before Stream returned: every frame captured now
	// came while s2 would take it.
	const frames = 10
	before := c.Stats()
	for range frames {
		capture(t, c).Release()
	}
	// A capture call has its frame before the engine offered it to the
	// streams: wait for the engine to have done so for the last one.
	eventually(t, "the streams counted the frames captured", func() bool {
		return c.Stats().Withheld-before.Withheld >= frames
	})
	after := c.Stats()
	if after.Frames-before.Frames < frames || after.Withheld-before.Withheld < frames {
		t.Errorf("over %d captures: before %+v after %+v; want every frame withheld", frames, before, after)
	}
	if n, d := s1.held.Load(), s2.Stats().Delivered; n != 3 || d != 0 {
		t.Errorf("first stream holds %d of 4 buffers, the second got %d frames; want 3 and 0", n, d)
	}
	for _, r := range hoard {
		r.Release()
	}
	hoard = nil
	// Now the second stream gets frames.
	if r, err := s2.Next(ctx); err != nil {
		t.Fatal(err)
	} else {
		r.Release()
	}
	s1.Close()
	s2.Close()
	waitHeld(t, c, 0)
	t.Logf("stats %+v", c.Stats())
}

// TestTwoCameras streams from both cameras at once; a consumer that stops
// reading one camera does not hold up the other.
//
// Counted in frames, not in frames per second: while a's consumer is
// stuck with a frame, b's consumer gets 50 frames and a's camera
// completes 30. A shared engine or lock would stop both at once; the
// deadlines are only against a hang.
func TestTwoCameras(t *testing.T) {
	a, _ := startCamera(t, barsID, small, startOpts{NoQueue: true, Options: func(o *Options) { o.MaxFrameRate = 100 }, Running: true})
	b, _ := startCamera(t, linesID, Size{Width: 320, Height: 240}, startOpts{NoQueue: true, Options: func(o *Options) { o.MaxFrameRate = 100 }, Running: true})
	ctx := ctxT(t)
	leaks := checkLeaks(t)

	// count takes want frames from c's stream (then stops), or, given
	// block, closes stuck and waits for block with its first frame held.
	stuck := make(chan struct{})
	count := func(c *Camera, want int, block <-chan struct{}) (int, error) {
		n := 0
		for _, err := range c.Frames(ctx, FrameStreamOptions{Policy: DropOldest}) {
			if err != nil {
				return n, err
			}
			n++
			if block != nil {
				close(stuck)
				<-block // stuck with a frame held
				return n, nil
			}
			if n == want {
				break
			}
		}
		return n, nil
	}
	// Both running, each with its own consumer.
	var wg sync.WaitGroup
	var na, nb int
	var ea, eb error
	wg.Go(func() { na, ea = count(a, 20, nil) })
	wg.Go(func() { nb, eb = count(b, 20, nil) })
	wg.Wait()
	if ea != nil || eb != nil || na != 20 || nb != 20 {
		t.Errorf("both: %d frames (%v), %d frames (%v)", na, ea, nb, eb)
	}

	// a's consumer is stuck; b's goes on, and so does a's camera.
	block := make(chan struct{})
	wg.Go(func() { na, ea = count(a, 0, block) })
	select {
	case <-stuck:
	case <-ctx.Done():
		t.Fatal("a's consumer got no frame")
	}
	aBefore := a.Stats().Frames
	nb2, err := count(b, 50, nil)
	for deadline := time.Now().Add(10 * time.Second); a.Stats().Frames < aBefore+30; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			break
		}
	}
	aFrames := a.Stats().Frames - aBefore
	close(block)
	wg.Wait()
	if err != nil || ea != nil || nb2 != 50 || na != 1 {
		t.Errorf("a's consumer stuck: b %d frames (%v), a's consumer %d (%v)", nb2, err, na, ea)
	}
	if aFrames < 30 {
		t.Errorf("camera a completed %d frames in 10s while its consumer was stuck", aFrames)
	}

	// Ordered processing on both at once.
	wg.Go(func() {
		n := 0
		for res, err := range Process(ctx, a, ProcessOptions{Workers: 2}, func(ctx context.Context, r *CompletedRequest) (int, error) {
			return int(r.Sequence()), nil
		}) {
			if err != nil {
				t.Error(err)
				return
			}
			if n++; n == 30 {
				_ = res
				break
			}
		}
	})
	wg.Go(func() {
		n := 0
		for _, err := range Process(ctx, b, ProcessOptions{Workers: 2}, func(ctx context.Context, r *CompletedRequest) (int, error) {
			return 0, nil
		}) {
			if err != nil {
				t.Error(err)
				return
			}
			if n++; n == 30 {
				break
			}
		}
	})
	wg.Wait()
	waitHeld(t, a, 0)
	waitHeld(t, b, 0)
	leaks()
	t.Logf("a's consumer stuck: b's got %d frames, a's camera completed %d", nb2, aFrames)
}
