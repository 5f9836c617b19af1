package picam

import (
	"context"
	"sync"
	"time"
)

// jobContext is the context a job's capture runs with: its parent's
// values and deadline, done when the parent is done or the job is
// cancelled, and the place the job was started as the capture site. It is
// part of its Job, so that starting a job allocates no context of its own
// beyond a done channel (a parent that can end adds its AfterFunc), where
// context.WithCancel, an AfterFunc on it and WithValue for the site cost
// nine allocations per job.
type jobContext struct {
	parent context.Context
	done   chan struct{}
	site   [siteDepth]uintptr
	nsite  int
	// abandon runs once when the context is done before release (the
	// job's abandon: an interface holding the Job, which costs no
	// allocation where a method value would).
	abandon interface{ abandon() }

	mu         sync.Mutex
	err, cause error
	released   bool
	stopParent func() bool // unregisters from the parent; nil if it cannot end
}

// start sets jc up for a job under parent, with the capture site pcs.
func (jc *jobContext) start(parent context.Context, pcs []uintptr, abandon interface{ abandon() }) {
	jc.parent, jc.abandon = parent, abandon
	jc.nsite = copy(jc.site[:], pcs)
	jc.done = make(chan struct{})
	if parent.Done() != nil {
		if err := parent.Err(); err != nil {
			// Done already: the job is done at once, as a child of
			// context.WithCancel would be. AfterFunc would tell it later, on
			// a goroutine of its own, and a frame could win that race.
			jc.cancel(err, context.Cause(parent))
			return
		}
		jc.stopParent = context.AfterFunc(parent, jc.parentDone)
	}
}

func (jc *jobContext) parentDone() { jc.cancel(jc.parent.Err(), context.Cause(jc.parent)) }

// cancel ends the context with err (and cause), then abandons the job
// unless it was released; only the first call counts.
func (jc *jobContext) cancel(err, cause error) {
	jc.mu.Lock()
	if jc.err != nil {
		jc.mu.Unlock()
		return
	}
	jc.err, jc.cause = err, cause
	close(jc.done)
	abandon := !jc.released
	jc.mu.Unlock()
	if abandon {
		jc.abandon.abandon()
	}
}

// release says the job has nothing to give back any more: cancelling it
// later abandons nothing, and the parent no longer needs to tell it.
func (jc *jobContext) release() {
	jc.mu.Lock()
	jc.released = true
	stop := jc.stopParent
	jc.stopParent = nil
	jc.mu.Unlock()
	if stop != nil {
		stop()
	}
}

// causeErr is context.Cause for jc.
func (jc *jobContext) causeErr() error {
	jc.mu.Lock()
	defer jc.mu.Unlock()
	return jc.cause
}

func (jc *jobContext) Deadline() (time.Time, bool) { return jc.parent.Deadline() }
func (jc *jobContext) Done() <-chan struct{}       { return jc.done }

func (jc *jobContext) Err() error {
	jc.mu.Lock()
	defer jc.mu.Unlock()
	return jc.err
}

func (jc *jobContext) Value(key any) any {
	if _, ok := key.(siteKey); ok && jc.nsite > 0 {
		return jc.site[:jc.nsite]
	}
	return jc.parent.Value(key)
}

// jobSite returns the capture site of a job's context, if ctx is one.
func jobSite(ctx context.Context) ([]uintptr, bool) {
	if jc, ok := ctx.(*jobContext); ok && jc.nsite > 0 {
		return jc.site[:jc.nsite], true
	}
	return nil, false
}
