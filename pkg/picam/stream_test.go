package picam

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// startAsync starts a camera without Configuration.Queue (so that a held
// count of zero means every buffer is back) with bufs buffers.
func startAsync(t *testing.T, id string, size Size, bufs int, opts func(*Options)) (*Camera, *logBuffer) {
	t.Helper()
	o, lb := testOptions(id)
	if opts != nil {
		opts(&o)
	}
	c, err := OpenWith(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Close()
		if testing.Verbose() && t.Failed() {
			t.Logf("camera log:\n%s", lb)
		}
	})
	cfg := nv12Config(c, size)
	cfg.Queue = false
	cfg.BufferCount = bufs
	if _, err := c.Configure(cfg); err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	running(t, c)
	return c, lb
}

// running waits for the started camera's first frame. What libcamera sets
// up lazily once frames flow, and keeps until the camera stops or closes,
// is there then, so that a leak check that starts counting now does not
// take it for a leak: on libcamera 0.7 the virtual camera's frame thread
// (with its eventfd) starts with the camera, and the thread that completes
// requests counts as one more goroutine from its first call into Go
// (cgo keeps a C thread's Go binding until the thread exits). Under load
// the first frame can come after the leak check's count has settled.
func running(t *testing.T, c *Camera) {
	t.Helper()
	r, err := c.CaptureRequest(ctxT(t))
	if err != nil {
		t.Fatalf("first frame: %v", err)
	}
	r.Release()
	waitHeld(t, c, 0)
}

var small = Size{Width: 64, Height: 48}

func TestJobs(t *testing.T) {
	c, _ := startAsync(t, barsID, Size{Width: 640, Height: 480}, 4, nil)
	ctx := ctxT(t)
	leaks := checkLeaks(t)

	// A request job, awaited with select among other work: a frame from
	// 30ms on.
	job := c.CaptureRequestAsync(ctx, After(time.Now().Add(30*time.Millisecond)))
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	ticks := 0
wait:
	for {
		select {
		case <-job.Done():
			break wait
		case <-tick.C:
			ticks++ // the "event loop" goes on
		}
	}
	r, err := job.Result()
	if err != nil {
		t.Fatal(err)
	}
	if ticks < 5 {
		t.Errorf("the select loop ran %d times in 30ms", ticks)
	}
	f, _ := r.Frame(Main)
	checkBars(t, f, r.Sequence())
	if r2, _ := job.Wait(ctx); r2 != r {
		t.Error("a second Wait returned another request")
	}
	waitHeld(t, c, 1)
	r.Release()
	waitHeld(t, c, 0)

	// Every copying kind, all at once; copies are made on the jobs' goroutines.
	path := filepath.Join(t.TempDir(), "job.png")
	fj := c.CaptureFrameAsync(ctx, Main)
	bj := c.CaptureBufferAsync(ctx, Main)
	ij := c.CaptureImageAsync(ctx, Main, Flush())
	mj := c.CaptureMetadataAsync(ctx)
	pj := c.CaptureFileAsync(ctx, path, Main)
	cf, err := fj.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checkBars(t, cf.Frame, 0)
	if ts, ok := cf.Metadata.SensorTimestamp(); !ok || ts == 0 {
		t.Errorf("frame job metadata %v", cf.Metadata)
	}
	sc, _ := c.StreamConfiguration(Main)
	if b, err := bj.Wait(ctx); err != nil || len(b) < sc.Stride*480*3/2 {
		t.Errorf("buffer job: %d bytes, %v", len(b), err)
	}
	if img, err := ij.Wait(ctx); err != nil || img.Bounds().Dx() != 640 {
		t.Errorf("image job: %v", err)
	}
	if md, err := mj.Wait(ctx); err != nil || len(md.Names()) == 0 {
		t.Errorf("metadata job: %v %v", md, err)
	}
	if _, err := pj.Wait(ctx); err != nil {
		t.Errorf("file job: %v", err)
	} else if st, err := os.Stat(path); err != nil || st.Size() == 0 {
		t.Errorf("file job wrote nothing: %v", err)
	}
	waitHeld(t, c, 0)

	// A job that cannot complete: not done, then cancelled.
	never := c.CaptureRequestAsync(ctx, After(time.Now().Add(time.Hour)))
	if _, err := never.Result(); !errors.Is(err, ErrNotDone) {
		t.Errorf("Result of a pending job = %v", err)
	}
	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	if _, err := never.Wait(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Wait with a short context = %v", err)
	}
	cancel()
	never.Cancel()
	if _, err := never.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Wait after Cancel = %v", err)
	}

	// Done but never collected, then abandoned by its context: the buffer
	// goes back.
	jctx, jcancel := context.WithCancel(ctx)
	held := c.CaptureRequestAsync(jctx)
	<-held.Done()
	waitHeld(t, c, 1)
	jcancel()
	waitHeld(t, c, 0)
	if r, err := held.Result(); r != nil || !errors.Is(err, context.Canceled) {
		t.Errorf("Result of an abandoned job = %v, %v", r, err)
	}
	// Collected, then cancelled: the caller keeps it.
	kept := c.CaptureRequestAsync(ctx)
	r, err = kept.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	kept.Cancel()
	if _, err := r.Frame(Main); err != nil {
		t.Errorf("a collected request was released by Cancel: %v", err)
	}
	r.Release()
	waitHeld(t, c, 0)
	leaks()
	// A stopped camera fails its jobs.
	c.Stop()
	if _, err := c.CaptureRequestAsync(ctx).Wait(ctx); !errors.Is(err, ErrNotStarted) {
		t.Errorf("job on a stopped camera = %v", err)
	}
	t.Logf("%d ticks of the select loop while the first job ran", ticks)
}

// TestJobCancelRace cancels jobs at random moments around their
// completion and checks that every buffer comes back, whoever won.
func TestJobCancelRace(t *testing.T) {
	c, _ := startAsync(t, barsID, small, 4, nil)
	leaks := checkLeaks(t)
	var got, cancelled int
	for i := range 300 {
		ctx, cancel := context.WithCancel(context.Background())
		job := c.CaptureRequestAsync(ctx)
		if d := rand.IntN(3000); d > 0 {
			time.Sleep(time.Duration(d) * time.Microsecond)
		}
		switch i % 3 {
		case 0:
			cancel()
		case 1:
			job.Cancel()
		case 2:
			// Collect if done, then cancel.
			if r, err := job.Result(); err == nil {
				r.Release()
			}
			cancel()
		}
		<-job.Done()
		if r, err := job.Result(); err == nil {
			got++
			r.Release()
		} else if errors.Is(err, context.Canceled) || errors.Is(err, ErrNotDone) {
			cancelled++
		} else {
			t.Fatalf("job %d: %v", i, err)
		}
		cancel()
	}
	waitHeld(t, c, 0)
	leaks()
	if st := c.Stats(); st.Held != 0 || st.Leaked != 0 {
		t.Errorf("stats %+v", st)
	}
	t.Logf("300 jobs: %d results collected, %d cancelled; stats %+v", got, cancelled, c.Stats())
}

func TestStreamBlockInOrder(t *testing.T) {
	c, _ := startAsync(t, barsID, small, 4, nil)
	ctx := ctxT(t)
	leaks := checkLeaks(t)
	var seqs []uint32
	for r, err := range c.Frames(ctx, StreamOptions{Policy: Block, Buffer: 2}) {
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
	c, _ := startAsync(t, barsID, small, 4, func(o *Options) { o.MaxFrameRate = 200 })
	ctx := ctxT(t)
	leaks := checkLeaks(t)
	st, err := c.Stream(ctx, StreamOptions{Policy: DropOldest, Buffer: 2})
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

// TestStreamLatestAndHoldLimit: a Latest consumer that hoards frames
// through the channel is held to its limit by the stream itself, the
// camera goes on with its last buffer, and once the consumer lets go it
// gets the newest frame.
//
// Nothing is timed: the windows are counted in frames. A broken limit
// would show on the first frame past it, and each window lasts several.
func TestStreamLatestAndHoldLimit(t *testing.T) {
	c, _ := startAsync(t, barsID, small, 4, nil)
	ctx := ctxT(t)
	st, err := c.Stream(ctx, StreamOptions{Policy: Latest, Hold: 8})
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
	c, _ := startAsync(t, barsID, small, 4, nil)
	leaks := checkLeaks(t)
	// Cancelling the context ends the stream and gives back its queue.
	ctx, cancel := context.WithCancel(context.Background())
	st, err := c.Stream(ctx, StreamOptions{Policy: Block, Buffer: 2})
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
	for r, err := range c.Frames(ctx, StreamOptions{}) {
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
	st, err = c.Stream(context.Background(), StreamOptions{Buffer: 2})
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
	if _, err := c.Stream(context.Background(), StreamOptions{}); !errors.Is(err, ErrNotStarted) {
		t.Errorf("Stream on a stopped camera = %v", err)
	}
	for _, err := range c.Frames(context.Background(), StreamOptions{}) {
		if !errors.Is(err, ErrNotStarted) {
			t.Errorf("Frames on a stopped camera = %v", err)
		}
	}
}

func TestStreamStall(t *testing.T) {
	c, _ := startAsync(t, barsID, small, 4, func(o *Options) { o.StallTimeout = 200 * time.Millisecond })
	ctx := ctxT(t)
	var held []*CompletedRequest
	for range 4 {
		held = append(held, capture(t, c))
	}
	st, err := c.Stream(ctx, StreamOptions{})
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
	c, _ := startAsync(t, barsID, small, 4, nil)
	ctx := ctxT(t)
	s1, err := c.Stream(ctx, StreamOptions{Policy: Block, Buffer: 1, Hold: 2})
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
	s2, err := c.Stream(ctx, StreamOptions{Policy: DropOldest})
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

func TestCallbacks(t *testing.T) {
	c, lb := startAsync(t, barsID, small, 4, nil)
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
	for range 20 {
		r := capture(t, c)
		if f, _ := r.Frame(Main); f.Planes[0][0] != 1 {
			t.Error("a frame was handed out before its pre-callback")
		}
		r.Release()
	}
	for r, err := range c.Frames(ctx, StreamOptions{}) {
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

	// Panics: recovered, reported, and the camera goes on.
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
	var perr *PanicError
	select {
	case err := <-c.CallbackErrors():
		if !errors.As(err, &perr) || !errors.Is(err, ErrPanic) || perr.Camera != barsID ||
			!strings.Contains(string(perr.Stack), "async_test.go") {
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

	// A slow pre-callback: frames it cannot take are dropped, the camera
	// and the engine go on, and capture calls get frames late, not never.
	// Slow relative to the camera, whatever the load: each call waits for
	// the camera to complete slowWait more frames. At most cbQueue of them
	// can wait for the callback goroutine, so the others are skipped.
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
	waitHeld(t, c, 0)
	leaks()
	// A callback may stop the camera without deadlocking: a Stop that
	// waited for its own callback would never return. The deadline only
	// bounds that hang.
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
	t.Logf("stats %+v, first panic report: %v", c.Stats(), perr)
}

// TestProcessOrdered: 3 workers, random processing times, results in frame
// order; buffers bounded (the camera keeps one of its 4) and all returned.
//
// Nothing here depends on timing: the first frame's worker waits until a
// later frame's worker has finished, so frames are processed in parallel
// and finish out of order whatever the scheduling; the bounds are measured
// exactly where they are kept (workers count themselves, the stream records
// the most frames it had out at once), not by sampling the camera.
func TestProcessOrdered(t *testing.T) {
	c, _ := startAsync(t, barsID, small, 4, func(o *Options) { o.MaxFrameRate = 400 })
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
	c, _ := startAsync(t, barsID, small, 4, nil)
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
	c, _ := startAsync(t, barsID, small, 4, nil)
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

// TestTwoCameras streams from both cameras at once; a consumer that stops
// reading one camera does not hold up the other.
//
// Counted in frames, not in frames per second: while a's consumer is
// stuck with a frame, b's consumer gets 50 frames and a's camera
// completes 30. A shared engine or lock would stop both at once; the
// deadlines are only against a hang.
func TestTwoCameras(t *testing.T) {
	a, _ := startAsync(t, barsID, small, 4, func(o *Options) { o.MaxFrameRate = 100 })
	b, _ := startAsync(t, linesID, Size{Width: 320, Height: 240}, 4, func(o *Options) { o.MaxFrameRate = 100 })
	ctx := ctxT(t)
	leaks := checkLeaks(t)

	// count takes want frames from c's stream (then stops), or, given
	// block, closes stuck and waits for block with its first frame held.
	stuck := make(chan struct{})
	count := func(c *Camera, want int, block <-chan struct{}) (int, error) {
		n := 0
		for _, err := range c.Frames(ctx, StreamOptions{Policy: DropOldest}) {
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

// MaxFrameRate paces on a fixed schedule: timer lateness must not add up to
// a lower rate, and frames never come faster than asked.
//
// Checked on the schedule picam computed and the sensor timestamps, not on
// the rate a loaded machine achieved: each request is queued at or after
// its slot; slots follow each other by exactly one period, so that a late
// timer or a late release does not shift the ones after it, except when a
// queueing came more than a period late, which starts the schedule afresh
// from then (no burst to catch up); and every frame's sensor timestamp,
// taken when libcamera got the request, is at or after the time it was due.
func TestMaxFrameRateSchedule(t *testing.T) {
	const rate, bufs = 100, 4
	const period = time.Second / rate
	type queueing struct {
		slot, at time.Time
		monoSlot int64 // slot in CLOCK_MONOTONIC ns, as SensorTimestamp
	}
	var mu sync.Mutex
	var trace []queueing // in queueing order: the i-th has sequence i
	c, _ := startAsync(t, barsID, small, bufs, func(o *Options) { o.MaxFrameRate = rate })
	// Only pacing from now on: the start-up requests went before.
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	c.paceTrace = func(slot, at time.Time) {
		mono := MonotonicNow() - int64(time.Since(slot)) // at most the true value
		mu.Lock()
		trace = append(trace, queueing{slot, at, mono})
		mu.Unlock()
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const frames = 101
	type frame struct {
		seq uint32
		ts  int64
	}
	var got []frame
	for r, err := range c.Frames(ctx, StreamOptions{Policy: Block}) {
		if err != nil {
			t.Fatal(err)
		}
		if r.Sequence() < bufs { // the start-up requests, queued at once
			continue
		}
		got = append(got, frame{r.Sequence(), r.SensorTimestamp()})
		if len(got) == frames {
			break
		}
	}
	c.Stop() // nothing is queued (or traced) any more
	mu.Lock()
	defer mu.Unlock()
	if len(trace) < int(got[len(got)-1].seq)+1 {
		t.Fatalf("%d queueings traced, frame %d received", len(trace), got[len(got)-1].seq)
	}
	restarts := 0
	for i := bufs; i < len(trace); i++ {
		q, prev := trace[i], trace[i-1]
		if q.at.Before(q.slot) {
			t.Fatalf("request %d queued %v before its slot", i, q.slot.Sub(q.at))
		}
		if i == bufs {
			continue // the first paced one: its slot is a period after Start
		}
		due := prev.slot.Add(period)
		switch {
		case q.slot.Equal(due):
		case q.slot.Equal(q.at) && q.at.Sub(due) > period:
			restarts++ // more than a period late: afresh, no burst
		default:
			t.Fatalf("request %d: slot %v after the previous one, queued %v after its due time; want exactly %v, or afresh if more than %v late",
				i, q.slot.Sub(prev.slot), q.at.Sub(due), period, period)
		}
	}
	// A request goes to libcamera once its due time (the previous slot
	// plus a period) has come; its slot is that due time, or the time
	// after queueing it when it went more than a period late. Its frame's
	// timestamp is at or after the due time either way.
	for _, f := range got {
		if f.seq <= bufs {
			continue // due when Start said
		}
		if due := trace[f.seq-1].monoSlot + int64(period); f.ts < due {
			t.Errorf("frame %d: sensor timestamp %v before it was due", f.seq, time.Duration(due-f.ts))
		}
	}
	span := float64(got[len(got)-1].ts-got[0].ts) / 1e9
	t.Logf("%d frames at %.2f frames/s (asked %d); %d of %d queueings more than a period late restarted the schedule",
		frames, float64(frames-1)/span, rate, restarts, len(trace)-bufs-1)
}

// Switching modes while a callback is busy with a frame waits for the
// callback instead of failing with ErrBusy.
func TestSwitchModeWithBusyCallback(t *testing.T) {
	c, _ := startAsync(t, barsID, small, 4, nil)
	busy := make(chan struct{}, 1)
	c.SetPreCallback(func(r *CompletedRequest) {
		select {
		case busy <- struct{}{}:
		default:
		}
		time.Sleep(20 * time.Millisecond) // holds the frame while SwitchMode runs
	})
	sizes := []Size{{Width: 640, Height: 480}, small}
	for i := range 6 {
		<-busy // a callback is running
		if _, err := c.SwitchMode(nv12Config(c, sizes[i%2])); err != nil {
			t.Fatalf("SwitchMode %d with a callback running: %v", i, err)
		}
		if !c.Started() {
			t.Fatalf("SwitchMode %d left the camera stopped", i)
		}
	}
	c.SetPreCallback(nil)
	capture(t, c).Release()
}
