package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

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

func newTimerfd(period time.Duration) (*timerfd, error) {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("timerfd_create: %w", err)
	}
	start := picam.MonotonicNow()
	spec := unix.ItimerSpec{
		Interval: unix.NsecToTimespec(period.Nanoseconds()),
		Value:    unix.NsecToTimespec(start + period.Nanoseconds()),
	}
	if err := unix.TimerfdSettime(fd, unix.TFD_TIMER_ABSTIME, &spec, nil); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("timerfd_settime: %w", err)
	}
	return &timerfd{f: os.NewFile(uintptr(fd), "timerfd"), start: start}, nil
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
