package main

import (
	"context"
	"testing"
	"time"

	"github.com/picamgo/picamgo/internal/testenv"
	"github.com/picamgo/picamgo/pkg/picam"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// TestAnalyzeFrames runs the process phase's function on real frames of
// libcamera's virtual camera (testdata/virtual.yaml's bars camera), through
// picam.Process as run does: every result must find the eight bars in
// order, with the white bar where frame n's scroll (n+1 columns to the
// left) puts it, in increasing frame order.
func TestAnalyzeFrames(t *testing.T) {
	const w, h = 640, 480
	cam, err := picam.OpenWith(picam.Options{ID: "picamgo-bars", MaxFrameRate: 500, StallTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer cam.Close()
	vc := cam.PreviewConfiguration()
	vc.Main = picam.StreamConfig{Size: picam.Size{Width: w, Height: h}, Format: picam.FormatNV12}
	vc.ColorSpace = nil
	vc.Strict = true
	if _, err := cam.Configure(vc); err != nil {
		t.Fatal(err)
	}
	if err := cam.Start(); err != nil {
		t.Fatal(err)
	}
	defer cam.Stop()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	an := newAnalyzer(3, drawnColorSpace(cam))
	defer an.Close()
	const frames = 12
	n, last := 0, int64(-1)
	for res, err := range picam.Process(ctx, cam, picam.ProcessOptions{Workers: 3}, an.analyze) {
		if err != nil {
			t.Fatal(err)
		}
		if int64(res.Sequence) <= last {
			t.Errorf("frame %d after frame %d", res.Sequence, last)
		}
		last = int64(res.Sequence)
		if res.Timestamp <= 0 {
			t.Errorf("frame %d: sensor timestamp %d", res.Sequence, res.Timestamp)
		}
		b := res.Value
		wantX := (w - int(res.Sequence+1)%w) % w
		dx := (b.WhiteX - wantX + w) % w
		if got := string(b.Colours[:b.N]); got != "WYCGMRBK" || b.WhiteX < 0 || min(dx, w-dx) > 1 {
			t.Errorf("frame %d: %s, want bars=WYCGMRBK x=%d (within 1)", res.Sequence, b, wantX)
		}
		if n++; n == frames {
			break
		}
	}
	if n != frames {
		t.Fatalf("%d results, want %d", n, frames)
	}
	if got := len(an.frameTimes()); got < frames {
		t.Errorf("%d frame times, want at least %d", got, frames)
	}
}
