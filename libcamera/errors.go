package libcamera

import (
	"errors"
	"fmt"
	"syscall"
)

// Errors that calls into libcamera can be compared with using [errors.Is].
// An [*Error] matches the one for its errno; it also unwraps to the
// [syscall.Errno] itself.
var (
	// ErrBusy: the camera is acquired elsewhere, or a request or buffer is
	// still in use.
	ErrBusy = errors.New("libcamera: busy")
	// ErrState: the call is not allowed in the camera's current state (for
	// example queueing a request to a stopped camera).
	ErrState = errors.New("libcamera: wrong camera state")
	// ErrInvalid: an argument, configuration or control value was rejected.
	ErrInvalid = errors.New("libcamera: invalid argument")
	// ErrNoDevice: no such camera, or no device for the chosen allocator.
	ErrNoDevice = errors.New("libcamera: no device")
	// ErrClosed: the object was used after its manager or itself was closed.
	ErrClosed = errors.New("libcamera: closed")
)

// Error is a failure reported by libcamera or by the shim's precondition checks.
type Error struct {
	Op   string        // the Go method that failed, e.g. "Camera.Acquire"
	Code syscall.Errno // errno (positive)
	Msg  string        // what went wrong, from the shim
}

func (e *Error) Error() string {
	if e.Msg == "" {
		return "libcamera: " + e.Op + ": " + e.Code.Error()
	}
	return "libcamera: " + e.Op + ": " + e.Msg
}

// Unwrap returns the errno, so errors.Is(err, syscall.EBUSY) works.
func (e *Error) Unwrap() error { return e.Code }

// Is matches the package's sentinel errors by errno.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrBusy:
		return e.Code == syscall.EBUSY || e.Code == syscall.EEXIST
	case ErrState:
		return e.Code == syscall.EACCES
	case ErrInvalid:
		return e.Code == syscall.EINVAL
	case ErrNoDevice:
		return e.Code == syscall.ENODEV || e.Code == syscall.ENOENT
	case ErrClosed:
		return e.Code == syscall.EBADF // the binding's code for a closed or freed object
	}
	return false
}

// errorf reports a failure the Go side finds itself, with the errno the
// shim would give for it, so that every failure is an *Error.
func errorf(op string, code syscall.Errno, format string, args ...any) error {
	return &Error{Op: op, Code: code, Msg: fmt.Sprintf(format, args...)}
}

// osError reports a failed system call as an *Error with its errno (EIO if
// it carries none).
func osError(op string, err error, format string, args ...any) error {
	code := syscall.EIO
	errors.As(err, &code)
	return &Error{Op: op, Code: code, Msg: fmt.Sprintf(format, args...) + ": " + err.Error()}
}

// newError turns the shim's negative errno into an *Error, and success
// (zero or more) into nil.
func newError(op string, code int, msg string) error {
	if code >= 0 {
		return nil
	}
	return &Error{Op: op, Code: syscall.Errno(-code), Msg: msg}
}
