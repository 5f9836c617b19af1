package picam

// The capture engine's counters, for monitoring and tests.

// Stats are counters of a camera's capture engine, for monitoring and tests.
type Stats struct {
	Frames   uint64 // completed frames received
	Dropped  uint64 // frames received with an error status, requeued unseen
	Requeues uint64 // requests queued (at start and after release)
	Leaked   uint64 // requests recovered from the garbage collector
	Stalls   uint64 // waits that failed with ErrStalled

	// StreamDropped counts frames that a stream did not pass on because
	// its consumer was behind: dropped from its queue (DropOldest,
	// Latest) or not queued (Block, or a consumer holding its limit).
	StreamDropped uint64
	// Withheld counts frames kept from every stream because handing them
	// out would have left the camera without a buffer to capture into.
	Withheld uint64
	// CallbackSkipped counts frames a callback did not see because the
	// callback goroutine was behind. A frame that missed the pre-callback
	// is dropped, since nobody may see it before the pre-callback.
	CallbackSkipped uint64
	// CallbackPanics counts callbacks that panicked (see [PanicError]).
	CallbackPanics uint64
	// Held is the number of the camera's requests held outside libcamera
	// right now: by the application, streams, callbacks, or the newest
	// frame kept back for [Configuration.Queue], requests of earlier
	// configurations included. Zero once everything is released (with
	// Queue, one while the camera runs).
	Held int
}

// Stats returns the camera's counters.
func (c *Camera) Stats() Stats {
	st := Stats{Frames: c.frames.Load(), Dropped: c.dropped.Load(), Requeues: c.requeues.Load(),
		Leaked: c.leaked.Load(), Stalls: c.stalls.Load(),
		StreamDropped: c.streamDropped.Load(), Withheld: c.withheld.Load(),
		CallbackSkipped: c.cbSkipped.Load(), CallbackPanics: c.cbPanics.Load()}
	c.mu.Lock()
	if set := c.set; set != nil {
		if e := c.eng.Load(); e != nil && e.set == set {
			// Between the engine's events: not the frame it is handing
			// over at this instant, which nobody holds yet.
			e.mu.Lock()
			st.Held = set.held()
			e.mu.Unlock()
		} else {
			st.Held = set.held()
		}
	}
	c.mu.Unlock()
	c.rmu.Lock()
	st.Held += c.retiredHeld
	c.rmu.Unlock()
	return st
}
