package picam

import (
	"testing"
	"time"
)

// TestNoLeaksOver200Cycles opens, configures, starts, captures, stops and
// closes the cameras 200 times (Picamera2's #887 scenario) and checks that
// no descriptor, buffer mapping or goroutine is left behind.
func TestNoLeaksOver200Cycles(t *testing.T) {
	// A warm-up cycle: what libcamera keeps for the process's life is not a leak.
	cycle(t, 0)
	done := checkLeaks(t)
	before := countResources()
	start := time.Now()
	const n = 200
	for i := range n {
		cycle(t, i)
	}
	elapsed := time.Since(start)
	after := done()
	t.Logf("%d cycles in %v (%v each); before %+v, after %+v", n, elapsed.Round(time.Millisecond),
		(elapsed / n).Round(time.Microsecond), before, after)
}

func cycle(t *testing.T, i int) {
	id, size := barsID, Size{Width: 64, Height: 48}
	if i%2 == 1 {
		id, size = linesID, Size{Width: 320, Height: 240}
	}
	opts, _ := testOptions(id)
	c, err := OpenWith(opts)
	if err != nil {
		t.Fatalf("cycle %d: %v", i, err)
	}
	cfg := nv12Config(c, size)
	if i%3 == 0 {
		cfg.Lores = &StreamConfig{Size: size, Format: FormatNV12}
	}
	if _, err := c.Configure(cfg); err != nil {
		t.Fatalf("cycle %d: %v", i, err)
	}
	if err := c.Start(); err != nil {
		t.Fatalf("cycle %d: %v", i, err)
	}
	r := capture(t, c)
	if _, err := r.Frame(Main); err != nil {
		t.Fatal(err)
	}
	if i%4 == 0 {
		// Held across Stop and Close, released afterwards.
		if err := c.Stop(); err != nil {
			t.Fatal(err)
		}
		c.Close()
		r.Release()
		return
	}
	r.Release()
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
}
