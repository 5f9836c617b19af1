package picam

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var (
	vga = Size{Width: 640, Height: 480}
	hd  = Size{Width: 1920, Height: 1080}
)

// checkPreview checks that the camera is back in its 640x480 preview mode,
// running.
func checkPreview(t *testing.T, c *Camera, after string) {
	t.Helper()
	if cfg, err := c.Configuration(); err != nil || cfg.Main.Size != vga || !c.Started() {
		t.Fatalf("after %s: %v, %v, started %v; want the preview mode, running", after, cfg.Main, err, c.Started())
	}
}

// TestSwitchModeCaptureForms captures in a still mode with each form that
// returns its result, and checks the result (pixels of the still mode's
// size), the applied configuration and metadata it reports, and that the
// camera is back in preview after each.
func TestSwitchModeCaptureForms(t *testing.T) {
	c, _ := startCamera(t, barsID, vga, startOpts{NoQueue: true, Running: true})
	leaks := checkLeaks(t)
	ctx := ctxT(t)
	still := nv12Config(c, hd)
	still.UseCase = "still"
	checkMC := func(form string, mc ModeCapture) {
		t.Helper()
		if mc.Configuration.Main.Size != hd || mc.Configuration.Main.Stride < int(hd.Width) || mc.Configuration.UseCase != "still" {
			t.Errorf("%s: applied configuration %v stride %d", form, mc.Configuration, mc.Configuration.Main.Stride)
		}
		if ts, ok := mc.Metadata.SensorTimestamp(); !ok || ts == 0 {
			t.Errorf("%s: metadata %v", form, mc.Metadata)
		}
		checkPreview(t, c, form)
	}

	f, mc, err := c.SwitchModeAndCaptureFrame(ctx, still, Main, 1)
	if err != nil {
		t.Fatal(err)
	}
	if f.Size != hd || f.Mapped {
		t.Errorf("frame %v, mapped %v; want a copy of %v", f, f.Mapped, hd)
	}
	checkBars(t, f, 0)
	checkMC("SwitchModeAndCaptureFrame", mc)

	buf, mc, err := c.SwitchModeAndCaptureBuffer(ctx, still, Main, 0)
	if err != nil {
		t.Fatal(err)
	}
	checkMC("SwitchModeAndCaptureBuffer", mc)
	if len(buf) != mc.Configuration.Main.FrameSize {
		t.Errorf("buffer of %d bytes, frame size %d", len(buf), mc.Configuration.Main.FrameSize)
	}
	if bf, err := MakeFrame(buf, mc.Configuration.Main); err != nil {
		t.Error(err)
	} else {
		checkBars(t, bf, 0)
	}

	img, mc, err := c.SwitchModeAndCaptureImage(ctx, still, Main, 0)
	if err != nil {
		t.Fatal(err)
	}
	checkMC("SwitchModeAndCaptureImage", mc)
	if nv, ok := img.(*NV12); !ok || nv.Bounds().Dx() != int(hd.Width) || nv.Bounds().Dy() != int(hd.Height) {
		t.Errorf("image %T %v", img, img.Bounds())
	}

	// Asked for a size the camera changes: the adjustment is reported.
	loose := still
	loose.Strict = false
	loose.Main.Size = Size{Width: 800, Height: 600}
	mc, err = c.SwitchModeAndCaptureMetadata(ctx, loose, 0)
	if err != nil {
		t.Fatal(err)
	}
	checkMC("SwitchModeAndCaptureMetadata", mc)
	if len(mc.Adjustments) == 0 || mc.Adjustments[0].Field != "Size" {
		t.Errorf("adjustments %v, want the size", mc.Adjustments)
	}

	r, mc, err := c.SwitchModeAndCaptureRequest(ctx, still, 0)
	if err != nil {
		t.Fatal(err)
	}
	checkMC("SwitchModeAndCaptureRequest", mc)
	rf, err := r.Frame(Main)
	if err != nil || rf.Size != hd {
		t.Fatalf("request's frame %v, %v", rf, err)
	}
	capture(t, c).Release() // the preview runs meanwhile
	checkBars(t, rf, r.Sequence())
	if err := r.Release(); err != nil {
		t.Error(err)
	}

	// The asynchronous switch: there and back.
	if _, err := c.SwitchModeAsync(ctx, still).Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if cfg, _ := c.Configuration(); cfg.Main.Size != hd || !c.Started() {
		t.Errorf("after SwitchModeAsync: %v started %v", cfg.Main, c.Started())
	}
	if _, err := c.SwitchModeAsync(ctx, nv12Config(c, vga)).Wait(ctx); err != nil {
		t.Fatal(err)
	}
	checkPreview(t, c, "SwitchModeAsync back")
	capture(t, c).Release()
	leaks()
}

// TestStartAndCaptureFiles runs Picamera2's one-shot helpers on a camera
// not started: files of the capture mode, written with EXIF, the camera
// stopped afterwards; a cancelled context ends the preview phase.
func TestStartAndCaptureFiles(t *testing.T) {
	c, _ := openCamera(t, barsID)
	// Each call has a context of its own (ctxT's 20s, against a hang):
	// the test's calls together took 18.5s with -race on a loaded machine.
	dir := t.TempDir()
	preview, still := nv12Config(c, vga), nv12Config(c, hd)
	names, err := c.StartAndCaptureFiles(ctxT(t), filepath.Join(dir, "img%02d.jpg"), 3, StartCaptureOptions{
		Preview: &preview, Capture: &still, InitialDelay: 10 * time.Millisecond, Delay: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 3 || filepath.Base(names[2]) != "img02.jpg" {
		t.Fatalf("names %v", names)
	}
	for _, n := range names {
		checkImageFile(t, n, int(hd.Width), int(hd.Height))
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		if ifd0, _ := exifOf(t, b); ifd0[tagModel].String() != "picamgo virtual bars" {
			t.Errorf("%s: EXIF model %q", n, ifd0[tagModel].String())
		}
	}
	if c.Started() {
		t.Error("the camera runs after StartAndCaptureFiles")
	}
	if cfg, _ := c.Configuration(); cfg.Main.Size != vga {
		t.Errorf("left in %v, want the preview mode", cfg.Main)
	}

	one := filepath.Join(dir, "one.png")
	md, err := c.StartAndCaptureFile(ctxT(t), one, StartCaptureOptions{NoPreview: true, Capture: &still})
	if err != nil {
		t.Fatal(err)
	}
	if ts, ok := md.SensorTimestamp(); !ok || ts == 0 {
		t.Errorf("metadata %v", md)
	}
	checkImageFile(t, one, int(hd.Width), int(hd.Height))

	cctx, cancel := context.WithCancel(ctxT(t))
	go func() {
		for !c.Started() { // the preview phase has begun
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	if _, err := c.StartAndCaptureFile(cctx, filepath.Join(dir, "never.jpg"), StartCaptureOptions{InitialDelay: time.Hour}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled during the preview phase = %v", err)
	}
	if c.Started() {
		t.Error("the camera runs after a cancelled StartAndCaptureFile")
	}
	if _, err := os.Stat(filepath.Join(dir, "never.jpg")); err == nil {
		t.Error("a file was written by a cancelled StartAndCaptureFile")
	}
	if _, err := c.StartAndCaptureFiles(ctxT(t), "x%d.jpg", 0, StartCaptureOptions{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("0 files: %v", err)
	}
}
