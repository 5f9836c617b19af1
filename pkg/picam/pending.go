package picam

// Controls set while the camera runs: SetControls validates them
// (controls.go) and keeps them pending until the engine queues the next
// request with them. The longest exposure or frame duration asked for
// stretches the stall timeout.

import (
	"time"
)

// ControlsID identifies one [Camera.SetControls] call. IDs increase.
type ControlsID uint64

// SetControls checks the controls against the camera's limits and applies
// them to the next request queued (or at Start if the camera is stopped).
// It returns an id: frames whose [CompletedRequest.ControlsID] is at least
// id were queued with these controls (or later ones); capture one with
// [WithControls]. libcamera applies controls as fast as the sensor allows,
// which is often a few frames later: check the frame's metadata
// (ExposureTime, AnalogueGain, ...) to see the values in force.
func (c *Camera) SetControls(ctrls Controls) (ControlsID, error) {
	if c.isClosed() {
		return 0, c.errClosed("set controls of")
	}
	set, err := c.validate(&ctrls)
	if err != nil {
		return 0, err
	}
	if set.empty() {
		return 0, nil
	}
	c.noteDurations(&ctrls)
	c.ctrlMu.Lock()
	defer c.ctrlMu.Unlock()
	c.pending.merge(set)
	c.lastID++
	c.pendingID = c.lastID
	return c.pendingID, nil
}

// noteDurations remembers the longest exposure or frame duration asked for,
// to stretch the stall timeout.
func (c *Camera) noteDurations(ctrls *Controls) {
	var d time.Duration
	if ctrls.ExposureTime != nil {
		d = max(d, *ctrls.ExposureTime)
	}
	if ctrls.FrameDurationLimits != nil {
		// The minimum: the camera runs at least this slowly. The maximum is
		// often "unlimited" (Picamera2's still default is 1000s).
		d = max(d, ctrls.FrameDurationLimits[0])
	}
	if ctrls.FrameRate != nil && *ctrls.FrameRate > 0 {
		d = max(d, time.Duration(float64(time.Second) / *ctrls.FrameRate))
	}
	for {
		old := c.longest.Load()
		if int64(d) <= old || c.longest.CompareAndSwap(old, int64(d)) {
			return
		}
	}
}

// takePending returns the pending controls and the newest id, emptying them.
func (c *Camera) takePending() (*controlSet, ControlsID) {
	c.ctrlMu.Lock()
	defer c.ctrlMu.Unlock()
	if c.pending.empty() {
		return nil, c.pendingID
	}
	p := c.pending
	c.pending = controlSet{}
	return &p, c.pendingID
}

// restorePending puts back controls that could not be applied, under any
// set since.
func (c *Camera) restorePending(p *controlSet) {
	if p.empty() {
		return
	}
	c.ctrlMu.Lock()
	defer c.ctrlMu.Unlock()
	p.merge(&c.pending)
	c.pending = *p
}

func (c *Camera) stallTimeout() time.Duration {
	return max(c.opts.StallTimeout, 3*time.Duration(c.longest.Load()))
}
