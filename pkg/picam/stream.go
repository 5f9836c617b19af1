package picam

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"sync"
	"sync/atomic"
)

// Policy says what a stream does with a frame when its consumer is behind.
// Whatever the policy, the camera itself never waits for a consumer: a
// real sensor cannot be paused, so a frame a stream cannot take is given
// back to the camera at once (and counted in [FrameStreamStats.Dropped] and
// [Stats.StreamDropped]).
type Policy int

const (
	// Block keeps every frame already queued: the consumer gets frames in
	// order, without gaps, as long as it keeps up; while its queue is full
	// the newest frames are not queued (gaps in Sequence show where).
	Block Policy = iota
	// DropOldest makes room for the newest frame by dropping the oldest
	// queued one, whose buffer goes back to the camera.
	DropOldest
	// Latest keeps only the newest frame: DropOldest with a queue of one.
	Latest
)

func (p Policy) String() string {
	switch p {
	case Block:
		return "Block"
	case DropOldest:
		return "DropOldest"
	case Latest:
		return "Latest"
	}
	return fmt.Sprintf("Policy(%d)", int(p))
}

// FrameStreamOptions are how [Camera.OpenFrameStream] and [Camera.Frames] feed a
// consumer.
type FrameStreamOptions struct {
	Policy Policy
	// Buffer is how many frames may wait for the consumer; zero means 1.
	// Latest always uses 1.
	Buffer int
	// Hold is how many frames the consumer may hold at once (received and
	// not yet released); zero means 1. While it holds that many, new
	// frames are dropped.
	//
	// Buffer+Hold is at most the configuration's BufferCount minus one, so
	// that the camera always keeps a buffer to capture into: larger values
	// are reduced (Buffer first, to at least 1). Raise
	// [Configuration.BufferCount] for deeper queues.
	Hold int
}

// FrameStreamStats are a stream's counters.
type FrameStreamStats struct {
	Delivered uint64 // frames queued for the consumer
	Dropped   uint64 // frames not passed on, or dropped from the queue, because the consumer was behind
}

// ErrStreamClosed ends a stream closed with [FrameStream.Close].
var ErrStreamClosed = errors.New("picam: stream closed")

// FrameStream is a feed of every frame of a started camera to one
// consumer, with a bounded queue and a [Policy] for when the consumer is
// behind. Get one with [Camera.OpenFrameStream]; receive from [FrameStream.C] or
// call [FrameStream.Next], and release each request. Its methods may be
// called from any goroutine.
//
// A stream ends when it is closed, when its context is cancelled, when the
// camera stops ([ErrNotStarted]) or closes ([ErrClosed]) and when the
// camera stalls ([ErrStalled]): C is closed then, and [FrameStream.Err]
// says why.
type FrameStream struct {
	c      *Camera
	e      *engine
	policy Policy
	limit  int32                  // at most this many held: queued or with the consumer
	ch     chan *CompletedRequest // sent to by the engine only
	held   atomic.Int32           // handed to ch and not yet released
	peak   atomic.Int32           // the most held at once (written by the engine only)
	ended  bool                   // ch closed; engine's
	npc    int
	pcs    [16]uintptr

	delivered, dropped atomic.Uint64

	closeOnce sync.Once
	errMu     sync.Mutex
	err       error
	// stopCtx unregisters the context's AfterFunc; guarded by errMu, since
	// that AfterFunc may close the stream before OpenFrameStream has stored it.
	stopCtx func() bool
}

// OpenFrameStream starts feeding every new frame of the started camera to
// a [FrameStream]. Cancelling ctx closes the stream. Close it when done:
// that gives back the frames still queued.
//
// The frames go to every stream, capture call and job alike: a stream does
// not take frames from others. Each stream is its own consumer; two
// cameras have independent engines and streams, so that neither can stall
// the other.
func (c *Camera) OpenFrameStream(ctx context.Context, opts FrameStreamOptions) (*FrameStream, error) {
	var buf [siteDepth]uintptr
	pcs := captureSite(ctx, &buf)
	e := c.eng.Load()
	if e == nil {
		return nil, c.errNotRunning("stream from")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if opts.Policy < Block || opts.Policy > Latest {
		return nil, fmt.Errorf("picam: stream from %s: unknown %v: %w", c.id, opts.Policy, ErrInvalid)
	}
	buffer, limit := streamBounds(opts, len(e.set.slots))
	st := &FrameStream{c: c, e: e, policy: opts.Policy, limit: int32(limit),
		ch: make(chan *CompletedRequest, buffer)}
	st.npc = copy(st.pcs[:], pcs)
	select {
	case e.subReq <- st:
	case <-e.done:
		return nil, e.endErr
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	// The AfterFunc may run (and close the stream) before AfterFunc
	// returns: close reads stopCtx under errMu, and finding it nil means
	// the context's AfterFunc is the caller, which needs no stopping.
	stop := context.AfterFunc(ctx, func() { st.close(ctx.Err()) })
	st.errMu.Lock()
	st.stopCtx = stop
	st.errMu.Unlock()
	return st, nil
}

// streamBounds applies FrameStreamOptions' defaults: the channel's capacity and
// the most frames the stream may hold (queued or with the consumer), at
// most slots-1 so that the camera keeps a buffer.
func streamBounds(opts FrameStreamOptions, slots int) (buffer, limit int) {
	buffer, hold := max(opts.Buffer, 1), max(opts.Hold, 1)
	if opts.Policy == Latest {
		buffer = 1
	}
	room := max(slots-1, 1)
	buffer = min(buffer, max(room-hold, 1))
	return buffer, min(buffer+hold, room)
}

// C returns the channel of frames. The receiver owns each request and
// must release it. It is closed when the stream ends.
func (st *FrameStream) C() <-chan *CompletedRequest { return st.ch }

// Next returns the next frame, which the caller must release, or why the
// stream ended, or ctx's error.
func (st *FrameStream) Next(ctx context.Context) (*CompletedRequest, error) {
	select {
	case r, ok := <-st.ch:
		if !ok {
			return nil, st.Err()
		}
		return r, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Err returns why the stream ended: [ErrStreamClosed] after Close, the
// context's error, or an error matching [ErrNotStarted] (the camera
// stopped), [ErrClosed] (it was closed) or [ErrStalled]. It returns nil
// while the stream runs.
func (st *FrameStream) Err() error {
	st.errMu.Lock()
	defer st.errMu.Unlock()
	return st.err
}

func (st *FrameStream) setErr(err error) {
	st.errMu.Lock()
	if st.err == nil {
		st.err = err
	}
	st.errMu.Unlock()
}

// Close ends the stream and releases the frames still queued (not those the
// consumer received). It returns once the camera no longer feeds the
// stream. Closing twice is harmless.
func (st *FrameStream) Close() error {
	st.close(ErrStreamClosed)
	return nil
}

func (st *FrameStream) close(why error) {
	st.closeOnce.Do(func() {
		st.setErr(why)
		st.errMu.Lock()
		stop := st.stopCtx
		st.errMu.Unlock()
		if stop != nil {
			stop()
		}
		select {
		case st.e.unsub <- st:
		case <-st.e.done: // the engine ended every stream
		}
	})
	// The engine closed ch: give back what is still queued.
	for r := range st.ch {
		r.Release()
	}
}

// Stats returns the stream's counters.
func (st *FrameStream) Stats() FrameStreamStats {
	return FrameStreamStats{Delivered: st.delivered.Load(), Dropped: st.dropped.Load()}
}

// Frames returns an iterator over every new frame of the started camera,
// fed by a [FrameStream] with opts. Each request is released when the loop
// body returns: do not keep it, or keep it with [CompletedRequest.Acquire]
// (which counts against nothing: the camera may run short of buffers).
// Releasing it in the body is harmless.
//
// The loop ends when the body breaks or returns; when ctx is cancelled,
// the camera stops, closes or stalls, the last iteration yields a nil
// request and the error (ctx's error, or one matching [ErrNotStarted],
// [ErrClosed] or [ErrStalled]).
//
//	for req, err := range cam.Frames(ctx, picam.FrameStreamOptions{Policy: picam.DropOldest}) {
//		if err != nil {
//			return err
//		}
//		process(req)
//	}
func (c *Camera) Frames(ctx context.Context, opts FrameStreamOptions) iter.Seq2[*CompletedRequest, error] {
	site := withSite(ctx, callerSite(new([siteDepth]uintptr)))
	return func(yield func(*CompletedRequest, error) bool) {
		st, err := c.OpenFrameStream(site, opts)
		if err != nil {
			yield(nil, err)
			return
		}
		defer st.Close()
		for {
			r, err := st.Next(ctx)
			if err != nil {
				yield(nil, err)
				return
			}
			if !yieldReleased(yield, r) {
				return
			}
		}
	}
}

func yieldReleased(yield func(*CompletedRequest, error) bool, r *CompletedRequest) bool {
	defer r.Release()
	return yield(r, nil)
}

// The engine's side, on its goroutine.

func (e *engine) subscribe(st *FrameStream) {
	e.beginWait()
	e.subs = append(e.subs, st)
	e.armStall()
}

func (e *engine) unsubscribe(st *FrameStream) {
	for i, s := range e.subs {
		if s == st {
			e.subs = slices.Delete(e.subs, i, i+1)
			break
		}
	}
	st.end(nil)
	e.armStall()
}

// endStreams ends every stream with err.
func (e *engine) endStreams(err error) {
	for _, st := range e.subs {
		st.end(err)
	}
	clear(e.subs)
	e.subs = e.subs[:0]
}

// end closes the stream's channel once; err (if not nil) is why.
func (st *FrameStream) end(err error) {
	if st.ended {
		return
	}
	st.ended = true
	if err != nil {
		st.setErr(err)
	}
	close(st.ch)
}

// full tells whether the stream may not take another frame now.
func (st *FrameStream) full() bool {
	return st.held.Load() >= st.limit || len(st.ch) == cap(st.ch)
}

// makeRoom drops the oldest queued frame of a full DropOldest or Latest
// stream, giving its buffer back, before the engine counts the camera's
// spare buffers.
func (st *FrameStream) makeRoom() {
	if st.ended || st.policy == Block || !st.full() {
		return
	}
	select {
	case old := <-st.ch:
		old.Release() // back to the camera
		st.skip()
	default: // the consumer took it meanwhile, or holds all it may
	}
}

// offer queues a frame for the consumer, never blocking: the engine is the
// only sender and sends only while the channel has room.
func (st *FrameStream) offer(s *slot) {
	if st.ended {
		return
	}
	if st.full() {
		st.skip() // Block with a full queue, or a consumer holding all it may
		return
	}
	s.ref()
	r := newCompleted(s, st, "", st.pcs[:st.npc])
	if n := st.held.Add(1); n > st.peak.Load() {
		st.peak.Store(n) // exact: held only grows here, on the engine
	}
	// Counted before the send: a consumer that has the frame must see it
	// in Stats (a count after it let Stats lag behind what Next returned).
	st.delivered.Add(1)
	st.ch <- r
}

// skip counts a frame the stream did not pass on.
func (st *FrameStream) skip() {
	st.dropped.Add(1)
	st.c.streamDropped.Add(1)
}
