package picam

import (
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/picamgo/picamgo/internal/callsite"
	"github.com/picamgo/picamgo/internal/linux"
)

// cbQueue is how many frames may wait for the callback goroutine; more
// are not held for it (each one held is a buffer the camera lacks).
const cbQueue = 2

// callbackErrors is the capacity of [Camera.CallbackErrors].
const callbackErrors = 16

// callback is a function set with SetPreCallback or SetPostCallback, with
// where it was set, so that an error about a callback that does not return
// can say which one it is.
type callback struct {
	fn  func(*CompletedRequest)
	npc int
	pcs [16]uintptr
}

// site describes where the callback was set.
func (cb *callback) site() string {
	return callsite.Describe(cb.pcs[:cb.npc], "github.com/picamgo/picamgo/pkg/picam")
}

// runningCallback is the callback the callback goroutine is running now.
type runningCallback struct {
	cb    *callback
	where string // "pre-callback" or "post-callback"
	seq   uint32
	since time.Time
}

// cbItem is a frame for the callback goroutine, holding one reference.
type cbItem struct {
	s   *slot
	pre bool // for the pre-callback, then back to the engine
}

// ErrPanic matches a [*PanicError]: a callback or a [Process] function
// panicked.
var ErrPanic = errors.New("picam: panic")

// PanicError reports a panic recovered in a callback (see
// [Camera.SetPreCallback]) or in a [Process] function. The camera goes on.
type PanicError struct {
	Camera   string
	Where    string // "pre-callback", "post-callback" or "process"
	Sequence uint32 // the frame's sequence number
	Value    any    // what was passed to panic
	Stack    []byte // the panicking goroutine's stack
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("picam: camera %s: %s panicked on frame %d: %v", e.Camera, e.Where, e.Sequence, e.Value)
}

// Is makes errors.Is(err, ErrPanic) true.
func (e *PanicError) Is(target error) bool { return target == ErrPanic }

// Unwrap returns the value passed to panic if it is an error.
func (e *PanicError) Unwrap() error {
	if err, ok := e.Value.(error); ok {
		return err
	}
	return nil
}

// SetPreCallback sets a function run on every frame before anyone sees it
// (Picamera2's pre_callback): before capture calls, streams, jobs and the
// post-callback receive it, so that drawing into its buffers shows in
// what they get. nil removes it.
//
// Callbacks run on one goroutine per started camera, the callback
// goroutine: never on libcamera's thread, and never on the capture engine,
// so a slow callback cannot delay requeueing. The request passed is
// released when fn returns; call [CompletedRequest.Acquire] to keep it. A
// frame that arrives while the pre-callback is behind is dropped (counted
// in [Stats.CallbackSkipped]); the camera goes on. A panic is recovered,
// logged with its stack, counted in [Stats.CallbackPanics] and sent to
// [Camera.CallbackErrors] as a [*PanicError]; the camera goes on.
//
// A callback may call any method of the camera, Stop and Close included
// (called from a callback, they do not wait for it to return). Stop and
// Close called elsewhere wait for a running callback to return, so that no
// callback runs once they returned: a callback must not wait for them.
//
// A callback that does not return delays Stop, SwitchMode and Close only
// up to [Options.ShutdownTimeout]; they then fail with a
// [*CallbackStuckError] naming it (see [Camera.Shutdown]).
func (c *Camera) SetPreCallback(fn func(*CompletedRequest)) { setCallback(&c.pre, fn) }

// SetPostCallback sets a function run on every frame after it was handed
// out to capture calls and streams (Picamera2's post_callback), on the
// callback goroutine as [Camera.SetPreCallback] says. If the callback
// goroutine is behind, the frame skips the post-callback (counted in
// [Stats.CallbackSkipped]). nil removes it.
func (c *Camera) SetPostCallback(fn func(*CompletedRequest)) { setCallback(&c.post, fn) }

func setCallback(p interface{ Store(*callback) }, fn func(*CompletedRequest)) {
	if fn == nil {
		p.Store(nil)
		return
	}
	cb := &callback{fn: fn}
	cb.npc = runtime.Callers(2, cb.pcs[:])
	p.Store(cb)
}

// CallbackErrors returns a channel that receives a [*PanicError] for each
// callback that panicked. It is never closed. Reports that find it full
// are dropped; [Stats.CallbackPanics] counts them all.
func (c *Camera) CallbackErrors() <-chan error { return c.cbErrs }

// toCallbacks queues a frame for the callback goroutine without blocking;
// false if the callback goroutine is behind.
func (e *engine) toCallbacks(it cbItem) bool {
	select {
	case e.cbq <- it:
		return true
	default:
		return false
	}
}

// callbacks is the callback goroutine: it runs until the engine shuts
// down and closes cbq, and gives back every frame it holds.
func (e *engine) callbacks() {
	defer close(e.cbDone)
	for it := range e.cbq {
		stopped := false
		select {
		case <-e.stop:
			stopped = true
		default:
		}
		if !stopped {
			if it.pre {
				e.runCallback("pre-callback", e.c.pre.Load(), it.s)
				select {
				case e.ready <- it.s: // the engine's reference goes back
					continue
				case <-e.stop:
				}
			} else {
				e.runCallback("post-callback", e.c.post.Load(), it.s)
			}
		}
		it.s.unref()
	}
}

// runCallback runs cb on the frame in s, recovering a panic. While it
// runs, e.running names it for a shutdown that gives up waiting.
func (e *engine) runCallback(where string, cb *callback, s *slot) {
	if cb == nil {
		return
	}
	c := e.c
	s.ref()
	r := newCompleted(s, nil, where, nil)
	defer r.Release()
	e.setRunning(runningCallback{cb: cb, where: where, seq: s.req.Sequence(), since: time.Now()})
	defer e.setRunning(runningCallback{})
	defer func() {
		if v := recover(); v != nil {
			c.reportPanic(&PanicError{Camera: c.id, Where: where, Sequence: s.req.Sequence(), Value: v, Stack: debug.Stack()})
		}
	}()
	// Stop or Close called from cb must not wait for cb. While cb runs, its
	// goroutine is locked to its thread, which no other goroutine then runs
	// on: the thread's id tells them (see waitCallbacks).
	runtime.LockOSThread()
	e.cbThread.Store(int64(linux.Gettid()))
	defer func() {
		e.cbThread.Store(0)
		runtime.UnlockOSThread()
	}()
	cb.fn(r)
}

func (e *engine) setRunning(run runningCallback) {
	e.runMu.Lock()
	e.running = run
	e.runMu.Unlock()
}

// runningNow returns the callback running now; its cb is nil if none is.
func (e *engine) runningNow() runningCallback {
	e.runMu.Lock()
	defer e.runMu.Unlock()
	return e.running
}

func (c *Camera) reportPanic(err *PanicError) {
	c.cbPanics.Add(1)
	c.log.Error("picam: callback panicked; the camera goes on", "camera", c.id, "where", err.Where,
		"sequence", err.Sequence, "panic", fmt.Sprint(err.Value), "stack", string(err.Stack))
	select {
	case c.cbErrs <- err:
	default:
	}
}

// callbacksEnded tells whether the engine's callback goroutine has ended.
func (e *engine) callbacksEnded() bool {
	select {
	case <-e.cbDone:
		return true
	default:
		return false
	}
}
