package picam

import (
	"context"
	"fmt"
	"iter"
	"runtime"
	"runtime/debug"
	"sync"
)

// ProcessOptions are how [Process] runs.
type ProcessOptions struct {
	// Workers is how many frames are processed at once; zero means
	// runtime.NumCPU().
	Workers int
	// InFlight bounds the frames taken from the camera whose results were
	// not yet yielded: being processed, or done and waiting for an earlier
	// frame's result. Zero means Workers. It is at most the configuration's
	// BufferCount minus one (at least 1), and the frames being processed
	// plus the one queued for the workers never exceed BufferCount minus
	// one, so that the camera always keeps a buffer: raise
	// [Configuration.BufferCount] for more parallelism.
	InFlight int
}

// Result is what [Process] yields for a frame.
type Result[R any] struct {
	Sequence  uint32 // the frame's [CompletedRequest.Sequence]
	Timestamp int64  // the frame's [CompletedRequest.SensorTimestamp]
	Value     R      // what the function returned
}

// Process runs fn on consecutive frames of the started camera, several at
// once, and yields the results in frame order. It is the answer to "process
// frames in parallel and send the results in order".
//
// Frames come from a [FrameStream] with the [Block] policy: while the
// workers keep up, every frame is processed; while all InFlight frames are
// taken, new frames go back to the camera (counted in
// [Stats.StreamDropped]), so a slow fn or a slow loop body never starves
// the camera. The yielded results have increasing sequence numbers.
//
// fn runs on a worker goroutine with a context cancelled when processing
// stops. The request is released when fn returns: do not keep it (copy
// what you need, or keep it with [CompletedRequest.Acquire]).
//
// The first error stops everything: fn's error (wrapped with the frame's
// sequence), a panic in fn (a [*PanicError]), ctx's error, or the stream's
// end (camera stopped or stalled). Results of earlier frames are yielded
// first, then a zero Result and the error, and the loop ends. Breaking out
// of the loop stops too. Either way Process returns only once every worker
// has finished and every frame it took was released.
//
// Process runs a fixed set of worker goroutines over a ring of InFlight
// tasks made when it starts, so that a frame costs no allocation: taking a
// free task is what bounds the frames in flight.
func Process[R any](ctx context.Context, c *Camera, opts ProcessOptions, fn func(context.Context, *CompletedRequest) (R, error)) iter.Seq2[Result[R], error] {
	site := callerSite(new([siteDepth]uintptr))
	return func(yield func(Result[R], error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		inFlight := processInFlight(c, opts)
		st, err := c.OpenFrameStream(withSite(ctx, site), FrameStreamOptions{Policy: Block, Buffer: 1, Hold: inFlight})
		if err != nil {
			yield(Result[R]{}, err)
			return
		}
		workers := opts.Workers
		if workers <= 0 {
			workers = runtime.NumCPU()
		}
		workers = min(workers, inFlight)

		p := &processRun[R]{cancel: cancel, free: make(chan *task[R], inFlight),
			order: make(chan *task[R], inFlight), work: make(chan *task[R], inFlight)}
		tasks := make([]task[R], inFlight)
		for i := range tasks {
			tasks[i].done = make(chan struct{}, 1)
			p.free <- &tasks[i]
		}
		defer func() {
			// Also on a panic in the loop body: stop, wait for every worker
			// (each releases its frame), give back what the stream queued.
			cancel()
			p.wg.Wait()
			st.Close()
		}()
		p.wg.Add(workers + 1)
		for range workers {
			go p.worker(ctx, c, fn)
		}
		go p.feed(ctx, st)

		for t := range p.order {
			<-t.done
			if t.err != nil {
				break
			}
			ok := yield(t.res, nil)
			p.free <- t
			if !ok {
				return
			}
		}
		// Ended by an error (a task's, or the feeder's when it closed
		// order), which stopped everything as it was recorded: yield the
		// first one recorded, not a context error the stop caused.
		p.wg.Wait()
		if err := p.firstErr(); err != nil {
			yield(Result[R]{}, err)
		}
	}
}

// processRun is one Process loop's shared state.
type processRun[R any] struct {
	cancel context.CancelFunc
	free   chan *task[R] // tasks not in flight
	order  chan *task[R] // tasks in frame order, for the loop
	work   chan *task[R] // tasks for the workers
	wg     sync.WaitGroup

	errMu sync.Mutex
	err   error
}

type task[R any] struct {
	r    *CompletedRequest // the frame, until a worker takes it
	res  Result[R]
	err  error
	done chan struct{} // one token when the worker is done with the task
}

// fail records the first error and stops everything.
func (p *processRun[R]) fail(err error) {
	p.errMu.Lock()
	if p.err == nil {
		p.err = err
	}
	p.errMu.Unlock()
	p.cancel()
}

func (p *processRun[R]) firstErr() error {
	p.errMu.Lock()
	defer p.errMu.Unlock()
	return p.err
}

// feed takes a frame whenever fewer than InFlight are taken and hands it
// to the workers, and in frame order to the loop. Neither send blocks: at
// most InFlight tasks exist.
func (p *processRun[R]) feed(ctx context.Context, st *FrameStream) {
	defer p.wg.Done()
	defer close(p.order)
	defer close(p.work)
	for {
		var t *task[R]
		select {
		case t = <-p.free:
		case <-ctx.Done():
			p.fail(ctx.Err())
			return
		}
		r, err := st.Next(ctx)
		if err == nil && ctx.Err() != nil {
			r.Release()
			err = ctx.Err()
		}
		if err != nil {
			p.fail(err)
			return
		}
		t.r, t.err = r, nil
		t.res = Result[R]{Sequence: r.Sequence(), Timestamp: r.SensorTimestamp()}
		p.order <- t
		p.work <- t
	}
}

// worker runs fn on tasks until the feeder stops; a task whose frame
// waited past a stop is released without running fn (see runProcess).
func (p *processRun[R]) worker(ctx context.Context, c *Camera, fn func(context.Context, *CompletedRequest) (R, error)) {
	defer p.wg.Done()
	for t := range p.work {
		r := t.r
		t.r = nil
		t.res.Value, t.err = runProcess(ctx, c, fn, r)
		if t.err != nil {
			p.fail(t.err)
		}
		t.done <- struct{}{}
	}
}

// runProcess runs fn on r, releases r, and turns a panic into an error.
func runProcess[R any](ctx context.Context, c *Camera, fn func(context.Context, *CompletedRequest) (R, error), r *CompletedRequest) (v R, err error) {
	seq := r.Sequence()
	defer r.Release()
	if err := ctx.Err(); err != nil {
		return v, err // stopped while this frame waited for a worker
	}
	defer func() {
		if p := recover(); p != nil {
			err = &PanicError{Camera: c.id, Where: "process", Sequence: seq, Value: p, Stack: debug.Stack()}
		}
	}()
	v, err = fn(ctx, r)
	if err != nil {
		err = fmt.Errorf("picam: process frame %d: %w", seq, err)
	}
	return v, err
}

// processInFlight applies ProcessOptions' defaults and bounds.
func processInFlight(c *Camera, opts ProcessOptions) int {
	n := opts.InFlight
	if n <= 0 {
		n = opts.Workers
	}
	if n <= 0 {
		n = runtime.NumCPU()
	}
	slots := 1
	if e := c.eng.Load(); e != nil {
		slots = len(e.set.slots)
	}
	return max(min(n, slots-1), 1)
}
