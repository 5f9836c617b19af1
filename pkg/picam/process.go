package picam

import (
	"context"
	"fmt"
	"iter"
	"runtime"
	"runtime/debug"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"
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
// Process is built on golang.org/x/sync: an errgroup runs the workers and
// cancels them on the first error, a semaphore bounds the frames in flight.
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

		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(workers + 1) // the workers and the feeder
		sem := semaphore.NewWeighted(int64(inFlight))
		order := make(chan *task[R], inFlight) // tasks in frame order
		waited := false
		defer func() {
			// Also on a panic in the loop body: stop, wait for every worker
			// (each releases its frame), give back what the stream queued.
			cancel()
			if !waited {
				g.Wait()
			}
			st.Close()
		}()

		// The feeder takes a frame whenever fewer than inFlight are taken,
		// and starts a worker on it.
		g.Go(func() error {
			defer close(order)
			for {
				if err := sem.Acquire(gctx, 1); err != nil {
					return err
				}
				r, err := st.Next(gctx)
				if err == nil && gctx.Err() != nil {
					r.Release()
					err = gctx.Err()
				}
				if err != nil {
					sem.Release(1)
					return err
				}
				t := &task[R]{res: Result[R]{Sequence: r.Sequence(), Timestamp: r.SensorTimestamp()}, done: make(chan struct{})}
				order <- t // never blocks: at most inFlight tasks exist
				g.Go(func() error {
					defer close(t.done)
					t.res.Value, t.err = runProcess(gctx, c, fn, r)
					return t.err
				})
			}
		})

		for t := range order {
			<-t.done
			if t.err != nil {
				break
			}
			ok := yield(t.res, nil)
			sem.Release(1)
			if !ok {
				return
			}
		}
		// Ended by an error (a task's, or the feeder's when it closed
		// order), whose goroutine cancels the rest as it returns it. Not
		// cancel() here: the goroutine closed done or order before
		// returning its error, and the errgroup keeps the first error
		// returned, which could then be a context error our cancel caused.
		err = g.Wait()
		waited = true
		if err != nil {
			yield(Result[R]{}, err)
		}
	}
}

type task[R any] struct {
	res  Result[R]
	err  error
	done chan struct{}
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
