package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"syscall"
	"time"
	"unsafe"

	"github.com/picamgo/picamgo/pkg/picam"
)

// timerfd is a Linux timer file (timerfd_create(2)) firing every period on
// CLOCK_MONOTONIC. Opened non-blocking, it is read through Go's network
// poller: a goroutine reading it is woken like one reading a socket that
// receives a message, with the kernel's high-resolution timer's precision.
// Go's own timers (time.Sleep, time.Ticker) wake with a millisecond's
// granularity on Linux (the poller's epoll_wait takes milliseconds): a
// heartbeat sleeping on them is up to 1 ms late on an idle machine.
type timerfd struct {
	f     *os.File
	start int64 // CLOCK_MONOTONIC ns of the first expiry minus one period
}

const (
	clockMonotonic = 1
	tfdNonblock    = syscall.O_NONBLOCK
	tfdCloexec     = syscall.O_CLOEXEC
	tfdAbstime     = 1
)

func newTimerfd(period time.Duration) (*timerfd, error) {
	fd, _, errno := syscall.Syscall(syscall.SYS_TIMERFD_CREATE, clockMonotonic, tfdNonblock|tfdCloexec, 0)
	if errno != 0 {
		return nil, fmt.Errorf("timerfd_create: %w", errno)
	}
	start := picam.MonotonicNow()
	spec := [2]syscall.Timespec{ // it_interval, it_value
		syscall.NsecToTimespec(period.Nanoseconds()),
		syscall.NsecToTimespec(start + period.Nanoseconds()),
	}
	if _, _, errno := syscall.Syscall6(syscall.SYS_TIMERFD_SETTIME, fd, tfdAbstime, uintptr(unsafe.Pointer(&spec)), 0, 0, 0); errno != 0 {
		syscall.Close(int(fd))
		return nil, fmt.Errorf("timerfd_settime: %w", errno)
	}
	return &timerfd{f: os.NewFile(fd, "timerfd"), start: start}, nil
}

func (t *timerfd) Close() error { return t.f.Close() }

// beatTimerfd is beat on a timer file: it waits for each expiry and
// records how late it woke. A wake-up that finds several expiries records
// each with its own lateness.
func (h *heartbeat) beatTimerfd(ctx context.Context, samples []time.Duration) (int, error) {
	t, err := newTimerfd(h.period)
	if err != nil {
		return 0, err
	}
	defer t.Close()
	var buf [8]byte
	i := 0
	for i < len(samples) && ctx.Err() == nil {
		if _, err := t.f.Read(buf[:]); err != nil {
			return i, fmt.Errorf("timerfd: %w", err)
		}
		now := picam.MonotonicNow()
		for n := binary.NativeEndian.Uint64(buf[:]); n > 0 && i < len(samples); n-- {
			due := t.start + int64(i+1)*h.period.Nanoseconds()
			samples[i] = time.Duration(now - due)
			i++
		}
	}
	return i, nil
}
