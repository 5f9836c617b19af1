package video

import (
	"errors"

	"github.com/picamgo/picamgo/pkg/video/codec"
)

// Packet is one encoded frame on its way to the outputs, with the frame it
// came from. Outputs share it: they must not change Data.
type Packet struct {
	codec.Packet
	// Sequence and SensorTimestamp (CLOCK_MONOTONIC ns) of the frame.
	Sequence        uint32
	SensorTimestamp int64
}

// StreamInfo describes a recording's encoded stream to its outputs: codec,
// size, H.264's SPS and PPS, nominal frame rate, colour.
type StreamInfo = codec.StreamInfo

// Output is where a recording's packets go (Picamera2's Output). The
// recording calls its methods from one goroutine of the output's own, so
// that a slow output holds up neither the encoder nor the other outputs:
// Open once, before the first packet (for H.264 a keyframe with its SPS
// and PPS), then WritePacket for each packet, then Close once (also after
// an error). An error from Open or WritePacket ends that output only; the
// recording reports it ([Recording.Err], [OutputStats]).
//
// The package's outputs: [Writer], [File], [Container], [Segments],
// [Circular], [ListenTCP], [MJPEGHandler].
type Output interface {
	Open(info StreamInfo) error
	WritePacket(p *Packet) error
	Close() error
}

// Errors the package returns, for errors.Is.
var (
	// ErrInvalid: bad options.
	ErrInvalid = errors.New("video: invalid argument")
	// ErrUnsupported: a format or container the encoders or outputs do not take.
	ErrUnsupported = errors.New("video: not supported")
	// ErrStopped: the recording or output was stopped.
	ErrStopped = errors.New("video: stopped")
)
