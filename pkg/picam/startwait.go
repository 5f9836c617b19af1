package picam

// Captures called before Start (or between Stop and Start) wait for the
// camera to run, as Picamera2 queues them, bounded by their context.

import (
	"context"
	"sync"
)

// startSignal wakes the calls waiting for a start: each Start and the
// Close close the channel of the moment and the next wait makes another.
type startSignal struct {
	mu sync.Mutex
	ch chan struct{}
}

// next returns a channel closed at the next fire.
func (s *startSignal) next() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch == nil {
		s.ch = make(chan struct{})
	}
	return s.ch
}

func (s *startSignal) fire() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch != nil {
		close(s.ch)
		s.ch = nil
	}
}

// awaitEngine returns the camera's engine, waiting for a Start while there is
// none: until ctx is done ([context.Context.Err]) or the camera closes
// ([ErrClosed], at once for a camera already closed or closing).
func (c *Camera) awaitEngine(ctx context.Context, op string) (*engine, error) {
	if e := c.eng.Load(); e != nil {
		return e, nil // running: the usual case, without the signal's lock
	}
	for {
		started := c.starts.next() // before looking, so that no Start is missed
		if e := c.eng.Load(); e != nil {
			return e, nil
		}
		if c.closing.Load() {
			return nil, c.errClosed(op)
		}
		if c.waitStart != nil {
			c.waitStart()
		}
		select {
		case <-started:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
