package picam

// Queueing released requests again without waking a goroutine: whoever
// lets go of a frame last queues its request itself when the engine's lock
// is free, and otherwise leaves it to the lock's holder, which queues it
// before it lets go of the lock.

// requeueNow hands s, which nobody holds any more, to the running engine
// of its configuration to be queued again, false if no such engine runs.
// s goes onto the engine's list of released slots; the releasing goroutine
// queues the list itself if it gets the engine's lock at once, and
// otherwise the goroutine holding the lock does when it unlocks (see
// engine.unlock). Either way no goroutine is woken for a release: the
// engine goroutine is not, and neither is the pump, which releases
// superseded frames while it holds the lock.
func (c *Camera) requeueNow(s *slot) bool {
	e := c.eng.Load()
	if e == nil || e.set != s.set {
		return false
	}
	for {
		old := e.released.Load()
		s.nextReleased = old
		if e.released.CompareAndSwap(old, s) {
			break
		}
	}
	if e.mu.TryLock() {
		e.unlock()
	}
	return true
}

// unlock queues the slots released while the lock was held, then unlocks.
// A slot pushed after the last look but before the unlock was pushed by a
// goroutine whose TryLock failed: looking once more after unlocking finds
// it, and that look's TryLock either gets the lock or fails because some
// other goroutine holds it, which will look in turn.
func (e *engine) unlock() {
	for {
		e.requeueReleased()
		e.mu.Unlock()
		if e.released.Load() == nil || !e.mu.TryLock() {
			return
		}
	}
}

// requeueReleased queues the slots released to the engine so far, or, once
// the engine has ended, gives them to the camera's free list. With mu held.
func (e *engine) requeueReleased() {
	s := e.released.Swap(nil)
	for s != nil {
		next := s.nextReleased
		s.nextReleased = nil
		if e.ended {
			e.c.recycleIdle(s)
		} else {
			e.requeue(s)
		}
		s = next
	}
}
