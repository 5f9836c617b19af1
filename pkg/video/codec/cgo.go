package codec

// The build flags of the C layer (codec.h), in one place. -O3: gcc's
// -O2 (cgo's default) does not vectorise the deinterleave of NV12's
// chroma for TurboJPEG, which then takes 0.75 ms of a 1080p frame's 4 ms
// instead of 0.1 ms (BenchmarkJPEG1080p).

/*
#cgo pkg-config: libavcodec libavformat libavutil libturbojpeg
#cgo CFLAGS: -std=gnu11 -O3 -Wall -Werror=deprecated-declarations
#include <libavutil/error.h>
#include "codec.h"
#include "common.h"
enum {
	pvErrEncoderNotFound = AVERROR_ENCODER_NOT_FOUND,
	pvErrMuxerNotFound = AVERROR_MUXER_NOT_FOUND,
	pvErrOptionNotFound = AVERROR_OPTION_NOT_FOUND,
};
*/
import "C"

import (
	"errors"
	"fmt"
	"syscall"
)

// errBuf is where the C layer writes an error's message.
type errBuf [512]C.char

func (b *errBuf) ptr() *C.char { return &b[0] }

func (b *errBuf) size() C.size_t { return C.size_t(len(b)) }

// Error is a failure of FFmpeg or TurboJPEG: the code the C layer returned
// (an AVERROR, which is -errno for system errors) and its message, with
// what FFmpeg logged during the call. It matches [ErrUnsupported] for
// encoders, containers and options FFmpeg does not have, and the
// syscall.Errno of system errors (errors.Is(err, syscall.ENOSPC)).
type Error struct {
	Code int
	Msg  string
}

func (e *Error) Error() string { return "codec: " + e.Msg }

// Is matches ErrUnsupported and errno values.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrUnsupported:
		return e.Code == int(C.pvErrEncoderNotFound) || e.Code == int(C.pvErrMuxerNotFound) ||
			e.Code == int(C.pvErrOptionNotFound)
	case ErrInvalid:
		return e.Code == -int(syscall.EINVAL)
	}
	if errno, ok := target.(syscall.Errno); ok {
		return e.Code == -int(errno)
	}
	return false
}

// ErrUnsupported matches an encoder, container or option this FFmpeg lacks.
var ErrUnsupported = errors.New("codec: not supported")

// ErrInvalid matches bad arguments (a size, a quality, a frame rate).
var ErrInvalid = errors.New("codec: invalid argument")

// ErrClosed is returned by calls on a closed encoder or muxer.
var ErrClosed = errors.New("codec: closed")

func cError(code C.int, b *errBuf) error {
	return &Error{Code: int(code), Msg: C.GoString(b.ptr())}
}

// Live counts the FFmpeg and TurboJPEG objects open now: what a leak
// would grow.
type Live struct {
	Encoders, Muxers, JPEGs int64
}

func (l Live) String() string {
	return fmt.Sprintf("{encoders:%d muxers:%d jpegs:%d}", l.Encoders, l.Muxers, l.JPEGs)
}

// LiveCounts returns what is open now.
func LiveCounts() Live {
	var l C.pv_live
	C.pv_live_counts(&l)
	return Live{Encoders: int64(l.encoders), Muxers: int64(l.muxers), JPEGs: int64(l.jpegs)}
}

// SetFFmpegLog makes FFmpeg print its log lines at level or more severe to
// stderr (FFmpeg's levels: 16 error, 24 warning, 32 info). By default it
// prints nothing; its warnings and errors are in the errors returned.
func SetFFmpegLog(level int) {
	C.pv_init()
	C.pv_log_level(C.int(level))
}
