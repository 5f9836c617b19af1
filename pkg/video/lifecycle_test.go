package video

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/picamgo/picamgo/pkg/picam"
	"github.com/picamgo/picamgo/pkg/video/internal/bars"
)

// TestCameraStops: stopping the camera ends the recording with an error
// saying so; the file is closed and plays.
func TestCameraStops(t *testing.T) {
	bars.Need(t)
	for _, how := range []string{"stop", "close"} {
		t.Run(how, func(t *testing.T) {
			c := startCamera(t, picam.Size{Width: 640, Height: 480}, 0)
			path := filepath.Join(t.TempDir(), "rec.mp4")
			col := &collector{}
			r, err := Start(ctxT(t), c, Options{Encoder: H264{}, Outputs: []Output{File(path), col}})
			if err != nil {
				t.Fatal(err)
			}
			waitFrames(t, r, 10)
			if how == "stop" {
				err = c.Stop()
			} else {
				err = c.Close()
			}
			if err != nil {
				t.Fatal(err)
			}
			<-r.Done()
			err = r.Err()
			t.Logf("Err: %v", err)
			if !errors.Is(err, picam.ErrNotStarted) && !errors.Is(err, picam.ErrClosed) {
				t.Fatalf("Err %v, want one matching picam.ErrNotStarted or ErrClosed", err)
			}
			if err := r.Stop(); err == nil {
				t.Errorf("Stop after the camera stopped: nil error")
			}
			checkRecorded(t, path, 640, 480, col.packets(), true)
			if _, err := Start(ctxT(t), c, Options{Encoder: H264{}}); err == nil {
				t.Errorf("Start on a stopped camera: nil error")
			}
		})
	}
}

// TestTwoRecordings: H.264 to a file and MJPEG to a writer from the same
// camera at once, each with every frame it was given.
func TestTwoRecordings(t *testing.T) {
	bars.Need(t)
	c := startCamera(t, picam.Size{Width: 640, Height: 480}, 30)
	path := filepath.Join(t.TempDir(), "rec.mkv")
	colH, colJ := &collector{}, &collector{}
	rh, err := Start(ctxT(t), c, Options{Encoder: H264{}, Outputs: []Output{File(path), colH}})
	if err != nil {
		t.Fatal(err)
	}
	rj, err := Start(ctxT(t), c, Options{Encoder: MJPEG{}, Outputs: []Output{colJ}})
	if err != nil {
		t.Fatal(err)
	}
	waitFrames(t, rh, 20)
	waitFrames(t, rj, 20)
	if err := errors.Join(rh.Stop(), rj.Stop()); err != nil {
		t.Fatal(err)
	}
	t.Logf("h264 %+v, mjpeg %+v", rh.Stats(), rj.Stats())
	checkRecorded(t, path, 640, 480, colH.packets(), false)
	if got := len(colJ.packets()); uint64(got) != rj.Stats().Frames {
		t.Errorf("%d JPEGs for %d frames", got, rj.Stats().Frames)
	}
}

// TestYUV420: the raw encoder writes I420 frames that ffmpeg reads back as
// the frames captured.
func TestYUV420(t *testing.T) {
	bars.Need(t)
	const w, h = 640, 480
	c := startCamera(t, picam.Size{Width: w, Height: h}, 0)
	path := filepath.Join(t.TempDir(), "rec.yuv")
	col := &collector{}
	r, err := Start(ctxT(t), c, Options{Encoder: YUV420{}, Outputs: []Output{File(path), col}})
	if err != nil {
		t.Fatal(err)
	}
	waitFrames(t, r, 5)
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pkts := col.packets()
	if len(data) != len(pkts)*w*h*3/2 {
		t.Fatalf("%d bytes for %d frames", len(data), len(pkts))
	}
	for i, p := range pkts {
		y := data[i*w*h*3/2:]
		if x, err := bars.FindWhite(y, w, h, w); err != nil || x != bars.WhiteX(w, int(p.Sequence)) {
			t.Errorf("frame %d: white bar at %d (%v), want %d", i, x, err, bars.WhiteX(w, int(p.Sequence)))
		}
		// The chroma planes: U of the white bar ~128, of blue high.
		u := y[w*h:]
		if xb := (bars.WhiteX(w, int(p.Sequence)) + 6*w/8 + w/16) % w; u[h/4*w/2+xb/2] < 200 {
			t.Errorf("frame %d: Cb of the blue bar %d", i, u[h/4*w/2+xb/2])
		}
	}
}

// TestStartStopCycles: recordings started and stopped many times leave
// no goroutine, fd, buffer mapping or FFmpeg/TurboJPEG object behind.
func TestStartStopCycles(t *testing.T) {
	c := startCamera(t, picam.Size{Width: 64, Height: 48}, 0)
	if _, err := c.CaptureMetadata(ctxT(t)); err != nil { // frames flow before counting
		t.Fatal(err)
	}
	dir := t.TempDir()
	done := env.CheckLeaks(t)
	cycles := 200
	if testing.Short() {
		cycles = 20
	}
	for i := range cycles {
		var enc Encoder = H264{}
		out := File(filepath.Join(dir, "c.mp4"))
		if i%2 == 1 {
			enc, out = MJPEG{}, File(filepath.Join(dir, "c.mjpeg"))
		}
		r, err := Start(ctxT(t), c, Options{Encoder: enc, Outputs: []Output{out, &collector{}}})
		if err != nil {
			t.Fatal(err)
		}
		if i%3 != 0 { // some stop before any frame
			waitFrames(t, r, 2)
		}
		if err := r.Stop(); err != nil {
			t.Fatalf("cycle %d: %v", i, err)
		}
	}
	counts := done()
	t.Logf("after %d cycles: %v", cycles, counts)
}
