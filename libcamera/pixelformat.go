package libcamera

// #include "cshim.h"
// #include <stdlib.h>
import "C"

import (
	"fmt"
	"unsafe"
)

// PixelFormat is libcamera's pixel format: a DRM FourCC code and modifier.
type PixelFormat struct {
	FourCC   uint32
	Modifier uint64
}

func fourcc(a, b, c, d byte) uint32 {
	return uint32(a) | uint32(b)<<8 | uint32(c)<<16 | uint32(d)<<24
}

// Formats that cameras on Raspberry Pi and libcamera's virtual camera produce.
// Any other format can be named with [ParsePixelFormat].
var (
	FormatNV12     = PixelFormat{FourCC: fourcc('N', 'V', '1', '2')}
	FormatNV21     = PixelFormat{FourCC: fourcc('N', 'V', '2', '1')}
	FormatYUV420   = PixelFormat{FourCC: fourcc('Y', 'U', '1', '2')}
	FormatYVU420   = PixelFormat{FourCC: fourcc('Y', 'V', '1', '2')}
	FormatYUYV     = PixelFormat{FourCC: fourcc('Y', 'U', 'Y', 'V')}
	FormatRGB888   = PixelFormat{FourCC: fourcc('R', 'G', '2', '4')}
	FormatBGR888   = PixelFormat{FourCC: fourcc('B', 'G', '2', '4')}
	FormatXRGB8888 = PixelFormat{FourCC: fourcc('X', 'R', '2', '4')}
	FormatXBGR8888 = PixelFormat{FourCC: fourcc('X', 'B', '2', '4')}
	FormatMJPEG    = PixelFormat{FourCC: fourcc('M', 'J', 'P', 'G')}
)

// ParsePixelFormat looks a format up by libcamera's name for it, such as
// "NV12", "XBGR8888" or "SRGGB10_CSI2P".
func ParsePixelFormat(name string) (PixelFormat, error) {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	var f C.uint32_t
	var m C.uint64_t
	var e C.picam_error
	if err := cError("ParsePixelFormat", C.picam_pixel_format_from_string(cs, &f, &m, &e), &e); err != nil {
		return PixelFormat{}, err
	}
	return PixelFormat{FourCC: uint32(f), Modifier: uint64(m)}, nil
}

// String returns libcamera's name for the format.
func (p PixelFormat) String() string {
	var buf [64]C.char
	n := C.picam_pixel_format_to_string(C.uint32_t(p.FourCC), C.uint64_t(p.Modifier), &buf[0], C.size_t(len(buf)))
	if n < 0 {
		return fmt.Sprintf("PixelFormat(%#08x, %#x)", p.FourCC, p.Modifier)
	}
	return C.GoString(&buf[0])
}

// IsValid reports whether the format is set.
func (p PixelFormat) IsValid() bool { return p.FourCC != 0 }
