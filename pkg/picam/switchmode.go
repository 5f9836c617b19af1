package picam

// Mode switches (Picamera2's switch_mode family): stop, configure and
// start again, optionally capturing one frame in the other mode.

import (
	"context"
	"errors"
	"fmt"
)

// SwitchMode stops the camera if it is started, configures it with cfg and
// starts it again if it was started. It returns Configure's adjustments.
// Requests of the previous mode the application holds stay valid until
// released (see [Camera.Configure]). A switch that fails leaves the camera
// in its previous mode, started again if it was started; should even that
// fail, the camera is left stopped and unconfigured, never in a mode
// nobody asked for.
//
// Like Stop, it first waits for a running callback to give its frame back,
// as long as Stop would: a callback still running then makes it fail with
// a [*CallbackStuckError], the camera left stopped in its previous
// configuration.
func (c *Camera) SwitchMode(cfg Configuration) ([]Adjustment, error) {
	return c.switchMode(cfg, true)
}

// switchMode is SwitchMode; when cfg fails, restore asks for the previous
// mode back, and without it the camera is left stopped and unconfigured.
func (c *Camera) switchMode(cfg Configuration, restore bool) ([]Adjustment, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, c.errClosed("switch mode of")
	}
	running := c.eng.Load() != nil
	if err := c.stopLocked(c.errStopped()); err != nil {
		c.mu.Unlock()
		return nil, err
	}
	// A callback may still hold a frame of the old mode: wait for it
	// without mu, which the callback may need, as Stop does.
	stopped := c.pendingCallbacks()
	c.mu.Unlock()
	if err := c.waitBounded(func(ctx context.Context) error { return c.waitCallbacks(ctx, stopped) }); err != nil {
		return nil, fmt.Errorf("picam: switch mode of %s: %w", c.id, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, c.errClosed("switch mode of")
	}
	if err := c.stopLocked(c.errStopped()); err != nil { // started again meanwhile
		return nil, err
	}
	var prev *Configuration
	if c.cfg != nil {
		prev = new(c.cfg.clone())
	}
	adj, err := c.configureLocked(cfg)
	if err != nil {
		return adj, errors.Join(err, c.afterFailedSwitch(prev, running, restore))
	}
	if !running {
		return adj, nil
	}
	if err := c.startLocked(); err != nil {
		return adj, errors.Join(err, c.afterFailedSwitch(prev, running, restore))
	}
	return adj, nil
}

// afterFailedSwitch leaves the camera in a mode the caller asked for once
// a switch failed: with restore, the previous configuration prev (started
// again if it ran), configured again if the failure came after it was
// dropped; without, or if that fails too, none (stopped, unconfigured).
// With mu held.
func (c *Camera) afterFailedSwitch(prev *Configuration, running, restore bool) error {
	var err error
	if restore && prev != nil {
		if c.cfg == nil || c.set == nil {
			p := prev.clone()
			p.Strict = false
			if _, err = c.configureLocked(p); err != nil {
				err = fmt.Errorf("picam: switch mode of %s: configuring the previous mode again: %w", c.id, err)
			}
		}
		if err == nil && running {
			if err = c.startLocked(); err != nil {
				err = fmt.Errorf("picam: switch mode of %s: starting the previous mode again: %w", c.id, err)
			}
		}
		if err == nil {
			return nil
		}
	}
	c.stopLocked(c.errStopped())
	if c.set != nil {
		c.dropSet()
	}
	c.cfg = nil
	return err
}

// SwitchModeAndCapture switches to cfg, drops delay frames, captures one,
// passes it to fn, releases it and switches back to the previous
// configuration (Picamera2's switch_mode_and_capture_*). The camera must be
// started. fn may keep the request ([CompletedRequest.Acquire]): it stays
// valid after the switch back, until released. If the switch back fails,
// the camera is left stopped and unconfigured, not in cfg's mode.
func (c *Camera) SwitchModeAndCapture(ctx context.Context, cfg Configuration, delay int, fn func(*CompletedRequest) error) error {
	if fn == nil {
		return fmt.Errorf("picam: switch mode of %s: nil function: %w", c.id, ErrInvalid)
	}
	return c.switchModeAndCapture(ctx, cfg, delay, callerSite(new([siteDepth]uintptr)), func(r *CompletedRequest, _ *ModeCapture) error { return fn(r) })
}

// switchModeAndCapture is SwitchModeAndCapture with the capture recorded
// at pcs, and fn told what the switch applied.
func (c *Camera) switchModeAndCapture(ctx context.Context, cfg Configuration, delay int, pcs []uintptr, fn func(*CompletedRequest, *ModeCapture) error) error {
	prev, err := c.Configuration()
	if err != nil {
		return err
	}
	if !c.Started() {
		return fmt.Errorf("picam: switch mode of %s: %w", c.id, ErrNotStarted)
	}
	var mc ModeCapture
	if mc.Adjustments, err = c.switchMode(cfg, true); err != nil {
		return err
	}
	ferr := func() error {
		var err error
		if mc.Configuration, err = c.Configuration(); err != nil {
			return err
		}
		if err := c.DropFrames(ctx, delay); err != nil {
			return err
		}
		r, err := c.captureRequest(ctx, nil, pcs)
		if err != nil {
			return err
		}
		defer r.Release()
		if mc.Metadata, err = r.Metadata(); err != nil {
			return err
		}
		return fn(r, &mc)
	}()
	// Back to the previous mode; failing that, to none rather than stay
	// in cfg, which was asked for one capture only.
	if _, err := c.switchMode(prev, false); err != nil {
		ferr = errors.Join(ferr, err)
	}
	return ferr
}

// SwitchModeAndCaptureFile switches to cfg, writes one frame's stream to
// path and switches back (Picamera2's switch_mode_and_capture_file).
func (c *Camera) SwitchModeAndCaptureFile(ctx context.Context, cfg Configuration, path string, stream StreamName) (Metadata, error) {
	var md Metadata
	err := c.SwitchModeAndCapture(ctx, cfg, 0, func(r *CompletedRequest) error {
		if err := r.Save(path, stream, c.opts.JPEGQuality); err != nil {
			return err
		}
		var err error
		md, err = r.Metadata()
		return err
	})
	return md, err
}

// SwitchModeCaptureRequestAndStop switches to cfg, captures one frame and
// stops the camera, returning the frame (Picamera2's
// switch_mode_capture_request_and_stop). Release the frame before
// configuring the camera again.
func (c *Camera) SwitchModeCaptureRequestAndStop(ctx context.Context, cfg Configuration) (*CompletedRequest, error) {
	if _, err := c.SwitchMode(cfg); err != nil {
		return nil, err
	}
	if err := c.Start(); err != nil {
		return nil, err
	}
	r, err := c.CaptureRequest(ctx)
	if serr := c.Stop(); err == nil && serr != nil {
		r.Release()
		return nil, serr
	}
	return r, err
}
