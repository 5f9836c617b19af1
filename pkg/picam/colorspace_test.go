package picam

import (
	"fmt"
	"strings"
	"testing"

	"github.com/picamgo/picamgo/libcamera"
)

// libcameraAtLeast reports whether the running libcamera is major.minor or
// newer.
func libcameraAtLeast(t *testing.T, major, minor int) bool {
	t.Helper()
	var ma, mi int
	v := libcamera.Version()
	if _, err := fmt.Sscanf(strings.TrimPrefix(v, "v"), "%d.%d", &ma, &mi); err != nil {
		t.Fatalf("libcamera version %q: %v", v, err)
	}
	return ma > major || ma == major && mi >= minor
}

// TestFrameColorSpace: a frame from a capture carries the colour space
// libcamera applied to its stream, in its handle's own copy, kept by Clone
// and the Capture* copies.
func TestFrameColorSpace(t *testing.T) {
	c, _ := startCamera(t, barsID, Size{Width: 640, Height: 480}, startOpts{})
	cfg, err := c.Configuration()
	if err != nil {
		t.Fatal(err)
	}
	want := cfg.Main.ColorSpace
	t.Logf("libcamera %s: the virtual camera's NV12 stream is in %v", libcamera.Version(), want)
	// libcamera 0.4's virtual camera reports no colour space, 0.7's one.
	if want == nil && libcameraAtLeast(t, 0, 7) {
		t.Fatalf("libcamera %s reported no colour space", libcamera.Version())
	}
	same := func(what string, got *ColorSpace) {
		t.Helper()
		if (got == nil) != (want == nil) || got != nil && *got != *want {
			t.Errorf("%s: colour space %v, want %v", what, got, want)
		}
		if got != nil && got == want {
			t.Errorf("%s: shares the configuration's colour space", what)
		}
	}
	r := capture(t, c)
	defer r.Release()
	f, err := r.Frame(Main)
	if err != nil {
		t.Fatal(err)
	}
	same("Frame", f.ColorSpace)
	clone := f.Clone()
	same("Clone", clone.ColorSpace)
	if !f.Mapped || clone.Mapped {
		t.Errorf("Mapped: view %v, clone %v; want true, false", f.Mapped, clone.Mapped)
	}
	if f.ColorSpace != nil {
		if clone.ColorSpace == f.ColorSpace {
			t.Error("Clone shares the frame's colour space")
		}
		// A frame's colour space is its handle's own to change: another
		// handle's view keeps the stream's.
		f.ColorSpace.Range ^= 1
		other := r.Acquire()
		g, err := other.Frame(Main)
		if err != nil {
			t.Fatal(err)
		}
		same("Frame of another handle after one handle's was changed", g.ColorSpace)
		other.Release()
		same("Clone after the frame's was changed", clone.ColorSpace)
	}
	copied, _, err := c.CaptureFrame(ctxT(t), Main)
	if err != nil {
		t.Fatal(err)
	}
	same("CaptureFrame", copied.ColorSpace)
	if copied.Mapped {
		t.Error("CaptureFrame's copy says Mapped")
	}
}

// TestCloneColorSpace: Clone copies the colour space, and a frame without
// one stays without.
func TestCloneColorSpace(t *testing.T) {
	f := Frame{Format: FormatNV12, Size: Size{Width: 2, Height: 2}, Stride: 2, Planes: [][]byte{make([]byte, 6)},
		ColorSpace: new(libcamera.ColorSpaceSycc)}
	c := f.Clone()
	if c.ColorSpace == nil || *c.ColorSpace != libcamera.ColorSpaceSycc || c.ColorSpace == f.ColorSpace {
		t.Errorf("Clone's colour space %v (%p), want a copy of %v (%p)", c.ColorSpace, c.ColorSpace, f.ColorSpace, f.ColorSpace)
	}
	f.ColorSpace = nil
	if c := f.Clone(); c.ColorSpace != nil {
		t.Errorf("Clone of a frame without colour space has %v", c.ColorSpace)
	}
}
