package picam

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/picamgo/picamgo/internal/linux"
)

// DefaultShutdownTimeout is how long [Camera.Close], [Camera.Stop] and
// [Camera.SwitchMode] wait for a running callback to return when
// [Options.ShutdownTimeout] is zero. A callback that runs longer than this
// is a bug (a callback should take about a frame's time), and 5 s is far
// above any frame time a camera allows while still short enough that a
// stuck program notices.
const DefaultShutdownTimeout = 5 * time.Second

// ErrCallbackStuck matches a [*CallbackStuckError]: a callback did not
// return while Stop, SwitchMode, Close or Shutdown waited for it.
var ErrCallbackStuck = errors.New("picam: callback did not return")

// CallbackStuckError reports a pre- or post-callback that was still running
// when [Camera.Shutdown], [Camera.Close], [Camera.Stop] or
// [Camera.SwitchMode] gave up waiting for it. It matches
// [ErrCallbackStuck] and the context error that ended the wait.
//
// The camera did not wait, but it did not abandon anything either: the
// frame the callback holds, its request and its buffer mappings stay
// valid until the callback returns, and then they are released (after a
// Close, freed) by the callback goroutine as it ends. A later Close or
// Shutdown waits for that again and returns nil once it happened.
type CallbackStuckError struct {
	Camera   string
	Where    string        // "pre-callback" or "post-callback"; "callback goroutine" between callbacks
	Sequence uint32        // the frame the callback runs on
	SetAt    string        // where SetPreCallback or SetPostCallback set it: "file.go:line pkg.Func <- ..."
	Running  time.Duration // how long it had been running when the wait ended
	err      error         // what ended the wait (a context error)
}

func (e *CallbackStuckError) Error() string {
	if e.SetAt == "" {
		return fmt.Sprintf("picam: camera %s: the callback goroutine did not end in time (%v)", e.Camera, e.err)
	}
	return fmt.Sprintf("picam: camera %s: %s set at %s still running on frame %d after %v (%v)",
		e.Camera, e.Where, e.SetAt, e.Sequence, e.Running.Round(time.Millisecond), e.err)
}

// Is makes errors.Is(err, ErrCallbackStuck) true.
func (e *CallbackStuckError) Is(target error) bool { return target == ErrCallbackStuck }

// Unwrap returns the context error that ended the wait.
func (e *CallbackStuckError) Unwrap() error { return e.err }

// Shutdown stops and closes the camera, as Close does, and waits for a
// running callback and for asynchronous captures ([Job]s) to end only as
// long as ctx allows, as [net/http.Server.Shutdown] does for connections.
// Stopping and closing happen whatever ctx says: they never wait for
// application code. If ctx ends first, Shutdown returns a
// [*CallbackStuckError] (matching [ErrCallbackStuck] and ctx's error)
// naming the callback still running, or ctx's error if jobs still run.
//
// A camera that gave up waiting is closed all the same: every call on it
// fails with [ErrClosed]; the stuck callback's frame stays valid until it
// returns, and is freed then. Calling Shutdown or Close again waits again,
// and returns nil once the callback has returned.
func (c *Camera) Shutdown(ctx context.Context) error {
	c.mu.Lock()
	var err error
	if !c.closed {
		err = c.closeLocked()
	}
	stopped := c.pendingCallbacks()
	c.mu.Unlock()
	// Without mu, which a callback or a job may be waiting for.
	if werr := c.waitCallbacks(ctx, stopped); werr != nil {
		return errors.Join(err, werr)
	}
	if werr := c.waitJobs(ctx); werr != nil {
		return errors.Join(err, werr)
	}
	return err
}

// shutdownTimeout is Options.ShutdownTimeout or its default.
func (c *Camera) shutdownTimeout() time.Duration {
	if c.opts.ShutdownTimeout > 0 {
		return c.opts.ShutdownTimeout
	}
	return DefaultShutdownTimeout
}

// waitBounded runs wait with a context ending after the shutdown timeout.
func (c *Camera) waitBounded(wait func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), c.shutdownTimeout())
	defer cancel()
	return wait(ctx)
}

// pendingCallbacks returns the stopped engines whose callback goroutines
// have not ended yet. They stay listed until they end, so that a wait that
// gave up can be made again. With mu held.
func (c *Camera) pendingCallbacks() []*engine {
	c.stopped = slices.DeleteFunc(c.stopped, (*engine).callbacksEnded)
	return slices.Clone(c.stopped)
}

// waitCallbacks waits until the callback goroutines of stopped engines
// have ended, or until ctx ends: then it returns a *CallbackStuckError.
// It does not wait for the caller's own callback goroutine (a callback
// that stops or closes the camera), which ends once the callback returns.
func (c *Camera) waitCallbacks(ctx context.Context, stopped []*engine) error {
	if len(stopped) == 0 {
		return nil
	}
	me := int64(linux.Gettid())
	for _, e := range stopped {
		if e.cbThread.Load() == me {
			continue // called from e's running callback, which holds this thread
		}
		select {
		case <-e.cbDone:
		case <-ctx.Done():
			select {
			case <-e.cbDone: // ended meanwhile
				continue
			default:
			}
			return e.stuck(ctx)
		}
	}
	// Forget the engines waited for, so that stopped does not grow.
	c.mu.Lock()
	c.stopped = slices.DeleteFunc(c.stopped, (*engine).callbacksEnded)
	c.mu.Unlock()
	return nil
}

// stuck describes the callback that keeps e's callback goroutine running.
func (e *engine) stuck(ctx context.Context) error {
	err := &CallbackStuckError{Camera: e.c.id, Where: "callback goroutine", err: context.Cause(ctx)}
	if run := e.runningNow(); run.cb != nil {
		err.Where, err.Sequence, err.SetAt = run.where, run.seq, run.cb.site()
		err.Running = time.Since(run.since)
	}
	return err
}

// waitJobs waits for the goroutines of asynchronous captures, which end
// soon after the engine did; ctx bounds the wait all the same.
func (c *Camera) waitJobs(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		c.jobs.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("picam: close %s: asynchronous captures still running: %w", c.id, context.Cause(ctx))
	}
}

// errNotRunning is the error of a call that needs a running engine and
// found none: ErrClosed once Close began, else ErrNotStarted.
func (c *Camera) errNotRunning(op string) error {
	if c.closing.Load() {
		return c.errClosed(op)
	}
	return fmt.Errorf("picam: %s %s: %w", op, c.id, ErrNotStarted)
}
