package picam

// The capture engine: the goroutines that take completed requests from
// libcamera, hand their frames out and queue the requests again.

import (
	"context"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/picamgo/picamgo/libcamera"
)

// engine is a started camera's capture loop: a pump goroutine that receives
// completed requests from libcamera and hands frames to waiting callers,
// and the engine goroutine, which queues requests again once nobody holds
// them and runs the timers (stall, pacing), streams and callbacks. Both
// work under mu; libcamera's thread only pushes completed requests onto a
// channel.
type engine struct {
	c    *Camera
	set  *streamSet
	lc   *libcamera.Camera
	stop chan struct{}
	done chan struct{}
	free chan *slot

	// mu guards the engine's state below: the engine goroutine and the
	// pump hold it while they handle an event, and a capture call takes it
	// to add its waiter itself (see addWaiter), so that asking for a frame
	// wakes no goroutine.
	mu sync.Mutex
	// released lists the slots let go of while another goroutine held mu,
	// for that goroutine to queue when it unlocks (see requeueNow).
	released atomic.Pointer[slot]
	// ended is set once the engine has shut down: a waiter added after
	// that gets endErr at once.
	ended bool
	// handed is set when a frame went to a waiting capture call, for the
	// pump to let that call run before it takes the next completion.
	handed bool

	waiting []*waiter
	latest  *slot // newest frame nobody took yet, when the configuration queues
	hold    bool
	queued  int // requests in libcamera
	ctrlID  ControlsID

	lastFrame  time.Time
	stall      *time.Timer
	stallArmed bool
	stallSince time.Time

	pace      time.Duration
	nextQueue time.Time // when pacing lets the next request go
	backlog   []*slot
	paceTimer *time.Timer
	paceArmed bool
	failed    []*slot

	// Streams fed every frame (see stream.go), owned by this goroutine.
	subs   []*FrameStream
	subReq chan *FrameStream
	unsub  chan *FrameStream
	// Callbacks (see callback.go): cbq feeds the callback goroutine, which
	// hands frames back on ready once the pre-callback ran.
	cbq   chan cbItem
	ready chan *slot
	// cbDone is closed when the callback goroutine ends. cbThread is the
	// id of the OS thread a running callback holds (0 between callbacks),
	// so that Stop called from a callback does not wait for itself.
	cbDone   chan struct{}
	cbThread atomic.Int64
	// running is the callback running on the callback goroutine (its cb
	// is nil between callbacks); kept in place, without an allocation per
	// frame.
	runMu   sync.Mutex
	running runningCallback

	// endErr is what callers still waiting get once the engine ends: an
	// error matching ErrNotStarted after Stop, ErrClosed after Close.
	// Written before stop is closed; read after stop or done is closed.
	endErr error
}

// waiter is one capture call waiting for a frame. The camera reuses
// waiters (no allocation per capture): one goes back to its free list when
// both its users, the capture call and the engine, let go of it.
type waiter struct {
	after int64 // CLOCK_MONOTONIC ns; a frame must start at or after it
	ctrl  ControlsID
	state atomic.Int32 // waitPending, then waitDone or waitCancelled
	ch    chan result  // receives exactly one result once done
	users atomic.Int32 // the capture call and the engine, while they hold it
}

// newWaiter returns a pending waiter for one capture call.
func (c *Camera) newWaiter() *waiter {
	w := c.waiters.get()
	if w == nil {
		w = &waiter{ch: make(chan result, 1)}
	}
	w.after, w.ctrl = 0, 0
	w.state.Store(waitPending)
	return w
}

// done lets go of w for one of its users; the last gives it back to c.
// Its channel is empty by then: a result sent is always received.
func (w *waiter) done(c *Camera) {
	if w.users.Add(-1) == 0 {
		c.waiters.put(w)
	}
}

const (
	waitPending int32 = iota
	waitDone
	waitCancelled
)

type result struct {
	s   *slot
	err error
}

func newEngine(c *Camera, set *streamSet, ctrlID ControlsID) *engine {
	e := &engine{c: c, set: set, lc: c.lc, stop: make(chan struct{}), done: make(chan struct{}),
		ctrlID: ctrlID, lastFrame: time.Now(),
		subReq: make(chan *FrameStream), unsub: make(chan *FrameStream),
		cbq: make(chan cbItem, cbQueue), ready: make(chan *slot), cbDone: make(chan struct{})}
	c.rmu.Lock()
	e.free = c.free
	c.rmu.Unlock()
	e.hold = c.cfg.Queue && len(set.slots) > 1
	e.stall = time.NewTimer(time.Hour)
	e.stall.Stop()
	e.paceTimer = time.NewTimer(time.Hour)
	e.paceTimer.Stop()
	if c.opts.MaxFrameRate > 0 {
		e.pace = time.Duration(float64(time.Second) / c.opts.MaxFrameRate)
	}
	return e
}

func (e *engine) run() {
	defer close(e.done)
	go e.callbacks()
	pumpCtx, stopPump := context.WithCancel(context.Background())
	pumpDone := make(chan struct{})
	go e.pump(pumpCtx, pumpDone)
	for {
		select {
		case <-e.stop:
			stopPump()
			<-pumpDone
			e.mu.Lock()
			e.shutdown()
			e.ended = true
			e.unlock()
			return
		case s := <-e.free:
			e.mu.Lock()
			e.requeue(s)
			e.unlock()
		case s := <-e.ready:
			e.mu.Lock()
			e.deliver(s)
			e.unlock()
		case st := <-e.subReq:
			e.mu.Lock()
			e.subscribe(st)
			e.unlock()
		case st := <-e.unsub:
			e.mu.Lock()
			e.unsubscribe(st)
			e.unlock()
		case <-e.stall.C:
			e.mu.Lock()
			e.stallArmed = false
			e.stalled()
			e.unlock()
		case <-e.paceTimer.C:
			e.mu.Lock()
			e.paceArmed = false
			e.paced()
			e.unlock()
		}
	}
}

// pump takes completed requests from libcamera and hands their frames out
// itself, under the engine's lock: it waits with
// [libcamera.Camera.WaitRequest], whose wake through the netpoller is
// faster than a channel's, and a frame reaches a waiting capture call with
// one more hand-off, not two. It ends when ctx ends (at Stop) or the
// camera closes.
func (e *engine) pump(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	for {
		r, err := e.lc.WaitRequest(ctx)
		if err != nil {
			return
		}
		e.mu.Lock()
		e.handed = false // set by deliver
		e.completed(r)
		handed := e.handed
		e.unlock()
		if handed && len(e.lc.RequestCompleted()) > 0 {
			// The capture call just handed a frame is runnable on this
			// P, behind the pump. Taking the completions already queued
			// first (the camera is often a frame or two ahead) would find
			// nobody waiting, so each would be kept as the newest and
			// superseded by the next: frames made for nothing. Yielding
			// lets the call run, release its frame and wait again, so
			// that it gets them. (With nothing queued, the pump parks
			// and the call runs anyway.)
			runtime.Gosched()
		}
	}
}

func (e *engine) completed(r *libcamera.Request) {
	s := e.set.slotOf(r)
	if s == nil {
		return
	}
	e.queued--
	if !s.frameOK() {
		if err := r.Err(); err != nil {
			e.c.log.Error("picam: a completion could not be copied; frame dropped", "camera", e.c.id, "error", err)
		}
		e.c.dropped.Add(1)
		e.requeue(s)
		return
	}
	e.c.frames.Add(1)
	s.refs.Store(1) // the engine's own reference
	if e.c.pre.Load() != nil {
		// The pre-callback runs before anyone sees the frame, on the
		// callback goroutine, which hands the frame back on e.ready. If it
		// is behind, the frame is dropped rather than waiting here.
		if !e.toCallbacks(cbItem{s: s, pre: true}) {
			e.c.cbSkipped.Add(1)
			s.unref()
		}
		return
	}
	e.deliver(s)
}

// deliver hands a frame the engine holds one reference on to the waiting
// capture calls, the streams and the post-callback, and keeps it as the
// latest frame or gives it back.
func (e *engine) deliver(s *slot) {
	e.lastFrame = time.Now()
	delivered := false
	kept := e.waiting[:0]
	for _, w := range e.waiting {
		switch {
		case w.state.Load() != waitPending:
			w.done(e.c) // cancelled: the engine lets go of it too
		case e.matches(w, s):
			s.ref()
			if e.deliver1(w, result{s: s}) {
				delivered = true
			} else {
				s.unref()
			}
		default:
			kept = append(kept, w)
		}
	}
	clear(e.waiting[len(kept):])
	e.waiting = kept
	if e.latest != nil {
		e.latest.unref() // superseded
		e.latest = nil
	}
	if len(e.subs) > 0 {
		for _, st := range e.subs {
			st.makeRoom()
		}
		if e.spare() == 0 && len(e.set.slots) > 1 {
			// Handing the frame to streams would leave the camera without
			// a buffer until a consumer releases one: requeue it instead.
			taker := false
			for _, st := range e.subs {
				taker = taker || !st.full()
				st.skip()
			}
			if taker {
				e.c.withheld.Add(1)
			}
		} else {
			for _, st := range e.subs {
				st.offer(s)
			}
		}
	}
	if e.c.post.Load() != nil {
		s.ref()
		if !e.toCallbacks(cbItem{s: s}) {
			e.c.cbSkipped.Add(1)
			s.unref()
		}
	}
	e.handed = delivered
	if delivered || !e.hold {
		s.unref()
	} else {
		e.latest = s
	}
	e.armStall()
}

// spare counts the buffers the camera has or gets back without anyone
// releasing a frame: queued in libcamera, waiting for pacing, or released
// and on their way to being queued. Those are the slots nobody holds, less
// the ones libcamera refused. They are counted by their references, not
// by the engine's lists: a slot the engine goroutine has taken off the
// free list, waiting for the lock the pump holds, or one released on
// another goroutine and not yet on the list, is on none of them for that
// moment, and a count of the lists found no spare buffer then and withheld
// a frame from a stream that could take it.
func (e *engine) spare() int {
	n := -len(e.failed)
	for _, s := range e.set.slots {
		if s.refs.Load() == 0 {
			n++
		}
	}
	return n
}

func (e *engine) matches(w *waiter, s *slot) bool {
	if w.ctrl > 0 && s.ctrlID < w.ctrl {
		return false
	}
	return w.after == 0 || s.exposureStart() >= w.after
}

// deliver1 completes w with res, false if w was cancelled meanwhile, and
// lets go of w: the engine must not touch it afterwards.
func (e *engine) deliver1(w *waiter, res result) bool {
	ok := w.state.CompareAndSwap(waitPending, waitDone)
	if ok {
		w.ch <- res
	}
	w.done(e.c)
	return ok
}

// addWaiter adds w on the capture call's own goroutine; false once the
// engine has ended (w was not added).
func (e *engine) addWaiter(w *waiter) bool {
	e.mu.Lock()
	defer e.unlock()
	if e.ended {
		return false
	}
	e.add(w)
	return true
}

func (e *engine) add(w *waiter) {
	if s := e.latest; s != nil && e.matches(w, s) {
		if e.deliver1(w, result{s: s}) { // the engine's reference goes to w
			e.latest = nil
		}
		return
	}
	e.beginWait()
	e.waiting = append(e.waiting, w)
	e.armStall()
}

// beginWait notes, before a capture call or a stream is added, when
// someone starts waiting for frames (nobody did): a stall is counted from
// then or from the last frame, whichever is later.
func (e *engine) beginWait() {
	if len(e.waiting) == 0 && len(e.subs) == 0 {
		e.stallSince = time.Now()
	}
}

// armStall runs the stall timer while someone waits or a stream is open.
// The timer is not moved at each frame (a reset per frame costs more than
// the rest of a frame's bookkeeping): once armed it runs out, and stalled
// then measures from the last frame and arms it again for what is left,
// or lets it rest when nobody waits any more.
func (e *engine) armStall() {
	if e.stallArmed || (len(e.waiting) == 0 && len(e.subs) == 0) {
		return
	}
	e.stall.Reset(e.stallLimit())
	e.stallArmed = true
}

// stallLimit is how long the engine waits for a frame before it reports a
// stall. A paced camera may rightly wait a whole period for its next
// buffer.
func (e *engine) stallLimit() time.Duration { return e.c.stallTimeout() + e.pace }

func (e *engine) stalled() {
	// Waiters whose context ended are gone; they stay listed only until
	// the next frame would have passed them over.
	e.waiting = slices.DeleteFunc(e.waiting, func(w *waiter) bool {
		if w.state.Load() != waitPending {
			w.done(e.c)
			return true
		}
		return false
	})
	if len(e.waiting) == 0 && len(e.subs) == 0 {
		return
	}
	since := e.lastFrame
	if e.stallSince.After(since) {
		since = e.stallSince
	}
	waited := time.Since(since)
	if limit := e.stallLimit(); waited < limit {
		e.stall.Reset(limit - waited)
		e.stallArmed = true
		return
	}
	err := &StallError{Camera: e.c.id, Waited: waited, Queued: e.queued,
		Held: e.set.heldSites(e.latest), Buffers: len(e.set.slots)}
	e.c.stalls.Add(1)
	e.c.log.Warn("picam: camera stalled", "camera", e.c.id, "error", err)
	for _, w := range e.waiting {
		e.deliver1(w, result{err: err})
	}
	clear(e.waiting)
	e.waiting = e.waiting[:0]
	e.endStreams(err)
}

// requeue queues a slot nobody holds, pacing if asked to.
func (e *engine) requeue(s *slot) {
	if e.pace > 0 {
		if len(e.backlog) > 0 || time.Now().Before(e.nextQueue) {
			e.backlog = append(e.backlog, s)
			if !e.paceArmed {
				e.paceTimer.Reset(max(time.Until(e.nextQueue), 0))
				e.paceArmed = true
			}
			return
		}
	}
	e.queue(s)
}

func (e *engine) paced() {
	if len(e.backlog) == 0 {
		return
	}
	s := e.backlog[0]
	e.backlog = append(e.backlog[:0], e.backlog[1:]...)
	e.queue(s)
	if len(e.backlog) > 0 {
		e.paceTimer.Reset(max(time.Until(e.nextQueue), 0))
		e.paceArmed = true
	}
}

// queue attaches pending controls to a slot's request and requeues it:
// reused and queued in one call into libcamera.
func (e *engine) queue(s *slot) {
	c := e.c
	pending, id := c.takePending()
	s.req.Controls().Merge(pending, libcamera.MergeOverwriteExisting)
	if id > e.ctrlID {
		e.ctrlID = id
	}
	s.ctrlID = e.ctrlID
	if err := e.lc.RequeueRequest(s.req); err != nil {
		c.log.Error("picam: queue request", "camera", c.id, "error", err)
		e.failed = append(e.failed, s)
		s.req.Controls().Clear()
		c.restorePending(pending) // not applied: keep them for the next request
		return
	}
	e.queued++
	c.requeues.Add(1)
	if e.pace > 0 {
		// A fixed schedule, so that timer lateness does not add up and the
		// rate is the one asked for; more than a period behind starts afresh.
		now := time.Now()
		if e.nextQueue.IsZero() || now.Sub(e.nextQueue) > e.pace {
			e.nextQueue = now
		}
		if c.paceTrace != nil {
			c.paceTrace(e.nextQueue, now)
		}
		e.nextQueue = e.nextQueue.Add(e.pace)
	}
}

func (e *engine) shutdown() {
	err := e.endErr
	for _, w := range e.waiting {
		e.deliver1(w, result{err: err})
	}
	e.waiting = nil
	e.endStreams(err)
	close(e.cbq) // the callback goroutine gives back what it holds and ends
	if e.latest != nil {
		e.latest.unref()
		e.latest = nil
	}
	for _, s := range append(e.backlog, e.failed...) {
		e.c.recycle(s)
	}
	e.backlog, e.failed = nil, nil
	e.stall.Stop()
	e.paceTimer.Stop()
}
