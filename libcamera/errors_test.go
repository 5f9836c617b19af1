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

// TestCameraConfigurationFree: a freed configuration refuses to be used,
// with ErrClosed, and a second Free is harmless.
func TestCameraConfigurationFree(t *testing.T) {
	cam := getCamera(t, newManager(t), linesID)
	if err := cam.Acquire(); err != nil {
		t.Fatal(err)
	}
	defer cam.Release()
	cfg, err := cam.GenerateConfiguration(RoleViewfinder)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	size := cfg.At(0).Size
	cfg.Free()
	cfg.Free()
	if _, _, err := cfg.Validate(); !errors.Is(err, ErrClosed) {
		t.Errorf("Validate after Free = %v, want ErrClosed", err)
	}
	if err := cam.Configure(cfg); !errors.Is(err, ErrClosed) {
		t.Errorf("Configure after Free = %v, want ErrClosed", err)
	}
	if cfg.At(0).Size != size {
		t.Errorf("the Go fields changed after Free: %v, was %v", cfg.At(0).Size, size)
	}
}
