package picam

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// The open/configure/start/capture/stop/close churn is
// TestNoLeaksOver200Cycles (leak_test.go); these add mode switches and two
// cameras cycling at once.

// TestChurnSwitchMode configures and switches a running camera 200 times
// across its sizes, with and without a lores stream, capturing a frame of
// each configuration and checking its size and pixels, and counts what a
// leak would grow.
func TestChurnSwitchMode(t *testing.T) {
	type mode struct {
		size  Size
		lores bool
	}
	modes := []mode{
		{Size{Width: 64, Height: 48}, false},
		{Size{Width: 640, Height: 480}, true},
		{Size{Width: 64, Height: 48}, true},
		{Size{Width: 640, Height: 480}, false},
	}
	c, _ := openCamera(t, barsID)
	config := func(m mode) Configuration {
		cfg := nv12Config(c, m.size)
		cfg.Queue = false // so that a held count of zero means every buffer is back
		if m.lores {
			cfg.Lores = &StreamConfig{Size: Size{Width: 64, Height: 48}, Format: FormatNV12}
		}
		return cfg
	}
	// One cycle of each first: what libcamera sets up once is not a leak.
	if _, err := c.Configure(config(modes[0])); err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	running(t, c)
	for _, m := range modes {
		churnSwitch(t, c, config(m), m.lores, -1)
	}
	leaks := checkLeaks(t)
	const n = 200
	for i := range n {
		m := modes[i%len(modes)]
		if i%10 == 9 {
			// Now and then a full Stop, Configure, Start instead.
			if err := c.Stop(); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Configure(config(m)); err != nil {
				t.Fatalf("cycle %d: Configure %v: %v", i, m, err)
			}
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			checkCapture(t, c, m.size, m.lores, i)
			continue
		}
		churnSwitch(t, c, config(m), m.lores, i)
	}
	running(t, c)
	leaks()
}

func churnSwitch(t *testing.T, c *Camera, cfg Configuration, lores bool, i int) {
	t.Helper()
	if _, err := c.SwitchMode(cfg); err != nil {
		t.Fatalf("cycle %d: SwitchMode to %v: %v", i, cfg, err)
	}
	checkCapture(t, c, cfg.Main.Size, lores, i)
}

// checkCapture captures a frame and checks it is of the configuration.
func checkCapture(t *testing.T, c *Camera, size Size, lores bool, i int) {
	t.Helper()
	r := capture(t, c)
	defer r.Release()
	f, err := r.Frame(Main)
	if err != nil {
		t.Fatal(err)
	}
	if f.Size != size {
		t.Fatalf("cycle %d: frame %v, want size %v", i, f, size)
	}
	checkBars(t, f, r.Sequence())
	lf, err := r.Frame(Lores)
	if lores != (err == nil) {
		t.Fatalf("cycle %d: lores frame %v, %v; want one: %v", i, lf, err, lores)
	}
	if lores {
		checkBars(t, lf, r.Sequence())
	}
}

// TestChurnTwoCameras cycles both cameras at once, each 100 times through
// open, configure, start, capture, stop, close, and counts what a leak
// would grow in the whole process.
func TestChurnTwoCameras(t *testing.T) {
	cycle(t, 0) // warm-up, as in TestNoLeaksOver200Cycles
	cycle(t, 1)
	leaks := checkLeaks(t)
	const n = 100
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for _, cam := range []struct {
		id   string
		size Size
	}{{barsID, Size{Width: 64, Height: 48}}, {linesID, Size{Width: 320, Height: 240}}} {
		wg.Go(func() {
			for i := range n {
				if err := openCaptureClose(cam.id, cam.size, i%2 == 0); err != nil {
					errs <- fmt.Errorf("%s cycle %d: %w", cam.id, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	leaks()
}

// openCaptureClose is one cycle, from any goroutine: the frame must be of
// the size asked.
func openCaptureClose(id string, size Size, lores bool) (err error) {
	opts, _ := testOptions(id)
	c, err := OpenWith(opts)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := c.Close(); err == nil {
			err = cerr
		}
	}()
	cfg := nv12Config(c, size)
	if lores {
		cfg.Lores = &StreamConfig{Size: size, Format: FormatNV12}
	}
	if _, err := c.Configure(cfg); err != nil {
		return err
	}
	if err := c.Start(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r, err := c.CaptureRequest(ctx)
	if err != nil {
		return err
	}
	defer r.Release()
	f, err := r.Frame(Main)
	if err != nil {
		return err
	}
	if f.Size != size || len(f.Planes[0]) < int(size.Width)*int(size.Height) {
		return fmt.Errorf("frame %v, want size %v", f, size)
	}
	if _, err := r.Frame(Lores); lores != (err == nil) {
		return fmt.Errorf("lores frame: %v; want one: %v", err, lores)
	}
	return c.Stop()
}
