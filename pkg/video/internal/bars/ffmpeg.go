package bars

import (
	"bytes"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// Probe is what ffprobe reads of a file's first video stream.
type Probe struct {
	Codec         string
	Width, Height int
	Frames        int     // frames decoded (nb_read_frames)
	TimeBase      string  // "1/1000000"
	Duration      float64 // seconds
	PTS           []int64 // every frame's, in TimeBase units
	KeyFrames     int
}

// Need fails the test when the ffmpeg CLI (Debian package ffmpeg) is
// missing.
func Need(t testing.TB) {
	t.Helper()
	for _, tool := range []string{"ffprobe", "ffmpeg"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: the tests decode with the ffmpeg CLI (Debian package ffmpeg)", tool)
		}
	}
}

// ProbeFile runs ffprobe on path; format, if not "", forces the demuxer.
func ProbeFile(t testing.TB, path, format string) Probe {
	t.Helper()
	args := []string{"-v", "error"}
	if format != "" {
		args = append(args, "-f", format)
	}
	args = append(args, "-select_streams", "v:0", "-count_frames",
		"-show_entries", "stream=codec_name,width,height,nb_read_frames,time_base,duration", "-of", "default=nw=1", path)
	out, err := exec.Command("ffprobe", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe %s: %v\n%s", path, err, out)
	}
	var p Probe
	for _, l := range strings.Split(string(out), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(l), "=")
		if !ok {
			continue
		}
		switch k {
		case "codec_name":
			p.Codec = v
		case "width":
			p.Width, _ = strconv.Atoi(v)
		case "height":
			p.Height, _ = strconv.Atoi(v)
		case "nb_read_frames":
			p.Frames, _ = strconv.Atoi(v)
		case "time_base":
			p.TimeBase = v
		case "duration":
			p.Duration, _ = strconv.ParseFloat(v, 64)
		}
	}
	args = []string{"-v", "error"}
	if format != "" {
		args = append(args, "-f", format)
	}
	args = append(args, "-select_streams", "v:0", "-show_entries", "frame=pts,key_frame", "-of", "csv=p=0", path)
	out, err = exec.Command("ffprobe", args...).Output()
	if err != nil {
		t.Fatalf("ffprobe frames %s: %v", path, err)
	}
	for _, l := range strings.Split(string(out), "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			continue // a frame with side data prints a blank line (ffprobe 5.1)
		}
		// key_frame,pts in the order asked for may vary: parse both fields by shape.
		f := strings.Split(strings.TrimRight(l, ","), ",")
		if len(f) < 2 {
			continue
		}
		key, _ := strconv.Atoi(f[0])
		pts, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			pts = -1 // N/A (a raw stream has none)
		}
		p.KeyFrames += key
		p.PTS = append(p.PTS, pts)
	}
	return p
}

// DecodeGray decodes every frame of path to 8-bit luma, width x height
// each, in presentation order.
func DecodeGray(t testing.TB, path, format string, width, height int) [][]byte {
	t.Helper()
	args := []string{"-v", "error"}
	if format != "" {
		args = append(args, "-f", format)
	}
	args = append(args, "-i", path, "-f", "rawvideo", "-pix_fmt", "gray", "-fps_mode", "passthrough", "-")
	var stderr bytes.Buffer
	cmd := exec.Command("ffmpeg", args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ffmpeg decode %s: %v\n%s", path, err, stderr.String())
	}
	size := width * height
	if len(out)%size != 0 {
		t.Fatalf("ffmpeg decode %s: %d bytes, not a multiple of %dx%d", path, len(out), width, height)
	}
	var frames [][]byte
	for off := 0; off < len(out); off += size {
		frames = append(frames, out[off:off+size])
	}
	return frames
}

// String formats a probe for messages.
func (p Probe) String() string {
	return fmt.Sprintf("%s %dx%d, %d frames (%d key), time base %s, duration %.6f s",
		p.Codec, p.Width, p.Height, p.Frames, p.KeyFrames, p.TimeBase, p.Duration)
}
