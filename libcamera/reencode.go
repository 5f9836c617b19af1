package libcamera

// #include "cshim.h"
import "C"

import "unsafe"

// reencode hands l to libcamera as a ControlList of its own (checked against
// the ControlIds it declares, no camera needed) and decodes what libcamera's
// list encodes back: the tests' proof that every declared control survives
// the binding's encoding both ways.
func reencode(l *ControlList) (*ControlList, error) {
	maps, err := catalog()
	if err != nil {
		return nil, err
	}
	data := l.encode(nil)
	var p *C.uint8_t
	if len(data) > 0 {
		p = (*C.uint8_t)(unsafe.Pointer(&data[0]))
	}
	b := C.picam_bytes_new()
	defer C.picam_bytes_free(b)
	var e C.picam_error
	if err := cError("ControlList", C.picam_control_list_reencode(p, C.size_t(len(data)), b, &e), &e); err != nil {
		return nil, err
	}
	return decodeList(cBytes(b), maps[0])
}
