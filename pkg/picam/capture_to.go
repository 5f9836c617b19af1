package picam

import (
	"context"
	"io"
)

// CaptureTo writes one stream of the next frame to w in opts.Format (which
// it needs: a writer has no file name) and returns the frame's metadata:
// Picamera2's capture_file given a file-like object such as io.BytesIO.
// JPEG and DNG get the frame's EXIF unless opts say otherwise (see
// [CompletedRequest.Encode]). The frame is encoded straight from the
// camera's buffer on the caller's goroutine, and given back when w has it
// all, or failed.
func (c *Camera) CaptureTo(ctx context.Context, w io.Writer, stream StreamName, opts FileOptions, capture ...CaptureOption) (md Metadata, err error) {
	var buf [siteDepth]uintptr
	pcs := captureSite(ctx, &buf)
	if _, err := opts.format(""); err != nil {
		return Metadata{}, err // before a frame is taken for nothing
	}
	err = c.withFrame(ctx, stream, capture, pcs, func(r *CompletedRequest, _ Frame) error {
		if err := r.Encode(w, stream, opts); err != nil {
			return err
		}
		var err error
		md, err = r.Metadata()
		return err
	})
	return md, err
}

// CaptureToAsync is [Camera.CaptureTo] as a [Job]: the frame is encoded
// and written on the job's goroutine. Cancelling does not stop a write
// already started; w must not be used until the job is done.
func (c *Camera) CaptureToAsync(ctx context.Context, w io.Writer, stream StreamName, opts FileOptions, capture ...CaptureOption) *Job[Metadata] {
	var buf [siteDepth]uintptr
	return startJob(c, ctx, callerSite(&buf), nil, func(ctx context.Context) (Metadata, error) {
		return c.CaptureTo(ctx, w, stream, opts, capture...)
	})
}
