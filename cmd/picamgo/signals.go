package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// run contexts end on Ctrl-C (SIGINT) or SIGTERM. The first signal ends
// the work cleanly (files get their index and trailer); a second one, once
// the first has been seen, kills the program as usual.
type runContext struct {
	context.Context
	signalled context.Context
	stop      func()
}

// newRunContext returns a context ending on a signal or after d (0: no
// end but a signal).
func newRunContext(d time.Duration) *runContext {
	sig, stopSig := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	ctx, cancel := sig, context.CancelFunc(func() {})
	if d > 0 {
		ctx, cancel = context.WithTimeout(sig, d)
	}
	go func() {
		<-sig.Done()
		stopSig() // a second Ctrl-C now kills
	}()
	return &runContext{Context: ctx, signalled: sig, stop: func() { cancel(); stopSig() }}
}

// interrupted reports whether a signal ended the context.
func (r *runContext) interrupted() bool { return r.signalled.Err() != nil }

// result is the error for work that ended as it should: errInterrupted
// when a signal cut it short, nil otherwise.
func (r *runContext) result(untilSignal bool) error {
	if r.interrupted() && !untilSignal {
		return errInterrupted
	}
	return nil
}
