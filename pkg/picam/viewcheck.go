package picam

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync/atomic"

	"github.com/picamgo/picamgo/internal/callsite"
)

// checkViews is the checked mode for frame views: PICAMGO_CHECK=views in
// the environment (a comma-separated list: other checks may join it), read
// once when the program starts. Off by default: it costs a stack trace per
// Release and an atomic load per pixel read through the image views.
var checkViews atomic.Bool

func init() { checkViews.Store(checkRequested(os.Getenv("PICAMGO_CHECK"), "views")) }

// checkRequested reports whether list (comma-separated) names check.
func checkRequested(list, check string) bool {
	for w := range strings.SplitSeq(list, ",") {
		if strings.TrimSpace(w) == check {
			return true
		}
	}
	return false
}

// StaleViewError reports, in the checked mode (PICAMGO_CHECK=views), a
// view of a frame used after the frame was released: a [Frame] or an image
// view from [Frame.Image] ([NV12], [YUYV], [RGB]) read after every holder
// of its [CompletedRequest] released it, when its buffer may already hold a
// later frame. Calls that return errors return it; the others (pixel
// accessors, [Frame.Clone], [Frame.AppendBytes], [ToRGBA]) panic with it.
// It matches [ErrReleased].
type StaleViewError struct {
	Op         string // the call that used the view
	CapturedAt string // where its request was captured
	ReleasedAt string // where the view's handle was released
}

func (e *StaleViewError) Error() string {
	return fmt.Sprintf("picam: %s: view of a released frame (captured at %s; released at %s)", e.Op, e.CapturedAt, e.ReleasedAt)
}

func (e *StaleViewError) Unwrap() error { return ErrReleased }

// lease ties views, in the checked mode, to the frame they show: the
// handle they came from and the slot's frame count then. Views carry a nil
// lease otherwise, which checks nothing.
type lease struct {
	h   *handle
	gen uint64
}

// newLease returns the lease of a view taken from h now, or nil when views
// are not checked.
func newLease(h *handle) *lease {
	if !checkViews.Load() {
		return nil
	}
	return &lease{h: h, gen: h.s.frames.Load()}
}

// err returns a *StaleViewError if the frame the views showed is gone.
func (l *lease) err(op string) error {
	if l == nil || l.h.s.frames.Load() == l.gen {
		return nil
	}
	return &StaleViewError{Op: op, CapturedAt: l.h.callSite(), ReleasedAt: l.h.releaseSite()}
}

// check panics with a *StaleViewError if the frame the views showed is gone.
func (l *lease) check(op string) {
	if err := l.err(op); err != nil {
		panic(err)
	}
}

// released is where a handle was released, recorded in the checked mode:
// program counters, symbolized only when a stale view is reported, or a
// label.
type released struct {
	pcs   [16]uintptr
	n     int
	label string
}

// noteRelease records, in the checked mode, where h is released: the
// callers above the function calling it.
func (h *handle) noteRelease() {
	if !checkViews.Load() {
		return
	}
	r := &released{}
	r.n = runtime.Callers(3, r.pcs[:])
	h.releasedAt.Store(r)
}

// noteCollected records, in the checked mode, that the garbage collector
// released h.
func (h *handle) noteCollected() {
	if checkViews.Load() {
		h.releasedAt.Store(&released{label: "never: the garbage collector recovered the request"})
	}
}

// releaseSite says where h was released, as far as it was recorded.
func (h *handle) releaseSite() string {
	r := h.releasedAt.Load()
	switch {
	case r == nil:
		return "(unknown)"
	case r.label != "":
		return r.label
	}
	return callsite.Describe(r.pcs[:r.n], "github.com/picamgo/picamgo/pkg/picam")
}

// viewLease returns the lease of one of this package's image views.
func viewLease(img any) *lease {
	switch m := img.(type) {
	case *NV12:
		return m.lease
	case *YUYV:
		return m.lease
	case *RGB:
		return m.lease
	}
	return nil
}
