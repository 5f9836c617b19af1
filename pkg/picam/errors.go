package picam

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/picamgo/picamgo/libcamera"
)

// Errors returned by the package, to be compared with [errors.Is]. Errors
// that come from libcamera keep matching libcamera's own sentinels, which
// ErrBusy, ErrInvalid, ErrNoDevice and ErrState are.
var (
	// ErrBusy: the camera is used by another Camera value or process, or
	// completed requests are still held where they must not be.
	ErrBusy = libcamera.ErrBusy
	// ErrInvalid: a configuration, control or argument was rejected.
	ErrInvalid = libcamera.ErrInvalid
	// ErrNoDevice: no camera has that index or id.
	ErrNoDevice = libcamera.ErrNoDevice
	// ErrState: the camera is in the wrong state for the call
	// (Configure on a started camera).
	ErrState = libcamera.ErrState

	// ErrClosed: the Camera was closed.
	ErrClosed = errors.New("picam: camera is closed")
	// ErrNotConfigured: the call needs a configured camera.
	ErrNotConfigured = errors.New("picam: camera is not configured")
	// ErrNotStarted: the call needs a started camera (or the camera was
	// stopped while the caller waited).
	ErrNotStarted = errors.New("picam: camera is not started")
	// ErrStalled: the camera delivered no frame for longer than
	// [Options.StallTimeout] while a caller waited. The error is a
	// [*StallError].
	ErrStalled = errors.New("picam: camera stalled")
	// ErrReleased: a [CompletedRequest] was used or released after its
	// Release.
	ErrReleased = errors.New("picam: request already released")
	// ErrAdjusted: libcamera adjusted a configuration and
	// [Configuration.Strict] refused it. The error is an [*AdjustedError].
	ErrAdjusted = errors.New("picam: configuration adjusted")
	// ErrUnsupported: the camera lacks the control, stream or format, or the
	// package cannot view or write it.
	ErrUnsupported = errors.New("picam: not supported")
)

// Adjustment is one change libcamera made to a requested configuration, or
// a control value clamped to the camera's limits (Field is then the
// control's libcamera name, Requested and Got in libcamera's units, µs for
// durations).
type Adjustment struct {
	Stream    StreamName // the stream changed, or NoStream for the whole configuration and controls
	Field     string     // "PixelFormat", "Size", "BufferCount", "ColorSpace", "Orientation", "FrameDurationLimits", ...
	Requested string
	Got       string
}

func (a Adjustment) String() string {
	if a.Stream == NoStream {
		return fmt.Sprintf("%s: %s -> %s", a.Field, a.Requested, a.Got)
	}
	return fmt.Sprintf("%s %s: %s -> %s", a.Stream, a.Field, a.Requested, a.Got)
}

// AdjustedError is returned by [Camera.Configure] when libcamera could not
// use the configuration as given and [Configuration.Strict] is set. The
// camera is left unconfigured.
type AdjustedError struct {
	Camera      string
	Adjustments []Adjustment
}

func (e *AdjustedError) Error() string {
	parts := make([]string, len(e.Adjustments))
	for i, a := range e.Adjustments {
		parts[i] = a.String()
	}
	return fmt.Sprintf("picam: camera %s adjusted the configuration (%s)", e.Camera, strings.Join(parts, "; "))
}

// Is makes errors.Is(err, ErrAdjusted) true.
func (e *AdjustedError) Is(target error) bool { return target == ErrAdjusted }

// StallError reports a camera that delivered no frame for longer than its
// stall timeout while a caller waited. It matches [ErrStalled].
type StallError struct {
	Camera  string
	Waited  time.Duration // since the last frame (or since the wait began)
	Queued  int           // requests queued in libcamera when the wait failed
	Held    []string      // capture call sites of requests the application still holds
	Buffers int           // requests the camera has in all
}

func (e *StallError) Error() string {
	msg := fmt.Sprintf("picam: camera %s stalled: no frame for %v (%d of %d requests queued)", e.Camera,
		e.Waited.Round(time.Millisecond), e.Queued, e.Buffers)
	if len(e.Held) > 0 {
		// Group identical sites: a loop that leaks shows once, with a count.
		var sites []string
		count := map[string]int{}
		for _, h := range e.Held {
			if count[h] == 0 {
				sites = append(sites, h)
			}
			count[h]++
		}
		for i, s := range sites {
			if n := count[s]; n > 1 {
				sites[i] = fmt.Sprintf("%d× %s", n, s)
			}
		}
		msg += fmt.Sprintf("; %d held by the application, captured at %s", len(e.Held), strings.Join(sites, ", "))
	}
	return msg
}

// Is makes errors.Is(err, ErrStalled) true.
func (e *StallError) Is(target error) bool { return target == ErrStalled }

// ControlError is a control value the camera does not accept. It matches
// [ErrInvalid], and also [ErrUnsupported] when the camera lacks the control.
type ControlError struct {
	Camera string
	Name   string
	Value  any
	Info   *ControlInfo // the camera's limits; nil if it lacks the control
	Reason string
	err    error // libcamera's error, if it refused the value
}

func (e *ControlError) Error() string {
	msg := fmt.Sprintf("picam: control %s = %v: %s", e.Name, e.Value, e.Reason)
	if e.Info != nil {
		if len(e.Info.Values) > 0 {
			msg += fmt.Sprintf(" (camera %s accepts %v)", e.Camera, e.Info.Values)
		} else if !e.Info.Min.IsNone() || !e.Info.Max.IsNone() {
			msg += fmt.Sprintf(" (camera %s accepts %v..%v)", e.Camera, e.Info.Min, e.Info.Max)
		}
	}
	return msg
}

// Unwrap returns ErrInvalid, ErrUnsupported when the camera lacks the
// control, and libcamera's error when it refused the value.
func (e *ControlError) Unwrap() []error {
	errs := []error{ErrInvalid}
	if e.Info == nil {
		errs = append(errs, ErrUnsupported)
	}
	if e.err != nil {
		errs = append(errs, e.err)
	}
	return errs
}
