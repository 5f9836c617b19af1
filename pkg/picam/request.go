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
type CompletedRequest struct {
	h       *handle
	cleanup runtime.Cleanup
}

// handle is a CompletedRequest's state, kept apart so that the cleanup that
// detects a leak can reach it without keeping the CompletedRequest alive.
type handle struct {
	s        *slot
	released atomic.Bool
	npc      int
	pcs      [16]uintptr
	label    string       // where the frame went, if not captured by a call (a callback)
	stream   *FrameStream // the stream that handed this handle out, if any
	// releasedAt is where the handle was released, in the checked mode
	// (PICAMGO_CHECK=views): stale views report it.
	releasedAt atomic.Pointer[released]
}

func newCompleted(s *slot, pcs []uintptr) *CompletedRequest {
	return newCompletedFrom(&handle{s: s}, pcs)
}

// newCompletedFrom returns a CompletedRequest with handle h on h.s. Set h's
// other fields first: storing it as the slot's site shares it with the
// engine, which reads it for stall diagnostics.
func newCompletedFrom(h *handle, pcs []uintptr) *CompletedRequest {
	h.npc = copy(h.pcs[:], pcs)
	r := &CompletedRequest{h: h}
	r.cleanup = runtime.AddCleanup(r, leaked, h)
	h.s.site.Store(h)
	return r
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
	r.cleanup.Stop()
	h.noteRelease()
	c := h.s.set.c
	closed := c.isClosed()
	if h.stream != nil {
		h.stream.held.Add(-1)
	}
	h.s.unref()
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
	return newCompleted(s, callerSite(&buf))
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
	// The stream's configuration as libcamera applied it; copied, so that a
	// caller changing its frame's colour space changes no other frame's.
	if cs := set.streams[stream].Configuration().ColorSpace; cs != nil {
		f.ColorSpace = new(*cs)
	}
	planes := b.Planes()
	md := b.Metadata()
	f.Planes = make([][]byte, len(planes))
	for i, p := range planes {
		f.Planes[i] = p.Data
		if i < md.NumPlanes && md.BytesUsed[i] > 0 && int(md.BytesUsed[i]) < len(p.Data) && sc.Format == FormatMJPEG {
			f.Planes[i] = p.Data[:md.BytesUsed[i]]
		}
	}
	return f, nil
}
