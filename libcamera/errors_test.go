package libcamera

import (
	"errors"
	"syscall"
	"testing"
)

// TestGoSideErrorsAreErrors: failures found on the Go side, before the
// shim, are *Errors with a named errno too, as the package doc says of
// every failure, and match the sentinels.
func TestGoSideErrorsAreErrors(t *testing.T) {
	m := newManager(t)
	cam := getCamera(t, m, linesID)
	list := cam.Controls().NewControlList()
	_, notAType := NewControlValue(struct{}{})
	_, noCamera := m.Get("no-such-camera")
	for _, tc := range []struct {
		name string
		err  error
		code syscall.Errno
		is   error
	}{
		{"NewControlValue(struct{})", notAType, syscall.EINVAL, ErrInvalid},
		{"Set wrong type", list.Set("FrameDurationLimits", "fast"), syscall.EINVAL, ErrInvalid},
		{"Set wrong shape", list.Set("FrameDurationLimits", []int64{1}), syscall.EINVAL, ErrInvalid},
		{"Set unknown name", list.Set("NoSuchControl", 1), syscall.EINVAL, ErrInvalid},
		{"Set unbound list", new(ControlList).Set("FrameDurationLimits", []int64{1, 2}), syscall.EINVAL, ErrInvalid},
		{"SetLogLevel", SetLogLevel("Camera", LogLevel("LOUD")), syscall.EINVAL, ErrInvalid},
		{"Manager.Get", noCamera, syscall.ENODEV, ErrNoDevice},
	} {
		var e *Error
		if !errors.As(tc.err, &e) || e.Code != tc.code || !errors.Is(tc.err, tc.is) || !errors.Is(tc.err, tc.code) {
			t.Errorf("%s = %#v, want an *Error with %v matching %v", tc.name, tc.err, tc.code, tc.is)
		}
	}
}
