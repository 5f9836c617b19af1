package video

import (
	"fmt"
	"runtime"
	"syscall"
)

// KeepPriority, as [H264].Nice, runs the encoder at the program's own
// scheduling priority.
const KeepPriority = -1

// defaultNice is how much [H264] lowers its threads' priority by default.
// At nice 10 a thread weighs 110 against a normal thread's 1024 (Linux's
// weights), so a goroutine of the program that wakes (a control loop, the
// camera's completions) runs at once instead of waiting for the encoder's
// slice; against other programs' nice 19 work (weight 15) the encoder still
// gets most of a core.
const defaultNice = 10

// niceOf checks an H264.Nice and returns the increment to apply (0: none).
func niceOf(n int) (int, error) {
	switch {
	case n == KeepPriority:
		return 0, nil
	case n == 0:
		return defaultNice, nil
	case n < 0 || n > 19:
		return 0, fmt.Errorf("video: h264: nice %d (want 1..19, 0 for %d or KeepPriority): %w", n, defaultNice, ErrInvalid)
	}
	return n, nil
}

// encoderThread runs functions, one after another, on an OS thread of its
// own whose nice value was raised by nice (its priority lowered). The
// encoder is opened there, so the threads libx264 starts in avcodec_open2
// inherit the nice value (Linux gives a new thread its creator's), and
// every encode call runs there too: the encoder then yields the cores to
// the rest of the program instead of taking both for the length of a
// 1080p frame.
//
// The goroutine stays locked to its thread and never unlocks: when it
// ends, the Go runtime ends the thread rather than return a thread of low
// priority to its pool (and an unprivileged process could not raise it
// back).
type encoderThread struct {
	jobs chan func()
	tid  int // the thread's id (tests)
}

// startEncoderThread starts the thread, lowered by nice (0: as it is).
func startEncoderThread(nice int) (*encoderThread, error) {
	t := &encoderThread{jobs: make(chan func())}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		t.tid = syscall.Gettid()
		if err := lowerPriority(t.tid, nice); err != nil {
			started <- err
			return // the thread ends with the goroutine
		}
		started <- nil
		for f := range t.jobs {
			f()
		}
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return t, nil
}

// lowerPriority adds nice to thread tid's nice value (at most 19).
func lowerPriority(tid, nice int) error {
	if nice == 0 {
		return nil
	}
	// The system call returns 20 - nice (1..40), never a negative number.
	p, err := syscall.Getpriority(syscall.PRIO_PROCESS, tid)
	if err != nil {
		return fmt.Errorf("video: encoder thread priority: %w", err)
	}
	if err := syscall.Setpriority(syscall.PRIO_PROCESS, tid, min(20-p+nice, 19)); err != nil {
		return fmt.Errorf("video: lowering the encoder thread's priority: %w", err)
	}
	return nil
}

// do runs f on the thread and waits for it.
func (t *encoderThread) do(f func()) {
	done := make(chan struct{})
	t.jobs <- func() {
		defer close(done)
		f()
	}
	<-done
}

// last runs f on the thread without waiting, and ends the thread after it.
func (t *encoderThread) last(f func()) {
	t.jobs <- f
	close(t.jobs)
}

// stop ends the thread.
func (t *encoderThread) stop() { close(t.jobs) }
