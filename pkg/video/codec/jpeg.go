package codec

/*
#include "codec.h"
*/
import "C"

import (
	"fmt"
	"runtime"
	"time"
	"unsafe"
)

// JPEG compresses 4:2:0 frames with TurboJPEG. Its methods must not be
// called concurrently; use one per goroutine.
type JPEG struct {
	j *C.pv_jpeg
}

// NewJPEG opens a compressor.
func NewJPEG() (*JPEG, error) {
	var eb errBuf
	var j *C.pv_jpeg
	if r := C.pv_jpeg_open(&j, eb.ptr(), eb.size()); r < 0 {
		return nil, cError(r, &eb)
	}
	return &JPEG{j: j}, nil
}

// JPEGBound returns the largest JPEG of a 4:2:0 frame of this size.
func JPEGBound(width, height int) int { return int(C.pv_jpeg_bound(C.int(width), C.int(height))) }

// Append compresses img at quality (1..100) and appends the JPEG to dst.
// The YCbCr values go into the JPEG as they are: a limited-range frame
// (video, luma 16-235) decodes a little flat, as with Picamera2's encoder.
func (j *JPEG) Append(dst []byte, img *Image, quality int) ([]byte, error) {
	out, _, _, err := j.compress(dst, img, quality)
	return out, err
}

// AppendTimed is Append that also returns how long NV12's chroma took to
// deinterleave and how long TurboJPEG took (for benchmarks).
func (j *JPEG) AppendTimed(dst []byte, img *Image, quality int) (out []byte, split, compress time.Duration, err error) {
	return j.compress(dst, img, quality)
}

func (j *JPEG) compress(dst []byte, img *Image, quality int) ([]byte, time.Duration, time.Duration, error) {
	if j.j == nil {
		return dst, 0, 0, fmt.Errorf("codec: jpeg: %w", ErrClosed)
	}
	if err := img.check(); err != nil {
		return dst, 0, 0, err
	}
	bound := JPEGBound(img.Width, img.Height)
	if cap(dst)-len(dst) < bound {
		grown := make([]byte, len(dst), len(dst)+bound)
		copy(grown, dst)
		dst = grown
	}
	var pin runtime.Pinner
	defer pin.Unpin()
	planes, strides := img.cPlanes(&pin)
	room := dst[len(dst):cap(dst)]
	pix := C.int(C.PV_NV12)
	if img.Format == YUV420 {
		pix = C.PV_YUV420
	}
	var split, tj C.int64_t
	var eb errBuf
	n := C.pv_jpeg_compress_timed(j.j, pix, C.int(img.Width), C.int(img.Height), &planes[0], &strides[0], C.int(quality),
		(*C.uint8_t)(unsafe.Pointer(&room[0])), C.size_t(len(room)), &split, &tj, eb.ptr(), eb.size())
	if n < 0 {
		return dst, 0, 0, cError(C.int(n), &eb)
	}
	return dst[:len(dst)+int(n)], time.Duration(split), time.Duration(tj), nil
}

// Close frees the compressor. Closing twice is harmless.
func (j *JPEG) Close() error {
	if j.j != nil {
		C.pv_jpeg_close(j.j)
		j.j = nil
	}
	return nil
}
