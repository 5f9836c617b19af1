package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestErrors: bad flags and outputs fail at once, before the camera starts
// (with -v, libcamera would log its camera manager starting), with a
// message and their exit code.
func TestErrors(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"ro", "dir.mp4"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o555); err != nil {
			t.Fatal(err)
		}
	}
	readOnly := os.Geteuid() != 0 // root writes anywhere
	for _, c := range []struct {
		args    []string
		code    int
		message string
		camera  bool // the camera manager starts (camera errors)
	}{
		{[]string{}, exitUsage, "Usage: picamgo COMMAND", false},
		{[]string{"shoot"}, exitUsage, `unknown command "shoot"`, false},
		{[]string{"vid", "--bogus"}, exitUsage, "flag provided but not defined: -bogus", false},
		{[]string{"vid", "-o", "a.bmp"}, exitUsage, `unknown extension ".bmp"`, false},
		{[]string{"vid", "-o", "missing/a.mp4"}, exitUsage, "output directory missing: no such file or directory", false},
		{[]string{"vid", "-o", "dir.mp4"}, exitUsage, "output dir.mp4 is a directory", false},
		{[]string{"vid", "-o", "a.mp4", "--codec", "mjpeg"}, exitUsage, "--codec mjpeg does not go in a .mp4 file", false},
		{[]string{"vid", "-o", "tcp://127.0.0.1:8888"}, exitUsage, "add --listen", false},
		{[]string{"vid", "-o", "a.mp4", "--segment", "1s"}, exitUsage, "--segment needs a numbered output name", false},
		{[]string{"vid", "-o", "a.mp4", "-t", "soon"}, exitUsage, `invalid value "soon" for flag -t`, false},
		{[]string{"vid", "-o", "a.mp4", "--width", "0"}, exitUsage, "--width and --height must be positive", false},
		{[]string{"still", "-o", "a.gif"}, exitUsage, "unknown extension (want .jpg, .jpeg, .png or .dng)", false},
		{[]string{"still", "-o", "a.jpg", "--timelapse", "1s"}, exitUsage, "--timelapse needs a numbered output name", false},
		{[]string{"still", "-o", "a.jpg", "--quality", "101"}, exitUsage, "--quality 101: want 1 to 100", false},
		{[]string{"still"}, exitUsage, "no output file", false},
		{[]string{"serve", "--lores", "big"}, exitUsage, `--lores "big": want WIDTHxHEIGHT`, false},
		{[]string{"vid", "--camera", "7", "-o", "a.mp4"}, exitNoCamera,
			"no camera \"7\"; the cameras are:\n  0: picamgo-bars (picamgo virtual bars, front)\n  1: picamgo-lines (picamgo virtual lines, back)", true},
		{[]string{"still", "--camera", "picamgo-nope", "-o", "a.jpg"}, exitNoCamera, "no camera \"picamgo-nope\"; the cameras are:", true},
		{[]string{"vid", "--width", "100", "--height", "100", "--strict", "-o", "a.mp4"}, exitConfig,
			"camera picamgo-bars cannot give main 100x100: it would give 1920x1080 (--strict", true},
		{[]string{"vid", "--framerate", "100", "-o", "a.mp4"}, exitConfig,
			"--framerate 100: camera picamgo-bars takes 30.00 to 30.00 frames/s (FrameDurationLimits 33333..33333 µs)", true},
	} {
		r := picamgo(t, dir, append(c.args, "-v")...)
		if len(c.args) < 2 {
			r = picamgo(t, dir, c.args...)
		}
		if r.code != c.code || !strings.Contains(r.stderr, c.message) {
			t.Errorf("picamgo %s: exit %d, stderr %q; want exit %d and %q", strings.Join(c.args, " "), r.code, r.stderr, c.code, c.message)
		}
		if started := strings.Contains(r.stderr, "camera_manager"); started != c.camera {
			t.Errorf("picamgo %s: camera manager started: %v, want %v", strings.Join(c.args, " "), started, c.camera)
		}
	}
	if readOnly {
		r := picamgo(t, dir, "vid", "-o", "ro/a.mp4")
		if r.code != exitUsage || !strings.Contains(r.stderr, "output directory ro is not writable") {
			t.Errorf("read-only directory: exit %d, %q", r.code, r.stderr)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("failed runs left files: %v", entries)
	}
}

// TestHelp: help lists the commands and the exit codes; -h a command's
// flags, on stdout, with exit 0.
func TestHelp(t *testing.T) {
	r := mustRun(t, t.TempDir(), "help")
	for _, want := range []string{"list", "still", "vid", "serve", "bench", "Exit codes:", "130  interrupted"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("help: no %q", want)
		}
	}
	r = mustRun(t, t.TempDir(), "vid", "-h")
	for _, want := range []string{"Usage: picamgo vid [flags]", "-circular", "-listen", "-segment", "-framerate"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("vid -h: no %q", want)
		}
	}
}
