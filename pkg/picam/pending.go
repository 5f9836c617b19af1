package picam

// Controls set while the camera runs: SetControls validates them
// (controls.go) and keeps them pending until the engine queues the next
// request with them. The longest exposure or frame duration asked for
// stretches the stall timeout.

import (
	"time"

	"github.com/picamgo/picamgo/libcamera"
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
//
// Numbers beyond the camera's limits are clamped to them, as libcamera
// does and Picamera2 programs expect, and returned as adjustments (also
// logged at Info level); values that mean nothing (see [Controls]), of the
// wrong type, or that the camera lacks are refused with a [*ControlError].
func (c *Camera) SetControls(ctrls Controls) (ControlsID, []Adjustment, error) {
	if c.isClosed() {
		return 0, nil, c.errClosed("set controls of")
	}
	list, adj, err := c.validate(&ctrls)
	if err != nil {
		return 0, nil, err
	}
	if list == nil {
		return 0, nil, nil
	}
	if len(adj) > 0 {
		c.log.Info("picam: controls clamped to the camera's limits", "camera", c.id, "adjustments", adj)
	}
	c.noteDurations(&ctrls)
	c.ctrlMu.Lock()
	defer c.ctrlMu.Unlock()
	if c.pending == nil {
		c.pending = list
	} else {
		c.pending.Merge(list, libcamera.MergeOverwriteExisting)
	}
	if c.current == nil {
		c.current = c.lc.Controls().NewControlList()
	}
	c.current.Merge(list, libcamera.MergeOverwriteExisting)
	c.lastID++
	c.pendingID = c.lastID
	return c.pendingID, adj, nil
}

// Controls returns the value of every control the program has set, as
// Picamera2's picam2.controls: the configuration's controls, then each
// SetControls since, as clamped to the camera's limits. A new Configure
// starts again from its controls.
func (c *Camera) Controls() *ControlList {
	c.ctrlMu.Lock()
	defer c.ctrlMu.Unlock()
	if c.current == nil {
		return c.lc.Controls().NewControlList()
	}
	return c.current.Clone()
}

// resetControls makes the configuration's controls, under those still
// pending, the values in force: Configure starts afresh, as Picamera2's.
func (c *Camera) resetControls(start *libcamera.ControlList) {
	c.ctrlMu.Lock()
	defer c.ctrlMu.Unlock()
	c.current = c.lc.Controls().NewControlList()
	c.current.Merge(start, libcamera.MergeOverwriteExisting)
	c.current.Merge(c.pending, libcamera.MergeOverwriteExisting)
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

// takePending returns the pending controls (nil if none) and the newest
// id, emptying them.
func (c *Camera) takePending() (*libcamera.ControlList, ControlsID) {
	c.ctrlMu.Lock()
	defer c.ctrlMu.Unlock()
	p := c.pending
	c.pending = nil
	return p, c.pendingID
}

// restorePending puts back controls that could not be applied, under any
// set since.
func (c *Camera) restorePending(p *libcamera.ControlList) {
	if p == nil {
		return
	}
	c.ctrlMu.Lock()
	defer c.ctrlMu.Unlock()
	p.Merge(c.pending, libcamera.MergeOverwriteExisting)
	c.pending = p
}

func (c *Camera) stallTimeout() time.Duration {
	return max(c.opts.StallTimeout, 3*time.Duration(c.longest.Load()))
}
