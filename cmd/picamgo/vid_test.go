package main

import (
	"bytes"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// lastLine is the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func TestVidMP4(t *testing.T) {
	dir := t.TempDir()
	r := mustRun(t, dir, "vid", "--frames", "45", "-o", "clip.mp4")
	sum := lastLine(r.stderr)
	if !strings.HasPrefix(sum, "recorded 45 frames of 640x480 h264") || !strings.HasSuffix(sum, "to clip.mp4") {
		t.Errorf("summary %q", sum)
	}
	path := filepath.Join(dir, "clip.mp4")
	p := ffprobe(t, path)
	if p != (probe{codec: "h264", width: 640, height: 480, frames: 45}) {
		t.Fatalf("ffprobe reads %+v, want 45 h264 frames of 640x480", p)
	}
	frames := decodeRGB(t, path, 640, 480)
	if len(frames) != 45 {
		t.Fatalf("ffmpeg decodes %d frames, want 45", len(frames))
	}
	checkScroll(t, frames, 640, 480, numberBefore(t, sum, "dropped"))
}

// TestVidFramesOverridesTimeout: --frames without -t records every frame
// asked for, as rpicam-vid's --frames overrides its timeout: 180 frames of
// the camera paced at 30 frames/s take 6 s, past -t's 5 s default (which
// cut the file short before). With -t given, -t still ends it.
func TestVidFramesOverridesTimeout(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, dir, "vid", "--frames", "180", "--width", "64", "--height", "48", "-o", "a.h264")
	if p := ffprobe(t, filepath.Join(dir, "a.h264")); p != (probe{codec: "h264", width: 64, height: 48, frames: 180}) {
		t.Fatalf("ffprobe reads %+v, want 180 h264 frames of 64x48", p)
	}
	r := mustRun(t, dir, "vid", "--frames", "180", "-t", "500ms", "--width", "64", "--height", "48", "-o", "b.h264")
	if n := numberBefore(t, lastLine(r.stderr), "frames"); n >= 180 || n < 1 {
		t.Errorf("-t 500ms --frames 180 recorded %d frames, want fewer than 180 (at 30 frames/s)", n)
	}
}

// TestVidFormats records each codec and container the extension names.
func TestVidFormats(t *testing.T) {
	for _, c := range []struct {
		name, codec string
		input       []string // ffprobe/ffmpeg input options
	}{
		{"a.h264", "h264", nil},
		{"a.mkv", "h264", nil},
		{"a.ts", "h264", nil},
		{"a.mjpeg", "mjpeg", nil},
		{"a.yuv", "rawvideo", []string{"-f", "rawvideo", "-pixel_format", "yuv420p", "-video_size", "64x48"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			r := mustRun(t, dir, "vid", "--frames", "12", "--width", "64", "--height", "48", "-o", c.name)
			path := filepath.Join(dir, c.name)
			if p := ffprobe(t, path, c.input...); p != (probe{codec: c.codec, width: 64, height: 48, frames: 12}) {
				t.Fatalf("ffprobe reads %+v, want 12 %s frames of 64x48", p, c.codec)
			}
			checkScroll(t, decodeRGB(t, path, 64, 48, c.input...), 64, 48, numberBefore(t, lastLine(r.stderr), "dropped"))
		})
	}
}

func TestVidStdout(t *testing.T) {
	dir := t.TempDir()
	var stdout bytes.Buffer
	s := start(t, dir, &stdout, "vid", "--frames", "20", "--codec", "mjpeg", "-o", "-")
	if code, stderr := s.wait(t); code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	path := filepath.Join(dir, "out.mjpeg")
	if err := os.WriteFile(path, stdout.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if p := ffprobe(t, path); p != (probe{codec: "mjpeg", width: 640, height: 480, frames: 20}) {
		t.Fatalf("stdout holds %+v, want 20 MJPEG frames of 640x480", p)
	}
}

func TestVidSegments(t *testing.T) {
	dir := t.TempDir()
	r := mustRun(t, dir, "vid", "--frames", "45", "--intra", "5", "--segment", "500ms", "-o", "seg%02d.mkv")
	files, _ := filepath.Glob(filepath.Join(dir, "seg*.mkv"))
	if len(files) < 2 {
		t.Fatalf("%d segment files for 1.5 s in 0.5 s segments: %v", len(files), files)
	}
	total := 0
	for _, f := range files {
		p := ffprobe(t, f)
		if p.width != 640 || p.height != 480 || p.frames < 1 {
			t.Fatalf("%s: %+v", f, p)
		}
		total += p.frames
	}
	if total != 45 {
		t.Errorf("the segments hold %d frames, want 45 (every frame in exactly one)", total)
	}
	if !strings.Contains(lastLine(r.stderr), "files: seg00.mkv seg01.mkv") {
		t.Errorf("summary %q does not name the files", lastLine(r.stderr))
	}
}

// waitGrowing waits until the file at path holds more than n bytes: the
// recording has written frames. It fails if done (when not nil) closes
// first: the program ended.
func waitGrowing(t *testing.T, done <-chan struct{}, path string, n int64) {
	t.Helper()
	deadline := time.After(time.Minute)
	for {
		if fi, err := os.Stat(path); err == nil && fi.Size() > n {
			return
		}
		select {
		case <-done:
			t.Fatalf("picamgo ended before writing %d bytes to %s", n, path)
		case <-deadline:
			t.Fatalf("%s did not grow past %d bytes within a minute", path, n)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// TestVidInterrupt: Ctrl-C (SIGINT) finishes the MP4: it has its index and
// every frame recorded. With -t 0 that is the normal end (exit 0); cutting
// a set -t short exits 130.
func TestVidInterrupt(t *testing.T) {
	for _, c := range []struct {
		timeout string
		code    int
	}{{"0", 0}, {"1h", exitInterrupted}} {
		t.Run("t="+c.timeout, func(t *testing.T) {
			dir := t.TempDir()
			s := start(t, dir, nil, "vid", "-t", c.timeout, "-o", "a.mp4")
			path := filepath.Join(dir, "a.mp4")
			waitGrowing(t, s.done, path, 20_000)
			s.cmd.Process.Signal(syscall.SIGINT)
			code, stderr := s.wait(t)
			if code != c.code {
				t.Fatalf("exit %d after SIGINT, want %d", code, c.code)
			}
			n := numberBefore(t, lastLine(stderr), "frames")
			p := ffprobe(t, path)
			if p.codec != "h264" || p.frames != n || n < 2 {
				t.Fatalf("ffprobe reads %+v; picamgo recorded %d frames", p, n)
			}
		})
	}
}

// TestVidCircular: the buffer is saved on SIGUSR1, with what follows until
// Ctrl-C.
func TestVidCircular(t *testing.T) {
	dir := t.TempDir()
	s := start(t, dir, nil, "vid", "-t", "0", "--circular", "1", "--intra", "10", "-o", "event.mp4")
	s.waitLine(t, "kill -USR1")
	s.cmd.Process.Signal(syscall.SIGUSR1)
	s.waitLine(t, "SIGUSR1: saving")
	path := filepath.Join(dir, "event.mp4")
	waitGrowing(t, s.done, path, 10_000)
	s.cmd.Process.Signal(syscall.SIGINT)
	code, stderr := s.wait(t)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	p := ffprobe(t, path)
	if p.codec != "h264" || p.frames < 2 {
		t.Fatalf("event.mp4: %+v", p)
	}
	checkScroll(t, decodeRGB(t, path, 640, 480), 640, 480, numberBefore(t, lastLine(stderr), "dropped"))

	// Without a trigger, the buffer is saved at the end (as rpicam-vid's
	// --circular does).
	r := mustRun(t, dir, "vid", "-t", "2s", "--circular", "1", "--intra", "10", "-o", "end.mp4")
	if !strings.HasSuffix(lastLine(r.stderr), "; saved end.mp4") {
		t.Errorf("summary %q", lastLine(r.stderr))
	}
	if p := ffprobe(t, filepath.Join(dir, "end.mp4")); p.codec != "h264" || p.frames < 2 {
		t.Fatalf("end.mp4: %+v", p)
	}
}

// TestVidTCP: a client of --listen gets an H.264 stream that decodes, from
// a keyframe on; Ctrl-C (once the client has data: an event, not a time)
// sends it what was queued and closes the connection.
func TestVidTCP(t *testing.T) {
	dir := t.TempDir()
	s := start(t, dir, nil, "vid", "-t", "0", "--intra", "10", "--listen", "-o", "tcp://127.0.0.1:0")
	line := s.waitLine(t, "listening on tcp://")
	addr := strings.TrimPrefix(strings.Fields(line)[2], "tcp://")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var got bytes.Buffer
	if _, err := io.CopyN(&got, conn, 30_000); err != nil {
		t.Fatalf("after %d bytes: %v", got.Len(), err)
	}
	s.cmd.Process.Signal(syscall.SIGINT)
	if _, err := got.ReadFrom(conn); err != nil {
		t.Fatal(err)
	}
	code, stderr := s.wait(t)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	path := filepath.Join(dir, "client.h264")
	if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	p := ffprobe(t, path)
	if p.codec != "h264" || p.width != 640 || p.height != 480 || p.frames < 2 {
		t.Fatalf("the client got %+v (%d bytes)", p, got.Len())
	}
	// The client reads as fast as it can, so the listener never skips
	// packets for it: the frames the recording dropped are all it misses.
	checkScroll(t, decodeRGB(t, path, 640, 480), 640, 480, numberBefore(t, lastLine(stderr), "dropped"))
}
