package picam

import "sync"

// freeList keeps values a camera reuses frame after frame (request handles,
// capture waiters), so that the per-frame path allocates nothing once it
// has run for a while. Unlike sync.Pool it is not emptied by the garbage
// collector, so a steady loop stays at zero allocations; it holds at most
// freeListMax values, the rest are left to the collector.
type freeList[T any] struct {
	mu    sync.Mutex
	items []*T
}

const freeListMax = 64

// get returns a value to reuse, or nil when there is none.
func (l *freeList[T]) get() *T {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(l.items)
	if n == 0 {
		return nil
	}
	x := l.items[n-1]
	l.items[n-1] = nil
	l.items = l.items[:n-1]
	return x
}

// put keeps x for reuse; nobody may use it any more.
func (l *freeList[T]) put(x *T) {
	l.mu.Lock()
	if len(l.items) < freeListMax {
		l.items = append(l.items, x)
	}
	l.mu.Unlock()
}
