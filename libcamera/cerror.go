package libcamera

// #include "cshim.h"
import "C"

import (
	"bytes"
	"unsafe"
)

// cError turns a shim status into an error. It reads the message in Go
// rather than with C.GoString so that e does not escape: the hot path keeps
// its picam_error on the stack and allocates nothing unless it fails.
func cError(op string, ret C.int, e *C.picam_error) error {
	if ret >= 0 {
		return nil
	}
	msg := unsafe.Slice((*byte)(unsafe.Pointer(&e.message[0])), len(e.message))
	if i := bytes.IndexByte(msg, 0); i >= 0 {
		msg = msg[:i]
	}
	return newError(op, int(ret), string(msg))
}
