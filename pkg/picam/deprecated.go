package picam

// Names kept for one release after the "Stream" names were made distinct
// (StreamName for a stream of a configuration, FrameStream for a feed of
// frames). They will be removed in the release after.

import "context"

// Stream is the former name of [StreamName].
//
// Deprecated: use StreamName.
type Stream = StreamName

// StreamOptions is the former name of [FrameStreamOptions].
//
// Deprecated: use FrameStreamOptions.
type StreamOptions = FrameStreamOptions

// StreamStats is the former name of [FrameStreamStats].
//
// Deprecated: use FrameStreamStats.
type StreamStats = FrameStreamStats

// Stream is the former name of [Camera.OpenFrameStream].
//
// Deprecated: use OpenFrameStream.
func (c *Camera) Stream(ctx context.Context, opts FrameStreamOptions) (*FrameStream, error) {
	return c.OpenFrameStream(ctx, opts)
}
