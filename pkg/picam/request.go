package picam

// CompletedRequest, the application's handle on a captured frame, and its
// release or recovery.

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/picamgo/picamgo/internal/callsite"
)

// CompletedRequest is a captured frame: one buffer per configured stream,
// with the request's metadata. The buffers are the camera's own memory,
// lent until [CompletedRequest.Release] (Picamera2's CompletedRequest).
//
// Release it as soon as you are done, typically with defer: the camera has
// only a few buffers and reuses this one once every holder released it. A
// CompletedRequest that becomes unreachable without Release is found by the
// garbage collector, logged with the place it was captured, and its buffer
// is recovered; until then it stalls the camera for one buffer.
//
// A CompletedRequest may be used from several goroutines; each
// [CompletedRequest.Acquire] gives an independent handle to release.
//
// Do not use a CompletedRequest after releasing it: the camera reuses it
// for a later frame, so that capturing allocates nothing. The checked mode
// (PICAMGO_CHECK=views) never reuses one, and reports stale uses.
type CompletedRequest struct {
	h *handle
}

// handle is a CompletedRequest's state, kept apart so that the cleanup that
// detects a leak can reach it without keeping the CompletedRequest alive.
type handle struct {
	s        *slot
	released atomic.Bool
	npc      int
	pcs      [siteDepth]uintptr
	label    string       // where the frame went, if not captured by a call (a callback)
	stream   *FrameStream // the stream that handed this handle out, if any
	// colorSpaces is this handle's copy of its set's (see Frame).
	colorSpaces [3]ColorSpace
	// releasedAt is where the handle was released, in the checked mode
	// (PICAMGO_CHECK=views): stale views report it.
	releasedAt atomic.Pointer[released]
}

// newCompleted returns a handle on s's frame, on which the caller holds a
// reference for it: captured at pcs, or handed out by stream st, or to a
// callback (label). It reuses a released handle of the camera when there
// is one: no allocation.
//
// The leak guard is registered once per handle, not per frame: a released
// handle is kept by the camera's free list, so the garbage collector finds
// only handles an application dropped while holding them (leaked), or ones
// the free list let go, which are released (and leaked ignores).
func newCompleted(s *slot, st *FrameStream, label string, pcs []uintptr) *CompletedRequest {
	c := s.set.c
	r := c.handles.get()
	if r == nil {
		h := &handle{}
		h.released.Store(true)
		r = &CompletedRequest{h: h}
		runtime.AddCleanup(r, leaked, h)
	}
	h := r.h
	h.s, h.stream, h.label = s, st, label
	h.npc = copy(h.pcs[:], pcs)
	if h.colorSpaces != s.set.colorSpaces {
		// Written only when it differs (a new handle, another
		// configuration, or a caller who changed it): a stale view
		// reading the old copy races with no write otherwise.
		h.colorSpaces = s.set.colorSpaces
	}
	h.releasedAt.Store(nil)
	h.released.Store(false)
	// Set last: the slot's site is shared with the engine, which reads it
	// for stall diagnostics.
	s.site.Store(h)
	return r
}

// recycle gives a released handle back to its camera for a later frame,
// except in the checked mode, where views keep the handle to report where
// it was released.
func (r *CompletedRequest) recycle(c *Camera) {
	if checkViews.Load() {
		return
	}
	h := r.h
	h.s.site.CompareAndSwap(h, nil)
	h.s, h.stream = nil, nil
	c.handles.put(r)
}

// leaked runs when an unreleased CompletedRequest became unreachable.
func leaked(h *handle) {
	if !h.released.CompareAndSwap(false, true) {
		return
	}
	h.noteCollected()
	c := h.s.set.c
	c.log.Warn("picam: a CompletedRequest was never released; recovering its buffer",
		"camera", c.id, "sequence", h.s.req.Sequence(), "captured_at", h.callSite())
	if h.stream != nil {
		h.stream.held.Add(-1)
	}
	h.s.unref()
	// Counted once recovered, so that whoever sees Stats.Leaked go up also
	// sees the frame ended (its views stale, its buffer back).
	c.leaked.Add(1)
}

// callSite describes where the request was captured: the first three
// callers outside this package, innermost first, as "file.go:line pkg.Func".
func (h *handle) callSite() string {
	if h.label != "" {
		return h.label
	}
	return callsite.Describe(h.pcs[:h.npc], "github.com/picamgo/picamgo/pkg/picam")
}

func (r *CompletedRequest) live(op string) (*slot, error) {
	if r == nil || r.h == nil {
		return nil, fmt.Errorf("picam: %s of a nil CompletedRequest: %w", op, ErrInvalid)
	}
	if r.h.released.Load() {
		return nil, fmt.Errorf("picam: %s: %w", op, ErrReleased)
	}
	return r.h.s, nil
}

// Release gives the frame back. When every holder has released it, its
// buffers are queued to the camera again (exactly once). Releasing again
// returns [ErrReleased]; releasing after the camera was closed frees the
// buffers and returns an error matching [ErrClosed]. Both are harmless.
func (r *CompletedRequest) Release() error {
	if r == nil || r.h == nil {
		return nil
	}
	h := r.h
	if !h.released.CompareAndSwap(false, true) {
		return fmt.Errorf("picam: release: %w", ErrReleased)
	}
	h.noteRelease()
	s := h.s
	c := s.set.c
	closed := c.isClosed()
	if h.stream != nil {
		h.stream.held.Add(-1)
	}
	r.recycle(c)
	s.unref()
	if closed {
		return fmt.Errorf("picam: release after camera %s was closed: %w", c.id, ErrClosed)
	}
	return nil
}

// Acquire returns another handle on the same frame, to be released on its
// own; the frame stays valid until both are released. Call it while r is
// held. Acquiring a released request returns a released handle.
func (r *CompletedRequest) Acquire() *CompletedRequest {
	s, err := r.live("acquire")
	if err != nil {
		h := &handle{}
		h.released.Store(true)
		if r != nil && r.h != nil {
			h.s = r.h.s
		}
		return &CompletedRequest{h: h}
	}
	s.ref()
	var buf [siteDepth]uintptr
	return newCompleted(s, nil, "", callerSite(&buf))
}

// Released reports whether this handle was released.
func (r *CompletedRequest) Released() bool { return r == nil || r.h == nil || r.h.released.Load() }

// Sequence returns libcamera's request sequence number, counting from 0 at
// each start. Gaps mean frames the application did not see.
func (r *CompletedRequest) Sequence() uint32 {
	if s, err := r.live("sequence"); err == nil {
		return s.req.Sequence()
	}
	return 0
}

// SensorTimestamp returns the start of the frame's readout in nanoseconds of
// CLOCK_MONOTONIC (Go's monotonic clock; see [MonotonicNow]), or 0.
func (r *CompletedRequest) SensorTimestamp() int64 {
	if s, err := r.live("sensor timestamp"); err == nil {
		return int64(s.req.SensorTimestamp())
	}
	return 0
}

// Time returns the sensor timestamp as a wall-clock time.
func (r *CompletedRequest) Time() time.Time { return MonotonicTime(r.SensorTimestamp()) }

// ControlsID returns the newest [Camera.SetControls] id queued with this
// frame's request or an earlier one (0 if none).
func (r *CompletedRequest) ControlsID() ControlsID {
	if s, err := r.live("controls id"); err == nil {
		return s.ctrlID
	}
	return 0
}

// Metadata returns the frame's metadata (Picamera2's get_metadata). It
// stays valid after Release.
func (r *CompletedRequest) Metadata() (Metadata, error) {
	s, err := r.live("metadata")
	if err != nil {
		return Metadata{}, err
	}
	md, err := s.metadata()
	if err != nil {
		return Metadata{}, fmt.Errorf("picam: metadata: %w", err)
	}
	return Metadata{list: md}, nil
}

// Frame returns a view of one stream's buffer: no copy is made, and the
// view shows this frame only until every holder released it (see
// [Frame] for what a view read later shows). Use [Frame.Clone] to keep it
// longer.
func (r *CompletedRequest) Frame(stream StreamName) (Frame, error) {
	s, err := r.live("frame")
	if err != nil {
		return Frame{}, err
	}
	set := s.set
	if stream < 0 || int(stream) >= len(set.streams) || set.streams[stream] == nil {
		return Frame{}, fmt.Errorf("picam: frame: the configuration has no %v stream: %w", stream, ErrInvalid)
	}
	b := s.req.Buffer(set.streams[stream])
	if b == nil {
		return Frame{}, fmt.Errorf("picam: frame: no %v buffer in the request: %w", stream, ErrInvalid)
	}
	sc := set.configs[stream]
	f := Frame{Stream: stream, Format: sc.Format, Size: sc.Size, Stride: sc.Stride, Mapped: true, lease: newLease(r.h)}
	// The stream's colour space as libcamera applied it, in this handle's
	// own copy: a caller changing it changes no other handle's frame.
	if set.hasCS[stream] {
		f.ColorSpace = &r.h.colorSpaces[stream]
	}
	// The slot's views, shared by every handle on it (no allocation; their
	// capacity is their length, so an append copies).
	planes := s.planes[stream]
	f.Planes = planes[:len(planes):len(planes)]
	if sc.Format == FormatMJPEG {
		// Cut to what this frame used: a header of its own.
		md := b.Metadata()
		f.Planes = make([][]byte, len(planes))
		for i, p := range planes {
			f.Planes[i] = p
			if i < md.NumPlanes && md.BytesUsed[i] > 0 && int(md.BytesUsed[i]) < len(p) {
				f.Planes[i] = p[:md.BytesUsed[i]]
			}
		}
	}
	return f, nil
}
