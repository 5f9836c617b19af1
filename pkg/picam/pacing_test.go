package picam

import (
	"testing"
	"time"
)

// TestPacedCameraNeverStalls: a camera paced slower than its stall timeout
// (a 0.5 fps camera with a 1s timeout, as a 0.2 fps one with the default
// 3s) delivers every frame a capture asks for, and no stall is reported:
// the watchdog gives each frame its period on top of the timeout. Each gap
// between frames is at least the period (frames never come early), so
// without that a stall is certain.
func TestPacedCameraNeverStalls(t *testing.T) {
	const rate, timeout = 0.5, time.Second
	c, _ := startCamera(t, barsID, small, startOpts{NoQueue: true, Options: func(o *Options) {
		o.MaxFrameRate, o.StallTimeout = rate, timeout
	}})
	var seqs []uint32
	for range 4 { // the first at once, then three a period (2s) apart
		r, err := c.CaptureRequest(ctxT(t))
		if err != nil {
			t.Fatalf("capture %d from a paced camera: %v", len(seqs), err)
		}
		seqs = append(seqs, r.Sequence())
		r.Release()
	}
	if st := c.Stats(); st.Stalls != 0 {
		t.Errorf("%d stalls reported by a camera paced at %v frames/s", st.Stalls, rate)
	}
	for i := 1; i < len(seqs); i++ {
		if seqs[i] != seqs[i-1]+1 {
			t.Errorf("sequences %v: frames were skipped", seqs)
		}
	}
}
