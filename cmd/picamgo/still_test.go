package main

import (
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/picamgo/picamgo/pkg/picam"
)

func decodeImage(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var img image.Image
	if strings.HasSuffix(path, ".png") {
		img, err = png.Decode(f)
	} else {
		img, err = jpeg.Decode(f)
	}
	if err != nil {
		t.Fatalf("decoding %s: %v", path, err)
	}
	return img
}

func checkStill(t *testing.T, path string, w, h int) {
	t.Helper()
	img := decodeImage(t, path)
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
		t.Fatalf("%s is %dx%d, want %dx%d", path, b.Dx(), b.Dy(), w, h)
	}
	if _, err := whiteBar(imageAt(img), w, h); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func TestStill(t *testing.T) {
	dir := t.TempDir()
	// -n (rpicam-apps' --nopreview) is accepted, so their command lines run.
	r := mustRun(t, dir, "still", "-n", "--immediate", "--width", "640", "--height", "480", "-o", "a.jpg")
	checkStill(t, filepath.Join(dir, "a.jpg"), 640, 480)
	if !strings.Contains(r.stderr, "saved a.jpg: 640x480") {
		t.Errorf("no saved line: %q", r.stderr)
	}
	// The default size is the sensor's; -t 0: no delay after the start.
	mustRun(t, dir, "still", "-t", "0", "-o", "b.png", "--quality", "50")
	checkStill(t, filepath.Join(dir, "b.png"), 1920, 1080)
}

func TestStillAdjusted(t *testing.T) {
	dir := t.TempDir()
	r := mustRun(t, dir, "still", "--immediate", "--width", "641", "--height", "479", "-o", "a.jpg")
	checkStill(t, filepath.Join(dir, "a.jpg"), 1920, 1080)
	want := "camera picamgo-bars gives main 1920x1080 instead of 641x479 (--strict refuses)\n"
	if !strings.HasPrefix(r.stderr, want) {
		t.Errorf("stderr starts %q, want the adjustment on one line: %q", r.stderr, want)
	}
	r = picamgo(t, dir, "still", "--immediate", "--width", "641", "--height", "479", "--strict", "-o", "b.jpg")
	if r.code != exitConfig || !strings.Contains(r.stderr, "cannot give main 641x479: it would give 1920x1080 (--strict") {
		t.Errorf("--strict: exit %d, stderr %q; want %d and the refusal", r.code, r.stderr, exitConfig)
	}
	if _, err := os.Stat(filepath.Join(dir, "b.jpg")); err == nil {
		t.Error("--strict wrote a file")
	}
}

func TestTimelapse(t *testing.T) {
	dir := t.TempDir()
	r := mustRun(t, dir, "still", "--timelapse", "100ms", "--frames", "3", "--width", "640", "--height", "480", "-o", "img%02d.jpg")
	for n := range 3 {
		checkStill(t, filepath.Join(dir, fmt.Sprintf("img%02d.jpg", n)), 640, 480)
	}
	if _, err := os.Stat(filepath.Join(dir, "img03.jpg")); err == nil {
		t.Error("--frames 3 saved a fourth still")
	}
	if n := strings.Count(r.stderr, "saved img"); n != 3 {
		t.Errorf("%d saved lines, want 3", n)
	}
}

// TestStillRawRefused: libcamera's virtual cameras have no raw stream, so
// `-o a.dng` and --raw are refused with exit 4 once the camera is open
// (its properties say so) but before it is configured or started: with
// -v libcamera logs its camera manager starting and never "configuring
// streams" (which a still that is taken logs), and no file is written.
func TestStillRawRefused(t *testing.T) {
	dir := t.TempDir()
	r := mustRun(t, dir, "still", "--immediate", "-v", "--width", "64", "--height", "48", "-o", "ok.jpg")
	if !strings.Contains(r.stderr, "configuring streams") {
		t.Fatalf("a still taken with -v logs no \"configuring streams\": the check below means nothing: %q", r.stderr)
	}
	for _, c := range []struct {
		args   []string
		camera string
	}{
		{[]string{"--immediate", "-o", "a.dng"}, "picamgo-bars"},
		{[]string{"--immediate", "--raw", "-o", "a.jpg"}, "picamgo-bars"},
		{[]string{"-r", "--camera", "1", "--timelapse", "100ms", "--frames", "2", "-o", "img%02d.png"}, "picamgo-lines"},
	} {
		r := picamgo(t, dir, append([]string{"still", "-v"}, c.args...)...)
		want := "camera " + c.camera + " has no raw stream, so no DNG (libcamera gives one for Bayer sensors only"
		if r.code != exitConfig || !strings.Contains(r.stderr, want) {
			t.Errorf("still %s: exit %d, stderr %q; want %d and %q", strings.Join(c.args, " "), r.code, r.stderr, exitConfig, want)
		}
		if !strings.Contains(r.stderr, "camera_manager") || strings.Contains(r.stderr, "configuring streams") {
			t.Errorf("still %s: the camera was configured (or never opened) before the refusal: %q", strings.Join(c.args, " "), r.stderr)
		}
	}
	// Checked before the camera opens: a DNG asked for twice, and the
	// DNG's own name.
	if err := os.Mkdir(filepath.Join(dir, "b.dng"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args    []string
		message string
	}{
		{[]string{"--raw", "-o", "a.dng"}, "--raw saves a DNG beside a JPEG or PNG; -o a.dng saves the DNG alone"},
		{[]string{"--raw", "-o", "b.jpg"}, "output b.dng is a directory"},
		{[]string{"-o", "a.tiff"}, "unknown extension (want .jpg, .jpeg, .png or .dng)"},
	} {
		r := picamgo(t, dir, append([]string{"still", "-v"}, c.args...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, c.message) || strings.Contains(r.stderr, "camera_manager") {
			t.Errorf("still %s: exit %d, stderr %q; want %d and %q, before the camera manager starts", strings.Join(c.args, " "), r.code, r.stderr, exitUsage, c.message)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("the refused runs left files: %v (want ok.jpg and the directory b.dng)", entries)
	}
}

// TestDNGFormat: the raw format for a DNG is the camera's default unless
// it is PiSP-compressed (a Raspberry Pi 5's default), then the first
// uncompressed raw format offered; none when all are compressed.
func TestDNGFormat(t *testing.T) {
	pf := func(name string) picam.PixelFormat {
		f, err := picam.ParsePixelFormat(name)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	packed, comp, unpacked := pf("SRGGB10_CSI2P"), pf("RGGB_PISP_COMP1"), pf("SRGGB16")
	for _, c := range []struct {
		def     picam.PixelFormat
		offered []picam.PixelFormat
		want    picam.PixelFormat
		ok      bool
	}{
		{packed, []picam.PixelFormat{packed, pf("SRGGB12_CSI2P")}, packed, true},
		{comp, []picam.PixelFormat{comp, pf("NV12"), unpacked}, unpacked, true},
		{comp, []picam.PixelFormat{comp}, picam.PixelFormat{}, false},
	} {
		got, ok := dngFormat(c.def, c.offered)
		if got != c.want || ok != c.ok {
			t.Errorf("dngFormat(%v, %v) = %v, %v; want %v, %v", c.def, c.offered, got, ok, c.want, c.ok)
		}
	}
}
