package picam

import (
	"context"
	"errors"
	"image"
	"sync"
)

// ErrNotDone is what [Job.Result] returns before the job is done.
var ErrNotDone = errors.New("picam: job not done")

// Job is a capture running on its own goroutine, the counterpart of
// Picamera2's Job (capture_*(wait=False)): the asynchronous capture calls
// return one at once. Select on [Job.Done] among other channels, then call
// [Job.Result]; or call [Job.Wait]. A Job may be used from any goroutine.
//
// Cancelling the context the job was started with, or calling
// [Job.Cancel], abandons it: a capture still waiting fails with the
// context's error, and a frame that arrived but was not collected yet is
// given back to the camera.
//
// Ownership: a [*CompletedRequest] result belongs to the caller once
// [Job.Wait] or [Job.Result] has returned it (later calls return the same
// request: release it once). Until then it belongs to the job, which
// releases it if abandoned. A job whose request is never collected nor
// cancelled holds a buffer until its context is done: always collect or
// cancel. Copied results (frames, images, buffers, metadata) own their
// memory and hold no buffer.
//
// A job's goroutine belongs to its camera: stopping the camera fails a
// capture still waiting with [ErrNotStarted], closing it with [ErrClosed],
// and [Camera.Close] returns nil only once every job's goroutine has
// ended. A job started on a closed camera fails at once with [ErrClosed].
type Job[T any] struct {
	jc      jobContext
	release func(T) // gives back a result holding a buffer; nil if none does
	done    chan struct{}

	mu        sync.Mutex
	val       T
	err       error
	finished  bool
	collected bool
}

// startJob runs fn on a new goroutine of camera c with a context derived
// from ctx, which carries pcs (if any) as the capture site; [Camera.Close]
// waits for it. On a closed camera the job fails at once, without a
// goroutine. release, if not nil, gives back a successful result nobody
// collected.
func startJob[T any](c *Camera, ctx context.Context, pcs []uintptr, release func(T), fn func(context.Context) (T, error)) *Job[T] {
	j := &Job[T]{release: release, done: make(chan struct{})}
	j.jc.start(ctx, pcs, j)
	if !c.addJob() {
		var zero T
		j.finish(zero, c.errClosed("capture from"))
		return j
	}
	go func() {
		defer c.jobs.Done()
		v, err := fn(&j.jc)
		j.finish(v, err)
	}()
	return j
}

// addJob counts a job goroutine about to start, unless the camera is
// closed: Close sets rclosed before it waits for the jobs, so that every
// Add happens before that Wait.
func (c *Camera) addJob() bool {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if c.rclosed {
		return false
	}
	c.jobs.Add(1)
	return true
}

func (j *Job[T]) finish(v T, err error) {
	j.mu.Lock()
	if err == nil && j.release != nil && j.jc.Err() != nil {
		// Abandoned while the frame arrived: nobody will collect it.
		j.release(v)
		var zero T
		v, err = zero, j.jc.causeErr()
	}
	j.val, j.err, j.finished = v, err, true
	holds := err == nil && j.release != nil
	j.mu.Unlock()
	close(j.done)
	if !holds {
		// Nothing left to give back on cancellation.
		j.jc.release()
	}
}

// abandon runs when the job's context is done.
func (j *Job[T]) abandon() {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.finished || j.collected || j.err != nil || j.release == nil {
		return // still running (finish gives it back), or nothing to give back
	}
	j.release(j.val)
	var zero T
	j.val, j.err = zero, j.jc.causeErr()
}

// Done returns a channel closed when the job is done: its result is ready.
func (j *Job[T]) Done() <-chan struct{} { return j.done }

// Wait waits for the job and returns its result, or ctx's error if ctx is
// done first; ctx only bounds this wait and does not cancel the job.
func (j *Job[T]) Wait(ctx context.Context) (T, error) {
	select {
	case <-j.done:
		return j.collect()
	default:
	}
	select {
	case <-j.done:
		return j.collect()
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// Result returns the job's result without waiting, or [ErrNotDone] if it
// is not done.
func (j *Job[T]) Result() (T, error) {
	select {
	case <-j.done:
		return j.collect()
	default:
		var zero T
		return zero, ErrNotDone
	}
}

func (j *Job[T]) collect() (T, error) {
	j.mu.Lock()
	first := !j.collected
	j.collected = true
	v, err := j.val, j.err
	j.mu.Unlock()
	if first {
		// The caller owns the result now: the job has nothing to give back.
		j.jc.release()
	}
	return v, err
}

// Cancel abandons the job, as cancelling its context does: a capture
// still waiting fails with [context.Canceled], and a request that arrived
// but was not collected is released. A result already collected, or a
// copied one, is not affected.
func (j *Job[T]) Cancel() { j.jc.cancel(context.Canceled, context.Canceled) }

func releaseRequest(r *CompletedRequest) { r.Release() }

// CapturedFrame is the result of [Camera.CaptureFrameAsync]: a copy of one
// stream of a frame, and the frame's metadata.
type CapturedFrame struct {
	Frame    Frame
	Metadata Metadata
}

// CaptureRequestAsync is [Camera.CaptureRequest] as a [Job]. The request
// is the caller's once Wait or Result returned it: release it.
func (c *Camera) CaptureRequestAsync(ctx context.Context, opts ...CaptureOption) *Job[*CompletedRequest] {
	var buf [siteDepth]uintptr
	return startJob(c, ctx, callerSite(&buf), releaseRequest, func(ctx context.Context) (*CompletedRequest, error) {
		return c.CaptureRequest(ctx, opts...)
	})
}

// CaptureFrameAsync is [Camera.CaptureFrame] as a [Job]; the copy is made
// on the job's goroutine, never on the capture engine's.
func (c *Camera) CaptureFrameAsync(ctx context.Context, stream StreamName, opts ...CaptureOption) *Job[CapturedFrame] {
	var buf [siteDepth]uintptr
	return startJob(c, ctx, callerSite(&buf), nil, func(ctx context.Context) (CapturedFrame, error) {
		f, md, err := c.CaptureFrame(ctx, stream, opts...)
		return CapturedFrame{Frame: f, Metadata: md}, err
	})
}

// CaptureBufferAsync is [Camera.CaptureBuffer] as a [Job], copying on the
// job's goroutine.
func (c *Camera) CaptureBufferAsync(ctx context.Context, stream StreamName, opts ...CaptureOption) *Job[[]byte] {
	var buf [siteDepth]uintptr
	return startJob(c, ctx, callerSite(&buf), nil, func(ctx context.Context) ([]byte, error) {
		return c.CaptureBuffer(ctx, stream, opts...)
	})
}

// CaptureImageAsync is [Camera.CaptureImage] as a [Job], copying on the
// job's goroutine.
func (c *Camera) CaptureImageAsync(ctx context.Context, stream StreamName, opts ...CaptureOption) *Job[image.Image] {
	var buf [siteDepth]uintptr
	return startJob(c, ctx, callerSite(&buf), nil, func(ctx context.Context) (image.Image, error) {
		return c.CaptureImage(ctx, stream, opts...)
	})
}

// CaptureMetadataAsync is [Camera.CaptureMetadata] as a [Job].
func (c *Camera) CaptureMetadataAsync(ctx context.Context, opts ...CaptureOption) *Job[Metadata] {
	return startJob(c, ctx, nil, nil, func(ctx context.Context) (Metadata, error) {
		return c.CaptureMetadata(ctx, opts...)
	})
}

// CaptureFileAsync is [Camera.CaptureFile] as a [Job]: the frame is
// encoded and written on the job's goroutine. Cancelling does not stop a
// write already started.
func (c *Camera) CaptureFileAsync(ctx context.Context, path string, stream StreamName, opts ...CaptureOption) *Job[Metadata] {
	var buf [siteDepth]uintptr
	return startJob(c, ctx, callerSite(&buf), nil, func(ctx context.Context) (Metadata, error) {
		return c.CaptureFile(ctx, path, stream, opts...)
	})
}
