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
