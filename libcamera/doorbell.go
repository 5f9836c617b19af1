package libcamera

import (
	"context"
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/picamgo/picamgo/internal/linux"
)

// doorbell is the fast way to wait for a completion (see
// [Camera.WaitRequest]). A goroutine woken by the completion callback's
// channel send is queued on the P that the callback thread keeps while it
// is back in libcamera; another thread has to steal it from there, which
// costs tens of microseconds per frame. A goroutine blocked in the
// netpoller on an eventfd is handed to an idle P at once. The callback
// still pushes onto the bounded channel; the doorbell only says "look".
//
// One goroutine at a time waits on the doorbell (the owner); others wait
// on the channel. The eventfd's counter is never read: each write is a new
// edge for the edge-triggered netpoller, and 2^64 rings will not come.
type doorbell struct {
	f    *os.File // non-blocking eventfd, in the netpoller
	fd   int      // f's descriptor, for ring; valid until close
	conn syscall.RawConn
	ch   <-chan *Request // the camera's completion queue

	// armed is set while the owner may be parked: only then does the
	// callback ring (a write per frame costs a system call).
	armed  atomic.Bool
	owner  sync.Mutex // TryLock'd by WaitRequest
	closed atomic.Bool

	// With owner held: readyFn is ready as a func value made once (a
	// method value made per wait would allocate), polled and got are its
	// state; done is the Done channel of the context whose cancellation
	// ends a parked wait (by moving the read deadline into the past), stop
	// unregisters it.
	readyFn func(uintptr) bool
	polled  bool
	got     *Request
	done    <-chan struct{}
	stop    func() bool
}

func newDoorbell(ch <-chan *Request) (*doorbell, error) {
	fd, err := linux.NewEventfd()
	if err != nil {
		return nil, osError("Camera.WaitRequest", err, "eventfd")
	}
	b := &doorbell{f: os.NewFile(uintptr(fd), "libcamera-doorbell"), fd: fd, ch: ch}
	if b.conn, err = b.f.SyscallConn(); err != nil {
		b.f.Close()
		return nil, &Error{Op: "Camera.WaitRequest", Code: syscall.EIO, Msg: "doorbell: " + err.Error()}
	}
	b.readyFn = b.ready
	return b, nil
}

// ring runs on libcamera's thread, in the completion callback. An eventfd
// write never blocks (the counter would need 2^64 rings to fill).
func (b *doorbell) ring() {
	linux.Signal(b.fd)
}

// wait returns the next request, with b.owner held. It fails with ctx's
// error, or ErrClosed once close has run.
func (b *doorbell) wait(ctx context.Context) (*Request, error) {
	for {
		if err := b.watch(ctx); err != nil {
			return nil, err
		}
		b.polled, b.got = false, nil
		err := b.conn.Read(b.readyFn)
		b.armed.Store(false)
		if r := b.got; r != nil {
			b.got = nil
			return r, nil
		}
		switch {
		case err == nil:
			// Rung (or an old edge): look again.
			select {
			case r := <-b.ch:
				return r, nil
			default:
			}
		case errors.Is(err, os.ErrDeadlineExceeded):
			// ctx's watcher, or an earlier context's that fired late: watch
			// clears the deadline and looks at ctx again.
		case b.closed.Load() || errors.Is(err, os.ErrClosed):
			// RawConn reports a close as internal/poll's ErrFileClosing.
			return nil, ErrClosed
		default:
			return nil, &Error{Op: "Camera.WaitRequest", Code: syscall.EIO, Msg: "doorbell: " + err.Error()}
		}
	}
}

// ready is the RawConn.Read function. Its first call comes after the
// netpoller has forgotten old edges: it arms the doorbell, then takes a
// last look at the queue, so that a request pushed after that look rings
// and the ring's edge wakes the park. Its second call (after a park)
// reports the park over.
func (b *doorbell) ready(uintptr) bool {
	if b.polled {
		return true
	}
	b.polled = true
	b.armed.Store(true)
	select {
	case r := <-b.ch:
		b.got = r
		return true
	default:
		return false
	}
}

// longAgo is a read deadline that has passed: it wakes a blocked read.
var longAgo = time.Unix(1, 0)

// watch makes ctx's cancellation wake the owner's park. The registration
// stays while contexts with the same Done channel come back (a capture
// loop passes one context each frame; registering costs two allocations).
// Done channels are compared, not contexts: a context need not be
// comparable, and contexts that share a Done channel end together.
func (b *doorbell) watch(ctx context.Context) error {
	if done := ctx.Done(); done != b.done {
		b.release()
		if done != nil {
			b.done = done
			b.stop = context.AfterFunc(ctx, func() { b.f.SetReadDeadline(longAgo) })
		}
	}
	// Clear a deadline left by a watcher, then look at ctx: if the watcher
	// fires after the clear the park sees it, if before, ctx.Err sees it.
	if err := b.f.SetReadDeadline(time.Time{}); err != nil {
		return ErrClosed
	}
	return ctx.Err()
}

// release drops the context registration; with b.owner held.
func (b *doorbell) release() {
	if b.stop != nil {
		b.stop()
	}
	b.done, b.stop = nil, nil
}

// close wakes a blocked owner with ErrClosed, then drops the context
// registration. The callback must not ring any more: the descriptor's
// number may be reused.
func (b *doorbell) close() {
	b.closed.Store(true)
	b.f.Close()
	b.owner.Lock()
	b.release()
	b.owner.Unlock()
}
