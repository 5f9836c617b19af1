package libcamera

// #include "cshim.h"
import "C"

func cError(op string, ret C.int, e *C.picam_error) error {
	if ret >= 0 {
		return nil
	}
	return newError(op, int(ret), C.GoString(&e.message[0]))
}
