package picam

// The switch-mode captures that return what they captured (Picamera2's
// switch_mode_and_capture_array, _image, _buffer, _request, _metadata),
// the asynchronous mode switch, and start_and_capture_file(s).

import (
	"context"
	"fmt"
	"image"
	"time"
)

// ModeCapture is what a switch-mode capture tells besides its value: the
// configuration the camera applied for the capture (strides, frame sizes,
// colour spaces filled in, as [Camera.Configuration] gives it), what
// libcamera adjusted of the one asked for, and the frame's metadata.
type ModeCapture struct {
	Configuration Configuration
	Adjustments   []Adjustment
	Metadata      Metadata
}

// SwitchModeAndCaptureRequest switches to cfg, drops delay frames, captures
// one and switches back, returning the frame (Picamera2's
// switch_mode_and_capture_request). The request stays valid in the
// previous mode, until released: release it. Its buffer, of cfg's mode,
// is freed then.
func (c *Camera) SwitchModeAndCaptureRequest(ctx context.Context, cfg Configuration, delay int) (*CompletedRequest, ModeCapture, error) {
	pcs := callerSite(new([siteDepth]uintptr))
	var kept *CompletedRequest
	var mc ModeCapture
	err := c.switchModeAndCapture(ctx, cfg, delay, pcs, func(r *CompletedRequest, m *ModeCapture) error {
		r.h.s.ref()
		kept, mc = newCompleted(r.h.s, nil, "", pcs), *m
		return nil
	})
	if err != nil {
		if kept != nil {
			kept.Release()
		}
		return nil, ModeCapture{}, err
	}
	return kept, mc, nil
}

// SwitchModeAndCaptureFrame switches to cfg, drops delay frames, copies one
// stream of the next frame and switches back (Picamera2's
// switch_mode_and_capture_array). The copy is made before the switch back.
func (c *Camera) SwitchModeAndCaptureFrame(ctx context.Context, cfg Configuration, stream StreamName, delay int) (Frame, ModeCapture, error) {
	var out Frame
	mc, err := c.switchCapture(ctx, cfg, delay, func(r *CompletedRequest) error {
		f, err := r.Frame(stream)
		out = f.Clone()
		return err
	})
	return out, mc, err
}

// SwitchModeAndCaptureBuffer is [Camera.SwitchModeAndCaptureFrame] giving
// the stream's whole buffer, planes one after the other with their line
// padding (Picamera2's switch_mode_and_capture_buffer); [MakeFrame] with
// the returned configuration's stream splits it again.
func (c *Camera) SwitchModeAndCaptureBuffer(ctx context.Context, cfg Configuration, stream StreamName, delay int) ([]byte, ModeCapture, error) {
	var out []byte
	mc, err := c.switchCapture(ctx, cfg, delay, func(r *CompletedRequest) error {
		f, err := r.Frame(stream)
		out = f.AppendBytes(make([]byte, 0, f.Len()))
		return err
	})
	return out, mc, err
}

// SwitchModeAndCaptureImage is [Camera.SwitchModeAndCaptureFrame] giving an
// image that owns its pixels (Picamera2's switch_mode_and_capture_image).
func (c *Camera) SwitchModeAndCaptureImage(ctx context.Context, cfg Configuration, stream StreamName, delay int) (image.Image, ModeCapture, error) {
	var out image.Image
	mc, err := c.switchCapture(ctx, cfg, delay, func(r *CompletedRequest) error {
		f, err := r.Frame(stream)
		if err != nil {
			return err
		}
		out, err = f.Clone().Image()
		return err
	})
	return out, mc, err
}

// SwitchModeAndCaptureMetadata switches to cfg, drops delay frames and
// returns the next frame's metadata (in the ModeCapture) before switching
// back, as Picamera2's switch_mode_and_capture_metadata.
func (c *Camera) SwitchModeAndCaptureMetadata(ctx context.Context, cfg Configuration, delay int) (ModeCapture, error) {
	return c.switchCapture(ctx, cfg, delay, func(*CompletedRequest) error { return nil })
}

func (c *Camera) switchCapture(ctx context.Context, cfg Configuration, delay int, fn func(*CompletedRequest) error) (ModeCapture, error) {
	var mc ModeCapture
	err := c.switchModeAndCapture(ctx, cfg, delay, callerSite(new([siteDepth]uintptr)), func(r *CompletedRequest, m *ModeCapture) error {
		mc = *m
		return fn(r)
	})
	if err != nil {
		return ModeCapture{}, err
	}
	return mc, nil
}

// SwitchModeAsync is [Camera.SwitchMode] as a [Job] (Picamera2's
// switch_mode(wait=False)): the switch runs on the job's goroutine and the
// job's result is the adjustments. Cancelling the job does not stop a
// switch under way.
func (c *Camera) SwitchModeAsync(ctx context.Context, cfg Configuration) *Job[[]Adjustment] {
	return startJob(c, ctx, nil, nil, func(context.Context) ([]Adjustment, error) {
		return c.SwitchMode(cfg)
	})
}

// StartCaptureOptions are how [Camera.StartAndCaptureFile] and
// [Camera.StartAndCaptureFiles] run (Picamera2's start_and_capture_file(s)
// arguments). The zero value captures at once in the still configuration.
type StartCaptureOptions struct {
	// Preview is the mode of the preview phase, before and between the
	// files; nil means [Camera.PreviewConfiguration]. With NoPreview the
	// camera runs in the capture mode only.
	Preview   *Configuration
	NoPreview bool
	// Capture is the mode of the files; nil means
	// [Camera.StillConfiguration].
	Capture *Configuration
	// InitialDelay is the preview phase before the first file (Picamera2's
	// delay / initial_delay, 1 s by default there; none here).
	InitialDelay time.Duration
	// Delay is the time between two files.
	Delay time.Duration
	// Stream is the stream written (Main by default).
	Stream StreamName
	// File says how each file is written; an empty Format is taken from
	// the file name's extension.
	File FileOptions
}

// StartAndCaptureFile configures and starts the camera, runs the preview
// phase, writes one file in the capture mode and stops the camera
// (Picamera2's start_and_capture_file). It returns the frame's metadata.
func (c *Camera) StartAndCaptureFile(ctx context.Context, path string, opts StartCaptureOptions) (Metadata, error) {
	var md Metadata
	err := c.startAndCapture(ctx, 1, opts, func(_ int, r *CompletedRequest) error {
		var err error
		if err = r.SaveWith(path, opts.Stream, opts.File); err == nil {
			md, err = r.Metadata()
		}
		return err
	})
	return md, err
}

// StartAndCaptureFiles is [Camera.StartAndCaptureFile] for n files, Delay
// apart (Picamera2's start_and_capture_files): the names are
// fmt.Sprintf(pattern, i) for i from 0, such as "image%03d.jpg". It
// returns the names written; on an error, those written before it.
func (c *Camera) StartAndCaptureFiles(ctx context.Context, pattern string, n int, opts StartCaptureOptions) ([]string, error) {
	if n <= 0 {
		return nil, fmt.Errorf("picam: start and capture %d files: %w", n, ErrInvalid)
	}
	var names []string
	err := c.startAndCapture(ctx, n, opts, func(i int, r *CompletedRequest) error {
		name := fmt.Sprintf(pattern, i)
		if err := r.SaveWith(name, opts.Stream, opts.File); err != nil {
			return err
		}
		names = append(names, name)
		return nil
	})
	return names, err
}

func (c *Camera) startAndCapture(ctx context.Context, n int, opts StartCaptureOptions, save func(int, *CompletedRequest) error) (err error) {
	capture := c.StillConfiguration()
	if opts.Capture != nil {
		capture = opts.Capture.clone()
	}
	first := capture
	if !opts.NoPreview {
		first = c.PreviewConfiguration()
		if opts.Preview != nil {
			first = opts.Preview.clone()
		}
	}
	if _, err := c.SwitchMode(first); err != nil {
		return err
	}
	if err := c.Start(); err != nil {
		return err
	}
	defer func() {
		if serr := c.Stop(); err == nil {
			err = serr
		}
	}()
	pcs := callerSite(new([siteDepth]uintptr))
	for i := range n {
		wait := opts.Delay
		if i == 0 {
			wait = opts.InitialDelay
		}
		if err := sleep(ctx, wait); err != nil {
			return err
		}
		save1 := func(r *CompletedRequest, _ *ModeCapture) error { return save(i, r) }
		if opts.NoPreview {
			err = c.withFrameRequest(ctx, pcs, save1)
		} else {
			err = c.switchModeAndCapture(ctx, capture, 0, pcs, save1)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// withFrameRequest captures one frame at pcs and passes it to fn.
func (c *Camera) withFrameRequest(ctx context.Context, pcs []uintptr, fn func(*CompletedRequest, *ModeCapture) error) error {
	r, err := c.captureRequest(ctx, nil, pcs)
	if err != nil {
		return err
	}
	defer r.Release()
	return fn(r, nil)
}

// sleep waits d, or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
