package video

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"testing"

	"github.com/picamgo/picamgo/pkg/picam"
)

// x264Threads matches the thread count in the options libx264 writes into
// its first SEI ("... threads=1 lookahead_threads=1 ...").
var x264Threads = regexp.MustCompile(` threads=(\d+) `)

// TestEncoderDefaultThreads: by default libx264 gets all the cores but one
// (at least one), read back from the options it writes into the stream;
// an explicit count is passed as it is.
func TestEncoderDefaultThreads(t *testing.T) {
	c := startCamera(t, picam.Size{Width: 640, Height: 480}, 30)
	for _, tc := range []struct{ threads, want int }{{0, max(1, runtime.NumCPU()-1)}, {2, 2}} {
		path := filepath.Join(t.TempDir(), "a.h264")
		r, err := Start(ctxT(t), c, Options{Encoder: H264{Threads: tc.threads}, Outputs: []Output{File(path)}})
		if err != nil {
			t.Fatal(err)
		}
		waitFrames(t, r, 5)
		if err := r.Stop(); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		m := x264Threads.FindSubmatch(b)
		if m == nil {
			t.Fatalf("Threads %d: no x264 options in the %d bytes recorded", tc.threads, len(b))
		}
		if got, _ := strconv.Atoi(string(m[1])); got != tc.want {
			t.Errorf("Threads %d: x264 ran with threads=%d, want %d (%d cores)", tc.threads, got, tc.want, runtime.NumCPU())
		}
	}
	if r, err := Start(ctxT(t), c, Options{Encoder: H264{Threads: -1}, Outputs: []Output{&collector{}}}); !errors.Is(err, ErrInvalid) {
		if r != nil {
			r.Stop()
		}
		t.Errorf("Threads -1: %v, want ErrInvalid", err)
	}
}
