package picam

import "testing"

// TestStatsHeldWhileRunning: a running camera that keeps no frame back,
// with nothing held by anyone, reports Held 0 however often it is asked
// while frames flow (it reported the frame the engine was handing over,
// when read at that instant: a leak that was none to a caller).
func TestStatsHeldWhileRunning(t *testing.T) {
	c, _ := startCamera(t, barsID, small, startOpts{NoQueue: true, Running: true})
	from := c.Stats().Frames
	reads, wrong := 0, 0
	for c.Stats().Frames < from+300 {
		reads++
		if st := c.Stats(); st.Held != 0 {
			wrong++
		}
	}
	if wrong != 0 {
		t.Errorf("Stats.Held was not 0 in %d of %d reads, with nothing held", wrong, reads)
	}
}
