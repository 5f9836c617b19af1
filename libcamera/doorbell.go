package libcamera

import (
	"context"
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// doorbell is the fast way to wait for a completion (see
// [Camera.WaitRequest]). A goroutine woken by the completion callback's
// channel send is queued on the P that the callback thread keeps while it
// is back in libcamera; another thread has to steal it from there, which
// costs tens of microseconds per frame. A goroutine blocked in the
// netpoller on an eventfd is handed to an idle P at once. The callback
// still pushes onto the bounded channel; the doorbell only says "look".
//
// One goroutine at a time waits on the doorbell (owner); others wait on the
// channel. The eventfd counts rings, and one read clears them all.
type doorbell struct {
	f  *os.File // non-blocking eventfd, in the netpoller
	fd uintptr  // f's descriptor, for ring; valid until close

	// armed is set while the owner may be blocked in f.Read: only then
	// does the callback ring (a write per frame costs a system call).
	armed atomic.Bool
	owner sync.Mutex // TryLock'd by WaitRequest

	// With owner held: the context whose cancellation ends a blocked read
	// (by moving the read deadline into the past), and how to unregister it.
	ctx  context.Context
	stop func() bool
}

func newDoorbell() (*doorbell, error) {
	const efdCloexec, efdNonblock = syscall.O_CLOEXEC, syscall.O_NONBLOCK
	fd, _, errno := syscall.Syscall(syscall.SYS_EVENTFD2, 0, efdCloexec|efdNonblock, 0)
	if errno != 0 {
		return nil, &Error{Op: "Camera.WaitRequest", Code: errno, Msg: "eventfd: " + errno.Error()}
	}
	return &doorbell{f: os.NewFile(fd, "libcamera-doorbell"), fd: fd}, nil
}

// ring runs on libcamera's thread, in the completion callback. An eventfd
// write never blocks (the counter would need 2^64 rings to fill).
func (b *doorbell) ring() {
	one := uint64(1)
	syscall.Syscall(syscall.SYS_WRITE, b.fd, uintptr(unsafe.Pointer(&one)), 8)
}

// wait returns the next request from ch, with b.owner held. It fails with
// ctx's error, or ErrClosed once close has run.
func (b *doorbell) wait(ctx context.Context, ch <-chan *Request) (*Request, error) {
	var buf [8]byte
	for {
		// Arm before the last look, so that a request pushed after the look
		// rings the bell.
		b.armed.Store(true)
		select {
		case r := <-ch:
			b.armed.Store(false)
			return r, nil
		default:
		}
		if err := b.watch(ctx); err != nil {
			b.armed.Store(false)
			return nil, err
		}
		_, err := b.f.Read(buf[:])
		b.armed.Store(false)
		switch {
		case err == nil, errors.Is(err, syscall.EAGAIN):
		case errors.Is(err, os.ErrDeadlineExceeded):
			// ctx's watcher, or an earlier context's that fired late: the loop
			// clears the deadline and looks at ctx again.
		case errors.Is(err, os.ErrClosed):
			return nil, ErrClosed
		default:
			return nil, &Error{Op: "Camera.WaitRequest", Code: syscall.EIO, Msg: "doorbell: " + err.Error()}
		}
	}
}

// longAgo is a read deadline that has passed: it wakes a blocked read.
var longAgo = time.Unix(1, 0)

// watch makes ctx's cancellation wake the owner's read, reusing the
// registration while the same context comes back (a capture loop passes
// one context each frame; registering costs two allocations).
func (b *doorbell) watch(ctx context.Context) error {
	if b.ctx != ctx {
		if b.stop != nil {
			b.stop()
			b.ctx, b.stop = nil, nil
		}
		if ctx.Done() != nil {
			b.ctx = ctx
			b.stop = context.AfterFunc(ctx, func() { b.f.SetReadDeadline(longAgo) })
		}
	}
	// Clear a deadline left by a watcher, then look at ctx: if the watcher
	// fires after the clear the read sees it, if before, ctx.Err sees it.
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
	b.ctx, b.stop = nil, nil
}

// close wakes a blocked owner with ErrClosed, then drops the context
// registration. The callback must not ring any more: the descriptor's
// number may be reused.
func (b *doorbell) close() {
	b.f.Close()
	b.owner.Lock()
	b.release()
	b.owner.Unlock()
}
