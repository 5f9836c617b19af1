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
// Like Stop, it first waits for a running callback to give its frame back,
// as long as Stop would: a callback still running then makes it fail with
// a [*CallbackStuckError], the camera left stopped in its previous
// configuration.
func (c *Camera) SwitchMode(cfg Configuration) ([]Adjustment, error) {
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
	adj, err := c.configureLocked(cfg)
	if err != nil {
		if running && c.cfg != nil {
			// Refused before the old configuration was dropped: resume it.
			if serr := c.startLocked(); serr != nil {
				err = errors.Join(err, serr)
			}
		}
		return adj, err
	}
	if !running {
		return adj, nil
	}
	return adj, c.startLocked()
}

// SwitchModeAndCapture switches to cfg, drops delay frames, captures one,
// passes it to fn, releases it and switches back to the previous
// configuration (Picamera2's switch_mode_and_capture_*). The camera must be
// started.
func (c *Camera) SwitchModeAndCapture(ctx context.Context, cfg Configuration, delay int, fn func(*CompletedRequest) error) error {
	if fn == nil {
		return fmt.Errorf("picam: switch mode of %s: nil function: %w", c.id, ErrInvalid)
	}
	prev, err := c.Configuration()
	if err != nil {
		return err
	}
	if !c.Started() {
		return fmt.Errorf("picam: switch mode of %s: %w", c.id, ErrNotStarted)
	}
	if _, err := c.SwitchMode(cfg); err != nil {
		return err
	}
	ferr := func() error {
		if err := c.DropFrames(ctx, delay); err != nil {
			return err
		}
		r, err := c.CaptureRequest(ctx)
		if err != nil {
			return err
		}
		defer r.Release()
		return fn(r)
	}()
	if _, err := c.SwitchMode(prev); err != nil && ferr == nil {
		ferr = err
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
