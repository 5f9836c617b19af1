package picam

// The capture calls (Picamera2's capture_* family): each hands a waiter to
// the running engine (engine.go) and turns the frame it gets into what the
// caller asked for.

import (
	"context"
	"fmt"
	"image"
	"time"
)

// CaptureOption is an option of [Camera.CaptureRequest]: [After], [Flush]
// or [WithControls].
type CaptureOption struct{ apply func(*waiter) }

// After asks for a frame whose exposure started at or after t (Picamera2's
// flush=timestamp): its SensorTimestamp minus its ExposureTime, where the
// camera reports one.
func After(t time.Time) CaptureOption {
	mono := MonotonicNow() - int64(time.Since(t))
	return CaptureOption{func(w *waiter) { w.after = mono }}
}

// Flush asks for a frame whose exposure started after the capture call
// (Picamera2's flush=True).
func Flush() CaptureOption {
	return CaptureOption{func(w *waiter) { w.after = MonotonicNow() }}
}

// WithControls asks for a frame queued with the controls of SetControls call
// id, or later ones.
func WithControls(id ControlsID) CaptureOption {
	return CaptureOption{func(w *waiter) { w.ctrl = id }}
}

// CaptureRequest returns the next frame (Picamera2's capture_request).
// Release it when done. Called before Start (or after Stop), it waits for
// the camera to start, as Picamera2 queues it. It fails with ctx's error,
// [ErrNotStarted] if the camera stops while the call waits for a frame,
// [ErrClosed] if it is closed (at once for a closed camera), and
// [ErrStalled] if the camera delivers no frame within its stall timeout.
// The other capture calls, and their asynchronous forms, do the same.
//
// Every caller waiting when a frame arrives receives it; a frame is never
// handed out again to a later call. With [Configuration.Queue], the newest
// frame nobody took is kept and returned at once: use [Flush] for a frame
// from after the call.
func (c *Camera) CaptureRequest(ctx context.Context, opts ...CaptureOption) (*CompletedRequest, error) {
	var buf [siteDepth]uintptr
	return c.captureRequest(ctx, opts, captureSite(ctx, &buf))
}

// captureRequest is every capture call's core: the next frame, as a
// request captured at pcs.
func (c *Camera) captureRequest(ctx context.Context, opts []CaptureOption, pcs []uintptr) (*CompletedRequest, error) {
	s, err := c.wait(ctx, opts)
	if err != nil {
		return nil, err
	}
	return newCompleted(s, nil, "", pcs), nil
}

func (c *Camera) wait(ctx context.Context, opts []CaptureOption) (*slot, error) {
	e, err := c.awaitEngine(ctx, "capture from")
	if err != nil {
		return nil, err
	}
	return c.waitOn(ctx, e, opts)
}

// waitOn waits for a frame of engine e: a call that needs several frames
// waits for the Start once, and ends with e's error if e stops.
func (c *Camera) waitOn(ctx context.Context, e *engine, opts []CaptureOption) (*slot, error) {
	w := c.newWaiter()
	for _, o := range opts {
		if o.apply != nil {
			o.apply(w)
		}
	}
	w.users.Store(2) // this call and the engine
	select {
	case <-ctx.Done():
		c.waiters.put(w)
		return nil, ctx.Err()
	default:
	}
	if !e.addWaiter(w) {
		c.waiters.put(w) // the engine never saw it
		return nil, e.endErr
	}
	if c.waitHanded != nil {
		c.waitHanded()
	}
	select {
	case res := <-w.ch:
		w.done(c)
		return res.s, res.err
	case <-ctx.Done():
		if w.state.CompareAndSwap(waitPending, waitCancelled) {
			w.done(c)
			return nil, ctx.Err()
		}
		// Delivered meanwhile: give the frame back.
		if res := <-w.ch; res.s != nil {
			res.s.unref()
		}
		w.done(c)
		return nil, ctx.Err()
	}
}

// DropFrames waits for n frames and drops them (Picamera2's drop_frames).
// Called before Start, it waits for it; if the camera stops before the
// n-th frame, it fails as a waiting capture does.
func (c *Camera) DropFrames(ctx context.Context, n int) error {
	if n <= 0 {
		return nil
	}
	e, err := c.awaitEngine(ctx, "drop frames of")
	if err != nil {
		return err
	}
	for range n {
		s, err := c.waitOn(ctx, e, nil)
		if err != nil {
			return err
		}
		s.unref()
	}
	return nil
}

// CaptureMetadata returns the next frame's metadata (Picamera2's
// capture_metadata).
func (c *Camera) CaptureMetadata(ctx context.Context, opts ...CaptureOption) (Metadata, error) {
	s, err := c.wait(ctx, opts)
	if err != nil {
		return Metadata{}, err
	}
	defer s.unref()
	md, err := s.metadata()
	if err != nil {
		return Metadata{}, fmt.Errorf("picam: metadata: %w", err)
	}
	return Metadata{list: md}, nil
}

// CaptureFrame returns a copy of one stream of the next frame, made on the
// caller's goroutine (Picamera2's capture_array; the copy keeps the
// stream's layout, see [Frame]).
func (c *Camera) CaptureFrame(ctx context.Context, stream StreamName, opts ...CaptureOption) (out Frame, md Metadata, err error) {
	var buf [siteDepth]uintptr
	err = c.withFrame(ctx, stream, opts, captureSite(ctx, &buf), func(r *CompletedRequest, f Frame) error {
		out = f.Clone()
		var err error
		md, err = r.Metadata()
		return err
	})
	return out, md, err
}

// withFrame captures the next frame, passes it and its view of stream to
// fn, and releases it when fn returns.
func (c *Camera) withFrame(ctx context.Context, stream StreamName, opts []CaptureOption, pcs []uintptr, fn func(*CompletedRequest, Frame) error) error {
	r, err := c.captureRequest(ctx, opts, pcs)
	if err != nil {
		return err
	}
	defer r.Release()
	f, err := r.Frame(stream)
	if err != nil {
		return err
	}
	return fn(r, f)
}

// CaptureFrameInto is [Camera.CaptureFrame] copying into dst, whose memory
// it reuses as [Frame.CloneInto] does: a loop capturing into the same dst
// copies each frame at memory speed, without new memory for every frame.
func (c *Camera) CaptureFrameInto(ctx context.Context, dst *Frame, stream StreamName, opts ...CaptureOption) (md Metadata, err error) {
	if dst == nil {
		return Metadata{}, fmt.Errorf("picam: capture frame from %s: nil destination: %w", c.id, ErrInvalid)
	}
	var buf [siteDepth]uintptr
	err = c.withFrame(ctx, stream, opts, captureSite(ctx, &buf), func(r *CompletedRequest, f Frame) error {
		f.CloneInto(dst)
		var err error
		md, err = r.Metadata()
		return err
	})
	return md, err
}

// CaptureBuffer returns a copy of one stream's whole buffer, planes one after
// the other with their line padding (Picamera2's capture_buffer).
func (c *Camera) CaptureBuffer(ctx context.Context, stream StreamName, opts ...CaptureOption) (buf []byte, err error) {
	var site [siteDepth]uintptr
	err = c.withFrame(ctx, stream, opts, captureSite(ctx, &site), func(_ *CompletedRequest, f Frame) error {
		buf = f.AppendBytes(make([]byte, 0, f.Len()))
		return nil
	})
	return buf, err
}

// CaptureImage returns one stream of the next frame as an image that owns
// its pixels (Picamera2's capture_image).
func (c *Camera) CaptureImage(ctx context.Context, stream StreamName, opts ...CaptureOption) (img image.Image, err error) {
	var buf [siteDepth]uintptr
	err = c.withFrame(ctx, stream, opts, captureSite(ctx, &buf), func(_ *CompletedRequest, f Frame) error {
		img, err = f.Clone().Image()
		return err
	})
	return img, err
}

// CaptureFile writes one stream of the next frame to a file, as JPEG, PNG
// or DNG (a raw stream) after its extension (.jpg, .jpeg, .png, .dng), with
// the frame's EXIF in JPEG and DNG ([CompletedRequest.Exif]), and returns
// the frame's metadata (Picamera2's capture_file). The frame is encoded
// straight from the camera's buffer on the caller's goroutine.
// [Camera.CaptureTo] takes an io.Writer and [FileOptions].
func (c *Camera) CaptureFile(ctx context.Context, path string, stream StreamName, opts ...CaptureOption) (md Metadata, err error) {
	var buf [siteDepth]uintptr
	err = c.withFrame(ctx, stream, opts, captureSite(ctx, &buf), func(r *CompletedRequest, f Frame) error {
		if err := r.Save(path, stream, 0); err != nil {
			return err
		}
		var err error
		md, err = r.Metadata()
		return err
	})
	return md, err
}
