package codec

/*
#include <stdint.h>
*/
import "C"

import (
	"fmt"
	"runtime"
	"unsafe"
)

// PixelFormat is the layout of a frame's planes.
type PixelFormat int

const (
	// NV12: a Y plane and one plane of interleaved Cb, Cr at half
	// resolution both ways (what libcamera gives by default).
	NV12 PixelFormat = iota
	// YUV420: Y, Cb and Cr planes, the chroma at half resolution (I420).
	YUV420
)

func (f PixelFormat) String() string {
	switch f {
	case NV12:
		return "NV12"
	case YUV420:
		return "YUV420"
	}
	return fmt.Sprintf("PixelFormat(%d)", int(f))
}

// Image is a 4:2:0 frame as planes with their strides (bytes per line).
// Encoders read it during the call only: the planes may be the camera's
// mapped buffer.
type Image struct {
	Format        PixelFormat
	Width, Height int
	// Planes: NV12 Y, CbCr; YUV420 Y, Cb, Cr.
	Planes  [3][]byte
	Strides [3]int
}

// check verifies that the planes hold the frame.
func (m *Image) check() error {
	w, h := m.Width, m.Height
	if w <= 0 || h <= 0 || w%2 != 0 || h%2 != 0 {
		return fmt.Errorf("codec: image %dx%d: want even, positive sizes: %w", w, h, ErrInvalid)
	}
	type need struct{ bytes, rows int }
	var planes []need
	switch m.Format {
	case NV12:
		planes = []need{{w, h}, {w, h / 2}}
	case YUV420:
		planes = []need{{w, h}, {w / 2, h / 2}, {w / 2, h / 2}}
	default:
		return fmt.Errorf("codec: image format %v: %w", m.Format, ErrInvalid)
	}
	for i, n := range planes {
		s := m.Strides[i]
		if s < n.bytes {
			return fmt.Errorf("codec: %v plane %d: stride %d below %d bytes: %w", m.Format, i, s, n.bytes, ErrInvalid)
		}
		if l := len(m.Planes[i]); l < s*(n.rows-1)+n.bytes {
			return fmt.Errorf("codec: %v %dx%d plane %d: %d bytes, want %d: %w", m.Format, w, h, i, l, s*(n.rows-1)+n.bytes, ErrInvalid)
		}
	}
	return nil
}

// cPlanes returns the planes and strides for the C layer, pinning Go
// memory with pin (the camera's mapped buffers are not Go memory).
func (m *Image) cPlanes(pin *runtime.Pinner) (planes [3]*C.uint8_t, strides [3]C.int) {
	for i, p := range m.Planes {
		if len(p) > 0 {
			pin.Pin(&p[0])
			planes[i] = (*C.uint8_t)(unsafe.Pointer(&p[0]))
			strides[i] = C.int(m.Strides[i])
		}
	}
	return planes, strides
}
