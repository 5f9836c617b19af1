package main

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// exiftool reads a file's tags as exiftool prints them with -j -n -G0
// (numbers as numbers, each tag named after its group: "EXIF:Model").
// Without exiftool the test is skipped, loudly: the libcamera 0.7 test
// root has it (libimage-exiftool-perl), the 0.4 root does not.
func exiftool(t *testing.T, path string) map[string]any {
	t.Helper()
	p, err := exec.LookPath("exiftool")
	if err != nil {
		t.Skipf("SKIPPING: exiftool is not installed, so the EXIF of picamgo's stills is not read back (the libcamera 0.7 test root has it)")
	}
	out, err := exec.Command(p, "-j", "-n", "-G0", path).Output()
	if err != nil {
		t.Fatalf("exiftool %s: %v", path, err)
	}
	var tags []map[string]any
	if err := json.Unmarshal(out, &tags); err != nil || len(tags) != 1 {
		t.Fatalf("exiftool output %q: %v", out, err)
	}
	if w, ok := tags[0]["ExifTool:Warning"]; ok {
		t.Errorf("exiftool warns about %s: %v", path, w)
	}
	return tags[0]
}

// exifTime is the time a still's EXIF says it was taken:
// DateTimeOriginal with SubSecTimeOriginal and OffsetTimeOriginal.
func exifTime(t *testing.T, tags map[string]any) time.Time {
	t.Helper()
	s := fmt.Sprintf("%v.%v%v", tags["EXIF:DateTimeOriginal"], tags["EXIF:SubSecTimeOriginal"], tags["EXIF:OffsetTimeOriginal"])
	when, err := time.Parse("2006:01:02 15:04:05.000-07:00", s)
	if err != nil {
		t.Fatalf("EXIF time %q: %v", s, err)
	}
	return when
}

// TestStillExif reads back with exiftool the EXIF picam writes into the
// JPEGs `still` saves (through Camera.CaptureFile): the camera's model,
// picamgo as the software, Orientation 1 (the virtual camera turns its
// frames as asked), the EXIF version, and the time the frame was taken,
// which is the time the saved line names and lies within the run. No Make
// (libcamera names no maker for a camera not on a Raspberry Pi's
// connector) and no exposure time or ISO (the virtual camera reports
// neither). A PNG gets no EXIF, as Picamera2's.
func TestStillExif(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		camera, model string
		w, h          int
	}{
		{"0", "picamgo virtual bars", 640, 480},
		{"picamgo-lines", "picamgo virtual lines", 320, 240},
	} {
		name := fmt.Sprintf("%s.jpg", c.camera)
		before := time.Now()
		r := mustRun(t, dir, "still", "--immediate", "--camera", c.camera,
			"--width", fmt.Sprint(c.w), "--height", fmt.Sprint(c.h), "-o", name)
		after := time.Now()
		tags := exiftool(t, filepath.Join(dir, name))
		for k, want := range map[string]any{
			"EXIF:Model": c.model, "EXIF:Software": "picamgo", "EXIF:Orientation": 1,
			"EXIF:ExifVersion": "0232", "File:ImageWidth": c.w, "File:ImageHeight": c.h,
		} {
			if got := tags[k]; fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s: exiftool %s = %v, want %v", name, k, got, want)
			}
		}
		for _, k := range []string{"EXIF:Make", "EXIF:ExposureTime", "EXIF:ISO"} {
			if v, ok := tags[k]; ok {
				t.Errorf("%s: exiftool %s = %v, want none", name, k, v)
			}
		}
		// The tags' time is converted from the frame's SensorTimestamp
		// (CLOCK_MONOTONIC), as is the saved line's: they agree to the
		// conversion's jitter, and the frame was taken during the run.
		taken := exifTime(t, tags)
		if taken.Before(before.Add(-time.Second)) || taken.After(after.Add(time.Second)) {
			t.Errorf("%s: EXIF says taken at %v; picamgo ran from %v to %v", name, taken, before, after)
		}
		if line, err := lineClock(r.stderr, taken); err != nil {
			t.Errorf("%s: %v", name, err)
		} else if d := line.Sub(taken); d < -time.Second || d > time.Second {
			t.Errorf("%s: EXIF says taken at %v, picamgo's line at %v", name, taken, line)
		}
		if got, want := fmt.Sprint(tags["EXIF:ModifyDate"]), fmt.Sprint(tags["EXIF:DateTimeOriginal"]); got != want {
			t.Errorf("%s: DateTime (exiftool's ModifyDate) %s, DateTimeOriginal %s", name, got, want)
		}
	}
	mustRun(t, dir, "still", "--immediate", "--width", "64", "--height", "48", "-o", "a.png")
	tags := exiftool(t, filepath.Join(dir, "a.png"))
	for k, v := range tags {
		if strings.HasPrefix(k, "EXIF:") {
			t.Errorf("a.png: exiftool %s = %v: picam writes no EXIF into a PNG", k, v)
		}
	}
}

// lineClock reads the clock of picamgo's "taken at 15:04:05.000" as a
// time on the day (in picamgo's time zone, which is the test's) nearest to
// near.
func lineClock(stderr string, near time.Time) (time.Time, error) {
	_, after, ok := strings.Cut(stderr, "taken at ")
	if !ok || len(after) < len("15:04:05.000") {
		return time.Time{}, fmt.Errorf("no \"taken at\" in %q", stderr)
	}
	clock, err := time.Parse("15:04:05.000", after[:len("15:04:05.000")])
	if err != nil {
		return time.Time{}, err
	}
	near = near.In(time.Local)
	y, m, d := near.Date()
	at := time.Date(y, m, d, clock.Hour(), clock.Minute(), clock.Second(), clock.Nanosecond(), time.Local)
	switch {
	case at.Sub(near) > 12*time.Hour:
		at = at.AddDate(0, 0, -1)
	case near.Sub(at) > 12*time.Hour:
		at = at.AddDate(0, 0, 1)
	}
	return at, nil
}
