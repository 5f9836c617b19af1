package picam

import (
	"context"
	"fmt"
	"image"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/picamgo/picamgo/libcamera"
)

// engine is a started camera's capture loop: one goroutine that receives
// completed requests from libcamera, hands frames to waiting callers, and
// queues requests again once nobody holds them. It owns queueing; libcamera's
// thread only pushes completed requests onto a channel.
type engine struct {
	c    *Camera
	set  *streamSet
	lc   *libcamera.Camera
	stop chan struct{}
	done chan struct{}
	reqs chan *waiter
	free chan *slot

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
	// cbDone is closed when the callback goroutine ends; cbGoid is its
	// goroutine id, so that Stop called from a callback does not wait for
	// itself.
	cbDone chan struct{}
	cbGoid atomic.Uint64
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

// waiter is one capture call waiting for a frame.
type waiter struct {
	after int64 // CLOCK_MONOTONIC ns; a frame must start at or after it
	ctrl  ControlsID
	state atomic.Int32 // waitPending, then waitDone or waitCancelled
	ch    chan result  // receives exactly one result once done
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
		reqs: make(chan *waiter), ctrlID: ctrlID, lastFrame: time.Now(),
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
	completed := e.lc.RequestCompleted()
	for {
		select {
		case <-e.stop:
			e.shutdown()
			return
		case r := <-completed:
			e.completed(r)
		case s := <-e.free:
			e.requeue(s)
		case w := <-e.reqs:
			e.add(w)
		case s := <-e.ready:
			e.deliver(s)
		case st := <-e.subReq:
			e.subscribe(st)
		case st := <-e.unsub:
			e.unsubscribe(st)
		case <-e.stall.C:
			e.stallArmed = false
			e.stalled()
		case <-e.paceTimer.C:
			e.paceArmed = false
			e.paced()
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
	if delivered || !e.hold {
		s.unref()
	} else {
		e.latest = s
	}
	e.armStall()
}

// spare counts the buffers the camera has or gets back without anyone
// releasing a frame: queued in libcamera, waiting for pacing, or released
// and on their way to being queued.
func (e *engine) spare() int { return e.queued + len(e.backlog) + len(e.free) }

// frameOK tells frames to hand out from cancelled, failed and startup ones.
func (s *slot) frameOK() bool {
	if s.req.Status() != libcamera.RequestComplete {
		return false
	}
	for _, st := range s.set.order {
		if b := s.req.Buffer(s.set.streams[st]); b != nil {
			if md := b.Metadata(); !md.Derived && md.Status != libcamera.FrameSuccess {
				return false
			}
		}
	}
	return true
}

func (e *engine) matches(w *waiter, s *slot) bool {
	if w.ctrl > 0 && s.ctrlID < w.ctrl {
		return false
	}
	return w.after == 0 || s.exposureStart() >= w.after
}

// deliver1 completes w with res; false if w was cancelled meanwhile.
func (e *engine) deliver1(w *waiter, res result) bool {
	if !w.state.CompareAndSwap(waitPending, waitDone) {
		return false
	}
	w.ch <- res
	return true
}

func (e *engine) add(w *waiter) {
	if s := e.latest; s != nil && e.matches(w, s) {
		if e.deliver1(w, result{s: s}) { // the engine's reference goes to w
			e.latest = nil
		}
		return
	}
	e.waiting = append(e.waiting, w)
	if !e.stallArmed {
		e.stallSince = time.Now()
		e.armStall()
	}
}

// armStall runs the stall timer while someone waits or a stream is open.
func (e *engine) armStall() {
	if len(e.waiting) == 0 && len(e.subs) == 0 {
		if e.stallArmed {
			e.stall.Stop()
			e.stallArmed = false
		}
		return
	}
	e.stall.Reset(e.c.stallTimeout())
	e.stallArmed = true
}

func (e *engine) stalled() {
	// Waiters whose context ended are gone; they stay listed only until
	// the next frame would have passed them over.
	e.waiting = slices.DeleteFunc(e.waiting, func(w *waiter) bool { return w.state.Load() != waitPending })
	if len(e.waiting) == 0 && len(e.subs) == 0 {
		return
	}
	since := e.lastFrame
	if e.stallSince.After(since) {
		since = e.stallSince
	}
	err := &StallError{Camera: e.c.id, Waited: time.Since(since), Queued: e.queued,
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

// queue reuses a slot's request, attaches pending controls and queues it.
func (e *engine) queue(s *slot) {
	c := e.c
	if err := s.req.Reuse(libcamera.ReuseBuffers); err != nil {
		c.log.Error("picam: reuse request", "camera", c.id, "error", err)
		e.failed = append(e.failed, s)
		return
	}
	pending, id := c.takePending()
	if err := pending.apply(s.req.Controls()); err != nil {
		c.log.Error("picam: controls", "camera", c.id, "error", err)
	}
	if id > e.ctrlID {
		e.ctrlID = id
	}
	s.ctrlID = e.ctrlID
	if err := e.lc.QueueRequest(s.req); err != nil {
		c.log.Error("picam: queue request", "camera", c.id, "error", err)
		e.failed = append(e.failed, s)
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

// CaptureOption is an option of [Camera.CaptureRequest]: [After], [Flush]
// or [WithControls].
type CaptureOption struct{ apply func(*waiter) }

// After asks for a frame whose exposure started at or after t (Picamera2's
// flush=timestamp): its SensorTimestamp minus its ExposureTime, where the
// camera reports one.
func After(t time.Time) CaptureOption {
	mono := MonotonicNow() - int64(time.Since(t))
	return CaptureOption{func(w *waiter) { w.after = mono }}
}

// Flush asks for a frame whose exposure started after the capture call
// (Picamera2's flush=True).
func Flush() CaptureOption {
	return CaptureOption{func(w *waiter) { w.after = MonotonicNow() }}
}

// WithControls asks for a frame queued with the controls of SetControls call
// id, or later ones.
func WithControls(id ControlsID) CaptureOption {
	return CaptureOption{func(w *waiter) { w.ctrl = id }}
}

// CaptureRequest returns the next frame (Picamera2's capture_request).
// Release it when done. It fails with ctx's error, [ErrNotStarted] if the
// camera is not started or stops meanwhile, and [ErrStalled] if the camera
// delivers no frame within its stall timeout.
//
// Every caller waiting when a frame arrives receives it; a frame is never
// handed out again to a later call. With [Configuration.Queue], the newest
// frame nobody took is kept and returned at once: use [Flush] for a frame
// from after the call.
func (c *Camera) CaptureRequest(ctx context.Context, opts ...CaptureOption) (*CompletedRequest, error) {
	var pcs [16]uintptr
	n := runtime.Callers(2, pcs[:])
	return c.captureRequest(ctx, opts, pcs[:n])
}

func (c *Camera) captureRequest(ctx context.Context, opts []CaptureOption, pcs []uintptr) (*CompletedRequest, error) {
	s, err := c.wait(ctx, opts)
	if err != nil {
		return nil, err
	}
	return newCompleted(s, pcs), nil
}

func (c *Camera) wait(ctx context.Context, opts []CaptureOption) (*slot, error) {
	e := c.eng.Load()
	if e == nil {
		return nil, c.errNotRunning("capture from")
	}
	w := &waiter{ch: make(chan result, 1)}
	for _, o := range opts {
		if o.apply != nil {
			o.apply(w)
		}
	}
	select {
	case e.reqs <- w:
	case <-e.done:
		return nil, e.endErr
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if c.waitHanded != nil {
		c.waitHanded()
	}
	select {
	case res := <-w.ch:
		return res.s, res.err
	case <-ctx.Done():
		if w.state.CompareAndSwap(waitPending, waitCancelled) {
			return nil, ctx.Err()
		}
		// Delivered meanwhile: give the frame back.
		if res := <-w.ch; res.s != nil {
			res.s.unref()
		}
		return nil, ctx.Err()
	}
}

// DropFrames waits for n frames and drops them (Picamera2's drop_frames).
func (c *Camera) DropFrames(ctx context.Context, n int) error {
	for range n {
		s, err := c.wait(ctx, nil)
		if err != nil {
			return err
		}
		s.unref()
	}
	return nil
}

// CaptureMetadata returns the next frame's metadata (Picamera2's
// capture_metadata).
func (c *Camera) CaptureMetadata(ctx context.Context, opts ...CaptureOption) (Metadata, error) {
	return c.captureMetadata(ctx, opts)
}

func (c *Camera) captureMetadata(ctx context.Context, opts []CaptureOption) (Metadata, error) {
	s, err := c.wait(ctx, opts)
	if err != nil {
		return Metadata{}, err
	}
	defer s.unref()
	md, err := s.metadata()
	if err != nil {
		return Metadata{}, fmt.Errorf("picam: metadata: %w", err)
	}
	return Metadata{list: md}, nil
}

// CaptureFrame returns a copy of one stream of the next frame, made on the
// caller's goroutine (Picamera2's capture_array; the copy keeps the
// stream's layout, see [Frame]).
func (c *Camera) CaptureFrame(ctx context.Context, stream Stream, opts ...CaptureOption) (Frame, Metadata, error) {
	var pcs [16]uintptr
	n := runtime.Callers(2, pcs[:])
	return c.captureFrame(ctx, stream, opts, pcs[:n])
}

// withFrame captures the next frame, passes it and its view of stream to
// fn, and releases it when fn returns.
func (c *Camera) withFrame(ctx context.Context, stream Stream, opts []CaptureOption, pcs []uintptr, fn func(*CompletedRequest, Frame) error) error {
	r, err := c.captureRequest(ctx, opts, pcs)
	if err != nil {
		return err
	}
	defer r.Release()
	f, err := r.Frame(stream)
	if err != nil {
		return err
	}
	return fn(r, f)
}

func (c *Camera) captureFrame(ctx context.Context, stream Stream, opts []CaptureOption, pcs []uintptr) (out Frame, md Metadata, err error) {
	err = c.withFrame(ctx, stream, opts, pcs, func(r *CompletedRequest, f Frame) error {
		out = f.Clone()
		var err error
		md, err = r.Metadata()
		return err
	})
	return out, md, err
}

// CaptureBuffer returns a copy of one stream's whole buffer, planes one after
// the other with their line padding (Picamera2's capture_buffer).
func (c *Camera) CaptureBuffer(ctx context.Context, stream Stream, opts ...CaptureOption) ([]byte, error) {
	var pcs [16]uintptr
	n := runtime.Callers(2, pcs[:])
	return c.captureBuffer(ctx, stream, opts, pcs[:n])
}

func (c *Camera) captureBuffer(ctx context.Context, stream Stream, opts []CaptureOption, pcs []uintptr) (buf []byte, err error) {
	err = c.withFrame(ctx, stream, opts, pcs, func(_ *CompletedRequest, f Frame) error {
		buf = f.AppendBytes(make([]byte, 0, f.Len()))
		return nil
	})
	return buf, err
}

// CaptureImage returns one stream of the next frame as an image that owns
// its pixels (Picamera2's capture_image).
func (c *Camera) CaptureImage(ctx context.Context, stream Stream, opts ...CaptureOption) (image.Image, error) {
	var pcs [16]uintptr
	n := runtime.Callers(2, pcs[:])
	return c.captureImage(ctx, stream, opts, pcs[:n])
}

func (c *Camera) captureImage(ctx context.Context, stream Stream, opts []CaptureOption, pcs []uintptr) (img image.Image, err error) {
	err = c.withFrame(ctx, stream, opts, pcs, func(_ *CompletedRequest, f Frame) error {
		img, err = f.Clone().Image()
		return err
	})
	return img, err
}

// CaptureFile writes one stream of the next frame to a file, as JPEG or PNG
// after its extension (.jpg, .jpeg, .png), and returns the frame's metadata
// (Picamera2's capture_file). The frame is encoded straight from the
// camera's buffer on the caller's goroutine.
func (c *Camera) CaptureFile(ctx context.Context, path string, stream Stream, opts ...CaptureOption) (Metadata, error) {
	var pcs [16]uintptr
	n := runtime.Callers(2, pcs[:])
	return c.captureFile(ctx, path, stream, opts, pcs[:n])
}

func (c *Camera) captureFile(ctx context.Context, path string, stream Stream, opts []CaptureOption, pcs []uintptr) (md Metadata, err error) {
	err = c.withFrame(ctx, stream, opts, pcs, func(r *CompletedRequest, f Frame) error {
		if err := f.Save(path, c.opts.JPEGQuality); err != nil {
			return err
		}
		var err error
		md, err = r.Metadata()
		return err
	})
	return md, err
}

// SwitchModeAndCapture switches to cfg, drops delay frames, captures one,
// passes it to fn, releases it and switches back to the previous
// configuration (Picamera2's switch_mode_and_capture_*). The camera must be
// started.
func (c *Camera) SwitchModeAndCapture(ctx context.Context, cfg Configuration, delay int, fn func(*CompletedRequest) error) error {
	if fn == nil {
		return fmt.Errorf("picam: switch mode of %s: nil function: %w", c.id, ErrInvalid)
	}
	prev, err := c.Configuration()
	if err != nil {
		return err
	}
	if !c.Started() {
		return fmt.Errorf("picam: switch mode of %s: %w", c.id, ErrNotStarted)
	}
	if _, err := c.SwitchMode(cfg); err != nil {
		return err
	}
	ferr := func() error {
		if err := c.DropFrames(ctx, delay); err != nil {
			return err
		}
		r, err := c.CaptureRequest(ctx)
		if err != nil {
			return err
		}
		defer r.Release()
		return fn(r)
	}()
	if _, err := c.SwitchMode(prev); err != nil && ferr == nil {
		ferr = err
	}
	return ferr
}

// SwitchModeAndCaptureFile switches to cfg, writes one frame's stream to
// path and switches back (Picamera2's switch_mode_and_capture_file).
func (c *Camera) SwitchModeAndCaptureFile(ctx context.Context, cfg Configuration, path string, stream Stream) (Metadata, error) {
	var md Metadata
	err := c.SwitchModeAndCapture(ctx, cfg, 0, func(r *CompletedRequest) error {
		if err := r.Save(path, stream, c.opts.JPEGQuality); err != nil {
			return err
		}
		var err error
		md, err = r.Metadata()
		return err
	})
	return md, err
}

// SwitchModeCaptureRequestAndStop switches to cfg, captures one frame and
// stops the camera, returning the frame (Picamera2's
// switch_mode_capture_request_and_stop). Release the frame before
// configuring the camera again.
func (c *Camera) SwitchModeCaptureRequestAndStop(ctx context.Context, cfg Configuration) (*CompletedRequest, error) {
	if _, err := c.SwitchMode(cfg); err != nil {
		return nil, err
	}
	if err := c.Start(); err != nil {
		return nil, err
	}
	r, err := c.CaptureRequest(ctx)
	if serr := c.Stop(); err == nil && serr != nil {
		r.Release()
		return nil, serr
	}
	return r, err
}

// MonotonicNow returns CLOCK_MONOTONIC in nanoseconds, the clock of
// SensorTimestamp.
func MonotonicNow() int64 {
	var ts syscall.Timespec
	const clockMonotonic = 1
	syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, clockMonotonic, uintptr(unsafe.Pointer(&ts)), 0)
	return ts.Nano()
}

// MonotonicTime converts a CLOCK_MONOTONIC timestamp in nanoseconds (such as
// a SensorTimestamp) to wall-clock time. Zero gives the zero Time.
func MonotonicTime(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Now().Add(-time.Duration(MonotonicNow() - ns))
}
